//! Running the built binary in a directory, as the command line tests do: its exit code, stdout and stderr,
//! with no user-level configuration of whoever runs the tests (`XDG_CONFIG_HOME` points inside `dir`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs the binary in `dir` (optionally through `wrapper`, a command that runs another) and returns exit
/// code, stdout and stderr.
pub fn run_with(
    wrapper: &[&str],
    dir: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> (i32, String, String) {
    let binary = env!("CARGO_BIN_EXE_portos-lsp");
    let mut command = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(binary);
            c
        }
        None => Command::new(binary),
    };
    let mut child = command
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("PORTOS_TOKEN")
        .env("XDG_CONFIG_HOME", dir.join(".no-user-config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`run_with`] without a wrapper.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    run_with(&[], dir, args, stdin)
}
