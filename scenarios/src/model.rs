//! The typed scenario: every knob of a run, with the baseline chain and the
//! recommended design as defaults.
//!
//! Units are last in every name (`duration_s`, `fetch_max_wait_ms`). Every
//! struct rejects unknown keys, so a typo in a file is an error, not a default.

use crate::{Distribution, Span};
use serde::{Deserialize, Serialize};

/// One scenario file, fully resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Short name; results go to `results/<name>/<design>/seed-<N>/`.
    pub name: String,
    /// The one-line question this scenario asks (shown by `cargo xtask list`).
    pub question: String,
    pub chain: Chain,
    pub online: Online,
    pub network: Network,
    pub service: Service,
    pub workers: Workers,
    pub design: Design,
    pub relay: Relay,
    pub consumer: Consumer,
    pub broker: Broker,
    pub run: Run,
    pub checks: Checks,
    /// Swarm mode and connection behaviour under faults.
    pub faults: Faults,
    /// The explicit fault schedule: `[[fault]]` tables.
    pub fault: Vec<FaultSpec>,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            name: "baseline".into(),
            question: "How fresh is online stock for a 20-store chain on a healthy network?".into(),
            chain: Chain::default(),
            online: Online::default(),
            network: Network::default(),
            service: Service::default(),
            workers: Workers::default(),
            design: Design::default(),
            relay: Relay::default(),
            consumer: Consumer::default(),
            broker: Broker::default(),
            run: Run::default(),
            checks: Checks::default(),
            faults: Faults::default(),
            fault: Vec::new(),
        }
    }
}

/// The chain and its till workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Chain {
    pub stores: u32,
    pub skus_per_store: u32,
    /// Each SKU starts with a uniform draw in `[initial_on_hand_min, initial_on_hand_max]`.
    pub initial_on_hand_min: u32,
    pub initial_on_hand_max: u32,
    /// Poisson arrivals of till transactions.
    pub till_transactions_per_store_per_hour: f64,
    pub lines_per_transaction: u32,
    /// Zipf exponent of SKU popularity (SKU 0 is the most popular).
    pub zipf_exponent: f64,
    /// Small random restocks (returns, corrections), Poisson per store.
    pub random_restocks_per_store_per_hour: f64,
    pub restock_quantity_min: u32,
    pub restock_quantity_max: u32,
    /// The daily delivery: starts this long after the run starts, repeats every 24 h.
    pub delivery_first_at_s: u64,
    /// Over this long, every SKU below the reorder point is topped up.
    pub delivery_duration_s: u64,
    pub delivery_reorder_point: u32,
    pub delivery_order_up_to: u32,
}

impl Default for Chain {
    fn default() -> Self {
        Self {
            stores: 20,
            skus_per_store: 500,
            initial_on_hand_min: 5,
            initial_on_hand_max: 60,
            till_transactions_per_store_per_hour: 150.0,
            lines_per_transaction: 3,
            zipf_exponent: 1.0,
            random_restocks_per_store_per_hour: 4.0,
            restock_quantity_min: 6,
            restock_quantity_max: 24,
            delivery_first_at_s: 3600,
            delivery_duration_s: 600,
            delivery_reorder_point: 10,
            delivery_order_up_to: 60,
        }
    }
}

/// Online customers: stock reads and orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Online {
    /// Poisson stock reads across the whole chain (store uniform, SKU by popularity).
    pub reads_per_second: f64,
    /// Poisson online orders across the whole chain (0: no orders). Each order
    /// names a home store (uniform), a SKU (by popularity, or a promoted one)
    /// and 1 to `order_units_max` units.
    pub orders_per_second: f64,
    pub order_units_max: u32,
    /// Which stores an order may be served from, in the order central tries them.
    pub store_choice: StoreChoice,
    /// Stores central tries per order before it rejects it (`nearest`, `most_stock`).
    pub stores_tried_max: u32,
    /// Promotion: this many SKUs (the most popular ones) take `promotion_share` of the orders.
    pub promotion_skus: u32,
    pub promotion_share: f64,
    /// A store picks an accepted order this long after it accepted it.
    pub pick_delay_s: u64,
}

