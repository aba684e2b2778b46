//! PortOS's labelling rules (detection spec §3.3–§3.10) applied to evaluated values: bindings per process,
//! connects-to ports, environments, and the PortOS-compatible listing.

use crate::model::{FileModel, Loc, Port, PortSource, PortUse, PortValue, Process};
use serde::Serialize;
use std::collections::BTreeSet;

/// Which of PortOS's rules gave a port its label, so hover can say why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelRule {
    /// The key of a `ports` map entry.
    PortsMapKey,
    /// `CDP_PORT` → `cdp`.
    CdpPort,
    /// `PORT` in a process named `-ui`/`_ui`/`-client`/`_client` → `ui`.
    PortUiName,
    /// `PORT` in a `-browser`/`_browser` process that also has a `CDP_PORT` → `health`.
    PortBrowserHealth,
    /// `PORT` otherwise → `api`.
    PortApi,
    /// `VITE_PORT` → `ui`.
    VitePort,
    /// Any other `<STEM>_PORT` → the camel-cased stem.
    KeyStem,
    /// `--port` in args → `ui`.
    ArgsPort,
    /// A bare `port` key → `api`.
    BarePort,
    /// A web server's own port flag PortOS does not read (`next -p`, `serve -l`) → `ui`.
    ProgramFlag,
    /// Node's inspector (`--inspect`) → `inspect`.
    Inspector,
    /// The `port` of an entry of the file's `static` list → `static`.
    Static,
    /// The port of `script: 'serve'` without a `PM2_SERVE_PORT` (the second word of `args`, else 8080) →
    /// `serve`.
    Pm2Serve,
}

impl LabelRule {
    /// A sentence for hover.
    pub fn explain(self) -> &'static str {
        match self {
            LabelRule::PortsMapKey => "the key of the process's `ports` map",
            LabelRule::CdpPort => "`CDP_PORT` is labelled `cdp`",
            LabelRule::PortUiName => {
                "`PORT` is labelled `ui` in a process whose name ends in -ui or -client"
            }
            LabelRule::PortBrowserHealth => {
                "`PORT` is labelled `health` in a -browser process that has a `CDP_PORT`"
            }
            LabelRule::PortApi => "`PORT` is labelled `api`",
            LabelRule::VitePort => "`VITE_PORT` is labelled `ui`",
            LabelRule::KeyStem => "a `<STEM>_PORT` key is labelled with its camel-cased stem",
            LabelRule::ArgsPort => "`--port` in args is labelled `ui`",
            LabelRule::BarePort => "a bare `port` key is labelled `api`",
            LabelRule::ProgramFlag => {
                "a web server's port flag (`next -p`, `serve -l`) is labelled `ui`; PortOS does not read it"
            }
            LabelRule::Inspector => {
                "Node's inspector (`--inspect`, 9229 by default) is labelled `inspect`; PortOS does not read it"
            }
            LabelRule::Static => {
                "a `static` entry's port is served by PM2's static file server, labelled `static`; PortOS does not read it"
            }
            LabelRule::Pm2Serve => {
                "`script: 'serve'` serves `PM2_SERVE_PORT`, else the second word of `args`, else 8080, labelled `serve`; PortOS does not read it"
            }
        }
    }
}

/// Why a port is one the process connects to rather than serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum ConnectsTo {
    /// A segment of the key's stem names a client protocol (`DB`, `REDIS`, …).
    ByName(String),
    /// The value is the very definition another process of the app serves.
    ServedBy(String),
}

/// How a port that PortOS would not show lost its place.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Shadowed {
    /// Another port of the process took the same label first (PortOS drops this one).
    Collision {
        /// The label both wanted.
        label: String,
        /// The port that kept it.
        kept: f64,
        /// Where the winner is used.
        kept_at: Loc,
    },
    /// A v1 `ports` map states another number for the same label.
    Mismatch {
        /// The label.
        label: String,
        /// The map's number.
        map_port: f64,
        /// Where the map's entry is.
        map_at: Loc,
    },
    /// An earlier source (the `ports` map, then env, then args, then `port`) already gave PortOS its ports.
    EarlierSource,
    /// Served through a flag PortOS's detector does not read (`next -p`, `serve -l`, `--inspect`): PortOS
    /// never lists it (spec §9).
    Unlisted,
}

