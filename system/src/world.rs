//! Every node of one chain, built from a scenario and a seed, and the
//! god's-eye queries an engine needs: is the pipeline drained, and what each
//! node holds (for checkers and metrics). Nodes never call these.

use crate::broker::{Broker, BrokerConfig};
use crate::central::{Central, CentralConfig};
use crate::consumer::{CommitPolicy, Consumer, ConsumerConfig, Sink};
use crate::customers::{Customers, CustomersConfig};
use crate::layout::{Layout, Role};
use crate::message::{Msg, NodeId};
use crate::node::{Ctx, Input, Node, Op, Timer};
use crate::orders::OrderDeskConfig;
use crate::producer::ProducerConfig;
use crate::relay::{Relay, RelayConfig};
use crate::rng::stream;
use crate::store::{Store, StoreConfig, SyncConfig};
use crate::workload::{TillWorkload, WorkloadConfig};
use crate::{Micros, US_PER_MS, US_PER_S};
use rand::RngExt;
use scenarios::{BrokerAcks, EventId, Freshness, HoldMode, OffsetCommit, Outbox, Pipeline, Repair, Scenario, Topology};

/// Any node, so that an engine holds them in one vector.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // one vector of nodes, touched per event: no boxes to chase
pub enum AnyNode {
    Store(Store),
    Relay(Relay),
    Broker(Broker),
    Central(Central),
    Customers(Customers),
    Consumer(Consumer),
}

macro_rules! each_node {
    ($self:expr, $node:ident => $body:expr) => {
        match $self {
            AnyNode::Store($node) => $body,
            AnyNode::Relay($node) => $body,
            AnyNode::Broker($node) => $body,
            AnyNode::Central($node) => $body,
            AnyNode::Customers($node) => $body,
            AnyNode::Consumer($node) => $body,
        }
    };
}

impl Node for AnyNode {
    fn start(&mut self, ctx: &mut Ctx) {
        each_node!(self, node => node.start(ctx))
    }
    fn message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        each_node!(self, node => node.message(ctx, from, msg))
    }
    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        each_node!(self, node => node.timer(ctx, timer))
    }
    fn disconnected(&mut self, ctx: &mut Ctx, peer: NodeId) {
        each_node!(self, node => node.disconnected(ctx, peer))
    }
    fn crash(&mut self, now_us: Micros) {
        each_node!(self, node => node.crash(now_us))
    }
    fn cost(&self, input: &Input) -> (Op, u32) {
        each_node!(self, node => node.cost(input))
    }
}

/// The nodes of one chain.
#[derive(Debug, Clone)]
pub struct World {
    pub layout: Layout,
    pub nodes: Vec<AnyNode>,
    pipeline: Pipeline,
}

/// Partitions of one stock topic, plus the side heartbeat topic's one when the design has it.
fn topic_width(scenario: &Scenario) -> u32 {
    scenario.design.partitions + u32::from(scenario.design.freshness == Freshness::RelayHeartbeatTopic)
}

