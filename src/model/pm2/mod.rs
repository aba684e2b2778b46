//! What PM2 itself does with an app (facts from PM2 7.0.3's loader; spec §11): its interpreter and exec mode,
//! how many instances it starts, whether the script starts the server in a child process, and which of the
//! app's keys and values PM2's validation drops or refuses. The option facts are in [`options`].

pub mod options;

use super::value::{Loc, Object, Prop, Traced, Value, truthy};
use options::{JsType, OPTIONS, OptionSpec};

/// How PM2 runs an app's instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecMode {
    /// Each instance is its own process and binds its ports itself.
    Fork,
    /// Node's cluster module: the workers share one listening port.
    Cluster,
}

impl ExecMode {
    /// The word PM2 uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecMode::Fork => "fork",
            ExecMode::Cluster => "cluster",
        }
    }
}

/// What `instances` says, after PM2's own conversions (`'max'` is 0, another string is its leading integer
/// or 0).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum Instances {
    /// Not given: one instance.
    Absent,
    /// A count that does not depend on the machine (1 or more).
    Fixed(i64),
    /// One per CPU (`0`, `'max'`, another non-numeric string), less `k` for `-k`.
    PerCpu(i64),
    /// Not known statically.
    Unknown,
}

/// PM2's reading of one app: what decides how many processes bind its ports.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Pm2App {
    /// The exec mode PM2 runs it in.
    pub mode: ExecMode,
    /// Whether the file says the mode (else it is PM2's default); `None` when it cannot be known.
    pub mode_known: bool,
    /// The interpreter PM2 picks (`node`, `bun`, `python`, `none`, …), when it can be known.
    pub interpreter: Option<String>,
    /// What `instances` says.
    pub instances: Instances,
    /// Where `instances` is: its value's use, and its key.
    pub instances_at: Option<(Loc, Option<Loc>)>,
    /// How many processes PM2 starts, the `[pm2] cpus` count standing in for the machine's.
    pub count: u32,
    /// What starts the server in a child process, when the script is a package manager or launcher (`npm`,
    /// `yarn`, `bun run`, a shell script): in cluster mode each worker's child binds the port itself.
    pub launcher: Option<String>,
    /// `increment_var`'s key, when given.
    pub increment_var: Option<String>,
    /// Whether `script` is exactly `'serve'`: PM2's own static file server.
    pub serve: bool,
    /// Every key of the app with where its value is, for completion and hover.
    pub keys: Vec<AppProp>,
    /// The app's keys PM2 drops (before `[pm2] extra_keys` are taken out).
    pub dropped: Vec<AppKey>,
    /// The app's values PM2's validation refuses.
    pub refused: Vec<RefusedValue>,
}

/// A key of an app, where it is written.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AppKey {
    /// The key.
    pub key: String,
    /// Where it is written.
    pub key_loc: Option<Loc>,
}

/// A key of an app, with where it and its value are.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AppProp {
    /// The key.
    pub key: String,
    /// Where it is written.
    pub key_loc: Option<Loc>,
    /// Where its value is used in the app.
    pub value: Loc,
    /// Whether the value is an object or an array (whose insides are not the app's keys).
    pub nested: bool,
}

/// A value PM2's validation refuses.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RefusedValue {
    /// The key as written.
    pub key: String,
    /// The option it is (`exec_interpreter` for `interpreter`; `env_<name>` for an env block).
    pub option: &'static str,
    /// Where the key is written.
    pub key_loc: Option<Loc>,
    /// Where the value is used in the app (a finding points here).
    pub value_use: Loc,
    /// Where it is defined.
    pub value_def: Loc,
    /// The value as a message shows it.
    pub shown: String,
    /// What PM2 accepts instead.
    pub accepts: String,
}

/// A value as a message shows it: a string quoted, a number or boolean as written, else its kind.
pub fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{}'", s.text),
        Value::Number(n) => super::value::number_to_string(*n),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        _ => "a value".into(),
    }
}

/// Scripts known to be binaries, which PM2 runs with no interpreter (fork mode by default).
const BINARIES: &[&str] = &[
    "bash",
    "sh",
    "zsh",
    "python",
    "python3",
    "ruby",
    "php",
    "perl",
    "java",
    "go",
    "deno",
    "bun",
    "bunx",
    "docker",
    "caddy",
    "nginx",
    "redis-server",
    "uvicorn",
    "gunicorn",
];

