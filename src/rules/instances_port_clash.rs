//! `instances-port-clash`: several instances of an app bind one port, so all but the first fail.

use super::{Choice, FileCheck, Finding, FixData, Rule, Severity};
use crate::labels::{Binding, LabelRule, LabelledProcess};
use crate::model::pm2::{ExecMode, Instances};
use crate::model::{PortSource, Process, ProcessOrigin};
use crate::syntax::{Format, TextRange};

/// The rule.
pub const RULE: Rule = Rule {
    code: "instances-port-clash",
    default_severity: Severity::Error,
    summary: "Several instances of an app bind the same port",
    docs: r#"# instances-port-clash

## What it flags
An app PM2 starts more than once (`instances: 2` or more, `'max'`, `0`, `-1`) with a port that every instance
gets unchanged — an env `PORT`/`*_PORT` key other than the `increment_var` one, a `port`, a server's `-p`/`--port`
flag — when:
- the app runs in **fork mode** (`exec_mode: 'fork'`, or PM2's default for a script Node or Bun does not run: a
  Python or shell script, a binary, a command with a space), where each instance is a process of its own; or
- it runs in **cluster mode** with a script that starts the server in a child process — a package manager or
  launcher (`npm`, `yarn`, `pnpm`, `npx`, `bunx`, `bun run …`) or a shell script: only a Node server listening
  in the worker itself shares the port with its siblings; a child of each worker binds the port on its own.

PM2's default exec mode is cluster when `instances` is given (1 or more, `0`, `-1`, `'max'`) and the interpreter
is Node or Bun (a `.js`, `.cjs`, `.mjs`, `.ts` script, or one without an extension), and fork otherwise. With
`'max'`, `0` or `-k`, the count depends on the machine: portos-lsp reads it with `[pm2] cpus` (4 by default), and
fires when that gives two or more.

## Why it matters
All instances but the first fail with `EADDRINUSE` as soon as they try to listen, and PM2 restarts them in a
loop. PM2's issue tracker has asked about this for a decade.

## Example
```js
{ name: 'web', script: 'npm', args: 'start', instances: 2, env: { PORT: 4000 } }   // each npm child binds 4000
{ name: 'api', script: 'server.py', instances: 2, env: { PORT: 4001 } }            // fork mode: two 4001s
```

## How to fix
One of three ways, as the message says which fits:
- cluster mode (`exec_mode: 'cluster'`) for a Node server that listens itself: its workers share the port;
- `increment_var: 'PORT'` gives instance i the port `PORT + i` (quick fix, where the port is an env key or `port`);
- `instances: 1` (quick fix).

## Configuration
`[rules] instances-port-clash = "warning"` lowers it; `"off"` silences it. `[pm2] cpus = 8` says how many CPUs
`'max'` means on your servers.
"#,
};

/// Reports each port every instance of a many-instance app binds unchanged.
pub fn check_app(check: &FileCheck, labelled: &LabelledProcess, out: &mut Vec<Finding>) {
    let process = &check.model().processes[labelled.index];
    let pm2 = &process.pm2;
    if process.origin != ProcessOrigin::App || pm2.count < 2 || !pm2.mode_known {
        return;
    }
    if pm2.mode == ExecMode::Cluster && pm2.launcher.is_none() {
        return;
    }
    for binding in labelled.bindings.iter().filter(|b| clashes(process, b)) {
        let Some(port) = binding.number().filter(|p| *p != 0) else {
            continue;
        };
        out.push(finding(check, process, binding, port));
    }
}

/// Whether every instance gets this binding's port unchanged.
fn clashes(process: &Process, binding: &Binding) -> bool {
    if !binding.served() || binding.rule == LabelRule::Inspector {
        return false;
    }
    let Some(first) = binding.uses.first() else {
        return false;
    };
    if binding.uses.iter().any(|u| u.instance.is_some()) {
        return false;
    }
    let key = env_key(first);
    process.pm2.increment_var.as_deref() != Some(key.as_str())
}

/// The env key a use is, for `increment_var`: a bare `port` is `PORT`.
fn env_key(use_: &crate::model::PortUse) -> String {
    match use_.source {
        PortSource::BarePort => "PORT".into(),
        _ => use_.key.clone(),
    }
}

