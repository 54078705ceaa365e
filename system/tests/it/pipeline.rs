//! Properties of the consuming side as a whole: a real broker, real consumer
//! group members and a real central, wired by FIFO links that deliver in a
//! random interleaving, with timers, session expiry, crash-restarts and
//! connection resets told to nodes as `Input::Disconnected` the way the `des`
//! engine tells them. The group commits only offsets whose records central
//! has applied, and once the faults stop everything produced reaches central.

use crate::{config, crash, event, on, stock};
use proptest::collection::vec;
use proptest::prelude::*;
use scenarios::{EventSemantics, Freshness, Idempotency};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use system::broker::{Broker, BrokerConfig};
use system::central::{Central, CentralConfig};
use system::consumer::{CommitPolicy, Consumer, ConsumerConfig, Sink};
use system::message::{BrokerRecord, Key, Msg, NodeId, Payload};
use system::node::{Clock, Effects, Input, Node, Timer};
use system::world::AnyNode;
use system::{Micros, US_PER_S};

pub(crate) const BROKER: NodeId = 0;
pub(crate) const CENTRAL: NodeId = 1;
/// A stand-in for the relays: it produces and ignores the acks.
const PRODUCER: NodeId = 2;
pub(crate) const FIRST_CONSUMER: NodeId = 3;
const STORES: u32 = 4;
const SKUS: u32 = 2;
const RECONNECT_BACKOFF_US: Micros = 1_000_000;

#[derive(Debug, Clone)]
enum Step {
    /// The producer sends one request with these (store, sku) records.
    Produce(Vec<(u32, u32)>),
    /// The head message of one non-empty link (picked by index) is delivered.
    Deliver(usize),
    /// One non-empty link (picked by index) stalls while every other link is
    /// delivered until empty (at most 100 messages): a slow connection.
    Race(usize),
    /// The earliest timer fires (time jumps to it).
    Timer,
    /// A consumer (picked by index) crashes and restarts at once; if `true`,
    /// the messages queued for it are lost (the engine drops the work of an
    /// older incarnation), else they reach the new incarnation.
    CrashConsumer(usize, bool),
    /// The broker crashes and restarts at once (its logs and committed
    /// offsets survive); if `true`, the messages queued for it are lost.
    CrashBroker(bool),
    /// Central crashes and restarts at once (its view survives); if `true`,
    /// the messages queued for it are lost.
    CrashCentral(bool),
    /// The connection of one non-empty link (picked by index) resets, as after
    /// a partition that outlasted the connection timeout: what it holds is
    /// lost and both ends are told `Disconnected`.
    Reset(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => vec((0..STORES, 0..SKUS), 1..5).prop_map(Step::Produce),
        12 => any::<usize>().prop_map(Step::Deliver),
        2 => any::<usize>().prop_map(Step::Race),
        3 => Just(Step::Timer),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(pick, lose)| Step::CrashConsumer(pick, lose)),
        1 => any::<bool>().prop_map(Step::CrashBroker),
        1 => any::<bool>().prop_map(Step::CrashCentral),
        1 => any::<usize>().prop_map(Step::Reset),
    ]
}

pub(crate) struct Net {
    nodes: Vec<Option<AnyNode>>,
    incarnation: Vec<u32>,
    pub(crate) links: BTreeMap<(NodeId, NodeId), VecDeque<Msg>>,
    /// (at, sequence, node, incarnation that set it, timer)
    timers: Vec<(Micros, u64, NodeId, u32, Timer)>,
    seq: u64,
    pub(crate) now: Micros,
    consumers: u32,
    partitions: u32,
    next_request_id: u64,
    /// The latest version produced per (store, sku).
    versions: BTreeMap<(u32, u32), u64>,
    /// Where each produced event landed: (store, sku, version) -> (partition, offset).
    offset_of: BTreeMap<(u32, u32, u64), (u32, u64)>,
    /// (partition, offset) of every record central has applied (or skipped as already applied).
    applied: BTreeSet<(u32, u64)>,
    /// The group's committed offsets as the broker accepted them.
    committed: Vec<u64>,
}

