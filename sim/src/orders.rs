//! Online orders read back from the history alone: reservation lifecycles,
//! holds per store, oversold orders, lost sales and time to confirm
//! (definitions in `docs/invariants.md` and `docs/history.md`).
//!
//! A reservation is identified by (order, store): central tries each store at
//! most once per order. Its one end is `reservation_rejected`,
//! `reservation_expired`, `order_fulfilled` or `order_failed`.

use crate::checkers::{CheckContext, PerKey, Verdict, Violation, first_lines, positions};
use crate::history::line;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use system::Micros;
use system::history::{Kind, Record};

/// Order figures of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderMetrics {
    pub placed: u64,
    pub confirmed: u64,
    /// Orders no store could serve (the customer was told no).
    pub rejected: u64,
    pub fulfilled: u64,
    /// Confirmed orders a store could not serve (oversold).
    pub failed: u64,
    pub oversold_units: u64,
    /// Of those, orders whose store's DB was restored from a backup between the
    /// reservation and the failure: the backup lost the hold (data loss, not a design flaw).
    #[serde(default)]
    pub failed_after_restore: u64,
    /// Rejected orders whose home store had enough unheld units at the decision (see `docs/invariants.md`).
    pub lost_sales: u64,
    pub lost_sales_units: u64,
    pub reservations_expired: u64,
    /// Holds the stores released without a pick (late accepts, failed picks).
    pub holds_released: u64,
}

/// A beginning (a `reservation_created` or a `hold`), if recorded, and what ended it, in time order.
pub type Lifecycle<'a> = (Option<&'a Record>, Vec<&'a Record>);

/// Everything the history says about orders, gathered in one pass.
#[derive(Debug, Default)]
pub struct OrderBook<'a> {
    /// (order, store) -> its `reservation_created` (if any) and every end, in time order.
    pub reservations: BTreeMap<(u64, u32), Lifecycle<'a>>,
    /// Per store, per order: the hold and what consumed it (a pick sale or a release).
    pub holds: BTreeMap<u32, BTreeMap<u64, Lifecycle<'a>>>,
    /// When orders were placed and confirmed (an order may be placed at one store and served by another).
    pub confirmations: Confirmations,
    /// When each store's DB was restored from a backup.
    pub restores: BTreeMap<u32, Vec<Micros>>,
    pub metrics: OrderMetrics,
}

impl OrderMetrics {
    /// Adds the figures of another pass.
    pub fn add(&mut self, other: &OrderMetrics) {
        let OrderMetrics {
            placed,
            confirmed,
            rejected,
            fulfilled,
            failed,
            oversold_units,
            failed_after_restore,
            lost_sales,
            lost_sales_units,
            reservations_expired,
            holds_released,
        } = other;
        self.placed += placed;
        self.confirmed += confirmed;
        self.rejected += rejected;
        self.fulfilled += fulfilled;
        self.failed += failed;
        self.oversold_units += oversold_units;
        self.failed_after_restore += failed_after_restore;
        self.lost_sales += lost_sales;
        self.lost_sales_units += lost_sales_units;
        self.reservations_expired += reservations_expired;
        self.holds_released += holds_released;
    }
}

impl<'a> OrderBook<'a> {
    /// Reads the order rows of `history`; `keys` gives each (store, sku)'s commits for lost sales.
    pub fn of(history: &'a [Record], keys: &PerKey) -> Self {
        Self::of_pass(history, &positions(history), keys)
    }

