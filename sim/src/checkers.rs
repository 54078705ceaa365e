//! Invariant checkers, computed from the recorded history alone (definitions
//! in `docs/invariants.md`). Each violation carries its time, its (store, sku)
//! and the history lines that prove it.

use crate::history::line;
use crate::metrics::reflecting_applies;
use crate::orders::OrderBook;
use crate::staleness::read_staleness_us;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use system::history::{Kind, Record};
use system::layout::Layout;

/// Most violations kept with their evidence per invariant (all are counted).
pub const EXAMPLES_MAX: usize = 10;

/// The checkers' names, in report order.
pub const INVARIANTS: [&str; 8] = [
    "no_oversell",
    "bounded_staleness",
    "convergence",
    "monotonic_view",
    "no_lost_update",
    "idempotence",
    "local_continuity",
    "reservation_conservation",
];

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

/// Where a violation stands in the order the examples are listed: a section,
/// then a position within it (a history position, an order and store, or a
/// store and a count). Passes over single stores keep it, so that their
/// verdicts merge into the examples one pass over the whole history finds.
pub type Place = (u8, u64, u64);

/// The verdict on one invariant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub held: bool,
    pub violations: u64,
    /// Whether breaking it is a safety violation (exit 1) rather than liveness (exit 3).
    pub safety: bool,
    pub examples: Vec<Violation>,
    /// Each example's place, until the verdict is final.
    #[serde(skip)]
    places: Vec<Place>,
}

impl Verdict {
    pub(crate) fn new(safety: bool) -> Self {
        Verdict { held: true, violations: 0, safety, examples: Vec::new(), places: Vec::new() }
    }

    /// Counts a violation; it is an example if it is among the first by place
    /// (adds come in place order), and only then is it written out.
    pub(crate) fn add(&mut self, place: Place, violation: impl FnOnce() -> Violation) {
        self.held = false;
        self.violations += 1;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(violation());
            self.places.push(place);
        }
    }

    /// Folds in the verdict on the same invariant from another pass: the examples first by place stay.
    pub fn merge(&mut self, other: Verdict) {
        self.held &= other.held;
        self.violations += other.violations;
        if other.examples.is_empty() {
            return;
        }
        let mine = self.places.drain(..).zip(self.examples.drain(..));
        let mut all: Vec<(Place, Violation)> = mine.chain(other.places.into_iter().zip(other.examples)).collect();
        all.sort_by_key(|&(place, _)| place);
        all.truncate(EXAMPLES_MAX);
        (self.places, self.examples) = all.into_iter().unzip();
    }
}

/// The place of the `n`th violation found on the keys of `store` (store-major order).
fn key_place(store: u32, n: u64) -> Place {
    (1, u64::from(store), n)
}

/// What the checkers need besides the history.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    pub layout: &'a Layout,
    /// Whether the pipeline drained within the bound.
    pub drained: bool,
    pub end_us: u64,
    /// Δ + ε in microseconds.
    pub staleness_bound_us: u64,
}

/// Rows of one (store, sku), in time order.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyRows<'k> {
    pub commits: &'k [&'k Record],
    pub applies: &'k [&'k Record],
    pub reads: &'k [&'k Record],
}

/// One (store, sku)'s rows in [`PerKey::rows`]: commits, then applies, then reads.
#[derive(Debug, Clone, Copy)]
struct Span {
    key: (u32, u32),
    start: u32,
    applies: u32,
    reads: u32,
    end: u32,
}

/// Every (store, sku) with its rows, in key order: one vector of row
/// references grouped by key (not a map of small vectors: a regional run has
/// half a million keys).
#[derive(Debug, Default)]
pub struct PerKey<'a> {
    rows: Vec<&'a Record>,
    spans: Vec<Span>,
}

/// A row's class within its key: commit, apply, read (other kinds are not kept).
fn class(kind: Kind) -> Option<u8> {
    match kind {
        kind if kind.is_commit() => Some(0),
        Kind::CentralApply => Some(1),
        Kind::Read => Some(2),
        _ => None,
    }
}

