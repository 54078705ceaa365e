//! One run's reports rendered from its folder: `summary.md`, `report.html`,
//! `latency.hgrm` / `latency.hlog` (propagation), `staleness.hgrm` /
//! `staleness.hlog` (fresh-read staleness) and, for runs with online orders,
//! `confirm.hgrm` / `confirm.hlog` (order placed to confirmed). Each file is written whole; the
//! same artefacts always give the same bytes.

use crate::artefacts::{self, RunArtefacts};
use crate::figures::{self, Figures};
use crate::html::{self, Charts, Page};
use crate::verdict::{self, Verdict};
use crate::{charts, hgrm, markdown};
use hdrhistogram::Histogram;
use std::path::Path;
use system::US_PER_S;

/// The files [`render_run`] writes, in the order it writes them.
pub const FILES: [&str; 6] = ["latency.hgrm", "latency.hlog", "staleness.hgrm", "staleness.hlog", "summary.md", "report.html"];

/// Reads the artefacts in `dir` and writes every report file beside them.
pub fn render_run(dir: &Path) -> Result<(), String> {
    render(dir, &artefacts::read(dir)?)
}

/// Writes every report file of `run` into `dir` (the same bytes as [`render_run`] on the folder the run wrote).
pub fn render(dir: &Path, run: &RunArtefacts) -> Result<(), String> {
    let figures = figures::of(&run.history);
    let propagation = hgrm::histogram(&figures.propagation_us)?;
    let staleness = hgrm::histogram(&figures.fresh_staleness_us())?;
    let identity = format!("{}/{}/seed-{}", run.summary.scenario, run.summary.design, run.summary.seed);
    let duration_s = run.summary.sim_duration_s;
    write(dir, "latency.hgrm", hgrm::percentile_distribution(&propagation).as_bytes())?;
    let what = format!("shelfcheck {identity}: propagation latency, store commit to central apply");
    write(dir, "latency.hlog", &hgrm::interval_log(&propagation, &what, duration_s)?)?;
    write(dir, "staleness.hgrm", hgrm::percentile_distribution(&staleness).as_bytes())?;
    let what = format!("shelfcheck {identity}: staleness of online reads shown fresh");
    write(dir, "staleness.hlog", &hgrm::interval_log(&staleness, &what, duration_s)?)?;
    let confirm = hgrm::histogram(&figures.time_to_confirm_us)?;
    if !confirm.is_empty() {
        write(dir, "confirm.hgrm", hgrm::percentile_distribution(&confirm).as_bytes())?;
        let what = format!("shelfcheck {identity}: time to confirm an online order, placed to confirmed");
        write(dir, "confirm.hlog", &hgrm::interval_log(&confirm, &what, duration_s)?)?;
    }
    let verdict = verdict_of(run, &figures);
    write(dir, "summary.md", markdown::summary_md(&run.summary, &verdict).as_bytes())?;
    let charts = charts_of(run, &figures, &propagation, &staleness);
    let page = Page { summary: &run.summary, question: &run.scenario.question, verdict: &verdict, charts: &charts };
    write(dir, "report.html", html::report(&page).as_bytes())
}

/// Δ + ε in seconds.
fn staleness_bound_s(run: &RunArtefacts) -> f64 {
    sim::run::staleness_bound_us(&run.scenario) as f64 / US_PER_S as f64
}

fn verdict_of(run: &RunArtefacts, figures: &Figures) -> Verdict {
    let context = verdict::Context {
        staleness_bound_s: staleness_bound_s(run),
        drain_bound_s: run.scenario.run.drain_bound_s as f64,
        stores_hidden: figures.stores_hidden.len(),
    };
    verdict::of(&run.summary, context)
}

fn charts_of(run: &RunArtefacts, figures: &Figures, propagation: &Histogram<u64>, staleness: &Histogram<u64>) -> Charts {
    let gauges = run.timeseries.as_deref();
    Charts {
        percentiles: charts::percentiles(&run.summary, propagation, staleness),
        staleness: charts::staleness_over_time(&run.summary, figures, staleness_bound_s(run)),
        backlog: gauges.map(|r| charts::backlog_over_time(&run.summary, r)),
        availability: gauges.map(|r| charts::availability(&run.summary, r, run.scenario.chain.stores)),
        orders: (!figures.time_to_confirm_us.is_empty()).then(|| {
            let confirm =
                charts::percentile_chart("Time to confirm an online order, by percentile", "order placed to confirmed", &figures.time_to_confirm_us);
            let open = gauges.map(|r| charts::open_reservations(&run.summary, r)).unwrap_or_default();
            format!("{confirm}\n{open}")
        }),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let path = dir.join(name);
    sim::artefacts::write_whole(&path, bytes).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}
