//! `ports-mismatch`: a v1 `ports` map and the rest of the same process disagree: on a label's port, or as
//! sets of ports (served but not listed, listed but not served).

use super::{FileCheck, Finding, Rule, Severity};
use crate::labels::{Binding, Shadowed};
use crate::model::value::number_to_string;
use crate::model::{Loc, PortSource, PortUse, PortsMap, Process};
use std::collections::BTreeSet;

/// The rule.
pub const RULE: Rule = Rule {
    code: "ports-mismatch",
    default_severity: Severity::Warning,
    summary: "The ports map and the env disagree",
    docs: r#"# ports-mismatch

## What it flags
In a file following the older guide (a per-process `ports: { label: port }` map mirrored in `env`), the map and
the rest of the process disagreeing, whatever the labels:
- a label that both the map and the env give, with two different numbers;
- a port the process serves (an env key, `--port`, a server's `-p`) that the map does not list;
- a port the map lists that nothing else in the process states (only when the process states ports outside the
  map at all and none of them is unknown: a `process.env.PORT` may be the listed one).
Each environment is checked on its own.

## Why it matters
PortOS reads only the map and shows its number, while the process listens on the env's number: the dashboard is
wrong and the real port is not reserved.

## Example
```js
{ name: 'api', ports: { api: 5570 }, env: { PORT: 5571 } }
{ name: 'web', ports: { ui: 5572 }, env: { PORT: 5573 } }   // 5573 served, not listed; 5572 listed, not served
```

## How to fix
Make them agree — better, move to the later guide's single `PORTS` table and reference it from env. The quick fix
sets the env to the map's number where that is unambiguous (one label's two numbers, or one port served but not
listed beside one listed but not served).

## Configuration
`[rules] ports-mismatch = "off"` silences it.
"#,
};

/// One way a process's v1 `ports` map and the rest of the process disagree.
pub enum Difference<'a> {
    /// A label both give, with two numbers: the env binding, and the map's number and place.
    Label {
        /// The env binding PortOS does not show.
        binding: &'a Binding,
        /// The label.
        label: &'a str,
        /// The map's number.
        map_port: f64,
        /// Where the map states it.
        map_at: Loc,
    },
    /// A port the process serves (its env, its arguments) that the map does not list.
    Unlisted {
        /// The served binding.
        binding: &'a Binding,
        /// The number.
        port: u16,
    },
    /// A port the map lists that nothing else in the process states.
    Unserved {
        /// The map's entry.
        entry: &'a PortUse,
        /// The number.
        port: u16,
    },
}

/// What one process states about its ports, on each side of its v1 `ports` map: the one reading both the
/// findings ([`differences`]) and the fixes' count of out-of-step ports ([`out_of_step`]) compare.
struct Sides<'a> {
    /// The map's entries with a definite, non-zero port.
    entries: Vec<(&'a PortUse, u16)>,
    /// The ports the map lists.
    listed: BTreeSet<u16>,
    /// The ports the rest of the process states (its env, its arguments), any environment.
    stated: BTreeSet<u16>,
    /// Whether "listed but not served" can be judged: the process states a port outside the map, and none
    /// of them is unknown (a `process.env.PORT` may be the listed one; with none the map is the only word).
    judges_map: bool,
}

impl<'a> Sides<'a> {
    fn of(process: &'a Process, map: &'a PortsMap) -> Self {
        let entries: Vec<(&PortUse, u16)> = map
            .entries
            .iter()
            .filter_map(|e| Some((e, e.value.definite()?.as_u16()?)))
            .filter(|(_, port)| *port != 0)
            .collect();
        let outside_map = || {
            process
                .port_uses()
                .filter(|u| u.source != PortSource::PortsMap && u.instance.is_none())
        };
        let stated: BTreeSet<u16> = outside_map()
            .flat_map(|u| u.value.ports())
            .filter_map(|p| p.as_u16())
            .collect();
        let unknown = outside_map().any(|u| u.value.definite().is_none());
        Sides {
            listed: entries.iter().map(|(_, port)| *port).collect(),
            judges_map: !stated.is_empty() && !unknown,
            entries,
            stated,
        }
    }

    /// The port a binding serves outside the map (its env, `--port`, a server's `-p`; not the inspector), when
    /// it is one the map should list.
    fn served_outside(binding: &Binding) -> Option<u16> {
        let port = binding.number().filter(|p| *p != 0)?;
        let stated_outside = binding.uses.iter().any(|u| {
            u.instance.is_none()
                && !matches!(u.source, PortSource::PortsMap | PortSource::Inspector(_))
        });
        (binding.served() && !binding.alternative && stated_outside).then_some(port)
    }

