//! What an ecosystem file declares: its PM2 processes and every port use in them, read from evaluated values.

use super::value::{Loc, Object, Traced, Unknown, Value};
use serde::Serialize;

/// Where a port use sits in a process, which decides how PortOS labels it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "block", rename_all = "kebab-case")]
pub enum PortSource {
    /// An entry of the process's `ports` map (literal or referenced).
    PortsMap,
    /// A `PORT` / `*_PORT` key in an env block, named by the block (`env`, `env_production`, …).
    Env(String),
    /// `--port N` / `--port=N` in `args`.
    Args,
    /// A bare `port` key on the process.
    BarePort,
    /// A port flag of a web server program that PortOS does not read (spec §9): `-p N` / `-p=N` of next, serve,
    /// http-server or live-server, `-l N` / `--listen N` of serve, in `args`.
    ProgramFlag,
    /// Node's inspector, `--inspect[=[host:]N]` / `--inspect-brk[=…]` (9229 when no number is given), in the
    /// field named (`node_args`, `interpreter_args` or `args`). PortOS does not read it either.
    Inspector(String),
    /// The `port` of an entry of the file's `static` list: PM2 starts its static file server on it.
    Static,
    /// The port of `script: 'serve'` when no `PM2_SERVE_PORT` is set: the second word of `args`, else 8080.
    Serve,
}

impl PortSource {
    /// Whether PortOS's detector reads ports from this source (the others are served but never listed).
    pub fn read_by_portos(&self) -> bool {
        !matches!(
            self,
            PortSource::ProgramFlag
                | PortSource::Inspector(_)
                | PortSource::Static
                | PortSource::Serve
        )
    }
}

/// One concrete port number and the literal that defines it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Port {
    /// The number as written (checked for being an integer in range by a rule).
    pub number: f64,
    /// Where it is defined: quick fixes edit here.
    pub def: Loc,
}

impl Port {
    /// The number as a port, when it is an integer in 0–65535.
    pub fn as_u16(&self) -> Option<u16> {
        (self.number.fract() == 0.0 && (0.0..=65535.0).contains(&self.number))
            .then_some(self.number as u16)
    }
}

/// What a port-like key holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PortValue {
    /// One number.
    Definite {
        /// The port.
        port: Port,
    },
    /// One of several numbers chosen at run time; each is checked.
    Alternatives {
        /// The candidates, in source order.
        ports: Vec<Port>,
        /// Whether the key may also be absent (it is set only under a condition): then no number is definite.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        maybe_absent: bool,
    },
    /// Known, but not a number (`'auto'`, `true`, an object).
    NotANumber {
        /// What it is, for the message.
        shown: String,
    },
    /// Not known statically.
    Unknown {
        /// Why.
        why: Unknown,
    },
}

impl PortValue {
    /// Every candidate port (one for a definite value).
    pub fn ports(&self) -> &[Port] {
        match self {
            PortValue::Definite { port } => std::slice::from_ref(port),
            PortValue::Alternatives { ports, .. } => ports,
            _ => &[],
        }
    }

    /// The single value when every alternative agrees, as the PortOS-compatible listing requires.
    pub fn definite(&self) -> Option<Port> {
        if let PortValue::Alternatives {
            maybe_absent: true, ..
        } = self
        {
            return None;
        }
        let ports = self.ports();
        let first = *ports.first()?;
        ports
            .iter()
            .all(|p| p.number == first.number)
            .then_some(first)
    }
}

/// One place a process states a port.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PortUse {
    /// Which kind of place.
    pub source: PortSource,
    /// The key (`PORT`, `api`, `--port`, `port`).
    pub key: String,
    /// Where the key is written, when it is.
    pub key_loc: Option<Loc>,
    /// The value.
    pub value: PortValue,
    /// The nearest place inside the process that produces the value: diagnostics point here.
    pub use_loc: Loc,
    /// For PM2's `instances` + `increment_var` fan-out: which instance (1…N−1) this derived use is.
    pub instance: Option<u32>,
}

