//! Typed messages between nodes, and the data they carry.
//!
//! A store commit produces a [`StockEvent`]; it travels as an [`OutboxRow`]
//! (store DB log to relay), then as a [`BrokerRecord`] (relay to broker to
//! consumer), then inside an apply request to central.

use crate::Micros;
use serde::{Deserialize, Serialize};

/// Dense node id; see [`crate::layout::Layout`].
pub type NodeId = u32;

/// An event's identity as the design numbers it: `(store, epoch, sku, counter)`,
/// with epoch 0 when the design has no store epoch.
pub type EventKey = (u32, u32, u32, u32);

/// One change of one stock row, as the outbox row's payload carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockEvent {
    pub store: u32,
    pub sku: u32,
    /// Signed change of on_hand in this commit.
    pub delta: i64,
    /// on_hand after the commit.
    pub on_hand: i64,
    /// The store's version of this (store, sku) after the commit: `epoch * 2^32 + counter`
    /// when the design has a store epoch, else the bare counter.
    pub version: u64,
    /// The event id as the design numbers it (the inbox key).
    pub id: EventKey,
    /// When the store committed it (carried like Debezium's `source.ts`; metrics only).
    pub committed_at_us: Micros,
}

/// What an outbox row or broker record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    Stock(StockEvent),
    /// A heartbeat row written through the outbox: once central applies it,
    /// every earlier commit of the store is applied (a watermark at `store_ts_us`,
    /// on the store's own clock).
    Heartbeat {
        store: u32,
        store_ts_us: Micros,
    },
    /// A relay's heartbeat on the side topic (Debezium's heartbeat topic), on the relay's clock:
    /// it proves the relay and the broker are alive, nothing about stock events.
    RelayHeartbeat {
        store: u32,
        relay_ts_us: Micros,
    },
    /// A row of a periodic reconciliation snapshot: the absolute value and
    /// version of one stock row as the store holds it (not a change).
    Snapshot(StockEvent),
    /// A store's answer about an online order, written in the transaction that decided it.
    Order(OrderReply),
}

/// What a store did about an online order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderOutcome {
    /// It holds the units (`on_hand` as it stands).
    Accepted { on_hand: i64 },
    /// It could not hold them: fewer unheld units than asked.
    Rejected { on_hand: i64 },
    /// The picker took the units (the pick is a sale in the same transaction).
    Fulfilled,
    /// The picker found fewer units than held: the order cannot be served.
    Failed { on_hand: i64 },
    /// The hold is released (central asked).
    Released,
}

/// A store's reply on the reply topic (its outbox), keyed by the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReply {
    pub store: u32,
    pub sku: u32,
    pub order: u64,
    pub outcome: OrderOutcome,
}

impl Payload {
    pub fn store(&self) -> u32 {
        match self {
            Payload::Stock(event) | Payload::Snapshot(event) => event.store,
            Payload::Order(reply) => reply.store,
            Payload::Heartbeat { store, .. } | Payload::RelayHeartbeat { store, .. } => *store,
        }
    }
}

/// A row of the store's outbox table, at its position in the DB log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow {
    /// Log sequence number: the row's index in the store's outbox log.
    pub lsn: u64,
    pub payload: Payload,
}

/// The message key, which picks the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Key {
    Store(u32),
    StoreSku(u32, u32),
    /// No key: the producer spreads records round robin.
    None,
}

/// A record in a partition log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerRecord {
    pub key: Key,
    pub payload: Payload,
}

