//! `common-port`: a well-known port that other software usually takes.

use super::{FileCheck, Finding, Rule, Severity};
use crate::config::CommonPortKind;

/// The rule.
pub const RULE: Rule = Rule {
    code: "common-port",
    default_severity: Severity::Warning,
    summary: "A well-known port other software usually takes",
    docs: r#"# common-port

## What it flags
A served port that other software commonly uses. The message names the usual owner. Each entry of the list is
one of two kinds:
- *service* — a port some other software on the machine really listens on: 80, 443, 1433 (SQL Server),
  3306 (MySQL), 5000 (macOS AirPlay), 5432 (PostgreSQL), 5672 (RabbitMQ), 6379 (Redis), 8443, 9200
  (Elasticsearch), 11211 (Memcached), 27017 (MongoDB). Flagged in every project.
- *dev-default* — the default of a development server or framework: 3000, 3001, 4000, 4173, 4200, 5173, 5174,
  6006, 8000, 8080, 8081, 8888, 9000. Flagged only where PortOS's convention applies (`[app] convention`).

Ports a process connects to (`DB_PORT: 5432`) are not flagged: connecting to PostgreSQL on 5432 is right.

## Why it matters
The guide says to stay away from well-known ports: the day you start that other tool, one of the two fails with
`EADDRINUSE`.

## Example
```js
{ name: 'my-api', env: { PORT: 3000 } }
```

## How to fix
Move to another port (where PortOS's convention applies, one in its user range); the quick fix picks the next
free one.

## Configuration
`[ranges] common_ports = { 7000 = "Our admin" }` adds or overrides a service entry, `dev_ports = { 4000 =
"Phoenix" }` a dev-default one.
"#,
};

/// Reports served ports that are in the common-ports list. A service's port is a finding for every PM2 user;
/// a dev-server default's is one of PortOS's convention (spec §9), marked so for [`super::apply_convention`].
pub fn check(check: &FileCheck, out: &mut Vec<Finding>) {
    for (process, binding, port) in check.served() {
        let Some((owner, kind)) = check.config.common_port(port) else {
            continue;
        };
        // Node's inspector on 9229 is the inspector itself, not something else taking its port (spec §9).
        if port == 9229
            && binding
                .uses
                .iter()
                .any(|u| matches!(u.source, crate::model::PortSource::Inspector(_)))
        {
            continue;
        }
        let advice = match kind {
            CommonPortKind::Service => "pick another port".to_string(),
            CommonPortKind::DevDefault => format!(
                "pick a port in PortOS's user range {}",
                check.config.ranges.user
            ),
        };
        let message = format!(
            "port {port} ({} of `{}`) is commonly used by {owner}{}; {advice}",
            binding.label,
            process.display_name(),
            check.environments_note(&binding.environments),
        );
        let mut finding = check.movable_finding(&RULE, process, binding, port, message);
        finding.convention = kind == CommonPortKind::DevDefault;
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    fn codes(text: &str) -> Vec<&'static str> {
        crate::rules::test_support::findings_in_memory(text)
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn port_80_gets_one_finding() {
        let found = codes(
            "module.exports = { apps: [{ name: 'web', script: 'w.js', env: { PORT: 80 } }] };\n",
        );
        assert_eq!(found, ["privileged-port"]);
    }

    #[test]
    fn a_cdp_port_of_the_browser_process_is_connected_to_elsewhere() {
        let text = "const PORTS = { API: 5570, CDP: 5571, HEALTH: 5572 };\nmodule.exports = { PORTS, apps: [\n  { name: 'app-server', script: 's.js', env: { PORT: PORTS.API, CDP_PORT: PORTS.CDP } },\n  { name: 'app-browser', script: 'b.js', env: { CDP_PORT: PORTS.CDP, PORT: PORTS.HEALTH } },\n] };\n";
        let found = codes(text);
        assert!(!found.contains(&"duplicate-port"), "{found:?}");
    }
}