/// A process's `ports` map.
#[derive(Clone, Debug, Serialize)]
pub struct PortsMap {
    /// Where the map is used in the process.
    pub loc: Loc,
    /// Whether it is a reference to a table (`ports: PORTS.gateway`) rather than a literal.
    pub via_reference: bool,
    /// Its entries in key order.
    pub entries: Vec<PortUse>,
}

/// One `env` or `env_<name>` block, or a `deploy.<name>.env` block of the file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvBlock {
    /// `env`, `env_production`, …, or `deploy.production.env`.
    pub name: String,
    /// Where the block's value is used in the process (for a deploy block: where it is written).
    pub loc: Loc,
    /// Its port-like entries, in key order.
    pub entries: Vec<PortUse>,
    /// Whether it is the file's `deploy.<name>.env`: the lowest layer of that environment, under `env`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deploy: bool,
}

impl EnvBlock {
    /// The environment name PM2 uses for `--env NAME` (`production` for `env_production` and for
    /// `deploy.production.env`); `None` for `env`.
    pub fn environment(&self) -> Option<&str> {
        if self.deploy {
            return self
                .name
                .strip_prefix("deploy.")
                .and_then(|rest| rest.strip_suffix(".env"));
        }
        self.name.strip_prefix("env_")
    }
}

/// Where a process comes from: an app of the file, or an entry of its `static` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessOrigin {
    /// An element of `apps` (or the one app the file is).
    App,
    /// An entry of `static`: PM2's static file server, started beside the apps.
    Static,
}

/// One PM2 process (an element of `apps`).
#[derive(Clone, Debug, Serialize)]
pub struct Process {
    /// Its `name`, when known.
    pub name: Option<String>,
    /// Where the name is (or the whole app when it has none).
    pub name_loc: Loc,
    /// The object literal that defines the app.
    pub def: Loc,
    /// Where the app is used in the `apps` list.
    pub use_loc: Loc,
    /// `script`, `args` (joined), `interpreter` as strings when known: for "uses Vite".
    pub script: Option<String>,
    /// The args as one string, when known.
    pub args: Option<String>,
    /// The interpreter, when known.
    pub interpreter: Option<String>,
    /// Whether the process runs Vite: `script`/`args`/`interpreter` name `vite`, or an env has `VITE_PORT`.
    pub uses_vite: bool,
    /// The `ports` map, if any.
    pub ports_map: Option<PortsMap>,
    /// Env blocks in source order.
    pub env_blocks: Vec<EnvBlock>,
    /// Ports given on the command line.
    pub args_ports: Vec<PortUse>,
    /// A bare `port` key.
    pub bare_port: Option<PortUse>,
    /// Ports served through flags PortOS does not read: a server program's `-p` / `--listen`, Node's
    /// `--inspect` (spec §9), a `static` entry's port.
    pub unlisted_ports: Vec<PortUse>,
    /// The port `script: 'serve'` falls back to where no `PM2_SERVE_PORT` is set (the second word of `args`,
    /// else 8080 at the script's value): served only in the environments without one.
    pub serve_ports: Vec<PortUse>,
    /// The bare `port` fanned out over the instances when `increment_var` is `PORT` (PM2 sets `env.PORT` from
    /// `port` before it raises it per instance).
    pub port_instances: Vec<PortUse>,
    /// What PM2 does with the app: its mode, interpreter and instance count.
    pub pm2: super::pm2::Pm2App,
    /// An app, or a `static` entry.
    pub origin: ProcessOrigin,
    /// The name PM2 gives an app without a `name`: its script's file name without the extension
    /// (`<unnamed>` when the script is not known either).
    pub pm2_name: String,
}

impl Process {
    /// The name to show, with a stand-in for unnamed apps.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.pm2_name)
    }

    /// Every port use in source-precedence order: ports map, env blocks, args, bare port.
    pub fn port_uses(&self) -> impl Iterator<Item = &PortUse> {
        self.ports_map
            .iter()
            .flat_map(|m| m.entries.iter())
            .chain(self.env_blocks.iter().flat_map(|b| b.entries.iter()))
            .chain(self.args_ports.iter())
            .chain(self.bare_port.iter())
            .chain(self.unlisted_ports.iter())
            .chain(self.serve_ports.iter())
    }
}