impl Default for Online {
    fn default() -> Self {
        Self {
            reads_per_second: 2.0,
            orders_per_second: 0.0,
            order_units_max: 2,
            store_choice: StoreChoice::Nearest,
            stores_tried_max: 3,
            promotion_skus: 0,
            promotion_share: 0.0,
            pick_delay_s: 600,
        }
    }
}

/// Which stores may serve an online order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreChoice {
    /// Only the customer's home store.
    Given,
    /// The home store, then its neighbours by store number (1, -1, 2, -2, ...).
    Nearest,
    /// The stores central shows the most available units for, most first.
    MostStock,
}

/// One-way latency of each class of link; each directed link is FIFO, like one TCP connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Network {
    /// Store side to central side (relay to broker, and later store to central).
    pub wan: Distribution,
    /// Within the central data centre (broker, consumers, central, customers' API).
    pub central_lan: Distribution,
    /// Within a store (store DB to its relay).
    pub store_local: Distribution,
    /// Messages sent across a partition are held (TCP retransmits) this long;
    /// then the connection resets, they are lost and the sender learns of it.
    pub connection_timeout_s: u64,
    /// A node that lost a connection tries again after this long.
    pub reconnect_backoff_ms: u64,
}

impl Default for Network {
    fn default() -> Self {
        Self {
            wan: Distribution::lognormal(20.0, 0.3),
            central_lan: Distribution::lognormal(0.5, 0.3),
            store_local: Distribution::constant(0.2),
            connection_timeout_s: 30,
            reconnect_backoff_ms: 1_000,
        }
    }
}

/// Service time per unit of work (a unit is one row, record or request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Service {
    /// Store DB: one local transaction (stock rows and outbox rows).
    pub store_commit: Distribution,
    /// Relay: reading one binlog row and routing it.
    pub relay_read: Distribution,
    /// Broker: appending one record with acks=all (replication included).
    pub broker_append: Distribution,
    /// Broker: serving one fetch request.
    pub broker_fetch: Distribution,
    /// Consumer: decoding one record.
    pub consumer_decode: Distribution,
    /// Central DB: applying one event in its own transaction.
    pub central_apply: Distribution,
    /// Central online API: answering one stock read.
    pub central_read: Distribution,
}

impl Default for Service {
    fn default() -> Self {
        Self {
            store_commit: Distribution::lognormal(1.0, 0.3),
            relay_read: Distribution::constant(0.05),
            broker_append: Distribution::lognormal(5.0, 0.4),
            broker_fetch: Distribution::constant(0.2),
            consumer_decode: Distribution::constant(0.02),
            central_apply: Distribution::lognormal(0.5, 0.3),
            central_read: Distribution::constant(0.3),
        }
    }
}

/// How many inputs each kind of node serves at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workers {
    pub store: u32,
    pub relay: u32,
    pub broker: u32,
    pub consumer: u32,
    pub central: u32,
    pub customers: u32,
}

impl Default for Workers {
    fn default() -> Self {
        Self { store: 1, relay: 1, broker: 8, consumer: 1, central: 8, customers: 1 }
    }
}

/// What an event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSemantics {
    /// The signed change only.
    Delta,
    /// The new total, no version.
    Absolute,
    /// The new total with the store's per-(store, sku) version.
    AbsoluteVersioned,
}

/// How central avoids applying an event twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Idempotency {
    /// Apply whatever arrives.
    None,
    /// A set of applied event ids, written in the same central transaction.
    Inbox,
    /// Apply only versions above the per-(store, sku) high-water mark.
    Version,
}

/// How a store numbers its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventId {
    /// `(store, sku, counter)` as the seed proposes; a restored DB reuses counters.
    StoreSkuIncrement,
    /// `(store, epoch, sku, counter)`: the epoch rises on every restore.
    StoreSkuIncrementEpoch,
}

/// The broker message key, which picks the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionKey {
    Store,
    StoreSku,
    RoundRobin,
}