fn finding(check: &FileCheck, process: &Process, binding: &Binding, port: u16) -> Finding {
    let pm2 = &process.pm2;
    let first = &binding.uses[0];
    let key = match first.source {
        PortSource::BarePort => "port".to_string(),
        _ => first.key.clone(),
    };
    let instances = match pm2.instances {
        Instances::PerCpu(0) => format!(
            "the {} instances (one per CPU; {} CPUs by `[pm2] cpus`)",
            pm2.count, check.config.pm2.cpus
        ),
        Instances::PerCpu(less) => format!(
            "the {} instances (one per CPU less {}; {} CPUs by `[pm2] cpus`)",
            pm2.count, -less, check.config.pm2.cpus
        ),
        _ => format!("the {} instances", pm2.count),
    };
    let why = match (&pm2.mode, &pm2.launcher) {
        (ExecMode::Cluster, Some(launcher)) => format!(
            "in cluster mode only a Node server listening in the worker shares its port, and {launcher} starts the server in a child process of each worker, so each of {instances} binds {port} itself"
        ),
        _ => format!(
            "in fork mode each of {instances} is a process of its own and binds {port} itself"
        ),
    };
    let env_key = env_key(first);
    let by_env = matches!(first.source, PortSource::Env(_) | PortSource::BarePort)
        && pm2.increment_var.is_none();
    let node_server = pm2.mode == ExecMode::Fork
        && pm2.launcher.is_none()
        && pm2.interpreter.as_deref().is_some_and(|i| {
            let base = i.rsplit(['/', '\\']).next().unwrap_or(i);
            base.ends_with("node") || base.ends_with("bun")
        });
    let mut ways = Vec::new();
    if node_server {
        ways.push("`exec_mode: 'cluster'` if it is a Node server that listens itself".to_string());
    }
    if by_env {
        ways.push(format!(
            "`increment_var: '{env_key}'` to give each instance its own port"
        ));
    }
    ways.push("`instances: 1`".to_string());
    let message = format!(
        "`{key}` {port}{} is bound by every instance: {why}; all but the first fail with EADDRINUSE. Use {}",
        check.environments_note(&binding.environments),
        join_or(&ways)
    );
    let mut finding = check.finding(&RULE, flag_number_range(check, process, binding), message);
    if let Some((value, _)) = pm2.instances_at {
        finding.related.push(check.related(
            value,
            format!(
                "`instances` starts {} of `{}`",
                pm2.count,
                process.display_name()
            ),
        ));
    }
    finding.fix = fixes(check, process, by_env.then_some(env_key.as_str()));
    finding
}

/// Where to point: the binding's use, or for a flag the number itself where it is written inside the `args`
/// string (spec §11: the flag's number, not the whole command line).
fn flag_number_range(check: &FileCheck, process: &Process, binding: &Binding) -> TextRange {
    let use_loc = binding.use_loc();
    let def = binding.port.def;
    let in_args = matches!(
        binding.uses.first().map(|u| &u.source),
        Some(PortSource::ProgramFlag | PortSource::Args)
    );
    if in_args && def.file == use_loc.file && use_loc.range.contains_range(def.range) {
        check.here(def, process.use_loc)
    } else {
        check.binding_range(process, binding)
    }
}

/// "a, b or c".
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The quick fixes: `increment_var` (where the port is an env key or `port`) and `instances: 1`, each written
/// in the file's own syntax.
fn fixes(check: &FileCheck, process: &Process, increment: Option<&str>) -> Option<FixData> {
    let (value, key) = process.pm2.instances_at?;
    if value.file.0 != 0 {
        return None;
    }
    let text = check.model().text();
    let format = check.model().format();
    let mut choices = Vec::new();
    if let (Some(var), Some(key)) = (increment, key.filter(|k| k.file.0 == 0)) {
        choices.push(Choice {
            title: format!("Add `increment_var: '{var}'`: each instance gets its own port"),
            edits: vec![insert_after_property(
                text,
                format,
                key.range,
                value.range,
                "increment_var",
                var,
            )],
        });
    }
    choices.push(Choice {
        title: "Set `instances: 1`".into(),
        edits: vec![(value.range, "1".into())],
    });
    Some(FixData::Choices {
        path: check.path().to_path_buf(),
        choices,
    })
}

