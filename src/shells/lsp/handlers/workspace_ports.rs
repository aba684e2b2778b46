//! `portos/workspacePorts`: the workspace's port map (spec §10), behind the VS Code ports view.

use super::super::from_proto;
use super::super::global_state::{Shared, lock};
use super::super::to_proto;
use std::sync::Arc;
use tower_lsp_server::ls_types::Uri;

/// The whole workspace's port map. Params may be absent, `null` or `{}`; a `uri` narrows it to that file's
/// workspace.
pub fn workspace_ports(shared: &Arc<Shared>, params: serde_json::Value) -> serde_json::Value {
    let scope = params
        .get("uri")
        .and_then(|u| u.as_str())
        .and_then(|u| <Uri as std::str::FromStr>::from_str(u).ok())
        .and_then(|u| from_proto::path(&u));
    let (snapshot, root, encoding) = {
        let mut global = lock(&shared.state);
        let root = scope.as_deref().map(|p| global.host.root_of(p));
        (global.host.snapshot(), root, global.caps.encoding)
    };
    let map = snapshot.port_map(root.as_deref());
    to_proto::port_map_json(&snapshot, &map, encoding)
}
