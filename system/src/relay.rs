//! The CDC relay of one store (Debezium's outbox event router on Kafka Connect).
//!
//! It streams the store's outbox log in commit order (the DB pushes rows, as a
//! binlog does), publishes each row to the broker with the design's key, one
//! request in flight (Connect's `max.in.flight = 1`) and a resend on timeout
//! (idempotence off, so a resend can duplicate). Every
//! `offset.flush.interval` it flushes the position of what the broker has
//! acknowledged: that flushed offset is its only durable state, so after a
//! crash it resumes from it and publishes again what came after (at least once).

use crate::message::{BrokerRecord, Key, Msg, NodeId, OutboxRow, Payload};
use crate::node::{Ctx, Input, Node, Op, Timer};
use crate::partitioner::partition_for;
use crate::Micros;
use scenarios::PartitionKey;
use std::collections::VecDeque;

/// Parameters of one relay, from the scenario.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub store: NodeId,
    pub store_index: u32,
    pub broker: NodeId,
    pub partition_key: PartitionKey,
    pub partitions: u32,
    pub batch_max_rows: u32,
    pub offset_flush_interval_us: Micros,
    pub produce_timeout_us: Micros,
    pub reconnect_backoff_us: Micros,
}

/// A produce request the broker has not acknowledged yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InFlight {
    request_id: u64,
    rows: usize,
}

/// A relay node.
#[derive(Debug, Clone)]
pub struct Relay {
    config: RelayConfig,
    /// The partition every record of this store goes to when the key is the store.
    store_partition: u32,
    // durable (Connect's offsets topic): a position in one epoch's log
    flushed_epoch: u32,
    flushed_lsn: u64,
    // volatile
    /// The epoch of the log being read.
    epoch: u32,
    /// Rows read from the log and not yet acknowledged, in log order.
    pending: VecDeque<OutboxRow>,
    /// The next lsn expected from the log stream.
    read_lsn: u64,
    /// Every row before this lsn is acknowledged by the broker.
    acked_lsn: u64,
    in_flight: Option<InFlight>,
    /// Whether the binlog stream is open.
    subscribed: bool,
    next_request_id: u64,
    round_robin: u32,
}

impl Relay {
    pub fn new(config: RelayConfig) -> Self {
        let store_partition = partition_for(format!("store-{}", config.store_index).as_bytes(), config.partitions);
        Relay {
            config,
            store_partition,
            flushed_epoch: 0,
            flushed_lsn: 0,
            epoch: 0,
            pending: VecDeque::new(),
            read_lsn: 0,
            acked_lsn: 0,
            in_flight: None,
            subscribed: false,
            next_request_id: 0,
            round_robin: 0,
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

    fn key_and_partition(&mut self, payload: &Payload) -> (Key, u32) {
        let store = payload.store();
        match (self.config.partition_key, payload) {
            // A heartbeat is keyed by its store, whatever keys the stock events use.
            (PartitionKey::Store | PartitionKey::StoreSku, Payload::Heartbeat { .. }) | (PartitionKey::Store, _) => {
                (Key::Store(store), self.store_partition)
            }
            (PartitionKey::StoreSku, Payload::Stock(event)) => {
                let key = format!("store-{}|sku-{}", event.store, event.sku);
                (Key::StoreSku(event.store, event.sku), partition_for(key.as_bytes(), self.config.partitions))
            }
            (PartitionKey::RoundRobin, _) => {
                self.round_robin = (self.round_robin + 1) % self.config.partitions.max(1);
                (Key::None, self.round_robin)
            }
        }
    }

    /// Opens the binlog stream at the position read so far.
    fn subscribe(&mut self, ctx: &mut Ctx) {
        self.subscribed = true;
        ctx.send(self.config.store, Msg::Subscribe { epoch: self.epoch, from_lsn: self.read_lsn });
    }

    /// Sends the next batch if nothing is in flight.
    fn publish(&mut self, ctx: &mut Ctx) {
        if self.in_flight.is_some() || self.pending.is_empty() {
            return;
        }
        let rows = self.pending.len().min(self.config.batch_max_rows as usize);
        let payloads: Vec<Payload> = self.pending.iter().take(rows).map(|row| row.payload).collect();
        let records = payloads
            .into_iter()
            .map(|payload| {
                let (key, partition) = self.key_and_partition(&payload);
                (partition, BrokerRecord { key, payload })
            })
            .collect();
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        self.in_flight = Some(InFlight { request_id, rows });
        ctx.send(self.config.broker, Msg::Produce { request_id, records });
        ctx.set_timer_after(self.config.produce_timeout_us, Timer::ProduceTimeout { request_id });
    }
}

impl Node for Relay {
    fn start(&mut self, ctx: &mut Ctx) {
        self.epoch = self.flushed_epoch;
        self.read_lsn = self.flushed_lsn;
        self.acked_lsn = self.flushed_lsn;
        self.subscribe(ctx);
        ctx.set_timer_after(self.config.offset_flush_interval_us, Timer::OffsetFlush);
    }

    fn message(&mut self, ctx: &mut Ctx, _from: NodeId, msg: Msg) {
        match msg {
            Msg::LogReset { epoch } => {
                // The DB was restored: read its new log from the start (a new snapshot).
                self.epoch = epoch;
                self.pending.clear();
                self.in_flight = None;
                self.read_lsn = 0;
                self.acked_lsn = 0;
            }
            Msg::LogRows { epoch, rows } => {
                if epoch != self.epoch {
                    return;
                }
                let mut gap = false;
                for row in rows {
                    // The stream may repeat rows after a resubscribe; keep log order, no gaps.
                    if row.lsn == self.read_lsn {
                        self.pending.push_back(row);
                        self.read_lsn += 1;
                    } else if row.lsn > self.read_lsn {
                        gap = true;
                    }
                }
                if gap {
                    // A broken stream: read again from where this relay is.
                    self.subscribe(ctx);
                }
                self.publish(ctx);
            }
            Msg::ProduceAck { request_id } => {
                if let Some(in_flight) = self.in_flight.filter(|f| f.request_id == request_id) {
                    self.pending.drain(..in_flight.rows);
                    self.acked_lsn += in_flight.rows as u64;
                    self.in_flight = None;
                    self.publish(ctx);
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
            // No ack in time: send the same rows again (they may land twice).
            Timer::ProduceTimeout { request_id } if self.in_flight.is_some_and(|f| f.request_id == request_id) => {
                self.in_flight = None;
                self.publish(ctx);
            }
            Timer::Reconnect => {
                if !self.subscribed {
                    self.subscribe(ctx);
                }
                self.publish(ctx);
            }
            _ => {}
        }
    }

    fn disconnected(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if peer == self.config.broker {
            // The request in flight is lost (or landed without an ack): send it again later.
            self.in_flight = None;
        } else if peer == self.config.store {
            self.subscribed = false;
        }
        ctx.set_timer_after(self.config.reconnect_backoff_us, Timer::Reconnect);
    }

    fn crash(&mut self, _now_us: Micros) {
        self.pending.clear();
        self.in_flight = None;
        self.subscribed = false;
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
