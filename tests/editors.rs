//! The editor set-ups as files. Helix is not in Debian's packages, so its `editors/helix/languages.toml` is
//! checked here the way Helix reads it: TOML, only keys Helix knows (it refuses a language with an unknown
//! key), its `file-types` globs matched as Helix matches them (globset, `*/` put in front, against the full
//! path) picking exactly the names portos-lsp reads, and a `[language-server.portos-lsp]` that runs `serve`.
//! README's Helix and Emacs blocks must be the files (Neovim's are checked by tests/editors/neovim/run.sh, which
//! also runs them; Emacs's file runs in tests/editors/emacs/run.sh).

use globset::{Glob, GlobSet, GlobSetBuilder};
use portos_lsp::syntax::Format;
use portos_lsp::workspace::is_ecosystem_name;
use std::path::Path;
use toml::{Table, Value};

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The first ```` ```lang ```` block under `heading` (a `### ` line) of README's "## Editors" section, with a
/// final newline as the files have.
fn readme_block(heading: &str, lang: &str) -> Option<String> {
    let readme = read("README.md");
    let fence = format!("```{lang}");
    let (mut editors, mut section, mut block) = (false, false, None::<String>);
    for line in readme.lines() {
        if let Some(text) = block.as_mut() {
            if line == "```" {
                return block;
            }
            text.push_str(line);
            text.push('\n');
        } else if line.starts_with("## ") {
            editors = line == "## Editors";
            section = false;
        } else if line.starts_with("### ") {
            section = editors && line == heading;
        } else if section && line == fence {
            block = Some(String::new());
        }
    }
    None
}

fn helix() -> Table {
    toml::from_str(&read("editors/helix/languages.toml"))
        .expect("editors/helix/languages.toml is TOML")
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The `[[language]]` tables of the file, each with the format its files are read in: JavaScript, JSON, YAML.
fn languages(file: &Table) -> Vec<(&Table, Format)> {
    let languages = file["language"].as_array().expect("[[language]] tables");
    let tables: Vec<&Table> = languages.iter().map(|l| l.as_table().unwrap()).collect();
    let names: Vec<&str> = tables.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["pm2-ecosystem", "pm2-ecosystem-json", "pm2-ecosystem-yaml"],
        "one language per format"
    );
    tables
        .into_iter()
        .zip([Format::JavaScript, Format::Json, Format::Yaml])
        .collect()
}

/// The grammar (and so the queries) each format's language is on.
fn grammar_of(format: Format) -> &'static str {
    match format {
        Format::JavaScript => "javascript",
        Format::Json => "json",
        Format::Yaml => "yaml",
    }
}

/// The `file-types` globs as Helix builds them: `*/` in front of a glob that is not absolute and does not start
/// with `*/`, default globset options (so `*` also crosses `/`), matched against the file's full path.
fn helix_globs(language: &Table) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for entry in language["file-types"]
        .as_array()
        .expect("file-types is a list")
    {
        let table = entry.as_table().expect(
            "each file type is a { glob = … } table: a bare string would claim an extension",
        );
        assert_eq!(
            table.len(),
            1,
            "a file-types table has the one key `glob`: {table:?}"
        );
        let glob = table["glob"].as_str().expect("glob is a string");
        let glob = if glob.starts_with('/') || glob.starts_with("*/") {
            glob.to_string()
        } else {
            format!("*/{glob}")
        };
        builder.add(Glob::new(&glob).expect("a glob Helix accepts"));
    }
    builder.build().unwrap()
}

#[test]
fn helix_languages_are_pm2_ecosystem_on_each_formats_grammar() {
    let file = helix();
    let keys: Vec<&str> = file.keys().map(String::as_str).collect();
    assert_eq!(keys, ["language", "language-server"], "top-level tables");
    for (language, format) in languages(&file) {
        check_language(language, format);
    }
}

