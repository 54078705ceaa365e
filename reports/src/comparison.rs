//! A comparison of designs (or of one knob's values): the artefact
//! `compare/compare.json` that `cargo xtask compare` writes, and its
//! rendering as `summary.md` and `report.html`. `cargo xtask report DIR`
//! renders it again from the artefact alone.

use crate::svg::{self, Series};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A chart of the comparison, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Chart {
    /// Series of (quantile, milliseconds).
    Percentiles { title: String, y_label: String, series: Vec<Series> },
    /// Series of (value index, metric) against the varied parameter's values.
    AgainstValues { title: String, x_label: String, y_label: String, values: Vec<String>, series: Vec<Series> },
}

/// Everything a comparison page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub title: String,
    pub intro: String,
    /// One line per variant: (held every invariant, the line).
    pub verdicts: Vec<(bool, String)>,
    pub charts: Vec<Chart>,
    /// Titled tables, each with a header row.
    pub tables: Vec<(String, Vec<Vec<String>>)>,
    pub footer: String,
}

/// The artefact's file name.
pub const ARTEFACT: &str = "compare.json";

impl Comparison {
    pub fn markdown(&self) -> String {
        let mut md = format!("# {}\n\n{}\n\n", self.title, self.intro);
        for (_, line) in &self.verdicts {
            md.push_str(&format!("- {line}\n"));
        }
        for (heading, rows) in &self.tables {
            md.push_str(&format!("\n## {heading}\n\n{}", crate::table::markdown_columns(rows)));
        }
        md.push_str(&format!("\n{}\n", self.footer));
        md
    }

    pub fn html(&self) -> String {
        let charts: Vec<String> = self
            .charts
            .iter()
            .map(|chart| match chart {
                Chart::Percentiles { title, y_label, series } => svg::percentile_plot(title, y_label, series),
                Chart::AgainstValues { title, x_label, y_label, values, series } => svg::against_values(title, x_label, y_label, values, series),
            })
            .collect();
        crate::html::comparison(&self.title, &self.intro, &self.verdicts, &charts, &self.tables, &self.footer)
    }
}

/// Writes `compare.json`, then renders `summary.md` and `report.html` from it.
pub fn write(dir: &Path, comparison: &Comparison) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = serde_json::to_vec_pretty(comparison).map_err(|e| e.to_string())?;
    sim::artefacts::write_whole(&dir.join(ARTEFACT), &json).map_err(|e| format!("{}: {e}", dir.display()))?;
    render(dir)
}

/// Renders `summary.md` and `report.html` from `dir/compare.json` alone.
pub fn render(dir: &Path) -> Result<(), String> {
    let path = dir.join(ARTEFACT);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let comparison: Comparison = serde_json::from_str(&text).map_err(|e| format!("{}: not a shelfcheck comparison: {e}", path.display()))?;
    let write = |name: &str, bytes: &[u8]| sim::artefacts::write_whole(&dir.join(name), bytes).map_err(|e| format!("{}: {e}", dir.display()));
    write("summary.md", comparison.markdown().as_bytes())?;
    write("report.html", comparison.html().as_bytes())
}
