//! Home of shelfcheck's criterion benchmarks (`benches/runs.rs`); the library is empty.
//!
//! Run them with `cargo bench -p benches`.
