//! Properties of the CDC relay against a scripted store and broker: every
//! committed outbox row reaches the broker at least once across lost
//! requests, lost acks, timeouts, connection resets and crashes, and a restart
//! never resumes past a row the broker had not acknowledged at the last offset
//! flush; with the heartbeat-topic design its side-topic heartbeats go through
//! the same producer without moving the log position. Then a store and its
//! relay from `World::new` in a small event loop that behaves like the `des`
//! engine around a store crash and a partition.

use crate::{config, crash, on, outbox_row, stock};
use proptest::collection::vec;
use proptest::prelude::*;
use scenarios::{PartitionKey, Scenario};
use std::collections::{BTreeMap, BTreeSet};
use system::message::{Key, Msg, NodeId, OutboxRow, Payload};
use system::node::{Clock, Ctx, Effects, Input, Node, Timer};
use system::producer::ProducerConfig;
use system::relay::{Relay, RelayConfig};
use system::world::{AnyNode, World};
use system::{Micros, US_PER_S};

const STORE: NodeId = 0;
const RELAY: NodeId = 1;
const BROKER: NodeId = 2;
const STORE_INDEX: u32 = 3;
const RECONNECT_BACKOFF_US: Micros = 1_000_000;

/// One thing that happens around the relay.
#[derive(Debug, Clone)]
enum Step {
    /// The store commits this many rows (streamed at once if the relay is subscribed).
    Commit(usize),
    /// The broker appends an outstanding request (picked by index) and acknowledges it.
    Ack(usize),
    /// The broker appends an outstanding request but its ack is lost.
    AppendAckLost(usize),
    /// An outstanding request is lost before the broker sees it.
    Lose(usize),
    /// An armed produce timeout (picked by index) fires.
    Timeout(usize),
    Flush,
    /// The relay crashes and restarts at once.
    Crash,
    /// The relay's connection to the broker resets (a partition outlasted the
    /// connection timeout, or the broker crashed): each request on the wire is
    /// lost or appended without an ack (bit i of the mask for the i-th), and
    /// the relay is told `Disconnected { peer: broker }`.
    ResetBroker(u64),
    /// The store's binlog stream ends (the store crashed and restarted, or the
    /// connection reset) and the relay is told `Disconnected { peer: store }`.
    ResetStore,
    /// An armed `Reconnect` timer fires; if `true`, a `Subscribe` it sends is
    /// lost too (held by a partition until the connection resets, so the relay
    /// is told `Disconnected { peer: store }` again).
    Reconnect(bool),
    /// The store's next stream message is delayed on the wire (a reorder
    /// fault): later ones overtake it.
    Delay,
    /// A delayed stream message (picked by index) arrives now.
    Late(usize),
    /// The armed side-topic `Heartbeat` fires (heartbeat-topic design only).
    Heartbeat,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1usize..4).prop_map(Step::Commit),
        4 => any::<usize>().prop_map(Step::Ack),
        1 => any::<usize>().prop_map(Step::AppendAckLost),
        1 => any::<usize>().prop_map(Step::Lose),
        1 => any::<usize>().prop_map(Step::Timeout),
        2 => Just(Step::Flush),
        1 => Just(Step::Crash),
        1 => any::<u64>().prop_map(Step::ResetBroker),
        1 => Just(Step::ResetStore),
        2 => any::<bool>().prop_map(Step::Reconnect),
        1 => Just(Step::Delay),
        1 => any::<usize>().prop_map(Step::Late),
        2 => Just(Step::Heartbeat),
    ]
}

/// The relay with a scripted store and broker around it, and what the test saw.
struct Harness {
    relay: Relay,
    partition_key: PartitionKey,
    partitions: u32,
    batch_max_rows: u32,
    now: Micros,
    /// The store's outbox log.
    outbox: Vec<OutboxRow>,
    /// The next lsn the store streams to the relay, while subscribed.
    stream: Option<u64>,
    /// The stream ended (the relay was told), until the relay subscribes again.
    stream_down: bool,
    /// The next lsn the relay reads, by the harness's account: it takes the
    /// rows of each stream message that continue what it has, in order.
    relay_read: u64,
    /// Stream messages delayed on the wire, and whether the next one will be.
    late: Vec<Msg>,
    delay_next: bool,
    /// Produce requests on the wire: (request id, lsns in order, side-topic heartbeats).
    in_transit: Vec<(u64, Vec<u64>, Vec<Micros>)>,
    /// When the armed produce timeout fires (one at a time), in the current incarnation.
    timeouts: Vec<Micros>,
    /// Armed `Reconnect` timers of the current incarnation.
    reconnects: usize,
    /// Lsns the broker has appended.
    in_broker: BTreeSet<u64>,
    /// Lsns of every row the relay ever put in a produce request.
    published: BTreeSet<u64>,
    /// The first lsn the broker did not hold when the relay last flushed.
    safe_at_flush: u64,
    last_from_lsn: u64,
    /// The partition each SKU went to, for the keyed designs.
    sku_partition: BTreeMap<u32, u32>,
    /// The side topic's heartbeat interval (heartbeat-topic design), and
    /// whether its timer is armed in the current incarnation.
    heartbeat_us: Option<Micros>,
    heartbeat_armed: bool,
    /// Relay times of the heartbeats the current incarnation took, in order,
    /// and of every heartbeat the broker appended.
    heartbeats: Vec<Micros>,
    heartbeats_in_broker: BTreeSet<Micros>,
}

