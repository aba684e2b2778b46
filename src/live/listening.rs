//! TCP ports listening on this machine, for `portos.live_ports`: a port something already serves is taken
//! even when no ecosystem file or registry entry mentions it.
//!
//! Linux reads `/proc/net/tcp{,6}` (no subprocess, no permissions needed); other systems run
//! `lsof -nP -iTCP -sTCP:LISTEN`, as PortOS does on macOS. Parsers are pure functions over the text so they are
//! tested on recorded output.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The lsof invocation: numeric hosts and ports (no DNS, no service names), TCP sockets in LISTEN only.
pub const LSOF_ARGS: [&str; 3] = ["-nP", "-iTCP", "-sTCP:LISTEN"];

/// How long lsof may run; it is normally well under a second, but can stall on a wedged network mount.
pub const LSOF_TIMEOUT: Duration = Duration::from_secs(5);

/// The TCP state code for LISTEN in `/proc/net/tcp`.
const TCP_LISTEN: &str = "0A";

/// Why the listening ports could not be listed. Callers show it as a warning and carry on without them,
/// so every message ends by saying so.
#[derive(Debug)]
pub enum ListeningError {
    /// `/proc/net/tcp` (or a `tcp6` that exists) could not be read.
    ProcUnreadable {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: io::Error,
    },
    /// The probe program is not installed (or not on `PATH`).
    ToolMissing {
        /// The program name.
        tool: String,
    },
    /// The probe program could not be started or waited for.
    ToolIo {
        /// The program name.
        tool: String,
        /// The OS error.
        error: io::Error,
    },
    /// The probe ran longer than allowed and was killed.
    ToolTimeout {
        /// The program name.
        tool: String,
        /// The limit.
        after: Duration,
    },
    /// The probe exited unsuccessfully without usable output.
    ToolFailed {
        /// The program name.
        tool: String,
        /// Its exit status, as the OS describes it.
        status: String,
        /// The first meaningful line of its standard error, if any.
        stderr: String,
    },
}

impl fmt::Display for ListeningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListeningError::ProcUnreadable { path, error } => {
                write!(f, "could not read {}: {error}", path.display())
            }
            ListeningError::ToolMissing { tool } => write!(
                f,
                "`{tool}` was not found on PATH, so ports listening on this machine cannot be listed; install \
                 {tool} or set portos.live_ports = false"
            ),
            ListeningError::ToolIo { tool, error } => write!(f, "could not run `{tool}`: {error}"),
            ListeningError::ToolTimeout { tool, after } => {
                write!(
                    f,
                    "`{tool}` did not finish within {} s and was stopped",
                    after.as_secs()
                )
            }
            ListeningError::ToolFailed {
                tool,
                status,
                stderr,
            } => {
                write!(f, "`{tool}` failed ({status})")?;
                if !stderr.is_empty() {
                    write!(f, ": {stderr}")?;
                }
                Ok(())
            }
        }?;
        write!(f, "; listening ports were not checked")
    }
}

impl std::error::Error for ListeningError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ListeningError::ProcUnreadable { error, .. } | ListeningError::ToolIo { error, .. } => {
                Some(error)
            }
            _ => None,
        }
    }
}

/// Ports in LISTEN state from the text of `/proc/net/tcp` or `/proc/net/tcp6`, sorted and unique.
/// The header, blank lines, other states and malformed rows are skipped, so a kernel that adds columns or a
/// truncated read loses nothing but the broken rows.
pub fn parse_proc_net_tcp(text: &str) -> Vec<u16> {
    let ports: BTreeSet<u16> = text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let slot = fields.next()?;
            let slot_number = slot.strip_suffix(':')?;
            if slot_number.is_empty() || !slot_number.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let local = fields.next()?;
            let _remote = fields.next()?;
            let state = fields.next()?;
            if !state.eq_ignore_ascii_case(TCP_LISTEN) {
                return None;
            }
            let (_, port_hex) = local.rsplit_once(':')?;
            if port_hex.is_empty() || port_hex.len() > 4 {
                return None;
            }
            u16::from_str_radix(port_hex, 16).ok().filter(|&p| p != 0)
        })
        .collect();
    ports.into_iter().collect()
}

/// Ports from the output of `lsof -nP -iTCP -sTCP:LISTEN`, sorted and unique (one socket per address family
/// is common, so duplicates are the norm). Only rows whose NAME is followed by `(LISTEN)` count; NAME is
/// `*:5555`, `127.0.0.1:5432`, `[::1]:6379` and the like. Rows with a service name instead of a number
/// (lsof run without `-P`) are skipped rather than guessed.
pub fn parse_lsof(text: &str) -> Vec<u16> {
    let ports: BTreeSet<u16> = text
        .lines()
        .filter_map(|line| {
            let mut tokens = line.split_whitespace().rev();
            if tokens.next()? != "(LISTEN)" {
                return None;
            }
            let name = tokens.next()?;
            if name.contains("->") {
                return None;
            }
            let (_, port) = name.rsplit_once(':')?;
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            port.parse::<u16>().ok().filter(|&p| p != 0)
        })
        .collect();
    ports.into_iter().collect()
}

