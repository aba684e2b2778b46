//! What PortOS itself would make of an ecosystem file: its regex detector, reproduced faithfully.
//!
//! `detector` reads the text the way PortOS's `parseEcosystemConfig` does (`portos-detection.md` §3), so
//! the checker can warn where PortOS's view differs from what the file really says.

pub mod detector;

pub use detector::{
    ConstNumber, ConstValue, DetectedPort, DetectedProcess, constant_table, detect,
    detect_incremental, detect_with_vite_lookup, display_line,
};

/// The guide's display format, the one formatter behind every display line (ours and PortOS's reading):
/// `name:5555` for one port, `name (cdp:5556,health:5557)` for several (no space after the comma), just
/// `name` for none.
pub fn format_display_line(name: &str, ports: &[(String, String)]) -> String {
    write_display_line(name, ports.iter().map(|(label, port)| (label, port)))
}

/// [`format_display_line`] from any labels and printable ports, written into one string: a rule writes
/// one such line per app on every keystroke, and a string per port and per part was most of its cost.
pub fn write_display_line<L: AsRef<str>, P: std::fmt::Display>(
    name: &str,
    ports: impl ExactSizeIterator<Item = (L, P)>,
) -> String {
    use std::fmt::Write as _;
    let count = ports.len();
    let mut line = String::with_capacity(name.len() + 16 * count);
    line.push_str(name);
    for (i, (label, port)) in ports.enumerate() {
        // Writing into a String cannot fail.
        let _ = match (count, i) {
            (1, _) => write!(line, ":{port}"),
            (_, 0) => write!(line, " ({}:{port}", label.as_ref()),
            _ => write!(line, ",{}:{port}", label.as_ref()),
        };
    }
    if count > 1 {
        line.push(')');
    }
    line
}
