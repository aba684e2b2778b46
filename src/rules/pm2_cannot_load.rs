//! `pm2-cannot-load`: the file cannot give PM2 its apps at all (an ES module written as CommonJS, a default
//! export PM2 does not read, ES syntax in a `.cjs` file, a JavaScript name PM2 runs as an app).

use super::{FileCheck, Finding, Rule, Severity};
use crate::syntax::{Format, TextRange};

/// The rule.
pub const RULE: Rule = Rule {
    code: "pm2-cannot-load",
    default_severity: Severity::Error,
    summary: "PM2 cannot load the file, so none of its apps start",
    docs: r#"# pm2-cannot-load

## What it flags
A JavaScript ecosystem file that cannot give PM2 its apps, whatever they say:
- **CommonJS in an ES module.** A `.mjs` file, or a `.js` file under a `package.json` with `"type": "module"`
  (or with `import`/`export` statements and no `"type"`, which Node then loads as an ES module), is an ES module:
  `module`, `exports` and `require` are not defined there, and the load throws at the first statement using
  them.
- **A default export.** PM2 loads an ES module with `require` and reads its named export `apps`; an
  `export default { apps }` is not read, so PM2 gets no apps.
- **ES syntax in a `.cjs` file** (or a `.js` file under `"type": "commonjs"`): `export` and `import` are syntax
  errors for Node there.
- **A name PM2 does not read as a configuration.** `pm2 start FILE` reads FILE as a configuration only when its
  name contains `.config.js`, `.config.cjs`, `.config.mjs`, `.json`, `.yml` or `.yaml`; any other JavaScript file
  is started as an app. Flagged for a file reached through a `files` glob; a file you name on the command line
  (or with `--stdin-filename`) is your choice and left alone.

JSON saved under a `.js` name is reported as `syntax-error`, where the parse fails. portos-lsp assumes a Node
that loads ES modules through `require` (20.19+ or 22.12+, which PM2 7 uses for `.mjs`); an older Node cannot
load an `.mjs` configuration at all.

## Why it matters
`pm2 start` fails (or starts nothing) for the whole file, while the file looks right.

## Example
```js
// ecosystem.config.mjs
export default { apps: [{ name: 'api', script: 'server.js' }] };   // PM2 reads `apps`, finds none
```

## How to fix
Rename the file to `ecosystem.config.cjs` and write `module.exports = { apps: [...] }`, or in an ES module write
`export const apps = [...]`; name configuration files `*.config.js` (or `.cjs`, `.mjs`).

## Configuration
`[rules] pm2-cannot-load = "off"` silences it.
"#,
};

/// The words that mark the finding about a file's name: the command line leaves it out for the files a user
/// named (see [`is_about_the_name`]).
const NAME_MARK: &str = "is started as an app";

/// Whether a finding is this rule's about the file's name, which does not apply to a file the user named.
pub fn is_about_the_name(finding: &Finding) -> bool {
    finding.code == RULE.code && finding.message.contains(NAME_MARK)
}

/// Reports why PM2 cannot load the file, once, at the first statement that causes it.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let model = check.model();
    if model.format() != Format::JavaScript {
        return;
    }
    let name = check
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let facts = &model.module;
    let package_type = check.analysis.dir.package_type.as_deref();
    let esm_why = match (ext, package_type) {
        ("mjs", _) => Some("a `.mjs` file is an ES module".to_string()),
        ("js", Some("module")) => {
            Some("its `package.json` says `\"type\": \"module\"`, so this `.js` file is an ES module".to_string())
        }
        ("js", None) if facts.esm.is_some() => Some(
            "it has `import`/`export` statements and no `package.json` `\"type\"`, so Node loads it as an ES module"
                .to_string(),
        ),
        _ => None,
    };
    if let Some(why) = &esm_why {
        if let Some((loc, global)) = &facts.commonjs {
            let message = format!(
                "PM2 cannot load this file: {why}, where `{global}` is not defined, so the load throws here; rename the file to `.cjs` (CommonJS), or use `export const apps = […]`"
            );
            out.push(check.finding(&RULE, loc.range, message));
            return;
        }
        if let Some(loc) = facts.default_export.filter(|_| !facts.exports_apps) {
            let message = format!(
                "PM2 cannot read these apps: {why}, and PM2 reads its named export `apps`, never the default export; write `export const apps = […]`, or rename the file to `.cjs` with `module.exports = {{ apps: […] }}`"
            );
            out.push(check.finding(&RULE, loc.range, message));
            return;
        }
    }
    let strict_cjs = ext == "cjs" || ext == "js" && package_type == Some("commonjs");
    if strict_cjs && let Some(loc) = facts.esm {
        let why = if ext == "cjs" {
            "a `.cjs` file is CommonJS"
        } else {
            "its `package.json` says `\"type\": \"commonjs\"`"
        };
        let message = format!(
            "PM2 cannot load this file: {why}, where `import` and `export` are syntax errors for Node; use `module.exports = {{ apps: […] }}`, or rename the file to `.mjs`"
        );
        out.push(check.finding(&RULE, loc.range, message));
        return;
    }
    let by_glob = !check.config.files.is_empty()
        && check.config.file_globs().matches_some_suffix(check.path());
    if by_glob && !Format::pm2_reads_as_config(name) {
        let text = model.text();
        let end = text.find('\n').unwrap_or(text.len());
        let range = TextRange::new(0, text[..end].trim_end().len());
        let message = format!(
            "PM2 reads a file as a configuration only when its name contains `.config.js`, `.config.cjs`, `.config.mjs`, `.json`, `.yml` or `.yaml`: `pm2 start {name}` {NAME_MARK}, not as these apps; rename it to `*.config.js`"
        );
        out.push(check.finding(&RULE, range, message));
    }
}
