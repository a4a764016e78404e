//! The `pulse` binary.

fn main() {}