/// A port a process binds under a label, with every place that states it.
#[derive(Clone, Debug, Serialize)]
pub struct Binding {
    /// The label PortOS's rules give it (after the `ui` → `devUi` rename).
    pub label: String,
    /// The rule that gave the label.
    pub rule: LabelRule,
    /// Whether PortOS's post-pass renamed `ui` to `devUi`.
    pub renamed_to_dev_ui: bool,
    /// The number and its definition.
    pub port: Port,
    /// Whether the number is one of several run-time alternatives.
    pub alternative: bool,
    /// Every place in the process stating it (a map entry mirrored in env is one binding with two uses).
    pub uses: Vec<PortUse>,
    /// The environments it holds in: `None` is the base `env`; others are `env_<name>` names.
    pub environments: BTreeSet<Option<String>>,
    /// Set when the process connects to this port rather than serves it.
    pub connects_to: Option<ConnectsTo>,
    /// Set when PortOS would not show this port.
    pub shadowed: Option<Shadowed>,
}

impl Binding {
    /// Where to point a diagnostic: the first use.
    pub fn use_loc(&self) -> Loc {
        self.uses
            .first()
            .map(|u| u.use_loc)
            .unwrap_or(self.port.def)
    }

    /// Whether the process serves this port (as opposed to connecting to it).
    pub fn served(&self) -> bool {
        self.connects_to.is_none()
    }

    /// Whether it holds in environment `env` (`None` = base).
    pub fn in_environment(&self, env: &Option<String>) -> bool {
        self.environments.contains(env)
    }

    /// The port as an integer, when it is a valid port number.
    pub fn number(&self) -> Option<u16> {
        self.port.as_u16()
    }
}

/// One entry of PortOS's `ports` object for a process.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListedPort {
    /// The label.
    pub label: String,
    /// The port.
    pub port: f64,
}

/// A process with its labelled ports.
#[derive(Clone, Debug, Serialize)]
pub struct LabelledProcess {
    /// Index into the model's processes.
    pub index: usize,
    /// Every binding, served and connects-to, in every environment (shared with the next analysis's memo
    /// where this app's own labels did not change; copied only where a file-level pass changes them).
    pub bindings: std::sync::Arc<Vec<Binding>>,
    /// What PortOS shows: label → port in JavaScript key order, definite ports only, envs merged.
    pub listing: std::sync::Arc<Vec<ListedPort>>,
}

impl LabelledProcess {
    /// PortOS's primary port: the first value of the listing.
    pub fn primary(&self) -> Option<f64> {
        self.listing.first().map(|p| p.port)
    }

    /// Every served binding with a valid port number: what the range rules judge.
    pub fn served(&self) -> impl Iterator<Item = (&Binding, u16)> {
        self.bindings
            .iter()
            .filter(|b| b.served())
            .filter_map(|b| b.number().filter(|n| *n != 0).map(|n| (b, n)))
    }
}

/// Labels for every process of a file.
#[derive(Clone, Debug, Serialize)]
pub struct LabelledFile {
    /// One per model process, same order.
    pub processes: Vec<LabelledProcess>,
    /// The environments the file defines: `None` (base) first, then each `env_<name>` name, sorted.
    pub environments: Vec<Option<String>>,
    /// What labelling this file kept for the next labelling of an edited version (see [`LabelMemo`]).
    #[serde(skip)]
    pub memo: std::sync::Arc<LabelMemo>,
}

/// One app's own bindings and listing.
type OwnLabels = (
    std::sync::Arc<Vec<Binding>>,
    std::sync::Arc<Vec<ListedPort>>,
);

/// Each app's own labels (before the passes across processes), kept for the next labelling of the same
/// file: an app whose process the model reused unchanged is labelled the same under the same environments
/// and connects-to keys.
#[derive(Debug, Default)]
pub struct LabelMemo {
    environments: Vec<Option<String>>,
    connect_keys: Vec<String>,
    apps: foldhash::HashMap<(Loc, Loc), OwnLabels>,
}

/// The guide's display line for a process: `name:5555`, `name (cdp:5556,health:5557)`, or just `name`.
pub fn display_line(name: &str, listing: &[ListedPort]) -> String {
    crate::portos::write_display_line(
        name,
        listing
            .iter()
            .map(|p| (&p.label, crate::model::value::JsNumber(p.port))),
    )
}

