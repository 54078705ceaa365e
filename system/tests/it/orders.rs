//! Online orders at both ends: a store's holds stay exact under repeated,
//! reordered and confirming commands while its tills sell (hard holds keep
//! held units from the tills), the picker takes only confirmed holds, and
//! central's order desk confirms once, releases a late accept, moves an
//! order on when a reservation expires, and reports a store that served a
//! reservation it had ended.

use crate::{config, on};
use proptest::collection::vec;
use proptest::prelude::*;
use scenarios::{Freshness, HoldMode, Scenario};
use std::collections::{BTreeMap, BTreeSet};
use system::central::Central;
use system::history::Kind;
use system::message::{Msg, NodeId, OrderOutcome, OrderReply, Payload};
use system::node::{Node, Timer};
use system::store::{HoldState, Store};
use system::world::{AnyNode, World};
use system::{Micros, US_PER_S};

const SKUS: u32 = 4;

/// A chain of `stores` stores, short of stock and busy at the tills, with orders' knobs as given.
fn chain(stores: u32, hold: HoldMode) -> Scenario {
    let mut s = Scenario::default();
    s.chain.stores = stores;
    s.chain.skus_per_store = SKUS;
    s.chain.initial_on_hand_min = 0;
    s.chain.initial_on_hand_max = 6;
    s.chain.till_transactions_per_store_per_hour = 600.0;
    s.chain.random_restocks_per_store_per_hour = 60.0;
    s.chain.restock_quantity_min = 1;
    s.chain.restock_quantity_max = 4;
    s.design.hold = hold;
    s.design.freshness = Freshness::None;
    s.online.pick_delay_s = 60;
    s
}

fn node_of<T>(world: World, id: NodeId, pick: impl Fn(AnyNode) -> Option<T>) -> T {
    pick(world.nodes.into_iter().nth(id as usize).expect("in the layout")).expect("the role the layout says")
}

/// What central does to the store, between till arrivals.
#[derive(Debug, Clone, Copy)]
enum Command {
    Reserve { order: u64, sku: u32, units: i64, confirmed: bool },
    Release { order: u64, sku: u32 },
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        3 => (0u64..12, 0..SKUS, 1i64..4, any::<bool>()).prop_map(|(order, sku, units, confirmed)| Command::Reserve { order, sku, units, confirmed }),
        1 => (0u64..12, 0..SKUS).prop_map(|(order, sku)| Command::Release { order, sku }),
    ]
}

proptest! {
    #![proptest_config(config(0x0D3E))]

    #[test]
    fn store_holds_stay_exact_under_repeated_commands(
        hard in any::<bool>(),
        commands in vec((1u64..120, command()), 1..60),
    ) {
        // Goal: whatever central sends, and however often, the store's held
        // units per SKU are exactly those of its orders in the held state; hard
        // holds keep the tills off them (on_hand never below held); each order
        // is held at most once; a pick only takes a confirmed hold; an order's
        // answers never go back (accepted may become fulfilled, failed or
        // released, nothing else changes).
        // Method: a one-store chain on its own till timers; commands arrive
        // between them (repeats, confirmations, releases before or after the
        // hold), and the pick timers the store sets fire in time order.
        let hold = if hard { HoldMode::Hard } else { HoldMode::SoftUntilPick };
        let world = World::new(&chain(1, hold), 11);
        let mut store: Store = node_of(world, 0, |n| if let AnyNode::Store(s) = n { Some(s) } else { None });
        let mut timers: Vec<(Micros, Timer)> = Vec::new();
        let mut now: Micros = 0;
        let mut holds_recorded: BTreeSet<u64> = BTreeSet::new();
        let mut confirmed_sent: BTreeSet<u64> = BTreeSet::new();
        let mut answers: BTreeMap<u64, OrderOutcome> = BTreeMap::new();
        let mut outbox_seen = 0usize;
        let fx = on(&mut store, 0, 0, |s, ctx| s.start(ctx));
        timers.extend(fx.timers.iter().map(|&(at, _, t)| (at, t)));
        for (gap_s, command) in commands {
            let until = now + gap_s * US_PER_S;
            // Timers due before the command, in time order.
            loop {
                timers.sort_by_key(|&(at, _)| std::cmp::Reverse(at));
                let Some(&(at, timer)) = timers.last().filter(|(at, _)| *at <= until) else { break };
                timers.pop();
                now = at;
                let fx = on(&mut store, now, 0, |s, ctx| s.timer(ctx, timer));
                timers.extend(fx.timers.iter().map(|&(at, _, t)| (at, t)));
                for r in &fx.records {
                    if let (Kind::Sale, Some(order)) = (r.kind, r.order) {
                        prop_assert!(confirmed_sent.contains(&order), "order {} picked before it was confirmed", order);
                    }
                }
            }
            now = until;
            let msg = match command {
                Command::Reserve { order, sku, units, confirmed } => {
                    if confirmed {
                        confirmed_sent.insert(order);
                    }
                    Msg::Reserve { order, sku, units, confirmed }
                }
                Command::Release { order, sku } => Msg::ReleaseHold { order, sku },
            };
            let fx = on(&mut store, now, 0, |s, ctx| s.message(ctx, 1, msg));
            timers.extend(fx.timers.iter().map(|&(at, _, t)| (at, t)));
            for r in fx.records.iter().filter(|r| r.kind == Kind::Hold) {
                prop_assert!(holds_recorded.insert(r.order.unwrap_or(0)), "order held twice");
            }
            // Every answer in the outbox so far: an order's answers never go back.
            let db = store.db();
            for payload in db.outbox.range(outbox_seen, db.outbox.len()) {
                if let Payload::Order(reply) = payload {
                    let before = answers.insert(reply.order, reply.outcome);
                    let allowed = match (before, reply.outcome) {
                        (None, _) => true,
                        (Some(OrderOutcome::Accepted { .. }), _) => true,
                        (Some(a), b) => std::mem::discriminant(&a) == std::mem::discriminant(&b),
                    };
                    prop_assert!(allowed, "order {} answered {:?} after {:?}", reply.order, reply.outcome, before);
                }
            }
            outbox_seen = db.outbox.len();
            for (sku, row) in db.stock.iter().enumerate() {
                let held: i64 = db.orders.values().filter(|o| o.state == HoldState::Held && o.sku as usize == sku).map(|o| o.units).sum();
                prop_assert_eq!(row.held, held, "sku {}", sku);
                prop_assert!(row.on_hand >= 0);
                if hard {
                    prop_assert!(row.on_hand >= row.held, "hard holds: the tills sold held units of sku {}", sku);
                }
            }
        }
    }
}

