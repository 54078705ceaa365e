//! A consumer group member: joins the group, long-polls its partitions,
//! applies each batch to central and commits the offsets after central
//! acknowledged the apply (at least once).
//!
//! It has no durable state: positions come from the group's committed offsets
//! at every assignment. A batch applied under a generation the group has left
//! behind is still applied (a zombie write); only its commit is refused.

use crate::message::{Msg, NodeId, Payload};
use crate::node::{Ctx, Input, Node, Op, Timer};
use crate::Micros;
use scenarios::OffsetCommit;
use std::collections::BTreeMap;

/// Parameters of one consumer, from the scenario.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub broker: NodeId,
    pub central: NodeId,
    pub fetch_max_records: u32,
    pub heartbeat_interval_us: Micros,
    pub offset_commit: OffsetCommit,
    pub reconnect_backoff_us: Micros,
}

/// A batch sent to central and not yet acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Applying {
    request_id: u64,
    generation: u32,
    /// Kept to send again if the connection to central resets.
    events: Vec<Payload>,
    /// The next offset per partition once this batch is applied.
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
    fetching: Option<u64>,
    applying: Option<Applying>,
    /// The connection to central reset while a batch was applying: send it again.
    resend_apply: bool,
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
            fetching: None,
            applying: None,
            resend_apply: false,
            next_request_id: 0,
            records_fetched: 0,
        }
    }

    /// Whether a fetched batch is still on its way into central.
    pub fn is_applying(&self) -> bool {
        self.applying.is_some()
    }

    fn request_id(&mut self) -> u64 {
        self.next_request_id += 1;
        self.next_request_id
    }

    /// Starts the next long poll if the member has partitions and nothing outstanding.
    fn fetch(&mut self, ctx: &mut Ctx) {
        let Some(generation) = self.generation else { return };
        if self.fetching.is_some() || self.applying.is_some() || self.positions.is_empty() {
            return;
        }
        let request_id = self.request_id();
        self.fetching = Some(request_id);
        let positions = self.positions.iter().map(|(&p, &o)| (p, o)).collect();
        ctx.send(self.config.broker, Msg::Fetch { request_id, generation, positions, max_records: self.config.fetch_max_records });
    }
}

impl Node for Consumer {
    fn start(&mut self, ctx: &mut Ctx) {
        ctx.send(self.config.broker, Msg::JoinGroup);
        ctx.set_timer_after(self.config.heartbeat_interval_us, Timer::GroupHeartbeat);
    }

    fn message(&mut self, ctx: &mut Ctx, _from: NodeId, msg: Msg) {
        match msg {
            Msg::Assignment { generation, partitions } => {
                self.generation = Some(generation);
                self.positions = partitions.into_iter().collect();
                self.fetching = None;
                self.fetch(ctx);
            }
            Msg::RejoinGroup => {
                self.generation = None;
                self.positions.clear();
                self.fetching = None;
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
                let mut offsets: BTreeMap<u32, u64> = BTreeMap::new();
                let events: Vec<Payload> = records
                    .into_iter()
                    .map(|(partition, offset, record)| {
                        offsets.insert(partition, offset + 1);
                        record.payload
                    })
                    .collect();
                for (&partition, &next) in &offsets {
                    self.positions.insert(partition, next);
                }
                let request_id = self.request_id();
                let offsets: Vec<(u32, u64)> = offsets.into_iter().collect();
                ctx.send(self.config.central, Msg::Apply { request_id, events: events.clone() });
                self.applying = Some(Applying { request_id, generation, events, offsets });
            }
            Msg::Applied { request_id } => {
                let Some(applying) = self.applying.take_if(|a| a.request_id == request_id) else { return };
                match self.config.offset_commit {
                    OffsetCommit::AfterApply => {
                        ctx.send(self.config.broker, Msg::CommitOffsets { generation: applying.generation, offsets: applying.offsets });
                    }
                }
                self.fetch(ctx);
            }
            // A zombie learns it was left behind: it joins again to learn the current generation.
            Msg::CommitFailed { generation } if self.generation == Some(generation) => {
                self.generation = None;
                self.positions.clear();
                self.fetching = None;
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
            Timer::Reconnect => {
                if self.generation.is_none() {
                    // The join may have been lost with the connection.
                    ctx.send(self.config.broker, Msg::JoinGroup);
                }
                if let Some(applying) = self.applying.as_ref().filter(|_| std::mem::take(&mut self.resend_apply)) {
                    // Apply the same batch again: at least once.
                    ctx.send(self.config.central, Msg::Apply { request_id: applying.request_id, events: applying.events.clone() });
                }
                self.fetch(ctx);
            }
            _ => {}
        }
    }

    fn disconnected(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if peer == self.config.broker {
            self.fetching = None;
        } else if peer == self.config.central && self.applying.is_some() {
            self.resend_apply = true;
        }
        ctx.set_timer_after(self.config.reconnect_backoff_us, Timer::Reconnect);
    }

    fn crash(&mut self, _now_us: Micros) {
        self.resend_apply = false;
        self.generation = None;
        self.positions.clear();
        self.fetching = None;
        self.applying = None;
    }

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Message { msg: msg @ Msg::Fetched { .. }, .. } => (Op::ConsumerDecode, msg.units()),
            _ => (Op::Free, 1),
        }
    }
}