/// `METRICS_HTTP_PORT` → `metricsHttp`, `PORT`-less stems as PortOS does.
pub fn camel_label(key: &str) -> String {
    let stem = key
        .strip_suffix("_PORT")
        .or_else(|| key.strip_suffix("PORT"))
        .unwrap_or(key)
        .to_lowercase();
    let mut out = String::new();
    let mut upper_next = false;
    for c in stem.chars() {
        if c == '_' {
            upper_next = true;
        } else if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

pub use crate::config::connect_segment;

fn ends_with_any(name: &str, suffixes: &[&str]) -> bool {
    let lower = name.to_lowercase();
    suffixes.iter().any(|s| lower.ends_with(s))
}

/// A port use with the label PortOS's rules give it, before merging into bindings.
#[derive(Clone, Debug)]
struct Labelled<'m> {
    label: String,
    rule: LabelRule,
    rank: u8,
    source: &'m PortUse,
    /// Dropped by the `VITE_PORT` rule: not a binding at all.
    replaced: bool,
    shadowed: Option<Shadowed>,
}

/// Labels every source of a process for one view of its env (a merged map of key → use).
/// `reading` says whose reading it is: PortOS's (its listing), where a bare `port` is the last source, or PM2's
/// (the ports bound), where `port` is the env's `PORT` when applied and nothing otherwise.
fn label_sources<'m>(
    process: &'m Process,
    env: &[&'m PortUse],
    reading: Reading,
) -> Vec<Labelled<'m>> {
    let mut out: Vec<Labelled<'m>> = Vec::new();
    let label = |label: &str, rule, rank, source| Labelled {
        label: label.to_string(),
        rule,
        rank,
        source,
        replaced: false,
        shadowed: None,
    };
    if let Some(map) = &process.ports_map {
        for entry in &map.entries {
            out.push(label(&entry.key, LabelRule::PortsMapKey, 0, entry));
        }
    }
    // Env: collect first, then label, so key order does not matter for the name-based rules.
    let name = process.name.as_deref().unwrap_or("");
    let find = |key: &str| {
        env.iter()
            .copied()
            .find(|u| env_key(u) == key && u.instance.is_none())
    };
    // A key whose value is unknown (or 0) is one PortOS never collects, so it cannot steer the name rules:
    // an unknown `CDP_PORT` does not make `PORT` a health port, an unknown `VITE_PORT` does not replace `ui`.
    let known = |use_: &PortUse| use_.value.ports().iter().any(|p| p.number != 0.0);
    let cdp = find("CDP_PORT");
    let mut env_labels: Vec<Labelled<'m>> = Vec::new();
    if let Some(cdp) = cdp {
        env_labels.push(label("cdp", LabelRule::CdpPort, 1, cdp));
    }
    if let Some(port) = find("PORT") {
        let (l, rule) = if port.source == PortSource::BarePort {
            // PM2 applies `port` as the env's `PORT`; PortOS labels a bare `port` `api`, whatever the name.
            ("api", LabelRule::BarePort)
        } else if ends_with_any(name, &["-ui", "_ui", "-client", "_client"]) {
            ("ui", LabelRule::PortUiName)
        } else if ends_with_any(name, &["-browser", "_browser"]) && cdp.is_some_and(known) {
            ("health", LabelRule::PortBrowserHealth)
        } else {
            ("api", LabelRule::PortApi)
        };
        env_labels.push(label(l, rule, 1, port));
    }
    if let Some(vite) = find("VITE_PORT") {
        if !known(vite) {
            // Still a port use (reported as unresolved), but it replaces nothing.
        } else if let Some(from_port) = env_labels.iter_mut().find(|l| l.label == "ui") {
            from_port.replaced = true;
        }
        env_labels.push(label("ui", LabelRule::VitePort, 1, vite));
    }
    for use_ in env {
        if matches!(env_key(use_), "PORT" | "CDP_PORT" | "VITE_PORT") && use_.instance.is_none() {
            continue;
        }
        if use_.instance.is_some() {
            // A PM2 instance's port keeps the label and rule of the key it increments.
            let base = env_labels
                .iter()
                .find(|l| env_key(l.source) == env_key(use_));
            let (name, rule) = base
                .map(|l| (l.label.clone(), l.rule))
                .unwrap_or_else(|| (camel_label(&use_.key), LabelRule::KeyStem));
            env_labels.push(label(&name, rule, 1, use_));
            continue;
        }
        env_labels.push(label(&camel_label(&use_.key), LabelRule::KeyStem, 1, use_));
    }
    out.extend(env_labels);
    for arg in &process.args_ports {
        out.push(label("ui", LabelRule::ArgsPort, 2, arg));
    }
    // PM2 binds `port` only as the env's `PORT` (labelled there); PortOS reads it as a last resort.
    if let Some(bare) = &process.bare_port
        && reading == Reading::Portos
    {
        out.push(label("api", LabelRule::BarePort, 3, bare));
    }
    mark_collisions(&mut out);
    out
}

