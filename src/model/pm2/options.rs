//! PM2's app options, in one table: each option's name, aliases, the value types PM2's validation accepts, its
//! pattern and bounds, its default, and our own one-line description (facts from PM2 7.0.3's option schema and
//! loader; the words are ours). `unknown-option`, `invalid-option-value`, completion and hover all read it.

/// A JavaScript value type PM2's validation tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsType {
    /// A string.
    String,
    /// A number (a numeric string or array passes too: PM2 converts it first).
    Number,
    /// `true` or `false` only (the string `'false'` is not one).
    Boolean,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsType {
    /// The word messages use.
    pub fn name(self) -> &'static str {
        match self {
            JsType::String => "a string",
            JsType::Number => "a number",
            JsType::Boolean => "a boolean",
            JsType::Array => "an array",
            JsType::Object => "an object",
        }
    }
}

/// A pattern PM2 checks a string value against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// `fork`, `cluster`, `fork_mode` or `cluster_mode`.
    ExecMode,
    /// Digits with an optional `K`, `M` or `G`: a memory size.
    MemorySize,
    /// Digits with an optional `s`, `m` or `h`: a duration.
    Duration,
}

impl Pattern {
    /// Whether PM2 accepts `value`.
    pub fn accepts(self, value: &str) -> bool {
        let (digits, suffix) = match value.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((at, _)) => value.split_at(at),
            None => (value, ""),
        };
        match self {
            Pattern::ExecMode => matches!(value, "fork" | "cluster" | "fork_mode" | "cluster_mode"),
            Pattern::MemorySize => !digits.is_empty() && matches!(suffix, "" | "K" | "M" | "G"),
            Pattern::Duration => !digits.is_empty() && matches!(suffix, "" | "s" | "m" | "h"),
        }
    }

    /// What PM2 accepts, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Pattern::ExecMode => "`fork` or `cluster` (also `fork_mode`, `cluster_mode`)",
            Pattern::MemorySize => {
                "a number of bytes, or digits followed by `K`, `M` or `G` (`500M`), upper-case"
            }
            Pattern::Duration => {
                "a number of milliseconds, or digits followed by `s`, `m` or `h` (`10s`)"
            }
        }
    }
}

/// One PM2 app option.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    /// Its name.
    pub name: &'static str,
    /// Other names PM2 reads it under (its camelCase form is accepted too, see [`camel_case`]).
    pub aliases: &'static [&'static str],
    /// The value types PM2 accepts.
    pub types: &'static [JsType],
    /// A pattern a string value must match.
    pub pattern: Option<Pattern>,
    /// The smallest number accepted.
    pub min: Option<f64>,
    /// What PM2 does when the option is absent, in words.
    pub default: &'static str,
    /// What it does, in one sentence of ours.
    pub description: &'static str,
    /// What it does to ports, where it does.
    pub ports: Option<&'static str>,
    /// Values worth offering in completion (as they are written in a file).
    pub values: &'static [&'static str],
}

use JsType::{Array, Boolean, Number, Object, String as Str};

const fn option(
    name: &'static str,
    types: &'static [JsType],
    description: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        aliases: &[],
        types,
        pattern: None,
        min: None,
        default: "not set",
        description,
        ports: None,
        values: &[],
    }
}

const BOOL: &[&str] = &["true", "false"];