/// When a consumer commits its offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetCommit {
    /// After central acknowledged the apply (at-least-once).
    AfterApply,
    /// Every `auto_commit_interval_ms`, the positions fetched so far, whether
    /// applied or not (Kafka's `enable.auto.commit` with asynchronous processing).
    Auto,
}

/// How a store change reaches the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outbox {
    /// Outbox row in the stock transaction; the CDC relay publishes it.
    Transactional,
    /// The app commits, then publishes itself: a crash in between loses the
    /// send; it retries only what it knows failed.
    DualWrite,
}

/// Broker layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// One broker shared by every store.
    SharedBroker,
    /// A broker in each store, mirrored (MirrorMaker-like) to the central broker
    /// as topic `{store}.stock`.
    PerStoreBrokerMirror,
}

/// The pipeline itself: CDC through a broker, or one of the baselines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pipeline {
    /// Outbox, relay, broker, consumer group (the knobs above apply).
    Cdc,
    /// Central pulls a full snapshot from each store every `batch_interval_s` (no broker).
    LegacyBatch,
    /// Galera-like: every store commit waits for every member of the primary
    /// component; a store cut from it refuses sales.
    SyncMultimaster,
}

/// Repairing divergence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    None,
    /// Every `reconciliation_interval_s`, each store sends an absolute snapshot of every row.
    Reconciliation,
}

/// How central decides a store's data may be stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// Never hide a store.
    None,
    /// Central polls each store app every `heartbeat_interval_s`: proves the app is up, nothing more.
    AppHealthCheck,
    /// Each relay publishes a heartbeat on a side topic (Debezium's heartbeat
    /// topic): proves the relay and broker are alive, not that stock events are applied.
    RelayHeartbeatTopic,
    /// A heartbeat row written through the outbox: applying it proves every
    /// earlier store commit is applied (an end-to-end watermark).
    OutboxHeartbeat,
}

/// When the broker acknowledges a produce request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerAcks {
    /// After every in-sync replica has it (Kafka's default `acks=all`).
    All,
    /// After the leader wrote it: a leader crash loses the unreplicated tail.
    Leader,
}

/// How central sells online from store stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purchase {
    /// Central checks its own view, confirms at once, then tells the store.
    Optimistic,
    /// Central reserves, commands the store to hold, and confirms only on its accept.
    ReserveConfirm,
}

/// What a store's hold does to its shelf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldMode {
    /// Accepting sets the units aside at once: tills can no longer sell them.
    Hard,
    /// The units stay on the shelf until a picker takes them: tills may sell them first.
    SoftUntilPick,
}

/// What central does with a store's accept for a reservation it already ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateAccept {
    /// Command the store to release the hold.
    Release,
    /// Drop it: the store keeps a hold nobody will pick.
    Ignore,
}

/// The design under test: one struct, read from the scenario. Defaults are the
/// recommended design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Design {
    /// Name of the design, used in the results path.
    pub name: String,
    pub event_semantics: EventSemantics,
    pub idempotency: Idempotency,
    pub event_id: EventId,
    pub partition_key: PartitionKey,
    pub partitions: u32,
    pub consumers: u32,
    pub offset_commit: OffsetCommit,
    pub outbox: Outbox,
    pub topology: Topology,
    /// Kafka's `auto.commit.interval.ms`, for `offset_commit = "auto"`.
    pub auto_commit_interval_ms: u64,
    pub freshness: Freshness,
    /// How often each store writes a heartbeat (or is polled, or its relay beats).
    pub heartbeat_interval_s: u64,
    /// Central hides a store whose watermark is older than this.
    pub stale_after_s: u64,
    pub broker_acks: BrokerAcks,
    pub pipeline: Pipeline,
    /// Legacy batch: how often central pulls each store's snapshot.
    pub batch_interval_s: u64,
    pub repair: Repair,
    pub reconciliation_interval_s: u64,
    /// Mirror: how often it commits its source offsets (a restart replays since).
    pub mirror_offset_commit_interval_s: u64,
    /// Sync multimaster: a member that does not answer this long leaves the primary component.
    pub suspect_timeout_ms: u64,
    /// Online orders: how central sells from store stock.
    pub purchase: Purchase,
    pub hold: HoldMode,
    /// Offer a store's units only above this many (available-to-promise minus safety stock).
    pub safety_stock_units: u32,
    /// ... or above this fraction of its on_hand, whichever is more.
    pub safety_stock_fraction: f64,
    /// Central ends a reservation the store has not accepted within this long, and tries the next store.
    pub reservation_ttl_s: u64,
    pub late_accept: LateAccept,
    /// Central sends an unanswered command (reserve, release) again this often (at-least-once).
    pub command_retry_ms: u64,
}

