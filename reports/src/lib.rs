//! Reports read run artefacts (never the simulation itself) and render them for people.
//!
//! Layout:
//! - [`rows`]: the label/value rows that describe one run's summary;
//! - [`table`]: those rows as a terminal table and as `summary.md`.

pub mod rows;
pub mod table;

use sim::summary::Summary;
use std::path::Path;

/// Reads a run's `summary.json`.
pub fn read_summary(dir: &Path) -> Result<Summary, String> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a shelfcheck summary: {e}", path.display()))
}
