//! `privileged-port`: a port below 1024, which needs root to bind.

use super::{FileCheck, Finding, Rule, Severity};

/// The rule.
pub const RULE: Rule = Rule {
    code: "privileged-port",
    default_severity: Severity::Warning,
    summary: "A port below 1024",
    docs: r#"# privileged-port

## What it flags
A served port from 1 to 1023.

## Why it matters
On Linux and macOS only root (or a process with `CAP_NET_BIND_SERVICE`) may listen below 1024; PM2 processes
normally run as a user and fail with `EACCES`. Serving 80 or 443 directly is a job for a reverse proxy.

## Example
```js
{ name: 'web', env: { PORT: 80 } }
```

## How to fix
Listen on a port in the user range and put a reverse proxy in front for 80/443.

## Configuration
`[rules] privileged-port = "off"` silences it (for example on a host that grants the capability).
"#,
};

/// Reports served ports below 1024.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for (process, binding, port) in check.served() {
        if port >= 1024 {
            continue;
        }
        let message = format!(
            "port {port} ({} of `{}`) is below 1024: binding it needs root privileges{}",
            binding.label,
            process.display_name(),
            check.environments_note(&binding.environments),
        );
        out.push(check.movable_finding(&RULE, process, binding, port, message));
    }
}
