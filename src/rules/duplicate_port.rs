//! `duplicate-port`: one port served under two labels of one process, or by two processes of one app.

use super::{FileCheck, Finding, FixData, Rule, Severity};

/// The rule.
pub const RULE: Rule = Rule {
    code: "duplicate-port",
    default_severity: Severity::Error,
    summary: "One port served twice in one app",
    docs: r#"# duplicate-port

## What it flags
A port that one app serves twice: under two different labels of one process (`PORT: 5570` and
`HEALTH_PORT: 5570`), or by two processes of the same ecosystem file — also when both reach it through the same
`PORTS` entry (two processes with `PORT: PORTS.API`). Ports a process *connects to* (`DB_PORT`, or a `*_PORT`
key holding another process's port) are not counted. Each environment (`env`, and `env` overlaid with each
`env_<name>`) is checked on its own; the message names the environments when the clash is not in all of them.

## Why it matters
Only one listener can bind a port: the second process crashes with `EADDRINUSE` or, with `SO_REUSEPORT`, the two
silently share traffic.

## Example
```js
const PORTS = { API: 5570, UI: 5571 };
apps: [
  { name: 'api', env: { PORT: PORTS.API } },
  { name: 'worker', env: { PORT: PORTS.API } },   // same port as api
]
```

## How to fix
Give the second one its own port (the quick fix picks the next free one) or, if the process only talks to the
other one, rename the key so it reads as a connection (`API_UPSTREAM_PORT`).

## Configuration
`[rules] duplicate-port = "warning"` lowers it. `connect_keys` adds key segments that mean "connects to".
"#,
};

/// Reports each port served twice in one environment of the file.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let served: Vec<_> = check.served().collect();
    // The earlier uses of each port, so each use is compared with the uses of its own port alone: 8,000
    // apps on one port are 7,999 findings, each against the first use, never a search over every pair.
    let mut by_port: foldhash::HashMap<u16, Vec<usize>> = Default::default();
    for (i, (process, binding, port)) in served.iter().enumerate() {
        // Report at the later of the two, against the first earlier use it clashes with.
        let earlier_uses = by_port.entry(*port).or_default();
        let earlier = earlier_uses
            .iter()
            .map(|&j| &served[j])
            .find(|(other_process, other, _)| {
                binding.environments.iter().any(|e| other.in_environment(e))
                    && (other_process.def != process.def || other.label != binding.label)
            });
        earlier_uses.push(i);
        let Some((other_process, other, _)) = earlier else {
            continue;
        };
        let shared: std::collections::BTreeSet<Option<String>> = binding
            .environments
            .iter()
            .filter(|e| other.in_environment(e))
            .cloned()
            .collect();
        let envs = check.environments_note(&shared);
        let same_def = other.port.def == binding.port.def;
        let through = if same_def {
            " (both use the same definition)"
        } else {
            ""
        };
        let message = if other_process.def == process.def {
            format!(
                "port {port} is served twice by `{}`: as `{}` and as `{}`{envs}{through}",
                process.display_name(),
                other.label,
                binding.label
            )
        } else {
            format!(
                "port {port} of `{}` ({}) is already served by `{}` ({}) on line {}{envs}{through}; if the two never run together (`pm2 start --only`), say so with `{} portos-lsp-ignore: duplicate-port`",
                process.display_name(),
                binding.label,
                other_process.display_name(),
                other.label,
                check.line_of(other.use_loc()),
                check.analysis.model.format().line_comment()
            )
        };
        let mut finding = check.finding(&RULE, check.binding_range(process, binding), message);
        finding.related.push(check.related(
            other.use_loc(),
            format!(
                "port {port} is first served here by `{}` ({})",
                other_process.display_name(),
                other.label
            ),
        ));
        if !same_def {
            finding.fix = Some(FixData::MoveToFreePort {
                path: check.path_of(binding.port.def),
                range: binding.port.def.range,
                current: *port,
                mirrors: check.mirrors(binding),
            });
        }
        out.push(finding);
    }
}