/// Every option PM2 validates an app against, in the order of PM2's schema.
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        aliases: &["exec"],
        default: "none: an app needs one",
        ports: Some(
            "`script: 'serve'` runs PM2's own static file server, which serves `PM2_SERVE_PORT`, else the second word of `args`, else 8080.",
        ),
        ..option("script", &[Str], "The file or command PM2 starts.")
    },
    OptionSpec {
        default: "the script's file name without its extension",
        ..option(
            "name",
            &[Str],
            "The process's name in PM2's list; names are global to one PM2 daemon.",
        )
    },
    option(
        "name_prefix",
        &[Str],
        "A prefix PM2 puts before the app's name.",
    ),
    OptionSpec {
        default: "false",
        values: BOOL,
        ..option(
            "filter_env",
            &[Boolean, Array, Str],
            "Keeps PM2's own environment variables (all, or those starting with the given prefixes) out of the process.",
        )
    },
    OptionSpec {
        default: "`default`",
        ..option(
            "namespace",
            &[Str],
            "A group name, so several apps can be started or stopped together.",
        )
    },
    option(
        "install_url",
        &[Str],
        "Where PM2 installs the app from (used by PM2's module system).",
    ),
    OptionSpec {
        default: "the directory PM2 is started from",
        ..option(
            "cwd",
            &[Str],
            "The working directory the process starts in.",
        )
    },
    OptionSpec {
        ports: Some(
            "Server flags in it (`--port N`, `next -p N`, `serve -l N`, `--inspect=N`) are ports the process serves.",
        ),
        ..option("args", &[Array, Str], "Arguments passed to the script.")
    },
    OptionSpec {
        aliases: &["interpreter"],
        default: "chosen by the script's extension: node for `.js`, bun for `.ts`, python for `.py`, bash for `.sh`, none for a binary",
        ports: Some(
            "With no `exec_mode`, several instances run in cluster mode (one shared port) only under Node or Bun.",
        ),
        values: &[
            "node", "bun", "python3", "python", "bash", "ruby", "php", "perl", "none",
        ],
        ..option(
            "exec_interpreter",
            &[Str],
            "The program that runs the script.",
        )
    },
    OptionSpec {
        aliases: &["interpreterArgs", "interpreter_args"],
        ports: Some("`--inspect[=N]` here opens Node's inspector on a port (9229 by default)."),
        ..option(
            "node_args",
            &[Array, Str],
            "Arguments passed to the interpreter (Node's flags).",
        )
    },
    OptionSpec {
        aliases: &["out", "output", "out_log"],
        default: "`~/.pm2/logs/<name>-out.log`",
        ..option(
            "out_file",
            &[Str],
            "Where the process's standard output is written.",
        )
    },
    OptionSpec {
        aliases: &["error", "err", "err_file", "err_log"],
        default: "`~/.pm2/logs/<name>-error.log`",
        ..option(
            "error_file",
            &[Str],
            "Where the process's standard error is written.",
        )
    },
    OptionSpec {
        aliases: &["log"],
        values: BOOL,
        ..option(
            "log_file",
            &[Boolean, Str],
            "A file receiving both output streams (`true` picks one in PM2's log directory).",
        )
    },
    OptionSpec {
        default: "false",
        values: BOOL,
        ..option(
            "disable_logs",
            &[Boolean],
            "Stops PM2 from storing the process's logs.",
        )
    },
    OptionSpec {
        values: &["json"],
        ..option(
            "log_type",
            &[Str],
            "The format of log lines (`json` writes one JSON object per line).",
        )
    },
    option(
        "log_date_format",
        &[Str],
        "A date format PM2 prefixes each log line with (such as `YYYY-MM-DD HH:mm Z`).",
    ),
    OptionSpec {
        default: "false",
        values: BOOL,
        ..option("time", &[Boolean], "Prefixes each log line with the time.")
    },
    OptionSpec {
        ports: Some(
            "Its `PORT` and `*_PORT` keys are the ports the process serves (or connects to); `port` overrides its `PORT`.",
        ),
        ..option(
            "env",
            &[Object, Str],
            "Environment variables of the process in every environment.",
        )
    },
    OptionSpec {
        pattern: Some(Pattern::MemorySize),
        ..option(
            "max_memory_restart",
            &[Str, Number],
            "Restarts the process when its memory passes this size (`300M`, `1G`).",
        )
    },
    OptionSpec {
        aliases: &["pid"],
        default: "`~/.pm2/pids/<name>-<id>.pid`",
        ..option("pid_file", &[Str], "Where PM2 writes the process's id.")
    },
    option(
        "restart_delay",
        &[Number],
        "Milliseconds to wait before restarting a process that exited.",
    ),
    option(
        "exp_backoff_restart_delay",
        &[Number],
        "Restarts a crashing process after a delay that grows each time, starting from this many milliseconds.",
    ),
    OptionSpec {
        values: BOOL,
        ..option(
            "source_map_support",
            &[Boolean],
            "Turns source-map support on for stack traces.",
        )
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "disable_source_map_support",
            &[Boolean],
            "Turns source-map support off.",
        )
    },
    OptionSpec {
        default: "false",
        values: BOOL,
        ..option(
            "wait_ready",
            &[Boolean],
            "Waits for the process to send `ready` before counting it as online.",
        )
    },
    OptionSpec {
        default: "one instance",
        ports: Some(
            "Each instance is a process: in fork mode (or when the script starts a child, such as `npm`), every instance binds the same ports and all but the first fail; `increment_var` gives each its own. `'max'`, `0` and `-k` depend on the CPU count (`[pm2] cpus`, 4 by default).",
        ),
        values: &["1", "2", "'max'", "-1"],
        ..option(
            "instances",
            &[Number],
            "How many copies of the app PM2 starts (`'max'` or `0`: one per CPU; `-1`: one per CPU but one).",
        )
    },
    OptionSpec {
        default: "1600 ms",
        ..option(
            "kill_timeout",
            &[Number],
            "Milliseconds PM2 waits after SIGINT before it sends SIGKILL.",
        )
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "shutdown_with_message",
            &[Boolean],
            "Asks the process to stop with a message instead of a signal.",
        )
    },
    option(
        "listen_timeout",
        &[Number],
        "Milliseconds PM2 waits for a process to listen (or be ready) before reloading the next one.",
    ),
    OptionSpec {
        aliases: &["cron"],
        ..option(
            "cron_restart",
            &[Str, Number],
            "A cron pattern on which PM2 restarts the process.",
        )
    },
    OptionSpec {
        aliases: &["combine_logs"],
        values: BOOL,
        ..option(
            "merge_logs",
            &[Boolean],
            "Writes the logs of every instance to one file instead of one per instance.",
        )
    },
    OptionSpec {
        default: "true",
        values: BOOL,
        ..option(
            "vizion",
            &[Boolean],
            "Lets PM2 read the app's version-control metadata.",
        )
    },
    OptionSpec {
        default: "true",
        values: BOOL,
        ..option(
            "autostart",
            &[Boolean],
            "Starts the app when the file is started (`false` only registers it).",
        )
    },
    OptionSpec {
        default: "true",
        values: BOOL,
        ..option(
            "autorestart",
            &[Boolean],
            "Restarts the process when it exits.",
        )
    },
    option(
        "stop_exit_codes",
        &[Array, Number],
        "Exit codes after which PM2 does not restart the process.",
    ),
    option(
        "watch_delay",
        &[Number],
        "Milliseconds to wait after a file change before restarting.",
    ),
    OptionSpec {
        default: "false",
        values: BOOL,
        ..option(
            "watch",
            &[Boolean, Array, Str],
            "Restarts the process when files change (`true`, or the paths to watch).",
        )
    },
    option(
        "ignore_watch",
        &[Array, Str],
        "Paths or patterns the watcher ignores.",
    ),
    option(
        "watch_options",
        &[Object],
        "Options for PM2's file watcher (chokidar).",
    ),
    OptionSpec {
        pattern: Some(Pattern::Duration),
        min: Some(100.0),
        default: "1000 ms",
        ..option(
            "min_uptime",
            &[Number, Str],
            "How long a process must run to count as started (`10s`, or milliseconds, at least 100).",
        )
    },
    OptionSpec {
        min: Some(0.0),
        default: "16",
        ..option(
            "max_restarts",
            &[Number],
            "How many unstable restarts in a row PM2 allows before it gives up.",
        )
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "execute_command",
            &[Boolean],
            "Runs the script as a command (in fork mode).",
        )
    },
    OptionSpec {
        pattern: Some(Pattern::ExecMode),
        default: "cluster when `instances` is given and the interpreter is Node or Bun, else fork",
        ports: Some(
            "In cluster mode Node's workers share one listening port; in fork mode each instance is its own process and binds its ports itself.",
        ),
        values: &["'fork'", "'cluster'"],
        ..option(
            "exec_mode",
            &[Str],
            "How PM2 runs several instances: `fork` or `cluster`.",
        )
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "force",
            &[Boolean],
            "Starts the app even when one of the same name already runs.",
        )
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "append_env_to_name",
            &[Boolean],
            "Adds the `--env` name to the app's name.",
        )
    },
    option(
        "post_update",
        &[Array],
        "Commands PM2 runs after `pm2 pull` updates the app.",
    ),
    OptionSpec {
        values: BOOL,
        ..option("trace", &[Boolean], "Turns PM2's transaction tracing on.")
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "disable_trace",
            &[Boolean],
            "Turns PM2's transaction tracing off.",
        )
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "v8",
            &[Boolean],
            "Collects V8 metrics for PM2's monitoring.",
        )
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "event_loop_inspector",
            &[Boolean],
            "Collects event-loop metrics for PM2's monitoring.",
        )
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "deep_monitoring",
            &[Boolean],
            "Turns every monitoring feature on.",
        )
    },
    OptionSpec {
        ports: Some(
            "Instance i gets the key's value plus i: with `PORT: 4000` and 3 instances, 4000, 4001 and 4002, in fork and cluster mode alike.",
        ),
        values: &["'PORT'"],
        ..option(
            "increment_var",
            &[Str],
            "An env key PM2 raises by one for each further instance (usually `PORT`).",
        )
    },
    OptionSpec {
        default: "`NODE_APP_INSTANCE`",
        ..option(
            "instance_var",
            &[Str],
            "The env key that holds each instance's number.",
        )
    },
    OptionSpec {
        default: "true",
        values: BOOL,
        ..option(
            "pmx",
            &[Boolean, Str],
            "Injects PM2's monitoring module into the process.",
        )
    },
    OptionSpec {
        default: "true",
        values: BOOL,
        ..option(
            "automation",
            &[Boolean],
            "Lets PM2's monitoring act on the process.",
        )
    },
    OptionSpec {
        default: "true",
        values: BOOL,
        ..option(
            "treekill",
            &[Boolean],
            "Stops the process's children with it.",
        )
    },
    OptionSpec {
        ports: Some(
            "PM2 sets `env.PORT` to it, over the `env` block's own `PORT` (an `env_<name>` block's `PORT` still wins under `--env <name>`).",
        ),
        ..option(
            "port",
            &[Number],
            "A shortcut for the `PORT` environment variable.",
        )
    },
    option(
        "username",
        &[Str],
        "The user name PM2 records for the process.",
    ),
    OptionSpec {
        aliases: &["user"],
        ..option(
            "uid",
            &[Number, Str],
            "The user the process runs as (PM2 must run as root).",
        )
    },
    option(
        "gid",
        &[Number, Str],
        "The group the process runs as (PM2 must run as root).",
    ),
    OptionSpec {
        default: "true",
        values: BOOL,
        ..option(
            "windowsHide",
            &[Boolean],
            "Hides the process's console window on Windows.",
        )
    },
    OptionSpec {
        default: "100 ms",
        ..option(
            "kill_retry_time",
            &[Number],
            "Milliseconds between PM2's checks that a stopped process is gone.",
        )
    },
    OptionSpec {
        values: BOOL,
        ..option(
            "write",
            &[Boolean],
            "Lets PM2's web interface write to the process.",
        )
    },
    option("io", &[Object], "Options for PM2's monitoring service."),
];

