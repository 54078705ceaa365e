//! Properties of the sync multimaster baseline's sequencer
//! (`system::certifier::Certifier`): a writeset is certified only once every
//! other member of the primary component has acknowledged it or been evicted,
//! a member still silent at the suspect timeout is evicted (`NotPrimary`),
//! members outside the component have their writes refused until they join
//! again, and a join reports the member's last certified transaction. Then a
//! store and central together around a transaction the store gave up on.

use crate::{config, event, on};
use proptest::collection::vec;
use proptest::prelude::*;
use scenarios::{EventSemantics, Freshness, Idempotency};
use std::collections::{BTreeMap, BTreeSet};
use system::Micros;
use system::central::{Central, CentralConfig};
use system::certifier::Certifier;
use system::history::Kind;
use system::message::{Msg, NodeId, StockEvent};
use system::node::{Clock, Effects, Node, Timer};
use system::rng::stream;
use system::store::{Store, StoreConfig, SyncConfig};
use system::workload::{TillWorkload, WorkloadConfig};

const CENTRAL: NodeId = 0;
const FIRST_MEMBER: NodeId = 10;
const SUSPECT_US: Micros = 5_000_000;

#[derive(Debug, Clone)]
enum Step {
    /// A member (picked by index) asks to certify a new transaction of this many rows.
    Replicate(usize, u32),
    /// A writeset on its way to a member (picked by index) is applied there and acknowledged.
    Ack(usize),
    /// An acknowledgement arrives a second time.
    AckAgain(usize),
    /// A writeset on its way (picked by index) is lost: its member stays silent.
    Lose(usize),
    /// An armed suspect timeout (picked by index) fires.
    Timeout(usize),
    /// A member (picked by index) asks to join the primary component.
    Join(usize),
    /// Central crashes and restarts: the writesets waiting are forgotten, their timers die.
    Crash,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<usize>(), 1u32..4).prop_map(|(m, rows)| Step::Replicate(m, rows)),
        6 => any::<usize>().prop_map(Step::Ack),
        1 => any::<usize>().prop_map(Step::AckAgain),
        2 => any::<usize>().prop_map(Step::Lose),
        2 => any::<usize>().prop_map(Step::Timeout),
        1 => any::<usize>().prop_map(Step::Join),
        1 => Just(Step::Crash),
    ]
}

/// A writeset the certifier is waiting on, as the test saw it.
#[derive(Debug, Clone)]
struct Pending {
    events: Vec<StockEvent>,
    /// The other members in the primary component when it was replicated.
    awaited: BTreeSet<NodeId>,
    acked: BTreeSet<NodeId>,
    /// Members evicted since it was replicated.
    evicted: BTreeSet<NodeId>,
}

impl Pending {
    /// Members it still waits for.
    fn silent(&self) -> BTreeSet<NodeId> {
        self.awaited.iter().copied().filter(|m| !self.acked.contains(m) && !self.evicted.contains(m)).collect()
    }
}

struct Harness {
    certifier: Certifier,
    members: Vec<NodeId>,
    now: Micros,
    next_txn: BTreeMap<NodeId, u64>,
    /// Members evicted and not joined again.
    outside: BTreeSet<NodeId>,
    pending: BTreeMap<(NodeId, u64), Pending>,
    /// Armed suspect timeouts: the timer's key and the writeset it was armed for.
    timers: Vec<(u64, (NodeId, u64))>,
    /// Writesets on their way to members: (member, origin, txn).
    writesets: Vec<(NodeId, NodeId, u64)>,
    /// Acknowledgements delivered: (member, origin, txn).
    acks: Vec<(NodeId, NodeId, u64)>,
    certified_through: BTreeMap<NodeId, u64>,
}

/// The sends and the result (events for central to apply) to expect of one input.
type Expected = (Vec<(NodeId, Msg)>, Option<Vec<StockEvent>>);

/// Sorts sends so that two effects can be compared whatever their order.
fn sorted(sends: Vec<(NodeId, Msg)>) -> Vec<(NodeId, String)> {
    let mut sends: Vec<(NodeId, String)> = sends.into_iter().map(|(to, msg)| (to, format!("{msg:?}"))).collect();
    sends.sort();
    sends
}