/// PM2's interpreter for a script extension.
fn interpreter_for_extension(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "js" | "cjs" | "mjs" => "node",
        "ts" | "tsx" => "bun",
        "py" => "python",
        "sh" => "bash",
        "rb" => "ruby",
        "php" => "php",
        "pl" => "perl",
        "coffee" => "coffee",
        "ls" => "lsc",
        _ => return None,
    })
}

/// A JavaScript truthiness where the unknown counts as truthy: PM2's `a || b` keeps an `a` we cannot see.
fn truthy_or_unknown(value: &Value) -> bool {
    truthy(value).unwrap_or(true)
}

/// The value PM2 reads for `option` from an app: the option's own key when truthy, else each alias in PM2's
/// order while the value so far is falsy. Returns the property that supplied it.
pub fn effective<'o>(object: &'o Object, option: &OptionSpec) -> Option<&'o Prop> {
    let names = options::names_of(option);
    let mut current = object.get(names.first()?);
    for alias in &names[1..] {
        if current.is_some_and(|p| truthy_or_unknown(&p.value.value)) {
            break;
        }
        current = object.get(alias);
    }
    current
}

/// `script` as PM2's loader leaves it: `cmd` or `command` stand in when there is no script.
fn script_prop(object: &Object) -> Option<&Prop> {
    let script = OPTIONS.iter().find(|o| o.name == "script")?;
    let prop = effective(object, script);
    if prop.is_some_and(|p| truthy_or_unknown(&p.value.value)) {
        return prop;
    }
    object
        .get("cmd")
        .filter(|p| truthy_or_unknown(&p.value.value))
        .or_else(|| object.get("command"))
        .or(prop)
}

/// JavaScript's `parseInt(s) || 0` as PM2 applies it to a string `instances`.
fn instances_of_string(s: &str) -> i64 {
    if s == "max" {
        return 0;
    }
    let n = super::eval::parse_int(s, None);
    if n.is_finite() { n as i64 } else { 0 }
}

