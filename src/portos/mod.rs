//! What PortOS itself would make of an ecosystem file: its regex detector, reproduced faithfully.
//!
//! `detector` reads the text the way PortOS's `parseEcosystemConfig` does (`portos-detection.md` §3), so
//! the checker can warn where PortOS's view differs from what the file really says.

pub mod detector;

pub use detector::{
    ConstNumber, ConstValue, DetectedPort, DetectedProcess, constant_table, detect,
    detect_with_vite_lookup, display_line,
};