impl World {
    /// Builds every node; all randomness comes from streams of `seed`.
    pub fn new(scenario: &Scenario, seed: u64) -> World {
        let c = &scenario.chain;
        let d = &scenario.design;
        let mirrors = d.topology == Topology::PerStoreBrokerMirror;
        let layout = Layout { stores: c.stores, consumers: d.consumers, mirrors };
        let cdc = d.pipeline == Pipeline::Cdc;
        let workload_end_us = scenario.run.duration_s * US_PER_S;
        let reconnect_backoff_us = scenario.network.reconnect_backoff_ms * US_PER_MS;
        let width = topic_width(scenario);
        // Each store's initial on_hand per SKU, drawn from its own stream: the
        // store and central each draw it (never the chain's whole table at once).
        let initial = |store: u32| {
            let mut rng = stream(seed, &format!("initial/store-{store}"));
            (0..c.skus_per_store).map(move |_| i64::from(rng.random_range(c.initial_on_hand_min..=c.initial_on_hand_max)))
        };
        let workload = WorkloadConfig {
            skus: c.skus_per_store,
            lines_per_transaction: c.lines_per_transaction,
            zipf_exponent: c.zipf_exponent,
            till_transactions_per_hour: c.till_transactions_per_store_per_hour,
            random_restocks_per_hour: c.random_restocks_per_store_per_hour,
            restock_quantity: (c.restock_quantity_min, c.restock_quantity_max),
            delivery_first_at_us: c.delivery_first_at_s * US_PER_S,
            delivery_duration_us: c.delivery_duration_s * US_PER_S,
            reorder_point: c.delivery_reorder_point,
            order_up_to: c.delivery_order_up_to,
            end_us: workload_end_us,
        };
        // Where a store's events are produced: the shared broker, or its own.
        let producer = |store: u32| ProducerConfig {
            broker: if mirrors { layout.store_broker(store) } else { layout.broker() },
            partition_key: d.partition_key,
            partitions: d.partitions,
            heartbeat_partition: (d.freshness == Freshness::RelayHeartbeatTopic).then_some(d.partitions),
            batch_max_rows: scenario.relay.batch_max_rows,
            produce_timeout_us: scenario.relay.produce_timeout_s * US_PER_S,
        };
        // A store's own broker is one node: its crash loses the tail the OS had not written back.
        let broker = |partitions: u32, in_store: bool| {
            AnyNode::Broker(Broker::new(BrokerConfig {
                partitions,
                fetch_max_wait_us: scenario.consumer.fetch_max_wait_ms * US_PER_MS,
                session_timeout_us: scenario.consumer.session_timeout_ms * US_PER_MS,
                session_check_interval_us: scenario.consumer.heartbeat_interval_ms * US_PER_MS,
                acks_leader: in_store || d.broker_acks == BrokerAcks::Leader,
                replication_lag_us: if in_store { scenario.broker.store_broker_unflushed_ms } else { scenario.broker.replication_lag_ms } * US_PER_MS,
            }))
        };
        let member = |source: NodeId, sink: Sink, commit: CommitPolicy| ConsumerConfig {
            broker: source,
            sink,
            fetch_max_records: scenario.consumer.fetch_max_records,
            heartbeat_interval_us: scenario.consumer.heartbeat_interval_ms * US_PER_MS,
            commit,
            reconnect_backoff_us,
            idle: !cdc,
        };
        let dual_write = d.outbox == Outbox::DualWrite;
        let nodes = (0..layout.count())
            .map(|id| match layout.role(id) {
                Role::Store(i) => AnyNode::Store(Store::new(
                    StoreConfig {
                        index: i,
                        epoch_in_version: d.event_id == EventId::StoreSkuIncrementEpoch,
                        heartbeat_interval_us: (cdc && d.freshness == Freshness::OutboxHeartbeat).then_some(d.heartbeat_interval_s * US_PER_S),
                        reconciliation_interval_us: (cdc && d.repair == Repair::Reconciliation).then_some(d.reconciliation_interval_s * US_PER_S),
                        dual_write: (cdc && dual_write).then(|| producer(i)),
                        reconnect_backoff_us,
                        sync: (d.pipeline == Pipeline::SyncMultimaster)
                            .then_some(SyncConfig { certifier: layout.central(), suspect_timeout_us: d.suspect_timeout_ms * US_PER_MS }),
                        holds_block_tills: d.hold == HoldMode::Hard,
                        pick_delay_us: scenario.online.pick_delay_s * US_PER_S,
                        order_answers_to: (d.pipeline == Pipeline::LegacyBatch).then_some(layout.central()),
                    },
                    initial(i).collect(),
                    TillWorkload::new(&workload, stream(seed, &format!("till/store-{i}"))),
                )),
                Role::Relay(i) => AnyNode::Relay(Relay::new(RelayConfig {
                    store: layout.store(i),
                    store_index: i,
                    producer: producer(i),
                    offset_flush_interval_us: scenario.relay.offset_flush_interval_s * US_PER_S,
                    reconnect_backoff_us,
                    heartbeat_interval_us: (d.freshness == Freshness::RelayHeartbeatTopic).then_some(d.heartbeat_interval_s * US_PER_S),
                    idle: !cdc || dual_write,
                })),
                Role::Broker => broker(if mirrors { width * c.stores } else { width }, false),
                Role::StoreBroker(_) => broker(width, true),
                Role::Central => AnyNode::Central(Central::from_snapshot(
                    CentralConfig {
                        stores: c.stores,
                        skus_per_store: c.skus_per_store,
                        store_nodes: (0..c.stores).map(|i| layout.store(i)).collect(),
                        event_semantics: d.event_semantics,
                        idempotency: d.idempotency,
                        freshness: d.freshness,
                        stale_after_us: d.stale_after_s * US_PER_S,
                        health_check_interval_us: d.heartbeat_interval_s * US_PER_S,
                        batch_interval_us: (d.pipeline == Pipeline::LegacyBatch).then_some(d.batch_interval_s * US_PER_S),
                        certify_timeout_us: (d.pipeline == Pipeline::SyncMultimaster).then_some(d.suspect_timeout_ms * US_PER_MS),
                        orders: OrderDeskConfig::new((0..c.stores).map(|i| layout.store(i)).collect(), c.skus_per_store, d, &scenario.online),
                    },
                    (0..c.stores).flat_map(initial),
                )),
                Role::Customers => AnyNode::Customers(Customers::new(
                    CustomersConfig {
                        central: layout.central(),
                        stores: c.stores,
                        skus_per_store: c.skus_per_store,
                        zipf_exponent: c.zipf_exponent,
                        reads_per_second: scenario.online.reads_per_second,
                        orders_per_second: scenario.online.orders_per_second,
                        order_units_max: scenario.online.order_units_max,
                        promotion_skus: scenario.online.promotion_skus,
                        promotion_share: scenario.online.promotion_share,
                        end_us: workload_end_us,
                    },
                    stream(seed, "online/reads"),
                    stream(seed, "online/orders"),
                )),
                Role::Consumer(_) => AnyNode::Consumer(Consumer::new(member(
                    layout.broker(),
                    Sink::Central(layout.central()),
                    match d.offset_commit {
                        OffsetCommit::AfterApply => CommitPolicy::AfterSink,
                        OffsetCommit::Auto => CommitPolicy::AutoFetched { interval_us: d.auto_commit_interval_ms * US_PER_MS },
                    },
                ))),
                Role::Mirror(i) => AnyNode::Consumer(Consumer::new(member(
                    layout.store_broker(i),
                    Sink::Broker { broker: layout.broker(), first_partition: i * width },
                    CommitPolicy::PeriodicAcknowledged { interval_us: d.mirror_offset_commit_interval_s * US_PER_S },
                ))),
            })
            .collect();
        World { layout, nodes, pipeline: d.pipeline }
    }

