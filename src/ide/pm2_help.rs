//! PM2's options in the editor (spec §11, last item): completion of the option keys an app does not have yet and
//! of enumerated values (`exec_mode`, the interpreter, booleans), and hover on any key of an app — what it does,
//! its default, what it does to ports — all read from the one table of PM2's options.

use super::completion::{Completion, CompletionKind};
use super::hover::Hover;
use crate::analysis::Analysis;
use crate::config::Config;
use crate::model::pm2::options::{self, OptionSpec};
use crate::model::pm2::{ExecMode, Instances};
use crate::model::{Loc, Process, ProcessOrigin};
use crate::syntax::{Format, TextRange};

/// The options worth offering first: those that decide which ports the app binds.
const PORT_OPTIONS: &[&str] = &[
    "script",
    "instances",
    "exec_mode",
    "increment_var",
    "port",
    "env",
    "args",
];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The app an offset is a key position of: the innermost app whose object holds it outside any nested value,
/// or in YAML, the app whose keys start at the same column above it (a key being typed on a new line lies past
/// the mapping's last value).
fn app_at(analysis: &Analysis, at: usize, column: usize) -> Option<&Process> {
    let model = &analysis.model;
    let apps = model
        .processes
        .iter()
        .map(|p| p.as_ref())
        .filter(|p| p.origin == ProcessOrigin::App && p.def.file.0 == 0);
    let inside = |loc: Loc| {
        loc.file.0 == 0 && (loc.range.start as usize) < at && at < loc.range.end as usize
    };
    let holding = apps
        .clone()
        .filter(|p| inside(p.def))
        .filter(|p| !p.pm2.keys.iter().any(|k| k.nested && inside(k.value)))
        .min_by_key(|p| p.def.range.end - p.def.range.start);
    if holding.is_some() || model.format() != Format::Yaml {
        return holding;
    }
    let text = model.text();
    let column_of = |offset: u32| {
        let offset = offset as usize;
        offset - text[..offset].rfind('\n').map_or(0, |i| i + 1)
    };
    apps.filter(|p| (p.def.range.start as usize) <= at)
        .filter(|p| {
            p.pm2
                .keys
                .first()
                .and_then(|k| k.key_loc)
                .is_some_and(|k| column_of(k.range.start) == column)
        })
        .max_by_key(|p| p.def.range.start)
}

/// How a key or value is written in the file's format: YAML plain, JSON double-quoted, JavaScript as the
/// table writes it (single quotes).
fn written(value: &str, format: Format) -> String {
    match format {
        Format::Yaml => value.trim_matches('\'').to_string(),
        Format::Json => value.replace('\'', "\""),
        Format::JavaScript => value.to_string(),
    }
}

/// The word being typed at `offset`: where its line and the word start, and the quote right before it.
struct Typed {
    offset: usize,
    line_start: usize,
    start: usize,
    quote: Option<char>,
}

fn typed_at(text: &str, offset: usize) -> Option<Typed> {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let start = offset - (before.len() - before.trim_end_matches(is_word).len());
    let quote = text[line_start..start]
        .chars()
        .last()
        .filter(|c| matches!(c, '\'' | '"'));
    Some(Typed {
        offset,
        line_start,
        start,
        quote,
    })
}

