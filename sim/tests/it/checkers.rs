//! Each checker against a hand-written history that violates it and one that does not.

use sim::checkers::{self, CheckContext, per_key};
use sim::staleness::staleness_times;
use system::history::{Kind, Record};
use system::layout::Layout;

const LAYOUT: Layout = Layout { stores: 2, consumers: 1, mirrors: false };
const S: u64 = 1_000_000;

fn context(drained: bool) -> CheckContext<'static> {
    CheckContext { layout: &LAYOUT, drained, end_us: 600 * S, staleness_bound_us: 61 * S }
}

/// A store commit of store 0: `qty` changes on_hand to `on_hand` at version `version`.
fn commit(t_s: u64, sku: u32, qty: i64, on_hand: i64, version: u64) -> Record {
    Record { t_us: t_s * S, node: 0, qty: Some(qty), on_hand: Some(on_hand), version: Some(version), ..Record::stock(Kind::Sale, 0, sku) }
}

fn apply(t_s: u64, sku: u32, on_hand: i64, version: u64) -> Record {
    Record { t_us: t_s * S, node: LAYOUT.central(), on_hand: Some(on_hand), version: Some(version), ..Record::stock(Kind::CentralApply, 0, sku) }
}

fn read(t_s: u64, sku: u32, on_hand: i64, fresh: bool) -> Record {
    let detail = if fresh { "fresh" } else { "stale" };
    Record { t_us: t_s * S, node: LAYOUT.central(), on_hand: Some(on_hand), detail: detail.into(), ..Record::stock(Kind::Read, 0, sku) }
}

#[test]
fn no_oversell_flags_a_negative_on_hand() {
    // Goal: a commit below zero is a violation with its line as evidence.
    let good = vec![commit(1, 0, -1, 0, 1)];
    let bad = vec![commit(1, 0, -2, -1, 1)];
    assert!(checkers::no_oversell(&good, context(true)).held);
    let verdict = checkers::no_oversell(&bad, context(true));
    assert!(!verdict.held && verdict.safety);
    assert_eq!(verdict.examples[0].evidence, vec!["1000000,store-0,sale,0,0,-2,-1,1,,".to_string()]);
}

#[test]
fn bounded_staleness_flags_only_old_values_shown_fresh() {
    // Goal: a value that stopped being true 70 s before a fresh read breaks
    // the 61 s bound; the same read hidden, or a current value, does not.
    let base = vec![commit(0, 0, -1, 9, 1)];
    let history = |r: Record| [base.clone(), vec![r]].concat();
    let check = |h: &[Record]| checkers::bounded_staleness(&per_key(h), context(true));
    assert!(!check(&history(read(70, 0, 10, true))).held, "10 stopped being true at t=0");
    assert!(check(&history(read(70, 0, 10, false))).held, "hidden reads are not judged");
    assert!(check(&history(read(70, 0, 9, true))).held, "9 is still true");
    assert!(check(&history(read(50, 0, 10, true))).held, "50 s is within the bound");
    let verdict = check(&history(read(70, 0, 10, true)));
    assert_eq!(verdict.examples[0].evidence.len(), 2, "the commit that ended the value, and the read");
}

#[test]
fn convergence_needs_a_drain_and_equal_final_values() {
    // Goal: central's last value must equal the store's last value, and the run must have drained.
    let converged = vec![commit(1, 0, -1, 9, 1), apply(2, 0, 9, 1)];
    let diverged = vec![commit(1, 0, -1, 9, 1), commit(3, 0, -1, 8, 2), apply(2, 0, 9, 1)];
    let never_applied = vec![commit(1, 0, -1, 9, 1)];
    let back_to_initial = vec![commit(1, 0, -1, 9, 1), commit(2, 0, 1, 10, 2)];
    let check = |h: &[Record], drained| checkers::convergence(&per_key(h), context(drained));
    assert!(check(&converged, true).held);
    assert!(!check(&converged, false).held);
    assert!(!check(&diverged, true).held);
    assert!(!check(&never_applied, true).held);
    assert!(check(&back_to_initial, true).held, "the initial value is on_hand - qty of the first commit");
}

#[test]
fn monotonic_view_flags_a_version_going_back() {
    // Goal: central's versions of one (store, sku) never decrease.
    let ok = vec![apply(1, 0, 9, 1), apply(2, 0, 8, 2), apply(3, 1, 5, 1)];
    let back = vec![apply(1, 0, 8, 2), apply(2, 0, 9, 1)];
    assert!(checkers::monotonic_view(&per_key(&ok), context(true)).held);
    assert!(!checkers::monotonic_view(&per_key(&back), context(true)).held);
}

#[test]
fn no_lost_update_flags_a_commit_central_never_reached_after_a_drain() {
    // Goal: after a drain, every commit has a later apply with at least its version.
    let reached = vec![commit(1, 0, -1, 9, 1), commit(2, 0, -1, 8, 2), apply(3, 0, 8, 2)];
    let lost = vec![commit(1, 0, -1, 9, 1), commit(2, 0, -1, 8, 2), apply(3, 0, 9, 1)];
    let check = |h: &[Record], drained| checkers::no_lost_update(&per_key(h), context(drained));
    assert!(check(&reached, true).held, "version 2 covers version 1");
    assert!(!check(&lost, true).held);
    assert!(check(&lost, false).held, "an undrained run is judged by convergence instead");
}

