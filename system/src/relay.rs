//! The CDC relay of one store (Debezium's outbox event router on Kafka Connect).
//!
//! It streams the store's outbox log in commit order (the DB pushes rows, as a
//! binlog does) and publishes each row through its [`Producer`] (at least
//! once). Every `offset.flush.interval` it flushes the position of what the
//! broker has acknowledged: that flushed offset (in the log of one DB epoch)
//! is its only durable state, so after a crash it resumes from it and
//! publishes again what came after. With the heartbeat-topic design it also
//! publishes a heartbeat on a side topic every interval (Debezium's
//! `heartbeat.interval.ms`).

use crate::Micros;
use crate::message::{Msg, NodeId, OutboxRow, Payload};
use crate::node::{Ctx, Input, Node, Op, Reconnect, Timer};
use crate::producer::{Producer, ProducerConfig};
use std::collections::VecDeque;

/// Parameters of one relay, from the scenario.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub store: NodeId,
    pub store_index: u32,
    pub producer: ProducerConfig,
    pub offset_flush_interval_us: Micros,
    pub reconnect_backoff_us: Micros,
    /// Publish a heartbeat on the side topic this often.
    pub heartbeat_interval_us: Option<Micros>,
    /// A dual-writing store publishes itself: the relay stays idle.
    pub idle: bool,
}

/// A relay node.
#[derive(Debug, Clone)]
pub struct Relay {
    config: RelayConfig,
    // durable (Connect's offsets topic): a position in one epoch's log
    flushed_epoch: u32,
    flushed_lsn: u64,
    // volatile
    producer: Producer,
    /// The epoch of the log being read.
    epoch: u32,
    /// What the producer holds, in its order: the lsn of each log row (None for a side-topic heartbeat).
    unacknowledged: VecDeque<Option<u64>>,
    /// The next lsn expected from the log stream.
    read_lsn: u64,
    /// Every row before this lsn is acknowledged by the broker.
    acked_lsn: u64,
    /// Whether the binlog stream is open.
    subscribed: bool,
    reconnect: Reconnect,
}

impl Relay {
    pub fn new(config: RelayConfig) -> Self {
        let producer = Producer::new(config.producer.clone(), config.store_index);
        Relay {
            config,
            flushed_epoch: 0,
            flushed_lsn: 0,
            producer,
            epoch: 0,
            unacknowledged: VecDeque::new(),
            read_lsn: 0,
            acked_lsn: 0,
            subscribed: false,
            reconnect: Reconnect::default(),
        }
    }

    /// Rows acknowledged by the broker (everything before this lsn).
    pub fn acked_lsn(&self) -> u64 {
        self.acked_lsn
    }

    /// The durable source offset (what a restart resumes from).
    pub fn flushed_lsn(&self) -> u64 {
        self.flushed_lsn
    }

    /// Opens the binlog stream at the position read so far.
    fn subscribe(&mut self, ctx: &mut Ctx) {
        self.subscribed = true;
        ctx.send(self.config.store, Msg::Subscribe { epoch: self.epoch, from_lsn: self.read_lsn });
    }

    fn forget_volatile(&mut self) {
        self.reconnect.clear();
        self.producer.crash();
        self.unacknowledged.clear();
        self.subscribed = false;
    }
}

impl Node for Relay {
    fn start(&mut self, ctx: &mut Ctx) {
        if self.config.idle {
            return;
        }
        self.epoch = self.flushed_epoch;
        self.read_lsn = self.flushed_lsn;
        self.acked_lsn = self.flushed_lsn;
        self.subscribe(ctx);
        ctx.set_timer_after(self.config.offset_flush_interval_us, Timer::OffsetFlush);
        if let Some(interval) = self.config.heartbeat_interval_us {
            ctx.set_timer_after(interval, Timer::Heartbeat);
        }
    }

    fn message(&mut self, ctx: &mut Ctx, _from: NodeId, msg: Msg) {
        match msg {
            Msg::LogReset { epoch } => {
                // The DB was restored: read its new log from the start (a new snapshot).
                self.epoch = epoch;
                self.producer.clear();
                self.unacknowledged.clear();
                self.read_lsn = 0;
                self.acked_lsn = 0;
            }
            Msg::LogRows { epoch, rows } => {
                if epoch != self.epoch {
                    return;
                }
                let mut gap = false;
                for OutboxRow { lsn, payload } in rows {
                    // The stream may repeat rows after a resubscribe; keep log order, no gaps.
                    if lsn == self.read_lsn {
                        self.producer.push(payload);
                        self.unacknowledged.push_back(Some(lsn));
                        self.read_lsn += 1;
                    } else if lsn > self.read_lsn {
                        gap = true;
                    }
                }
                if gap {
                    // A broken stream: read again from where this relay is.
                    self.subscribe(ctx);
                }
                self.producer.publish(ctx);
            }
            Msg::ProduceAck { request_id } => {
                let rows = self.producer.acknowledged(ctx, request_id);
                // Side-topic heartbeats have no lsn; only log rows move the position.
                for lsn in self.unacknowledged.drain(..rows.min(self.unacknowledged.len())).flatten() {
                    self.acked_lsn = lsn + 1;
                }
            }
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::OffsetFlush => {
                self.flushed_epoch = self.epoch;
                self.flushed_lsn = self.acked_lsn;
                ctx.set_timer_after(self.config.offset_flush_interval_us, Timer::OffsetFlush);
            }
            Timer::ProduceTimeout => self.producer.timer_fired(ctx),
            Timer::Heartbeat => {
                if let Some(interval) = self.config.heartbeat_interval_us {
                    self.producer.push(Payload::RelayHeartbeat { store: self.config.store_index, relay_ts_us: ctx.now_us });
                    self.unacknowledged.push_back(None);
                    self.producer.publish(ctx);
                    ctx.set_timer_after(interval, Timer::Heartbeat);
                }
            }
            Timer::Reconnect => {
                self.reconnect.clear();
                if !self.subscribed {
                    self.subscribe(ctx);
                }
                self.producer.publish(ctx);
            }
            _ => {}
        }
    }

    fn disconnected(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if peer == self.producer.broker() {
            self.producer.disconnected();
        } else if peer == self.config.store {
            self.subscribed = false;
        }
        self.reconnect.arm(ctx, self.config.reconnect_backoff_us);
    }

    fn crash(&mut self, _now_us: Micros) {
        self.forget_volatile();
        self.epoch = self.flushed_epoch;
        self.read_lsn = self.flushed_lsn;
        self.acked_lsn = self.flushed_lsn;
    }

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Message { msg: msg @ Msg::LogRows { .. }, .. } => (Op::RelayRead, msg.units()),
            _ => (Op::Free, 1),
        }
    }
}
