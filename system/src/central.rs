//! Central: the chain-wide stock view, the freshness monitor and the online read API.
//!
//! Durable: the view `(store, sku) -> (on_hand, version, applied_at)`, for the
//! inbox design the set of applied event ids (written in the same transaction
//! as the view), and each store's watermark. Central applies each event by the
//! design's semantics and idempotency and records every write as
//! `central_apply`.
//!
//! Freshness: a store's watermark moves with an applied outbox heartbeat (its
//! store time: every earlier commit is applied), a relay heartbeat from the
//! side topic (the relay's time: only the relay and broker are alive), or a
//! successful health check of the store app (central's time). A store whose
//! watermark is older than `stale_after` is hidden from online reads
//! (`stale`), and shown again (`fresh`) when it moves.
//!
//! Online orders go to the order desk ([`crate::orders`]), which promises
//! only from stores central shows; stores answer through their outbox.
//!
//! In the baselines central also pulls snapshots (legacy batch) or certifies
//! every store transaction as the sequencer of the primary component
//! ([`crate::certifier`]).

use crate::Micros;
use crate::certifier::Certifier;
use crate::history::{Kind, Record};
use crate::message::{EventKey, Msg, NodeId, Payload, StockEvent};
use crate::node::{Ctx, Input, Node, Op, Timer};
use crate::orders::{OrderDesk, OrderDeskConfig, Shelf};
use scenarios::{EventSemantics, Freshness, Idempotency};
use std::collections::BTreeSet;

/// Parameters of central, from the scenario.
#[derive(Debug, Clone)]
pub struct CentralConfig {
    pub stores: u32,
    pub skus_per_store: u32,
    /// The node id of each store app, by store index.
    pub store_nodes: Vec<NodeId>,
    pub event_semantics: EventSemantics,
    pub idempotency: Idempotency,
    pub freshness: Freshness,
    pub stale_after_us: Micros,
    /// Health checks are sent this often (app health check freshness).
    pub health_check_interval_us: Micros,
    /// Legacy batch: pull every store's snapshot this often.
    pub batch_interval_us: Option<Micros>,
    /// Sync multimaster: certify store transactions; members leave after this silence.
    pub certify_timeout_us: Option<Micros>,
    pub orders: OrderDeskConfig,
}

/// Central's row for one (store, sku).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewRow {
    pub on_hand: i64,
    /// The version of the last event written here (the high-water mark for the version design).
    pub version: u64,
}

/// What central knows of one store's freshness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Watermark {
    /// Time (store, relay or central clock, by design) up to which the store is known fresh (durable).
    at_us: Micros,
    /// Whether the store is hidden now (durable: it is what online shows).
    stale: bool,
    /// Whether a stale check is scheduled (volatile).
    check_pending: bool,
}

/// How a view write came about (history `detail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Event,
    Snapshot,
    Batch,
}

/// The central node.
#[derive(Debug, Clone)]
pub struct Central {
    config: CentralConfig,
    // durable
    view: Vec<ViewRow>,
    inbox: BTreeSet<EventKey>,
    watermarks: Vec<Watermark>,
    orders: OrderDesk,
    /// The highest store epoch seen in an event's version, per store.
    store_epochs: Vec<u32>,
    // volatile
    certifier: Certifier,
    next_request_id: u64,
    /// Legacy batch: snapshot requests sent and not yet answered.
    snapshots_outstanding: u64,
    /// Events skipped as already applied (metrics).
    pub events_skipped: u64,
    /// Events that wrote the view (metrics).
    pub events_applied: u64,
}

impl Central {
    /// Central starts from the stores' initial snapshot (`initial[store][sku]`).
    pub fn new(config: CentralConfig, initial: &[Vec<i64>]) -> Self {
        Self::from_snapshot(config, initial.iter().flatten().copied())
    }