/// Whose reading of a process's sources labels them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// PortOS's detector: the listing.
    Portos,
    /// PM2 starting the process: the ports bound.
    Pm2,
}

/// The env key a use stands for: a bare `port` PM2 applies is its `PORT`.
fn env_key(use_: &PortUse) -> &str {
    match use_.source {
        PortSource::BarePort => "PORT",
        _ => &use_.key,
    }
}

/// Whether PM2 applies an app's `port` as `env.PORT`: it does when the value is truthy (a port of 0 or an
/// empty string is left alone).
fn pm2_applies_port(bare: &PortUse) -> bool {
    match &bare.value {
        PortValue::Definite { port } => port.number != 0.0 && !port.number.is_nan(),
        PortValue::Alternatives { .. } | PortValue::Unknown { .. } => true,
        PortValue::NotANumber { shown } => {
            shown != "''" && shown != "false" && shown != "null" && shown != "undefined"
        }
    }
}

/// The env PM2 gives a process in one environment (`None`: no `--env`): the file's `deploy.<name>.env`, then
/// `env` with `port` applied as its `PORT`, then `env_<name>`, each key of a later layer replacing the same
/// key (and instance) of an earlier one.
fn pm2_env_view<'m>(process: &'m Process, env: &Option<String>) -> Vec<&'m PortUse> {
    let mut view: Vec<&'m PortUse> = Vec::new();
    let lay = |entries: &mut dyn Iterator<Item = &'m PortUse>, view: &mut Vec<&'m PortUse>| {
        for entry in entries {
            match view
                .iter_mut()
                .find(|u| env_key(u) == env_key(entry) && u.instance == entry.instance)
            {
                Some(slot) => *slot = entry,
                None => view.push(entry),
            }
        }
    };
    if let Some(name) = env {
        for block in process
            .env_blocks
            .iter()
            .filter(|b| b.deploy && b.environment() == Some(name.as_str()))
        {
            lay(&mut block.entries.iter(), &mut view);
        }
    }
    for block in process
        .env_blocks
        .iter()
        .filter(|b| !b.deploy && b.name == "env")
    {
        lay(&mut block.entries.iter(), &mut view);
    }
    if let Some(bare) = process.bare_port.as_ref().filter(|b| pm2_applies_port(b)) {
        // `port` replaces `env.PORT` and every instance of it.
        view.retain(|u| env_key(u) != "PORT");
        view.push(bare);
        view.extend(process.port_instances.iter());
    }
    if let Some(name) = env {
        let block_name = format!("env_{name}");
        for block in process
            .env_blocks
            .iter()
            .filter(|b| !b.deploy && b.name == block_name)
        {
            lay(&mut block.entries.iter(), &mut view);
        }
    }
    view
}

/// Whether PM2 gives a process `port_use` (an env entry, `port` or one of its instances) in environment `env`
/// (`None`: no `--env`): whether it survives the layers, `deploy.<env>.env` < `env` with `port` applied <
/// `env_<env>`. `served` asks per use, since a binding's environments are its number's, not its key's.
pub fn pm2_env_holds(process: &Process, port_use: &PortUse, env: &Option<String>) -> bool {
    pm2_env_view(process, env).iter().any(|u| {
        u.source == port_use.source
            && u.key == port_use.key
            && u.use_loc == port_use.use_loc
            && u.instance == port_use.instance
    })
}

/// Whether a labelled use holds a port that can take its label: PortOS collects no key whose value does not
/// resolve and counts 0 as no port, so an unknown `PORT` leaves `api` to an `API_PORT` beside it.
fn takes_label(labelled: &Labelled) -> bool {
    labelled
        .source
        .value
        .ports()
        .iter()
        .any(|p| p.number != 0.0)
}

