//! `portos-lsp completions SHELL` and `portos-lsp manpage`: shell completion scripts and man pages, generated
//! from the parser's own definition (clap_complete, clap_mangen) so they can never list an option the binary
//! lacks. The release archives ship their output.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `completions`.
#[derive(clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Arguments of `manpage`.
#[derive(clap::Args)]
pub struct ManpageArgs {
    /// Write portos-lsp.1 and one page per command (portos-lsp-check.1 and so on) into DIR instead of printing
    /// portos-lsp.1.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// The name the scripts complete and the pages are titled with, whatever the executable is called.
const BIN: &str = "portos-lsp";

/// Runs `completions`: the script on stdout.
pub fn completions(args: CompletionsArgs, mut command: clap::Command) -> i32 {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, BIN, &mut script);
    if args.shell == clap_complete::Shell::Bash {
        // clap_complete's bash script spells a subcommand's state `portos__lsp__subcmd__check` where it sets it
        // and `portos__subcmd__lsp__subcmd__check` where it matches it (the bin name's hyphen escaped twice,
        // clap-rs/clap#6421), so no command's options would complete. One spelling for both; a no-op once fixed.
        let fixed = String::from_utf8_lossy(&script).replace("portos__subcmd__lsp", "portos__lsp");
        script = fixed.into_bytes();
    }
    super::print_bytes(&script)
}

/// Runs `manpage`: portos-lsp.1 on stdout, or every page into `--out-dir`.
pub fn manpage(args: ManpageArgs, command: clap::Command) -> i32 {
    // `help` has no page of its own (`--help` is on every page), as clap_mangen's generate_to does.
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let result = match &args.out_dir {
        None => {
            let mut page = Vec::new();
            match main_page(&command, &mut page) {
                Ok(()) => return super::print_bytes(&page),
                Err(e) => Err(e),
            }
        }
        Some(dir) => write_pages(&command, dir),
    };
    match result {
        Ok(()) => super::EXIT_OK,
        Err(e) => {
            let place = args.out_dir.as_deref().unwrap_or(Path::new("stdout"));
            eprintln!(
                "error: cannot write the man pages to {}: {e}",
                place.display()
            );
            super::EXIT_TROUBLE
        }
    }
}

/// portos-lsp.1 into `dir`, and a page for each command that `--help` lists.
fn write_pages(command: &clap::Command, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        clap_mangen::Man::new(sub.clone()).generate_to(dir)?;
    }
    let mut file = std::fs::File::create(dir.join(format!("{BIN}.1")))?;
    main_page(command, &mut file)?;
    file.flush()
}

/// clap_mangen's sections, then what `--help` has no room for: exit status, environment, files and the docs.
fn main_page(command: &clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    out.write_all(EXTRA_SECTIONS.as_bytes())?;
    out.write_all(
        format!(
            ".SH \"SEE ALSO\"\nEach command's own page (\\fBportos\\-lsp\\-check\\fR(1) and so on); \
             \\fBportos\\-lsp explain\\fR \\fICODE\\fR for a rule's documentation; {}\n",
            env!("CARGO_PKG_HOMEPAGE").replace('-', "\\-")
        )
        .as_bytes(),
    )?;
    man.render_version_section(out)
}

/// The hand-written sections, in roff (`\-` is a hyphen-minus, `\fB…\fR` bold).
const EXTRA_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
No findings at the failing level.
.TP
\fB1\fR
Findings at error level (with \fB\-\-deny warnings\fR, warnings too; \fB\-\-exit\-zero\fR makes this 0);
\fBnext\fR: no free port.
.TP
\fB2\fR
A usage error, a bad configuration, or a named path that could not be read or decoded.
.SH ENVIRONMENT
.TP
\fBNO_COLOR\fR
When set and not empty, \fB\-\-color auto\fR prints no colours.
.TP
\fBXDG_CONFIG_HOME\fR
Where the user\-level configuration file is looked for (else \fI~/.config\fR).
.TP
\fBPORTOS_TOKEN\fR
The PortOS API token for \fB\-\-registry\fR (another variable with \fBtoken_env\fR in the configuration).
.SH FILES
.TP
\fIportos\-lsp.toml\fR, \fI.portos\-lsp.toml\fR
The project configuration, in the nearest directory above the checked file that holds one.
.TP
\fI$XDG_CONFIG_HOME/portos\-lsp/config.toml\fR
The user\-level configuration.
"#;
