//! The rule docs have one source, the rule modules: `docs/rules/<code>.md` and README.md's rules table must match
//! them. Run with `UPDATE_DOCS=1` to rewrite the files from the source.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var_os("UPDATE_DOCS").is_some()
}

#[test]
fn rule_pages_match_the_rule_modules() {
    let dir = root().join("docs/rules");
    for rule in portos_lsp::rules::ALL {
        let path = dir.join(format!("{}.md", rule.code));
        if updating() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, rule.docs).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            on_disk,
            rule.docs,
            "{} drifted from the rule's docs; run UPDATE_DOCS=1 cargo test --test docs",
            path.display()
        );
    }
    // Plus `not-analysed`, the server's own diagnostic (no rule module: it says the rules did not run).
    let pages = std::fs::read_dir(&dir).unwrap().count();
    assert!(dir.join("not-analysed.md").is_file());
    assert_eq!(
        pages,
        portos_lsp::rules::ALL.len() + 1,
        "docs/rules holds pages for rules that do not exist"
    );
}

fn rules_table() -> String {
    let mut table = String::from("| code | default | what it flags |\n|---|---|---|\n");
    for rule in portos_lsp::rules::ALL {
        table.push_str(&format!(
            "| [`{}`](docs/rules/{}.md) | {} | {} |\n",
            rule.code,
            rule.code,
            rule.default_severity.as_str(),
            rule.summary
        ));
    }
    table
}

#[test]
fn readme_rules_table_matches_the_rules() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap_or_default();
    let (begin, end) = ("<!-- rules:begin -->\n", "<!-- rules:end -->");
    let start = readme
        .find(begin)
        .expect("README.md has a rules:begin marker")
        + begin.len();
    let stop = readme.find(end).expect("README.md has a rules:end marker");
    let table = rules_table();
    if updating() {
        let updated = format!("{}{}{}", &readme[..start], table, &readme[stop..]);
        std::fs::write(&path, &updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..stop],
        table,
        "README.md's rules table drifted; run UPDATE_DOCS=1 cargo test --test docs"
    );
}
