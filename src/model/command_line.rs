//! Ports a process serves through command-line flags PortOS does not read (spec §9): `-p N` / `-p=N` of next,
//! serve, http-server and live-server, `-l N` / `--listen N` of serve, and Node's inspector
//! (`--inspect[=[host:]N]`, `--inspect-brk`, `--inspect-wait`; 9229 when no number is given).
//!
//! `-p` means a port only for those programs: `ssh -p 2222` and `psql -p 5432` name a port to connect to. The
//! program is the script's base name (`node_modules/.bin/next`), or the first word of `args` after a package
//! runner (`npx next …`, `npm exec next …`).

use super::process::{Port, PortSource, PortUse, PortValue};
use super::value::{Loc, Str, Traced, Value};

/// Programs whose `-p` is the port they serve.
const SERVERS: &[&str] = &["next", "serve", "http-server", "live-server"];
/// Node's default inspector port.
pub const INSPECTOR_DEFAULT_PORT: f64 = 9229.0;
/// Flags that open Node's inspector.
const INSPECT_FLAGS: &[&str] = &["--inspect", "--inspect-brk", "--inspect-wait"];

/// One word of a command line, with where its text came from.
struct Word<'v> {
    text: &'v str,
    /// The string it is part of and its offset there, when it is text.
    string: Option<(&'v Str, usize)>,
    /// The item it came from (its whole definition, the fallback origin).
    item: &'v Traced,
}

impl Word<'_> {
    /// Where the bytes `range` of the word were defined.
    fn origin(&self, range: std::ops::Range<usize>) -> Loc {
        self.string
            .and_then(|(s, offset)| s.origin_of(offset + range.start..offset + range.end))
            .unwrap_or(self.item.def)
    }

    /// The port the word states from byte `from` on: all ASCII digits, or a number item.
    fn number_from(&self, from: usize) -> Option<Port> {
        if self.string.is_none() {
            return match self.item.value {
                Value::Number(number) if from == 0 => Some(Port {
                    number,
                    def: self.item.def,
                }),
                _ => None,
            };
        }
        let digits = self.text.get(from..)?;
        (!digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| {
                Some(Port {
                    number: digits.parse().ok()?,
                    def: self.origin(from..self.text.len()),
                })
            })
            .flatten()
    }

    /// The port of a `[scheme://][host:]N` value starting at byte `from`: the digits after the last `:`, or
    /// the whole value when it is digits.
    fn address_port(&self, from: usize) -> Option<Port> {
        let value = self.text.get(from..)?;
        match value.rfind(':') {
            Some(colon) => self.number_from(from + colon + 1),
            None => self.number_from(from),
        }
    }
}

/// The words of an args value: a string split at whitespace, or an array's items (strings split the same way).
fn words(value: &Traced) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    match &value.value {
        Value::String(s) => split_words(s, value, &mut out),
        Value::Array(items) => {
            for item in items {
                match &item.value {
                    Value::String(s) => split_words(s, item, &mut out),
                    _ => out.push(Word {
                        text: "",
                        string: None,
                        item,
                    }),
                }
            }
        }
        _ => {}
    }
    out
}