impl Net {
    /// A started broker, central (version design) and `consumers` group members
    /// committing after each apply.
    pub(crate) fn new(partitions: u32, consumers: u32, fetch_max_records: u32) -> Result<Net, TestCaseError> {
        Net::with_commit(partitions, consumers, fetch_max_records, CommitPolicy::AfterSink)
    }

    /// As [`Net::new`], with the members' commit policy.
    pub(crate) fn with_commit(partitions: u32, consumers: u32, fetch_max_records: u32, commit: CommitPolicy) -> Result<Net, TestCaseError> {
        let broker = Broker::new(BrokerConfig {
            partitions,
            fetch_max_wait_us: 500_000,
            session_timeout_us: 10_000_000,
            session_check_interval_us: 3_000_000,
            acks_leader: false,
            replication_lag_us: 0,
        });
        let central = Central::new(
            CentralConfig {
                stores: STORES,
                skus_per_store: SKUS,
                event_semantics: EventSemantics::AbsoluteVersioned,
                idempotency: Idempotency::Version,
                store_nodes: Vec::new(),
                freshness: Freshness::None,
                stale_after_us: 60_000_000,
                health_check_interval_us: 5_000_000,
                batch_interval_us: None,
                certify_timeout_us: None,
                orders: system::orders::OrderDeskConfig::new(Vec::new(), 1, &scenarios::Design::default(), &scenarios::Online::default()),
            },
            &vec![vec![0; SKUS as usize]; STORES as usize],
        );
        let mut nodes = vec![Some(AnyNode::Broker(broker)), Some(AnyNode::Central(central)), None];
        for _ in 0..consumers {
            nodes.push(Some(AnyNode::Consumer(Consumer::new(ConsumerConfig {
                broker: BROKER,
                sink: Sink::Central(CENTRAL),
                fetch_max_records,
                heartbeat_interval_us: 3_000_000,
                commit,
                reconnect_backoff_us: RECONNECT_BACKOFF_US,
                idle: false,
            }))));
        }
        let count = nodes.len();
        let mut net = Net {
            nodes,
            incarnation: vec![0; count],
            links: BTreeMap::new(),
            timers: Vec::new(),
            seq: 0,
            now: 0,
            consumers,
            partitions,
            next_request_id: 0,
            versions: BTreeMap::new(),
            offset_of: BTreeMap::new(),
            applied: BTreeSet::new(),
            committed: vec![0; partitions as usize],
        };
        for id in [BROKER, CENTRAL].into_iter().chain((0..consumers).map(|i| FIRST_CONSUMER + i)) {
            net.start(id)?;
        }
        Ok(net)
    }

    /// No more faults: delivers every message (round robin over the links) and
    /// fires timers in time order when the links are empty, until drained or
    /// `max_rounds` steps have passed; returns whether it drained.
    pub(crate) fn settle(&mut self, max_rounds: usize) -> Result<bool, TestCaseError> {
        for round in 0..max_rounds {
            if self.drained() {
                return Ok(true);
            }
            if !self.deliver_from_link(round)? && !self.fire_earliest_timer()? {
                return Ok(false);
            }
        }
        Ok(self.drained())
    }

    /// Lets `us` of simulated time pass with no new input: delivers every
    /// message and fires every timer due by then.
    pub(crate) fn idle(&mut self, us: Micros) -> Result<(), TestCaseError> {
        let until = self.now + us;
        loop {
            if self.deliver_from_link(0)? {
                continue;
            }
            match self.timers.iter().map(|t| t.0).min() {
                Some(at) if at <= until => {
                    self.fire_earliest_timer()?;
                }
                _ => break,
            }
        }
        self.now = until;
        Ok(())
    }

    pub(crate) fn broker(&self) -> &Broker {
        match &self.nodes[BROKER as usize] {
            Some(AnyNode::Broker(b)) => b,
            _ => unreachable!(),
        }
    }

