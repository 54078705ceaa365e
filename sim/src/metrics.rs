//! Metrics computed from the history alone, by the definitions in `docs/history.md`.
//!
//! Propagation latency of a store commit `c` of (store, sku) with version `v`:
//! the time from `c` to the first `central_apply` row of the same (store, sku),
//! at or after the latest commit before `c` in time, whose version is at least `v` (0 if that
//! apply came first: a synchronous design applies at certification, just
//! before the store commits). Commits never reached are counted apart. Percentiles are nearest-rank: the value at index
//! `ceil(p * n) - 1` of the sorted latencies.

use crate::checkers::{KeyRows, PerKey};
use serde::{Deserialize, Serialize};
use system::Micros;
use system::history::Record;

/// A latency distribution in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// The nearest-rank `p` quantile of sorted values.
pub fn nearest_rank(sorted: &[Micros], p: f64) -> Micros {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

impl Percentiles {
    /// Summarises latencies in microseconds (sorted here).
    pub fn of(mut latencies_us: Vec<Micros>) -> Self {
        latencies_us.sort_unstable();
        let ms = |us: Micros| us as f64 / 1000.0;
        let count = latencies_us.len() as u64;
        let mean_ms = if count == 0 { 0.0 } else { ms(latencies_us.iter().sum::<Micros>()) / count as f64 };
        Percentiles {
            count,
            p50_ms: ms(nearest_rank(&latencies_us, 0.50)),
            p90_ms: ms(nearest_rank(&latencies_us, 0.90)),
            p99_ms: ms(nearest_rank(&latencies_us, 0.99)),
            p999_ms: ms(nearest_rank(&latencies_us, 0.999)),
            max_ms: ms(latencies_us.last().copied().unwrap_or(0)),
            mean_ms,
        }
    }
}

/// Values gathered one pass at a time (a store's), kept as sorted runs with
/// varint deltas: about 2 bytes a value instead of 8, and the same
/// percentiles as [`Percentiles::of`] over all of them.
#[derive(Debug, Clone, Default)]
pub struct SortedRuns {
    bytes: Vec<u8>,
    /// Each run's first byte and number of values.
    runs: Vec<(usize, usize)>,
    count: u64,
    sum: Micros,
}

impl SortedRuns {
    /// Adds one pass's values.
    pub fn add(&mut self, mut values: Vec<Micros>) {
        if values.is_empty() {
            return;
        }
        values.sort_unstable();
        self.runs.push((self.bytes.len(), values.len()));
        let mut previous = 0;
        for value in values {
            system::compact_log::put_varint(&mut self.bytes, value - previous);
            self.count += 1;
            self.sum += value;
            previous = value;
        }
    }

    /// Every value in ascending order (a merge of the runs).
    fn ascending(&self) -> impl Iterator<Item = Micros> + '_ {
        let mut cursors: Vec<(usize, usize, Micros)> = self.runs.iter().map(|&(at, count)| (at, count, 0)).collect();
        let next = |run: usize, cursors: &mut Vec<(usize, usize, Micros)>| -> Option<Micros> {
            let (at, left, previous) = &mut cursors[run];
            *left = left.checked_sub(1)?;
            let mut input = system::compact_log::Input::at(&self.bytes, *at);
            *previous += input.varint();
            *at = input.position();
            Some(*previous)
        };
        let mut heads: std::collections::BinaryHeap<std::cmp::Reverse<(Micros, usize)>> =
            (0..self.runs.len()).filter_map(|run| Some(std::cmp::Reverse((next(run, &mut cursors)?, run)))).collect();
        std::iter::from_fn(move || {
            let std::cmp::Reverse((value, run)) = heads.pop()?;
            if let Some(following) = next(run, &mut cursors) {
                heads.push(std::cmp::Reverse((following, run)));
            }
            Some(value)
        })
    }
}

impl Percentiles {
    /// The same figures as [`Percentiles::of`] over every value of `runs`.
    pub fn of_runs(runs: &SortedRuns) -> Self {
        let ms = |us: Micros| us as f64 / 1000.0;
        let n = runs.count as usize;
        if n == 0 {
            return Percentiles::of(Vec::new());
        }
        let rank = |p: f64| ((p * n as f64).ceil().max(1.0) as usize).min(n) - 1;
        let ranks = [rank(0.50), rank(0.90), rank(0.99), rank(0.999), n - 1];
        let mut at = [0; 5];
        for (i, value) in runs.ascending().enumerate().take(n) {
            for (slot, &r) in ranks.iter().enumerate() {
                if r == i {
                    at[slot] = value;
                }
            }
        }
        Percentiles {
            count: runs.count,
            p50_ms: ms(at[0]),
            p90_ms: ms(at[1]),
            p99_ms: ms(at[2]),
            p999_ms: ms(at[3]),
            max_ms: ms(at[4]),
            mean_ms: ms(runs.sum) / runs.count as f64,
        }
    }
}

/// Propagation latencies in microseconds, and how many commits never reached central.
pub fn propagation_us(keys: &PerKey) -> (Vec<Micros>, u64) {
    let mut latencies = Vec::new();
    let mut unreached = 0;
    for KeyRows { commits, applies, .. } in keys.values() {
        for (commit, apply) in commits.iter().zip(reflecting_applies(commits, applies)) {
            match apply {
                Some(i) => latencies.push(applies[i].t_us.saturating_sub(commit.t_us)),
                None => unreached += 1,
            }
        }
    }
    (latencies, unreached)
}

/// For each commit of one (store, sku), both in time order, the index of the
/// first apply that reflects it: a version at least the commit's, at or after
/// the latest commit strictly before it (one transaction may write a row
/// twice; a synchronous design applies just before the store commits).
/// One pass over the applies while versions rise; a scan again when they fall
/// (versions reused after a restore without a store epoch).
pub fn reflecting_applies(commits: &[&Record], applies: &[&Record]) -> Vec<Option<usize>> {
    let mut next = 0;
    let (mut previous_us, mut last_us, mut last_version) = (0, 0, 0);
    commits
        .iter()
        .map(|commit| {
            if commit.t_us > last_us {
                previous_us = last_us;
                last_us = commit.t_us;
            }
            let version = commit.version.unwrap_or(0);
            if version < last_version {
                next = 0;
            }
            last_version = version;
            while next < applies.len() && (applies[next].t_us < previous_us || applies[next].version.unwrap_or(0) < version) {
                next += 1;
            }
            (next < applies.len()).then_some(next)
        })
        .collect()
}