impl Harness {
    fn run(&mut self, input: impl FnOnce(&mut Certifier, &mut system::node::Ctx) -> Option<Vec<StockEvent>>) -> (Effects, Option<Vec<StockEvent>>) {
        let mut out = None;
        let fx = on(&mut self.certifier, self.now, CENTRAL, |c, ctx| out = input(c, ctx));
        (fx, out)
    }

    /// Writeset `(origin, txn)` waits for no one now: it is certified (returned
    /// for central to apply, `Certified` to its origin) unless its origin is
    /// outside the component, which is told `NotPrimary` instead. Returns the
    /// sends and result to expect.
    fn settle(&mut self, origin: NodeId, txn: u64) -> Result<Expected, TestCaseError> {
        let pending = self.pending.remove(&(origin, txn)).expect("pending");
        prop_assert!(pending.silent().is_empty(), "settled while waiting for {:?}", pending.silent());
        if self.outside.contains(&origin) {
            return Ok((vec![(origin, Msg::NotPrimary)], None));
        }
        // Every other member in the component when it was replicated acknowledged it, or was evicted.
        for m in &pending.awaited {
            prop_assert!(pending.acked.contains(m) || pending.evicted.contains(m), "{origin}/{txn} certified without {m}");
        }
        self.certified_through.insert(origin, txn);
        Ok((vec![(origin, Msg::Certified { txn })], Some(pending.events)))
    }

    fn replicate(&mut self, pick: usize, rows: u32) -> Result<(), TestCaseError> {
        let origin = self.members[pick % self.members.len()];
        let txn = *self.next_txn.entry(origin).and_modify(|t| *t += 1).or_insert(0);
        let events: Vec<StockEvent> = (0..rows).map(|sku| event(origin, sku, txn + 1)).collect();
        let sent = events.clone();
        let (fx, out) = self.run(|c, ctx| c.replicate(ctx, origin, txn, sent));
        if self.outside.contains(&origin) {
            prop_assert_eq!(fx.sends, vec![(origin, Msg::NotPrimary)], "a member outside the component has its write refused");
            prop_assert!(out.is_none() && fx.timers.is_empty());
            return Ok(());
        }
        let awaited: BTreeSet<NodeId> = self.members.iter().copied().filter(|&m| m != origin && !self.outside.contains(&m)).collect();
        let mut expected: Vec<(NodeId, Msg)> = awaited.iter().map(|&m| (m, Msg::Writeset { origin, txn, rows })).collect();
        self.pending.insert((origin, txn), Pending { events, awaited: awaited.clone(), acked: BTreeSet::new(), evicted: BTreeSet::new() });
        if awaited.is_empty() {
            let (sends, result) = self.settle(origin, txn)?;
            expected.extend(sends);
            prop_assert!(fx.timers.is_empty());
            prop_assert_eq!(out, result, "alone in the component, a writeset is certified at once");
        } else {
            prop_assert!(out.is_none(), "certified before anyone acknowledged");
            let [(at, Clock::Node, Timer::CertifyTimeout { txn: key })] = fx.timers[..] else {
                return Err(TestCaseError::fail(format!("replicate set {:?}", fx.timers)));
            };
            prop_assert_eq!(at, self.now + SUSPECT_US);
            prop_assert!(self.timers.iter().all(|(k, _)| *k != key), "two writesets share the timer key {key:#x}");
            self.timers.push((key, (origin, txn)));
            self.writesets.extend(awaited.iter().map(|&m| (m, origin, txn)));
        }
        prop_assert_eq!(sorted(fx.sends), sorted(expected));
        Ok(())
    }

    fn ack(&mut self, member: NodeId, origin: NodeId, txn: u64) -> Result<(), TestCaseError> {
        let (fx, out) = self.run(|c, ctx| c.acknowledged(ctx, member, origin, txn));
        let mut expected: Expected = (Vec::new(), None);
        if let Some(pending) = self.pending.get_mut(&(origin, txn)) {
            pending.acked.insert(member);
            if pending.silent().is_empty() {
                expected = self.settle(origin, txn)?;
            }
        }
        prop_assert!(fx.timers.is_empty());
        prop_assert_eq!(sorted(fx.sends), sorted(expected.0));
        prop_assert_eq!(out, expected.1);
        self.acks.push((member, origin, txn));
        Ok(())
    }

