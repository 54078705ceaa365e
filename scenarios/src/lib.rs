//! Scenario files: what a shelfcheck run simulates, as data.
//!
//! A scenario is a TOML file (`scenarios/*.toml`) read strictly: unknown keys,
//! impossible values and dangling references are rejected with the file, line,
//! column, key and what is allowed. Every field has a default (the `baseline`
//! chain with the recommended design), so a file only says what it changes.
//!
//! Layout:
//! - [`model`]: the typed scenario (chain, online, network, service, workers,
//!   design, relay, consumer, run, checks) and its defaults;
//! - [`span`]: durations written with a unit (`"90s"`, `"10m"`);
//! - [`distribution`]: latency and service-time distributions and their sampling;
//! - [`names`]: node and group names that faults target;
//! - [`load`]: reading a file or a built-in name, `--set` overrides, validation;
//! - [`locate`]: finding the line and column of a dotted key in a TOML text;
//! - [`catalogue`]: the built-in scenario files shipped in this folder.

pub mod catalogue;
pub mod distribution;
pub mod load;
pub mod locate;
pub mod model;
pub mod names;
pub mod span;

pub use distribution::Distribution;
pub use load::{LoadError, load, load_text, load_with_design};
pub use model::*;
pub use span::Span;