/// Every message a node can send (serialisable, for engines that put it on a wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Msg {
    // Store DB log <-> relay (the binlog stream).
    /// Relay to store: stream the outbox log of `epoch` from `from_lsn` on.
    Subscribe {
        epoch: u32,
        from_lsn: u64,
    },
    /// Store to relay: your position is in a log that no longer exists (the DB
    /// was restored); the stream starts again at lsn 0 of `epoch`'s log.
    LogReset {
        epoch: u32,
    },
    /// Store to relay: newly committed (or replayed) outbox rows of `epoch`'s log, in log order.
    LogRows {
        epoch: u32,
        rows: Vec<OutboxRow>,
    },

    // Relay <-> broker (producer).
    /// Append each record to its partition; acks=all.
    Produce {
        request_id: u64,
        records: Vec<(u32, BrokerRecord)>,
    },
    ProduceAck {
        request_id: u64,
    },

    // Consumer <-> broker (group coordinator and fetch).
    JoinGroup,
    Heartbeat {
        generation: u32,
    },
    /// Coordinator to a member: leave the group state you had and join again.
    RejoinGroup,
    /// The member's partitions for this generation, with the group's committed offsets.
    Assignment {
        generation: u32,
        partitions: Vec<(u32, u64)>,
    },
    /// Long poll: answer at once when any record is there, else after `fetch_max_wait`.
    Fetch {
        request_id: u64,
        generation: u32,
        positions: Vec<(u32, u64)>,
        max_records: u32,
    },
    /// Records as `(partition, offset, record)`, in offset order per partition.
    Fetched {
        request_id: u64,
        generation: u32,
        records: Vec<(u32, u64, BrokerRecord)>,
    },
    /// Offsets to commit: the next offset to read per partition.
    CommitOffsets {
        generation: u32,
        offsets: Vec<(u32, u64)>,
    },
    /// The commit was refused: the member is not in this generation (a zombie).
    CommitFailed {
        generation: u32,
    },

    // Consumer <-> central.
    Apply {
        request_id: u64,
        events: Vec<Payload>,
    },
    Applied {
        request_id: u64,
    },

    // Central <-> store app (freshness by health check, the legacy batch).
    HealthCheck {
        request_id: u64,
    },
    HealthOk {
        request_id: u64,
    },
    /// Legacy batch: send me every stock row.
    SnapshotRequest,
    /// Every stock row as the store holds it (absolute value and version).
    SnapshotRows {
        rows: Vec<StockEvent>,
    },

    // Store <-> central in the synchronous multi-master baseline (Galera-like).
    /// Certify this transaction's writeset; the store commits when certified.
    Replicate {
        txn: u64,
        events: Vec<StockEvent>,
    },
    /// Central to the other members: apply this writeset and acknowledge.
    Writeset {
        origin: NodeId,
        txn: u64,
        rows: u32,
    },
    WritesetAck {
        origin: NodeId,
        txn: u64,
    },
    /// Every member of the primary component has the writeset: commit.
    Certified {
        txn: u64,
    },
    /// The sender is not (or no longer) in the primary component: it must refuse writes.
    NotPrimary,
    /// A non-primary member asks to join the primary component again; the
    /// transaction it gave up on, if any, must not be certified any more.
    JoinPrimary {
        abandoned: Option<u64>,
    },
    /// Welcome back, with the last of your transactions the component certified
    /// (an incremental state transfer: a transaction the member gave up on may have been certified).
    Joined {
        certified_through: Option<u64>,
    },

    // Customers <-> central (online API).
    ReadStock {
        request_id: u64,
        store: u32,
        sku: u32,
    },
    StockShown {
        request_id: u64,
        on_hand: Option<i64>,
    },
    /// Buy `units` of `sku`, preferably from `store` (the customer's home store).
    PlaceOrder {
        order: u64,
        store: u32,
        sku: u32,
        units: i64,
    },

    // Central -> store app (the command queue: at least once, until answered).
    /// Hold `units` of `sku` for `order` (idempotent by order), or say why not.
    /// `confirmed`: central confirmed the order on this store's hold, so the
    /// picker may take it (a store never picks an unconfirmed hold).
    Reserve {
        order: u64,
        sku: u32,
        units: i64,
        confirmed: bool,
    },
    /// Store to central, in a design without an outbox stream: an answer about an order
    /// (at least once: a repeated command gets it again).
    OrderAnswer(OrderReply),
    /// Release the hold for `order` (of `sku`), if any; never hold for it afterwards.
    ReleaseHold {
        order: u64,
        sku: u32,
    },
}

impl Msg {
    /// Rows, records or events the message carries (0 for a control message).
    pub fn items(&self) -> usize {
        match self {
            Msg::LogRows { rows, .. } => rows.len(),
            Msg::Produce { records, .. } => records.len(),
            Msg::Fetched { records, .. } => records.len(),
            Msg::Apply { events, .. } => events.len(),
            Msg::Replicate { events, .. } => events.len(),
            Msg::SnapshotRows { rows } => rows.len(),
            Msg::Writeset { rows, .. } => *rows as usize,
            _ => 0,
        }
    }

    /// Units of work the message brings its receiver (rows, records or events), at least 1.
    pub fn units(&self) -> u32 {
        self.items().clamp(1, u32::MAX as usize) as u32
    }

    /// Estimated bytes on the wire: a 64-byte request header plus 256 bytes per
    /// row, record or event carried (a Debezium outbox event as JSON with its
    /// Kafka record overhead is a few hundred bytes). An estimate for cost
    /// figures, not a protocol.
    pub fn wire_bytes(&self) -> u64 {
        64 + 256 * self.items() as u64
    }
}
