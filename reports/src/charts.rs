//! The report's charts: the run's figures and gauges turned into series and
//! drawn with [`crate::svg`].

use crate::figures::Figures;
use crate::hgrm;
use crate::svg::{self, Band, Series, TimeChart};
use crate::timeseries::{self, Reading};
use crate::verdict::{age, counted};
use hdrhistogram::Histogram;
use sim::summary::Summary;

/// Points per time-series line at most (more would not show at chart width).
const BUCKETS: usize = 400;

/// Each fault as a shaded band labelled `#index description`.
pub fn fault_bands(summary: &Summary) -> Vec<Band> {
    summary
        .faults
        .iter()
        .map(|f| Band { start_s: f.start_s, end_s: f.end_s.unwrap_or(f.start_s), label: format!("#{} {}", f.index, f.description) })
        .collect()
}

/// A histogram's percentile steps as (quantile, value in ms), and its legend
/// name with the exact maximum (`max_ms`, as summary.json has it). The last step (quantile 1, the maximum, which a 1/(1-p) axis cannot
/// place) is drawn where the largest of n values sits, at 1 - 1/n (or at the
/// previous step if that is further right).
/// One percentile line from a histogram of microseconds (the maximum drawn at 1 - 1/n).
pub fn percentile_series(name: &str, h: &Histogram<u64>, max_ms: f64) -> Series {
    let top = 1.0 - 1.0 / h.len().max(1) as f64;
    let mut points: Vec<(f64, f64)> = Vec::new();
    for (v, q, _) in hgrm::percentile_steps(h) {
        let q = if q >= 1.0 { points.last().map_or(top, |&(last, _)| top.max(last)) } else { q };
        points.push((q, v as f64 / hgrm::SCALING_RATIO));
    }
    Series { name: format!("{name} ({}, max {})", counted(h.len(), "value", "values"), age(max_ms)), points }
}

/// Propagation and fresh-read staleness overlaid on one percentile plot.
pub fn percentiles(summary: &Summary, propagation: &Histogram<u64>, staleness: &Histogram<u64>) -> String {
    let m = &summary.metrics;
    let series = [
        percentile_series("store change to central", propagation, m.propagation.max_ms),
        percentile_series("age of stock shown fresh", staleness, m.fresh_read_staleness.max_ms),
    ];
    svg::percentile_plot("How long changes take, and how old online stock is, by percentile", "time", &series)
}

/// One distribution of microsecond values by percentile, as its own chart.
pub fn percentile_chart(title: &str, name: &str, values_us: &[u64]) -> String {
    let Ok(histogram) = hgrm::histogram(values_us) else { return String::new() };
    let max_ms = values_us.iter().copied().max().unwrap_or(0) as f64 / 1000.0;
    svg::percentile_plot(title, "time", &[percentile_series(name, &histogram, max_ms)])
}

/// The worst staleness of a read shown fresh per time interval, with the bound and fault bands.
pub fn staleness_over_time(summary: &Summary, figures: &Figures, bound_s: f64) -> String {
    let x_max = summary.sim_duration_s;
    let points: Vec<(f64, f64)> = figures.fresh_reads.iter().map(|&(t, s)| (t as f64 / 1e6, s as f64 / 1e6)).collect();
    let series =
        [Series { name: "oldest stock shown fresh (worst read per interval)".into(), points: svg::bucketed(&points, x_max, BUCKETS, f64::max) }];
    let label = format!("bound {}", age(bound_s * 1000.0));
    svg::time_series(&TimeChart {
        title: "Age of the stock customers saw online, over time",
        y_label: "staleness (s)",
        x_max_s: x_max,
        series: &series,
        bands: &fault_bands(summary),
        reference: Some((bound_s, &label)),
        y_max: None,
        percent: false,
        fill: false,
    })
}

/// The largest outbox backlog of any store and the consumer lag summed over partitions, with fault bands.
pub fn backlog_over_time(summary: &Summary, readings: &[Reading]) -> String {
    let x_max = summary.sim_duration_s;
    let series = [
        Series {
            name: "outbox backlog of the worst store".into(),
            points: svg::bucketed(&timeseries::max_outbox_backlog(readings), x_max, BUCKETS, f64::max),
        },
        Series {
            name: "consumer lag, all partitions".into(),
            points: svg::bucketed(&timeseries::total_consumer_lag(readings), x_max, BUCKETS, f64::max),
        },
    ];
    counts_over_time(summary, "Changes waiting on their way to central", "changes waiting", &series)
}

/// Open reservations over time, the chain's count at each sample (the highest per interval).
pub fn open_reservations(summary: &Summary, readings: &[Reading]) -> String {
    let x_max = summary.sim_duration_s;
    let series = [Series {
        name: "open reservations".into(),
        points: svg::bucketed(&timeseries::per_sample(readings, "open_reservations", u64::max), x_max, BUCKETS, f64::max),
    }];
    counts_over_time(summary, "Reservations central has not ended", "open reservations", &series)
}

/// A plain time series of counts over the run, with fault bands.
fn counts_over_time(summary: &Summary, title: &str, y_label: &str, series: &[Series]) -> String {
    svg::time_series(&TimeChart {
        title,
        y_label,
        x_max_s: summary.sim_duration_s,
        series,
        bands: &fault_bands(summary),
        reference: None,
        y_max: None,
        percent: false,
        fill: false,
    })
}

/// The share of stores central showed online over time (the lowest share per interval).
pub fn availability(summary: &Summary, readings: &[Reading], stores: u32) -> String {
    let x_max = summary.sim_duration_s;
    let share = svg::bucketed(&timeseries::share_shown_fresh(readings, stores), x_max, BUCKETS, f64::min);
    svg::availability("Availability: share of stores whose stock was shown online", x_max, &share, &fault_bands(summary))
}