/// An `apps` list, or part of one, that is computed at run time.
#[derive(Clone, Debug, Serialize)]
pub struct DynamicApps {
    /// Where.
    pub loc: Loc,
    /// Why it cannot be known.
    pub why: Unknown,
}

/// Whether an env key names a port by PortOS's convention (`PORT`, `<STEM>_PORT`), read with Unicode
/// letters rather than PortOS's ASCII word boundaries (so `ÜBER_PORT` is itself, not `BER_PORT`).
pub fn is_port_env_key(key: &str) -> bool {
    if key == "PORT" {
        return true;
    }
    let Some(stem) = key.strip_suffix("_PORT") else {
        return false;
    };
    let mut chars = stem.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() && !c.is_lowercase())
        && stem
            .chars()
            .all(|c| c == '_' || c.is_ascii_digit() || (c.is_alphabetic() && !c.is_lowercase()))
}

/// What reading an app needs besides its value: the file's `deploy.<name>.env` blocks (every app's lowest env
/// layer) and the CPU count standing in for the machine's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppContext {
    /// The file's deploy env blocks.
    pub deploy: Vec<EnvBlock>,
    /// `[pm2] cpus`.
    pub cpus: u32,
    /// Whether every value is written where the model reads it (YAML): a value reached through an alias
    /// keeps its anchored place, outside the app maybe, and a finding points there rather than at the app.
    pub values_in_place: bool,
}

/// The file's `deploy.<name>.env` blocks, read from its exports: PM2 lays each under every app's `env` when
/// started with `--env <name>`.
pub fn deploy_blocks(exports: &Traced) -> Vec<EnvBlock> {
    let Some(deploy) = exports
        .as_object()
        .and_then(|o| o.get("deploy"))
        .and_then(|p| p.value.as_object())
    else {
        return Vec::new();
    };
    deploy
        .props()
        .iter()
        .filter_map(|target| {
            let env = target.value.as_object()?.get("env")?;
            let block = env.value.as_object()?;
            let name = format!("deploy.{}.env", target.key);
            let source = PortSource::Env(name.clone());
            let entries = block
                .props()
                .iter()
                .filter(|e| is_port_env_key(&e.key))
                .map(|entry| PortUse {
                    source: source.clone(),
                    key: entry.key.clone(),
                    key_loc: entry.key_loc,
                    value: port_value(&entry.value),
                    use_loc: entry.value.use_,
                    instance: None,
                })
                .collect();
            Some(EnvBlock {
                name,
                loc: env.value.use_,
                entries,
                deploy: true,
            })
        })
        .collect()
}

/// The processes of the file's `static` list: PM2's static file server once per entry, named
/// `static-page-server-PORT` unless the entry has a `name`, serving the entry's `port` (8080 without one).
pub fn static_processes(exports: &Traced, context: &AppContext) -> Vec<Process> {
    let Some(list) = exports.as_object().and_then(|o| o.get("static")) else {
        return Vec::new();
    };
    let entries: Vec<&Traced> = match &list.value.value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![&list.value],
        _ => return Vec::new(),
    };
    entries
        .into_iter()
        .filter_map(|entry| {
            let object = entry.as_object()?;
            let walk = AppWalk::new(entry, context);
            let anchor = if walk.inside(entry.use_) {
                entry.use_
            } else {
                entry.def
            };
            let port_prop = object.get("port");
            let port_use = match port_prop {
                Some(prop) => walk.key_use(PortSource::Static, "static", prop, anchor),
                None => PortUse {
                    source: PortSource::Static,
                    key: "static".into(),
                    key_loc: None,
                    value: PortValue::Definite {
                        port: Port {
                            number: 8080.0,
                            def: entry.def,
                        },
                    },
                    use_loc: anchor,
                    instance: None,
                },
            };
            let shown_port = port_prop
                .and_then(|p| super::value::to_js_string(&p.value.value))
                .unwrap_or_else(|| "undefined".into());
            let name_prop = object.get("name").filter(|p| p.value.as_str().is_some());
            let name = name_prop
                .and_then(|p| p.value.as_str().map(str::to_string))
                .unwrap_or_else(|| format!("static-page-server-{shown_port}"));
            let name_loc = name_prop
                .map(|p| walk.use_of(&p.value, anchor))
                .unwrap_or(anchor);
            Some(Process {
                name: Some(name.clone()),
                pm2_name: name,
                name_loc,
                def: entry.def,
                use_loc: entry.use_,
                script: None,
                args: None,
                interpreter: None,
                uses_vite: false,
                ports_map: None,
                env_blocks: Vec::new(),
                args_ports: Vec::new(),
                bare_port: None,
                unlisted_ports: vec![port_use],
                serve_ports: Vec::new(),
                port_instances: Vec::new(),
                pm2: super::pm2::Pm2App {
                    mode: super::pm2::ExecMode::Fork,
                    mode_known: true,
                    interpreter: Some("node".into()),
                    instances: super::pm2::Instances::Absent,
                    instances_at: None,
                    count: 1,
                    launcher: None,
                    increment_var: None,
                    serve: true,
                    keys: Vec::new(),
                    dropped: Vec::new(),
                    refused: Vec::new(),
                },
                origin: ProcessOrigin::Static,
            })
        })
        .collect()
}