/// An edit adding `name: value` (a string) as the property after the one whose key is at `key` and value at
/// `value`, on its own line where that one is on its own line, in the file's own syntax: YAML's `name: value`,
/// JSON's `"name": "value"` where the keys are quoted, JavaScript's `name: 'value'`.
pub fn insert_after_property(
    text: &str,
    format: Format,
    key: TextRange,
    value: TextRange,
    name: &str,
    new_value: &str,
) -> (TextRange, String) {
    let line_start = text[..key.start as usize].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..key.start as usize];
    let alone = indent.trim().is_empty() || (format == Format::Yaml && indent.trim() == "-");
    let indent: String = indent
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let newline = crate::syntax::line_ending(text);
    let quoted_keys = text[key.as_range()].starts_with(['"', '\'']);
    let quote = if text[key.as_range()].starts_with('"') || format == Format::Json && quoted_keys {
        '"'
    } else {
        '\''
    };
    let property = match format {
        Format::Yaml => format!("{name}: {new_value}"),
        _ if quoted_keys => format!("{quote}{name}{quote}: {quote}{new_value}{quote}"),
        _ => format!("{name}: {quote}{new_value}{quote}"),
    };
    let after_value = value.end as usize;
    let rest = &text[after_value..];
    let line_end = rest.find('\n').map_or(text.len(), |i| after_value + i);
    let tail = text[after_value..line_end].trim_end_matches('\r');
    if format == Format::Yaml {
        if alone && !text[line_start..key.start as usize].contains('{') {
            // A block mapping: a line of its own under the key, at the key's column.
            let at = if line_end < text.len() {
                line_end + 1
            } else {
                text.len()
            };
            let lead = if line_end >= text.len() { newline } else { "" };
            return (
                TextRange::new(at, at),
                format!("{lead}{indent}{property}{newline}"),
            );
        }
        return (
            TextRange::new(after_value, after_value),
            format!(", {property}"),
        );
    }
    let comma = tail.trim_start().starts_with(',');
    if alone && (tail.trim().is_empty() || tail.trim() == ",") {
        if comma {
            let at = after_value + tail.find(',').unwrap_or(0) + 1;
            return (
                TextRange::new(at, at),
                format!("{newline}{indent}{property},"),
            );
        }
        return (
            TextRange::new(after_value, after_value),
            format!(",{newline}{indent}{property}"),
        );
    }
    (
        TextRange::new(after_value, after_value),
        format!(", {property}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(text: &str, format: Format, name_at: &str, value_at: &str) -> String {
        let key = text.find(name_at).unwrap();
        let value = text.find(value_at).unwrap();
        let (range, new) = insert_after_property(
            text,
            format,
            TextRange::new(key, key + name_at.len()),
            TextRange::new(value, value + value_at.len()),
            "increment_var",
            "PORT",
        );
        let mut out = text.to_string();
        out.replace_range(range.as_range(), &new);
        out
    }

    #[test]
    fn the_new_property_is_written_in_the_files_own_syntax() {
        assert_eq!(
            insert(
                "{\n  instances: 2,\n  env: {}\n}",
                Format::JavaScript,
                "instances",
                "2"
            ),
            "{\n  instances: 2,\n  increment_var: 'PORT',\n  env: {}\n}"
        );
        assert_eq!(
            insert(
                "{\n  \"instances\": 2\n}",
                Format::Json,
                "\"instances\"",
                "2"
            ),
            "{\n  \"instances\": 2,\n  \"increment_var\": \"PORT\"\n}"
        );
        assert_eq!(
            insert(
                "{ instances: 2, env: {} }",
                Format::JavaScript,
                "instances",
                "2"
            ),
            "{ instances: 2, increment_var: 'PORT', env: {} }"
        );
        assert_eq!(
            insert(
                "apps:\n  - name: a\n    instances: 2\n    env: {}\n",
                Format::Yaml,
                "instances",
                "2"
            ),
            "apps:\n  - name: a\n    instances: 2\n    increment_var: PORT\n    env: {}\n"
        );
        assert_eq!(
            insert("apps:\n  - instances: 2\n", Format::Yaml, "instances", "2"),
            "apps:\n  - instances: 2\n    increment_var: PORT\n"
        );
    }
}