/// The precedence rank of the source a binding first came from: `ports` map, env, args, bare `port`.
fn source_rank(binding: &Binding) -> u8 {
    match binding.uses.first().map(|u| &u.source) {
        Some(PortSource::PortsMap) => 0,
        Some(PortSource::Env(_)) => 1,
        Some(PortSource::Args) => 2,
        _ => 3,
    }
}

/// First wins for each label within one source; a later port with the same label and another number is
/// shadowed. Across sources only the `ports` map against env is compared (a mismatch): a later source as a
/// whole is hidden by an earlier one, which is not a collision.
fn mark_collisions(labelled: &mut [Labelled]) {
    for i in 0..labelled.len() {
        if labelled[i].replaced
            || labelled[i].source.instance.is_some()
            || !takes_label(&labelled[i])
        {
            continue;
        }
        let winner = (0..i).find(|&j| {
            !labelled[j].replaced
                && labelled[j].shadowed.is_none()
                && takes_label(&labelled[j])
                && labelled[j].label == labelled[i].label
                && (labelled[j].rank == labelled[i].rank
                    || labelled[j].rank == 0 && labelled[i].rank == 1
                    // `--port` beside a `VITE_PORT` (both `ui`) with another number: PortOS shows only env's.
                    || labelled[j].rank == 1 && labelled[i].rank == 2)
        });
        let Some(j) = winner else { continue };
        let (first, this) = (&labelled[j], &labelled[i]);
        let same_number = match (first.source.value.definite(), this.source.value.definite()) {
            (Some(a), Some(b)) => a.number == b.number,
            _ => false,
        };
        if same_number {
            continue;
        }
        let kept = first
            .source
            .value
            .definite()
            .map(|p| p.number)
            .unwrap_or(f64::NAN);
        let shadow = if first.rank == 0 && this.rank == 1 {
            Shadowed::Mismatch {
                label: this.label.clone(),
                map_port: kept,
                map_at: first.source.use_loc,
            }
        } else {
            Shadowed::Collision {
                label: this.label.clone(),
                kept,
                kept_at: first.source.use_loc,
            }
        };
        labelled[i].shadowed = Some(shadow);
    }
}

/// The env PortOS reads for a process: `env` overlaid with the `env_<name>` blocks named, keyed by key. A
/// later block's key replaces an earlier one only with a known value: PortOS's merge never lets an unresolved
/// value overwrite a resolved one.
fn portos_env_view<'m>(process: &'m Process, overlays: &[&str]) -> Vec<&'m PortUse> {
    let mut view: Vec<&'m PortUse> = Vec::new();
    let blocks = std::iter::once("env").chain(overlays.iter().copied());
    for block_name in blocks {
        for block in process
            .env_blocks
            .iter()
            .filter(|b| !b.deploy && b.name == block_name)
        {
            for entry in &block.entries {
                match view
                    .iter_mut()
                    .find(|u| u.key == entry.key && u.instance == entry.instance)
                {
                    Some(slot) => {
                        if !entry.value.ports().is_empty() {
                            *slot = entry;
                        }
                    }
                    None => view.push(entry),
                }
            }
        }
    }
    view
}

/// Labels a whole file: bindings per environment, connects-to, the listing and the `devUi` post-pass.
pub fn label_file(model: &FileModel, connect_keys: &[String]) -> LabelledFile {
    label_file_reusing(model, connect_keys, None)
}

