//! `unknown-option`: a key of an app PM2 does not know, which it drops without a word.

use super::{FileCheck, Finding, Rule, Severity};
use crate::model::ProcessOrigin;
use crate::model::pm2::options;

/// The rule.
pub const RULE: Rule = Rule {
    code: "unknown-option",
    default_severity: Severity::Warning,
    summary: "An app key PM2 does not know and silently drops",
    docs: r#"# unknown-option

## What it flags
A key of an app that is none of PM2's options: not one of its 64 option names, nor one of their aliases
(`interpreter`, `interpreter_args`, `out`, `error`, `cron`, …), nor their camelCase forms (`execMode`,
`maxMemoryRestart`), nor an `env_<name>` block, nor `cmd`/`command` (which PM2's loader turns into `script`).
The message suggests the option you probably meant. PortOS's `ports` map is never flagged: PortOS reads it.

## Why it matters
PM2 validates each app against its option schema and drops unknown keys silently: `instance: 2` starts one
instance, `exec_mod: 'cluster'` runs in fork mode, `max_memory: '1G'` never restarts anything — and nothing says
so.

## Example
```js
{ name: 'api', script: 'server.js', instance: 4, exec_mod: 'cluster' }   // instances, exec_mode
```

## How to fix
Rename the key to the option meant (a quick fix offers it), or delete it. A key your own tooling reads from the
file can be declared in the project file.

## Configuration
`[pm2] extra_keys = ["deploy_group"]` accepts keys of your own; `[rules] unknown-option = "off"` silences the
rule.
"#,
};

/// Reports each app key PM2 drops.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let extra = &check.config.pm2.extra_keys;
    for process in &check.model().processes {
        if process.origin != ProcessOrigin::App {
            continue;
        }
        for key in &process.pm2.dropped {
            if extra.contains(&key.key) {
                continue;
            }
            let Some(key_loc) = key.key_loc.filter(|l| l.file.0 == 0) else {
                continue;
            };
            let suggestion = options::closest_name(&key.key);
            let hint = suggestion
                .as_deref()
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            let message = format!(
                "`{}` is not a PM2 option: PM2 drops it without a word{hint} (`[pm2] extra_keys` accepts keys of your own)",
                key.key
            );
            let mut finding = check.finding(&RULE, key_loc.range, message);
            if let Some(name) = suggestion {
                finding.fix =
                    Some(check.one_choice(format!("Rename to `{name}`"), key_loc.range, &name));
            }
            out.push(finding);
        }
    }
}