    /// Central starts from the stores' initial snapshot, store by store, SKU by SKU.
    pub fn from_snapshot(config: CentralConfig, initial: impl IntoIterator<Item = i64>) -> Self {
        let mut view = Vec::with_capacity(config.stores as usize * config.skus_per_store as usize);
        view.extend(initial.into_iter().map(|on_hand| ViewRow { on_hand, version: 0 }));
        let watermarks = vec![Watermark::default(); config.stores as usize];
        let certifier = Certifier::new(config.store_nodes.clone(), config.certify_timeout_us.unwrap_or(0));
        let orders = OrderDesk::new(config.orders.clone());
        let store_epochs = vec![0; config.stores as usize];
        Central {
            config,
            view,
            inbox: BTreeSet::new(),
            watermarks,
            orders,
            store_epochs,
            certifier,
            next_request_id: 0,
            snapshots_outstanding: 0,
            events_skipped: 0,
            events_applied: 0,
        }
    }

    fn index(&self, store: u32, sku: u32) -> Option<usize> {
        (store < self.config.stores && sku < self.config.skus_per_store).then(|| store as usize * self.config.skus_per_store as usize + sku as usize)
    }

    /// Central's row for (store, sku).
    pub fn row(&self, store: u32, sku: u32) -> Option<ViewRow> {
        self.index(store, sku).map(|i| self.view[i])
    }

    /// Legacy batch: snapshot requests sent and not yet answered.
    pub fn snapshots_outstanding(&self) -> u64 {
        self.snapshots_outstanding
    }

    /// Orders still in flight: open reservations and unconfirmed releases.
    pub fn open_reservations(&self) -> u64 {
        self.orders.open()
    }

    fn monitored(&self) -> bool {
        self.config.freshness != Freshness::None
    }

    /// Whether central shows `store` at `now_us` (its own clock).
    pub fn shows(&self, store: u32, now_us: Micros) -> bool {
        shows(&self.config, &self.watermarks, store, now_us)
    }

    /// Runs `f` on the order desk with what central shows now.
    fn with_orders(&mut self, ctx: &mut Ctx, f: impl FnOnce(&mut OrderDesk, &mut Ctx, Shelf)) {
        let (config, watermarks, view, now_us) = (&self.config, &self.watermarks, &self.view, ctx.now_us);
        let skus = config.skus_per_store as usize;
        let shelf = |store: u32, sku: u32| (view[store as usize * skus + sku as usize].on_hand, shows(config, watermarks, store, now_us));
        f(&mut self.orders, ctx, &shelf);
    }

    /// Writes one event into the view in its own transaction; returns whether it wrote.
    fn apply(&mut self, ctx: &mut Ctx, event: &StockEvent, source: Source) -> bool {
        let Some(index) = self.index(event.store, event.sku) else { return false };
        let row = self.view[index];
        let fresh = match source {
            // A snapshot holds the store's absolute value: it repairs what differs (value or
            // version), unless a version says it is older.
            Source::Snapshot | Source::Batch => {
                (event.on_hand != row.on_hand || event.version > row.version)
                    && (self.config.idempotency != Idempotency::Version || event.version >= row.version)
            }
            Source::Event => match self.config.idempotency {
                Idempotency::None => true,
                Idempotency::Inbox => self.inbox.insert(event.id),
                Idempotency::Version => event.version > row.version,
            },
        };
        if !fresh {
            self.events_skipped += u64::from(source == Source::Event);
            return false;
        }
        let on_hand = match (source, self.config.event_semantics) {
            (Source::Event, EventSemantics::Delta) => row.on_hand + event.delta,
            _ => event.on_hand,
        };
        if self.config.idempotency == Idempotency::Version {
            assert!(event.version >= row.version, "the version high-water mark never goes backwards");
        }
        self.view[index] = ViewRow { on_hand, version: event.version };
        self.learn_epoch(ctx, event);
        self.events_applied += 1;
        let detail = match source {
            Source::Event => "",
            Source::Snapshot => "snapshot",
            Source::Batch => "batch",
        };
        ctx.record(Record {
            qty: Some(on_hand - row.on_hand),
            on_hand: Some(on_hand),
            version: Some(event.version),
            detail: detail.into(),
            ..Record::stock(Kind::CentralApply, event.store, event.sku)
        });
        true
    }

