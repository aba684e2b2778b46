//! What PortOS's regex detector makes of each fixture under `tests/fixtures/portos/`, per `portos-detection.md`.

use portos_lsp::config::ConfigSource;
use portos_lsp::ide::Host;
use portos_lsp::portos::{
    ConstValue, DetectedProcess, constant_table, detect, detect_with_vite_lookup, display_line,
};
use portos_lsp::syntax::LineIndex;
use portos_lsp::vfs::MemoryVfs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

type Summary<'a> = Vec<(&'a str, Vec<(&'a str, i64)>)>;

fn fixture(file: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/portos/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn fixture_names() -> Vec<String> {
    let dir = format!("{}/tests/fixtures/portos", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("fixture directory")
        .map(|entry| {
            entry
                .expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".cjs"))
        .collect();
    names.sort();
    names
}

/// Names and `(label, port)` lists, in the detector's order.
fn summary(processes: &[DetectedProcess]) -> Summary<'_> {
    processes
        .iter()
        .map(|process| (process.name.as_str(), labels(process)))
        .collect()
}

fn labels(process: &DetectedProcess) -> Vec<(&str, i64)> {
    process
        .ports
        .iter()
        .map(|found| (found.label.as_str(), found.port))
        .collect()
}

fn primary_ports(processes: &[DetectedProcess]) -> Vec<Option<i64>> {
    processes.iter().map(|process| process.port).collect()
}

fn table_number(table: &[(String, ConstValue)], key: &str) -> Option<i64> {
    table
        .iter()
        .find(|(name, _)| name == key)
        .and_then(|(_, value)| value.number())
}

fn table_group(table: &[(String, ConstValue)], key: &str) -> Option<Vec<(String, i64)>> {
    table
        .iter()
        .find(|(name, _)| name == key)
        .and_then(|(_, value)| match value {
            ConstValue::Group(members) => Some(
                members
                    .iter()
                    .map(|(sub, number)| (sub.clone(), number.value))
                    .collect(),
            ),
            ConstValue::Number(_) => None,
        })
}

/// Every port's `value_range` points at digits in the text that spell its number.
fn assert_ranges_spell_ports(text: &str, processes: &[DetectedProcess]) {
    for process in processes {
        assert_eq!(&text[process.name_range.as_range()], process.name);
        assert!(text[process.block_range.as_range()].starts_with('{'));
        for found in &process.ports {
            let range = found
                .value_range
                .expect("detector ports come from the text");
            let digits = &text[range.as_range()];
            assert_eq!(
                digits.parse::<i64>().ok(),
                Some(found.port),
                "{} {}",
                process.name,
                found.label
            );
        }
    }
}

/// `portos-reads-differently`'s findings for a fixture checked as the `ecosystem.config.cjs` of an app
/// directory (so it is the file PortOS reads) under PortOS's convention, each as `line: message`.
fn reads_differently(file: &str) -> Vec<String> {
    let text = fixture(file);
    let path = PathBuf::from("/portos-fixtures/app/ecosystem.config.cjs");
    let vfs = MemoryVfs::default();
    vfs.insert(&path, text.clone());
    vfs.insert(
        "/portos-fixtures/app/portos-lsp.toml",
        "[app]\nconvention = \"portos\"\n",
    );
    let mut host = Host::new(Arc::new(vfs), ConfigSource::Discover);
    let checked = host
        .check(&path, Arc::from(text.as_str()))
        .expect("no configuration file to fail on");
    let index = LineIndex::new(&text);
    checked
        .report
        .findings
        .iter()
        .filter(|finding| finding.code == "portos-reads-differently")
        .map(|finding| {
            let line = index.line_of(finding.range.start as usize) + 1;
            format!("{line}: {}", finding.message)
        })
        .collect()
}

fn check(file: &str, expected: Summary<'_>) -> (String, Vec<DetectedProcess>) {
    let text = fixture(file);
    let found = detect(&text);
    assert_eq!(summary(&found), expected, "{file}");
    assert_ranges_spell_ports(&text, &found);
    (text, found)
}

// ---------------------------------------------------------------------------------------------------------
// §3 rules

#[test]
fn rule_constants_loose() {
    let (text, found) = check(
        "rule-constants-loose.cjs",
        vec![("billing-api", vec![("api", 6100), ("health", 6101)])],
    );
    let table = constant_table(&text);
    let keys: Vec<&str> = table.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(
        keys,
        vec!["API_PORT", "HEALTHPORT", "REPORT_INTERVAL", "API_PORT_OLD"]
    );
    assert_eq!(table_number(&table, "REPORT_INTERVAL"), Some(30));
    // The port's range points at the constant's digits.
    let api = &found[0].ports[0];
    assert_eq!(&text[api.value_range.unwrap().as_range()], "6100");
    assert!(text[..api.value_range.unwrap().start as usize].ends_with("const API_PORT = "));
}

#[test]
fn rule_ports_table_groups() {
    let (text, _) = check(
        "rule-ports-table-groups.cjs",
        vec![
            ("shop-gateway", vec![("api", 6210), ("admin", 6211)]),
            ("shop-worker", vec![("metrics", 6220)]),
            ("shop-api", vec![("api", 6200)]),
            ("shop-admin", vec![("admin", 6211)]),
        ],
    );
    let table = constant_table(&text);
    assert_eq!(table_number(&table, "PORTS.API"), Some(6200));
    assert_eq!(table_number(&table, "PORTS.gateway.admin"), Some(6211));
    // Nested keys also land at the top level.
    assert_eq!(table_number(&table, "PORTS.api"), Some(6210));
    assert_eq!(table_number(&table, "PORTS.metrics"), Some(6220));
    assert_eq!(
        table_group(&table, "PORTS.gateway"),
        Some(vec![("api".to_string(), 6210), ("admin".to_string(), 6211)])
    );
}

#[test]
fn rule_app_start() {
    let (text, found) = check(
        "rule-app-start.cjs",
        vec![
            ("notes-api", vec![("api", 6300)]),
            ("notes-worker", vec![("api", 6301)]),
            ("notes-cron", vec![]),
        ],
    );
    assert_eq!(&text[found[1].name_range.as_range()], "notes-worker");
    assert_eq!(primary_ports(&found), vec![Some(6300), Some(6301), None]);
}

#[test]
fn rule_block_end_strings_comments() {
    let (text, found) = check(
        "rule-block-end-strings-comments.cjs",
        vec![
            ("chat-api", vec![("api", 6310)]),
            ("chat-worker", vec![("api", 6311)]),
        ],
    );
    let block = &text[found[0].block_range.as_range()];
    assert!(block.ends_with("},\n    }"), "{block}");
    assert!(!block.contains("chat-worker"));
}

#[test]
fn rule_unclosed_block() {
    let (_, found) = check("rule-unclosed-block.cjs", vec![("draft-api", vec![])]);
    assert_eq!(found[0].block_range.end - found[0].block_range.start, 1);
    assert_eq!(found[0].port, None);
}

#[test]
fn rule_source_order() {
    check(
        "rule-source-order.cjs",
        vec![
            ("kiosk-ui", vec![("ui", 7202)]),
            ("kiosk-admin", vec![("ui", 7203)]),
            ("kiosk-map", vec![("api", 7205)]),
        ],
    );
}

#[test]
fn rule_literal_ports_map() {
    check(
        "rule-literal-ports-map.cjs",
        vec![
            ("media-server", vec![("api", 6400), ("ws", 6401)]),
            ("media-empty-map", vec![("api", 6403)]),
        ],
    );
}

#[test]
fn rule_ports_reference() {
    check(
        "rule-ports-reference.cjs",
        vec![
            ("search-api", vec![("api", 6411), ("ui", 6412)]),
            ("search-scalar", vec![("api", 6413)]),
            ("search-loose", vec![("api", 6414)]),
        ],
    );
}

#[test]
fn rule_env_precedence() {
    check(
        "rule-env-precedence.cjs",
        vec![(
            "ledger-api",
            vec![("api", 6502), ("metrics", 9100), ("audit", 6511)],
        )],
    );
}

#[test]
fn rule_env_block_extent() {
    check(
        "rule-env-block-extent.cjs",
        vec![("tern-api", vec![("api", 8400)])],
    );
}

#[test]
fn rule_env_value_forms() {
    check(
        "rule-env-value-forms.cjs",
        vec![(
            "forms-api",
            vec![
                ("api", 6600),
                ("admin", 6601),
                ("docs", 6602),
                ("queue", 6620),
                ("http", 6630),
                ("debug", 99999),
            ],
        )],
    );
}

#[test]
fn rule_env_key_boundaries() {
    check(
        "rule-env-key-boundaries.cjs",
        vec![(
            "relay-api",
            vec![("api", 6700), ("grpc", 6701), ("admin", 6702), ("h2", 6704)],
        )],
    );
}

#[test]
fn rule_labels_by_name() {
    let (_, found) = check(
        "rule-labels-by-name.cjs",
        vec![
            ("atlas-api", vec![("api", 6800)]),
            ("atlas-UI", vec![("ui", 6801)]),
            ("atlas_client", vec![("ui", 6802)]),
            ("atlas-web", vec![("api", 6803)]),
            ("ui", vec![("api", 6804)]),
            ("atlas-browser", vec![("cdp", 6805), ("health", 6806)]),
            ("plain-browser", vec![("api", 6807)]),
        ],
    );
    assert_eq!(found[5].port, Some(6805));
}

#[test]
fn rule_generic_labels() {
    check(
        "rule-generic-labels.cjs",
        vec![(
            "metrics-api",
            vec![
                ("api", 6900),
                ("metricsHttp", 6901),
                ("coinbaseIpc", 6902),
                ("devUi", 6903),
            ],
        )],
    );
}

#[test]
fn rule_vite_port_replaces_ui() {
    let (_, found) = check(
        "rule-vite-port-replaces-ui.cjs",
        vec![
            ("canvas-ui", vec![("ui", 7401)]),
            ("canvas-worker", vec![("worker", 7402)]),
        ],
    );
    assert!(found[0].uses_vite);
    assert!(!found[1].uses_vite);
}

#[test]
fn rule_args_port() {
    check(
        "rule-args-port.cjs",
        vec![
            ("studio-ui", vec![("ui", 7000)]),
            ("studio-preview", vec![("ui", 7001)]),
            ("studio-twice", vec![("ui", 7011)]),
        ],
    );
}

#[test]
fn rule_bare_port() {
    check(
        "rule-bare-port.cjs",
        vec![
            ("docs-ui", vec![("api", 7100)]),
            ("docs-search", vec![("api", 7101)]),
        ],
    );
}

#[test]
fn rule_primary_port() {
    let (_, found) = check(
        "rule-primary-port.cjs",
        vec![
            ("radar-api", vec![("7301", 7302), ("api", 7300)]),
            ("radar-browser", vec![("cdp", 7303), ("health", 7304)]),
        ],
    );
    assert_eq!(primary_ports(&found), vec![Some(7302), Some(7303)]);
}

#[test]
fn rule_devui_postpass() {
    let (_, found) = check(
        "rule-devui-postpass.cjs",
        vec![
            ("forge-server", vec![("api", 7500)]),
            ("forge-client", vec![("hmr", 7502), ("devUi", 7501)]),
            ("forge-docs", vec![("ui", 7503)]),
            ("forge-storybook", vec![("devUi", 7504)]),
            ("forge-admin", vec![("ui", 7505), ("devUi", 7506)]),
        ],
    );
    assert_eq!(found[1].port, Some(7502));
    let vite: Vec<bool> = found.iter().map(|process| process.uses_vite).collect();
    assert_eq!(vite, vec![false, true, false, true, true]);
}

#[test]
fn rule_vite_config_lookup() {
    let text = fixture("rule-vite-config-lookup.cjs");
    let mut asked = Vec::new();
    let found = detect_with_vite_lookup(&text, &mut |cwd| {
        asked.push(cwd.to_string());
        Some(
            "export default defineConfig({\n  server: { hmr: { port: 7702 }, port: 7701 },\n});\n"
                .to_string(),
        )
    });
    assert_eq!(asked, vec!["./client"]);
    assert_eq!(
        summary(&found),
        vec![
            ("lens-server", vec![("api", 7700)]),
            ("lens-ui", vec![]),
            ("lens-docs", vec![]),
            ("lens-worker", vec![]),
        ]
    );
    // The first `port:` in the config wins, even hmr.port.
    assert_eq!(
        primary_ports(&found),
        vec![Some(7700), Some(7702), None, None]
    );
    let cwds: Vec<Option<&str>> = found.iter().map(|process| process.cwd.as_deref()).collect();
    assert_eq!(
        cwds,
        vec![Some("./server"), Some("./client"), None, Some("./worker")]
    );
    // Without the lookup there is no port at all.
    assert_eq!(detect(&text)[1].port, None);
}

#[test]
fn portos_own_ecosystem_worked_example() {
    let (text, found) = check(
        "portos-ecosystem.cjs",
        vec![
            ("portos-server", vec![("api", 5555), ("portosHttp", 5553)]),
            ("portos-cos", vec![("api", 5558)]),
            ("portos-ui", vec![("devUi", 5554)]),
            ("portos-autofixer", vec![("api", 5559)]),
            ("portos-autofixer-ui", vec![("ui", 5560)]),
            ("portos-browser", vec![("cdp", 5556), ("health", 5557)]),
        ],
    );
    assert_eq!(
        primary_ports(&found),
        vec![
            Some(5555),
            Some(5558),
            Some(5554),
            Some(5559),
            Some(5560),
            Some(5556)
        ]
    );
    let table = constant_table(&text);
    assert_eq!(table_number(&table, "PORTS.5432"), Some(5561));
    assert!(table.iter().all(|(key, _)| key != "PORTS.POSTGRES"));
    assert_eq!(table_number(&table, "PORTS.API"), Some(5555));
    let displayed: Vec<String> = found
        .iter()
        .map(|process| display_line(&process.name, &process.ports))
        .collect();
    assert_eq!(
        displayed,
        vec![
            "portos-server (api:5555,portosHttp:5553)",
            "portos-cos:5558",
            "portos-ui:5554",
            "portos-autofixer:5559",
            "portos-autofixer-ui:5560",
            "portos-browser (cdp:5556,health:5557)",
        ]
    );
}

#[test]
fn rule_space_before_colon() {
    let text = fixture("rule-space-before-colon.cjs");
    let found = detect_with_vite_lookup(&text, &mut |cwd| {
        (cwd == "client").then(|| "export default { server: { port : 5578 } };".to_string())
    });
    assert_eq!(
        summary(&found),
        vec![
            (
                "spaced-api",
                vec![("api", 5573), ("metrics", 5571), ("admin", 5572)]
            ),
            ("spaced-map", vec![("api", 5574), ("ui", 5575)]),
            ("spaced-gateway", vec![("api", 5580), ("health", 5581)]),
            ("spaced-ui", vec![("ui", 5576)]),
            ("spaced-legacy", vec![("api", 5577)]),
            ("spaced-vite", vec![]),
        ]
    );
    assert_ranges_spell_ports(&text, &found);
    assert_eq!(found[5].cwd.as_deref(), Some("client"));
    assert_eq!(found[5].port, Some(5578));
}

#[test]
fn space_before_colon_is_no_difference_from_portos() {
    // PortOS reads every app of this file as it is; saying otherwise would send users after a ghost.
    assert_eq!(
        reads_differently("rule-space-before-colon.cjs"),
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------------------------
// Phantom apps: the finding names where the text PortOS reads really is

#[test]
fn phantoms_in_text_comments_and_helper_objects() {
    check(
        "phantom-text-comments-helpers.cjs",
        vec![
            ("banner-app", vec![("api", 5590)]),
            ("template-app", vec![]),
            ("team-harbor", vec![("api", 5591)]),
            ("harbor-api", vec![("api", 5570)]),
            ("harbor-old", vec![("api", 5575)]),
            ("harbor-beta", vec![]),
            ("harbor-web", vec![("api", 5571)]),
            ("harbor-deploy", vec![]),
        ],
    );
    let shows = "PortOS will show a process";
    let every = "PortOS's detector takes every `{ name: '…'` for an app";
    assert_eq!(
        reads_differently("phantom-text-comments-helpers.cjs"),
        vec![
            format!(
                "3: {shows} `banner-app:5590` that the file does not run: it is text inside a string, and PortOS's detector reads it as code"
            ),
            format!(
                "4: {shows} `template-app` that the file does not run: it is text inside a template literal, and PortOS's detector reads it as code"
            ),
            format!(
                "5: {shows} `team-harbor:5591` that the file does not run: it is an object with a `name` key that is not one of the apps ({every})"
            ),
            format!(
                "10: {shows} `harbor-old:5575` that the file does not run: it is in a comment, and PortOS's detector reads comments as code"
            ),
            format!(
                "11: {shows} `harbor-beta` that the file does not run: it is in a comment, and PortOS's detector reads comments as code"
            ),
            format!(
                "16: {shows} `harbor-deploy` that the file does not run: it is an object inside the app `harbor-web`, not an app ({every})"
            ),
        ]
    );
}

#[test]
fn phantoms_in_a_file_with_a_syntax_error_name_the_error() {
    check(
        "phantom-after-syntax-error.cjs",
        vec![
            ("harbor-api", vec![("api", 5570)]),
            ("harbor-worker", vec![("api", 5571)]),
        ],
    );
    let cause = "that the file does not run: the syntax error on line 6 stops PM2 from loading the file, and portos-lsp from reading this part of it as apps; PortOS's detector reads the text regardless";
    assert_eq!(
        reads_differently("phantom-after-syntax-error.cjs"),
        vec![
            format!("6: PortOS will show a process `harbor-api:5570` {cause}"),
            format!("7: PortOS will show a process `harbor-worker:5571` {cause}"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------------------
// Scale

#[test]
fn many_port_keys_inside_one_string_are_read_in_linear_time() {
    // 40,000 `PORT:` inside one string value took 11.5 s when each key rescanned the rest of the string
    // for its value's end (and matched the `|| N` default against all of it). Read once per stretch of
    // text, it takes milliseconds even unoptimised; the bound leaves a wide margin for a loaded machine.
    let text = format!(
        "module.exports = {{ apps: [{{ name: 'api', env: {{ X: '{}', PORT: 5570 }} }}] }};",
        "PORT:".repeat(40_000)
    );
    let start = Instant::now();
    let found = detect(&text);
    let took = start.elapsed();
    assert_eq!(summary(&found), vec![("api", vec![("api", 5570)])]);
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

// ---------------------------------------------------------------------------------------------------------
// §4 limitations

#[test]
fn l01_app_not_starting_with_name() {
    check(
        "l01-app-not-starting-with-name.cjs",
        vec![("tally-ok", vec![("api", 8003)])],
    );
}

#[test]
fn l02_non_literal_names() {
    let (text, found) = check(
        "l02-non-literal-names.cjs",
        vec![("ava", vec![("api", 8012)])],
    );
    assert_eq!(&text[found[0].name_range.as_range()], "ava");
}

#[test]
fn l03_commented_app() {
    check(
        "l03-commented-app.cjs",
        vec![
            ("legacy-daemon", vec![]),
            ("harbor-api", vec![("api", 8020)]),
            ("harbor-old", vec![("api", 8021)]),
            ("harbor-beta", vec![("api", 8022)]),
        ],
    );
}

#[test]
fn l04_comment_in_env() {
    check(
        "l04-comment-in-env.cjs",
        vec![("quill-api", vec![("api", 8031), ("socket", 8032)])],
    );
}

#[test]
fn l05_commented_env() {
    check(
        "l05-commented-env.cjs",
        vec![("ember-api", vec![("api", 8042)])],
    );
}

#[test]
fn l06_bare_port_in_comment() {
    check(
        "l06-bare-port-in-comment.cjs",
        vec![
            ("sonar-api", vec![("api", 8050)]),
            ("sonar-ui", vec![("api", 5432)]),
        ],
    );
}

#[test]
fn l07_commented_constants() {
    let (text, _) = check(
        "l07-commented-constants.cjs",
        vec![("kite-api", vec![("api", 9999), ("search", 8069)])],
    );
    let table = constant_table(&text);
    assert_eq!(table_number(&table, "PORTS.API"), Some(9999));
    assert_eq!(table_number(&table, "SEARCH_PORT"), Some(8069));
}

#[test]
fn l08_ports_table_comments() {
    let (text, _) = check(
        "l08-ports-table-comments.cjs",
        vec![
            ("beacon-api", vec![("api", 8079)]),
            ("beacon-admin", vec![]),
        ],
    );
    assert_eq!(table_number(&constant_table(&text), "PORTS.UI"), None);
}

#[test]
fn l09_nested_ports_shadow() {
    check(
        "l09-nested-ports-shadow.cjs",
        vec![
            ("prism-api", vec![("api", 8085)]),
            ("prism-analytics", vec![("API", 8085), ("UI", 8086)]),
        ],
    );
}

#[test]
fn l10_frozen_ports() {
    let (text, _) = check("l10-frozen-ports.cjs", vec![("glacier-api", vec![])]);
    assert!(constant_table(&text).is_empty());
}

#[test]
fn l10_two_level_ports() {
    let (text, _) = check("l10-two-level-ports.cjs", vec![("edge-eu", vec![])]);
    let table = constant_table(&text);
    assert_eq!(
        table_group(&table, "PORTS.edge"),
        Some(vec![("api".to_string(), 8101), ("ws".to_string(), 8102)])
    );
    assert_eq!(
        table_group(&table, "PORTS.us"),
        Some(vec![("api".to_string(), 8103), ("ws".to_string(), 8104)])
    );
    assert_eq!(table_number(&table, "PORTS.api"), Some(8103));
    assert!(
        table
            .iter()
            .all(|(key, _)| !key.starts_with("PORTS.edge.eu"))
    );
}

#[test]
fn l11_port_in_string() {
    check(
        "l11-port-in-string.cjs",
        vec![("scribe-api", vec![("api", 8110), ("mail", 8111)])],
    );
}

#[test]
fn l12_ports_map_first_brace() {
    let (_, found) = check(
        "l12-ports-map-first-brace.cjs",
        vec![
            ("orbit-api", vec![("api", 8120), ("https", 8121)]),
            ("orbit-ui", vec![("8123", 8124), ("legacy", 8129)]),
        ],
    );
    assert_eq!(found[1].port, Some(8124));
}

#[test]
fn l13_ports_map_quoted_and_refs() {
    check(
        "l13-ports-map-quoted-and-refs.cjs",
        vec![("delta-server", vec![("api", 8133)]), ("delta-ui", vec![])],
    );
}

#[test]
fn l14_ports_reference_non_group() {
    check(
        "l14-ports-reference-non-group.cjs",
        vec![
            ("rig-api", vec![]),
            ("rig-jobs", vec![]),
            ("rig-queue", vec![("api", 8141)]),
        ],
    );
}

#[test]
fn l15_quoted_env() {
    check(
        "l15-quoted-env.cjs",
        vec![("atoll-api", vec![]), ("atoll-worker", vec![])],
    );
}

#[test]
fn l16_spread_and_named_env() {
    check(
        "l16-spread-and-named-env.cjs",
        vec![("mesa-api", vec![("api", 8161)]), ("mesa-worker", vec![])],
    );
}

#[test]
fn l17_computed_keys() {
    check(
        "l17-computed-keys.cjs",
        vec![("lattice-api", vec![("api", 8172)])],
    );
}

#[test]
fn l18_unresolved_values() {
    check("l18-unresolved-values.cjs", vec![("mirage-api", vec![])]);
}

#[test]
fn l19_trailing_comment_last_prop() {
    check(
        "l19-trailing-comment-last-prop.cjs",
        vec![("fable-api", vec![]), ("fable-worker", vec![("api", 8191)])],
    );
}

#[test]
fn l20_args_forms() {
    check(
        "l20-args-forms.cjs",
        vec![
            ("studio-eq", vec![]),
            ("studio-array", vec![]),
            ("studio-short", vec![]),
            ("studio-template", vec![]),
            ("studio-concat", vec![]),
            ("studio-plain", vec![("ui", 8205)]),
        ],
    );
}

#[test]
fn l21_vite_text_search() {
    check(
        "l21-vite-text-search.cjs",
        vec![
            ("mosaic-api", vec![("api", 8210)]),
            ("mosaic-admin-ui", vec![("devUi", 8211)]),
            ("mosaic-client", vec![("devUi", 8212)]),
        ],
    );
}

#[test]
fn l22_non_ascii_key() {
    check(
        "l22-non-ascii-key.cjs",
        vec![("über-api", vec![("api", 8220), ("ber", 8221)])],
    );
}

#[test]
fn l23_missing_brace() {
    let (text, found) = check(
        "l23-missing-brace.cjs",
        vec![
            ("tide-api", vec![("api", 8231)]),
            ("tide-worker", vec![("api", 8231)]),
        ],
    );
    assert!(text[found[0].block_range.as_range()].contains("tide-worker"));
}

#[test]
fn l24_ternary_runtime() {
    check("l24-ternary-runtime.cjs", vec![("fjord-api", vec![])]);
}

#[test]
fn l25_label_collisions() {
    check(
        "l25-label-collisions.cjs",
        vec![
            ("cargo-api", vec![("api", 8250)]),
            ("cargo-ui", vec![("ui", 8252)]),
            ("cargo-web-ui", vec![("devUi", 8255)]),
            ("cargo-browser", vec![("cdp", 8256), ("health", 8257)]),
        ],
    );
}

#[test]
fn l26_connect_to_ports() {
    check(
        "l26-connect-to-ports.cjs",
        vec![
            (
                "orders-api",
                vec![("api", 8260), ("db", 5432), ("redis", 6379)],
            ),
            ("billing-api", vec![("api", 8261), ("db", 5432)]),
        ],
    );
}

#[test]
fn l27_fixed_fallback_labels() {
    check(
        "l27-fixed-fallback-labels.cjs",
        vec![
            ("signal-ui", vec![("api", 8270)]),
            ("signal-api", vec![("ui", 8271)]),
        ],
    );
}

#[test]
fn l28_vite_config_primary_only() {
    let text = fixture("l28-vite-config-primary-only.cjs");
    let found = detect_with_vite_lookup(&text, &mut |cwd| {
        (cwd == "client").then(|| "export default { server: { port: 8281 } };".to_string())
    });
    assert_eq!(
        summary(&found),
        vec![
            ("aurora-server", vec![("api", 8280)]),
            ("aurora-ui", vec![])
        ]
    );
    assert_eq!(primary_ports(&found), vec![Some(8280), Some(8281)]);
    assert_eq!(display_line(&found[1].name, &found[1].ports), "aurora-ui");
}

#[test]
fn l29_apps_built_by_code() {
    check(
        "l29-apps-built-by-code.cjs",
        vec![
            ("gateway", vec![("api", 8290)]),
            ("auth", vec![("api", 8291)]),
        ],
    );
}

#[test]
fn l29_phantoms_beside_a_computed_apps_list_may_be_apps() {
    let every = "PortOS's detector takes every `{ name: '…'` for an app";
    let cause = format!(
        "that portos-lsp does not find among the apps: part of `apps` is computed at run time, so whether PM2 runs it is not known ({every})"
    );
    assert_eq!(
        reads_differently("l29-apps-built-by-code.cjs"),
        vec![
            format!("3: PortOS will show a process `gateway:8290` {cause}"),
            format!("4: PortOS will show a process `auth:8291` {cause}"),
        ]
    );
}

#[test]
fn l30_duplicate_env_blocks() {
    check(
        "l30-duplicate-env-blocks.cjs",
        vec![("comet-api", vec![("api", 8302), ("metrics", 8301)])],
    );
}

#[test]
fn l31_regex_literal() {
    let (_, found) = check(
        "l31-regex-literal.cjs",
        vec![
            ("quasar-api", vec![]),
            ("quasar-worker", vec![("api", 8311)]),
        ],
    );
    assert_eq!(found[0].block_range.end - found[0].block_range.start, 1);
}

#[test]
fn l31_nested_template() {
    check(
        "l31-nested-template.cjs",
        vec![("nova-api", vec![]), ("nova-worker", vec![("api", 8321)])],
    );
}

#[test]
fn l32_duplicate_names() {
    check(
        "l32-duplicate-names.cjs",
        vec![
            ("pulse-api", vec![("api", 8330)]),
            ("pulse-api", vec![("api", 8331)]),
        ],
    );
}

#[test]
fn l33_node_args_port() {
    check(
        "l33-node-args-port.cjs",
        vec![("vector-api", vec![("ui", 9229)])],
    );
}

// ---------------------------------------------------------------------------------------------------------
// Robustness

#[test]
fn every_fixture_has_a_test() {
    let source = include_str!("portos_detector.rs");
    for name in fixture_names() {
        assert!(
            source.contains(&format!("\"{name}\"")),
            "{name} is not asserted anywhere"
        );
    }
}

#[test]
fn huge_and_zero_numbers_never_panic() {
    let text = "module.exports = { apps: [\n  { name: 'big', env: { PORT: 99999999999999999999999999, X_PORT: 0 } },\n  { name: 'zero', port: 0 },\n] };";
    let found = detect(text);
    assert_eq!(
        summary(&found),
        vec![("big", vec![("api", i64::MAX)]), ("zero", vec![])]
    );
}

#[test]
fn no_panic_on_truncations() {
    for name in fixture_names() {
        let text = fixture(&name);
        for cut in (0..=text.len()).filter(|&cut| text.is_char_boundary(cut)) {
            detect(&text[..cut]);
            detect(&text[cut..]);
        }
    }
}

#[test]
fn no_panic_on_byte_flips() {
    // A fixed linear congruential generator, so failures reproduce.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let interesting = b"{}[]'\"`/*\\:,\n 0123456789_PORTenv";
    let mut tried = 0;
    for name in fixture_names() {
        let original = fixture(&name).into_bytes();
        for _ in 0..40 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = next() % bytes.len();
                bytes[at] = if next() % 4 == 0 {
                    next() as u8
                } else {
                    interesting[next() % interesting.len()]
                };
            }
            if let Ok(text) = String::from_utf8(bytes) {
                tried += 1;
                detect(&text);
                detect_with_vite_lookup(&text, &mut |_| Some("port: 1".to_string()));
            }
        }
    }
    assert!(tried >= 300, "only {tried} valid mutations");
}

#[test]
fn no_panic_on_multibyte_text_near_patterns() {
    let text = "{ name: '🚀', env: { PORT: 1é, 端口_PORT: 2, ÜPORT: 3 }, port: ５ } { name:\u{3000}'x' ports: {\u{FEFF}";
    let found = detect(text);
    assert_eq!(found.len(), 2);
    assert_eq!(found[1].name, "x");
}
