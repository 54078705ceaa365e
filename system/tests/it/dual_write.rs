//! Properties of a dual-writing store (`StoreConfig.dual_write`): the app
//! publishes every commit itself through its producer, in commit order, one
//! request in flight, sending the same rows again after a timeout or a reset;
//! nothing goes to the outbox; and a crash loses exactly what the broker had
//! not acknowledged (and only that), which is never sent again.

use crate::{config, on};
use proptest::collection::vec;
use proptest::prelude::*;
use scenarios::PartitionKey;
use std::collections::{BTreeSet, VecDeque};
use system::history::Kind;
use system::message::{Key, Msg, NodeId, Payload, StockEvent};
use system::node::{Clock, Ctx, Effects, Input, Node, Timer};
use system::partitioner::partition_for;
use system::producer::ProducerConfig;
use system::rng::stream;
use system::store::{Store, StoreConfig};
use system::workload::{TillWorkload, WorkloadConfig};
use system::{Micros, US_PER_S};

const STORE: NodeId = 0;
const BROKER: NodeId = 9;
const STORE_INDEX: u32 = 2;
const RECONNECT_BACKOFF_US: Micros = 1_000_000;
const PRODUCE_TIMEOUT_US: Micros = 30_000_000;
/// The workload phase: long enough that the steps never exhaust it.
const END_US: Micros = 24 * 3_600 * US_PER_S;

/// One thing that happens around the store.
#[derive(Debug, Clone)]
enum Step {
    /// The earliest workload or heartbeat timer fires (time jumps to it).
    Fire,
    /// The broker appends a request on the wire (picked by index) and acknowledges it.
    Ack(usize),
    /// The broker appends a request on the wire but its ack is lost.
    AppendAckLost(usize),
    /// A request on the wire is lost before the broker sees it.
    Lose(usize),
    /// An armed produce timeout (picked by index) fires.
    Timeout,
    /// The connection to the broker resets: each request on the wire is lost
    /// or appended without an ack (bit i of the mask for the i-th), and the
    /// store is told `Disconnected { peer: broker }`.
    Reset(u64),
    /// An armed `Reconnect` fires.
    Reconnect,
    /// The store crashes and restarts at once (pending timers die; requests
    /// already on the wire may still land, their acks reach the new process).
    Crash,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => Just(Step::Fire),
        4 => any::<usize>().prop_map(Step::Ack),
        1 => any::<usize>().prop_map(Step::AppendAckLost),
        1 => any::<usize>().prop_map(Step::Lose),
        1 => Just(Step::Timeout),
        1 => any::<u64>().prop_map(Step::Reset),
        2 => Just(Step::Reconnect),
        1 => Just(Step::Crash),
    ]
}

/// A payload's identity: stock rows by (sku, version), heartbeats by their time.
fn id(payload: &Payload) -> (u8, u64, u64) {
    match payload {
        Payload::Stock(e) => (0, u64::from(e.sku), e.version),
        Payload::Heartbeat { store_ts_us, .. } => (1, *store_ts_us, 0),
        Payload::RelayHeartbeat { relay_ts_us, .. } => (2, *relay_ts_us, 0),
        Payload::Snapshot(e) => (3, u64::from(e.sku), e.version),
        Payload::Order(reply) => (4, reply.order, 0),
    }
}

/// A store with a brisk workload whose app publishes through its own producer.
fn dual_write_store(seed: u64, skus: u32, producer: ProducerConfig, heartbeat_us: Option<Micros>) -> Store {
    let workload = WorkloadConfig {
        skus,
        lines_per_transaction: 2,
        zipf_exponent: 1.0,
        till_transactions_per_hour: 3_600.0,
        random_restocks_per_hour: 600.0,
        restock_quantity: (1, 5),
        delivery_first_at_us: 600 * US_PER_S,
        delivery_duration_us: 60 * US_PER_S,
        reorder_point: 2,
        order_up_to: 8,
        end_us: END_US,
    };
    let config = StoreConfig {
        index: STORE_INDEX,
        epoch_in_version: true,
        heartbeat_interval_us: heartbeat_us,
        reconciliation_interval_us: None,
        dual_write: Some(producer),
        reconnect_backoff_us: RECONNECT_BACKOFF_US,
        sync: None,
        holds_block_tills: true,
        pick_delay_us: 0,
        order_answers_to: None,
    };
    let initial = (0..skus).map(|sku| i64::from(sku % 4)).collect();
    Store::new(config, initial, TillWorkload::new(&workload, stream(seed, "till/store-2")))
}