    /// Served bindings whose port the map does not list.
    fn unlisted<'b>(
        &'b self,
        bindings: &'a [Binding],
    ) -> impl Iterator<Item = (&'a Binding, u16)> + 'b {
        bindings
            .iter()
            .filter_map(|b| Some((b, Self::served_outside(b)?)))
            .filter(|(_, port)| !self.listed.contains(port))
    }

    /// The map's entries whose port nothing else in the process states (none when that cannot be judged).
    fn unserved(&self) -> impl Iterator<Item = (&'a PortUse, u16)> + '_ {
        self.entries
            .iter()
            .copied()
            .filter(|(_, port)| self.judges_map && !self.stated.contains(port))
    }
}

/// Every difference between each process's v1 `ports` map and the rest of it, by process index (in the
/// model's order), whatever their labels: by label (one label, two numbers) and as sets (a port served but
/// not listed, or listed but not served). The rule reports them, one finding per concern; fixes are verified
/// against them and against [`out_of_step`], so a fix never leaves a port's mirror behind.
pub fn differences<'a>(check: &FileCheck<'a>) -> Vec<(usize, Difference<'a>)> {
    let mut out = Vec::new();
    let model = check.model();
    for labelled in &check.analysis.labels.processes {
        let process = &model.processes[labelled.index];
        let Some(map) = &process.ports_map else {
            continue;
        };
        // Ports a label mismatch already names (both numbers): one finding per concern.
        let mut named: BTreeSet<u64> = BTreeSet::new();
        for binding in labelled.bindings.iter() {
            if let Some(Shadowed::Mismatch {
                label,
                map_port,
                map_at,
            }) = &binding.shadowed
            {
                named.insert(binding.port.number.to_bits());
                named.insert(map_port.to_bits());
                out.push((
                    labelled.index,
                    Difference::Label {
                        binding,
                        label,
                        map_port: *map_port,
                        map_at: *map_at,
                    },
                ));
            }
        }
        let sides = Sides::of(process, map);
        for (binding, port) in sides.unlisted(&labelled.bindings) {
            if !named.contains(&binding.port.number.to_bits()) {
                out.push((labelled.index, Difference::Unlisted { binding, port }));
            }
        }
        for (entry, port) in sides.unserved() {
            if !named.contains(&f64::from(port).to_bits()) {
                out.push((labelled.index, Difference::Unserved { entry, port }));
            }
        }
    }
    out
}

/// How many ports each process's v1 `ports` map and the rest of it disagree on, by process index: each
/// served binding the map does not list and each map entry nothing else states, whatever the labels and
/// whether or not a label mismatch already names them. [`differences`] counts concerns (one label, two
/// numbers is one); a fix can keep that count while moving one side of a label away from a port the other
/// side still agreed on — this count sees it, so fixes are verified against it and never leave a port's
/// mirror behind.
pub fn out_of_step(check: &FileCheck) -> Vec<(usize, usize)> {
    let model = check.model();
    let mut out = Vec::new();
    for labelled in &check.analysis.labels.processes {
        let process = &model.processes[labelled.index];
        let Some(map) = &process.ports_map else {
            continue;
        };
        let sides = Sides::of(process, map);
        let count = sides.unlisted(&labelled.bindings).count() + sides.unserved().count();
        out.push((labelled.index, count));
    }
    out
}

