//! `shadowed-port`: an app's `port` and its `env.PORT` differ, and PM2 binds `port`: the env value is dead.

use super::{FileCheck, Finding, Rule, Severity};
use crate::model::value::number_to_string;
use crate::model::{Process, ProcessOrigin};

/// The rule.
pub const RULE: Rule = Rule {
    code: "shadowed-port",
    default_severity: Severity::Warning,
    summary: "`env.PORT` is never used: the app's `port` overrides it",
    docs: r#"# shadowed-port

## What it flags
An app with both a `port` and an `env: { PORT }` of another value. PM2 reads `port` as a shortcut for
`env.PORT` and applies it over the `env` block, so the process gets `port`; the `env` value is dead. (Under
`pm2 start … --env <name>`, an `env_<name>` block's `PORT` still wins over both.)

## Why it matters
Whoever reads the `env` block believes the app serves the other port. PortOS's dashboard believes it too: its
detector reads `env.PORT` before a bare `port`, so it shows the dead value (`portos-reads-differently` says so
under PortOS's convention).

## Example
```js
{ name: 'api', script: 'server.js', port: 4500, env: { PORT: 4501 } }   // PM2 binds 4500
```

## How to fix
Keep one of the two: delete `port`, or make `env.PORT` the same number (quick fix), or delete it.

## Configuration
`[rules] shadowed-port = "error"` raises it; `"off"` silences it.
"#,
};

/// Reports each app whose `env.PORT` differs from the `port` PM2 applies over it.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for process in &check.model().processes {
        if process.origin != ProcessOrigin::App {
            continue;
        }
        if let Some(finding) = shadowed(check, process) {
            out.push(finding);
        }
    }
}

fn shadowed(check: &FileCheck, process: &Process) -> Option<Finding> {
    let bare = process.bare_port.as_ref()?;
    let port = bare.value.definite().filter(|p| p.number != 0.0)?;
    let env = process
        .env_blocks
        .iter()
        .filter(|b| !b.deploy && b.name == "env")
        .flat_map(|b| b.entries.iter())
        .find(|u| u.key == "PORT" && u.instance.is_none())?;
    let dead = env.value.definite()?;
    if dead.number == port.number {
        return None;
    }
    let (port_n, dead_n) = (number_to_string(port.number), number_to_string(dead.number));
    let range = check.here(env.use_loc, process.use_loc);
    let message = format!(
        "`env.PORT` {dead_n} of `{}` is never used: PM2 sets `PORT` from the app's `port` ({port_n}) over the `env` block, so the process binds {port_n}",
        process.display_name()
    );
    let mut finding = check.finding(&RULE, range, message);
    finding.related.push(check.related(
        bare.use_loc,
        format!("`port` is {port_n}: PM2 binds this one"),
    ));
    // Only a literal written in the env block itself is edited: a `PORTS` entry may serve others.
    if dead.def.file.0 == 0 && env.use_loc.range.contains_range(dead.def.range) {
        finding.fix = Some(check.one_choice(
            format!("Make `env.PORT` {port_n}, the port PM2 binds"),
            dead.def.range,
            &port_n,
        ));
    }
    Some(finding)
}
