//! Completion of port values: the allocator's answer where a port is typed.