/// What `env_<name>` blocks are to PM2 (the keys matching its `env_*` pattern).
pub const ENV_BLOCK: OptionSpec = OptionSpec {
    ports: Some(
        "Under `pm2 start … --env <name>`, `env_<name>` is laid over `env` (and over `port`): its `PORT` is the one served in that environment.",
    ),
    ..option(
        "env_<name>",
        &[Object, Str],
        "Environment variables for `--env <name>`, laid over `env`.",
    )
};

/// Keys PM2's loader reads before validating (it turns them into `script` when there is none).
pub const LOADER_KEYS: &[(&str, &str)] = &[
    (
        "cmd",
        "The command to start, when there is no `script` (PM2 turns it into `script`).",
    ),
    (
        "command",
        "The command to start, when there is no `script` (PM2 turns it into `script`).",
    ),
];

/// PortOS's own key, which PM2 drops and PortOS reads.
pub const PORTOS_KEYS: &[(&str, &str)] = &[(
    "ports",
    "PortOS's map of the process's ports by label (PM2 ignores it; PortOS's dashboard reads it).",
)];

/// The keys of the file's top level beside its apps, which PM2 reads as a whole (our words): each with what it
/// does and what it does to ports.
pub const FILE_KEYS: &[(&str, &str, Option<&str>)] = &[
    (
        "apps",
        "The list of apps PM2 starts from this file (one object per app).",
        None,
    ),
    (
        "pm2",
        "PM2's other name for `apps`, read when there is no `apps`.",
        None,
    ),
    (
        "static",
        "PM2's static file servers: each entry (`{ port, path, name }`) is a process of its own, named `static-page-server-PORT` unless it has a `name`, serving `path` on `port` (8080 without one).",
        Some(
            "each entry binds its `port`; it is a process beside the apps, no part of an app's block",
        ),
    ),
    (
        "deploy",
        "Deployment targets for `pm2 deploy`, by environment name (`user`, `host`, `ref`, `repo`, `path`, hooks).",
        Some(
            "a target's `env` is the lowest layer of that environment's env for every app: `env` and `env_<name>` win over it",
        ),
    ),
];