    fn central(&self) -> &Central {
        match &self.nodes[CENTRAL as usize] {
            Some(AnyNode::Central(c)) => c,
            _ => unreachable!(),
        }
    }

    pub(crate) fn consumer(&self, id: NodeId) -> &Consumer {
        match &self.nodes[id as usize] {
            Some(AnyNode::Consumer(c)) => c,
            _ => unreachable!(),
        }
    }

    /// Whether every offset of `partition` below `upto` has been applied by central.
    fn covered(&self, partition: u32, upto: u64) -> bool {
        (0..upto).all(|o| self.applied.contains(&(partition, o)))
    }

    fn run(&mut self, id: NodeId, input: impl FnOnce(&mut AnyNode, &mut system::node::Ctx)) -> Effects {
        let node = self.nodes[id as usize].as_mut().expect("a real node");
        on(node, self.now, id, input)
    }

    /// Puts a node's effects on the links and the timer list, checking what consumers commit.
    fn absorb(&mut self, id: NodeId, fx: Effects) -> Result<(), TestCaseError> {
        for (to, msg) in fx.sends {
            if let Msg::CommitOffsets { offsets, .. } = &msg {
                for &(p, o) in offsets {
                    prop_assert!(self.covered(p, o), "consumer {id} asks to commit {p}@{o} before central applied everything below it");
                }
            }
            self.links.entry((id, to)).or_default().push_back(msg);
        }
        for (at, clock, timer) in fx.timers {
            prop_assert!(clock == Clock::Node && at >= self.now, "node {id} set {timer:?} at {at} on {clock:?}");
            self.seq += 1;
            self.timers.push((at, self.seq, id, self.incarnation[id as usize], timer));
        }
        Ok(())
    }

    fn start(&mut self, id: NodeId) -> Result<(), TestCaseError> {
        let fx = self.run(id, |n, c| n.start(c));
        self.absorb(id, fx)
    }

    /// Tells `node` that its connection to `peer` reset.
    fn notify(&mut self, node: NodeId, peer: NodeId) -> Result<(), TestCaseError> {
        if node == PRODUCER {
            // The relays' stand-in does not resend; the relay's own tests cover that.
            return Ok(());
        }
        let fx = self.run(node, |n, c| n.handle(c, Input::Disconnected { peer }));
        if matches!(self.nodes[node as usize], Some(AnyNode::Consumer(_))) {
            // A reconnect after the backoff, unless one is already pending.
            prop_assert!(
                fx.timers.iter().all(|t| *t == (self.now + RECONNECT_BACKOFF_US, Clock::Node, Timer::Reconnect)) && fx.timers.len() <= 1,
                "{:?}",
                fx.timers
            );
        }
        self.absorb(node, fx)
    }

    /// What the engine does when a link's connection times out during a
    /// partition: the messages it holds are lost and both ends are told
    /// (the sender first). Returns the lost messages.
    pub(crate) fn disconnect(&mut self, from: NodeId, to: NodeId) -> Result<Vec<Msg>, TestCaseError> {
        let lost: Vec<Msg> = self.links.get_mut(&(from, to)).map(std::mem::take).unwrap_or_default().into();
        self.notify(from, to)?;
        self.notify(to, from)?;
        Ok(lost)
    }