#[test]
fn idempotence_flags_an_event_applied_twice() {
    // Goal: an event (store, sku, version) is applied at most as often as it was committed.
    let once = vec![commit(1, 0, -1, 9, 1), apply(2, 0, 9, 1)];
    let twice = vec![commit(1, 0, -1, 9, 1), apply(2, 0, 9, 1), apply(3, 0, 8, 1)];
    assert!(checkers::idempotence(&per_key(&once), context(true)).held);
    let verdict = checkers::idempotence(&per_key(&twice), context(true));
    assert!(!verdict.held);
    assert_eq!(verdict.examples[0].evidence.len(), 2);
}

#[test]
fn local_continuity_flags_a_refused_sale() {
    // Goal: a store that is up never refuses a till sale.
    let refused = vec![Record { store: Some(0), ..Record::event(Kind::SaleRefused, "no quorum") }];
    assert!(checkers::local_continuity(&[commit(1, 0, -1, 9, 1)], context(true)).held);
    assert!(!checkers::local_continuity(&refused, context(true)).held);
}

#[test]
fn staleness_times_split_shown_and_hidden_time_by_the_bound() {
    // Goal: store 0 has a commit at 0 s reflected only at 100 s; it is hidden
    // from 80 s to 90 s. With a 61 s bound: shown fresh while stale from 61 to
    // 80 and 90 to 100 (29 s); hidden within the bound: none (61 < 80).
    let stale = Record { t_us: 80 * S, store: Some(0), ..Record::event(Kind::Stale, "") };
    let fresh = Record { t_us: 90 * S, store: Some(0), ..Record::event(Kind::Fresh, "") };
    let history = vec![commit(0, 0, -1, 9, 1), stale, fresh, apply(100, 0, 9, 1)];
    let times = staleness_times(&history, 2, 61 * S, 200 * S);
    assert_eq!(times.shown_fresh_while_stale_s, 29.0);
    assert_eq!(times.hidden_while_within_bound_s, 0.0);
    assert_eq!(times.store_staleness_max_s, 100.0);
}

/// An order row at `t_s`: `kind` of `order` at store `store` for `units` of SKU 0.
fn order_row(t_s: u64, kind: Kind, order: u64, store: u32, units: i64) -> Record {
    let node = if matches!(kind, Kind::Hold | Kind::Release | Kind::Sale) { LAYOUT.store(store) } else { LAYOUT.central() };
    Record { t_us: t_s * S, node, qty: Some(units), order: Some(order), ..Record::stock(kind, store, 0) }
}

fn orders_check(history: &[Record], drained: bool) -> (checkers::Verdict, checkers::Verdict) {
    let keys = per_key(history);
    let book = sim::orders::OrderBook::of(history, &keys);
    let mut oversell = checkers::no_oversell(history, context(drained));
    book.oversold(context(drained), &mut oversell);
    (oversell, book.conservation(context(drained)))
}

#[test]
fn reservation_conservation_wants_one_end_per_reservation_and_no_orphan_hold() {
    // Goal: a reservation served once, with its hold consumed by the pick,
    // holds; ending twice (expired, then served anyway), never ending after
    // quiescence, or a hold the store keeps for an ended reservation breaks it.
    use Kind::*;
    let served = vec![
        order_row(1, ReservationCreated, 1, 0, 2),
        order_row(2, Hold, 1, 0, 2),
        order_row(3, OrderConfirmed, 1, 0, 2),
        order_row(60, Sale, 1, 0, -2),
        order_row(61, OrderFulfilled, 1, 0, 2),
    ];
    assert!(orders_check(&served, true).1.held);
    let twice = [served.clone(), vec![order_row(62, ReservationExpired, 1, 0, 2)]].concat();
    let verdict = orders_check(&twice, true).1;
    assert!(!verdict.held && verdict.examples[0].message.contains("ended 2 times"), "{:?}", verdict.examples);
    let open = served[..3].to_vec();
    assert!(!orders_check(&open, true).1.held, "never ended although the run drained");
    assert!(orders_check(&open, false).1.held, "not judged before quiescence");
    let orphan = vec![order_row(1, ReservationCreated, 2, 1, 1), order_row(61, ReservationExpired, 2, 1, 1), order_row(62, Hold, 2, 1, 1)];
    let verdict = orders_check(&orphan, true).1;
    assert!(!verdict.held && verdict.examples[0].message.contains("holds 1 units"), "{:?}", verdict.examples);
    let released = [orphan, vec![order_row(63, Release, 2, 1, 1)]].concat();
    assert!(orders_check(&released, true).1.held, "the late hold was released");
}

#[test]
fn a_confirmed_order_that_fails_is_oversold_unless_a_restore_lost_its_hold() {
    // Goal: an order confirmed and then failed is an oversell (no_oversell,
    // with its units); the same failure after the store's DB was restored
    // from a backup is data loss, counted apart.
    use Kind::*;
    let failed = vec![order_row(1, ReservationCreated, 1, 0, 2), order_row(3, OrderConfirmed, 1, 0, 2), order_row(90, OrderFailed, 1, 0, 2)];
    let (oversell, conservation) = orders_check(&failed, true);
    assert!(!oversell.held && oversell.examples[0].message.contains("2 units oversold"));
    assert!(conservation.held, "a failure still ends the reservation once");
    let restore = Record { t_us: 50 * S, node: LAYOUT.store(0), store: Some(0), ..Record::event(Restore, "backup 1h old") };
    let after_restore = [failed[..2].to_vec(), vec![restore, failed[2].clone()]].concat();
    assert!(orders_check(&after_restore, true).0.held);
    let keys = per_key(&after_restore);
    let metrics = sim::orders::OrderBook::of(&after_restore, &keys).metrics;
    assert_eq!((metrics.failed, metrics.failed_after_restore, metrics.oversold_units), (1, 1, 2));
}