/// PM2's camelCase form of an option name (`exec_mode` → `execMode`): each `_`-separated part after the first
/// starts upper-case, parts of one letter stay as they are.
pub fn camel_case(name: &str) -> String {
    name.split('_')
        .enumerate()
        .map(|(i, part)| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) if i > 0 && part.chars().count() > 1 => {
                    first.to_uppercase().chain(chars).collect::<String>()
                }
                _ => part.to_string(),
            }
        })
        .collect()
}

/// Every name PM2 reads an option under, in the order PM2 tries them: the name itself, its aliases (the last
/// listed first, as PM2 builds the list) and its camelCase form.
pub fn names_of(option: &OptionSpec) -> &'static [String] {
    NAMES.get(index_of(option)).map_or(&[], Vec::as_slice)
}

/// An option's place in [`OPTIONS`] (its length for an option outside the table).
pub fn index_of(option: &OptionSpec) -> usize {
    // The table's own entries by their address (no scan), others by name.
    let offset = (option as *const OptionSpec as usize).wrapping_sub(OPTIONS.as_ptr() as usize)
        / std::mem::size_of::<OptionSpec>().max(1);
    if OPTIONS.get(offset).is_some_and(|o| std::ptr::eq(o, option)) {
        return offset;
    }
    OPTIONS
        .iter()
        .position(|o| o.name == option.name)
        .unwrap_or(OPTIONS.len())
}

