//! Features built on the analysis and the rules: the port allocator and the workspace's occupied set (hover,
//! completion and code actions use them through the `ide` host).

pub mod allocator;
pub mod occupied;
