//! `countersign-server`.
fn main() {}
