//! `portos-lsp explain CODE`: prints a rule's documentation.

/// Arguments of `explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The rule code, e.g. `duplicate-port`. Without one, lists every rule (and says how to ask for one).
    code: Option<String>,
}

/// Runs `explain`.
pub fn run(args: ExplainArgs) -> i32 {
    match args.code {
        None => {
            let mut out = String::new();
            for rule in crate::ide::rules() {
                out.push_str(&format!(
                    "{:<26} {:<12} {}\n",
                    rule.code,
                    rule.default_severity.as_str(),
                    rule.summary
                ));
            }
            out.push_str(
                "\n`portos-lsp explain CODE` prints a rule's documentation (e.g. `portos-lsp explain port-gap`).\n",
            );
            super::print_bytes(out.as_bytes())
        }
        Some(code) => match crate::ide::rule(&code) {
            Some(rule) => super::print_bytes(
                format!(
                    "{}\nDefault severity: {}. Docs: {}\n",
                    rule.docs,
                    rule.default_severity.as_str(),
                    rule.url()
                )
                .as_bytes(),
            ),
            None => {
                eprintln!("error: unknown rule `{code}`; `portos-lsp explain` lists the rules");
                super::EXIT_TROUBLE
            }
        },
    }
}
