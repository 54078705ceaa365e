//! `timeseries.csv` read back (`t_s,gauge,subject,value`, see
//! `sim::timeseries`), and the chart series derived from it.

use std::collections::BTreeMap;

/// One row of `timeseries.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub t_s: f64,
    pub gauge: String,
    pub subject: String,
    pub value: u64,
}

/// Parses `timeseries.csv`; an error names the line.
pub fn parse(text: &str) -> Result<Vec<Reading>, String> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    if header != "t_s,gauge,subject,value" {
        return Err(format!("header is {header:?}, expected \"t_s,gauge,subject,value\""));
    }
    lines.enumerate().map(|(i, line)| reading(line).ok_or_else(|| format!("line {}: {line:?} is not t_s,gauge,subject,value", i + 2))).collect()
}

fn reading(line: &str) -> Option<Reading> {
    let mut cells = line.split(',');
    let (t_s, gauge, subject, value) = (cells.next()?, cells.next()?, cells.next()?, cells.next()?);
    if cells.next().is_some() {
        return None;
    }
    Some(Reading { t_s: t_s.parse().ok()?, gauge: gauge.to_string(), subject: subject.to_string(), value: value.parse().ok()? })
}

/// Per sample time, the readings of `gauge` combined by `combine` (max, sum...), in time order.
pub fn per_sample(readings: &[Reading], gauge: &str, combine: fn(u64, u64) -> u64) -> Vec<(f64, f64)> {
    // Sample times are written with three decimals: key them in milliseconds.
    let mut by_time: BTreeMap<u64, u64> = BTreeMap::new();
    for r in readings.iter().filter(|r| r.gauge == gauge) {
        let key = (r.t_s * 1000.0).round() as u64;
        by_time.entry(key).and_modify(|v| *v = combine(*v, r.value)).or_insert(r.value);
    }
    by_time.into_iter().map(|(ms, v)| (ms as f64 / 1000.0, v as f64)).collect()
}

/// The largest outbox backlog of any store at each sample.
pub fn max_outbox_backlog(readings: &[Reading]) -> Vec<(f64, f64)> {
    per_sample(readings, "outbox_backlog", u64::max)
}

/// The consumer lag summed over the central broker's partitions at each sample.
pub fn total_consumer_lag(readings: &[Reading]) -> Vec<(f64, f64)> {
    per_sample(readings, "consumer_lag", u64::saturating_add)
}

/// The share (0..=1) of the chain's `stores` that central showed online at each sample.
pub fn share_shown_fresh(readings: &[Reading], stores: u32) -> Vec<(f64, f64)> {
    let stores = f64::from(stores.max(1));
    per_sample(readings, "stores_shown_fresh", u64::max).into_iter().map(|(t, v)| (t, v / stores)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_combine_per_sample_and_bad_lines_are_named() {
        // Goal: the charted series are what the file says. Method: two
        // samples of two stores and two partitions; then a malformed line.
        let text = "t_s,gauge,subject,value\n\
                    0.000,outbox_backlog,store-0,2\n0.000,outbox_backlog,store-1,5\n\
                    0.000,consumer_lag,partition-0,1\n0.000,consumer_lag,partition-1,4\n0.000,stores_shown_fresh,chain,2\n\
                    10.000,outbox_backlog,store-0,0\n10.000,outbox_backlog,store-1,1\n\
                    10.000,consumer_lag,partition-0,0\n10.000,consumer_lag,partition-1,0\n10.000,stores_shown_fresh,chain,1\n";
        let readings = parse(text).unwrap();
        assert_eq!(max_outbox_backlog(&readings), [(0.0, 5.0), (10.0, 1.0)]);
        assert_eq!(total_consumer_lag(&readings), [(0.0, 5.0), (10.0, 0.0)]);
        assert_eq!(share_shown_fresh(&readings, 2), [(0.0, 1.0), (10.0, 0.5)]);
        let error = parse("t_s,gauge,subject,value\n1.0,outbox_backlog,store-0\n").unwrap_err();
        assert!(error.starts_with("line 2:"), "{error}");
    }
}