/// Every TCP port listening on this machine (any address, IPv4 or IPv6), for the allocator's occupied set.
/// A failure is an error, never an empty set: "nothing listens" and "could not look" must stay distinct.
pub fn listening_ports() -> Result<BTreeSet<u16>, ListeningError> {
    #[cfg(target_os = "linux")]
    {
        proc_listening_ports()
    }
    #[cfg(not(target_os = "linux"))]
    {
        lsof_listening_ports("lsof", LSOF_TIMEOUT)
    }
}

/// Linux: `/proc/net/tcp` must be readable; `/proc/net/tcp6` may be absent (IPv6 disabled).
#[cfg(target_os = "linux")]
fn proc_listening_ports() -> Result<BTreeSet<u16>, ListeningError> {
    let mut ports = BTreeSet::new();
    for (path, required) in [("/proc/net/tcp", true), ("/proc/net/tcp6", false)] {
        match std::fs::read(path) {
            Ok(bytes) => ports.extend(parse_proc_net_tcp(&String::from_utf8_lossy(&bytes))),
            Err(e) if !required && e.kind() == io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(ListeningError::ProcUnreadable {
                    path: PathBuf::from(path),
                    error,
                });
            }
        }
    }
    Ok(ports)
}

/// Runs lsof (`program` is a parameter so tests can name a missing tool) and interprets its result.
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn lsof_listening_ports(program: &str, timeout: Duration) -> Result<BTreeSet<u16>, ListeningError> {
    let output = run_probe(program, &LSOF_ARGS, timeout)?;
    interpret_lsof(program, &output)
}

/// What a finished probe produced.
#[derive(Debug)]
struct ProbeOutput {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// lsof exits 1 both when nothing matched and on real errors; tell them apart by its output.
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn interpret_lsof(tool: &str, output: &ProbeOutput) -> Result<BTreeSet<u16>, ListeningError> {
    let ports: BTreeSet<u16> = parse_lsof(&output.stdout).into_iter().collect();
    // Warnings (e.g. "lsof: WARNING: can't stat() fuse file system") do not make the listing wrong.
    let complaint = output
        .stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.contains("WARNING"))
        .unwrap_or("");
    let nothing_matched =
        output.status.code() == Some(1) && output.stdout.trim().is_empty() && complaint.is_empty();
    if output.status.success() || !ports.is_empty() || nothing_matched {
        return Ok(ports);
    }
    Err(ListeningError::ToolFailed {
        tool: tool.to_string(),
        status: output.status.to_string(),
        stderr: complaint.chars().take(200).collect(),
    })
}