impl<'a> PerKey<'a> {
    /// The rows of one span.
    fn rows_of(&self, span: &Span) -> KeyRows<'_> {
        KeyRows {
            commits: &self.rows[span.start as usize..span.applies as usize],
            applies: &self.rows[span.applies as usize..span.reads as usize],
            reads: &self.rows[span.reads as usize..span.end as usize],
        }
    }

    /// Every key with its rows, in key order.
    pub fn iter(&self) -> impl Iterator<Item = ((u32, u32), KeyRows<'_>)> {
        self.spans.iter().map(|span| (span.key, self.rows_of(span)))
    }

    /// Every key's rows, in key order.
    pub fn values(&self) -> impl Iterator<Item = KeyRows<'_>> {
        self.spans.iter().map(|span| self.rows_of(span))
    }

    /// The rows of one key, if it has any.
    pub fn get(&self, key: (u32, u32)) -> Option<KeyRows<'_>> {
        let i = self.spans.binary_search_by_key(&key, |span| span.key).ok()?;
        Some(self.rows_of(&self.spans[i]))
    }
}

/// Groups the commits, applies and reads of `history` by (store, sku), each in time order.
pub fn per_key(history: &[Record]) -> PerKey<'_> {
    // (store, sku, class, position): sorting it groups by key and keeps time
    // order within a class. Positions are u32 (16-byte entries): a history of
    // four billion rows would not fit in memory anyway.
    assert!(history.len() < u32::MAX as usize, "a history of more than 2^32 rows");
    let mut order: Vec<(u32, u32, u8, u32)> = history.iter().zip(0..).filter_map(|(r, i)| Some((r.store?, r.sku?, class(r.kind)?, i))).collect();
    order.sort_unstable();
    let rows = order.iter().map(|&(.., i)| &history[i as usize]).collect();
    let mut spans: Vec<Span> = Vec::new();
    for (i, &(store, sku, class, _)) in (0..).zip(&order) {
        if spans.last().is_none_or(|s| s.key != (store, sku)) {
            spans.push(Span { key: (store, sku), start: i, applies: i, reads: i, end: i });
        }
        let span = spans.last_mut().expect("pushed above");
        span.end = i + 1;
        if class < 1 {
            span.applies = i + 1;
        }
        if class < 2 {
            span.reads = i + 1;
        }
    }
    PerKey { rows, spans }
}

/// Runs every checker on the whole history; `keys` is `per_key(history)` and
/// `orders` is `OrderBook::of(history, keys)`.
pub fn check_all(history: &[Record], keys: &PerKey, orders: &OrderBook, context: CheckContext) -> BTreeMap<String, Verdict> {
    finish(check_pass(history, &positions(history), keys, orders, context), context)
}

/// Runs every checker on one pass: a part of the history closed under (store,
/// sku) and under reservations, such as one store's rows; `seqs` are the rows'
/// positions in the whole history. Merge the passes' verdicts with
/// [`merge_all`], then [`finish`] them.
pub fn check_pass(history: &[Record], seqs: &[u64], keys: &PerKey, orders: &OrderBook, context: CheckContext) -> BTreeMap<String, Verdict> {
    let mut verdicts = BTreeMap::new();
    let mut oversell = no_oversell_at(history, seqs, context);
    orders.oversold(context, &mut oversell);
    verdicts.insert("no_oversell".to_string(), oversell);
    verdicts.insert("reservation_conservation".to_string(), orders.conservation(context));
    verdicts.insert("bounded_staleness".to_string(), bounded_staleness(keys, context));
    verdicts.insert("convergence".to_string(), keys_converge(keys, context));
    verdicts.insert("monotonic_view".to_string(), monotonic_view(keys, context));
    verdicts.insert("no_lost_update".to_string(), no_lost_update(keys, context));
    verdicts.insert("idempotence".to_string(), idempotence(keys, context));
    verdicts.insert("local_continuity".to_string(), local_continuity_at(history, seqs, context));
    verdicts
}

/// Folds the verdicts of one pass into those gathered so far.
pub fn merge_all(gathered: &mut BTreeMap<String, Verdict>, pass: BTreeMap<String, Verdict>) {
    for (name, verdict) in pass {
        match gathered.get_mut(&name) {
            Some(so_far) => so_far.merge(verdict),
            None => {
                gathered.insert(name, verdict);
            }
        }
    }
}

