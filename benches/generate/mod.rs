//! Generates realistic, `require`-free PM2 ecosystem files for the benchmarks, deterministically.
//!
//! A file has a `PORTS` table of nested groups (`PORTS.SERVICES.BILLING_3.API`), then `module.exports`
//! with the table and one API and one UI app per group: `env` and `env_production` blocks, connects-to
//! keys, `--port` in `args`, template strings, a spread of shared env, and comments throughout.

use std::fmt::Write as _;

/// The words group names are made of; an index keeps them unique.
const WORDS: &[&str] = &[
    "billing",
    "catalog",
    "search",
    "auth",
    "notify",
    "media",
    "reports",
    "gateway",
    "ledger",
    "inbox",
    "scheduler",
    "metrics",
];

/// The top-level sections of the `PORTS` table; each group sits in one of them.
const SECTIONS: &[&str] = &["SERVICES", "TOOLS", "INTERNAL"];

/// Ports each group allocates, contiguously: API, UI, METRICS.
pub const PORTS_PER_GROUP: u32 = 3;

/// A small deterministic generator (xorshift64*), so every run benchmarks the same text (and the tests that
/// share it replay the same inputs).
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One group: its section, its identifier in `PORTS`, its kebab-case app prefix and its first port.
struct Group {
    section: &'static str,
    key: String,
    app: String,
    /// API, UI and metrics ports.
    ports: [u32; 3],
    /// True for a file of one app: a flat `PORTS` table (`PORTS.API`), as the PortOS guide writes it.
    flat: bool,
}

impl Group {
    fn new(index: usize, first_port: u32) -> Self {
        let word = WORDS[index % WORDS.len()];
        Group {
            section: SECTIONS[index % SECTIONS.len()],
            key: format!("{}_{index}", word.to_uppercase()),
            app: format!("{word}-{index}"),
            ports: std::array::from_fn(|i| first_port + index as u32 * PORTS_PER_GROUP + i as u32),
            flat: false,
        }
    }

    fn path(&self, port: &str) -> String {
        if self.flat {
            format!("PORTS.{port}")
        } else {
            format!("PORTS.{}.{}.{port}", self.section, self.key)
        }
    }
}

/// The `PORTS` entries of one group: inside its section, or the whole table of a flat file.
fn ports_entry(out: &mut String, group: &Group) {
    let [api, ui, metrics] = group.ports;
    let indent = if group.flat { "  " } else { "      " };
    if !group.flat {
        let _ = writeln!(
            out,
            "    // {}: API, UI and metrics, allocated together",
            group.app
        );
        let _ = writeln!(out, "    {}: {{", group.key);
    }
    let _ = writeln!(out, "{indent}API: {api}, // REST API");
    let _ = writeln!(out, "{indent}UI: {ui}, // Vite dev server");
    let _ = writeln!(
        out,
        "{indent}METRICS: {metrics} // Prometheus scrape endpoint"
    );
    if !group.flat {
        let _ = writeln!(out, "    }},");
    }
}

/// The two apps of one group.
fn apps_entry(out: &mut String, group: &Group, rng: &mut Rng) {
    let api = group.path("API");
    let ui = group.path("UI");
    let metrics = group.path("METRICS");
    let name = &group.app;
    let instances = 1 + rng.below(4);
    let _ = writeln!(out, "    // ---- {name} ----");
    let _ = writeln!(out, "    {{");
    let _ = writeln!(out, "      name: '{name}-api',");
    let _ = writeln!(out, "      script: 'dist/server.js',");
    let _ = writeln!(out, "      cwd: './services/{name}',");
    let _ = writeln!(out, "      instances: {instances},");
    let _ = writeln!(out, "      exec_mode: 'fork',");
    let _ = writeln!(out, "      max_memory_restart: '{}M',", 256 << rng.below(3));
    let _ = writeln!(out, "      env: {{");
    let _ = writeln!(out, "        ...SHARED_ENV,");
    let _ = writeln!(out, "        PORT: {api},");
    let _ = writeln!(
        out,
        "        METRICS_PORT: {metrics}, // scraped by Prometheus"
    );
    let _ = writeln!(out, "        DB_PORT: 5432, // the shared PostgreSQL");
    let _ = writeln!(out, "        REDIS_PORT: 6379,");
    let _ = writeln!(
        out,
        "        PUBLIC_URL: `http://localhost:${{{ui}}}/{name}`,"
    );
    let _ = writeln!(out, "      }},");
    let _ = writeln!(out, "      env_production: {{");
    let _ = writeln!(out, "        NODE_ENV: 'production',");
    let _ = writeln!(out, "        PORT: {api},");
    let _ = writeln!(out, "        METRICS_PORT: {metrics},");
    let _ = writeln!(out, "        LOG_LEVEL: 'warn'");
    let _ = writeln!(out, "      }}");
    let _ = writeln!(out, "    }},");
    let _ = writeln!(out, "    {{");
    let _ = writeln!(out, "      name: '{name}-ui',");
    let _ = writeln!(out, "      script: 'node_modules/.bin/vite',");
    let _ = writeln!(out, "      cwd: './web/{name}',");
    let _ = writeln!(
        out,
        "      args: `--port ${{{ui}}} --strictPort --host 127.0.0.1`,"
    );
    let _ = writeln!(out, "      watch: false,");
    let _ = writeln!(out, "      env: {{");
    let _ = writeln!(out, "        VITE_PORT: {ui},");
    let _ = writeln!(
        out,
        "        VITE_API_URL: `http://localhost:${{{api}}}/api/v{}`",
        1 + rng.below(3)
    );
    let _ = writeln!(out, "      }}");
    let _ = writeln!(out, "    }},");
}