impl Default for Design {
    fn default() -> Self {
        Self {
            name: "recommended".into(),
            event_semantics: EventSemantics::AbsoluteVersioned,
            idempotency: Idempotency::Version,
            event_id: EventId::StoreSkuIncrementEpoch,
            partition_key: PartitionKey::Store,
            partitions: 12,
            consumers: 3,
            offset_commit: OffsetCommit::AfterApply,
            outbox: Outbox::Transactional,
            topology: Topology::SharedBroker,
            auto_commit_interval_ms: 5_000,
            freshness: Freshness::OutboxHeartbeat,
            heartbeat_interval_s: 5,
            stale_after_s: 60,
            broker_acks: BrokerAcks::All,
            pipeline: Pipeline::Cdc,
            batch_interval_s: 900,
            repair: Repair::None,
            reconciliation_interval_s: 600,
            mirror_offset_commit_interval_s: 60,
            suspect_timeout_ms: 5_000,
            purchase: Purchase::ReserveConfirm,
            hold: HoldMode::Hard,
            safety_stock_units: 0,
            safety_stock_fraction: 0.0,
            reservation_ttl_s: 900,
            late_accept: LateAccept::Release,
            command_retry_ms: 5_000,
        }
    }
}

/// The CDC relay (Debezium on Kafka Connect).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Relay {
    /// Kafka Connect's `offset.flush.interval.ms` (60 s): the replay window after a crash.
    pub offset_flush_interval_s: u64,
    /// Most rows in one produce request.
    pub batch_max_rows: u32,
    /// The producer's `request.timeout.ms`: an unacknowledged request is sent again.
    pub produce_timeout_s: u64,
}

impl Default for Relay {
    fn default() -> Self {
        Self { offset_flush_interval_s: 60, batch_max_rows: 500, produce_timeout_s: 30 }
    }
}

/// Consumer group members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Consumer {
    /// `max.poll.records`.
    pub fetch_max_records: u32,
    /// `fetch.max.wait.ms`: a long poll returns at once when data is there, else after this.
    pub fetch_max_wait_ms: u64,
    /// `heartbeat.interval.ms`.
    pub heartbeat_interval_ms: u64,
    /// `session.timeout.ms`: a member silent this long is removed and its partitions move.
    pub session_timeout_ms: u64,
}

impl Default for Consumer {
    fn default() -> Self {
        Self { fetch_max_records: 500, fetch_max_wait_ms: 500, heartbeat_interval_ms: 3_000, session_timeout_ms: 45_000 }
    }
}

/// The broker's replication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Broker {
    /// How long a record stays on the leader only (lost on a leader crash with `acks = leader`).
    pub replication_lag_ms: u64,
    /// A store's own broker is a single node with no replica: a crash loses
    /// what the OS had not yet written back (Kafka does not fsync by default;
    /// Linux writes dirty pages back within about 30 s).
    pub store_broker_unflushed_ms: u64,
}

impl Default for Broker {
    fn default() -> Self {
        Self { replication_lag_ms: 50, store_broker_unflushed_ms: 30_000 }
    }
}

/// Phases of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Run {
    /// Workload phase (simulated).
    pub duration_s: u64,
    /// After the workload stops, the pipeline must drain within this bound.
    pub drain_bound_s: u64,
    /// How often the pipeline gauges of `timeseries.csv` are read.
    pub sample_interval_s: u64,
}