    /// Lets every broker partition and store binlog move sealed chunks to `cold` (see [`crate::compact_log`]).
    pub fn attach_cold_store(&mut self, cold: &std::sync::Arc<dyn crate::compact_log::ColdStore>) {
        for node in &mut self.nodes {
            match node {
                AnyNode::Broker(broker) => broker.attach_cold_store(cold),
                AnyNode::Store(store) => store.attach_cold_store(cold),
                _ => {}
            }
        }
    }

    pub fn stores(&self) -> impl Iterator<Item = &Store> {
        self.nodes.iter().filter_map(|n| if let AnyNode::Store(s) = n { Some(s) } else { None })
    }

    pub fn relays(&self) -> impl Iterator<Item = &Relay> {
        self.nodes.iter().filter_map(|n| if let AnyNode::Relay(r) = n { Some(r) } else { None })
    }

    /// Every consumer group member: central's consumers and the mirrors.
    pub fn consumers(&self) -> impl Iterator<Item = &Consumer> {
        self.nodes.iter().filter_map(|n| if let AnyNode::Consumer(c) = n { Some(c) } else { None })
    }

    /// Every broker: the central one and the stores' own.
    pub fn brokers(&self) -> impl Iterator<Item = &Broker> {
        self.nodes.iter().filter_map(|n| if let AnyNode::Broker(b) = n { Some(b) } else { None })
    }