    /// A crash and an immediate restart, as the engine runs them: the node's
    /// volatile state and pending timers are gone, every node that had sent to
    /// it is told `Disconnected`, and (if `lose_queued`) what was queued for it
    /// is lost. The producer stand-in's requests are never lost.
    fn crash(&mut self, id: NodeId, lose_queued: bool) -> Result<(), TestCaseError> {
        crash(self.nodes[id as usize].as_mut().expect("a real node"), self.now);
        self.incarnation[id as usize] += 1;
        let peers: Vec<NodeId> = self.links.keys().filter(|&&(from, to)| to == id && from != id).map(|&(from, _)| from).collect();
        for &peer in &peers {
            if lose_queued && peer != PRODUCER {
                self.links.get_mut(&(peer, id)).map(VecDeque::clear);
            }
        }
        for peer in peers {
            self.notify(peer, id)?;
        }
        self.start(id)
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: Msg) -> Result<(), TestCaseError> {
        if to == PRODUCER {
            return Ok(());
        }
        match &msg {
            Msg::Produce { records, .. } if to == BROKER => {
                let mut lengths: Vec<u64> = self.broker().logs().iter().map(|l| l.len() as u64).collect();
                for (p, record) in records {
                    let e = stock(&record.payload).expect("a stock record");
                    self.offset_of.insert((e.store, e.sku, e.version), (*p, lengths[*p as usize]));
                    lengths[*p as usize] += 1;
                }
            }
            Msg::Apply { events, .. } => {
                for e in events.iter().filter_map(stock) {
                    let at = self.offset_of[&(e.store, e.sku, e.version)];
                    self.applied.insert(at);
                }
            }
            _ => {}
        }
        let commit = match &msg {
            Msg::CommitOffsets { offsets, .. } if to == BROKER => Some(offsets.clone()),
            _ => None,
        };
        let fx = self.run(to, |n, c| n.message(c, from, msg));
        if let Some(offsets) = commit {
            let refused = fx.sends.iter().any(|(t, m)| *t == from && matches!(m, Msg::CommitFailed { .. }));
            if !refused {
                for (p, o) in offsets {
                    prop_assert!(self.covered(p, o), "the broker took a commit of {p}@{o} past records central has not applied");
                    prop_assert!(
                        o >= self.committed[p as usize],
                        "partition {p}'s committed offset went back from {} to {o}",
                        self.committed[p as usize]
                    );
                    self.committed[p as usize] = o;
                }
            }
        }
        self.absorb(to, fx)?;
        let lag: u64 = self.broker().logs().iter().zip(&self.committed).map(|(l, &c)| l.len() as u64 - c).sum();
        prop_assert_eq!(self.broker().lag(), lag, "the broker's lag matches the commits it took");
        Ok(())
    }

    pub(crate) fn deliver_from_link(&mut self, pick: usize) -> Result<bool, TestCaseError> {
        let busy: Vec<(NodeId, NodeId)> = self.links.iter().filter(|(_, q)| !q.is_empty()).map(|(&k, _)| k).collect();
        if busy.is_empty() {
            return Ok(false);
        }
        let (from, to) = busy[pick % busy.len()];
        let msg = self.links.get_mut(&(from, to)).and_then(VecDeque::pop_front).expect("non-empty");
        self.deliver(from, to, msg)?;
        Ok(true)
    }

    pub(crate) fn fire_earliest_timer(&mut self) -> Result<bool, TestCaseError> {
        let Some(i) = (0..self.timers.len()).min_by_key(|&i| (self.timers[i].0, self.timers[i].1)) else { return Ok(false) };
        let (at, _, id, incarnation, timer) = self.timers.swap_remove(i);
        self.now = self.now.max(at);
        if incarnation == self.incarnation[id as usize] {
            let fx = self.run(id, |n, c| n.timer(c, timer));
            self.absorb(id, fx)?;
        }
        Ok(true)
    }

    pub(crate) fn produce(&mut self, records: &[(u32, u32)]) {
        let records = records
            .iter()
            .map(|&(store, sku)| {
                let version = self.versions.entry((store, sku)).or_insert(0);
                *version += 1;
                (store % self.partitions, BrokerRecord { key: Key::Store(store), payload: Payload::Stock(event(store, sku, *version)) })
            })
            .collect();
        self.next_request_id += 1;
        let request_id = self.next_request_id;
        self.links.entry((PRODUCER, BROKER)).or_default().push_back(Msg::Produce { request_id, records });
    }