/// Reads PM2's view of an app. `use_of` gives a value's use inside the app; `cpus` stands in for the
/// machine's CPU count.
pub fn read_app(object: &Object, use_of: &dyn Fn(&Traced) -> Loc, cpus: u32) -> Pm2App {
    let option = |name: &str| OPTIONS.iter().find(|o| o.name == name);
    let string = |prop: Option<&Prop>| prop.and_then(|p| p.value.as_str().map(str::to_string));
    let script_prop = script_prop(object);
    let script = string(script_prop);
    let serve = script.as_deref() == Some("serve");
    let args = object.get("args").and_then(|p| match &p.value.value {
        Value::String(s) => Some(s.text.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Traced::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    });
    let explicit_interpreter = option("exec_interpreter")
        .and_then(|o| effective(object, o))
        .filter(|p| truthy_or_unknown(&p.value.value));
    let interpreter = match explicit_interpreter {
        Some(prop) => prop.value.as_str().map(str::to_string),
        None if serve => Some("node".into()),
        None => match (&script, script_prop) {
            // A command with a space is run through `bash -c`: a binary, no interpreter.
            (Some(script), _) if script.contains(' ') => Some("none".into()),
            (Some(script), _) => {
                let path = std::path::Path::new(script);
                let base = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match path.extension().map(|e| e.to_string_lossy().into_owned()) {
                    Some(ext) => Some(
                        interpreter_for_extension(&ext)
                            .unwrap_or("node")
                            .to_string(),
                    ),
                    None if BINARIES.contains(&base.as_str()) => Some("none".into()),
                    None => Some("node".into()),
                }
            }
            // No script: PM2 refuses the app; an unknown one is most likely a Node script.
            (None, Some(_)) => None,
            (None, None) => Some("node".into()),
        },
    };
    let instances_prop = object.get("instances");
    let (instances, raw) = match instances_prop.map(|p| &p.value.value) {
        None | Some(Value::Undefined | Value::Null) => (Instances::Absent, None),
        Some(Value::Number(n)) if n.is_finite() => {
            let n = n.trunc() as i64;
            (count_kind(n), Some(n))
        }
        Some(Value::String(s)) => {
            let n = instances_of_string(&s.text);
            (count_kind(n), Some(n))
        }
        _ => (Instances::Unknown, None),
    };
    let instances_at = instances_prop.map(|p| (use_of(&p.value), p.key_loc));
    let count = match instances {
        Instances::Absent | Instances::Unknown => 1,
        Instances::Fixed(n) => u32::try_from(n.clamp(1, 4096)).unwrap_or(1),
        Instances::PerCpu(less) => {
            let n = i64::from(cpus) + less;
            u32::try_from(n.max(1)).unwrap_or(1)
        }
    };
    // PM2's default exec mode: cluster when `instances` is ≥ 1, 0 or −1 and the interpreter is Node or Bun.
    let execute_command = object
        .get("execute_command")
        .is_some_and(|p| matches!(p.value.value, Value::Bool(true)));
    let explicit_mode = effective(object, option("exec_mode").expect("in the table"))
        .filter(|p| truthy_or_unknown(&p.value.value));
    let (mode, mode_known) = if execute_command {
        (ExecMode::Fork, true)
    } else {
        match explicit_mode.map(|p| &p.value.value) {
            Some(Value::String(s)) if s.text.starts_with("cluster") => (ExecMode::Cluster, true),
            Some(Value::String(s)) if s.text.starts_with("fork") => (ExecMode::Fork, true),
            Some(_) => (ExecMode::Fork, false),
            None => {
                let node_or_bun = interpreter.as_deref().is_some_and(|i| {
                    let base = i.rsplit(['/', '\\']).next().unwrap_or(i);
                    base.ends_with("node") || base.ends_with("bun")
                });
                let many = raw.is_some_and(|n| n >= 1 || n == 0 || n == -1);
                let known = interpreter.is_some() && instances != Instances::Unknown;
                if many && node_or_bun {
                    (ExecMode::Cluster, known)
                } else {
                    (ExecMode::Fork, known)
                }
            }
        }
    };
    let launcher = if serve {
        None
    } else {
        launcher_of(script.as_deref(), args.as_deref(), interpreter.as_deref())
    };
    let keys = object
        .props()
        .iter()
        .map(|p| AppProp {
            key: p.key.clone(),
            key_loc: p.key_loc,
            value: use_of(&p.value),
            nested: matches!(p.value.value, Value::Object(_) | Value::Array(_)),
        })
        .collect();
    let dropped = dropped_keys(object, &[])
        .into_iter()
        .map(|p| AppKey {
            key: p.key.clone(),
            key_loc: p.key_loc,
        })
        .collect();
    let refused = refused_values(object)
        .into_iter()
        .map(|problem| RefusedValue {
            key: problem.prop.key.clone(),
            option: problem.option,
            key_loc: problem.prop.key_loc,
            value_use: use_of(problem.value),
            value_def: problem.value.def,
            shown: shown(&problem.value.value),
            accepts: problem.accepts,
        })
        .collect();
    Pm2App {
        mode,
        mode_known,
        interpreter,
        instances,
        instances_at,
        count,
        launcher,
        increment_var: string(object.get("increment_var")),
        serve,
        keys,
        dropped,
        refused,
    }
}

fn count_kind(n: i64) -> Instances {
    if n >= 1 {
        Instances::Fixed(n)
    } else {
        Instances::PerCpu(n)
    }
}

/// What starts the server in a child process: a package manager or launcher (`npm start`, `yarn dev`,
/// `npx next start`, `bun run start`), or a shell script.
fn launcher_of(
    script: Option<&str>,
    args: Option<&str>,
    interpreter: Option<&str>,
) -> Option<String> {
    let script = script?;
    if script.contains(' ') {
        return Some(format!("`bash -c '{script}'`"));
    }
    let path = std::path::Path::new(script);
    let base = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = base.strip_suffix(".js").unwrap_or(&base);
    let first_arg = args.and_then(|a| a.split_whitespace().next());
    match stem {
        "npm" | "yarn" | "pnpm" | "npx" | "bunx" => return Some(format!("`{stem}`")),
        "bun" if first_arg == Some("run") => return Some("`bun run`".into()),
        _ => {}
    }
    let shell = path.extension().is_some_and(|e| e == "sh")
        || interpreter.is_some_and(|i| {
            let i = i.rsplit('/').next().unwrap_or(i);
            matches!(i, "bash" | "sh" | "zsh")
        });
    shell.then(|| "a shell script".to_string())
}

/// A value PM2's validation refuses, which stops `pm2 start` for the whole file.
#[derive(Clone, Debug)]
pub struct OptionProblem<'o> {
    /// The property holding it.
    pub prop: &'o Prop,
    /// The option it is.
    pub option: &'static str,
    /// The value refused (one alternative of it, for a value chosen at run time).
    pub value: &'o Traced,
    /// What PM2 accepts instead.
    pub accepts: String,
}

