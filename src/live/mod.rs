//! Ports taken outside the analysed files: apps a running PortOS reports, and TCP ports listening here.
//!
//! This is the only module that does network or process IO for the allocator, and only the shells call it
//! (when `[portos] registry` / `live_ports` are on). Everything it returns is data: the allocator adds
//! [`reserved_ports`] and [`listening_ports`] to its occupied set. Every error here is meant to become a
//! warning ("registry ports were not checked", "listening ports were not checked"), never a failure of the
//! check itself: PortOS not running is a normal state of a developer's machine.

mod http;
pub mod listening;
pub mod portos_api;
pub mod registry;

pub use http::Phase;
pub use listening::{ListeningError, listening_ports, parse_lsof, parse_proc_net_tcp};
pub use portos_api::{
    Access, DEFAULT_MIRROR_PORT, Health, Registry, parse_apps_file, read_registry, refresh_app,
};
pub use registry::{
    AppsParseError, HttpTarget, RegistryApp, RegistryError, RegistryProcess, UrlError, fetch_apps,
    parse_apps, parse_loopback_url, reserved_ports,
};
