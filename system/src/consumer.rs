//! A consumer group member: joins the group, long-polls its partitions and
//! hands each batch to its sink, committing offsets by the design's policy.
//!
//! Central's consumers apply batches to central and commit after central
//! acknowledged the apply (at least once), or auto-commit the positions
//! fetched so far every few seconds (at most once for what was fetched and not
//! yet applied). A mirror (MirrorMaker-like) is the same member with the
//! central broker as its sink: it produces each batch there under the store's
//! topic and commits the offsets the central broker acknowledged on an
//! interval, so a restart replays (duplicates) what came after.
//!
//! It has no durable state: positions come from the group's committed offsets
//! at every assignment. A batch handed on under a generation the group has
//! left behind still lands (a zombie write); only its commit is refused.

use crate::Micros;
use crate::message::{BrokerRecord, Msg, NodeId, Payload};
use crate::node::{Ctx, Input, Node, Op, Reconnect, Timer};
use std::collections::BTreeMap;

/// Where fetched batches go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// Apply to central.
    Central(NodeId),
    /// Produce to another broker, partition `p` of this member's source becoming `first_partition + p`.
    Broker { broker: NodeId, first_partition: u32 },
}

/// When offsets are committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitPolicy {
    /// After the sink acknowledged the batch.
    AfterSink,
    /// Every interval, the positions fetched so far (Kafka's `enable.auto.commit`).
    AutoFetched { interval_us: Micros },
    /// Every interval, the positions the sink acknowledged (Connect's offset flush, as MirrorMaker).
    PeriodicAcknowledged { interval_us: Micros },
}

/// Parameters of one member, from the scenario.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub broker: NodeId,
    pub sink: Sink,
    pub fetch_max_records: u32,
    pub heartbeat_interval_us: Micros,
    pub commit: CommitPolicy,
    pub reconnect_backoff_us: Micros,
    /// The design has no consumer group (a baseline): the member never joins.
    pub idle: bool,
}

/// A batch handed to the sink and not yet acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Handing {
    request_id: u64,
    generation: u32,
    /// Kept to send again if the connection to the sink resets.
    records: Vec<(u32, u64, BrokerRecord)>,
    /// The next offset per partition once this batch is through.
    offsets: Vec<(u32, u64)>,
}

/// A consumer node.
#[derive(Debug, Clone)]
pub struct Consumer {
    config: ConsumerConfig,
    // volatile (all of it)
    generation: Option<u32>,
    /// Next offset to fetch per assigned partition.
    positions: BTreeMap<u32, u64>,
    /// Offsets through the sink per partition (for the periodic commit).
    acknowledged: BTreeMap<u32, u64>,
    fetching: Option<u64>,
    handing: Option<Handing>,
    /// The connection to the sink reset while a batch was on its way: send it again.
    resend: bool,
    reconnect: Reconnect,
    next_request_id: u64,
    /// Records fetched so far (metrics).
    pub records_fetched: u64,
}

impl Consumer {
    pub fn new(config: ConsumerConfig) -> Self {
        Consumer {
            config,
            generation: None,
            positions: BTreeMap::new(),
            acknowledged: BTreeMap::new(),
            fetching: None,
            handing: None,
            resend: false,
            reconnect: Reconnect::default(),
            next_request_id: 0,
            records_fetched: 0,
        }
    }

    /// The broker this member consumes from.
    pub fn source(&self) -> NodeId {
        self.config.broker
    }

    /// Per partition, the offset up to which the sink has acknowledged everything.
    pub fn acknowledged(&self) -> &BTreeMap<u32, u64> {
        &self.acknowledged
    }

    /// Whether a fetched batch is still on its way into the sink.
    pub fn is_applying(&self) -> bool {
        self.handing.is_some()
    }

    fn request_id(&mut self) -> u64 {
        self.next_request_id += 1;
        self.next_request_id
    }

    fn sink_node(&self) -> NodeId {
        match self.config.sink {
            Sink::Central(node) | Sink::Broker { broker: node, .. } => node,
        }
    }

    /// Starts the next long poll if the member has partitions and nothing outstanding.
    fn fetch(&mut self, ctx: &mut Ctx) {
        let Some(generation) = self.generation else { return };
        if self.fetching.is_some() || self.handing.is_some() || self.positions.is_empty() {
            return;
        }
        let request_id = self.request_id();
        self.fetching = Some(request_id);
        let positions = self.positions.iter().map(|(&p, &o)| (p, o)).collect();
        ctx.send(self.config.broker, Msg::Fetch { request_id, generation, positions, max_records: self.config.fetch_max_records });
    }

    fn hand(&self, ctx: &mut Ctx, handing: &Handing) {
        let request_id = handing.request_id;
        match self.config.sink {
            Sink::Central(central) => {
                let events: Vec<Payload> = handing.records.iter().map(|(_, _, record)| record.payload).collect();
                ctx.send(central, Msg::Apply { request_id, events });
            }
            Sink::Broker { broker, first_partition } => {
                let records = handing.records.iter().map(|&(p, _, record)| (first_partition + p, record)).collect();
                ctx.send(broker, Msg::Produce { request_id, records });
            }
        }
    }

    fn commit(&self, ctx: &mut Ctx, generation: u32, offsets: Vec<(u32, u64)>) {
        if !offsets.is_empty() {
            ctx.send(self.config.broker, Msg::CommitOffsets { generation, offsets });
        }
    }