/// Each option's names ([`names_of`]), built once: every app reads them.
static NAMES: std::sync::LazyLock<Vec<Vec<String>>> = std::sync::LazyLock::new(|| {
    OPTIONS
        .iter()
        .map(|option| {
            let mut names = vec![option.name.to_string()];
            names.extend(option.aliases.iter().rev().map(|a| a.to_string()));
            let camel = camel_case(option.name);
            if !names.contains(&camel) {
                names.push(camel);
            }
            names
        })
        .collect()
});

/// Every name of every option, to the option: one lookup per key of an app.
static BY_NAME: std::sync::LazyLock<foldhash::HashMap<&'static str, usize>> =
    std::sync::LazyLock::new(|| {
        let mut map = foldhash::HashMap::default();
        for (index, names) in NAMES.iter().enumerate() {
            for name in names {
                map.entry(name.as_str()).or_insert(index);
            }
        }
        map
    });

/// Whether PM2 reads `key` as an `env_<name>` block (its pattern: `env_` then no white space).
pub fn is_env_block_key(key: &str) -> bool {
    key.strip_prefix("env_")
        .is_some_and(|rest| !rest.chars().any(char::is_whitespace))
}

/// The option a key names, by its name, an alias or its camelCase form.
pub fn option_named(key: &str) -> Option<&'static OptionSpec> {
    BY_NAME.get(key).map(|&index| &OPTIONS[index])
}