/// The store with a scripted broker around it, a model of its producer's queue, and what the test saw.
struct Harness {
    store: Store,
    partition_key: PartitionKey,
    partitions: u32,
    batch_max_rows: u32,
    now: Micros,
    /// Workload and heartbeat timers as (time, sequence, timer).
    timers: Vec<(Micros, u64, Timer)>,
    seq: u64,
    /// When the armed produce timeout fires (one at a time), and the `Reconnect`s, of the current incarnation.
    timeout_at: Option<Micros>,
    reconnects: usize,
    /// Every payload the app committed, in commit order.
    committed: Vec<Payload>,
    /// The model of the producer: committed payloads not yet acknowledged, in order.
    queue: VecDeque<Payload>,
    /// The request the model expects the producer to wait for: (request id, rows, deadline).
    in_flight: Option<(u64, usize, Micros)>,
    /// Requests on the wire: (request id, payloads).
    in_transit: Vec<(u64, Vec<Payload>)>,
    /// Every payload the broker appended, in append order.
    appended: Vec<Payload>,
    /// Ids of the payloads a crash dropped unacknowledged.
    lost: BTreeSet<(u8, u64, u64)>,
}

impl Harness {
    /// Runs one input and checks its effects against the model.
    fn run(&mut self, input: Input) -> Result<(), TestCaseError> {
        let heartbeat = input == Input::Timer(Timer::Heartbeat);
        let now = self.now;
        let fx = on(&mut self.store, now, STORE, |s, c: &mut Ctx| s.handle(c, input));
        self.absorb(fx, heartbeat)
    }

    fn absorb(&mut self, fx: Effects, heartbeat: bool) -> Result<(), TestCaseError> {
        // What the input committed: one stock payload per history record, then a heartbeat.
        for r in &fx.records {
            prop_assert!(matches!(r.kind, Kind::Sale | Kind::Restock), "record {r:?}");
            let (Some(store), Some(sku), Some(delta), Some(on_hand), Some(version)) = (r.store, r.sku, r.qty, r.on_hand, r.version) else {
                return Err(TestCaseError::fail(format!("incomplete record {r:?}")));
            };
            let event = StockEvent { store, sku, delta, on_hand, version, id: (store, 0, sku, version as u32), committed_at_us: self.now };
            self.committed.push(Payload::Stock(event));
            self.queue.push_back(Payload::Stock(event));
        }
        if heartbeat {
            let payload = Payload::Heartbeat { store: STORE_INDEX, store_ts_us: self.now };
            self.committed.push(payload);
            self.queue.push_back(payload);
        }
        prop_assert!(self.store.db().outbox.is_empty(), "a dual-writing app writes no outbox row");
        prop_assert!(fx.sends.len() <= 1, "one request at a time: {:?}", fx.sends);
        for (to, msg) in fx.sends {
            let Msg::Produce { request_id, records } = msg else {
                return Err(TestCaseError::fail(format!("the store sent {msg:?} to {to}")));
            };
            prop_assert_eq!(to, BROKER);
            prop_assert!(self.in_flight.is_none(), "request {} sent while {:?} is in flight", request_id, self.in_flight);
            let rows = self.queue.len().min(self.batch_max_rows as usize);
            prop_assert!(rows > 0, "an empty request");
            let payloads: Vec<Payload> = records.iter().map(|(_, r)| r.payload).collect();
            prop_assert_eq!(
                &payloads[..],
                &self.queue.iter().take(rows).copied().collect::<Vec<_>>()[..],
                "a request is the oldest unacknowledged commits, in commit order"
            );
            for (partition, record) in &records {
                prop_assert!(*partition < self.partitions);
                let store_partition = partition_for(format!("store-{STORE_INDEX}").as_bytes(), self.partitions);
                match (self.partition_key, record.payload) {
                    (PartitionKey::RoundRobin, _) => prop_assert_eq!(record.key, Key::None),
                    (PartitionKey::StoreSku, Payload::Stock(e)) => {
                        prop_assert_eq!(record.key, Key::StoreSku(STORE_INDEX, e.sku));
                        let key = format!("store-{STORE_INDEX}|sku-{}", e.sku);
                        prop_assert_eq!(*partition, partition_for(key.as_bytes(), self.partitions));
                    }
                    _ => prop_assert_eq!((record.key, *partition), (Key::Store(STORE_INDEX), store_partition)),
                }
            }
            self.in_flight = Some((request_id, rows, self.now + PRODUCE_TIMEOUT_US));
            self.in_transit.push((request_id, payloads));
        }
        for (at, clock, timer) in fx.timers {
            prop_assert!(at >= self.now, "{timer:?} in the past");
            match (timer, clock) {
                (Timer::ProduceTimeout, Clock::Node) => {
                    prop_assert_eq!(self.timeout_at, None, "one produce timeout pending at a time");
                    prop_assert_eq!(Some(at), self.in_flight.map(|f| f.2), "armed for the deadline of the request in flight");
                    self.timeout_at = Some(at);
                }
                (Timer::Reconnect, Clock::Node) => {
                    prop_assert_eq!(at, self.now + RECONNECT_BACKOFF_US);
                    self.reconnects += 1;
                }
                (Timer::TillArrival | Timer::RandomRestock | Timer::DeliveryStart | Timer::DeliveryStep, Clock::World)
                | (Timer::Heartbeat, Clock::Node) => {
                    self.seq += 1;
                    self.timers.push((at, self.seq, timer));
                }
                _ => return Err(TestCaseError::fail(format!("the store set {timer:?} on the {clock:?} clock"))),
            }
        }
        prop_assert_eq!(self.store.unpublished(), Some(self.queue.len() as u64), "the app's unpublished count is the model's queue");
        Ok(())
    }