    pub fn broker(&self) -> &Broker {
        match &self.nodes[self.layout.broker() as usize] {
            AnyNode::Broker(b) => b,
            _ => unreachable!("the layout puts the broker at its id"),
        }
    }

    pub fn store_mut(&mut self, index: u32) -> &mut Store {
        match &mut self.nodes[self.layout.store(index) as usize] {
            AnyNode::Store(s) => s,
            _ => unreachable!("the layout puts stores at their ids"),
        }
    }

    pub fn central(&self) -> &Central {
        match &self.nodes[self.layout.central() as usize] {
            AnyNode::Central(c) => c,
            _ => unreachable!("the layout puts central at its id"),
        }
    }

    /// Changes store `index` has not handed on: outbox rows not acknowledged by
    /// the broker, a dual-writing app's unsent publishes, a sync transaction
    /// being certified, a legacy change not yet pulled.
    pub fn store_backlog(&self, index: u32) -> u64 {
        let (AnyNode::Store(s), AnyNode::Relay(r)) = (&self.nodes[self.layout.store(index) as usize], &self.nodes[self.layout.relay(index) as usize])
        else {
            unreachable!("the layout puts stores and relays at their ids")
        };
        match self.pipeline {
            Pipeline::Cdc => s.unpublished().unwrap_or_else(|| (s.db().outbox.len() as u64).saturating_sub(r.acked_lsn())),
            Pipeline::LegacyBatch => u64::from(s.changed_since_snapshot()),
            Pipeline::SyncMultimaster => u64::from(s.certifying()),
        }
    }

    /// Work still in the pipeline: what the stores have not handed on, records
    /// in any broker not through to a sink, batches on their way, legacy pulls
    /// unanswered, online orders not yet ended.
    pub fn backlog(&self) -> u64 {
        let stores: u64 = (0..self.layout.stores).map(|i| self.store_backlog(i)).sum();
        let brokers: u64 = self.brokers_by_id().map(|(id, _)| self.partition_lags(id).iter().sum::<u64>()).sum();
        let central = self.central().snapshots_outstanding() + self.central().open_reservations();
        let applying = self.consumers().filter(|c| c.is_applying()).count() as u64;
        stores + brokers + central + applying
    }

    fn brokers_by_id(&self) -> impl Iterator<Item = (NodeId, &Broker)> {
        self.nodes.iter().enumerate().filter_map(|(id, n)| if let AnyNode::Broker(b) = n { Some((id as NodeId, b)) } else { None })
    }

    /// Per partition of broker `id`, records not yet through to a sink: beyond
    /// both the group's committed offset and what a member's sink acknowledged
    /// (a member may commit late, as a mirror does, or early, as auto-commit does).
    pub fn partition_lags(&self, id: NodeId) -> Vec<u64> {
        let AnyNode::Broker(broker) = &self.nodes[id as usize] else { return Vec::new() };
        let members: Vec<&Consumer> = self.consumers().filter(|c| c.source() == id).collect();
        broker
            .logs()
            .iter()
            .zip(broker.committed())
            .enumerate()
            .map(|(partition, (log, &committed))| {
                let acknowledged = members.iter().filter_map(|c| c.acknowledged().get(&(partition as u32)).copied()).max().unwrap_or(0);
                (log.len() as u64).saturating_sub(committed.max(acknowledged))
            })
            .collect()
    }
}