    /// Reads the order rows of one pass (see [`crate::checkers::check_pass`]); `seqs` are their positions in the whole history.
    pub fn of_pass(history: &'a [Record], seqs: &[u64], keys: &PerKey) -> Self {
        let mut book = OrderBook::default();
        // Units held now per (store, sku), as the rows so far say.
        let mut held: BTreeMap<(u32, u32), i64> = BTreeMap::new();
        for (r, &seq) in history.iter().zip(seqs) {
            if let (Kind::Restore, Some(store)) = (r.kind, r.store) {
                // The DB is a backup now: its holds are recorded again when the store resyncs.
                book.restores.entry(store).or_default().push(r.t_us);
                book.holds.remove(&store);
                held.retain(|&(s, _), _| s != store);
            }
            let (Some(order), Some(store)) = (r.order, r.store) else { continue };
            let units = r.qty.unwrap_or(0).abs();
            let m = &mut book.metrics;
            match r.kind {
                Kind::OrderPlaced => {
                    m.placed += 1;
                    book.confirmations.placed_at.insert(order, r.t_us);
                }
                Kind::ReservationCreated => book.reservations.entry((order, store)).or_default().0 = Some(r),
                Kind::OrderConfirmed => {
                    m.confirmed += 1;
                    book.confirmations.confirmed.push((seq, order, r.t_us));
                }
                Kind::OrderRejected => {
                    m.rejected += 1;
                    let sku = r.sku.unwrap_or(0);
                    let unheld = truth_at(keys, store, sku, r) - held.get(&(store, sku)).copied().unwrap_or(0);
                    if unheld >= units {
                        m.lost_sales += 1;
                        m.lost_sales_units += units as u64;
                    }
                }
                Kind::Hold => {
                    *held.entry((store, r.sku.unwrap_or(0))).or_default() += units;
                    book.holds.entry(store).or_default().entry(order).or_default().0 = Some(r);
                }
                Kind::Release | Kind::Sale => {
                    m.holds_released += u64::from(r.kind == Kind::Release);
                    *held.entry((store, r.sku.unwrap_or(0))).or_default() -= units;
                    book.holds.entry(store).or_default().entry(order).or_default().1.push(r);
                }
                _ => {}
            }
            if r.kind.ends_reservation() {
                let ends = &mut book.reservations.entry((order, store)).or_default().1;
                let first_end = ends.is_empty();
                ends.push(r);
                let m = &mut book.metrics;
                match r.kind {
                    Kind::OrderFulfilled => m.fulfilled += 1,
                    Kind::ReservationExpired => m.reservations_expired += 1,
                    // Oversold: a confirmed order failed (not a second end of a reservation already over).
                    Kind::OrderFailed if first_end => {
                        m.failed += 1;
                        m.oversold_units += units as u64;
                    }
                    _ => {}
                }
            }
        }
        book.metrics.failed_after_restore = book.metrics.failed - book.failures().count() as u64;
        book
    }

    /// Whether `store`'s DB was restored from a backup between `from_us` and `to_us`.
    fn restored_between(&self, store: Option<u32>, from_us: Micros, to_us: Micros) -> bool {
        store.and_then(|s| self.restores.get(&s)).is_some_and(|ts| ts.iter().any(|&t| from_us <= t && t <= to_us))
    }