/// The final verdicts: what only the whole run shows (whether it drained) is added.
pub fn finish(mut verdicts: BTreeMap<String, Verdict>, context: CheckContext) -> BTreeMap<String, Verdict> {
    if let Some(convergence) = verdicts.get_mut("convergence") {
        let mut drained = pipeline_drained(context);
        drained.merge(std::mem::take(convergence));
        *convergence = drained;
    }
    for verdict in verdicts.values_mut() {
        verdict.places.clear();
    }
    verdicts
}

/// Evidence for a violation over many rows: the first three, as lines.
pub(crate) fn first_lines<'r>(rows: impl IntoIterator<Item = &'r Record>, layout: &Layout) -> Vec<String> {
    rows.into_iter().take(3).map(|r| line(r, layout)).collect()
}

/// Each row's position when `history` is the whole history.
pub(crate) fn positions(history: &[Record]) -> Vec<u64> {
    (0..history.len() as u64).collect()
}

fn violation(r: &Record, message: String, evidence: Vec<String>) -> Violation {
    Violation { t_us: r.t_us, store: r.store, sku: r.sku, message, evidence }
}

/// No oversell: no store commit leaves on_hand below zero (and, with the
/// order book, no confirmed online order fails: [`OrderBook::oversold`]).
pub fn no_oversell(history: &[Record], context: CheckContext) -> Verdict {
    no_oversell_at(history, &positions(history), context)
}

fn no_oversell_at(history: &[Record], seqs: &[u64], context: CheckContext) -> Verdict {
    let mut verdict = Verdict::new(true);
    for (r, &seq) in history.iter().zip(seqs).filter(|(r, _)| r.kind.is_commit() && r.on_hand.is_some_and(|v| v < 0)) {
        verdict.add((0, seq, 0), || violation(r, format!("on_hand fell to {}", r.on_hand.unwrap_or(0)), vec![line(r, context.layout)]));
    }
    verdict
}

/// Bounded staleness: every read shown fresh shows a value that stopped being
/// the store's truth at most Δ + ε before the read.
pub fn bounded_staleness(keys: &PerKey, context: CheckContext) -> Verdict {
    let mut verdict = Verdict::new(true);
    for ((store, _), rows) in keys.iter() {
        for read in rows.reads.iter().filter(|r| r.detail == "fresh") {
            let (staleness_us, since) = read_staleness_us(rows.commits, read);
            if staleness_us > context.staleness_bound_us {
                verdict.add(key_place(store, verdict.violations), || {
                    let mut evidence: Vec<String> = since.map(|c| line(c, context.layout)).into_iter().collect();
                    evidence.push(line(read, context.layout));
                    let message = format!(
                        "shown fresh with {} although the store's value changed {:.3} s earlier (bound {:.3} s)",
                        read.on_hand.unwrap_or(0),
                        staleness_us as f64 / 1e6,
                        context.staleness_bound_us as f64 / 1e6
                    );
                    violation(read, message, evidence)
                });
            }
        }
    }
    verdict
}

/// Convergence: the run drained within its bound, and central's last value of
/// every (store, sku) equals the store's last committed value (the initial
/// value, `on_hand - qty` of the first commit, when central never wrote it).
pub fn convergence(keys: &PerKey, context: CheckContext) -> Verdict {
    let mut verdict = pipeline_drained(context);
    verdict.merge(keys_converge(keys, context));
    verdict
}

/// The part of convergence only the whole run shows: whether the pipeline drained.
fn pipeline_drained(context: CheckContext) -> Verdict {
    let mut verdict = Verdict::new(false);
    if !context.drained {
        let message = "the pipeline did not drain within run.drain_bound_s".into();
        verdict.add((0, 0, 0), || Violation { t_us: context.end_us, store: None, sku: None, message, evidence: Vec::new() });
    }
    verdict
}