/// A two-store chain's central and the node ids of its stores.
fn central_of(scenario: &Scenario) -> (Central, NodeId, [NodeId; 2]) {
    let world = World::new(scenario, 3);
    let (id, stores) = (world.layout.central(), [world.layout.store(0), world.layout.store(1)]);
    (node_of(world, id, |n| if let AnyNode::Central(c) = n { Some(c) } else { None }), id, stores)
}

fn reply(c: &mut Central, me: NodeId, now: Micros, store: u32, order: u64, outcome: OrderOutcome) -> system::node::Effects {
    let events = vec![Payload::Order(OrderReply { store, sku: 0, order, outcome })];
    on(c, now, me, |c, ctx| c.message(ctx, 99, Msg::Apply { request_id: now, events }))
}

fn kinds(fx: &system::node::Effects) -> Vec<(Kind, Option<u32>)> {
    fx.records.iter().map(|r| (r.kind, r.store)).collect()
}

#[test]
fn central_confirms_once_and_ends_a_served_reservation_once() {
    // Goal: an accept confirms the order once and lets the store pick; repeated
    // accepts and fulfilments (at-least-once delivery) record nothing more.
    let mut scenario = chain(2, HoldMode::Hard);
    scenario.chain.initial_on_hand_min = 5;
    let (mut c, me, stores) = central_of(&scenario);
    let fx = on(&mut c, 0, me, |c, ctx| c.message(ctx, 98, Msg::PlaceOrder { order: 1, store: 0, sku: 0, units: 1 }));
    let store = fx.records.iter().find(|r| r.kind == Kind::ReservationCreated).and_then(|r| r.store).expect("reserved at a store");
    assert!(fx.sends.contains(&(stores[store as usize], Msg::Reserve { order: 1, sku: 0, units: 1, confirmed: false })));
    let fx = reply(&mut c, me, 10, store, 1, OrderOutcome::Accepted { on_hand: 5 });
    assert_eq!(kinds(&fx), vec![(Kind::OrderConfirmed, Some(store))]);
    assert!(fx.sends.contains(&(stores[store as usize], Msg::Reserve { order: 1, sku: 0, units: 1, confirmed: true })), "the store may pick");
    assert!(kinds(&reply(&mut c, me, 20, store, 1, OrderOutcome::Accepted { on_hand: 5 })).is_empty(), "a repeated accept");
    assert_eq!(kinds(&reply(&mut c, me, 30, store, 1, OrderOutcome::Fulfilled)), vec![(Kind::OrderFulfilled, Some(store))]);
    assert!(kinds(&reply(&mut c, me, 40, store, 1, OrderOutcome::Fulfilled)).is_empty(), "a repeated fulfilment");
    assert_eq!(c.open_reservations(), 0);
}

#[test]
fn central_moves_an_expired_order_on_releases_the_late_accept_and_reports_a_double_serve() {
    // Goal: a reservation not accepted within the TTL ends and the order moves
    // to the next store; the first store's accept, when it comes, gets a
    // release; if that store serves the order anyway, central records a
    // second end (double allocation) for the checker.
    let mut scenario = chain(2, HoldMode::Hard);
    scenario.chain.initial_on_hand_min = 5; // both stores can promise
    scenario.chain.initial_on_hand_max = 6;
    scenario.design.reservation_ttl_s = 60;
    let (mut c, me, stores) = central_of(&scenario);
    let fx = on(&mut c, 0, me, |c, ctx| c.message(ctx, 98, Msg::PlaceOrder { order: 7, store: 0, sku: 0, units: 1 }));
    assert_eq!(kinds(&fx), vec![(Kind::OrderPlaced, Some(0)), (Kind::ReservationCreated, Some(0))]);
    let ttl = 60 * US_PER_S;
    let fx = on(&mut c, ttl, me, |c, ctx| c.timer(ctx, Timer::ReservationExpiry { order: 7, store: 0 }));
    assert_eq!(kinds(&fx), vec![(Kind::ReservationExpired, Some(0)), (Kind::ReservationCreated, Some(1))]);
    assert!(fx.sends.contains(&(stores[1], Msg::Reserve { order: 7, sku: 0, units: 1, confirmed: false })));
    let fx = reply(&mut c, me, ttl + 1, 0, 7, OrderOutcome::Accepted { on_hand: 5 });
    assert!(kinds(&fx).is_empty(), "a late accept confirms nothing");
    assert_eq!(fx.sends[0], (stores[0], Msg::ReleaseHold { order: 7, sku: 0 }), "then the apply is acknowledged");
    let fx = reply(&mut c, me, ttl + 2, 0, 7, OrderOutcome::Fulfilled);
    assert_eq!(kinds(&fx), vec![(Kind::OrderFulfilled, Some(0))], "a second end of the expired reservation");
    assert!(fx.records[0].detail.contains("after the reservation ended"));
}