    fn forget_group(&mut self) {
        self.generation = None;
        self.positions.clear();
        self.acknowledged.clear();
        self.fetching = None;
    }

    /// The sink acknowledged `request_id`.
    fn sink_acknowledged(&mut self, ctx: &mut Ctx, request_id: u64) {
        let Some(handing) = self.handing.take_if(|h| h.request_id == request_id) else { return };
        self.resend = false;
        if self.generation == Some(handing.generation) {
            self.acknowledged.extend(handing.offsets.iter().copied());
        }
        if self.config.commit == CommitPolicy::AfterSink {
            self.commit(ctx, handing.generation, handing.offsets);
        }
        self.fetch(ctx);
    }
}

impl Node for Consumer {
    fn start(&mut self, ctx: &mut Ctx) {
        if self.config.idle {
            return;
        }
        ctx.send(self.config.broker, Msg::JoinGroup);
        ctx.set_timer_after(self.config.heartbeat_interval_us, Timer::GroupHeartbeat);
        match self.config.commit {
            CommitPolicy::AutoFetched { interval_us } | CommitPolicy::PeriodicAcknowledged { interval_us } => {
                ctx.set_timer_after(interval_us, Timer::AutoCommit);
            }
            CommitPolicy::AfterSink => {}
        }
    }

    fn message(&mut self, ctx: &mut Ctx, _from: NodeId, msg: Msg) {
        match msg {
            Msg::Assignment { generation, partitions } => {
                self.generation = Some(generation);
                self.positions = partitions.iter().copied().collect();
                self.acknowledged = partitions.into_iter().collect();
                self.fetching = None;
                self.fetch(ctx);
            }
            Msg::RejoinGroup => {
                self.forget_group();
                ctx.send(self.config.broker, Msg::JoinGroup);
            }
            Msg::Fetched { request_id, generation, records } => {
                if self.fetching != Some(request_id) {
                    return;
                }
                self.fetching = None;
                if Some(generation) != self.generation || records.is_empty() {
                    self.fetch(ctx);
                    return;
                }
                self.records_fetched += records.len() as u64;
                // The next offset per partition, in partition order (records come in offset order per partition).
                let mut offsets: Vec<(u32, u64)> = Vec::new();
                for &(partition, offset, _) in &records {
                    match offsets.iter_mut().find(|(p, _)| *p == partition) {
                        Some((_, next)) => *next = offset + 1,
                        None => offsets.push((partition, offset + 1)),
                    }
                }
                offsets.sort_unstable_by_key(|&(partition, _)| partition);
                for &(partition, next) in &offsets {
                    self.positions.insert(partition, next);
                }
                let request_id = self.request_id();
                let handing = Handing { request_id, generation, records, offsets };
                self.hand(ctx, &handing);
                self.handing = Some(handing);
            }
            Msg::Applied { request_id } | Msg::ProduceAck { request_id } => self.sink_acknowledged(ctx, request_id),
            // A zombie learns it was left behind: it joins again to learn the current generation.
            Msg::CommitFailed { generation } if self.generation == Some(generation) => {
                self.forget_group();
                ctx.send(self.config.broker, Msg::JoinGroup);
            }
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::GroupHeartbeat => {
                if let Some(generation) = self.generation {
                    ctx.send(self.config.broker, Msg::Heartbeat { generation });
                }
                ctx.set_timer_after(self.config.heartbeat_interval_us, Timer::GroupHeartbeat);
            }
            Timer::AutoCommit => {
                let (positions, interval_us) = match self.config.commit {
                    CommitPolicy::AutoFetched { interval_us } => (&self.positions, interval_us),
                    CommitPolicy::PeriodicAcknowledged { interval_us } => (&self.acknowledged, interval_us),
                    CommitPolicy::AfterSink => return,
                };
                if let Some(generation) = self.generation {
                    let offsets = positions.iter().map(|(&p, &o)| (p, o)).collect();
                    self.commit(ctx, generation, offsets);
                }
                ctx.set_timer_after(interval_us, Timer::AutoCommit);
            }
            Timer::Reconnect => {
                self.reconnect.clear();
                if self.generation.is_none() {
                    // The join may have been lost with the connection.
                    ctx.send(self.config.broker, Msg::JoinGroup);
                }
                if std::mem::take(&mut self.resend)
                    && let Some(handing) = &self.handing
                {
                    // Hand the same batch on again: at least once.
                    self.hand(ctx, handing);
                }
                if let (CommitPolicy::AfterSink, Some(generation)) = (self.config.commit, self.generation) {
                    // A commit may have been lost with the connection: send the last one again.
                    let offsets = self.acknowledged.iter().map(|(&p, &o)| (p, o)).collect();
                    self.commit(ctx, generation, offsets);
                }
                self.fetch(ctx);
            }
            _ => {}
        }
    }

    fn disconnected(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if peer == self.config.broker {
            self.fetching = None;
        }
        if peer == self.sink_node() && self.handing.is_some() {
            self.resend = true;
        }
        self.reconnect.arm(ctx, self.config.reconnect_backoff_us);
    }

    fn crash(&mut self, _now_us: Micros) {
        self.reconnect.clear();
        self.forget_group();
        self.handing = None;
        self.resend = false;
    }

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Message { msg: msg @ Msg::Fetched { .. }, .. } => (Op::ConsumerDecode, msg.units()),
            _ => (Op::Free, 1),
        }
    }
}