impl Harness {
    fn lsn_of(&self, payload: &Payload) -> Result<u64, TestCaseError> {
        let Some(event) = stock(payload) else {
            return Err(TestCaseError::fail(format!("not a stock row: {payload:?}")));
        };
        let lsn = event.version - 1;
        prop_assert!((lsn as usize) < self.outbox.len(), "lsn {lsn} was never committed");
        prop_assert_eq!(payload, &self.outbox[lsn as usize].payload, "the payload is the committed row's");
        Ok(lsn)
    }

    /// Reads the relay's effects: checks each produce request and puts it on the wire.
    fn absorb(&mut self, fx: Effects) -> Result<Option<u64>, TestCaseError> {
        let mut subscribed = None;
        for (to, msg) in fx.sends {
            match msg {
                Msg::Produce { request_id, records } => {
                    prop_assert_eq!(to, BROKER);
                    prop_assert!(!records.is_empty() && records.len() <= self.batch_max_rows as usize);
                    let mut lsns = Vec::with_capacity(records.len());
                    let mut heartbeats = Vec::new();
                    for (partition, record) in &records {
                        if let Payload::RelayHeartbeat { store, relay_ts_us } = record.payload {
                            // The side topic: its own partition, keyed by the store.
                            prop_assert!(self.heartbeat_us.is_some(), "a heartbeat without the heartbeat-topic design");
                            prop_assert_eq!((store, record.key, *partition), (STORE_INDEX, Key::Store(STORE_INDEX), self.partitions));
                            prop_assert!(self.heartbeats.contains(&relay_ts_us), "heartbeat at {} was not pushed by this incarnation", relay_ts_us);
                            heartbeats.push(relay_ts_us);
                            continue;
                        }
                        prop_assert!(*partition < self.partitions);
                        let lsn = self.lsn_of(&record.payload)?;
                        let event = stock(&record.payload).expect("checked by lsn_of");
                        match self.partition_key {
                            PartitionKey::Store => prop_assert_eq!(record.key, Key::Store(STORE_INDEX)),
                            PartitionKey::StoreSku => prop_assert_eq!(record.key, Key::StoreSku(STORE_INDEX, event.sku)),
                            PartitionKey::RoundRobin => prop_assert_eq!(record.key, Key::None),
                        }
                        let key = if self.partition_key == PartitionKey::Store { 0 } else { event.sku };
                        if self.partition_key != PartitionKey::RoundRobin {
                            let first = *self.sku_partition.entry(key).or_insert(*partition);
                            prop_assert_eq!(first, *partition, "a key always goes to the same partition");
                        }
                        lsns.push(lsn);
                    }
                    prop_assert!(heartbeats.is_sorted(), "heartbeats go in the order they were taken: {:?}", heartbeats);
                    if let Some(&first) = lsns.first() {
                        prop_assert_eq!(&lsns, &(first..first + lsns.len() as u64).collect::<Vec<_>>(), "a request is a run of the log");
                        prop_assert_eq!(first, self.relay.acked_lsn(), "a request starts at the first unacknowledged row");
                    }
                    self.published.extend(lsns.iter().copied());
                    self.in_transit.push((request_id, lsns, heartbeats));
                }
                Msg::Subscribe { epoch, from_lsn } => {
                    prop_assert_eq!((to, epoch), (STORE, 0), "the scripted store has one log, of epoch 0");
                    prop_assert!(subscribed.is_none());
                    subscribed = Some(from_lsn);
                }
                other => return Err(TestCaseError::fail(format!("the relay sent {other:?} to {to}"))),
            }
        }
        for (at, clock, timer) in fx.timers {
            prop_assert!(clock == Clock::Node && at >= self.now, "{timer:?} at {at} on {clock:?}");
            match timer {
                Timer::ProduceTimeout => {
                    prop_assert!(self.timeouts.is_empty(), "a second produce timeout while {:?} is pending", self.timeouts);
                    self.timeouts.push(at);
                }
                Timer::Reconnect => self.reconnects += 1,
                Timer::OffsetFlush => {}
                Timer::Heartbeat => {
                    let interval = self.heartbeat_us.ok_or_else(|| TestCaseError::fail("a heartbeat timer without the heartbeat-topic design"))?;
                    prop_assert_eq!(at, self.now + interval);
                    prop_assert!(!self.heartbeat_armed, "two heartbeat timers armed");
                    self.heartbeat_armed = true;
                }
                other => return Err(TestCaseError::fail(format!("the relay set {other:?}"))),
            }
        }
        Ok(subscribed)
    }

