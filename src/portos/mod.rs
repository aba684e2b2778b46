//! What PortOS itself would make of an ecosystem file: its regex detector, reproduced faithfully.
//!
//! `detector` reads the text the way PortOS's `parseEcosystemConfig` does (`portos-detection.md` §3), so
//! the checker can warn where PortOS's view differs from what the file really says.

pub mod detector;

pub use detector::{
    ConstNumber, ConstValue, DetectedPort, DetectedProcess, constant_table, detect,
    detect_incremental, detect_with_vite_lookup, display_line,
};

/// The guide's display format, the one formatter behind every display line (ours and PortOS's reading):
/// `name:5555` for one port, `name (cdp:5556,health:5557)` for several (no space after the comma), just
/// `name` for none.
pub fn format_display_line(name: &str, ports: &[(String, String)]) -> String {
    match ports {
        [] => name.to_string(),
        [(_, port)] => format!("{name}:{port}"),
        many => {
            let parts: Vec<String> = many.iter().map(|(l, p)| format!("{l}:{p}")).collect();
            format!("{name} ({})", parts.join(","))
        }
    }
}
