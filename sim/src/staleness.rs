//! Staleness, from the history alone (definitions in `docs/invariants.md`).
//!
//! A read's staleness: 0 if the value shown is the store's value at the read;
//! else how long ago the shown value stopped being the store's value (the
//! commit after the latest commit that held it). A store's staleness at time
//! t: how long the oldest store commit not yet reflected at central has been
//! waiting. Together with the `stale`/`fresh` transitions this gives the time
//! a store was shown fresh although stale beyond the bound, and the time it
//! was hidden although within it.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use system::Micros;
use system::history::{Kind, Record};

/// The staleness of `read` given its (store, sku)'s commits in time order, and
/// the commit that made the shown value stale (if any).
pub fn read_staleness_us<'a>(commits: &[&'a Record], read: &Record) -> (Micros, Option<&'a Record>) {
    let shown = read.on_hand.unwrap_or(0);
    let before = commits.partition_point(|c| c.t_us <= read.t_us);
    // Central may be ahead of the store by the transaction being certified (synchronous designs).
    if ahead_by_one_transaction(&commits[before..], read) {
        return (0, None);
    }
    if before == 0 {
        // No commit yet: the initial value is the truth (central starts from it).
        return match commits.first() {
            Some(first) if first.on_hand.unwrap_or(0) - first.qty.unwrap_or(0) != shown => (read.t_us, None),
            _ => (0, None),
        };
    }
    if commits[before - 1].on_hand == Some(shown) {
        return (0, None);
    }
    // Walk back to the latest commit that held the shown value; the one after it ended it.
    for i in (0..before - 1).rev() {
        if commits[i].on_hand == Some(shown) {
            let ended_by = commits[i + 1];
            return (read.t_us - ended_by.t_us, Some(ended_by));
        }
    }
    let first = commits[0];
    if first.on_hand.unwrap_or(0) - first.qty.unwrap_or(0) == shown {
        return (read.t_us - first.t_us, Some(first));
    }
    // A value the store never held: stale since the start.
    (read.t_us, Some(first))
}

/// Whether `read` shows a value of the store's next transaction (the commits at
/// the first time in `next`), with central already at its version: a
/// synchronous design applies at certification, just before the store commits.
fn ahead_by_one_transaction(next: &[&Record], read: &Record) -> bool {
    let Some(first) = next.first() else { return false };
    next.iter().take_while(|c| c.t_us == first.t_us).any(|c| c.on_hand == read.on_hand && read.version.is_some_and(|v| Some(v) >= c.version))
}

/// Time-based staleness figures for the whole chain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StalenessTimes {
    /// Store-seconds shown fresh while the store's staleness exceeded the bound.
    pub shown_fresh_while_stale_s: f64,
    /// Store-seconds hidden although the store's staleness was within the bound.
    pub hidden_while_within_bound_s: f64,
    /// Largest store staleness seen (seconds).
    pub store_staleness_max_s: f64,
}

/// Sweeps the history in time order, tracking per store its unreflected commits and whether it is shown.
pub fn staleness_times(history: &[Record], stores: u32, bound_us: Micros, end_us: Micros) -> StalenessTimes {
    let mut sums = StalenessSums::default();
    sums.add(history, stores, bound_us, end_us);
    sums.times()
}

/// [`StalenessTimes`] summed over passes (each pass holds whole stores).
#[derive(Debug, Clone, Copy, Default)]
pub struct StalenessSums {
    fresh_stale_us: Micros,
    hidden_ok_us: Micros,
    max_us: Micros,
}

impl StalenessSums {
    pub fn times(&self) -> StalenessTimes {
        StalenessTimes {
            shown_fresh_while_stale_s: self.fresh_stale_us as f64 / 1e6,
            hidden_while_within_bound_s: self.hidden_ok_us as f64 / 1e6,
            store_staleness_max_s: self.max_us as f64 / 1e6,
        }
    }

    /// Sweeps `history` (whole stores) in time order, tracking per store its
    /// unreflected commits and whether it is shown; rows of stores `stores` and
    /// above are not the chain's.
    pub fn add(&mut self, history: &[Record], stores: u32, bound_us: Micros, end_us: Micros) {
        #[derive(Default)]
        struct StoreState {
            /// Unreflected commits as (commit time, sequence).
            waiting: BTreeSet<(Micros, usize)>,
            /// Per SKU (by index), unreflected commits as (version, commit time, sequence), in commit order.
            per_sku: Vec<VecDeque<(u64, Micros, usize)>>,
            /// Per SKU (by index), the highest version central applied.
            applied_max: Vec<Option<u64>>,
            hidden: bool,
            since_us: Micros,
        }
        impl StoreState {
            /// The index of `sku`'s entries, grown on first sight.
            fn sku(&mut self, sku: u32) -> usize {
                let index = sku as usize;
                if index >= self.per_sku.len() {
                    self.per_sku.resize_with(index + 1, VecDeque::new);
                    self.applied_max.resize(index + 1, None);
                }
                index
            }
        }
        // Stores seen (a pass usually holds one), each with its state.
        let mut states: BTreeMap<u32, StoreState> = BTreeMap::new();
        let StalenessSums { fresh_stale_us, hidden_ok_us, max_us } = self;
        // Accounts the segment [since, now) of one store, during which its oldest waiting commit is constant.
        let mut account = |state: &mut StoreState, now: Micros| {
            let start = state.since_us;
            if now <= start {
                return;
            }
            let oldest = state.waiting.first().map(|&(t, _)| t);
            if let Some(oldest) = oldest {
                *max_us = (*max_us).max(now - oldest);
            }
            // Within [start, now) staleness is (t - oldest): above the bound from oldest + bound on.
            let over_from = oldest.map_or(Micros::MAX, |o| o.saturating_add(bound_us)).max(start);
            if state.hidden {
                *hidden_ok_us += over_from.min(now) - start;
            } else if over_from < now {
                *fresh_stale_us += now - over_from;
            }
            state.since_us = now;
        };
        for (seq, r) in history.iter().enumerate() {
            let Some(store) = r.store.filter(|&s| s < stores) else { continue };
            let state = states.entry(store).or_default();
            match r.kind {
                kind if kind.is_commit() => {
                    account(state, r.t_us);
                    let sku = state.sku(r.sku.unwrap_or(0));
                    let version = r.version.unwrap_or(0);
                    // Central may already hold it (a synchronous design applies at certification).
                    if state.applied_max[sku].is_none_or(|applied| applied < version) {
                        state.waiting.insert((r.t_us, seq));
                        state.per_sku[sku].push_back((version, r.t_us, seq));
                    }
                }
                Kind::CentralApply => {
                    account(state, r.t_us);
                    let version = r.version.unwrap_or(0);
                    let sku = state.sku(r.sku.unwrap_or(0));
                    let applied = &mut state.applied_max[sku];
                    *applied = Some(applied.map_or(version, |a| a.max(version)));
                    let queue = &mut state.per_sku[sku];
                    while queue.front().is_some_and(|&(v, t, _)| v <= version && t <= r.t_us) {
                        let (_, t, s) = queue.pop_front().expect("checked front");
                        state.waiting.remove(&(t, s));
                    }
                }
                Kind::Stale | Kind::Fresh => {
                    account(state, r.t_us);
                    state.hidden = r.kind == Kind::Stale;
                }
                _ => {}
            }
        }
        for state in states.values_mut() {
            account(state, end_us);
        }
    }
}