    /// A stream message reaches the relay: it reads the rows that continue
    /// what it has, and if the message skipped rows (an earlier one is late
    /// or lost) it subscribes again from the first row it lacks.
    fn deliver(&mut self, msg: Msg) -> Result<(), TestCaseError> {
        let mut gap = false;
        if let Msg::LogRows { rows, .. } = &msg {
            for row in rows {
                if row.lsn == self.relay_read {
                    self.relay_read += 1;
                } else if row.lsn > self.relay_read {
                    gap = true;
                }
            }
        }
        let fx = on(&mut self.relay, self.now, RELAY, |n, c| n.message(c, STORE, msg));
        match (self.absorb(fx)?, gap) {
            (None, false) => Ok(()),
            (Some(from_lsn), true) => self.open_stream(from_lsn),
            (subscribed, gap) => Err(TestCaseError::fail(format!("a stream message with a gap ({gap}) made the relay subscribe at {subscribed:?}"))),
        }
    }

    /// The store answers a subscription (not a restart's) with the log from
    /// `from_lsn`, which must be the first row the relay lacks.
    fn open_stream(&mut self, from_lsn: u64) -> Result<(), TestCaseError> {
        prop_assert_eq!(from_lsn, self.relay_read, "a relay subscribes again from the first row it lacks");
        self.stream_down = false;
        self.stream = Some(from_lsn);
        self.stream_rows()
    }

    /// The store streams what the relay has not been sent yet.
    fn stream_rows(&mut self) -> Result<(), TestCaseError> {
        if let Some(next) = self.stream
            && (next as usize) < self.outbox.len()
        {
            let rows = self.outbox[next as usize..].to_vec();
            self.stream = Some(self.outbox.len() as u64);
            let msg = Msg::LogRows { epoch: 0, rows };
            if std::mem::take(&mut self.delay_next) {
                self.late.push(msg);
            } else {
                self.deliver(msg)?;
            }
        }
        Ok(())
    }

    /// A delayed stream message (picked by index) arrives.
    fn late(&mut self, pick: usize) -> Result<(), TestCaseError> {
        if !self.late.is_empty() {
            let msg = self.late.remove(pick % self.late.len());
            self.deliver(msg)?;
        }
        Ok(())
    }

    /// (Re)starts the relay; the store answers its subscription with the log from there.
    fn start(&mut self) -> Result<(), TestCaseError> {
        let fx = on(&mut self.relay, self.now, RELAY, |n, c| n.start(c));
        let Some(from_lsn) = self.absorb(fx)? else {
            return Err(TestCaseError::fail("a started relay subscribes to the log"));
        };
        prop_assert!(
            from_lsn <= self.safe_at_flush,
            "resumed at {from_lsn}, past lsn {} which the broker had not acknowledged at the last flush",
            self.safe_at_flush
        );
        prop_assert!(from_lsn >= self.last_from_lsn, "the resume point never moves back");
        self.last_from_lsn = from_lsn;
        self.relay_read = from_lsn;
        self.stream_down = false;
        self.stream = Some(from_lsn);
        self.stream_rows()
    }

    /// Tells the relay that its connection to `peer` reset.
    fn disconnect(&mut self, peer: NodeId) -> Result<(), TestCaseError> {
        let fx = on(&mut self.relay, self.now, RELAY, |n, c| n.handle(c, Input::Disconnected { peer }));
        prop_assert!(fx.sends.is_empty(), "a reset sends nothing at once: {:?}", fx.sends);
        // One reconnect timer at a time: a reset while one is pending arms none.
        let expected = if self.reconnects == 0 { vec![(self.now + RECONNECT_BACKOFF_US, Clock::Node, Timer::Reconnect)] } else { Vec::new() };
        prop_assert_eq!(&fx.timers, &expected);
        let subscribed = self.absorb(fx)?;
        prop_assert!(self.reconnects <= 1, "at most one reconnect pending");
        prop_assert!(subscribed.is_none());
        Ok(())
    }