/// Builds a file from `groups`; `seed` varies the details (instances, memory limits, API versions).
fn assemble(groups: &[Group], seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let mut ports: Vec<String> = SECTIONS.iter().map(|_| String::new()).collect();
    let mut apps = String::new();
    for group in groups {
        let section = SECTIONS
            .iter()
            .position(|s| *s == group.section)
            .unwrap_or(0);
        ports_entry(&mut ports[section], group);
        apps_entry(&mut apps, group, &mut rng);
    }
    let mut out = String::with_capacity(apps.len() * 2);
    out.push_str("// Generated for portos-lsp's benchmarks.\n");
    out.push_str(
        "// =============================================================================\n",
    );
    out.push_str("// Port Configuration - All ports defined here as single source of truth\n");
    out.push_str(
        "// =============================================================================\n",
    );
    // The one-app files write a plain object literal, which is what PortOS's own reader understands; the
    // large files freeze theirs, which PortOS does not read (a `portos-reads-differently` per app).
    let flat = groups.iter().all(|g| g.flat);
    out.push_str(if flat {
        "const PORTS = {\n"
    } else {
        "const PORTS = Object.freeze({\n"
    });
    for (section, body) in SECTIONS.iter().zip(&ports) {
        if flat {
            out.push_str(body);
            continue;
        }
        if body.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  {section}: {{");
        out.push_str(body);
        out.push_str("  },\n");
    }
    out.push_str(if flat { "};\n\n" } else { "});\n\n" });
    out.push_str("/* Shared by every API process. */\n");
    out.push_str("const SHARED_ENV = {\n");
    out.push_str("  NODE_ENV: 'development',\n");
    out.push_str("  LOG_LEVEL: process.env.LOG_LEVEL || 'info',\n");
    out.push_str("  TZ: 'UTC'\n");
    out.push_str("};\n\n");
    out.push_str("module.exports = {\n");
    out.push_str("  PORTS, // Export for other configs to reference\n");
    out.push_str("  apps: [\n");
    out.push_str(&apps);
    out.push_str("  ]\n};\n");
    out
}

/// A file of about `target_bytes`: the number of groups whose size is nearest, ports from `first_port`
/// on. Returns the text and its number of groups (each: two apps, three ports).
pub fn ecosystem_of_size(target_bytes: usize, first_port: u32) -> (String, usize) {
    let build = |count: usize| {
        let groups: Vec<Group> = (0..count).map(|i| Group::new(i, first_port)).collect();
        assemble(&groups, count as u64)
    };
    // Estimate from one and two groups, then step to the first size at or above the target.
    let one = build(1).len();
    let per_group = build(2).len().saturating_sub(one).max(1);
    let mut count = 1 + target_bytes.saturating_sub(one) / per_group;
    let mut text = build(count);
    while text.len() < target_bytes {
        count += 1;
        text = build(count);
    }
    while count > 1 {
        let smaller = build(count - 1);
        if smaller.len().abs_diff(target_bytes) < text.len().abs_diff(target_bytes) {
            count -= 1;
            text = smaller;
        } else {
            break;
        }
    }
    (text, count)
}

/// One app's ecosystem file of about 2 KB for workspace `index`, with a flat `PORTS` table of `ports`
/// (API, UI, metrics); the apps are named after the index so that every file is distinct.
pub fn workspace_app(index: usize, ports: [u32; 3]) -> String {
    let mut group = Group::new(index, 0);
    group.ports = ports;
    group.flat = true;
    let text = assemble(&[group], index as u64);
    // Pad with a realistic header comment block to about 2 KB, as real files carry notes.
    let mut out = String::with_capacity(2100);
    out.push_str("/**\n");
    out.push_str(
        " * PM2 process file for this app. Start with `pm2 start ecosystem.config.cjs`,\n",
    );
    out.push_str(" * production with `pm2 start ecosystem.config.cjs --env production`.\n");
    out.push_str(" * Ports follow the PortOS allocation guide: one contiguous block per app.\n");
    while out.len() + text.len() < 2000 {
        out.push_str(" * (notes kept by the team: deploy steps, owners, dashboards)\n");
    }
    out.push_str(" */\n");
    out.push_str(&text);
    out
}
