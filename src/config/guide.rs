//! The guide presets (`[ranges] guide`, spec §12): the ranges and PortOS core table of each version of the port
//! allocation guide, and where a core-table entry comes from — a preset, the `core_ports` setting, or PortOS's
//! own ecosystem file — so hover and messages can say it.

use super::{Config, CorePort, PortRange, Ranges};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A version of the port allocation guide: its ranges and PortOS's core table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Guide {
    /// The user's later guide (PortOS's docs of March 2026): the default.
    #[default]
    #[serde(rename = "v2")]
    V2,
    /// The user's first guide (PortOS's docs of early January 2026).
    #[serde(rename = "v1")]
    V1,
    /// PortOS's own `docs/PORTS.md` at its head of 2026-08-22.
    #[serde(rename = "portos-2026-08")]
    Portos202608,
}

impl Guide {
    /// Every preset, in the order the docs list them.
    pub const ALL: [Guide; 3] = [Guide::V2, Guide::V1, Guide::Portos202608];

    /// Parses the word used in configuration (`v2`, `v1`, `portos-2026-08`).
    pub fn from_word(word: &str) -> Option<Self> {
        Guide::ALL.into_iter().find(|g| g.as_str() == word)
    }

    /// The configuration word.
    pub fn as_str(self) -> &'static str {
        match self {
            Guide::V2 => "v2",
            Guide::V1 => "v1",
            Guide::Portos202608 => "portos-2026-08",
        }
    }

    /// Which document the preset follows, for hover and `ports --map`.
    pub fn describe(self) -> &'static str {
        match self {
            Guide::V2 => "the port allocation guide v2, PortOS's docs of March 2026",
            Guide::V1 => "the port allocation guide v1, PortOS's docs of January 2026",
            Guide::Portos202608 => "PortOS's docs/PORTS.md of 2026-08-22",
        }
    }

    /// The preset's core, reserved and user ranges.
    pub fn ranges(self) -> Ranges {
        match self {
            Guide::V2 | Guide::V1 => Ranges {
                core: PortRange::new(5554, 5560),
                reserved: PortRange::new(5561, 5569),
                user: PortRange::new(5570, 5599),
            },
            Guide::Portos202608 => Ranges {
                core: PortRange::new(5553, 5561),
                reserved: PortRange::new(5562, 5569),
                user: PortRange::new(5570, 5599),
            },
        }
    }

    /// The preset's PortOS core table: port → process, label and what the guide notes beside it.
    pub fn core_table(self) -> BTreeMap<u16, CorePort> {
        let rows: &[(u16, &str, &str, Option<&str>)] = match self {
            Guide::V2 => &[
                (5554, "portos-client", "ui", None),
                (5555, "portos-server", "api", None),
                (5556, "portos-browser", "cdp", None),
                (5557, "portos-browser", "health", None),
                (5558, "portos-cos", "api", None),
                (5559, "portos-autofixer", "api", None),
                (5560, "portos-autofixer-ui", "ui", None),
                (5561, "portos-db", "db", None),
            ],
            Guide::V1 => &[
                (5554, "portos-server", "api", None),
                (5555, "portos-client", "ui", None),
                (5556, "portos-browser", "cdp", None),
                (5557, "portos-browser", "health", None),
                (5558, "portos-cos", "api", None),
                (5559, "portos-autofixer", "api", None),
                (5560, "portos-autofixer-ui", "ui", None),
            ],
            Guide::Portos202608 => &[
                (
                    5553,
                    "portos-server",
                    "api-local",
                    Some("loopback HTTP mirror when HTTPS is on"),
                ),
                (5554, "portos-ui", "devUi", None),
                (5555, "portos-server", "api", None),
                (5556, "portos-browser", "cdp", None),
                (5557, "portos-browser", "health", None),
                (5558, "portos-cos", "api", None),
                (5559, "portos-autofixer", "api", None),
                (5560, "portos-autofixer-ui", "ui", None),
                (5561, "portos-db", "db", Some("Postgres in Docker")),
                (5568, "portos-llama-server", "api", Some("optional")),
                (8000, "portos-mtplx", "api", Some("optional")),
                (18020, "vLLM", "api", Some("Docker")),
                (18021, "SGLang", "api", Some("Docker")),
            ],
        };
        rows.iter()
            .map(|&(port, process, label, note)| {
                let mut entry = CorePort::new(process, label);
                entry.note = note.map(str::to_string);
                entry.source = CoreSource::Guide(self);
                (port, entry)
            })
            .collect()
    }
}

