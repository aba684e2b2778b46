//! No input panics the analysis: every fixture truncated at every character boundary, fixtures with
//! pseudo-random byte flips, and pathological nesting all go through the full per-file check.

use portos_lsp::config::ConfigSource;
use portos_lsp::ide::Host;
use portos_lsp::vfs::DiskVfs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut stack = vec![root.join("tests/fixtures"), root.join("examples")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // The runaway-recovery inputs are the standing fuzz's (tests/fuzz.rs): each of their
                // truncations costs a slow parse.
                if !path.ends_with("hostile") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| {
                ["cjs", "js", "mjs", "json", "json5", "yml", "yaml"]
                    .iter()
                    .any(|x| e == *x)
            }) {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() > 100,
        "expected the fixture corpus, found {}",
        files.len()
    );
    files
}

fn check(path: &Path, text: &str) {
    let mut host = Host::new(Arc::new(DiskVfs::new()), ConfigSource::None);
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let files = vec![(path.to_path_buf(), Arc::from(text))];
    host.check_workspace(&root, files, &|_: &Path| Default::default())
        .unwrap();
    let _ = portos_lsp::portos::detect(text);
}

#[test]
fn every_fixture_truncated_at_every_character_boundary() {
    for path in fixture_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            check(&path, &text[..cut]);
        }
    }
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn random_byte_flips() {
    let mut rng = Lcg(0x5eed);
    let interesting = b"{}[]()'\"`/*\\,:;.$ \n0123456789PORT_";
    for path in fixture_files() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.is_empty() {
            continue;
        }
        for _ in 0..60 {
            let mut mutated = bytes.clone();
            for _ in 0..=(rng.next() % 4) {
                let at = (rng.next() as usize) % mutated.len();
                mutated[at] = interesting[(rng.next() as usize) % interesting.len()];
            }
            if let Ok(text) = String::from_utf8(mutated) {
                check(&path, &text);
            }
        }
    }
}

#[test]
fn pathological_nesting_and_sizes() {
    let path = Path::new("ecosystem.config.cjs");
    let deep_array = format!(
        "module.exports = {{ apps: {}{} }};",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    check(path, &deep_array);
    let deep_object = format!(
        "const PORTS = {}{};",
        "{a:".repeat(5_000),
        "1}".repeat(5_000)
    );
    check(path, &deep_object);
    let deep_parens = format!("const X = {}5570{};", "(".repeat(5_000), ")".repeat(5_000));
    check(path, &deep_parens);
    let long_chain = format!(
        "const A0 = 5570;\n{}",
        (1..3_000)
            .map(|i| format!("const A{i} = A{} + 1;\n", i - 1))
            .collect::<String>()
    );
    check(path, &long_chain);
    let many_ternaries = format!("const P = {}5570;", "c ? 1 : ".repeat(2_000));
    check(path, &many_ternaries);
    check(path, "");
    check(path, "\u{feff}");
    // PM2's YAML and JSON files: deep nesting, and aliases that repeat a value exponentially.
    let yaml = Path::new("ecosystem.yml");
    check(
        yaml,
        &format!("apps: {}{}", "[".repeat(20_000), "]".repeat(20_000)),
    );
    check(yaml, &format!("apps: {}", "- ".repeat(5_000)));
    let nested: String = (0..3_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    check(yaml, &nested);
    let mut laughs = String::from("a0: &a0 [5570, 5571]\n");
    for i in 1..30 {
        laughs.push_str(&format!(
            "a{i}: &a{i} [*a{0}, *a{0}, *a{0}, *a{0}]\n",
            i - 1
        ));
    }
    laughs.push_str("apps: [{ name: x, env: { PORT: 5570 }, args: *a29 }]\n");
    check(yaml, &laughs);
    check(yaml, "a: &x [*x]\napps: *x\n");
    check(yaml, "--- a\n--- b\n");
    check(yaml, "\t- x\n");
    let json = Path::new("ecosystem.json");
    check(
        json,
        &format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)),
    );
    check(json, "} // ");
    check(json, "");
    check(
        path,
        "module.exports = { apps: [ { name: '\u{1F680}', env: { PORT: 0x } } ] }",
    );
}