/// Reports each difference; the one fix offered is the unambiguous one — a process whose env serves exactly
/// one port its map does not list, while its map lists exactly one port it does not serve — which sets the
/// env to the map's number (with every literal mirroring it).
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    let differences = differences(check);
    let model = check.model();
    for (index, difference) in &differences {
        let process = &model.processes[*index];
        let name = process.display_name();
        match difference {
            Difference::Label {
                binding,
                label,
                map_port,
                map_at,
            } => {
                let key = binding.uses.first().map(|u| u.key.as_str()).unwrap_or("?");
                let message = format!(
                    "the ports map says `{label}` is {}, but `{key}` says {}{}: PortOS shows {}, the process listens on {}",
                    number_to_string(*map_port),
                    number_to_string(binding.port.number),
                    check.environments_note(&binding.environments),
                    number_to_string(*map_port),
                    number_to_string(binding.port.number),
                );
                let mut finding =
                    check.finding(&RULE, check.binding_range(process, binding), message);
                finding
                    .related
                    .push(check.related(*map_at, format!("the ports map's `{label}`")));
                if map_port.fract() == 0.0 && (1.0..=65535.0).contains(map_port) {
                    finding.fix = Some(super::FixData::SetPort {
                        path: check.path_of(binding.port.def),
                        range: binding.port.def.range,
                        port: *map_port as u16,
                        reason: format!("makes `{key}` match the ports map"),
                        mirrors: check.mirrors(binding),
                    });
                }
                out.push(finding);
            }
            Difference::Unlisted { binding, port } => {
                let key = binding
                    .uses
                    .iter()
                    .find(|u| u.source != PortSource::PortsMap)
                    .map(|u| u.key.as_str())
                    .unwrap_or("?");
                let message = format!(
                    "`{name}` serves {port} (`{key}`){}, but its ports map does not list it: PortOS shows only \
                     the map, so {port} is neither shown nor reserved",
                    check.environments_note(&binding.environments),
                );
                let mut finding =
                    check.finding(&RULE, check.binding_range(process, binding), message);
                let unserved: Vec<(&PortUse, u16)> = differences
                    .iter()
                    .filter(|(i, _)| i == index)
                    .filter_map(|(_, d)| match d {
                        Difference::Unserved { entry, port } => Some((*entry, *port)),
                        _ => None,
                    })
                    .collect();
                let unlisted = differences
                    .iter()
                    .filter(|(i, d)| i == index && matches!(d, Difference::Unlisted { .. }))
                    .count();
                if let ([(entry, listed)], 1) = (unserved.as_slice(), unlisted) {
                    finding.related.push(check.related(
                        entry.use_loc,
                        format!("the ports map's `{}` says {listed}", entry.key),
                    ));
                    finding.fix = Some(super::FixData::SetPort {
                        path: check.path_of(binding.port.def),
                        range: binding.port.def.range,
                        port: *listed,
                        reason: format!("makes `{key}` match the ports map"),
                        mirrors: check.mirrors(binding),
                    });
                }
                out.push(finding);
            }
            Difference::Unserved { entry, port } => {
                let message = format!(
                    "the ports map lists `{}` as {port}, but `{name}` serves no {port} (no env key, argument \
                     or flag states it): PortOS shows a port nothing listens on",
                    entry.key
                );
                let range = check.here(entry.use_loc, process.use_loc);
                out.push(check.finding(&RULE, range, message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FileCheck, differences, out_of_step};
    use crate::ide::Host;
    use crate::vfs::MemoryVfs;
    use std::path::Path;
    use std::sync::Arc;

    /// For a file whose one process has `ports` and `env` as given: (its differences, its ports out of step).
    fn counts(ports: &str, env: &str) -> (usize, usize) {
        let path = "/w/app/ecosystem.config.cjs";
        let text = format!(
            "module.exports = {{ apps: [{{ name: 'web', script: 'w.js', ports: {ports}, env: {env} }}] }};\n"
        );
        let vfs = Arc::new(MemoryVfs::default());
        vfs.insert(path, text.as_str());
        let mut host = Host::new(vfs, crate::config::ConfigSource::None);
        let config = host.configs.for_file(Path::new(path)).expect("defaults");
        let analysis = host
            .analyze(Path::new(path), Arc::from(text), &config, Path::new("/w"))
            .unwrap();
        let check = FileCheck::new(&analysis, &config);
        let steps: Vec<usize> = out_of_step(&check).into_iter().map(|(_, n)| n).collect();
        (differences(&check).len(), steps.into_iter().sum())
    }

    #[test]
    fn a_label_mismatch_counts_every_port_it_puts_out_of_step() {
        // The map's `health` repeats `cdp`'s port, which the env serves: only 5601 is out of step.
        assert_eq!(
            counts(
                "{ cdp: 5600, health: 5600 }",
                "{ CDP_PORT: 5600, HEALTH_PORT: 5601 }"
            ),
            (1, 1)
        );
        // The same one label mismatch once the map's `health` has moved alone: 5603 and 5601 are.
        assert_eq!(
            counts(
                "{ cdp: 5600, health: 5603 }",
                "{ CDP_PORT: 5600, HEALTH_PORT: 5601 }"
            ),
            (1, 2)
        );
        assert_eq!(
            counts(
                "{ cdp: 5600, health: 5601 }",
                "{ CDP_PORT: 5600, HEALTH_PORT: 5601 }"
            ),
            (0, 0)
        );
    }
}