    fn take(&mut self, pick: usize) -> Option<(u64, Vec<Payload>)> {
        (!self.in_transit.is_empty()).then(|| self.in_transit.remove(pick % self.in_transit.len()))
    }

    /// The broker appends request `pick` and acknowledges it: only the awaited request moves the queue.
    fn ack(&mut self, pick: usize) -> Result<(), TestCaseError> {
        if let Some((request_id, payloads)) = self.take(pick) {
            self.appended.extend(payloads);
            if let Some((_, rows, _)) = self.in_flight.filter(|f| f.0 == request_id) {
                self.queue.drain(..rows);
                self.in_flight = None;
            }
            self.run(Input::Message { from: BROKER, msg: Msg::ProduceAck { request_id } })?;
        }
        Ok(())
    }

    /// The armed produce timeout fires at its time: a request in flight past
    /// its deadline goes again (its rows may land twice).
    fn timeout(&mut self) -> Result<(), TestCaseError> {
        if let Some(at) = self.timeout_at.take() {
            self.now = self.now.max(at);
            if self.in_flight.is_some_and(|f| f.2 <= self.now) {
                self.in_flight = None;
            }
            self.run(Input::Timer(Timer::ProduceTimeout))?;
        }
        Ok(())
    }

    fn reconnect(&mut self) -> Result<(), TestCaseError> {
        if self.reconnects > 0 {
            self.reconnects -= 1;
            self.now += 1;
            self.run(Input::Timer(Timer::Reconnect))?;
        }
        Ok(())
    }

