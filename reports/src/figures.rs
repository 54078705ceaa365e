//! Figures recomputed from the history (`events.csv`) with the same functions
//! the run used for `summary.json`: propagation latencies, the staleness of
//! each read shown fresh, and which stores central hid.

use sim::checkers::{PerKey, per_key};
use sim::staleness::read_staleness_us;
use std::collections::BTreeSet;
use system::Micros;
use system::history::{Kind, Record};

/// What the report plots and counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Store commit to central apply, microseconds, one per reached commit (`docs/history.md`).
    pub propagation_us: Vec<Micros>,
    /// Each read shown fresh as (time, staleness), microseconds, in time order (`docs/invariants.md`).
    pub fresh_reads: Vec<(Micros, Micros)>,
    /// Stores central hid at least once.
    pub stores_hidden: BTreeSet<u32>,
    /// Online orders, `order_placed` to `order_confirmed`, microseconds.
    pub time_to_confirm_us: Vec<Micros>,
}

impl Figures {
    /// The staleness values of the reads shown fresh.
    pub fn fresh_staleness_us(&self) -> Vec<Micros> {
        self.fresh_reads.iter().map(|&(_, s)| s).collect()
    }
}

/// Computes the figures from `history`.
pub fn of(history: &[Record]) -> Figures {
    let keys = per_key(history);
    let (propagation_us, _) = sim::metrics::propagation_us(&keys);
    let time_to_confirm_us = sim::orders::OrderBook::of(history, &keys).time_to_confirm_us;
    Figures { propagation_us, fresh_reads: fresh_reads(&keys), stores_hidden: stores_hidden(history), time_to_confirm_us }
}

fn fresh_reads(keys: &PerKey) -> Vec<(Micros, Micros)> {
    let mut reads = Vec::new();
    for rows in keys.values() {
        for read in rows.reads.iter().filter(|r| r.detail == "fresh") {
            reads.push((read.t_us, read_staleness_us(rows.commits, read).0));
        }
    }
    reads.sort_unstable();
    reads
}

fn stores_hidden(history: &[Record]) -> BTreeSet<u32> {
    history.iter().filter(|r| r.kind == Kind::Stale).filter_map(|r| r.store).collect()
}