impl Default for Run {
    fn default() -> Self {
        Self { duration_s: 7_200, drain_bound_s: 300, sample_interval_s: 10 }
    }
}

/// Bounds the checkers hold the run to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Checks {
    /// Δ: a read shown fresh may show a value that stopped being true at most this long ago.
    pub staleness_bound_s: u64,
    /// ε: clock skew between a store and central added to Δ (watermarks carry the store's clock).
    pub clock_skew_allowance_ms: u64,
}

impl Default for Checks {
    fn default() -> Self {
        Self { staleness_bound_s: 60, clock_skew_allowance_ms: 1_000 }
    }
}

/// Swarm mode: the seed draws which fault kinds are on and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    pub swarm: bool,
    /// 0 to 1: scales how many faults each enabled kind injects.
    pub intensity: f64,
    /// Fault kinds swarm mode may draw from (all when empty).
    pub kinds: Vec<FaultKind>,
}

impl Default for Faults {
    fn default() -> Self {
        Self { swarm: false, intensity: 0.5, kinds: Vec::new() }
    }
}

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Cut the links between two groups (`between`), both ways or `one_way`.
    Partition,
    /// Crash `node`: volatile state lost; it restarts after `restart_after`.
    Crash,
    /// Restore store `node`'s DB from a backup `backup_age` old (durable state rolled back).
    Restore,
    /// Freeze `node` for `for`: its inputs queue.
    Pause,
    /// Multiply latency on the links between two groups (`between`) by `factor` for `for`.
    LatencySpike,
    /// Deliver messages between two groups twice with `probability`.
    Duplicate,
    /// Let messages between two groups overtake each other (no FIFO, extra jitter up to `jitter`).
    Reorder,
    /// Shift `node`'s clock by `offset` and make it drift by `drift_ppm`.
    ClockSkew,
}

impl FaultKind {
    pub const ALL: [FaultKind; 8] = [
        FaultKind::Partition,
        FaultKind::Crash,
        FaultKind::Restore,
        FaultKind::Pause,
        FaultKind::LatencySpike,
        FaultKind::Duplicate,
        FaultKind::Reorder,
        FaultKind::ClockSkew,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::Crash => "crash",
            FaultKind::Restore => "restore",
            FaultKind::Pause => "pause",
            FaultKind::LatencySpike => "latency_spike",
            FaultKind::Duplicate => "duplicate",
            FaultKind::Reorder => "reorder",
            FaultKind::ClockSkew => "clock_skew",
        }
    }
}

/// One `[[fault]]`. Which fields a kind needs is checked when the file is loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// When it starts, from the start of the run.
    pub at: Span,
    pub kind: FaultKind,
    /// How long it lasts (partition, pause, latency_spike, duplicate, reorder, clock_skew).
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Span>,
    /// Two groups (partition, latency_spike, duplicate, reorder): node names
    /// (`store-3` stands for the whole store site: its DB and relay), or
    /// `stores`, `relays`, `consumers`, `central-side`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub between: Vec<String>,
    /// Partition only the direction from the first group to the second.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub one_way: bool,
    /// The node (crash, restore, pause, clock_skew): `store-3`, `relay-3`, `broker`, `consumer-0`, `central`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Crash and restore: down this long before the restart (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_after: Option<Span>,
    /// Restore: how old the backup is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_age: Option<Span>,
    /// Latency spike: the multiplier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// Duplicate: the share of messages delivered twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Reorder: the most extra delay a message may get.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Span>,
    /// Clock skew: the step in the node's clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<Span>,
    /// Clock skew: drift in parts per million.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_ppm: Option<f64>,
}

impl FaultSpec {
    /// A fault of `kind` at `at` with no other field set yet.
    pub fn new(at: Span, kind: FaultKind) -> FaultSpec {
        FaultSpec {
            at,
            kind,
            duration: None,
            between: Vec::new(),
            one_way: false,
            node: None,
            restart_after: None,
            backup_age: None,
            factor: None,
            probability: None,
            jitter: None,
            offset: None,
            drift_ppm: None,
        }
    }
}