fn split_words<'v>(s: &'v Str, item: &'v Traced, out: &mut Vec<Word<'v>>) {
    let text = s.text.as_str();
    let mut start = None;
    let mut push = |range: std::ops::Range<usize>| {
        out.push(Word {
            text: &text[range.clone()],
            string: Some((s, range.start)),
            item,
        })
    };
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(from) = start.take() {
                push(from..i);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(from) = start {
        push(from..text.len());
    }
}

/// The base name of a program path without a script or launcher extension (`node_modules/.bin/next.cmd` →
/// `next`).
fn base_name(path: &str) -> &str {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    [".js", ".cjs", ".mjs", ".cmd", ".exe", ".ps1"]
        .iter()
        .find_map(|ext| base.strip_suffix(ext))
        .unwrap_or(base)
}

/// The server program a process runs, with the words that are its arguments.
fn server_program<'w, 'v>(
    script: Option<&str>,
    args: &'w [Word<'v>],
) -> Option<(&'static str, &'w [Word<'v>])> {
    let server = |name: &str| SERVERS.iter().copied().find(|s| *s == name);
    let script = script?;
    // `script: 'serve'`, exactly, is PM2's own static server, whose `args` are a path and a port (spec §11),
    // not the npm program `serve` (`node_modules/.bin/serve`, or run through `npx`).
    if script == "serve" {
        return None;
    }
    let program = base_name(script);
    if let Some(found) = server(program) {
        return Some((found, args));
    }
    let rest = match program {
        "npx" | "pnpx" | "bunx" => args,
        "npm" | "pnpm" | "yarn" | "bun" => match args.first() {
            Some(first) if matches!(first.text, "exec" | "x" | "dlx") => &args[1..],
            _ => return None,
        },
        _ => return None,
    };
    // The runner's own flags (`--yes`, `--`) come before the program.
    let at = rest.iter().position(|w| !w.text.starts_with('-'))?;
    let found = server(base_name(rest[at].text))?;
    Some((found, &rest[at + 1..]))
}

fn port_use(source: PortSource, key: &str, port: Port, use_loc: Loc) -> PortUse {
    PortUse {
        source,
        key: key.to_string(),
        key_loc: None,
        value: PortValue::Definite { port },
        use_loc,
        instance: None,
    }
}

/// `-p N`, `-p=N` (and serve's `-l` / `--listen`) among a server program's arguments.
fn program_flags(program: &str, args: &[Word], use_loc: Loc, out: &mut Vec<PortUse>) {
    let listen = program == "serve";
    for (i, word) in args.iter().enumerate() {
        let (flag, inline) = match word.text.split_once('=') {
            Some((flag, _)) => (flag, Some(flag.len() + 1)),
            None => (word.text, None),
        };
        let is_listen = listen && matches!(flag, "-l" | "--listen");
        if flag != "-p" && !is_listen {
            continue;
        }
        let port = match inline {
            Some(from) if is_listen => word.address_port(from),
            Some(from) => word.number_from(from),
            None => {
                let Some(next) = args.get(i + 1) else {
                    continue;
                };
                if is_listen {
                    next.address_port(0)
                } else {
                    next.number_from(0)
                }
            }
        };
        if let Some(port) = port {
            out.push(port_use(PortSource::ProgramFlag, flag, port, use_loc));
        }
    }
}

/// Node's inspector flags in one field's words; `--inspect-port=N` gives the port of a bare `--inspect`.
fn inspector_flags(field: &str, words: &[Word], use_loc: Loc, out: &mut Vec<PortUse>) {
    let mut explicit_port = None;
    for (i, word) in words.iter().enumerate() {
        match word.text.split_once('=') {
            Some(("--inspect-port" | "--debug-port", _)) => {
                explicit_port = word.address_port(word.text.find('=').unwrap_or(0) + 1);
            }
            None if matches!(word.text, "--inspect-port" | "--debug-port") => {
                explicit_port = words.get(i + 1).and_then(|w| w.address_port(0));
            }
            _ => {}
        }
    }
    for word in words {
        let (flag, value) = match word.text.split_once('=') {
            Some((flag, _)) => (flag, Some(flag.len() + 1)),
            None => (word.text, None),
        };
        if !INSPECT_FLAGS.contains(&flag) {
            continue;
        }
        let stated = value.and_then(|from| {
            let text = word.text.get(from..)?;
            // `--inspect=host` names only the host; the port stays the default.
            (text.contains(':') || text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| word.address_port(from))
                .flatten()
        });
        let port = stated.or(explicit_port).unwrap_or(Port {
            number: INSPECTOR_DEFAULT_PORT,
            def: word.origin(0..flag.len()),
        });
        out.push(port_use(
            PortSource::Inspector(field.to_string()),
            flag,
            port,
            use_loc,
        ));
    }
}

/// The unlisted ports of a process. `script` is its script; `fields` are its `args`, `node_args` and
/// `interpreter_args` values (those present), each with the use to report.
pub fn unlisted_port_uses(script: Option<&str>, fields: &[(&str, &Traced, Loc)]) -> Vec<PortUse> {
    let mut out = Vec::new();
    for (field, value, use_loc) in fields {
        let words = words(value);
        if *field == "args"
            && let Some((program, args)) = server_program(script, &words)
        {
            program_flags(program, args, *use_loc, &mut out);
        }
        inspector_flags(field, &words, *use_loc, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::value::FileId;

    fn numbers(script: &str, args: &str) -> Vec<(String, f64)> {
        let value = Traced::here(
            Value::String(Str::plain(args)),
            Loc::new(FileId(0), Default::default()),
        );
        unlisted_port_uses(Some(script), &[("args", &value, value.use_)])
            .into_iter()
            .map(|u| (u.key, u.value.ports()[0].number))
            .collect()
    }

    #[test]
    fn server_flags_only_for_server_programs() {
        let p = |n: f64| vec![("-p".to_string(), n)];
        assert_eq!(
            numbers("node_modules/.bin/next", "start -p 3000"),
            p(3000.0)
        );
        assert_eq!(numbers("next", "start -p=3001"), p(3001.0));
        assert_eq!(numbers("npx", "--yes next start -p 3002"), p(3002.0));
        assert_eq!(numbers("npm", "exec -- next start -p 3003"), p(3003.0));
        assert_eq!(numbers("http-server", "./public -p 8080"), p(8080.0));
        assert_eq!(
            numbers("node_modules/.bin/serve", "-s build -l tcp://0.0.0.0:5000"),
            vec![("-l".to_string(), 5000.0)]
        );
        // `script: 'serve'` exactly is PM2's own static server, whose args are a path and a port.
        assert!(numbers("serve", "-s build -l 5000").is_empty());
        assert_eq!(
            numbers("npx", "serve --listen 5001"),
            vec![("--listen".to_string(), 5001.0)]
        );
        assert!(numbers("ssh", "-p 2222 host").is_empty());
        assert!(numbers("psql", "-p 5432").is_empty());
        assert!(numbers("npm", "start -p 3000").is_empty());
        assert!(numbers("next", "start -l 3000").is_empty());
        assert!(numbers("next", "start -p abc").is_empty());
    }

    #[test]
    fn inspector_defaults_to_9229() {
        let i = |k: &str, n: f64| vec![(k.to_string(), n)];
        assert_eq!(numbers("app.js", "--inspect"), i("--inspect", 9229.0));
        assert_eq!(numbers("app.js", "--inspect=9230"), i("--inspect", 9230.0));
        assert_eq!(
            numbers("app.js", "--inspect-brk=0.0.0.0:9231"),
            i("--inspect-brk", 9231.0)
        );
        assert_eq!(
            numbers("app.js", "--inspect=0.0.0.0"),
            i("--inspect", 9229.0)
        );
        assert_eq!(
            numbers("app.js", "--inspect --inspect-port=9232"),
            i("--inspect", 9232.0)
        );
        assert!(numbers("app.js", "--inspector").is_empty());
    }
}
