//! The `codetel` command line.
fn main() {}