    fn timeout(&mut self, pick: usize) -> Result<(), TestCaseError> {
        if self.timers.is_empty() {
            return Ok(());
        }
        let (key, (origin, txn)) = self.timers.remove(pick % self.timers.len());
        self.now += 1;
        let (fx, out) = self.run(|c, ctx| c.timed_out(ctx, key));
        let mut expected: Expected = (Vec::new(), None);
        if let Some(pending) = self.pending.get(&(origin, txn)) {
            // Every member still silent is evicted; then the writeset waits for no one.
            let silent = pending.silent();
            for &m in &silent {
                expected.0.push((m, Msg::NotPrimary));
                self.outside.insert(m);
                for p in self.pending.values_mut() {
                    p.evicted.insert(m);
                }
            }
            let (sends, result) = self.settle(origin, txn)?;
            expected.0.extend(sends);
            expected.1 = result;
        }
        prop_assert!(fx.timers.is_empty());
        prop_assert_eq!(sorted(fx.sends), sorted(expected.0), "the suspect timeout of {}/{}", origin, txn);
        prop_assert_eq!(out, expected.1);
        Ok(())
    }

    fn join(&mut self, pick: usize) -> Result<(), TestCaseError> {
        let member = self.members[pick % self.members.len()];
        let fx = on(&mut self.certifier, self.now, CENTRAL, |c, ctx| c.join(ctx, member, None));
        prop_assert_eq!(fx.sends, vec![(member, Msg::Joined { certified_through: self.certified_through.get(&member).copied() })]);
        self.outside.remove(&member);
        Ok(())
    }