fn check_language(language: &Table, format: Format) {
    // The keys of Helix's LanguageConfiguration (helix-core/src/syntax/config.rs, deny_unknown_fields).
    const KNOWN: &[&str] = &[
        "name",
        "language-id",
        "scope",
        "file-types",
        "shebangs",
        "roots",
        "comment-token",
        "comment-tokens",
        "block-comment-tokens",
        "text-width",
        "soft-wrap",
        "auto-format",
        "code-actions-on-save",
        "formatter",
        "path-completion",
        "word-completion",
        "diagnostic-severity",
        "grammar",
        "injection-regex",
        "language-servers",
        "indent",
        "debugger",
        "auto-pairs",
        "rulers",
        "workspace-lsp-roots",
        "persistent-diagnostic-sources",
        "rainbow-brackets",
    ];
    for key in language.keys() {
        assert!(
            KNOWN.contains(&key.as_str()),
            "Helix knows no language key `{key}`"
        );
    }
    for required in ["name", "scope", "file-types"] {
        assert!(language.contains_key(required), "Helix needs `{required}`");
    }
    let name = language["name"].as_str().unwrap();
    let scope = language["scope"].as_str().unwrap();
    assert_eq!(scope, format!("source.{name}"), "scope {scope}");
    let grammar = grammar_of(format);
    assert_eq!(language["grammar"].as_str(), Some(grammar));
    // The format's own server is told the file is JavaScript, JSON or YAML, not `pm2-ecosystem`.
    let (id, other) = match format {
        Format::JavaScript => ("javascript", "typescript-language-server"),
        Format::Json => ("json", "vscode-json-language-server"),
        Format::Yaml => ("yaml", "yaml-language-server"),
    };
    assert_eq!(language["language-id"].as_str(), Some(id));
    assert_eq!(
        strings(language.get("language-servers")),
        ["portos-lsp", other]
    );
    let comment = if format == Format::Yaml { "#" } else { "//" };
    assert_eq!(language["comment-token"].as_str(), Some(comment));
    let roots = strings(language.get("roots"));
    assert_eq!(roots, ["portos-lsp.toml", ".portos-lsp.toml"]);
    for root in roots {
        Glob::new(root).expect("roots are globs in Helix");
    }
    let indent = language["indent"].as_table().unwrap();
    assert_eq!(indent["unit"].as_str(), Some("  "));
    assert_eq!(indent["tab-width"].as_integer(), Some(2));
}

#[test]
fn helix_globs_pick_the_names_portos_lsp_reads() {
    let file = helix();
    let languages: Vec<(GlobSet, Format)> = languages(&file)
        .into_iter()
        .map(|(language, format)| (helix_globs(language), format))
        .collect();
    let names = [
        "ecosystem.config.js",
        "ecosystem.config.cjs",
        "ecosystem.config.mjs",
        "ecosystem.prod.config.js",
        "ecosystem.staging.eu.config.cjs",
        "ecosystem.dev.config.mjs",
        "ecosystem.config.config.js",
        "pm2.config.js",
        "pm2.config.cjs",
        "pm2.config.mjs",
        "server.js",
        "index.mjs",
        "ecosystem.js",
        "ecosystem..config.js",
        "my-ecosystem.config.js",
        "ecosystem.config.ts",
        "ecosystem.config.json",
        "ecosystem.config.jsx",
        "ecosystem.config.js.bak",
        "pm2.config.json",
        "pm2.js",
        "webpack.config.js",
        "Ecosystem.config.js",
        "ecosystem.json",
        "ecosystem.config.json5",
        "ecosystem-staging.yml",
        "ecosystem.prod.yaml",
        "pm2.yaml",
        "pm2-apps.json",
        "process.json",
        "processes.json",
        "package.json",
        "tsconfig.json",
        "docker-compose.yml",
        "my-ecosystem.yml",
        "processes.yaml",
    ];
    for name in names {
        for dir in ["/home/me/apps/shop", "/srv"] {
            let path = format!("{dir}/{name}");
            let matching: Vec<Format> = languages
                .iter()
                .filter(|(globs, _)| globs.is_match(&path))
                .map(|(_, format)| *format)
                .collect();
            assert_eq!(
                !matching.is_empty(),
                is_ecosystem_name(name),
                "Helix's globs and portos-lsp disagree on {path}"
            );
            if let [format] = matching.as_slice() {
                assert_eq!(
                    *format,
                    Format::of_name(name),
                    "{path} is in the wrong language"
                );
            }
            assert!(matching.len() <= 1, "{path} is claimed twice: {matching:?}");
        }
    }
    assert!(is_ecosystem_name("ecosystem.config.cjs") && !is_ecosystem_name("server.js"));
}