impl fmt::Display for Guide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an entry of PortOS's core table comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CoreSource {
    /// The guide preset in force: `{"kind": "guide", "guide": "v2"}` in JSON.
    Guide(#[serde(serialize_with = "guide_field")] Guide),
    /// The `core_ports` setting, which replaces the preset's table.
    #[default]
    Setting,
    /// PortOS's own ecosystem file (in the workspace, or under `[portos] root`).
    PortosFile {
        /// The file.
        file: PathBuf,
        /// The `PORTS` entry that defines the port (`PORTS.LLAMA_SERVER`), when one does.
        entry: Option<String>,
    },
}

/// A preset as the one field of its tagged map (a bare string cannot stand beside the tag).
fn guide_field<S: serde::Serializer>(guide: &Guide, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry("guide", guide)?;
    map.end()
}

impl CoreSource {
    /// Where the entry comes from, in words: "the guide preset v2", "`core_ports` in your settings",
    /// "PortOS's ecosystem.config.cjs, PORTS.LLAMA_SERVER".
    pub fn describe(&self) -> String {
        match self {
            CoreSource::Guide(guide) => format!("the guide preset {guide}"),
            CoreSource::Setting => "`core_ports` in your settings".into(),
            CoreSource::PortosFile { file, entry } => {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| file.display().to_string());
                match entry {
                    Some(entry) => format!("PortOS's {name}, {entry}"),
                    None => format!("PortOS's {name}"),
                }
            }
        }
    }
}

impl CorePort {
    /// Who holds the port, for messages: `portos-server (api)`, `portos-db (db; Postgres in Docker)`, or the
    /// `PORTS` entry of PortOS's own file that no process serves (`PORTS.LLAMA_SERVER`).
    pub fn who(&self) -> String {
        if self.label.is_empty() {
            return self.process.clone();
        }
        match &self.note {
            Some(note) => format!("{} ({}; {note})", self.process, self.label),
            None => format!("{} ({})", self.process, self.label),
        }
    }
}

impl CorePort {
    /// The holder as a party of a conflict: `PortOS's portos-server (api)` from a preset or the setting;
    /// from PortOS's own file, with the `PORTS` entry and the file named (`PortOS's portos-server (api,
    /// PORTS.API in its ecosystem.config.cjs)`, `PortOS's PORTS.LLAMA_SERVER (in its ecosystem.config.cjs, no
    /// PM2 process)`).
    pub fn party(&self) -> String {
        let CoreSource::PortosFile { file, entry } = &self.source else {
            return format!("PortOS's {}", self.who());
        };
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if self.label.is_empty() {
            return format!("PortOS's {} (in its {name}, no PM2 process)", self.process);
        }
        match entry {
            Some(entry) => format!(
                "PortOS's {} ({}, {entry} in its {name})",
                self.process, self.label
            ),
            None => format!("PortOS's {} ({}, in its {name})", self.process, self.label),
        }
    }
}

impl Config {
    /// The defaults with `guide`'s ranges and core table.
    pub fn for_guide(guide: Guide) -> Config {
        Config {
            guide,
            ranges: guide.ranges(),
            core_ports: guide.core_table(),
            ..Config::default()
        }
    }

    /// This configuration with the ports PortOS's own file holds joined to its core table (spec §12), the
    /// file's owner winning where both name a port.
    pub fn with_portos_file(&self, entries: &[(u16, CorePort)]) -> Config {
        let mut config = self.clone();
        for (port, owner) in entries {
            config.core_ports.insert(*port, owner.clone());
        }
        config
    }
}