/// The value's type as PM2's validation sees it, `None` for values it skips (`undefined`, `null`, unknown).
fn js_type(value: &Value) -> Option<JsType> {
    Some(match value {
        Value::Number(_) => JsType::Number,
        Value::String(_) => JsType::String,
        Value::Bool(_) => JsType::Boolean,
        Value::Array(_) => JsType::Array,
        Value::Object(_) => JsType::Object,
        _ => return None,
    })
}

/// JavaScript's `Number(value)` for the values PM2 converts, `None` when it is `NaN` (or not known).
fn as_number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => *n,
        Value::String(s) => super::eval::string_to_number(&s.text),
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items
                .iter()
                .map(|t| super::value::to_js_string(&t.value))
                .collect();
            super::eval::string_to_number(&parts?.join(","))
        }
        _ => return None,
    };
    (!n.is_nan()).then_some(n)
}

/// JavaScript's `parseFloat` of a value's string form (PM2 converts a number-like value with it).
fn parse_float(value: &Value) -> f64 {
    let text = match value {
        Value::Number(n) => return *n,
        Value::String(s) => s.text.clone(),
        other => super::value::to_js_string(other).unwrap_or_default(),
    };
    let t = text.trim_start();
    if let Some(rest) = t.strip_prefix('-').or_else(|| t.strip_prefix('+'))
        && rest.starts_with("Infinity")
    {
        return if t.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if t.starts_with("Infinity") {
        return f64::INFINITY;
    }
    let bytes = t.as_bytes();
    let mut end = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits = |from: usize| {
        (from..bytes.len())
            .take_while(|&i| bytes[i].is_ascii_digit())
            .count()
    };
    let int = digits(end);
    end += int;
    let mut frac = 0;
    if bytes.get(end) == Some(&b'.') {
        frac = digits(end + 1);
        if int > 0 || frac > 0 {
            end += 1 + frac;
        }
    }
    if int == 0 && frac == 0 {
        return f64::NAN;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exp = digits(end + 1 + sign);
        if exp > 0 {
            end += 1 + sign + exp;
        }
    }
    t[..end].parse().unwrap_or(f64::NAN)
}

/// Why PM2 refuses `value` for `option`, or `None` when it accepts it.
pub fn refusal(option: &OptionSpec, value: &Value) -> Option<String> {
    let mut kind = js_type(value)?;
    let mut number = None;
    if kind != JsType::Boolean
        && option.types.contains(&JsType::Number)
        && as_number(value).is_some()
    {
        number = Some(parse_float(value));
        kind = JsType::Number;
    }
    let accepts = || {
        let names: Vec<&str> = option.types.iter().map(|t| t.name()).collect();
        names.join(" or ")
    };
    if !option.types.contains(&kind) {
        let extra = if option.types == [JsType::Boolean] && matches!(value, Value::String(_)) {
            " (a string such as `'false'` is not one)"
        } else {
            ""
        };
        return Some(format!("{}{extra}", accepts()));
    }
    if let (JsType::String, Some(pattern), Value::String(s)) = (kind, option.pattern, value)
        && !pattern.accepts(&s.text)
    {
        return Some(pattern.describe().to_string());
    }
    if let (Some(n), Some(min)) = (number, option.min)
        && n < min
    {
        return Some(format!(
            "a number of at least {}",
            super::value::number_to_string(min)
        ));
    }
    None
}

/// Every statically known value of an app that PM2's validation refuses (any one stops `pm2 start` for the
/// whole file), read as PM2 reads the app: aliases, its loader's conversions (`cmd` → `script`, `'max'` and
/// other strings in `instances`, `execute_command`), the `env_*` pattern.
pub fn refused_values(object: &Object) -> Vec<OptionProblem<'_>> {
    let mut out = Vec::new();
    let execute_command = object
        .get("execute_command")
        .is_some_and(|p| matches!(p.value.value, Value::Bool(true) | Value::Number(1.0)));
    // Only the options some key of the app names (and `script`, which `cmd` and `command` stand in for),
    // each once, in the table's order.
    let mut named: Vec<&OptionSpec> = object
        .props()
        .iter()
        .filter_map(|p| options::option_named(&p.key))
        .chain(OPTIONS.iter().find(|o| o.name == "script"))
        .collect();
    named.sort_by_key(|o| options::index_of(o));
    named.dedup_by(|a, b| std::ptr::eq(*a, *b));
    for option in named {
        let prop = match option.name {
            "script" => script_prop(object),
            // PM2's loader makes any string a number here (`'max'` is 0).
            "instances" => {
                effective(object, option).filter(|p| !matches!(p.value.value, Value::String(_)))
            }
            "exec_mode" if execute_command => None,
            _ => effective(object, option),
        };
        let Some(prop) = prop else { continue };
        for value in prop.value.possibilities() {
            if let Some(accepts) = refusal(option, &value.value) {
                out.push(OptionProblem {
                    prop,
                    option: option.name,
                    value,
                    accepts,
                });
            }
        }
    }
    for prop in object
        .props()
        .iter()
        .filter(|p| options::is_env_block_key(&p.key))
    {
        for value in prop.value.possibilities() {
            if matches!(
                value.value,
                Value::Null | Value::Number(_) | Value::Bool(_) | Value::Array(_)
            ) {
                out.push(OptionProblem {
                    prop,
                    option: options::ENV_BLOCK.name,
                    value,
                    accepts: options::ENV_BLOCK
                        .types
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(" or "),
                });
            }
        }
    }
    out
}