/// [`label_file`] reusing `previous` (the labelling of an earlier version of the same file) for each app
/// the model reused unchanged.
pub fn label_file_reusing(
    model: &FileModel,
    connect_keys: &[String],
    previous: Option<&LabelMemo>,
) -> LabelledFile {
    let mut environments: Vec<Option<String>> = vec![None];
    let mut names: BTreeSet<String> = BTreeSet::new();
    for process in &model.processes {
        for block in &process.env_blocks {
            if let Some(env) = block.environment() {
                names.insert(env.to_string());
            }
        }
    }
    environments.extend(names.into_iter().map(Some));

    let previous =
        previous.filter(|p| p.environments == environments && p.connect_keys == connect_keys);
    let mut memo = LabelMemo::default();
    let mut processes: Vec<LabelledProcess> = model
        .processes
        .iter()
        .enumerate()
        .map(|(index, process)| {
            let identity = model.memo.process_identity(index);
            let own = identity
                .filter(|(_, unchanged)| *unchanged)
                .and_then(|(key, _)| previous?.apps.get(&key).cloned())
                .unwrap_or_else(|| {
                    (
                        std::sync::Arc::new(bindings_of(process, &environments, connect_keys)),
                        std::sync::Arc::new(listing_of(process)),
                    )
                });
            let (bindings, listing) = own.clone();
            if let Some((key, _)) = identity {
                memo.apps.insert(key, own);
            }
            LabelledProcess {
                index,
                bindings,
                listing,
            }
        })
        .collect();

    mark_served_elsewhere(model, &mut processes);
    dev_ui_post_pass(model, &mut processes);
    memo.environments = environments.clone();
    memo.connect_keys = connect_keys.to_vec();
    LabelledFile {
        processes,
        environments,
        memo: std::sync::Arc::new(memo),
    }
}

fn bindings_of(
    process: &Process,
    environments: &[Option<String>],
    connect_keys: &[String],
) -> Vec<Binding> {
    let mut bindings: Vec<Binding> = Vec::new();
    for env in environments {
        let view = pm2_env_view(process, env);
        let labelled = label_sources(process, &view, Reading::Pm2);
        let first_rank = labelled
            .iter()
            .filter(|l| !l.replaced && l.shadowed.is_none() && l.source.value.definite().is_some())
            .map(|l| l.rank)
            .min();
        // PM2's own `serve` reads a path and a port word from `args`, never a `--port` flag.
        let serve = process.pm2.serve;
        for l in labelled
            .into_iter()
            .filter(|l| !(l.replaced || serve && l.source.source == PortSource::Args))
        {
            let connects_to = match l.source.source {
                PortSource::Env(_) => {
                    connect_segment(&l.source.key, connect_keys).map(ConnectsTo::ByName)
                }
                _ => None,
            };
            let shadowed = l.shadowed.clone().or_else(|| {
                (first_rank.is_some_and(|r| l.rank > r)).then_some(Shadowed::EarlierSource)
            });
            // Alternatives that all agree (`c ? PORTS.API : 5570`) are one definite port.
            let alternative = l.source.value.definite().is_none();
            for port in l.source.value.ports() {
                // One number stated by two sources of a process (a `ports` map mirrored in env, `--port 5570`
                // beside `PORT: 5570`) is one listener, whatever labels each source's rules would give it: it
                // joins the earlier source's binding.
                let existing = bindings.iter_mut().find(|b| {
                    b.port.number == port.number
                        && b.connects_to == connects_to
                        && (b.label == l.label || source_rank(b) < l.rank)
                });
                match existing {
                    Some(binding) => {
                        binding.environments.insert(env.clone());
                        if !binding
                            .uses
                            .iter()
                            .any(|u| u.use_loc == l.source.use_loc && u.key == l.source.key)
                        {
                            binding.uses.push(l.source.clone());
                        }
                        // A binding PortOS shows in one source order stays shown.
                        if shadowed.is_none()
                            || matches!(shadowed, Some(Shadowed::EarlierSource))
                                && binding.shadowed.is_some()
                        {
                            binding.shadowed = shadowed.clone();
                        }
                    }
                    None => bindings.push(Binding {
                        // A port PortOS drops on a label collision keeps its place, labelled by its key (§3).
                        label: match &shadowed {
                            Some(Shadowed::Collision { .. }) => l.source.key.clone(),
                            _ => l.label.clone(),
                        },
                        rule: l.rule,
                        renamed_to_dev_ui: false,
                        port: *port,
                        alternative,
                        uses: vec![l.source.clone()],
                        environments: BTreeSet::from([env.clone()]),
                        connects_to: connects_to.clone(),
                        shadowed: shadowed.clone(),
                    }),
                }
            }
        }
    }
    unlisted_bindings(process, environments, &mut bindings);
    serve_bindings(process, environments, &mut bindings);
    bindings
}