    /// A store's version in a new epoch means its DB was restored from a
    /// backup, which may have lost holds: the order desk asserts its open
    /// reservations there again at once.
    fn learn_epoch(&mut self, ctx: &mut Ctx, event: &StockEvent) {
        let epoch = (event.version >> 32) as u32;
        let Some(known) = self.store_epochs.get_mut(event.store as usize) else { return };
        if epoch > *known {
            *known = epoch;
            self.orders.reassert(ctx, event.store);
        }
    }

    /// The store's watermark moved to `at_us`; a hidden store is shown again.
    fn advance(&mut self, ctx: &mut Ctx, store: u32, at_us: Micros) {
        let Some(watermark) = self.watermarks.get_mut(store as usize) else { return };
        watermark.at_us = watermark.at_us.max(at_us);
        let shown = self.shows(store, ctx.now_us);
        let watermark = &mut self.watermarks[store as usize];
        if watermark.stale && shown {
            watermark.stale = false;
            ctx.record(Record { store: Some(store), ..Record::event(Kind::Fresh, "") });
        }
        self.arm_stale_check(ctx, store);
    }

    /// Schedules the moment `store` turns stale unless its watermark moves.
    fn arm_stale_check(&mut self, ctx: &mut Ctx, store: u32) {
        let stale_after = self.config.stale_after_us;
        let watermark = &mut self.watermarks[store as usize];
        if !watermark.check_pending && !watermark.stale {
            watermark.check_pending = true;
            ctx.set_timer_at(watermark.at_us + stale_after + 1, Timer::StaleCheck { store });
        }
    }

    fn stale_check(&mut self, ctx: &mut Ctx, store: u32) {
        let Some(watermark) = self.watermarks.get_mut(store as usize) else { return };
        watermark.check_pending = false;
        if !self.shows(store, ctx.now_us) {
            let watermark = &mut self.watermarks[store as usize];
            watermark.stale = true;
            let age_s = ctx.now_us.saturating_sub(watermark.at_us) as f64 / 1e6;
            ctx.record(Record { store: Some(store), ..Record::event(Kind::Stale, format!("watermark {age_s:.3}s old")) });
        } else {
            self.arm_stale_check(ctx, store);
        }
    }

    fn apply_batch(&mut self, ctx: &mut Ctx, events: &[Payload]) {
        for payload in events {
            match *payload {
                Payload::Order(reply) => self.with_orders(ctx, |orders, ctx, shelf| orders.reply(ctx, reply, shelf)),
                Payload::Stock(ref event) => {
                    self.apply(ctx, event, Source::Event);
                }
                Payload::Snapshot(ref event) => {
                    self.apply(ctx, event, Source::Snapshot);
                }
                Payload::Heartbeat { store, store_ts_us } if self.config.freshness == Freshness::OutboxHeartbeat => {
                    self.advance(ctx, store, store_ts_us);
                }
                Payload::RelayHeartbeat { store, relay_ts_us } if self.config.freshness == Freshness::RelayHeartbeatTopic => {
                    self.advance(ctx, store, relay_ts_us);
                }
                Payload::Heartbeat { .. } | Payload::RelayHeartbeat { .. } => {}
            }
        }
    }

    fn store_index(&self, node: NodeId) -> Option<u32> {
        self.config.store_nodes.iter().position(|&n| n == node).map(|i| i as u32)
    }
}

/// Whether central shows `store` at `now_us`: its watermark is at most `stale_after` old.
fn shows(config: &CentralConfig, watermarks: &[Watermark], store: u32, now_us: Micros) -> bool {
    config.freshness == Freshness::None || watermarks.get(store as usize).is_some_and(|w| now_us.saturating_sub(w.at_us) <= config.stale_after_us)
}

impl Node for Central {
    fn start(&mut self, ctx: &mut Ctx) {
        self.orders.start(ctx);
        if self.monitored() {
            for store in 0..self.config.stores {
                self.arm_stale_check(ctx, store);
            }
        }
        if self.config.freshness == Freshness::AppHealthCheck {
            ctx.set_timer_after(self.config.health_check_interval_us, Timer::HealthPoll);
        }
        if let Some(interval) = self.config.batch_interval_us {
            ctx.set_timer_after(interval, Timer::BatchPull);
        }
    }