/// Reads the processes out of an evaluated `apps` value.
pub fn processes_from_apps(
    apps: &Traced,
    context: &AppContext,
) -> (Vec<std::sync::Arc<Process>>, Vec<DynamicApps>) {
    processes_reusing(apps, context, None, None)
}

/// The processes read by one model, kept for the next model of the same file: an app whose object is the
/// very one read last time (shared with the previous evaluation, unchanged since) reads the same.
#[derive(Default)]
pub struct ProcessMemo {
    context: Option<AppContext>,
    apps: foldhash::HashMap<(Loc, Loc), (Object, std::sync::Arc<Process>)>,
    /// Per process read, in order: its app's place, and whether it was reused unchanged (so what is
    /// derived from it alone, such as its labels, can be reused too).
    pub(crate) order: Vec<((Loc, Loc), bool)>,
}

/// [`processes_from_apps`], reusing `previous`'s process for each app whose object it read (same place,
/// same shared properties) under the same context, and filling `next` for the next model.
pub fn processes_reusing(
    apps: &Traced,
    context: &AppContext,
    previous: Option<&ProcessMemo>,
    mut next: Option<&mut ProcessMemo>,
) -> (Vec<std::sync::Arc<Process>>, Vec<DynamicApps>) {
    let previous = previous.filter(|p| p.context.as_ref() == Some(context));
    if let Some(next) = next.as_deref_mut() {
        next.context = Some(context.clone());
        if let Value::Array(items) = &apps.value {
            // Sized up front: no rehash at every doubling, every keystroke.
            next.apps.reserve(items.len());
            next.order.reserve(items.len());
        }
    }
    let mut read = |item: &Traced, object: &Object| {
        let key = (item.def, item.use_);
        let reused = previous
            .and_then(|p| p.apps.get(&key))
            .filter(|(seen, _)| seen.is_same(object))
            .map(|(_, process)| process.clone());
        let unchanged = reused.is_some();
        let process =
            reused.unwrap_or_else(|| std::sync::Arc::new(read_process(item, object, context)));
        if let Some(next) = next.as_deref_mut() {
            next.apps.insert(key, (object.clone(), process.clone()));
            next.order.push((key, unchanged));
        }
        process
    };
    let mut processes = Vec::new();
    let mut dynamic = Vec::new();
    match &apps.value {
        Value::Array(items) => {
            for item in items {
                match &item.value {
                    Value::Object(object) => processes.push(read(item, object)),
                    Value::Unknown(why) => dynamic.push(DynamicApps {
                        loc: item.use_,
                        why: why.clone(),
                    }),
                    Value::Alternatives(_) => dynamic.push(DynamicApps {
                        loc: item.use_,
                        why: Unknown::Unsupported("an app chosen at run time".into()),
                    }),
                    _ => {}
                }
            }
        }
        Value::Object(object) => processes.push(read(apps, object)),
        Value::Unknown(why) => dynamic.push(DynamicApps {
            loc: apps.use_,
            why: why.clone(),
        }),
        _ => {}
    }
    (processes, dynamic)
}

