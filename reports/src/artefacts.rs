//! A run's folder read back: `summary.json`, `scenario.toml`, `events.csv` and
//! (when the run wrote one) `timeseries.csv`. Nothing here runs a simulation.

use crate::timeseries::{self, Reading};
use scenarios::Scenario;
use sim::recorded::History;
use sim::summary::Summary;
use std::path::Path;

/// Everything a report is rendered from.
#[derive(Debug)]
pub struct RunArtefacts {
    pub summary: Summary,
    /// The scenario fully resolved, as the run wrote it.
    pub scenario: Scenario,
    /// `events.csv` as records.
    pub history: History,
    /// `timeseries.csv`, absent in runs written before it existed.
    pub timeseries: Option<Vec<Reading>>,
}

impl RunArtefacts {
    /// The artefacts of a run still in memory: what [`read`] gives from the
    /// folder the run wrote, without reading `events.csv` back.
    pub fn of_run(scenario: &Scenario, summary: Summary, run: sim::Run) -> Result<Self, String> {
        let text = String::from_utf8_lossy(&sim::timeseries::to_csv(&run.outcome.samples)).into_owned();
        let timeseries = Some(timeseries::parse(&text).map_err(|e| format!("timeseries: {e}"))?);
        Ok(RunArtefacts { summary, scenario: scenario.clone(), history: run.outcome.history, timeseries })
    }
}

/// Reads the artefacts of the run in `dir`.
pub fn read(dir: &Path) -> Result<RunArtefacts, String> {
    let summary = crate::read_summary(dir)?;
    let scenario = read_scenario(dir)?;
    let layout = sim::history::layout(&scenario);
    let events_path = dir.join("events.csv");
    if !events_path.exists() {
        return Err(format!(
            "{}: missing (a run made with --no-events writes none; its digest is in summary.json): run the scenario again without that flag to render its report",
            events_path.display()
        ));
    }
    let file = std::fs::File::open(&events_path).map_err(|e| format!("{}: cannot read: {e}", events_path.display()))?;
    let mut history = History::new(&layout);
    sim::history::read_csv(std::io::BufReader::new(file), &layout, |record| history.push(&record)).map_err(|e| format!("{}: {e}", dir.display()))?;
    let timeseries_path = dir.join("timeseries.csv");
    let timeseries = if timeseries_path.exists() {
        let text = String::from_utf8(read_bytes(&timeseries_path)?).map_err(|_| format!("{}: not UTF-8", timeseries_path.display()))?;
        Some(timeseries::parse(&text).map_err(|e| format!("{}: {e}", timeseries_path.display()))?)
    } else {
        None
    };
    Ok(RunArtefacts { summary, scenario, history, timeseries })
}

/// The run's `scenario.toml`, loaded as strictly as any scenario file.
fn read_scenario(dir: &Path) -> Result<Scenario, String> {
    scenarios::load(&dir.join("scenario.toml"), &[]).map_err(|e| e.to_string())
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}