#[test]
fn helix_language_server_runs_portos_lsp_serve() {
    let file = helix();
    let servers = file["language-server"]
        .as_table()
        .expect("[language-server.*] tables");
    let keys: Vec<&str> = servers.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["portos-lsp"],
        "typescript-language-server is Helix's own"
    );
    let server = servers["portos-lsp"].as_table().unwrap();
    // The keys of Helix's LanguageServerConfiguration.
    const KNOWN: &[&str] = &[
        "command",
        "args",
        "environment",
        "config",
        "timeout",
        "required-root-patterns",
    ];
    for key in server.keys() {
        assert!(
            KNOWN.contains(&key.as_str()),
            "Helix knows no language-server key `{key}`"
        );
    }
    assert_eq!(server["command"].as_str(), Some("portos-lsp"));
    assert_eq!(strings(server.get("args")), ["serve"]);
    // `serve` is a command of the binary.
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_portos-lsp"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success(), "portos-lsp serve --help: {help:?}");
}

#[test]
fn helix_queries_inherit_each_grammars() {
    // README's shell loop writes the same files.
    let script = readme_block("### Helix", "sh").expect("README has a sh block under ### Helix");
    let list = script
        .lines()
        .find_map(|line| line.trim().strip_prefix("for q in ")?.strip_suffix("; do"))
        .expect("the loop over the query names");
    let mut looped: Vec<String> = list
        .split_whitespace()
        .map(|q| format!("{q}.scm"))
        .collect();
    looped.sort();
    let pairs = script
        .lines()
        .find_map(|line| line.strip_prefix("for pair in ")?.strip_suffix("; do"))
        .expect("the loop over the languages");
    let file = helix();
    for (language, format) in languages(&file) {
        let name = language["name"].as_str().unwrap();
        let grammar = grammar_of(format);
        assert!(
            pairs
                .split_whitespace()
                .any(|p| p == format!("{name}:{grammar}")),
            "README's loop lacks {name}:{grammar}"
        );
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("editors/helix/runtime/queries")
            .join(name);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        for query in &names {
            let text = std::fs::read_to_string(dir.join(query)).unwrap();
            assert_eq!(text, format!("; inherits: {grammar}\n"), "{name}/{query}");
        }
        assert_eq!(looped, names, "{name}");
        for query in ["highlights.scm", "indents.scm", "textobjects.scm"] {
            assert!(
                names.iter().any(|n| n == query),
                "{name}/{query} is shipped"
            );
        }
    }
    assert!(script.contains(
        "echo \"; inherits: ${pair##*:}\" >~/.config/helix/runtime/queries/${pair%%:*}/$q.scm"
    ));
}

#[test]
fn readme_shows_the_helix_and_emacs_files_verbatim() {
    for (heading, lang, path) in [
        ("### Helix", "toml", "editors/helix/languages.toml"),
        ("### Emacs", "elisp", "editors/emacs/portos-lsp.el"),
    ] {
        let block = readme_block(heading, lang)
            .unwrap_or_else(|| panic!("README has a {lang} block under {heading}"));
        assert_eq!(
            block,
            read(path),
            "README's {lang} block under {heading} is not {path}"
        );
    }
}