    fn step(&mut self, step: &Step) -> Result<(), TestCaseError> {
        self.now += 100_000;
        match *step {
            Step::Replicate(pick, rows) => self.replicate(pick, rows)?,
            Step::Ack(pick) => {
                if !self.writesets.is_empty() {
                    let (member, origin, txn) = self.writesets.remove(pick % self.writesets.len());
                    self.ack(member, origin, txn)?;
                }
            }
            Step::AckAgain(pick) => {
                if !self.acks.is_empty() {
                    let (member, origin, txn) = self.acks[pick % self.acks.len()];
                    self.ack(member, origin, txn)?;
                }
            }
            Step::Lose(pick) => {
                if !self.writesets.is_empty() {
                    self.writesets.remove(pick % self.writesets.len());
                }
            }
            Step::Timeout(pick) => self.timeout(pick)?,
            Step::Join(pick) => self.join(pick)?,
            Step::Crash => {
                self.certifier.clear();
                self.pending.clear();
                self.timers.clear();
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(0xCE47))]

    #[test]
    fn certifier_waits_for_every_member_and_evicts_the_silent(
        members in 1u32..5,
        steps in vec(step(), 1..150),
    ) {
        // Goal: the Galera-like certification rule. A replicated writeset goes
        // to every other member of the primary component and is certified
        // (`Certified` to its origin, its events handed to central) only once
        // each of them acknowledged it or was evicted; alone in the component
        // it is certified at once. When its suspect timeout fires, every member
        // still silent gets `NotPrimary` and leaves the component (no longer
        // awaited by any writeset), and the writeset is certified without it;
        // a member that acknowledged is never evicted. A writeset whose origin
        // was evicted meanwhile is refused (`NotPrimary`), not certified; a
        // member outside has its writes refused until it joins, and a join
        // answers with the member's last certified transaction. Duplicate and
        // late acknowledgements certify nothing twice. Method: 1-4 members
        // replicating, acknowledging (sometimes twice), losing writesets,
        // timeouts in any order, joins and central crashes (waiting writesets
        // forgotten), against a model of who was awaited, who answered and who
        // was evicted; then acknowledge every writeset still on its way and fire
        // every timeout: nothing is left waiting.
        let ids: Vec<NodeId> = (0..members).map(|i| FIRST_MEMBER + i).collect();
        let mut h = Harness {
            certifier: Certifier::new(ids.clone(), SUSPECT_US),
            members: ids,
            now: 0,
            next_txn: BTreeMap::new(),
            outside: BTreeSet::new(),
            pending: BTreeMap::new(),
            timers: Vec::new(),
            writesets: Vec::new(),
            acks: Vec::new(),
            certified_through: BTreeMap::new(),
        };
        for s in &steps {
            h.step(s)?;
        }
        while !h.writesets.is_empty() {
            h.step(&Step::Ack(0))?;
        }
        while !h.timers.is_empty() {
            h.step(&Step::Timeout(0))?;
        }
        prop_assert!(h.pending.is_empty(), "still waiting: {:?}", h.pending.keys().collect::<Vec<_>>());
    }
}

#[test]
fn certifier_evicts_exactly_the_silent_member() {
    // Goal: a concrete case of the rule. Method: three members; member A's
    // writeset is acknowledged by B but not C; the suspect timeout evicts C
    // alone and certifies A's writeset; C's own next write is refused until it
    // joins again, and then goes to A and B.
    let (a, b, c) = (FIRST_MEMBER, FIRST_MEMBER + 1, FIRST_MEMBER + 2);
    let mut certifier = Certifier::new(vec![a, b, c], SUSPECT_US);
    let events = vec![event(0, 1, 1)];
    let mut out = None;
    let fx = on(&mut certifier, 0, CENTRAL, |n, ctx| out = n.replicate(ctx, a, 7, events.clone()));
    assert_eq!(out, None);
    assert_eq!(fx.sends, vec![(b, Msg::Writeset { origin: a, txn: 7, rows: 1 }), (c, Msg::Writeset { origin: a, txn: 7, rows: 1 })]);
    let [(_, _, Timer::CertifyTimeout { txn: key })] = fx.timers[..] else { panic!("{:?}", fx.timers) };
    let fx = on(&mut certifier, 1, CENTRAL, |n, ctx| out = n.acknowledged(ctx, b, a, 7));
    assert!(fx.sends.is_empty() && out.is_none(), "C has not acknowledged yet");
    let fx = on(&mut certifier, SUSPECT_US, CENTRAL, |n, ctx| out = n.timed_out(ctx, key));
    assert_eq!(fx.sends, vec![(c, Msg::NotPrimary), (a, Msg::Certified { txn: 7 })]);
    assert_eq!(out, Some(events.clone()));
    let fx = on(&mut certifier, SUSPECT_US + 1, CENTRAL, |n, ctx| out = n.replicate(ctx, c, 0, events.clone()));
    assert_eq!((fx.sends, out.take()), (vec![(c, Msg::NotPrimary)], None));
    let fx = on(&mut certifier, SUSPECT_US + 2, CENTRAL, |n, ctx| n.join(ctx, c, None));
    assert_eq!(fx.sends, vec![(c, Msg::Joined { certified_through: None })]);
    let fx = on(&mut certifier, SUSPECT_US + 3, CENTRAL, |n, ctx| out = n.replicate(ctx, c, 0, events.clone()));
    assert_eq!(fx.sends, vec![(a, Msg::Writeset { origin: c, txn: 0, rows: 1 }), (b, Msg::Writeset { origin: c, txn: 0, rows: 1 })]);
}

#[test]
fn a_transaction_its_store_gave_up_on_is_withdrawn_when_it_rejoins() {
    // Goal: in the sync baseline, central's view never holds a change its
    // store did not commit. A store that gives up on a transaction (its
    // `CertifyTimeout`) keeps it in doubt and settles it by the
    // `certified_through` of its `Joined`: committed if certified, else
    // dropped. Method: two stores (ids 0 and 1) and central (id 2) built
    // directly, messages delivered by hand. Store 0 sends `Replicate` for a
    // till sale, but the link to central holds it (a partition shorter than
    // the 30 s connection timeout, or a stalled central) for longer than 3
    // suspect timeouts: store 0 gives up (sale refused), then sends
    // `JoinPrimary` on the same link. When the link delivers both, in order,
    // central starts certifying the writeset and answers the join with
    // `certified_through: None` (nothing certified yet), so store 0 drops the
    // transaction; store 1 then acknowledges the writeset, central certifies
    // it and applies it to its view, and the late `Certified` finds nothing in
    // doubt at store 0. That showed a sale store 0 never made (and its next
    // change of that SKU reused the version, so the divergence was permanent).
    // Fixed: the join names the abandoned transaction and central withdraws it.
    const S0: NodeId = 0;
    const S1: NodeId = 1;
    const C: NodeId = 2;
    const SKUS: u32 = 4;
    let workload = WorkloadConfig {
        skus: SKUS,
        lines_per_transaction: 1,
        zipf_exponent: 1.0,
        till_transactions_per_hour: 3_600.0,
        random_restocks_per_hour: 0.0,
        restock_quantity: (1, 1),
        delivery_first_at_us: Micros::MAX / 2,
        delivery_duration_us: 1,
        reorder_point: 0,
        order_up_to: 0,
        end_us: Micros::MAX / 2,
    };
    let sync = SyncConfig { certifier: C, suspect_timeout_us: SUSPECT_US };
    let store = |index: u32| {
        Store::new(
            StoreConfig {
                index,
                epoch_in_version: true,
                heartbeat_interval_us: None,
                reconciliation_interval_us: None,
                dual_write: None,
                reconnect_backoff_us: 1_000_000,
                sync: Some(sync),
                holds_block_tills: true,
                pick_delay_us: 0,
                order_answers_to: None,
            },
            vec![10; SKUS as usize],
            TillWorkload::new(&workload, stream(1, &format!("till/store-{index}"))),
        )
    };
    let (mut s0, mut s1) = (store(0), store(1));
    let mut central = Central::new(
        CentralConfig {
            stores: 2,
            skus_per_store: SKUS,
            store_nodes: vec![S0, S1],
            event_semantics: EventSemantics::AbsoluteVersioned,
            idempotency: Idempotency::Version,
            freshness: Freshness::None,
            stale_after_us: 60_000_000,
            health_check_interval_us: 5_000_000,
            batch_interval_us: None,
            certify_timeout_us: Some(SUSPECT_US),
            orders: system::orders::OrderDeskConfig::new(Vec::new(), 1, &scenarios::Design::default(), &scenarios::Online::default()),
        },
        &[vec![10; SKUS as usize], vec![10; SKUS as usize]],
    );
    // Store 0 asks to certify a sale; the link to central holds the request.
    let fx = on(&mut s0, 0, S0, |n, c| n.timer(c, Timer::TillArrival));
    let [(C, replicate @ Msg::Replicate { txn: 0, .. })] = &fx.sends[..] else { panic!("{:?}", fx.sends) };
    let replicate = replicate.clone();
    // It gives up after twice the suspect timeout, and asks to join a suspect timeout later.
    let fx = on(&mut s0, 2 * SUSPECT_US, S0, |n, c| n.timer(c, Timer::CertifyTimeout { txn: 0 }));
    assert!(fx.records.iter().any(|r| r.kind == Kind::SaleRefused), "the sale is refused: {:?}", fx.records);
    let fx = on(&mut s0, 3 * SUSPECT_US, S0, |n, c| n.timer(c, Timer::JoinPrimary));
    assert_eq!(fx.sends, vec![(C, Msg::JoinPrimary { abandoned: Some(0) })]);
    // The link delivers both, in order.
    let t = 3 * SUSPECT_US + 1;
    let fx = on(&mut central, t, C, |n, c| n.message(c, S0, replicate));
    let [(S1, writeset @ Msg::Writeset { .. })] = &fx.sends[..] else { panic!("{:?}", fx.sends) };
    let writeset = writeset.clone();
    let fx = on(&mut central, t, C, |n, c| n.message(c, S0, Msg::JoinPrimary { abandoned: Some(0) }));
    assert_eq!(fx.sends, vec![(S0, Msg::Joined { certified_through: None })]);
    let fx = on(&mut s0, t + 1, S0, |n, c| n.message(c, C, Msg::Joined { certified_through: None }));
    assert!(fx.records.is_empty(), "nothing certified: the store drops the transaction");
    // Store 1 acknowledges; central certifies and applies the writeset.
    let fx = on(&mut s1, t + 1, S1, |n, c| n.message(c, C, writeset));
    let [(C, ack @ Msg::WritesetAck { .. })] = &fx.sends[..] else { panic!("{:?}", fx.sends) };
    let ack = ack.clone();
    let fx = on(&mut central, t + 2, C, |n, c| n.message(c, S1, ack));
    let applied: Vec<u32> = fx.records.iter().filter(|r| r.kind == Kind::CentralApply).filter_map(|r| r.sku).collect();
    assert!(!fx.sends.contains(&(S0, Msg::Certified { txn: 0 })), "the withdrawn writeset is not certified: {:?}", fx.sends);
    let committed: Vec<u32> = Vec::new();
    for sku in 0..SKUS {
        let (at_store, at_central) = (s0.db().stock[sku as usize].on_hand, central.row(0, sku).expect("in range").on_hand);
        assert_eq!(at_central, at_store, "sku {sku}: central applied {applied:?}, the store committed {committed:?}");
    }
}