    /// Fires one armed `Reconnect`: a relay whose stream ended subscribes again
    /// at the first row it lacks, and a relay with nothing in flight sends its
    /// unacknowledged rows again.
    fn reconnect(&mut self, lose_subscribe: bool) -> Result<(), TestCaseError> {
        if self.reconnects == 0 {
            return Ok(());
        }
        self.reconnects -= 1;
        let fx = on(&mut self.relay, self.now, RELAY, |n, c| n.timer(c, Timer::Reconnect));
        let subscribed = self.absorb(fx)?;
        match (subscribed, self.stream_down) {
            (Some(from_lsn), true) => {
                if lose_subscribe {
                    prop_assert_eq!(from_lsn, self.relay_read, "a relay subscribes again from the first row it lacks");
                    self.disconnect(STORE)?;
                } else {
                    self.open_stream(from_lsn)?;
                }
            }
            (None, false) => {}
            (Some(from_lsn), false) => return Err(TestCaseError::fail(format!("resubscribed at {from_lsn} with a live stream"))),
            (None, true) => return Err(TestCaseError::fail("its stream ended, and a reconnect did not subscribe")),
        }
        Ok(())
    }

    fn take(&mut self, pick: usize) -> Option<(u64, Vec<u64>, Vec<Micros>)> {
        (!self.in_transit.is_empty()).then(|| self.in_transit.remove(pick % self.in_transit.len()))
    }

    /// The broker appends a request.
    fn append(&mut self, lsns: Vec<u64>, heartbeats: Vec<Micros>) {
        self.in_broker.extend(lsns);
        self.heartbeats_in_broker.extend(heartbeats);
    }

    /// Whether every heartbeat the current incarnation took is in the broker.
    fn heartbeats_drained(&self) -> bool {
        self.heartbeats.iter().all(|t| self.heartbeats_in_broker.contains(t))
    }

    fn ack(&mut self, pick: usize) -> Result<(), TestCaseError> {
        if let Some((request_id, lsns, heartbeats)) = self.take(pick) {
            self.append(lsns, heartbeats);
            let fx = on(&mut self.relay, self.now, RELAY, |n, c| n.message(c, BROKER, Msg::ProduceAck { request_id }));
            self.absorb(fx)?;
        }
        Ok(())
    }