    /// The confirmed orders that failed, each with its reservation, except
    /// those whose store's DB was restored from a backup in between (the
    /// backup lost the hold: counted as `failed_after_restore`).
    fn failures(&self) -> impl Iterator<Item = (Option<&'a Record>, &'a Record)> + '_ {
        self.reservations.values().filter_map(|(created, ends)| {
            let failed = *ends.first().filter(|r| r.kind == Kind::OrderFailed)?;
            (!self.restored_between(failed.store, created.map_or(0, |c| c.t_us), failed.t_us)).then_some((*created, failed))
        })
    }

    /// Oversell of online orders: every confirmed order that failed, as a violation.
    pub fn oversold(&self, context: CheckContext, verdict: &mut Verdict) {
        for (created, failed) in self.failures() {
            let place = (1, failed.order.unwrap_or(0), u64::from(failed.store.unwrap_or(0)));
            verdict.add(place, || {
                let mut evidence: Vec<String> = created.iter().map(|r| line(r, context.layout)).collect();
                evidence.push(line(failed, context.layout));
                let message = format!("order {} was confirmed, then failed: {} units oversold", failed.order.unwrap_or(0), failed.qty.unwrap_or(0));
                Violation { t_us: failed.t_us, store: failed.store, sku: failed.sku, message, evidence }
            });
        }
    }

    /// Reservation conservation: each reservation ends exactly once (and, after
    /// quiescence, has ended); after quiescence the units held at each store
    /// equal the units of central's open reservations for it.
    pub fn conservation(&self, context: CheckContext) -> Verdict {
        let mut verdict = Verdict::new(true);
        let mut open_units: BTreeMap<u32, i64> = BTreeMap::new();
        for (&(order, store), (created, ends)) in &self.reservations {
            let place = (0, order, u64::from(store));
            let at = |r: &Record| Violation {
                t_us: r.t_us,
                store: Some(store),
                sku: r.sku,
                message: String::new(),
                evidence: first_lines(created.iter().chain(ends).copied(), context.layout),
            };
            match (created, ends.as_slice()) {
                (None, [end, ..]) => {
                    verdict.add(place, || Violation { message: format!("order {order} at store {store}: an end without a reservation"), ..at(end) })
                }
                (Some(_), [_, second, ..]) => verdict.add(place, || {
                    let kinds: Vec<&str> = ends.iter().take(4).map(|r| r.kind.as_str()).collect();
                    Violation {
                        message: format!("order {order} at store {store}: the reservation ended {} times ({})", ends.len(), kinds.join(", ")),
                        ..at(second)
                    }
                }),
                (Some(created), []) => {
                    *open_units.entry(store).or_default() += created.qty.unwrap_or(0);
                    if context.drained {
                        verdict.add(place, || Violation {
                            t_us: context.end_us,
                            message: format!("order {order} at store {store}: the reservation never ended"),
                            ..at(created)
                        });
                    }
                }
                _ => {}
            }
        }
        if !context.drained {
            return verdict;
        }
        for (&store, orders) in &self.holds {
            let still_held: Vec<&Record> =
                orders.values().filter(|(hold, used)| hold.is_some() && used.is_empty()).filter_map(|(hold, _)| *hold).collect();
            let held: i64 = still_held.iter().map(|r| r.qty.unwrap_or(0)).sum();
            let open = open_units.get(&store).copied().unwrap_or(0);
            if held != open {
                verdict.add((2, u64::from(store), 0), || Violation {
                    t_us: context.end_us,
                    store: Some(store),
                    sku: still_held.first().and_then(|r| r.sku),
                    message: format!("store {store} holds {held} units after quiescence, central's open reservations there are {open}"),
                    evidence: first_lines(still_held.iter().copied(), context.layout),
                });
            }
        }
        verdict
    }
}

/// When orders were placed and confirmed, gathered over passes.
#[derive(Debug, Default)]
pub struct Confirmations {
    /// Each order's `order_placed` time.
    pub placed_at: BTreeMap<u64, Micros>,
    /// Each `order_confirmed` as (history position, order, time).
    pub confirmed: Vec<(u64, u64, Micros)>,
}

impl Confirmations {
    /// Folds in those of another pass.
    pub fn merge(&mut self, other: Confirmations) {
        self.placed_at.extend(other.placed_at);
        self.confirmed.extend(other.confirmed);
    }

    /// Each confirmed order's wait from `order_placed` to `order_confirmed`, in microseconds, in history order.
    pub fn time_to_confirm_us(mut self) -> Vec<Micros> {
        self.confirmed.sort_unstable();
        self.confirmed.iter().filter_map(|&(_, order, t_us)| t_us.checked_sub(*self.placed_at.get(&order)?)).collect()
    }
}

/// The store's on_hand of (store, sku) at `r`'s time: its last commit at or
/// before then, else the value before its first commit, else (never changed)
/// what central shows, which `r` carries.
fn truth_at(keys: &PerKey, store: u32, sku: u32, r: &Record) -> i64 {
    let Some(rows) = keys.get((store, sku)) else { return r.on_hand.unwrap_or(0) };
    let before = rows.commits.partition_point(|c| c.t_us <= r.t_us);
    match before.checked_sub(1).and_then(|i| rows.commits.get(i)) {
        Some(last) => last.on_hand.unwrap_or(0),
        None => rows.commits.first().map_or(r.on_hand.unwrap_or(0), |first| first.on_hand.unwrap_or(0) - first.qty.unwrap_or(0)),
    }
}