    fn step(&mut self, step: &Step) -> Result<(), TestCaseError> {
        match *step {
            Step::Fire => {
                if let Some(i) = (0..self.timers.len()).min_by_key(|&i| (self.timers[i].0, self.timers[i].1)) {
                    let (at, _, timer) = self.timers.swap_remove(i);
                    self.now = self.now.max(at);
                    self.run(Input::Timer(timer))?;
                }
            }
            Step::Ack(pick) => self.ack(pick)?,
            Step::AppendAckLost(pick) => {
                if let Some((_, payloads)) = self.take(pick) {
                    self.appended.extend(payloads);
                }
            }
            Step::Lose(pick) => {
                self.take(pick);
            }
            Step::Timeout => self.timeout()?,
            Step::Reset(mask) => {
                for (i, (_, payloads)) in std::mem::take(&mut self.in_transit).into_iter().enumerate() {
                    if mask >> (i % 64) & 1 == 1 {
                        self.appended.extend(payloads);
                    }
                }
                // The app knows the request failed: it sends it again after the backoff.
                self.in_flight = None;
                let reconnects = self.reconnects;
                self.run(Input::Disconnected { peer: BROKER })?;
                // One reconnect timer at a time: a reset while one is pending arms none.
                prop_assert_eq!(self.reconnects, reconnects.max(1), "a reset leaves exactly one reconnect pending");
            }
            Step::Reconnect => self.reconnect()?,
            Step::Crash => {
                let unacknowledged = self.store.unpublished();
                prop_assert_eq!(unacknowledged, Some(self.queue.len() as u64));
                self.store.crash(self.now);
                prop_assert_eq!(self.store.unpublished(), Some(0), "a crash drops every unacknowledged commit");
                self.lost.extend(self.queue.drain(..).map(|p| id(&p)));
                self.in_flight = None;
                self.timers.clear();
                self.timeout_at = None;
                self.reconnects = 0;
                let stock = self.store.db().stock.clone();
                self.run(Input::Start)?;
                prop_assert_eq!(&self.store.db().stock, &stock, "a restart keeps the committed stock");
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(0xD0A1))]

    #[test]
    fn dual_write_publishes_every_commit_in_order_and_a_crash_loses_exactly_the_unacknowledged(
        seed in any::<u64>(),
        skus in 2u32..10,
        partition_key in prop_oneof![Just(PartitionKey::Store), Just(PartitionKey::StoreSku), Just(PartitionKey::RoundRobin)],
        partitions in 1u32..5,
        batch_max_rows in 1u32..6,
        heartbeat_s in prop_oneof![Just(None), (1u64..30).prop_map(Some)],
        steps in vec(step(), 1..200),
    ) {
        // Goal: dual write's delivery guarantee. The app commits locally
        // (no outbox row) and pushes every commit (and heartbeat) to its
        // producer in commit order; each produce request is the oldest
        // unacknowledged commits, at most `batch_max_rows`, with one request in
        // flight; only the awaited request's ack moves on (a stale ack, from a
        // timed-out request or a previous process, does nothing); a timeout or
        // a reset sends the same rows again (after `Reconnect` for a reset);
        // records are keyed and partitioned by the design's key; the app's
        // `unpublished` count is the model's queue at every step. A crash drops
        // exactly the commits not yet acknowledged (no acknowledged one, and
        // those are never sent again) and keeps the committed stock; once the
        // faults stop every other commit reaches the broker. Method: a store
        // with a brisk workload and a scripted broker (acks, lost acks, lost
        // requests, resets, stale acks after a crash), random timeouts,
        // reconnects and crash-restarts; a model of the producer's queue checks
        // every request; then ack, time out and reconnect until drained.
        let producer = ProducerConfig {
            broker: BROKER,
            partition_key,
            partitions,
            heartbeat_partition: None,
            batch_max_rows,
            produce_timeout_us: PRODUCE_TIMEOUT_US,
        };
        let mut h = Harness {
            store: dual_write_store(seed, skus, producer, heartbeat_s.map(|s| s * US_PER_S)),
            partition_key,
            partitions,
            batch_max_rows,
            now: 0,
            timers: Vec::new(),
            seq: 0,
            timeout_at: None,
            reconnects: 0,
            committed: Vec::new(),
            queue: VecDeque::new(),
            in_flight: None,
            in_transit: Vec::new(),
            appended: Vec::new(),
            lost: BTreeSet::new(),
        };
        h.run(Input::Start)?;
        for s in &steps {
            h.step(s)?;
        }
        // Drain with no new commits: the broker answers everything, newest
        // first; a lost request goes again on its timeout or reconnect.
        for _ in 0..10_000 {
            if !h.in_transit.is_empty() {
                let newest = h.in_transit.len() - 1;
                h.ack(newest)?;
            } else if h.queue.is_empty() {
                break;
            } else if h.timeout_at.is_some() {
                h.timeout()?;
            } else if h.reconnects > 0 {
                h.reconnect()?;
            } else {
                return Err(TestCaseError::fail(format!("stuck with {} unacknowledged commits: nothing in flight, no timer armed", h.queue.len())));
            }
        }
        prop_assert!(h.queue.is_empty() && h.in_transit.is_empty(), "not drained");
        prop_assert_eq!(h.store.unpublished(), Some(0));
        let appended: BTreeSet<(u8, u64, u64)> = h.appended.iter().map(id).collect();
        let committed: BTreeSet<(u8, u64, u64)> = h.committed.iter().map(id).collect();
        prop_assert_eq!(committed.len(), h.committed.len(), "payload ids are unique");
        prop_assert!(appended.is_subset(&committed), "the broker got something never committed");
        let missing: BTreeSet<_> = committed.difference(&appended).copied().collect();
        prop_assert!(missing.is_subset(&h.lost), "commits lost without a crash: {:?}", missing.difference(&h.lost).collect::<Vec<_>>());
    }
}
