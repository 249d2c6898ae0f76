//! `cargo xtask`: project automation (record captures, checks).
fn main() {}
