//! `invalid-option-value`: a value PM2's validation refuses, which stops `pm2 start` for the whole file.

use super::{FileCheck, Finding, Rule, Severity};
use crate::model::ProcessOrigin;

/// The rule.
pub const RULE: Rule = Rule {
    code: "invalid-option-value",
    default_severity: Severity::Error,
    summary: "A value PM2 refuses, so `pm2 start` fails for the whole file",
    docs: r#"# invalid-option-value

## What it flags
A statically known value of an app option that PM2's validation refuses:
- a value of the wrong type: a string where only a boolean is accepted (`autorestart: 'false'`), an object or
  a non-numeric string where a number is (`port: 'auto'`), a number where a string is (`exec_mode: 1`). A
  numeric string passes where a number is expected (`instances: '2'`, `kill_timeout: '3000'`), as PM2
  converts it first;
- a string failing the option's pattern: `exec_mode` other than `fork`/`cluster` (`_mode` suffixes allowed),
  `max_memory_restart` other than digits with an optional upper-case `K`, `M` or `G` (`500MB`, `1.5G` and `1g`
  fail), `min_uptime` other than digits with an optional `s`, `m` or `h`;
- a number under the option's bound: `min_uptime` under 100 ms, `max_restarts` under 0;
- an `env_<name>` block that is neither an object nor a string (`env_production: null`).
Each option is read the way PM2 reads it: under its aliases and camelCase form, after its loader's own
conversions (`cmd` → `script`, any string in `instances`, `execute_command`).

## Why it matters
PM2 validates every app before it starts any: one refused value stops `pm2 start ecosystem.config.js` for the
whole file, with a message about a key you may not have touched in months.

## Example
```js
{ name: 'api', script: 'server.js', exec_mode: 'cluser', max_memory_restart: '1GB' }
```

## How to fix
Write the value as the message says PM2 accepts it.

## Configuration
`[rules] invalid-option-value = "warning"` lowers it; `"off"` silences it.
"#,
};

/// Reports each value PM2 refuses.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for process in &check.model().processes {
        if process.origin != ProcessOrigin::App {
            continue;
        }
        for refused in &process.pm2.refused {
            let range = check.here(refused.value_use, process.use_loc);
            let key = if refused.key == refused.option || refused.option == "env_<name>" {
                format!("`{}`", refused.key)
            } else {
                format!("`{}` (PM2's `{}`)", refused.key, refused.option)
            };
            let message = format!(
                "{key} is {}, which PM2 refuses: it accepts {}; `pm2 start` stops for the whole file",
                refused.shown, refused.accepts
            );
            out.push(check.finding(&RULE, range, message));
        }
    }
}
