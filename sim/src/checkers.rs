//! Invariant checkers, computed from the recorded history alone (definitions
//! in `docs/invariants.md`). Each violation carries its time, its (store, sku)
//! and the history lines that prove it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use system::history::{Kind, Record};
use system::layout::Layout;

/// Most violations kept with their evidence per invariant (all are counted).
pub const EXAMPLES_MAX: usize = 10;

/// One broken promise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub t_us: u64,
    pub store: Option<u32>,
    pub sku: Option<u32>,
    pub message: String,
    /// The `events.csv` lines that prove it.
    pub evidence: Vec<String>,
}

/// The verdict on one invariant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub held: bool,
    pub violations: u64,
    /// Whether breaking it is a safety violation (exit 1) rather than liveness (exit 3).
    pub safety: bool,
    pub examples: Vec<Violation>,
}

impl Verdict {
    fn new(safety: bool) -> Self {
        Verdict { held: true, violations: 0, safety, examples: Vec::new() }
    }

    fn add(&mut self, violation: Violation) {
        self.held = false;
        self.violations += 1;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(violation);
        }
    }
}

/// Rows of one (store, sku), in time order.
#[derive(Debug, Default)]
struct KeyRows<'a> {
    commits: Vec<&'a Record>,
    applies: Vec<&'a Record>,
}

/// Every (store, sku) with its rows.
fn per_key(history: &[Record]) -> BTreeMap<(u32, u32), KeyRows<'_>> {
    let mut keys: BTreeMap<(u32, u32), KeyRows<'_>> = BTreeMap::new();
    for r in history {
        let (Some(store), Some(sku)) = (r.store, r.sku) else { continue };
        match r.kind {
            Kind::Sale | Kind::Restock => keys.entry((store, sku)).or_default().commits.push(r),
            Kind::CentralApply => keys.entry((store, sku)).or_default().applies.push(r),
            Kind::Read => {}
        }
    }
    keys
}

/// Convergence: after the drain, central's last value of every (store, sku)
/// equals the store's last committed value (its initial value, `on_hand - qty`
/// of its first commit, when central never wrote it). A run that did not drain
/// within its bound has not converged.
pub fn convergence(history: &[Record], layout: &Layout, drained: bool, end_us: u64) -> Verdict {
    let mut verdict = Verdict::new(false);
    if !drained {
        verdict.add(Violation {
            t_us: end_us,
            store: None,
            sku: None,
            message: "the pipeline did not drain within run.drain_bound_s".into(),
            evidence: Vec::new(),
        });
    }
    for ((store, sku), KeyRows { commits, applies }) in per_key(history) {
        let (Some(first), Some(last)) = (commits.first(), commits.last()) else { continue };
        let initial = first.on_hand.unwrap_or(0) - first.qty.unwrap_or(0);
        let truth = last.on_hand.unwrap_or(0);
        let view = applies.last().map_or(initial, |r| r.on_hand.unwrap_or(0));
        if view != truth {
            let mut evidence = vec![crate::history::line(last, layout)];
            evidence.extend(applies.last().map(|r| crate::history::line(r, layout)));
            verdict.add(Violation {
                t_us: end_us,
                store: Some(store),
                sku: Some(sku),
                message: format!("central shows {view}, the store holds {truth}"),
                evidence,
            });
        }
    }
    verdict
}

/// Monotonic view: the version central holds for a (store, sku) never goes backwards.
pub fn monotonic_view(history: &[Record], layout: &Layout) -> Verdict {
    let mut verdict = Verdict::new(true);
    for ((store, sku), KeyRows { applies, .. }) in per_key(history) {
        for pair in applies.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            if after.version < before.version {
                verdict.add(Violation {
                    t_us: after.t_us,
                    store: Some(store),
                    sku: Some(sku),
                    message: format!("version went from {} back to {}", before.version.unwrap_or(0), after.version.unwrap_or(0)),
                    evidence: vec![crate::history::line(before, layout), crate::history::line(after, layout)],
                });
            }
        }
    }
    verdict
}