    fn message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Apply { request_id, events } => {
                self.apply_batch(ctx, &events);
                ctx.send(from, Msg::Applied { request_id });
            }
            Msg::ReadStock { request_id, store, sku } => {
                let row = self.row(store, sku);
                let shown = self.shows(store, ctx.now_us);
                if let Some(row) = row {
                    let detail = if shown { "fresh" } else { "stale" };
                    ctx.record(Record {
                        on_hand: Some(row.on_hand),
                        version: Some(row.version),
                        detail: detail.into(),
                        ..Record::stock(Kind::Read, store, sku)
                    });
                }
                ctx.send(from, Msg::StockShown { request_id, on_hand: row.filter(|_| shown).map(|row| row.on_hand) });
            }
            Msg::HealthOk { .. } => {
                if let Some(store) = self.store_index(from) {
                    self.advance(ctx, store, ctx.now_us);
                }
            }
            Msg::SnapshotRows { rows } => {
                self.snapshots_outstanding = self.snapshots_outstanding.saturating_sub(1);
                for event in &rows {
                    self.apply(ctx, event, Source::Batch);
                }
            }
            Msg::Replicate { txn, events } => {
                if let Some(events) = self.certifier.replicate(ctx, from, txn, events) {
                    for event in &events {
                        self.apply(ctx, event, Source::Event);
                    }
                }
            }
            Msg::WritesetAck { origin, txn } => {
                if let Some(events) = self.certifier.acknowledged(ctx, from, origin, txn) {
                    for event in &events {
                        self.apply(ctx, event, Source::Event);
                    }
                }
            }
            Msg::JoinPrimary { abandoned } => self.certifier.join(ctx, from, abandoned),
            Msg::OrderAnswer(reply) => self.with_orders(ctx, |orders, ctx, shelf| orders.reply(ctx, reply, shelf)),
            Msg::PlaceOrder { order, store, sku, units } => {
                self.with_orders(ctx, |orders, ctx, shelf| orders.place(ctx, order, store, sku, units, shelf))
            }
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::StaleCheck { store } => self.stale_check(ctx, store),
            Timer::HealthPoll => {
                for &node in &self.config.store_nodes {
                    self.next_request_id += 1;
                    ctx.send(node, Msg::HealthCheck { request_id: self.next_request_id });
                }
                ctx.set_timer_after(self.config.health_check_interval_us, Timer::HealthPoll);
            }
            Timer::BatchPull => {
                if let Some(interval) = self.config.batch_interval_us {
                    for &node in &self.config.store_nodes {
                        ctx.send(node, Msg::SnapshotRequest);
                    }
                    self.snapshots_outstanding = self.config.store_nodes.len() as u64;
                    ctx.set_timer_after(interval, Timer::BatchPull);
                }
            }
            Timer::ReservationExpiry { order, store } => self.with_orders(ctx, |orders, ctx, shelf| orders.expire(ctx, order, store, shelf)),
            Timer::CommandRetry => self.orders.retry(ctx),
            Timer::CertifyTimeout { txn } => {
                if let Some(events) = self.certifier.timed_out(ctx, txn) {
                    for event in &events {
                        self.apply(ctx, event, Source::Event);
                    }
                }
            }
            _ => {}
        }
    }

    fn crash(&mut self, _now_us: Micros) {
        for watermark in &mut self.watermarks {
            watermark.check_pending = false;
        }
        self.certifier.clear();
        self.orders.crash();
        self.snapshots_outstanding = 0;
    }

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Message { msg: msg @ (Msg::Apply { .. } | Msg::SnapshotRows { .. } | Msg::Replicate { .. }), .. } => {
                (Op::CentralApply, msg.units())
            }
            Input::Message { msg: Msg::ReadStock { .. } | Msg::PlaceOrder { .. }, .. } => (Op::CentralRead, 1),
            _ => (Op::Free, 1),
        }
    }
}