#[test]
fn emacs_file_registers_the_modes_and_the_server() {
    let el = read("editors/emacs/portos-lsp.el");
    for needle in [
        "(define-derived-mode portos-ecosystem-mode js-mode ",
        "(define-derived-mode portos-ecosystem-json-mode js-mode ",
        "(define-derived-mode portos-ecosystem-yaml-mode portos-lsp--yaml-parent ",
        "(add-to-list 'auto-mode-alist",
        "'((portos-ecosystem-mode portos-ecosystem-json-mode portos-ecosystem-yaml-mode)\n                 . (\"portos-lsp\" \"serve\"))",
        "(add-hook 'portos-ecosystem-mode-hook #'eglot-ensure)",
        "(add-hook 'portos-ecosystem-json-mode-hook #'eglot-ensure)",
        "(add-hook 'portos-ecosystem-yaml-mode-hook #'eglot-ensure)",
        "(provide 'portos-lsp)",
    ] {
        assert!(el.contains(needle), "portos-lsp.el lacks {needle}");
    }
    // The auto-mode-alist regexps, read from the file and turned into Rust regex syntax (Emacs `\\(?:`, `\\|`,
    // `\\)`, `\\'`), accept the names portos-lsp reads, each in its format's mode, and nothing else.
    let mut entries: Vec<(regex::Regex, Format)> = Vec::new();
    let mut rest = el.as_str();
    while let Some(at) = rest.find("'(\"/") {
        let start = at + 3;
        let end = start + rest[start..].find('"').unwrap();
        let elisp = rest[start..end].replace("\\\\", "\\");
        // `" . mode))`: the word after the dot.
        let mode = rest[end..]
            .split_whitespace()
            .nth(2)
            .unwrap()
            .trim_end_matches(')');
        let format = match mode {
            "portos-ecosystem-mode" => Format::JavaScript,
            "portos-ecosystem-json-mode" => Format::Json,
            "portos-ecosystem-yaml-mode" => Format::Yaml,
            other => panic!("an auto-mode-alist entry for {other}"),
        };
        let rust = elisp
            .replace("\\(?:", "(?:")
            .replace("\\|", "|")
            .replace("\\)", ")")
            .replace("\\'", "$");
        let re = regex::Regex::new(&rust).unwrap_or_else(|e| panic!("{rust}: {e}"));
        entries.push((re, format));
        rest = &rest[end..];
    }
    assert_eq!(entries.len(), 3, "one auto-mode-alist entry per format");
    for name in [
        "ecosystem.config.js",
        "ecosystem.config.cjs",
        "ecosystem.config.mjs",
        "ecosystem.prod.config.js",
        "ecosystem.staging.eu.config.cjs",
        "pm2.config.mjs",
        "server.js",
        "ecosystem.js",
        "ecosystem..config.js",
        "my-ecosystem.config.js",
        "ecosystem.config.ts",
        "pm2.config.json",
        "webpack.config.js",
        "ecosystem.json",
        "ecosystem.config.json5",
        "ecosystem-staging.yml",
        "pm2.yaml",
        "process.json",
        "processes.json",
        "package.json",
        "docker-compose.yml",
        "my-ecosystem.yaml",
        "ecosystem.json.bak",
    ] {
        let path = format!("/home/me/shop/{name}");
        let matching: Vec<Format> = entries
            .iter()
            .filter(|(re, _)| re.is_match(&path))
            .map(|(_, format)| *format)
            .collect();
        assert_eq!(
            !matching.is_empty(),
            is_ecosystem_name(name),
            "{path}: {matching:?}"
        );
        if let [format] = matching.as_slice() {
            assert_eq!(
                *format,
                Format::of_name(name),
                "{path} opens in the wrong mode"
            );
        }
        assert!(matching.len() <= 1, "{path}: {matching:?}");
    }
}