/// Runs `program args` with no stdin, collecting stdout and stderr, and kills it after `timeout`.
/// The output is drained on threads so a chatty program cannot block on a full pipe.
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn run_probe(
    program: &str,
    args: &[&str],
    timeout: Duration,
) -> Result<ProbeOutput, ListeningError> {
    let mut child = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| {
            if error.kind() == io::ErrorKind::NotFound {
                ListeningError::ToolMissing {
                    tool: program.to_string(),
                }
            } else {
                ListeningError::ToolIo {
                    tool: program.to_string(),
                    error,
                }
            }
        })?;

    fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ListeningError::ToolTimeout {
                    tool: program.to_string(),
                    after: timeout,
                });
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ListeningError::ToolIo {
                    tool: program.to_string(),
                    error,
                });
            }
        }
    };
    Ok(ProbeOutput {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    const LSOF_MACOS: &str = include_str!("../../tests/data/live/lsof-macos.txt");
    const PROC_TCP: &str = include_str!("../../tests/data/live/proc-net-tcp.txt");
    const PROC_TCP6: &str = include_str!("../../tests/data/live/proc-net-tcp6.txt");

    #[test]
    fn live_proc_net_tcp_recorded() {
        // LISTEN rows only: 5555, 22, 5432, 53 (systemd-resolved on 127.0.0.53), 5554; not the ESTABLISHED
        // or TIME_WAIT rows (8080 appears only in TIME_WAIT).
        assert_eq!(parse_proc_net_tcp(PROC_TCP), [22, 53, 5432, 5554, 5555]);
        assert_eq!(parse_proc_net_tcp(PROC_TCP6), [22, 5554, 6379]);
    }

    #[test]
    fn live_proc_net_tcp_tolerates_garbage() {
        let text = "\n\n  sl  local_address rem_address   st\n\
                    garbage\n\
                    0: 0100007F:15B3 00000000:0000 0A\n\
                    x: 0100007F:15B4 00000000:0000 0A\n\
                    1: 0100007F 00000000:0000 0A\n\
                    2: 0100007F:ZZZZ 00000000:0000 0A\n\
                    3: 0100007F:12345 00000000:0000 0A\n\
                    4: 0100007F:0000 00000000:0000 0a\n\
                    5: 0100007F:1F90 00000000:0000\n\
                    6: 0100007F:1f91 00000000:0000 0a 00000000:00000000\n\
                    7: 0100007F:15B3 00000000:0000 0A\n\
                    \u{1F600}: ü:ü ü 0A\n";
        assert_eq!(parse_proc_net_tcp(text), [5555, 8081]);
        assert_eq!(parse_proc_net_tcp(""), Vec::<u16>::new());
    }

    #[test]
    fn live_lsof_recorded_macos() {
        let ports = parse_lsof(LSOF_MACOS);
        assert_eq!(
            ports,
            [
                5000, 5432, 5553, 5554, 5555, 5556, 5558, 5570, 5571, 6379, 7000, 49152, 61234
            ]
        );
    }

    #[test]
    fn live_lsof_tolerates_garbage() {
        let text = "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n\
                    \n\
                    lsof: WARNING: can't stat() nfs file system /Volumes/share\n\
                    node 1 a 3u IPv4 0x1 0t0 TCP localhost:http (LISTEN)\n\
                    node 1 a 3u IPv4 0x1 0t0 TCP 127.0.0.1:5570->127.0.0.1:51234 (ESTABLISHED)\n\
                    node 1 a 3u IPv4 0x1 0t0 TCP 127.0.0.1:5571->127.0.0.1:51235 (LISTEN)\n\
                    node 1 a 3u IPv4 0x1 0t0 TCP *:0 (LISTEN)\n\
                    node 1 a 3u IPv4 0x1 0t0 TCP *:70000 (LISTEN)\n\
                    node 1 a 3u IPv4 0x1 0t0 TCP *: (LISTEN)\n\
                    (LISTEN)\n\
                    node 1 a 3u IPv4 0x1 0t0 TCP *:5572 (LISTEN)\n\
                    node 1 a 3u IPv6 0x1 0t0 TCP [fe80::1%lo0]:5573 (LISTEN)\n";
        assert_eq!(parse_lsof(text), [5572, 5573]);
    }

    #[cfg(unix)]
    fn exit_status(code: i32) -> ExitStatus {
        use std::os::unix::process::ExitStatusExt;
        ExitStatus::from_raw(code << 8)
    }

    #[cfg(unix)]
    #[test]
    fn live_lsof_exit_codes() {
        let out = |code: i32, stdout: &str, stderr: &str| ProbeOutput {
            status: exit_status(code),
            stdout: stdout.to_string(),
            stderr: stderr.to_string(),
        };
        assert_eq!(
            interpret_lsof("lsof", &out(0, LSOF_MACOS, ""))
                .unwrap()
                .len(),
            13
        );
        // Exit 1 with no output: nothing is listening.
        assert!(interpret_lsof("lsof", &out(1, "", "")).unwrap().is_empty());
        assert!(
            interpret_lsof("lsof", &out(1, "", "lsof: WARNING: can't stat()\n"))
                .unwrap()
                .is_empty()
        );
        // Exit 1 with rows: partial but usable.
        assert_eq!(
            interpret_lsof("lsof", &out(1, LSOF_MACOS, "lsof: no pwd entry\n"))
                .unwrap()
                .len(),
            13
        );
        let err = interpret_lsof(
            "lsof",
            &out(1, "", "lsof: unsupported option: -sTCP:LISTEN\n"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("`lsof` failed (exit status: 1): lsof: unsupported option"),
            "{err}"
        );
        assert!(
            err.to_string()
                .ends_with("; listening ports were not checked")
        );
    }

    #[test]
    fn live_missing_tool_is_a_clear_error() {
        let err = lsof_listening_ports("portos-lsp-test-no-such-lsof", LSOF_TIMEOUT).unwrap_err();
        assert!(matches!(err, ListeningError::ToolMissing { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "`portos-lsp-test-no-such-lsof` was not found on PATH, so ports listening on this machine cannot be \
             listed; install portos-lsp-test-no-such-lsof or set portos.live_ports = false; listening ports were \
             not checked"
        );
    }

    #[cfg(unix)]
    #[test]
    fn live_probe_is_killed_after_its_timeout() {
        let started = Instant::now();
        let err = run_probe("sleep", &["5"], Duration::from_millis(200)).unwrap_err();
        assert!(matches!(err, ListeningError::ToolTimeout { .. }), "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn live_listening_ports_sees_our_listener() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let ports = listening_ports().unwrap();
        assert!(ports.contains(&port), "{port} not in {ports:?}");
        drop(listener);
    }

    /// Where lsof is installed (it often is on Linux too), the lsof path must agree.
    #[test]
    fn live_lsof_sees_our_listener_when_installed() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        match lsof_listening_ports("lsof", LSOF_TIMEOUT) {
            Ok(ports) => assert!(ports.contains(&port), "{port} not in {ports:?}"),
            Err(ListeningError::ToolMissing { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
}
