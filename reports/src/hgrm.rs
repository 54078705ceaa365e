//! HdrHistogram outputs: a histogram of microsecond values, its percentile
//! distribution in the text layout of HdrHistogram Java's
//! `outputPercentileDistribution` (`.hgrm`, values in milliseconds: scaling
//! ratio 1000, five ticks per half distance), and a lossless interval log
//! (`.hlog`: HdrHistogram's log format 1.3, one interval holding the whole run,
//! V2 encoding compressed with deflate and base64, as Java's
//! `HistogramLogWriter` writes it) for merging runs.

use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use std::fmt::Write;
use std::time::Duration;

/// Significant decimal digits kept: values are exact to 0.1 %.
pub const SIGFIG: u8 = 3;
/// Microseconds per unit printed (milliseconds).
pub const SCALING_RATIO: f64 = 1000.0;
/// Percentile ticks per half distance to 100 % (Java's default).
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;
/// Smallest highest trackable value (1 h in microseconds), so that most runs share one layout and merge as they are.
pub const HIGH_MIN_US: u64 = 3_600_000_000;

/// A histogram of `values_us`, range 1 µs to the larger of the largest value and [`HIGH_MIN_US`].
pub fn histogram(values_us: &[u64]) -> Result<Histogram<u64>, String> {
    let high = values_us.iter().copied().max().unwrap_or(0).max(HIGH_MIN_US);
    let mut h = Histogram::<u64>::new_with_bounds(1, high, SIGFIG).map_err(|e| format!("histogram: {e:?}"))?;
    for &v in values_us {
        h.saturating_record(v);
    }
    Ok(h)
}

/// Sub-buckets per bucket, as Java reports them: 2^ceil(log2(2 * 10^sigfig)).
fn sub_bucket_count(h: &Histogram<u64>) -> u64 {
    (2 * 10u64.pow(u32::from(h.sigfig()))).next_power_of_two()
}

/// Mean and standard deviation over median-equivalent values, summed as Java sums them.
fn mean_and_stdev(h: &Histogram<u64>) -> (f64, f64) {
    if h.is_empty() {
        return (0.0, 0.0);
    }
    let total = h.len() as f64;
    let values: Vec<(f64, f64)> = h.iter_recorded().map(|v| (h.median_equivalent(v.value_iterated_to()) as f64, v.count_at_value() as f64)).collect();
    let mean = values.iter().map(|(v, n)| v * n).sum::<f64>() / total;
    let deviation = values.iter().map(|(v, n)| (v - mean) * (v - mean) * n).sum::<f64>();
    (mean, (deviation / total).sqrt())
}

/// One line per percentile step, as (value in µs, percentile iterated to, total count up to it).
pub fn percentile_steps(h: &Histogram<u64>) -> Vec<(u64, f64, u64)> {
    let mut total = 0;
    h.iter_quantiles(TICKS_PER_HALF_DISTANCE)
        .map(|v| {
            total += v.count_since_last_iteration();
            (v.value_iterated_to(), v.quantile_iterated_to(), total)
        })
        .collect()
}

/// The percentile distribution text (`.hgrm`).
pub fn percentile_distribution(h: &Histogram<u64>) -> String {
    let mut out = format!("{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    for (value, quantile, total) in percentile_steps(h) {
        let value = value as f64 / SCALING_RATIO;
        if quantile < 1.0 {
            let _ = writeln!(out, "{value:12.3} {quantile:2.12} {total:10} {:14.2}", 1.0 / (1.0 - quantile));
        } else {
            let _ = writeln!(out, "{value:12.3} {quantile:2.12} {total:10}");
        }
    }
    let (mean, stdev) = mean_and_stdev(h);
    let max = if h.is_empty() { 0 } else { h.max() };
    let _ = writeln!(out, "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]", mean / SCALING_RATIO, stdev / SCALING_RATIO);
    let _ = writeln!(out, "#[Max     = {:12.3}, Total count    = {:12}]", max as f64 / SCALING_RATIO, h.len());
    let _ = writeln!(out, "#[Buckets = {:12}, SubBuckets     = {:12}]", h.buckets(), sub_bucket_count(h));
    out
}

/// The interval log (`.hlog`): a comment naming what was measured, the format
/// line, the legend, and one interval from 0 over `duration_s` of simulated time.
pub fn interval_log(h: &Histogram<u64>, what: &str, duration_s: f64) -> Result<Vec<u8>, String> {
    let mut out = format!(
        "#[{what}; values recorded in microseconds]\n#[Histogram log format version 1.3]\n\
         \"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
    )
    .into_bytes();
    let mut serializer = V2DeflateSerializer::new();
    let mut writer = IntervalLogWriterBuilder::new()
        .with_max_value_divisor(SCALING_RATIO)
        .begin_log_with(&mut out, &mut serializer)
        .map_err(|e| format!("interval log: {e}"))?;
    let duration = Duration::from_secs_f64(duration_s.max(0.0));
    writer.write_histogram(h, Duration::ZERO, duration, None).map_err(|e| format!("interval log: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_distribution_follows_java_layout() {
        // Goal: the .hgrm is what HdrHistogram Java prints, so its plotter and
        // readers take it. Method: 1..=100 ms in 1 ms steps; check the header,
        // the first lines, the last line and the three footers against values
        // computed apart (bucket widths: 10 ms sits in an 8 µs-wide bucket, 100 ms
        // in a 64 µs one; mean and deviation over median-equivalent values, as
        // Java and the Python port `hdrh` compute them).
        let values: Vec<u64> = (1..=100).map(|ms| ms * 1000).collect();
        let text = percentile_distribution(&histogram(&values).unwrap());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "       Value     Percentile TotalCount 1/(1-Percentile)");
        assert_eq!(lines[1], "");
        assert_eq!(lines[2], "       1.000 0.000000000000          1           1.00");
        assert_eq!(lines[3], "      10.007 0.100000000000         10           1.11");
        let n = lines.len();
        assert_eq!(lines[n - 4], "     100.031 1.000000000000        100");
        assert_eq!(lines[n - 3], "#[Mean    =       50.504, StdDeviation   =       28.866]");
        assert_eq!(lines[n - 2], "#[Max     =      100.031, Total count    =          100]");
        assert_eq!(lines[n - 1], "#[Buckets =           22, SubBuckets     =         2048]");
    }

    #[test]
    fn an_empty_histogram_prints_header_and_zero_footers() {
        // Goal: a run without reads still gets a valid file. Method: no values.
        let text = percentile_distribution(&histogram(&[]).unwrap());
        assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)\n\n#[Mean    =        0.000"), "{text}");
        assert!(text.contains("#[Max     =        0.000, Total count    =            0]"));
    }
}
