//! `syntax-error`: tree-sitter could not parse part of the file; the apps around it are still checked.

use super::{FileCheck, Finding, Rule, Severity};

/// The rule.
pub const RULE: Rule = Rule {
    code: "syntax-error",
    default_severity: Severity::Error,
    summary: "The file has a syntax error PM2 cannot load",
    docs: r#"# syntax-error

## What it flags
A place where the file is not valid JavaScript: a missing comma, a stray token, an unterminated string,
template literal or comment, a missing `}` — or an object literal that starts a statement, as in JSON saved
under a `.js` name (`{ "apps": […] }`): JavaScript reads that `{` as a block, so PM2 cannot load the file.

A JSON or JSON5 ecosystem file is read as PM2 reads it: as one JavaScript expression (PM2 evaluates `(` + text +
`)`), so comments, single quotes, unquoted keys and trailing commas are fine, while anything that is not one
expression is an error — including a `//` comment on the last line with no line break after it, which swallows
PM2's `)`. A YAML ecosystem file is read as PM2's YAML loader reads it: a YAML error, a repeated key, an unknown
tag or a second document stops it, and PM2 loads nothing from the file.

## Why it matters
PM2 cannot load a file with a syntax error, so none of its apps start. portos-lsp still checks every app it can
read around the error. A missing comma is pointed at where the comma goes, and the apps are read as if it were
there, so even the broken app keeps its ports. After an unterminated string, template literal or block comment, or a missing `}`, the
parser cannot tell where the broken app ends, so findings after that point may be incomplete; the message says so.

## Example
```js
module.exports = {
  apps: [
    { name: 'api', env: { PORT: 5570 } }
    { name: 'ui', env: { PORT: 5571 } },   // missing comma above
  ],
};
```

## How to fix
Fix the syntax at the marked place; `node --check ecosystem.config.cjs` confirms it.

## Configuration
`[rules] syntax-error = "off"` silences it (not recommended).
"#,
};

/// Reports each syntax error of the main file.
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let text = check.model().text();
    for error in &check.model().syntax_errors {
        let mut message = match &error.missing {
            _ if error.message.is_some() => error.message.clone().unwrap_or_default(),
            _ if error.object_statement => "syntax error: this `{` starts a statement, so JavaScript reads a block, \
                not an object, and Node (and PM2) stop at its first `:`; is this JSON? Name the file \
                `ecosystem.config.json`, or write `module.exports = {…}`"
                .to_string(),
            Some(token) => format!("syntax error: missing `{token}`"),
            None => {
                let source = text.get(error.range.as_range()).unwrap_or("");
                let words = source.split_whitespace().collect::<Vec<_>>().join(" ");
                let snippet: String = words.chars().take(40).collect();
                let more = if words.chars().count() > 40 {
                    "…"
                } else {
                    ""
                };
                if snippet.is_empty() {
                    "syntax error".to_string()
                } else if let Some(at) = error.comma_at {
                    let next: String = text
                        .get(at as usize..)
                        .unwrap_or("")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .chars()
                        .take(24)
                        .collect();
                    format!("syntax error: a `,` is missing here, before `{next}…`")
                } else if crate::syntax::is_unterminated_string(source) {
                    format!("syntax error: unterminated string `{snippet}{more}`")
                } else if source.trim() == "{" {
                    "syntax error: unexpected `{`: a `}` is probably missing before it".to_string()
                } else if source.trim_start().starts_with(['{', '['])
                    && error.range.end > error.range.start
                {
                    format!(
                        "syntax error: cannot parse `{snippet}{more}` (a missing `,` after it?)"
                    )
                } else {
                    format!("syntax error: unexpected `{snippet}{more}`")
                }
            }
        };
        if error.unbounded {
            message.push_str(
                "; the parser cannot tell where the broken app ends, so findings after this point may be incomplete",
            );
        }
        // A missing comma is pointed at where the comma goes, not at the span tree-sitter gave up on.
        let range = match error.comma_at {
            Some(at) => crate::syntax::TextRange::new(at as usize, at as usize + 1),
            None => error.range,
        };
        out.push(check.finding(&RULE, range, message));
    }
}