/// The option keys to offer at `offset`, when a key of an app is being typed there.
pub fn option_keys(analysis: &Analysis, offset: usize) -> Option<Vec<Completion>> {
    let model = &analysis.model;
    let text = model.text();
    let Typed {
        offset,
        line_start,
        mut start,
        quote,
    } = typed_at(text, offset)?;
    if quote.is_some() {
        start -= 1;
    }
    let head = text[line_start..start].trim();
    let format = model.format();
    let key_position = head.is_empty()
        || head.ends_with('{')
        || head.ends_with(',')
        || format == Format::Yaml && head == "-";
    if !key_position {
        return None;
    }
    let after = &text[offset..];
    let mut end = offset + after.len() - after.trim_start_matches(is_word).len();
    if let Some(q) = quote
        && text[end..].starts_with(q)
    {
        end += 1;
    }
    let app = app_at(analysis, start, start - line_start)?;
    let typing = TextRange::new(start, end);
    let present: Vec<&str> = app
        .pm2
        .keys
        .iter()
        .filter(|k| {
            k.key_loc
                .is_none_or(|l| !l.range.contains_range(typing) && l.range != typing)
        })
        .map(|k| k.key.as_str())
        .collect();
    let taken = |option: &OptionSpec| {
        options::names_of(option)
            .iter()
            .any(|name| present.contains(&name.as_str()))
    };
    let rank = |name: &str| {
        PORT_OPTIONS
            .iter()
            .position(|p| *p == name)
            .unwrap_or(PORT_OPTIONS.len())
    };
    // A key typed bare is written as the app's other keys are: quoted in a JSON file that quotes them.
    let written = quote.or_else(|| {
        app.pm2
            .keys
            .iter()
            .filter_map(|k| k.key_loc)
            .filter(|l| !l.range.contains_range(typing))
            .find_map(|l| text.get(l.range.as_range())?.chars().next())
            .filter(|c| matches!(c, '"' | '\''))
    });
    let mut offered: Vec<&OptionSpec> = options::OPTIONS.iter().filter(|o| !taken(o)).collect();
    if !present.contains(&"env_production") {
        offered.push(&options::ENV_BLOCK);
    }
    offered.sort_by_key(|o| rank(o.name));
    let items = offered
        .into_iter()
        .enumerate()
        .map(|(i, option)| {
            let name = if option.name == options::ENV_BLOCK.name {
                "env_production"
            } else {
                option.name
            };
            let key = match written {
                Some(q) => format!("{q}{name}{q}"),
                None => name.to_string(),
            };
            Completion {
                label: name.to_string(),
                kind: CompletionKind::Option,
                detail: option.description.to_string(),
                documentation: Some(option_text(option)),
                sort_text: format!("{i:02}"),
                replace: typing,
                insert: format!("{key}: "),
                preselect: false,
            }
        })
        .collect();
    Some(items)
}

/// The values to offer at `offset`, when the value of an option with enumerated values (`exec_mode`, the
/// interpreter, a boolean) is being typed there.
pub fn option_values(analysis: &Analysis, offset: usize) -> Option<Vec<Completion>> {
    let model = &analysis.model;
    let text = model.text();
    let Typed {
        offset,
        line_start,
        start,
        quote,
    } = typed_at(text, offset)?;
    let head = &text[line_start..start];
    let head = head.trim_end_matches(['\'', '"']).trim_end();
    let head = head.strip_suffix(':')?.trim_end();
    let key = head
        .trim_end_matches(['\'', '"'])
        .rsplit(|c: char| !is_word(c))
        .next()?;
    let option = options::option_named(key).filter(|o| !o.values.is_empty())?;
    let key_start = line_start + head.rfind(key)?;
    app_at(analysis, key_start, key_start - line_start)?;
    let after = &text[offset..];
    let end = offset + after.len() - after.trim_start_matches(is_word).len();
    let format = model.format();
    let items = option
        .values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let shown = written(value, format);
            let insert = match quote {
                Some(_) => shown.trim_matches(['\'', '"']).to_string(),
                None => shown.clone(),
            };
            Completion {
                label: shown,
                kind: CompletionKind::Value,
                detail: format!("{} — {}", option.name, option.description),
                documentation: None,
                sort_text: format!("{i:02}"),
                replace: TextRange::new(start, end),
                insert,
                preselect: i == 0,
            }
        })
        .collect();
    Some(items)
}

/// An option's hover text: what it does, its default, what it does to ports.
fn option_text(option: &OptionSpec) -> String {
    let mut text = format!("{}\n\nDefault: {}.", option.description, option.default);
    let names = options::names_of(option);
    if names.len() > 1 {
        let others: Vec<String> = names[1..].iter().map(|n| format!("`{n}`")).collect();
        text.push_str(&format!(" Also read as {}.", others.join(", ")));
    }
    if let Some(ports) = option.ports {
        text.push_str(&format!("\n\nPorts: {ports}"));
    }
    text
}