    fn timeout(&mut self, pick: usize) -> Result<(), TestCaseError> {
        if !self.timeouts.is_empty() {
            let at = self.timeouts.remove(pick % self.timeouts.len());
            self.now = self.now.max(at);
            let fx = on(&mut self.relay, self.now, RELAY, |n, c| n.timer(c, Timer::ProduceTimeout));
            self.absorb(fx)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), TestCaseError> {
        let fx = on(&mut self.relay, self.now, RELAY, |n, c| n.timer(c, Timer::OffsetFlush));
        self.absorb(fx)?;
        self.safe_at_flush = (0..).find(|lsn| !self.in_broker.contains(lsn)).expect("a gap");
        prop_assert!(
            self.relay.flushed_lsn() <= self.safe_at_flush,
            "flushed {} past {}; acked {}, in broker {:?}, outbox {}",
            self.relay.flushed_lsn(),
            self.safe_at_flush,
            self.relay.acked_lsn(),
            self.in_broker,
            self.outbox.len()
        );
        Ok(())
    }

    fn step(&mut self, step: &Step) -> Result<(), TestCaseError> {
        self.now += 100_000;
        match *step {
            Step::Commit(rows) => {
                for _ in 0..rows {
                    let lsn = self.outbox.len() as u64;
                    self.outbox.push(outbox_row(STORE_INDEX, lsn));
                }
                self.stream_rows()
            }
            Step::Ack(pick) => self.ack(pick),
            Step::AppendAckLost(pick) => {
                if let Some((_, lsns, heartbeats)) = self.take(pick) {
                    self.append(lsns, heartbeats);
                }
                Ok(())
            }
            Step::Lose(pick) => {
                self.take(pick);
                Ok(())
            }
            Step::Timeout(pick) => self.timeout(pick),
            Step::Flush => self.flush(),
            Step::Crash => self.crash_and_start(),
            Step::ResetBroker(mask) => {
                for (i, (_, lsns, heartbeats)) in std::mem::take(&mut self.in_transit).into_iter().enumerate() {
                    if mask >> (i % 64) & 1 == 1 {
                        self.append(lsns, heartbeats);
                    }
                }
                self.disconnect(BROKER)
            }
            Step::ResetStore => {
                // Delayed messages are already on their way: they still arrive.
                self.stream = None;
                self.stream_down = true;
                self.disconnect(STORE)
            }
            Step::Reconnect(lose_subscribe) => self.reconnect(lose_subscribe),
            Step::Delay => {
                self.delay_next = true;
                Ok(())
            }
            Step::Late(pick) => self.late(pick),
            Step::Heartbeat => self.heartbeat(),
        }
    }

    /// The relay crashes and restarts at once: its timers die, and so do the
    /// heartbeats it had not had acknowledged.
    fn crash_and_start(&mut self) -> Result<(), TestCaseError> {
        crash(&mut self.relay, self.now);
        self.timeouts.clear();
        self.reconnects = 0;
        self.heartbeats.clear();
        self.heartbeat_armed = false;
        self.start()
    }

    /// Fires the armed side-topic heartbeat: the relay takes one at its clock and publishes it.
    fn heartbeat(&mut self) -> Result<(), TestCaseError> {
        if !std::mem::take(&mut self.heartbeat_armed) {
            return Ok(());
        }
        self.heartbeats.push(self.now);
        let fx = on(&mut self.relay, self.now, RELAY, |n, c| n.timer(c, Timer::Heartbeat));
        let subscribed = self.absorb(fx)?;
        prop_assert!(subscribed.is_none());
        prop_assert!(self.heartbeat_armed, "the heartbeat timer is armed again");
        Ok(())
    }
}

proptest! {
    #![proptest_config(config(0x5E1A))]

    #[test]
    fn relay_publishes_every_committed_row_at_least_once_across_crashes(
        partition_key in prop_oneof![Just(PartitionKey::Store), Just(PartitionKey::StoreSku), Just(PartitionKey::RoundRobin)],
        partitions in 1u32..5,
        batch_max_rows in 1u32..6,
        heartbeat_s in prop_oneof![Just(None), (1u64..60).prop_map(Some)],
        steps in vec(step(), 1..120),
    ) {
        // Goal: at least once. Every committed outbox row ends up in a produce
        // request the broker appended; every request is a run of the log starting
        // at the first unacknowledged row; a restart subscribes from an lsn no
        // later than the first row the broker lacked at the last flush, and never
        // earlier than the previous restart; every connection reset arms one
        // `Reconnect`, a relay whose stream ended resubscribes on it, and a
        // stream message that skips rows makes it resubscribe at once, both
        // exactly from the first row it lacks. Method: a scripted store
        // (streams rows while subscribed, replays from `from_lsn` on subscribe)
        // and a scripted broker (acks, lost acks, lost requests) around a real
        // relay, with random timeouts, flushes, crash-restarts, resets of
        // either connection (told to the relay as `Input::Disconnected`, as the
        // engine does), reconnects whose `Subscribe` may be lost, and stream
        // messages delayed until later ones overtook them; then deliver the
        // late ones, ack, time out and reconnect until drained, flush and
        // restart once more: a drained, flushed relay replays nothing. With
        // the heartbeat-topic design the relay also takes a heartbeat on its
        // clock each time its timer fires (and arms it again), publishes it
        // through the same producer on the side topic's partition, keyed by
        // the store, in order, without moving the log position; once drained,
        // every heartbeat the last incarnation took is in the broker.
        let heartbeat_us = heartbeat_s.map(|s| s * US_PER_S);
        let mut h = Harness {
            relay: Relay::new(RelayConfig {
                store: STORE,
                store_index: STORE_INDEX,
                producer: ProducerConfig {
                    broker: BROKER,
                    partition_key,
                    partitions,
                    heartbeat_partition: heartbeat_us.map(|_| partitions),
                    batch_max_rows,
                    produce_timeout_us: 30_000_000,
                },
                offset_flush_interval_us: 60_000_000,
                reconnect_backoff_us: RECONNECT_BACKOFF_US,
                heartbeat_interval_us: heartbeat_us,
                idle: false,
            }),
            partition_key,
            partitions,
            batch_max_rows,
            now: 0,
            outbox: Vec::new(),
            stream: None,
            stream_down: false,
            relay_read: 0,
            late: Vec::new(),
            delay_next: false,
            in_transit: Vec::new(),
            timeouts: Vec::new(),
            reconnects: 0,
            in_broker: BTreeSet::new(),
            published: BTreeSet::new(),
            safe_at_flush: 0,
            last_from_lsn: 0,
            sku_partition: BTreeMap::new(),
            heartbeat_us,
            heartbeat_armed: false,
            heartbeats: Vec::new(),
            heartbeats_in_broker: BTreeSet::new(),
        };
        h.start()?;
        prop_assert_eq!(h.heartbeat_armed, heartbeat_us.is_some(), "a started relay arms its heartbeat with the heartbeat-topic design");
        for s in &steps {
            h.step(s)?;
        }
        // Drain: the broker answers everything, newest first; a lost request is
        // resent on its timeout or reconnect, a lost stream is reopened on reconnect.
        let total = h.outbox.len() as u64;
        for _ in 0..10_000 {
            if h.relay.acked_lsn() == total && h.heartbeats_drained() {
                break;
            }
            if !h.late.is_empty() {
                h.late(0)?;
            } else if !h.in_transit.is_empty() {
                let newest = h.in_transit.len() - 1;
                h.ack(newest)?;
            } else if !h.timeouts.is_empty() {
                let newest = h.timeouts.len() - 1;
                h.timeout(newest)?;
            } else if h.reconnects > 0 {
                h.reconnect(false)?;
            } else {
                return Err(TestCaseError::fail(format!("stuck at acked lsn {} of {total}: nothing in flight, no timer armed", h.relay.acked_lsn())));
            }
        }
        prop_assert_eq!(h.relay.acked_lsn(), total);
        prop_assert!(h.heartbeats_drained(), "heartbeats never appended: {:?}", h.heartbeats.iter().filter(|t| !h.heartbeats_in_broker.contains(t)).collect::<Vec<_>>());
        let every: BTreeSet<u64> = (0..total).collect();
        prop_assert!(h.published.is_superset(&every), "never published: {:?}", every.difference(&h.published).collect::<Vec<_>>());
        prop_assert!(h.in_broker.is_superset(&every), "never appended: {:?}", every.difference(&h.in_broker).collect::<Vec<_>>());
        h.flush()?;
        h.crash_and_start()?;
        prop_assert_eq!(h.last_from_lsn, total, "a drained, flushed relay resumes at the end of the log");
    }
}

/// A fault in [`Chain`]'s run.
#[derive(Debug, Clone, Copy)]
enum ChainFault {
    /// The store is down over `[at, at + for)`: the engine tells every node
    /// that had sent to it `Disconnected`, drops what reaches it meanwhile
    /// (telling the sender), and restarts it from its durable DB.
    StoreCrash { at_us: Micros, down_us: Micros },
    /// Store and relay cannot reach each other over `[at, at + for)`: the engine
    /// holds what is sent across, and once a link has held a message for the
    /// connection timeout the link resets: what it held is lost and both ends
    /// are told `Disconnected` (the sender first).
    Partition { at_us: Micros, for_us: Micros },
}

/// What happens next in [`Chain`].
#[derive(Debug, Clone)]
enum ChainEvent {
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: Msg,
    },
    Timer {
        node: NodeId,
        incarnation: u32,
        timer: Timer,
    },
    Disconnected {
        node: NodeId,
        peer: NodeId,
    },
    /// The link `from -> to` has held a message for the connection timeout.
    ConnectionTimeout {
        from: NodeId,
        to: NodeId,
        episode: u64,
    },
    FaultStart,
    /// The store restarts after its crash.
    Restart,
    /// The partition ends: what it held is sent on.
    Heal,
}