/// Walks into an app keeping track of the nearest use inside the app's own literal.
struct AppWalk {
    def: Loc,
    /// [`AppContext::values_in_place`]: every use in the file is the nearest one.
    values_in_place: bool,
}

impl AppWalk {
    fn new(app: &Traced, context: &AppContext) -> Self {
        AppWalk {
            def: app.def,
            values_in_place: context.values_in_place,
        }
    }

    fn inside(&self, loc: Loc) -> bool {
        loc.file == self.def.file
            && (self.values_in_place || self.def.range.contains_range(loc.range))
    }

    /// The use to report for `value` reached from a parent whose reported use is `anchor`.
    fn use_of(&self, value: &Traced, anchor: Loc) -> Loc {
        if self.inside(value.use_) {
            value.use_
        } else {
            anchor
        }
    }

    /// A port use named `key` for a property whose value is the port (`port`, a `static` entry's `port`).
    fn key_use(
        &self,
        source: PortSource,
        key: &str,
        prop: &super::value::Prop,
        anchor: Loc,
    ) -> PortUse {
        PortUse {
            source,
            key: key.into(),
            key_loc: prop.key_loc,
            value: port_value(&prop.value),
            use_loc: self.use_of(&prop.value, anchor),
            instance: None,
        }
    }

    /// A port use for one property of a `ports` map or env block whose reported use is `anchor`.
    fn port_use(&self, source: PortSource, entry: &super::value::Prop, anchor: Loc) -> PortUse {
        PortUse {
            source,
            key: entry.key.clone(),
            key_loc: entry.key_loc,
            value: port_value(&entry.value),
            use_loc: self.use_of(&entry.value, anchor),
            instance: None,
        }
    }
}

