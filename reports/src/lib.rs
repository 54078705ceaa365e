//! Reports read run artefacts (never the simulation itself) and render them for people.
//!
//! Layout:
//! - [`rows`]: the label/value rows that describe one run's summary;
//! - [`table`]: those rows as a terminal table and as Markdown;
//! - [`artefacts`]: a run's folder read back (`summary.json`, `scenario.toml`,
//!   `events.csv`, `timeseries.csv`);
//! - [`timeseries`]: `timeseries.csv` parsed, and the series charted from it;
//! - [`figures`]: propagation and fresh-read staleness recomputed from `events.csv`;
//! - [`hgrm`]: HdrHistograms, `.hgrm` percentile distributions and `.hlog` interval logs;
//! - [`svg`]: inline SVG charts (percentile plot, time series with fault bands, availability);
//! - [`charts`]: the report's charts drawn from a run's figures and gauges;
//! - [`verdict`]: the verdict in plain words;
//! - [`markdown`]: the file `summary.md`;
//! - [`html`]: the file `report.html`;
//! - [`render`]: [`render_run`], every report file of one run folder;
//! - [`comparison`]: a comparison's artefact (`compare.json`) and its pages.

pub mod artefacts;
pub mod charts;
pub mod comparison;
pub mod figures;
pub mod hgrm;
pub mod html;
pub mod markdown;
pub mod render;
pub mod rows;
pub mod svg;
pub mod table;
pub mod timeseries;
pub mod verdict;

pub use render::render_run;

use sim::summary::Summary;
use std::path::Path;

/// Reads a run's `summary.json`.
pub fn read_summary(dir: &Path) -> Result<Summary, String> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a shelfcheck summary: {e}", path.display()))
}