/// One store and its relay from `World::new` (default scenario: heartbeats
/// every 5 s, 1 s reconnect backoff), with a broker stand-in that acknowledges
/// every produce at once and records what it appended, run by a small event
/// loop that treats crashes and partitions the way `sim`'s `des` engine does.
struct Chain {
    nodes: Vec<AnyNode>,
    store: NodeId,
    relay: NodeId,
    broker: NodeId,
    incarnation: [u32; 2],
    store_down: bool,
    partitioned: bool,
    /// Messages a partition holds per link, with the link's episode.
    held: BTreeMap<(NodeId, NodeId), (u64, Vec<Msg>)>,
    episodes: u64,
    connection_timeout_us: Micros,
    /// (at, sequence, event)
    queue: Vec<(Micros, u64, ChainEvent)>,
    seq: u64,
    now: Micros,
    /// Every payload the broker appended, in order.
    appended: Vec<Payload>,
    /// `Disconnected` inputs the relay got.
    relay_resets: u32,
}

const LINK_LATENCY_US: Micros = 2_000;

impl Chain {
    fn new(seed: u64, duration_s: u64) -> Chain {
        let mut scenario = Scenario::default();
        scenario.chain.stores = 1;
        scenario.chain.skus_per_store = 20;
        scenario.design.consumers = 1;
        scenario.run.duration_s = duration_s;
        let world = World::new(&scenario, seed);
        let (store, relay, broker) = (world.layout.store(0), world.layout.relay(0), world.layout.broker());
        assert_eq!((store, relay), (0, 1));
        let mut chain = Chain {
            nodes: world.nodes.into_iter().take(2).collect(),
            store,
            relay,
            broker,
            incarnation: [0; 2],
            store_down: false,
            partitioned: false,
            held: BTreeMap::new(),
            episodes: 0,
            connection_timeout_us: scenario.network.connection_timeout_s * US_PER_S,
            queue: Vec::new(),
            seq: 0,
            now: 0,
            appended: Vec::new(),
            relay_resets: 0,
        };
        for id in [store, relay] {
            chain.handle(id, Input::Start);
        }
        chain
    }