/// The hover on a key of an app at `offset`: the PM2 option it is (or that PM2 drops it), with what this app
/// makes of it where ports depend on it (its instance count, its exec mode, `serve`).
pub fn key_hover(analysis: &Analysis, config: &Config, offset: usize) -> Option<Hover> {
    let model = &analysis.model;
    for process in model
        .processes
        .iter()
        .filter(|p| p.origin == ProcessOrigin::App)
    {
        for key in &process.pm2.keys {
            let Some(loc) = key.key_loc.filter(|l| l.file.0 == 0) else {
                continue;
            };
            if !loc.range.touches(offset) {
                continue;
            }
            let mut markdown = match options::option_named(&key.key) {
                Some(option) => {
                    let title = if option.name == key.key {
                        format!("**`{}`** — PM2 option", key.key)
                    } else {
                        format!("**`{}`** — PM2's `{}`", key.key, option.name)
                    };
                    format!("{title}\n\n{}", option_text(option))
                }
                None => match options::describe_key(&key.key) {
                    Some((name, description, ports)) => {
                        let mut text = format!("**`{}`** — `{name}`\n\n{description}", key.key);
                        if let Some(ports) = ports {
                            text.push_str(&format!("\n\nPorts: {ports}"));
                        }
                        text
                    }
                    None => {
                        let hint = options::closest_name(&key.key)
                            .map(|s| format!(" Did you mean `{s}`?"))
                            .unwrap_or_default();
                        format!(
                            "**`{}`** — not a PM2 option: PM2 drops it without a word.{hint}",
                            key.key
                        )
                    }
                },
            };
            if let Some(note) = app_note(process, config, &key.key) {
                markdown.push_str(&format!("\n\n{note}"));
            }
            return Some(Hover {
                range: loc.range,
                markdown,
            });
        }
    }
    file_key_hover(analysis, offset)
}

/// Hover on a key of the file's top level beside the apps (`apps`, `static`, `deploy`): what PM2 does with it.
fn file_key_hover(analysis: &Analysis, offset: usize) -> Option<Hover> {
    let model = &analysis.model;
    let exports = model.exports.as_object()?;
    // A file that is one app has no top level of its own: its keys are the app's.
    if model.processes.iter().any(|p| p.def == model.exports.def) {
        return None;
    }
    exports.props().iter().find_map(|prop| {
        let loc = prop.key_loc.filter(|l| l.file.0 == 0)?;
        if !loc.range.touches(offset) {
            return None;
        }
        let (key, description, ports) = options::FILE_KEYS
            .iter()
            .find(|(key, _, _)| *key == prop.key)?;
        let mut markdown = format!("**`{key}`** — PM2 ecosystem file\n\n{description}");
        if let Some(ports) = ports {
            markdown.push_str(&format!("\n\nPorts: {ports}"));
        }
        Some(Hover {
            range: loc.range,
            markdown,
        })
    })
}

/// What this app makes of an option that decides its ports.
fn app_note(process: &Process, config: &Config, key: &str) -> Option<String> {
    let pm2 = &process.pm2;
    let name = process.display_name();
    let option = options::option_named(key).map_or(key, |o| o.name);
    match option {
        "instances" => Some(match pm2.instances {
            Instances::PerCpu(less) => format!(
                "Here: one per CPU{}: {} instances of `{name}` in {} mode with `[pm2] cpus = {}` (the machine decides when PM2 runs).",
                if less < 0 {
                    format!(" less {}", -less)
                } else {
                    String::new()
                },
                pm2.count,
                pm2.mode.as_str(),
                config.pm2.cpus
            ),
            Instances::Unknown => "Here: not known until PM2 runs.".to_string(),
            _ => format!("Here: {} instance(s) of `{name}` in {} mode.", pm2.count, pm2.mode.as_str()),
        }),
        "exec_mode" | "exec_interpreter" => Some(format!(
            "Here: `{name}` runs in {} mode{}{}.",
            pm2.mode.as_str(),
            pm2.interpreter
                .as_deref()
                .map(|i| format!(" under `{i}`"))
                .unwrap_or_default(),
            match (pm2.mode, &pm2.launcher) {
                (ExecMode::Cluster, Some(l)) => {
                    format!("; {l} starts the server in a child process of each worker, so the workers do not share its port")
                }
                _ => String::new(),
            }
        )),
        "increment_var" => pm2.increment_var.as_ref().map(|var| {
            format!(
                "Here: `{var}` is raised by one for each of the {} instances.",
                pm2.count
            )
        }),
        "script" if pm2.serve => Some(
            "Here: PM2's own static file server, serving `PM2_SERVE_PORT`, else the second word of `args`, else 8080."
                .to_string(),
        ),
        _ => None,
    }
}