/// Convergence key by key (see [`convergence`]).
fn keys_converge(keys: &PerKey, context: CheckContext) -> Verdict {
    let mut verdict = Verdict::new(false);
    for ((store, sku), KeyRows { commits, applies, .. }) in keys.iter() {
        let (Some(first), Some(last)) = (commits.first(), commits.last()) else { continue };
        let initial = first.on_hand.unwrap_or(0) - first.qty.unwrap_or(0);
        let truth = last.on_hand.unwrap_or(0);
        let view = applies.last().map_or(initial, |r| r.on_hand.unwrap_or(0));
        if view != truth {
            verdict.add(key_place(store, verdict.violations), || {
                let mut evidence = vec![line(last, context.layout)];
                evidence.extend(applies.last().map(|r| line(r, context.layout)));
                let message = format!("central shows {view}, the store holds {truth}");
                Violation { t_us: context.end_us, store: Some(store), sku: Some(sku), message, evidence }
            });
        }
    }
    verdict
}

/// Monotonic view: the version central holds for a (store, sku) never goes backwards.
pub fn monotonic_view(keys: &PerKey, context: CheckContext) -> Verdict {
    let mut verdict = Verdict::new(true);
    for ((store, _), KeyRows { applies, .. }) in keys.iter() {
        for pair in applies.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            if after.version < before.version {
                verdict.add(key_place(store, verdict.violations), || {
                    let message = format!("version went from {} back to {}", before.version.unwrap_or(0), after.version.unwrap_or(0));
                    violation(after, message, vec![line(before, context.layout), line(after, context.layout)])
                });
            }
        }
    }
    verdict
}

/// No lost update: once the pipeline drained, every store commit is reflected
/// at central (see [`crate::metrics::reflecting_applies`]). (Not judged when the run did not drain:
/// convergence says so.)
pub fn no_lost_update(keys: &PerKey, context: CheckContext) -> Verdict {
    let mut verdict = Verdict::new(true);
    if !context.drained {
        return verdict;
    }
    for ((store, _), KeyRows { commits, applies, .. }) in keys.iter() {
        for (commit, apply) in commits.iter().zip(reflecting_applies(commits, applies)) {
            if apply.is_none() {
                verdict.add(key_place(store, verdict.violations), || {
                    let message = format!("version {} never reached central", commit.version.unwrap_or(0));
                    let mut evidence = vec![line(commit, context.layout)];
                    evidence.extend(applies.last().map(|a| line(a, context.layout)));
                    violation(commit, message, evidence)
                });
            }
        }
    }
    verdict
}

/// Idempotence: each event is applied at most once: central never applies a
/// (store, sku, version) more times than the store committed it. Repairs
/// (`central_apply` with a detail: `snapshot`, `batch`) are not events.
pub fn idempotence(keys: &PerKey, context: CheckContext) -> Verdict {
    let mut verdict = Verdict::new(true);
    let (mut committed, mut applied): (Vec<u64>, Vec<&Record>) = (Vec::new(), Vec::new());
    for ((store, _), KeyRows { commits, applies, .. }) in keys.iter() {
        committed.clear();
        committed.extend(commits.iter().map(|c| c.version.unwrap_or(0)));
        committed.sort_unstable();
        // Event applies by version, each version's rows in time order.
        applied.clear();
        applied.extend(applies.iter().copied().filter(|a| a.detail.is_empty()));
        applied.sort_by_key(|a| a.version.unwrap_or(0));
        for rows in applied.chunk_by(|a, b| a.version == b.version) {
            let version = rows[0].version.unwrap_or(0);
            let allowed = (committed.partition_point(|&v| v <= version) - committed.partition_point(|&v| v < version)).max(1);
            if rows.len() > allowed {
                verdict.add(key_place(store, verdict.violations), || {
                    let message = format!("version {version} applied {} times", rows.len());
                    violation(rows[allowed], message, first_lines(rows.iter().copied(), context.layout))
                });
            }
        }
    }
    verdict
}

/// Local continuity: a store that is up sells; it never refuses a till sale.
pub fn local_continuity(history: &[Record], context: CheckContext) -> Verdict {
    local_continuity_at(history, &positions(history), context)
}

fn local_continuity_at(history: &[Record], seqs: &[u64], context: CheckContext) -> Verdict {
    let mut verdict = Verdict::new(true);
    for (r, &seq) in history.iter().zip(seqs).filter(|(r, _)| r.kind == Kind::SaleRefused) {
        verdict.add((0, seq, 0), || violation(r, format!("store refused a till sale: {}", r.detail), vec![line(r, context.layout)]));
    }
    verdict
}
