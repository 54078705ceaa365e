//! Figures recomputed from the history (`events.csv`) with the same functions
//! the run used for `summary.json`: propagation latencies, the staleness of
//! each read shown fresh, and which stores central hid.

use sim::checkers::{PerKey, per_key};
use sim::orders::{Confirmations, OrderBook};
use sim::recorded::History;
use sim::staleness::read_staleness_us;
use std::collections::BTreeSet;
use system::Micros;
use system::history::Kind;

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

/// Computes the figures from `history`, one store at a time.
pub fn of(history: &History) -> Figures {
    let mut figures = Figures::default();
    let mut confirmations = Confirmations::default();
    for pass in history.passes() {
        let keys = per_key(&pass.records);
        figures.propagation_us.extend(sim::metrics::propagation_us(&keys).0);
        figures.fresh_reads.extend(fresh_reads(&keys));
        figures.stores_hidden.extend(pass.records.iter().filter(|r| r.kind == Kind::Stale).filter_map(|r| r.store));
        confirmations.merge(OrderBook::of_pass(&pass.records, &pass.seqs, &keys).confirmations);
    }
    figures.fresh_reads.sort_unstable();
    figures.time_to_confirm_us = confirmations.time_to_confirm_us();
    figures
}

/// Each read shown fresh as (time, staleness).
fn fresh_reads(keys: &PerKey) -> Vec<(Micros, Micros)> {
    let mut reads = Vec::new();
    for rows in keys.values() {
        for read in rows.reads.iter().filter(|r| r.detail == "fresh") {
            reads.push((read.t_us, read_staleness_us(rows.commits, read).0));
        }
    }
    reads
}