fn read_process(app: &Traced, object: &Object, context: &AppContext) -> Process {
    let walk = AppWalk::new(app, context);
    let anchor = if walk.inside(app.use_) {
        app.use_
    } else {
        app.def
    };
    let string_of = |key: &str| object.get(key).and_then(|p| joined_string(&p.value));
    let name_prop = object.get("name");
    let name = name_prop.and_then(|p| p.value.as_str().map(str::to_string));
    let name_loc = name_prop
        .map(|p| walk.use_of(&p.value, anchor))
        .unwrap_or(app.use_);

    let ports_map = object.get("ports").and_then(|prop| {
        let map = prop.value.as_object()?;
        let loc = walk.use_of(&prop.value, anchor);
        let entries = map
            .props()
            .iter()
            .map(|entry| walk.port_use(PortSource::PortsMap, entry, loc))
            .collect();
        Some(PortsMap {
            loc,
            via_reference: prop.value.def != prop.value.use_,
            entries,
        })
    });

    let mut env_blocks: Vec<EnvBlock> = object
        .props()
        .iter()
        .filter(|p| p.key == "env" || p.key.starts_with("env_"))
        .filter_map(|prop| {
            let block = prop.value.as_object()?;
            let loc = walk.use_of(&prop.value, anchor);
            let source = PortSource::Env(prop.key.clone());
            let entries = block
                .props()
                .iter()
                .filter(|e| is_port_env_key(&e.key))
                .map(|entry| walk.port_use(source.clone(), entry, loc))
                .collect();
            Some(EnvBlock {
                name: prop.key.clone(),
                loc,
                entries,
                deploy: false,
            })
        })
        .collect();
    // The file's `deploy.<name>.env` blocks are every app's lowest layer of that environment.
    env_blocks.extend(context.deploy.iter().cloned());

    let pm2 = super::pm2::read_app(object, &|value| walk.use_of(value, anchor), context.cpus);
    if let (count @ 2.., Some(var)) = (pm2.count, pm2.increment_var.as_deref()) {
        fan_out(&mut env_blocks, var, count.min(1024));
    }

    let args_prop = object.get("args");
    let args_ports = args_prop
        .map(|p| args_port_uses(&p.value, walk.use_of(&p.value, anchor)))
        .unwrap_or_default();
    let bare_port = object
        .get("port")
        .map(|prop| walk.key_use(PortSource::BarePort, "port", prop, anchor));

    let script = string_of("script");
    let fields: Vec<(&str, &Traced, Loc)> = ["args", "node_args", "interpreter_args"]
        .into_iter()
        .filter_map(|field| {
            let prop = object.get(field)?;
            Some((field, &prop.value, walk.use_of(&prop.value, anchor)))
        })
        .collect();
    let unlisted_ports = super::command_line::unlisted_port_uses(script.as_deref(), &fields);
    let args = string_of("args");
    let interpreter = string_of("interpreter");
    let uses_vite = [&script, &args, &interpreter]
        .iter()
        .any(|s| s.as_deref().is_some_and(names_vite))
        || env_blocks
            .iter()
            .any(|b| b.entries.iter().any(|e| e.key == "VITE_PORT"));

    let port_instances = match (&bare_port, pm2.increment_var.as_deref(), pm2.count) {
        (Some(bare), Some("PORT"), count @ 2..) => bare
            .value
            .definite()
            .map(|port| {
                (1..count.min(1024))
                    .map(|i| PortUse {
                        value: PortValue::Definite {
                            port: Port {
                                number: port.number + f64::from(i),
                                def: port.def,
                            },
                        },
                        instance: Some(i),
                        ..bare.clone()
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let serve_ports = if pm2.serve {
        serve_fallback(object, &walk, anchor)
    } else {
        Vec::new()
    };
    let pm2_name = script
        .as_deref()
        .and_then(|s| std::path::Path::new(s).file_stem())
        .map(|stem| stem.to_string_lossy().into_owned())
        .filter(|stem| !stem.is_empty())
        .unwrap_or_else(|| "<unnamed>".to_string());
    Process {
        name,
        pm2_name,
        name_loc,
        def: app.def,
        use_loc: app.use_,
        script,
        args,
        interpreter,
        uses_vite,
        ports_map,
        env_blocks,
        args_ports,
        bare_port,
        unlisted_ports,
        serve_ports,
        port_instances,
        pm2,
        origin: ProcessOrigin::App,
    }
}

/// The port PM2's `serve` listens on when no `PM2_SERVE_PORT` is set: the second word of `args` (the first is
/// the path), else 8080, which a finding points at the `script` value for.
fn serve_fallback(object: &Object, walk: &AppWalk, anchor: Loc) -> Vec<PortUse> {
    let implicit = |def: Loc, use_loc: Loc| PortUse {
        source: PortSource::Serve,
        key: "PM2_SERVE_PORT".into(),
        key_loc: None,
        value: PortValue::Definite {
            port: Port {
                number: 8080.0,
                def,
            },
        },
        use_loc,
        instance: None,
    };
    let script = object
        .get("script")
        .map(|p| (p.value.def, walk.use_of(&p.value, anchor)))
        .unwrap_or((anchor, anchor));
    let Some(args) = object.get("args") else {
        return vec![implicit(script.0, script.1)];
    };
    let args_use = walk.use_of(&args.value, anchor);
    // The second word, with where its digits were written.
    let word: Option<(String, Option<Loc>)> = match &args.value.value {
        Value::String(s) => {
            let mut words = s.text.split_whitespace();
            words.next();
            words.next().map(|w| {
                let start = w.as_ptr() as usize - s.text.as_ptr() as usize;
                let digits = w.bytes().take_while(u8::is_ascii_digit).count();
                (w.to_string(), s.origin_of(start..start + digits))
            })
        }
        Value::Array(items) => items.get(1).and_then(|item| match &item.value {
            Value::String(s) => {
                let digits = s.text.bytes().take_while(u8::is_ascii_digit).count();
                Some((s.text.clone(), s.origin_of(0..digits)))
            }
            Value::Number(n) => Some((super::value::number_to_string(*n), Some(item.def))),
            _ => None,
        }),
        _ => None,
    };
    match word {
        Some((word, def)) => {
            let n = super::eval::parse_int(&word, None);
            if n.is_finite() && n != 0.0 {
                vec![PortUse {
                    value: PortValue::Definite {
                        port: Port {
                            number: n,
                            def: def.unwrap_or(args.value.def),
                        },
                    },
                    use_loc: args_use,
                    ..implicit(script.0, script.1)
                }]
            } else {
                vec![implicit(script.0, script.1)]
            }
        }
        None => vec![implicit(script.0, script.1)],
    }
}

/// PM2 gives instance i the value of `increment_var` plus i: the extra instances bind PORT+1 … PORT+N−1.
fn fan_out(env_blocks: &mut [EnvBlock], var: &str, count: u32) {
    for block in env_blocks {
        let derived: Vec<PortUse> = block
            .entries
            .iter()
            .filter(|e| e.key == var && e.instance.is_none())
            .filter_map(|e| e.value.definite().map(|p| (e, p)))
            .flat_map(|(e, port)| {
                (1..count).map(move |i| PortUse {
                    value: PortValue::Definite {
                        port: Port {
                            number: port.number + f64::from(i),
                            def: port.def,
                        },
                    },
                    instance: Some(i),
                    ..e.clone()
                })
            })
            .collect();
        block.entries.extend(derived);
    }
}

/// Whether a command names Vite as a word (`vite`, `node_modules/.bin/vite`, `npx vite dev`).
fn names_vite(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|word| word == "vite")
}

/// A string, or an array of strings joined with spaces (args given as an array).
fn joined_string(value: &Traced) -> Option<String> {
    match &value.value {
        Value::String(s) => Some(s.text.clone()),
        Value::Array(items) => {
            let parts: Option<Vec<&str>> = items.iter().map(Traced::as_str).collect();
            parts.map(|p| p.join(" "))
        }
        _ => None,
    }
}

/// Reads a port out of any value: numbers, integer strings (`'6350'`), alternatives.
pub fn port_value(value: &Traced) -> PortValue {
    match &value.value {
        Value::Number(n) => PortValue::Definite {
            port: Port {
                number: *n,
                def: value.def,
            },
        },
        Value::String(s) => match integer_string(&s.text) {
            Some(n) => {
                let trimmed_start = s.text.len() - s.text.trim_start().len();
                let digits = trimmed_start..trimmed_start + s.text.trim().len();
                PortValue::Definite {
                    port: Port {
                        number: n,
                        def: s.origin_of(digits).unwrap_or(value.def),
                    },
                }
            }
            None => PortValue::NotANumber {
                shown: format!("'{}'", s.text),
            },
        },
        Value::Alternatives(items) => {
            let mut ports = Vec::new();
            let mut maybe_absent = false;
            for item in items {
                match port_value(item) {
                    PortValue::Definite { port } => ports.push(port),
                    PortValue::Alternatives {
                        ports: more,
                        maybe_absent: absent,
                    } => {
                        ports.extend(more);
                        maybe_absent |= absent;
                    }
                    // A key set only under a condition (`if (…) env.PORT = 5590`): absent otherwise.
                    _ if matches!(item.value, Value::Undefined) => maybe_absent = true,
                    other => return other,
                }
            }
            if ports.is_empty() {
                return PortValue::NotANumber {
                    shown: "undefined".into(),
                };
            }
            PortValue::Alternatives {
                ports,
                maybe_absent,
            }
        }
        Value::Unknown(why) => PortValue::Unknown { why: why.clone() },
        Value::Bool(b) => PortValue::NotANumber {
            shown: b.to_string(),
        },
        Value::Null => PortValue::NotANumber {
            shown: "null".into(),
        },
        Value::Undefined => PortValue::NotANumber {
            shown: "undefined".into(),
        },
        Value::Object(_) => PortValue::NotANumber {
            shown: "an object".into(),
        },
        Value::Array(_) => PortValue::NotANumber {
            shown: "an array".into(),
        },
    }
}

/// `'6350'` → 6350; anything but optional spaces around ASCII digits → `None`.
fn integer_string(text: &str) -> Option<f64> {
    let t = text.trim();
    (!t.is_empty() && t.len() <= 15 && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| t.parse::<f64>().ok())
        .flatten()
}

/// `--port N` / `--port=N` in an args string or array. Only `args`: `node_args` are the interpreter's.
fn args_port_uses(args: &Traced, anchor: Loc) -> Vec<PortUse> {
    let mut uses = Vec::new();
    let mut push = |number: f64, def: Loc| {
        uses.push(PortUse {
            source: PortSource::Args,
            key: "--port".into(),
            key_loc: None,
            value: PortValue::Definite {
                port: Port { number, def },
            },
            use_loc: anchor,
            instance: None,
        })
    };
    match &args.value {
        Value::String(s) => {
            for (digits, number) in port_flags_in(&s.text) {
                push(number, s.origin_of(digits).unwrap_or(args.def));
            }
        }
        Value::Array(items) => {
            let strings: Vec<Option<&super::value::Str>> = items
                .iter()
                .map(|t| match &t.value {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect();
            for (i, item) in strings.iter().enumerate() {
                let Some(s) = item else { continue };
                if s.text == "--port" {
                    if let Some(Some(next)) = strings.get(i + 1)
                        && let Some(n) = integer_string(&next.text)
                    {
                        let range = 0..next.text.len();
                        push(n, next.origin_of(range).unwrap_or(items[i + 1].def));
                    } else if let Some(next) = items.get(i + 1)
                        && let Value::Number(n) = next.value
                    {
                        push(n, next.def);
                    }
                } else if let Some(rest) = s.text.strip_prefix("--port=")
                    && let Some(n) = integer_string(rest)
                {
                    let range = 7..s.text.len();
                    push(n, s.origin_of(range).unwrap_or(items[i].def));
                }
            }
        }
        _ => {}
    }
    uses
}

/// Finds `--port N` and `--port=N` flags in a command line: each digit run's byte range and value.
fn port_flags_in(text: &str) -> Vec<(std::ops::Range<usize>, f64)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("--port") {
        let start = from + at;
        from = start + 6;
        let before_ok = start == 0
            || text[..start].ends_with(char::is_whitespace)
            || text[..start].ends_with(['\'', '"']);
        let rest = &text[from..];
        let sep = rest.len() - rest.trim_start_matches([' ', '\t', '=']).len();
        if !before_ok || sep == 0 || (rest.starts_with('=') && sep > 1) {
            continue;
        }
        let digits_start = from + sep;
        let digits_len = text[digits_start..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let after = text[digits_start + digits_len..].chars().next();
        if digits_len == 0
            || digits_len > 15
            || after.is_some_and(|c| !c.is_whitespace() && c != '\'' && c != '"')
        {
            continue;
        }
        let range = digits_start..digits_start + digits_len;
        if let Ok(n) = text[range.clone()].parse::<f64>() {
            found.push((range, n));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_keys_follow_the_convention_with_unicode_letters() {
        for key in [
            "PORT",
            "API_PORT",
            "H2_PORT",
            "ÜBER_PORT",
            "METRICS_HTTP_PORT",
        ] {
            assert!(is_port_env_key(key), "{key}");
        }
        for key in [
            "REPORT",
            "PGPORT",
            "api_port",
            "_PORT",
            "Admin_PORT",
            "PORT_RANGE_START",
            "2_PORT",
        ] {
            assert!(!is_port_env_key(key), "{key}");
        }
    }

    #[test]
    fn port_flags() {
        let found: Vec<f64> = port_flags_in("--host 0.0.0.0 --port 5571 --port=5572")
            .into_iter()
            .map(|f| f.1)
            .collect();
        assert_eq!(found, vec![5571.0, 5572.0]);
        assert!(port_flags_in("--ports 1").is_empty());
        assert!(port_flags_in("--port abc").is_empty());
        assert!(port_flags_in("x--port 1").is_empty());
    }

    #[test]
    fn vite_is_a_word() {
        assert!(names_vite("node_modules/.bin/vite"));
        assert!(names_vite("npx vite --port 1"));
        assert!(!names_vite("vitest"));
        assert!(!names_vite("invite.js"));
    }
}