/// What a key of an app is to PM2: an option, an `env_<name>` block, a key its loader reads, PortOS's `ports`,
/// or `None` for a key PM2 drops.
pub fn describe_key(key: &str) -> Option<(&'static str, &'static str, Option<&'static str>)> {
    if let Some(option) = option_named(key) {
        return Some((option.name, option.description, option.ports));
    }
    if is_env_block_key(key) {
        return Some((ENV_BLOCK.name, ENV_BLOCK.description, ENV_BLOCK.ports));
    }
    LOADER_KEYS
        .iter()
        .chain(PORTOS_KEYS)
        .find(|(k, _)| *k == key)
        .map(|(k, d)| (*k, *d, None))
}

/// Whether PM2 (or PortOS) reads `key` of an app: an option under any of its names, an `env_<name>` block, or
/// a key the loader turns into `script`. PortOS's `ports` is read by PortOS.
pub fn is_known_key(key: &str) -> bool {
    describe_key(key).is_some()
}

/// The closest known name to a key PM2 drops, for "did you mean": options under every name they have.
pub fn closest_name(key: &str) -> Option<String> {
    let lower = key.to_lowercase();
    let limit = (key.chars().count() / 3).clamp(1, 3);
    // On a tie an option's own name wins over an alias or its camelCase form: `ignore-watch` is `ignore_watch`.
    OPTIONS
        .iter()
        .flat_map(|o| {
            names_of(o)
                .iter()
                .enumerate()
                .map(|(i, name)| (i > 0, name.clone()))
        })
        .chain([
            (false, "env".to_string()),
            (false, "env_production".to_string()),
        ])
        .map(|(alias, name)| {
            let distance = crate::config::edit_distance(&lower, &name.to_lowercase());
            (distance, alias, name)
        })
        .filter(|(d, _, _)| *d <= limit)
        .min_by_key(|(d, alias, name)| (*d, *alias, name.len()))
        .map(|(_, _, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_pm2s_64_options_each_described() {
        assert_eq!(OPTIONS.len(), 64);
        let mut names = std::collections::BTreeSet::new();
        for option in OPTIONS {
            assert!(names.insert(option.name), "{} twice", option.name);
            assert!(!option.types.is_empty() && option.description.ends_with('.'));
        }
    }

    #[test]
    fn names_aliases_and_camel_case() {
        assert_eq!(camel_case("exec_mode"), "execMode");
        assert_eq!(camel_case("max_memory_restart"), "maxMemoryRestart");
        assert_eq!(camel_case("v8"), "v8");
        assert_eq!(
            option_named("interpreter").unwrap().name,
            "exec_interpreter"
        );
        assert_eq!(option_named("execMode").unwrap().name, "exec_mode");
        assert_eq!(option_named("interpreterArgs").unwrap().name, "node_args");
        assert!(is_known_key("env_production") && is_known_key("cmd") && is_known_key("ports"));
        assert!(!is_known_key("instance") && !is_known_key("exec_mod"));
        assert_eq!(closest_name("instance").as_deref(), Some("instances"));
        assert_eq!(closest_name("exec_mod").as_deref(), Some("exec_mode"));
        assert_eq!(
            closest_name("ignore-watch").as_deref(),
            Some("ignore_watch")
        );
        assert_eq!(
            names_of(option_named("node_args").unwrap()),
            [
                "node_args",
                "interpreter_args",
                "interpreterArgs",
                "nodeArgs"
            ]
        );
    }

    #[test]
    fn patterns() {
        assert!(Pattern::MemorySize.accepts("500M") && Pattern::MemorySize.accepts("1024"));
        assert!(!Pattern::MemorySize.accepts("500MB") && !Pattern::MemorySize.accepts("1.5G"));
        assert!(!Pattern::MemorySize.accepts("500m") && !Pattern::MemorySize.accepts("M"));
        assert!(Pattern::Duration.accepts("10s") && !Pattern::Duration.accepts("10 s"));
        assert!(Pattern::ExecMode.accepts("cluster_mode") && !Pattern::ExecMode.accepts("cluser"));
    }
}