/// The keys of an app PM2 drops (neither an option under any name, an `env_*` block, nor a key its loader
/// reads), other than PortOS's `ports` and the configured `extra` keys.
pub fn dropped_keys<'o>(object: &'o Object, extra: &[String]) -> Vec<&'o Prop> {
    object
        .props()
        .iter()
        .filter(|p| !options::is_known_key(&p.key) && !extra.contains(&p.key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::model_of;

    fn app(fields: &str) -> Pm2App {
        let model = model_of(&format!("module.exports = {{ apps: [{{ {fields} }}] }};"));
        model.processes[0].pm2.clone()
    }

    #[test]
    fn exec_mode_defaults_as_pm2_picks_them() {
        assert_eq!(app("script: 'a.js'").mode, ExecMode::Fork);
        assert_eq!(app("script: 'a.js', instances: 2").mode, ExecMode::Cluster);
        assert_eq!(
            app("script: 'a.js', instances: 'max'").mode,
            ExecMode::Cluster
        );
        assert_eq!(app("script: 'a.js', instances: -1").mode, ExecMode::Cluster);
        assert_eq!(app("script: 'a.js', instances: -2").mode, ExecMode::Fork);
        assert_eq!(app("script: 'a.py', instances: 2").mode, ExecMode::Fork);
        assert_eq!(app("script: 'a.ts', instances: 2").mode, ExecMode::Cluster);
        assert_eq!(app("script: 'npm', instances: 2").mode, ExecMode::Cluster);
        assert_eq!(
            app("script: 'npm start', instances: 2").mode,
            ExecMode::Fork
        );
        assert_eq!(
            app("script: 'a.js', instances: 2, exec_mode: 'fork'").mode,
            ExecMode::Fork
        );
        assert_eq!(
            app("script: 'a.js', instances: 2, interpreter: 'python3'").mode,
            ExecMode::Fork
        );
    }

    #[test]
    fn instance_counts() {
        assert_eq!(app("script: 'a.js'").count, 1);
        assert_eq!(app("script: 'a.js', instances: '3'").count, 3);
        assert_eq!(app("script: 'a.js', instances: 'max'").count, 4);
        assert_eq!(app("script: 'a.js', instances: 0").count, 4);
        assert_eq!(app("script: 'a.js', instances: -1").count, 3);
        assert_eq!(app("script: 'a.js', instances: -9").count, 1);
        assert_eq!(
            app("script: 'a.js', instances: 'lots'").instances,
            Instances::PerCpu(0)
        );
    }

    #[test]
    fn launchers() {
        assert_eq!(
            app("script: 'npm', args: 'start'").launcher.as_deref(),
            Some("`npm`")
        );
        assert_eq!(
            app("script: 'bun', args: 'run start'").launcher.as_deref(),
            Some("`bun run`")
        );
        assert_eq!(
            app("script: './start.sh'").launcher.as_deref(),
            Some("a shell script")
        );
        assert_eq!(app("script: 'server.js'").launcher, None);
        assert!(app("script: 'serve'").serve);
    }

    #[test]
    fn parse_float_is_javascripts() {
        let s = |t: &str| parse_float(&Value::String(crate::model::Str::plain(t)));
        assert_eq!(s("12abc"), 12.0);
        assert_eq!(s(" 1e3"), 1000.0);
        assert!(s("").is_nan() && s("x").is_nan());
        assert_eq!(s("0x10"), 0.0);
        assert_eq!(s(".5"), 0.5);
    }
}
