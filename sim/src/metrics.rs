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
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use system::Micros;
use system::compact_log::{ColdStore, Input, put_varint};
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

/// The index of the nearest-rank `p` quantile among `n` sorted values (`n` > 0).
fn rank_index(p: f64, n: usize) -> usize {
    ((p * n as f64).ceil().max(1.0) as usize).min(n) - 1
}

/// The nearest-rank `p` quantile of sorted values.
pub fn nearest_rank(sorted: &[Micros], p: f64) -> Micros {
    if sorted.is_empty() {
        return 0;
    }
    sorted[rank_index(p, sorted.len())]
}

impl Percentiles {
    /// Summarises latencies in microseconds (sorted here).
    pub fn of(mut latencies_us: Vec<Micros>) -> Self {
        latencies_us.sort_unstable();
        let sum = latencies_us.iter().sum();
        Self::of_ascending(latencies_us.len() as u64, sum, latencies_us.into_iter())
    }

    /// The same figures as [`Percentiles::of`] over every value of `runs`.
    pub fn of_runs(runs: &SortedRuns) -> Self {
        Self::of_ascending(runs.count, runs.sum, runs.ascending())
    }

    /// The figures of `count` values, given in ascending order, that sum to `sum`.
    fn of_ascending(count: u64, sum: Micros, mut ascending: impl Iterator<Item = Micros>) -> Self {
        let ms = |us: Micros| us as f64 / 1000.0;
        let n = count as usize;
        // p50, p90, p99, p99.9 and the maximum (p = 1), read off in one walk.
        let mut at = [0; 5];
        let (mut next, mut last) = (0, 0);
        for (slot, p) in [0.50, 0.90, 0.99, 0.999, 1.0].into_iter().enumerate().take_while(|_| n > 0) {
            let rank = rank_index(p, n);
            if rank >= next {
                last = ascending.nth(rank - next).expect("as many values as counted");
                next = rank + 1;
            }
            at[slot] = last;
        }
        Percentiles {
            count,
            p50_ms: ms(at[0]),
            p90_ms: ms(at[1]),
            p99_ms: ms(at[2]),
            p999_ms: ms(at[3]),
            max_ms: ms(at[4]),
            mean_ms: if count == 0 { 0.0 } else { ms(sum) / count as f64 },
        }
    }
}

/// Values gathered one pass at a time (a store's), kept as sorted runs with
/// varint deltas: about 2 bytes a value instead of 8, and the same
/// percentiles as [`Percentiles::of`] over all of them. Given the run's cold
/// store, runs move there once the run holds enough in memory, and the merge
/// reads them back a window at a time.
#[derive(Debug, Clone, Default)]
pub struct SortedRuns {
    runs: Vec<SortedRun>,
    count: u64,
    sum: Micros,
    cold: Option<Arc<dyn ColdStore>>,
}

/// One run's encoded values: in memory, or where the cold store put them.
#[derive(Debug, Clone)]
enum SortedRun {
    Hot { bytes: Vec<u8>, count: usize },
    Cold { at: u64, len: usize, count: usize },
}

/// Bytes of a cold run the merge reads at a time.
const WINDOW_BYTES: usize = 4 << 10;

/// Reads one run's values in order.
struct RunCursor<'r> {
    window: Cow<'r, [u8]>,
    /// Where `window` starts within the run.
    window_at: usize,
    pos: usize,
    /// The cold store and where the run is in it, for a cold run.
    cold: Option<(&'r dyn ColdStore, u64, usize)>,
    left: usize,
    previous: Micros,
}

impl RunCursor<'_> {
    fn next(&mut self) -> Option<Micros> {
        self.left = self.left.checked_sub(1)?;
        // A varint is at most 10 bytes: refill the window before one could straddle its end.
        if let Some((cold, at, len)) = self.cold
            && self.pos + 10 > self.window.len()
            && self.window_at + self.window.len() < len
        {
            self.window_at += self.pos;
            self.window = Cow::Owned(cold.get(at + self.window_at as u64, WINDOW_BYTES.min(len - self.window_at)));
            self.pos = 0;
        }
        let mut input = Input::at(&self.window, self.pos);
        self.previous += input.varint();
        self.pos = input.position();
        Some(self.previous)
    }
}

impl SortedRuns {
    /// Runs that move to `cold` once the run holds enough in memory.
    pub fn with_cold_store(cold: Arc<dyn ColdStore>) -> Self {
        SortedRuns { cold: Some(cold), ..SortedRuns::default() }
    }

    /// Adds one pass's values.
    pub fn add(&mut self, mut values: Vec<Micros>) {
        if values.is_empty() {
            return;
        }
        values.sort_unstable();
        let mut bytes = Vec::new();
        let mut previous = 0;
        for &value in &values {
            put_varint(&mut bytes, value - previous);
            self.sum += value;
            previous = value;
        }
        let count = values.len();
        self.count += count as u64;
        let run = match &self.cold {
            Some(cold) => {
                cold.resident(bytes.len() as isize);
                match cold.put(&bytes) {
                    Some(at) => SortedRun::Cold { at, len: bytes.len(), count },
                    None => SortedRun::Hot { bytes, count },
                }
            }
            None => SortedRun::Hot { bytes, count },
        };
        self.runs.push(run);
    }

    fn cursor<'r>(&'r self, run: &'r SortedRun) -> RunCursor<'r> {
        match run {
            SortedRun::Hot { bytes, count } => {
                RunCursor { window: Cow::Borrowed(bytes), window_at: 0, pos: 0, cold: None, left: *count, previous: 0 }
            }
            SortedRun::Cold { at, len, count } => RunCursor {
                window: Cow::Owned(Vec::new()),
                window_at: 0,
                pos: 0,
                cold: self.cold.as_deref().map(|cold| (cold, *at, *len)),
                left: *count,
                previous: 0,
            },
        }
    }

    /// Every value in ascending order (a merge of the runs).
    fn ascending(&self) -> impl Iterator<Item = Micros> + '_ {
        let mut cursors: Vec<RunCursor> = self.runs.iter().map(|run| self.cursor(run)).collect();
        let mut heads: BinaryHeap<Reverse<(Micros, usize)>> =
            cursors.iter_mut().enumerate().filter_map(|(run, cursor)| Some(Reverse((cursor.next()?, run)))).collect();
        std::iter::from_fn(move || {
            let Reverse((value, run)) = heads.pop()?;
            if let Some(following) = cursors[run].next() {
                heads.push(Reverse((following, run)));
            }
            Some(value)
        })
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