/// `script: 'serve'`'s own port in each environment whose env has no `PM2_SERVE_PORT` with a port in it.
fn serve_bindings(process: &Process, environments: &[Option<String>], bindings: &mut Vec<Binding>) {
    if process.serve_ports.is_empty() {
        return;
    }
    let without: BTreeSet<Option<String>> = environments
        .iter()
        .filter(|env| {
            !pm2_env_view(process, env)
                .iter()
                .any(|u| u.key == "PM2_SERVE_PORT" && !u.value.ports().is_empty())
        })
        .cloned()
        .collect();
    if without.is_empty() {
        return;
    }
    for port_use in &process.serve_ports {
        for port in port_use.value.ports() {
            bindings.push(Binding {
                label: "serve".into(),
                rule: LabelRule::Pm2Serve,
                renamed_to_dev_ui: false,
                port: *port,
                alternative: false,
                uses: vec![port_use.clone()],
                environments: without.clone(),
                connects_to: None,
                shadowed: Some(Shadowed::Unlisted),
            });
        }
    }
}

/// The ports a process serves through flags PortOS does not read: bindings for every rule, never in the
/// listing. A server's `-p 3000` beside `PORT: 3000` is one listener (the server reads either); the
/// inspector is a listener of its own, the same as an `INSPECT_PORT` key stating its number.
fn unlisted_bindings(
    process: &Process,
    environments: &[Option<String>],
    bindings: &mut Vec<Binding>,
) {
    let all: BTreeSet<Option<String>> = environments.iter().cloned().collect();
    for port_use in &process.unlisted_ports {
        let (label, rule) = match port_use.source {
            PortSource::Inspector(_) => ("inspect", LabelRule::Inspector),
            PortSource::Static => ("static", LabelRule::Static),
            _ => ("ui", LabelRule::ProgramFlag),
        };
        for port in port_use.value.ports() {
            let existing = bindings.iter_mut().find(|b| {
                b.served()
                    && b.port.number == port.number
                    && (rule == LabelRule::ProgramFlag || b.label == label)
            });
            match existing {
                Some(binding) => {
                    binding.environments.extend(all.iter().cloned());
                    binding.uses.push(port_use.clone());
                }
                None => bindings.push(Binding {
                    label: label.to_string(),
                    rule,
                    renamed_to_dev_ui: false,
                    port: *port,
                    alternative: false,
                    uses: vec![port_use.clone()],
                    environments: all.clone(),
                    connects_to: None,
                    shadowed: Some(Shadowed::Unlisted),
                }),
            }
        }
    }
}

/// PortOS's listing: env blocks merged `env` < `env_development` < `env_production`, the first source that
/// yields a definite port wins, collided ports left out, JavaScript key order.
fn listing_of(process: &Process) -> Vec<ListedPort> {
    let view = portos_env_view(process, &["env_development", "env_production"]);
    let labelled = label_sources(process, &view, Reading::Portos);
    let usable: Vec<&Labelled> = labelled
        .iter()
        .filter(|l| !l.replaced && l.shadowed.is_none() && l.source.instance.is_none())
        .filter(|l| l.source.value.definite().is_some_and(|p| p.number != 0.0))
        .collect();
    let Some(rank) = usable.iter().map(|l| l.rank).min() else {
        return Vec::new();
    };
    let mut listing: Vec<ListedPort> = Vec::new();
    for l in usable.into_iter().filter(|l| l.rank == rank) {
        let port = l
            .source
            .value
            .definite()
            .map(|p| p.number)
            .unwrap_or_default();
        if !listing.iter().any(|p| p.label == l.label) {
            listing.push(ListedPort {
                label: l.label.clone(),
                port,
            });
        }
    }
    js_key_order(&mut listing);
    listing
}

/// JavaScript enumerates integer-like keys first, ascending, then the rest in insertion order.
fn js_key_order(listing: &mut [ListedPort]) {
    let index = |label: &str| -> Option<u64> {
        (label == "0" || !label.starts_with('0') && !label.is_empty() && label.len() <= 10)
            .then(|| label.parse::<u64>().ok())
            .flatten()
            .filter(|n| *n < u64::from(u32::MAX))
    };
    listing.sort_by_key(|p| match index(&p.label) {
        Some(n) => (0, n),
        None => (1, 0),
    });
}

