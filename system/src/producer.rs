//! A Kafka producer as the relay (and a dual-writing store app) uses it:
//! payloads queue in order, one request in flight (Kafka Connect's
//! `max.in.flight = 1`), a batch of at most `batch_max_rows`, each record keyed
//! by the design's partition key, and the same rows sent again when no
//! acknowledgement comes within the request timeout (idempotence off, so a
//! resend can land twice). All of it is volatile.

use crate::Micros;
use crate::message::{BrokerRecord, Key, Msg, NodeId, Payload};
use crate::node::{Ctx, Timer};
use crate::partitioner::partition_for;
use scenarios::PartitionKey;
use std::collections::VecDeque;

/// Where and how a producer publishes.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    pub broker: NodeId,
    pub partition_key: PartitionKey,
    /// Partitions of the stock topic.
    pub partitions: u32,
    /// The partition of the side heartbeat topic, if the design has one.
    pub heartbeat_partition: Option<u32>,
    pub batch_max_rows: u32,
    pub produce_timeout_us: Micros,
}

/// A produce request the broker has not acknowledged yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InFlight {
    request_id: u64,
    rows: usize,
    /// When it times out unless acknowledged.
    deadline_us: Micros,
}

/// The producer.
#[derive(Debug, Clone)]
pub struct Producer {
    config: ProducerConfig,
    /// The partition of every record keyed by this store.
    store_partition: u32,
    pending: VecDeque<Payload>,
    in_flight: Option<InFlight>,
    /// When the one pending `ProduceTimeout` timer fires, if one is: a timer
    /// per request would mostly fire after its acknowledgement.
    timeout_timer_us: Option<Micros>,
    next_request_id: u64,
    round_robin: u32,
}

impl Producer {
    pub fn new(config: ProducerConfig, store_index: u32) -> Self {
        let store_partition = partition_for(format!("store-{store_index}").as_bytes(), config.partitions);
        Producer { config, store_partition, pending: VecDeque::new(), in_flight: None, timeout_timer_us: None, next_request_id: 0, round_robin: 0 }
    }

    pub fn broker(&self) -> NodeId {
        self.config.broker
    }

    /// Payloads queued or in flight, not yet acknowledged.
    pub fn unacknowledged(&self) -> usize {
        self.pending.len()
    }

    pub fn push(&mut self, payload: Payload) {
        self.pending.push_back(payload);
    }

    fn key_and_partition(&mut self, payload: &Payload) -> (Key, u32) {
        let store = payload.store();
        match (self.config.partition_key, payload) {
            (_, Payload::RelayHeartbeat { .. }) => (Key::Store(store), self.config.heartbeat_partition.unwrap_or(self.store_partition)),
            (PartitionKey::StoreSku, Payload::Stock(event) | Payload::Snapshot(event)) => {
                let key = format!("store-{}|sku-{}", event.store, event.sku);
                (Key::StoreSku(event.store, event.sku), partition_for(key.as_bytes(), self.config.partitions))
            }
            (PartitionKey::RoundRobin, _) => {
                self.round_robin = (self.round_robin + 1) % self.config.partitions.max(1);
                (Key::None, self.round_robin)
            }
            // The store key, and an outbox heartbeat whatever the stock events use.
            _ => (Key::Store(store), self.store_partition),
        }
    }

    /// Sends the next batch if nothing is in flight.
    pub fn publish(&mut self, ctx: &mut Ctx) {
        if self.in_flight.is_some() || self.pending.is_empty() {
            return;
        }
        let rows = self.pending.len().min(self.config.batch_max_rows as usize);
        let payloads: Vec<Payload> = self.pending.iter().take(rows).copied().collect();
        let records = payloads
            .into_iter()
            .map(|payload| {
                let (key, partition) = self.key_and_partition(&payload);
                (partition, BrokerRecord { key, payload })
            })
            .collect();
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        let deadline_us = ctx.now_us.saturating_add(self.config.produce_timeout_us);
        self.in_flight = Some(InFlight { request_id, rows, deadline_us });
        ctx.send(self.config.broker, Msg::Produce { request_id, records });
        self.arm_timeout(ctx);
    }

    /// Arms the timeout timer for the request in flight, unless a timer that
    /// fires no later is pending (a node's clock can be set back).
    fn arm_timeout(&mut self, ctx: &mut Ctx) {
        let Some(in_flight) = self.in_flight else { return };
        if self.timeout_timer_us.is_none_or(|pending| pending > in_flight.deadline_us) {
            self.timeout_timer_us = Some(in_flight.deadline_us);
            ctx.set_timer_at(in_flight.deadline_us, Timer::ProduceTimeout);
        }
    }

    /// The broker acknowledged `request_id`: returns how many payloads it covered, and sends the next batch.
    pub fn acknowledged(&mut self, ctx: &mut Ctx, request_id: u64) -> usize {
        let Some(in_flight) = self.in_flight.filter(|f| f.request_id == request_id) else { return 0 };
        self.pending.drain(..in_flight.rows);
        self.in_flight = None;
        self.publish(ctx);
        in_flight.rows
    }

    /// The timeout timer fired: a request unacknowledged past its deadline is
    /// sent again (its rows may land twice); one still within it is waited for.
    pub fn timer_fired(&mut self, ctx: &mut Ctx) {
        self.timeout_timer_us = None;
        if self.in_flight.is_some_and(|f| f.deadline_us <= ctx.now_us) {
            self.in_flight = None;
            self.publish(ctx);
        }
        self.arm_timeout(ctx);
    }

    /// The connection reset: the request in flight is lost (or landed without an ack).
    pub fn disconnected(&mut self) {
        self.in_flight = None;
    }

    /// Everything queued is forgotten (a log reset); a pending timer stays pending.
    pub fn clear(&mut self) {
        self.pending.clear();
        self.in_flight = None;
    }

    /// A crash: everything queued is forgotten, and the timers died with the node.
    pub fn crash(&mut self) {
        self.clear();
        self.timeout_timer_us = None;
    }
}
