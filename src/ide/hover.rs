//! Hover on a port: what it is, who gives it its label, and who else uses it.