/// A `*_PORT` key whose value is the very definition another process serves is that process's address.
fn mark_served_elsewhere(model: &FileModel, processes: &mut [LabelledProcess]) {
    let anchors: Vec<(usize, Loc)> = processes
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.bindings
                .iter()
                .filter(|b| b.served() && is_anchor(b))
                .map(move |b| (i, b.port.def))
        })
        .collect();
    let browser: Vec<bool> = (0..processes.len())
        .map(|i| {
            let name = model.processes[processes[i].index].display_name();
            ends_with_any(name, &["-browser", "_browser"])
        })
        .collect();
    for (i, process) in processes.iter_mut().enumerate() {
        // Found first, then written: the bindings are copied only where one changes (they may be shared).
        let mut changes = Vec::new();
        for (b, binding) in process.bindings.iter().enumerate() {
            // A `CDP_PORT` in a process that is not the app's browser, holding the very definition the
            // `-browser` process serves, is where that process reaches the browser (spec §9).
            if binding.connects_to.is_none()
                && binding.rule == LabelRule::CdpPort
                && !browser[i]
                && let Some((owner, _)) = anchors
                    .iter()
                    .find(|(o, def)| *o != i && browser[*o] && *def == binding.port.def)
            {
                changes.push((b, *owner));
                continue;
            }
            if binding.connects_to.is_some() || is_anchor(binding) {
                continue;
            }
            if let Some((owner, _)) = anchors
                .iter()
                .find(|(o, def)| *o != i && *def == binding.port.def)
            {
                changes.push((b, *owner));
            }
        }
        if changes.is_empty() {
            continue;
        }
        let bindings = std::sync::Arc::make_mut(&mut process.bindings);
        for (b, owner) in changes {
            let name = model.processes[owner].display_name().to_string();
            bindings[b].connects_to = Some(ConnectsTo::ServedBy(name));
        }
    }
}

/// Bindings that say "this process serves it": everything but a generic `<STEM>_PORT` env key.
fn is_anchor(binding: &Binding) -> bool {
    binding.rule != LabelRule::KeyStem
}

/// If any process has an `api` label, Vite processes with `ui` (and no `devUi`) show it as `devUi` (§3.10).
fn dev_ui_post_pass(model: &FileModel, processes: &mut [LabelledProcess]) {
    let has_api = processes
        .iter()
        .any(|p| p.listing.iter().any(|l| l.label == "api" && l.port != 0.0));
    if !has_api {
        return;
    }
    for process in processes.iter_mut() {
        if !model.processes[process.index].uses_vite
            || process.listing.iter().any(|l| l.label == "devUi")
        {
            continue;
        }
        let Some(at) = process.listing.iter().position(|l| l.label == "ui") else {
            continue;
        };
        let listing = std::sync::Arc::make_mut(&mut process.listing);
        let mut moved = listing.remove(at);
        moved.label = "devUi".into();
        listing.push(moved);
        for binding in std::sync::Arc::make_mut(&mut process.bindings)
            .iter_mut()
            .filter(|b| b.label == "ui" && b.shadowed != Some(Shadowed::Unlisted))
        {
            binding.label = "devUi".into();
            binding.renamed_to_dev_ui = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_labels() {
        assert_eq!(camel_label("METRICS_HTTP_PORT"), "metricsHttp");
        assert_eq!(camel_label("DEV_UI_PORT"), "devUi");
        assert_eq!(camel_label("H2_PORT"), "h2");
        assert_eq!(camel_label("ÜBER_PORT"), "über");
    }

    #[test]
    fn connect_segments() {
        let keys: Vec<String> = crate::config::BUILTIN_CONNECT_KEYS
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            connect_segment("REDIS_CACHE_PORT", &keys).as_deref(),
            Some("REDIS")
        );
        assert_eq!(
            connect_segment("API_UPSTREAM_PORT", &keys).as_deref(),
            Some("UPSTREAM")
        );
        assert_eq!(connect_segment("HEALTH_PORT", &keys), None);
        assert_eq!(connect_segment("PORT", &keys), None);
    }

    #[test]
    fn display_lines() {
        let one = [ListedPort {
            label: "api".into(),
            port: 5555.0,
        }];
        assert_eq!(display_line("portos-server", &one), "portos-server:5555");
        let two = [
            ListedPort {
                label: "cdp".into(),
                port: 5556.0,
            },
            ListedPort {
                label: "health".into(),
                port: 5557.0,
            },
        ];
        assert_eq!(
            display_line("portos-browser", &two),
            "portos-browser (cdp:5556,health:5557)"
        );
        assert_eq!(display_line("x", &[]), "x");
    }
}