    fn schedule(&mut self, at: Micros, event: ChainEvent) {
        self.seq += 1;
        self.queue.push((at, self.seq, event));
    }

    fn handle(&mut self, id: NodeId, input: Input) {
        if matches!(input, Input::Disconnected { .. }) && id == self.relay {
            self.relay_resets += 1;
        }
        let mut fx = Effects::default();
        self.nodes[id as usize].handle(&mut Ctx::new(self.now, id, &mut fx), input);
        let incarnation = self.incarnation[id as usize];
        for (at, _, timer) in fx.timers {
            // Node and world clocks agree here.
            self.schedule(at, ChainEvent::Timer { node: id, incarnation, timer });
        }
        for (to, msg) in fx.sends {
            self.send(id, to, msg);
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: Msg) {
        if to == self.broker {
            // The broker stand-in appends and acknowledges at once.
            if let Msg::Produce { request_id, records } = msg {
                self.appended.extend(records.iter().map(|(_, r)| r.payload));
                self.schedule(
                    self.now + 2 * LINK_LATENCY_US,
                    ChainEvent::Deliver { from: self.broker, to: from, msg: Msg::ProduceAck { request_id } },
                );
            }
            return;
        }
        if self.partitioned {
            let link = self.held.entry((from, to)).or_insert_with(|| (0, Vec::new()));
            if link.1.is_empty() {
                self.episodes += 1;
                link.0 = self.episodes;
                let episode = self.episodes;
                self.schedule(self.now + self.connection_timeout_us, ChainEvent::ConnectionTimeout { from, to, episode });
            }
            self.held.get_mut(&(from, to)).expect("inserted").1.push(msg);
            return;
        }
        self.schedule(self.now + LINK_LATENCY_US, ChainEvent::Deliver { from, to, msg });
    }

    /// Runs until `end_us` with `fault`, then lets the messages still on the
    /// wire arrive (firing no more timers), so that the heartbeat row written
    /// last is not mistaken for a lost one.
    fn run(&mut self, fault: ChainFault, end_us: Micros) {
        self.run_events(fault, end_us);
        while let Some(i) = (0..self.queue.len())
            .filter(|&i| !matches!(self.queue[i].2, ChainEvent::Timer { .. }))
            .min_by_key(|&i| (self.queue[i].0, self.queue[i].1))
        {
            let (at, _, event) = self.queue.swap_remove(i);
            self.now = self.now.max(at);
            match event {
                ChainEvent::Deliver { from, to, msg } => self.handle(to, Input::Message { from, msg }),
                other => panic!("{other:?} after the fault healed"),
            }
        }
    }

    fn run_events(&mut self, fault: ChainFault, end_us: Micros) {
        match fault {
            ChainFault::StoreCrash { at_us, down_us } => {
                self.schedule(at_us, ChainEvent::FaultStart);
                self.schedule(at_us + down_us, ChainEvent::Restart);
            }
            ChainFault::Partition { at_us, for_us } => {
                self.schedule(at_us, ChainEvent::FaultStart);
                self.schedule(at_us + for_us, ChainEvent::Heal);
            }
        }
        while let Some(i) = (0..self.queue.len()).min_by_key(|&i| (self.queue[i].0, self.queue[i].1)) {
            if self.queue[i].0 > end_us {
                break;
            }
            let (at, _, event) = self.queue.swap_remove(i);
            self.now = at;
            match event {
                ChainEvent::FaultStart => {
                    match fault {
                        ChainFault::StoreCrash { .. } => {
                            self.store_down = true;
                            self.incarnation[self.store as usize] += 1;
                            crash(&mut self.nodes[self.store as usize], self.now);
                            // The relay has sent to the store (its Subscribe): it sees the connection close.
                            self.schedule(self.now, ChainEvent::Disconnected { node: self.relay, peer: self.store });
                        }
                        ChainFault::Partition { .. } => self.partitioned = true,
                    }
                }
                ChainEvent::Heal => {
                    self.partitioned = false;
                    for ((from, to), (_, msgs)) in std::mem::take(&mut self.held) {
                        for msg in msgs {
                            self.send(from, to, msg);
                        }
                    }
                }
                ChainEvent::Restart => {
                    self.store_down = false;
                    self.handle(self.store, Input::Start);
                }
                ChainEvent::ConnectionTimeout { from, to, episode } => {
                    if self.held.get(&(from, to)).is_some_and(|(e, msgs)| *e == episode && !msgs.is_empty()) {
                        self.held.remove(&(from, to));
                        for (node, peer) in [(from, to), (to, from)] {
                            self.schedule(self.now, ChainEvent::Disconnected { node, peer });
                        }
                    }
                }
                // A down node gets no input.
                ChainEvent::Disconnected { node, .. } if node == self.store && self.store_down => {}
                ChainEvent::Disconnected { node, peer } => self.handle(node, Input::Disconnected { peer }),
                ChainEvent::Timer { node, incarnation, timer } => {
                    if incarnation == self.incarnation[node as usize] {
                        self.handle(node, Input::Timer(timer));
                    }
                }
                ChainEvent::Deliver { from, to, msg } => {
                    if to == self.store && self.store_down {
                        // Dropped at a down node: the sender's connection resets.
                        self.schedule(self.now, ChainEvent::Disconnected { node: from, peer: to });
                    } else {
                        self.handle(to, Input::Message { from, msg });
                    }
                }
            }
        }
        self.now = end_us;
    }

    fn store_db(&self) -> &system::store::StoreDb {
        match &self.nodes[self.store as usize] {
            AnyNode::Store(s) => s.db(),
            _ => unreachable!("node 0 is the store"),
        }
    }

    fn relay_node(&self) -> &Relay {
        match &self.nodes[self.relay as usize] {
            AnyNode::Relay(r) => r,
            _ => unreachable!("node 1 is the relay"),
        }
    }

    /// Every committed row reached the broker exactly once, in log order.
    fn check_published_exactly_the_log(&self) {
        let outbox: Vec<Payload> = self.store_db().outbox.iter().collect();
        assert!(outbox.len() > 100, "a busy run: {} rows", outbox.len());
        assert_eq!(self.relay_node().acked_lsn(), outbox.len() as u64, "rows committed and never acknowledged by the broker");
        assert_eq!(self.appended.len(), outbox.len(), "nothing is lost between relay and broker here, so nothing is sent twice");
        assert!(self.appended == outbox, "the broker got the outbox log in order");
    }
}

#[test]
fn relay_publishes_rows_committed_after_its_store_restarts() {
    // Goal: a store crash (which drops the relay's binlog stream, the store's
    // only volatile state) does not stop publishing: the relay is told
    // `Disconnected { peer: store }`, resubscribes after `Timer::Reconnect`,
    // keeps retrying while the store is still down, and every row committed
    // before and after the crash reaches the broker exactly once, in log order.
    // Method: `Chain` (a store and relay from `World::new`, a broker stand-in
    // that acks at once, the engine's crash behaviour: the relay is told at the
    // crash, a Subscribe that reaches the down store resets the connection
    // again, pending timers die with the old incarnation); the store is down
    // for 10 s (ten reconnect backoffs) after 10 of its 30 minutes of
    // workload, then a 5-minute drain.
    let mut chain = Chain::new(7, 1_800);
    let crash_at = 600 * US_PER_S;
    chain.run(ChainFault::StoreCrash { at_us: crash_at, down_us: 10 * US_PER_S }, (1_800 + 300) * US_PER_S);
    let after_restart = chain.store_db().outbox.iter().filter(|payload| stock(payload).is_some_and(|e| e.committed_at_us > crash_at)).count();
    assert!(after_restart > 50, "the store committed {after_restart} rows after it restarted");
    assert!(chain.relay_resets >= 5, "the relay retried while the store was down: {} resets", chain.relay_resets);
    chain.check_published_exactly_the_log();
}

#[test]
fn relay_publishes_rows_committed_after_a_partition_from_its_store() {
    // Goal: a partition between a store and its relay that outlasts the
    // connection timeout does not stop publishing for good. Method: `Chain`
    // with a 90 s partition (the default connection timeout is 30 s) after
    // 10 of 30 minutes, then a 5-minute drain; every committed row must reach
    // the broker exactly once, in log order. The store's `LogRows` (and its
    // heartbeat rows) are held and lost when the link resets; both ends are
    // told, as the engine tells them: the store drops the stream, and the relay
    // (which sends nothing to the store while subscribed, so only the notice
    // tells it) resubscribes after `Timer::Reconnect` from the first row it
    // lacks; while the partition lasts its Subscribe is held and reset again.
    let mut chain = Chain::new(7, 1_800);
    chain.run(ChainFault::Partition { at_us: 600 * US_PER_S, for_us: 90 * US_PER_S }, (1_800 + 300) * US_PER_S);
    assert!(chain.relay_resets >= 2, "the relay was told of {} resets", chain.relay_resets);
    chain.check_published_exactly_the_log();
}