    fn step(&mut self, step: &Step) -> Result<(), TestCaseError> {
        match step {
            Step::Produce(records) => self.produce(records),
            Step::Deliver(pick) => {
                self.deliver_from_link(*pick)?;
            }
            Step::Race(pick) => {
                let busy: Vec<(NodeId, NodeId)> = self.links.iter().filter(|(_, q)| !q.is_empty()).map(|(&k, _)| k).collect();
                if let Some(&stalled) = busy.get(pick % busy.len().max(1)) {
                    for _ in 0..100 {
                        let Some(&(from, to)) = self.links.iter().find(|(k, q)| **k != stalled && !q.is_empty()).map(|(k, _)| k) else { break };
                        let msg = self.links.get_mut(&(from, to)).and_then(VecDeque::pop_front).expect("non-empty");
                        self.deliver(from, to, msg)?;
                    }
                }
            }
            Step::Timer => {
                self.fire_earliest_timer()?;
            }
            Step::CrashConsumer(pick, lose) => self.crash(FIRST_CONSUMER + (*pick as u32 % self.consumers), *lose)?,
            Step::CrashBroker(lose) => self.crash(BROKER, *lose)?,
            Step::CrashCentral(lose) => self.crash(CENTRAL, *lose)?,
            Step::Reset(pick) => {
                let busy: Vec<(NodeId, NodeId)> =
                    self.links.iter().filter(|((from, _), q)| *from != PRODUCER && !q.is_empty()).map(|(&k, _)| k).collect();
                if let Some(&(from, to)) = busy.get(pick % busy.len().max(1)) {
                    self.disconnect(from, to)?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn drained(&self) -> bool {
        self.links.values().all(VecDeque::is_empty)
            && self.broker().lag() == 0
            && (0..self.consumers).all(|i| !self.consumer(FIRST_CONSUMER + i).is_applying())
    }
}

/// Runs `steps` through a fresh [`Net`], then checks that it drains (twice,
/// around a quiet spell) and that central holds every produced record.
fn check_group(partitions: u32, consumers: u32, fetch_max_records: u32, commit: CommitPolicy, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut net = Net::with_commit(partitions, consumers, fetch_max_records, commit)?;
    for s in steps {
        net.step(s)?;
    }
    prop_assert!(net.settle(200_000)?, "not drained: lag {}, committed {:?}", net.broker().lag(), net.committed);
    // After a quiet spell (parked fetches time out and are renewed), new records still flow.
    net.idle(5_000_000)?;
    net.produce(&(0..STORES).map(|store| (store, 0)).collect::<Vec<_>>());
    prop_assert!(net.settle(200_000)?, "not drained after a quiet spell: lag {}, committed {:?}", net.broker().lag(), net.committed);
    net.check_central_has_everything()
}

impl Net {
    /// Every produced record reached central, and each row holds its newest version.
    pub(crate) fn check_central_has_everything(&self) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.applied.len(), self.offset_of.len(), "every produced record reached central");
        for (&(store, sku), &version) in &self.versions {
            let row = self.central().row(store, sku).expect("in range");
            let newest = event(store, sku, version);
            prop_assert_eq!((row.version, row.on_hand), (newest.version, newest.on_hand));
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(0xC0C0))]

    #[test]
    fn group_commits_only_offsets_central_has_applied(
        partitions in 1u32..5,
        consumers in 1u32..4,
        fetch_max_records in 1u32..6,
        steps in vec(step(), 1..200),
    ) {
        // Goal: at least once through the group. Whenever a consumer asks to
        // commit an offset, and whenever the broker takes a commit, every record
        // below it in that partition has reached central; taken offsets never go
        // back; and once the faults stop, the pipeline drains: every produced
        // record is applied and each (store, sku) row at central holds its newest
        // version. Method: a real broker, 1-3 real consumers and a real central
        // (version design) joined by FIFO links; a random schedule of produces,
        // single deliveries on any link, one link stalled while the others run
        // (a slow member's commit lands after its successor's), timer firings
        // (time jumps, so sessions expire), consumer, broker and central
        // crash-restarts as the engine runs them (pending timers die, every
        // node that had sent to the crashed one is told `Disconnected`, and
        // what was queued for it may be lost), and connection resets of any
        // link as the engine runs them after a partition timeout (what the link
        // holds is lost, both ends are told); then deliver everything and fire
        // timers in time order until drained; then idle for 5 s, produce once
        // more and drain again.
        check_group(partitions, consumers, fetch_max_records, CommitPolicy::AfterSink, &steps)?;
    }

    #[test]
    fn group_with_periodic_commits_commits_only_offsets_central_has_applied(
        partitions in 1u32..5,
        consumers in 1u32..4,
        fetch_max_records in 1u32..6,
        interval_ms in 100u64..10_000,
        steps in vec(step(), 1..200),
    ) {
        // Goal: the same at-least-once guarantee when members commit on an
        // interval the offsets their sink acknowledged (a mirror's policy,
        // `CommitPolicy::PeriodicAcknowledged`) instead of after each apply:
        // no commit, asked or taken, is past a record central has not applied,
        // taken offsets never go back, and the group drains once the faults
        // stop (the lag reaches zero on the next periodic commit). Method: as
        // `group_commits_only_offsets_central_has_applied`, with the members'
        // commit interval drawn from 0.1-10 s.
        check_group(partitions, consumers, fetch_max_records, CommitPolicy::PeriodicAcknowledged { interval_us: interval_ms * 1_000 }, &steps)?;
    }
}

impl Net {
    /// Delivers messages (round robin over the links) until the head of
    /// `link` is a message that `wanted` accepts; fails if none ever comes.
    fn deliver_until(&mut self, link: (NodeId, NodeId), wanted: impl Fn(&Msg) -> bool) -> Result<(), TestCaseError> {
        let mut round = 0;
        while !self.links.get(&link).and_then(VecDeque::front).is_some_and(&wanted) {
            // `link`'s head is not the awaited message, so every link may go on.
            let busy: Vec<(NodeId, NodeId)> = self.links.iter().filter(|(_, q)| !q.is_empty()).map(|(&k, _)| k).collect();
            if busy.is_empty() {
                prop_assert!(self.fire_earliest_timer()?, "nothing left to run, and {link:?} never carried the message");
            } else {
                let (from, to) = busy[round % busy.len()];
                let msg = self.links.get_mut(&(from, to)).and_then(VecDeque::pop_front).expect("non-empty");
                self.deliver(from, to, msg)?;
            }
            round += 1;
            prop_assert!(round < 10_000, "{link:?} never carried the message");
        }
        Ok(())
    }

    /// Drains, or fails with what is left.
    fn must_drain(&mut self) -> Result<(), TestCaseError> {
        let drained = self.settle(20_000)?;
        let applying = self.consumer(FIRST_CONSUMER).is_applying();
        prop_assert!(drained, "lag {} after {} simulated seconds; consumer applying: {applying}", self.broker().lag(), self.now / US_PER_S);
        self.check_central_has_everything()
    }
}

/// A one-consumer group over two partitions, three records produced.
fn one_consumer() -> Result<Net, TestCaseError> {
    let mut net = Net::new(2, 1, 10)?;
    net.produce(&[(0, 0), (1, 0), (2, 1)]);
    Ok(net)
}

#[test]
fn consumer_joins_even_if_its_join_request_is_lost() -> Result<(), TestCaseError> {
    // Goal: a consumer whose JoinGroup is lost still joins and drains its
    // partitions. Method: the pipeline harness with one consumer; the
    // connection consumer -> broker resets while the JoinGroup is on it (the
    // engine's partition timeout: the message is lost and the consumer is told
    // `Disconnected { peer: broker }`; a broker crash tells it the same); the
    // consumer has no generation, so its `Timer::Reconnect` must send JoinGroup
    // again; then deliver everything and fire timers for up to 20 000 rounds.
    let mut net = one_consumer()?;
    let lost = net.disconnect(FIRST_CONSUMER, BROKER)?;
    assert_eq!(lost, vec![Msg::JoinGroup]);
    net.must_drain()
}

#[test]
fn consumer_drains_even_if_an_apply_is_lost() -> Result<(), TestCaseError> {
    // Goal: a batch lost on its way into central is applied again, so the
    // group still drains. Method: the pipeline harness with one consumer;
    // deliver until the consumer's first Apply is queued for central, then
    // reset the connection consumer -> central (the Apply is lost, the consumer
    // is told `Disconnected { peer: central }`, as by the engine after a
    // partition timeout or a central crash); its `Timer::Reconnect` must send
    // the same batch again; then deliver everything and fire timers.
    let mut net = one_consumer()?;
    net.deliver_until((FIRST_CONSUMER, CENTRAL), |m| matches!(m, Msg::Apply { .. }))?;
    let lost = net.disconnect(FIRST_CONSUMER, CENTRAL)?;
    assert!(matches!(lost[..], [Msg::Apply { .. }]), "lost {lost:?}");
    net.must_drain()
}

#[test]
fn consumer_drains_even_if_an_applied_is_lost() -> Result<(), TestCaseError> {
    // Goal: a consumer whose `Applied` is lost still drains. Method: deliver
    // until central's first `Applied` is queued for the consumer, then reset
    // the connection central -> consumer as the engine does after a partition
    // timeout (the message is lost, both ends are told: the consumer by its
    // keepalive); its `Timer::Reconnect` must send the batch again (central
    // applies it idempotently and answers); then deliver everything and fire
    // timers. Without the receiver's notice the consumer would keep `applying`
    // for good (an Apply has no timeout) while still heartbeating.
    let mut net = one_consumer()?;
    net.deliver_until((CENTRAL, FIRST_CONSUMER), |m| matches!(m, Msg::Applied { .. }))?;
    let lost = net.disconnect(CENTRAL, FIRST_CONSUMER)?;
    assert!(matches!(lost[..], [Msg::Applied { .. }]), "lost {lost:?}");
    net.must_drain()
}

#[test]
fn consumer_joins_even_if_its_assignment_is_lost() -> Result<(), TestCaseError> {
    // Goal: a consumer whose `Assignment` is lost still joins and drains.
    // Method: deliver until the broker's `Assignment` is queued for the
    // consumer, then reset the connection broker -> consumer as the engine does
    // after a partition timeout (both ends are told); the consumer has no
    // generation, so its `Timer::Reconnect` must send JoinGroup again (the
    // broker answers a member it already has with its current assignment);
    // then deliver everything and fire timers. Without the receiver's notice
    // the consumer, which sends nothing while it has no generation, would
    // never join.
    let mut net = one_consumer()?;
    net.deliver_until((BROKER, FIRST_CONSUMER), |m| matches!(m, Msg::Assignment { .. }))?;
    let lost = net.disconnect(BROKER, FIRST_CONSUMER)?;
    assert!(matches!(lost[..], [Msg::Assignment { .. }]), "lost {lost:?}");
    net.must_drain()
}

#[test]
fn group_lag_reaches_zero_even_if_a_commit_is_lost() -> Result<(), TestCaseError> {
    // Goal: once everything is applied the group's committed offsets catch up
    // (the engine's drain phase waits for a zero backlog, which counts the
    // group's lag), even when an offset commit is lost. Method: deliver until
    // the consumer's first `CommitOffsets` is queued for the broker, then reset
    // the connection consumer -> broker (the commit is lost, both ends are
    // told); then deliver everything and fire timers. The consumer's
    // `Timer::Reconnect` sends its last acknowledged offsets again; before it
    // did, no later commit came until new records arrived on that partition,
    // so the run never counted as drained although central had every record.
    let mut net = one_consumer()?;
    net.deliver_until((FIRST_CONSUMER, BROKER), |m| matches!(m, Msg::CommitOffsets { .. }))?;
    let lost = net.disconnect(FIRST_CONSUMER, BROKER)?;
    assert!(matches!(lost[..], [Msg::CommitOffsets { .. }, ..]), "lost {lost:?}");
    net.must_drain()
}
