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
            for rule in crate::ide::rules() {
                println!(
                    "{:<26} {:<12} {}",
                    rule.code,
                    rule.default_severity.as_str(),
                    rule.summary
                );
            }
            println!(
                "\n`portos-lsp explain CODE` prints a rule's documentation (e.g. `portos-lsp explain port-gap`)."
            );
            super::EXIT_OK
        }
        Some(code) => match crate::ide::rule(&code) {
            Some(rule) => {
                print!("{}", rule.docs);
                println!(
                    "\nDefault severity: {}. Docs: {}",
                    rule.default_severity.as_str(),
                    rule.url()
                );
                super::EXIT_OK
            }
            None => {
                eprintln!("error: unknown rule `{code}`; `portos-lsp explain` lists the rules");
                super::EXIT_TROUBLE
            }
        },
    }
}
