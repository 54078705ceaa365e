//! A store: its POS app and local database, driven by its till workload.
//!
//! Durable ([`StoreDb`]): stock rows `(on_hand, counter)`, the store epoch and
//! the outbox log; every sale or restock writes its stock rows and their
//! outbox rows in one local transaction. Volatile: the relay's open binlog
//! stream, a dual-writing app's unsent publishes, sync membership.
//!
//! How a change leaves the store is the design's: an outbox row a relay
//! streams (`transactional`), or the app's own publish after the commit
//! (`dual_write`: a crash in between loses it). In the synchronous
//! multi-master baseline every transaction first waits for certification by
//! the whole primary component, and a store outside it refuses sales.
//!
//! Online orders: the store holds units for an order in a local transaction
//! (idempotent by order id) and answers through its outbox; once central
//! confirms the order, a picker takes the held units `pick_delay` after the
//! hold (a sale against the hold). Hard holds set the
//! units aside from the tills at once; soft holds leave them on the shelf
//! until the pick, so a till may sell them first and the pick then fails.
//!
//! A DB restored from a backup comes back with a higher epoch and rewrites
//! every stock row once (`resync`), so that versions keep rising and central
//! learns the restored values.

use crate::Micros;
use crate::compact_log::CompactLog;
use crate::history::{Kind, Record};
use crate::message::{Msg, NodeId, OrderOutcome, OrderReply, OutboxRow, Payload, StockEvent};
use crate::node::{Ctx, Input, Node, Op, Reconnect, Timer};
use crate::producer::{Producer, ProducerConfig};
use crate::workload::{Intent, Line, TillWorkload};
use std::collections::{BTreeMap, VecDeque};

/// One stock row of the local DB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockRow {
    pub on_hand: i64,
    /// Per-(store, sku) change counter, written in the same transaction.
    pub counter: u32,
    /// Units held for online orders and not yet picked or released.
    pub held: i64,
}

/// Where an online order stands at the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldState {
    Held,
    Rejected,
    Picked,
    PickFailed,
    Released,
}

/// The store's record of one online order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOrder {
    pub sku: u32,
    pub units: i64,
    pub state: HoldState,
    /// When the picker takes a held order (store clock), once central confirmed it.
    pub pick_at_us: Micros,
    /// Central confirmed the order on this hold: the picker may take it.
    pub confirmed: bool,
}

/// The store's durable state: what a crash keeps and a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDb {
    pub stock: Vec<StockRow>,
    /// Rises each time the DB is restored from a backup.
    pub epoch: u32,
    /// The outbox table's payloads in log order (`lsn` = index). Its log is identified by the epoch.
    pub outbox: CompactLog<Payload>,
    /// Set by a restore: rewrite every stock row at the next start.
    pub resync_pending: bool,
    /// Every online order the store was asked about, by order id.
    pub orders: BTreeMap<u64, StoreOrder>,
}

impl StoreDb {
    /// The outbox rows from `lsn` on, to the end of the log.
    pub fn outbox_rows(&self, lsn: usize) -> Vec<OutboxRow> {
        self.outbox.range(lsn, self.outbox.len()).zip(lsn as u64..).map(|(payload, lsn)| OutboxRow { lsn, payload }).collect()
    }
}

/// Sync multimaster membership, as the store sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncConfig {
    /// The sequencer that certifies writesets (central).
    pub certifier: NodeId,
    /// No certification within this long: the store leaves the primary component.
    pub suspect_timeout_us: Micros,
}

/// Parameters of one store, from the scenario.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub index: u32,
    /// Versions and event ids carry the store epoch.
    pub epoch_in_version: bool,
    /// Write a heartbeat row through the outbox this often.
    pub heartbeat_interval_us: Option<Micros>,
    /// Write a snapshot of every row through the outbox this often.
    pub reconciliation_interval_us: Option<Micros>,
    /// `dual_write`: the app publishes itself through this producer.
    pub dual_write: Option<ProducerConfig>,
    pub reconnect_backoff_us: Micros,
    /// The synchronous multi-master baseline.
    pub sync: Option<SyncConfig>,
    /// Hard holds: tills cannot sell held units.
    pub holds_block_tills: bool,
    /// A held order is picked this long after the hold.
    pub pick_delay_us: Micros,
    /// Answers about orders go to this node (central) directly, not through
    /// the outbox (the legacy batch has no outbox stream).
    pub order_answers_to: Option<NodeId>,
}

/// A transaction sent for certification: its id, kind and stock changes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Txn {
    id: u64,
    kind: Kind,
    changes: Vec<(u32, i64)>,
}

/// Volatile sync state: in the primary component or not, and the transaction being certified.
#[derive(Debug, Clone, Default)]
struct SyncState {
    non_primary: bool,
    certifying: Option<Txn>,
    /// A transaction given up on whose fate the component decides: certified
    /// after all, it is committed when the store learns so.
    in_doubt: Option<Txn>,
    waiting: VecDeque<Intent>,
    next_txn: u64,
}

/// A store node.
#[derive(Debug, Clone)]
pub struct Store {
    config: StoreConfig,
    db: StoreDb,
    workload: TillWorkload,
    /// Volatile: the relay streaming the log, and the next lsn it has not been sent.
    stream: Option<(NodeId, u64)>,
    /// Volatile: the dual-writing app's producer.
    producer: Option<Producer>,
    reconnect: Reconnect,
    sync: SyncState,
    /// Till lines that found the shelf empty (lost local sales), for metrics.
    pub lines_lost: u64,
    /// Till transactions refused for want of a primary component (metrics).
    pub sales_refused: u64,
    /// Legacy batch: the DB changed since the last snapshot was sent.
    changed_since_snapshot: bool,
}

impl Store {
    pub fn new(config: StoreConfig, initial_on_hand: Vec<i64>, workload: TillWorkload) -> Self {
        let stock = initial_on_hand.into_iter().map(|on_hand| StockRow { on_hand, counter: 0, held: 0 }).collect();
        let db = StoreDb { stock, epoch: 0, outbox: CompactLog::default(), resync_pending: false, orders: BTreeMap::new() };
        let producer = config.dual_write.clone().map(|p| Producer::new(p, config.index));
        Store {
            config,
            db,
            workload,
            stream: None,
            producer,
            reconnect: Reconnect::default(),
            sync: SyncState::default(),
            lines_lost: 0,
            sales_refused: 0,
            changed_since_snapshot: false,
        }
    }

    /// Lets the binlog move sealed chunks to `cold`.
    pub fn attach_cold_store(&mut self, cold: &std::sync::Arc<dyn crate::compact_log::ColdStore>) {
        self.db.outbox.attach(cold.clone());
    }

    pub fn db(&self) -> &StoreDb {
        &self.db
    }

    pub fn index(&self) -> u32 {
        self.config.index
    }

    pub fn workload(&self) -> &TillWorkload {
        &self.workload
    }

    /// Changes the app has committed and still means to publish (dual write only).
    pub fn unpublished(&self) -> Option<u64> {
        self.producer.as_ref().map(|p| p.unacknowledged() as u64)
    }

    /// Legacy batch: whether the DB changed since the last snapshot was sent.
    pub fn changed_since_snapshot(&self) -> bool {
        self.changed_since_snapshot
    }

    /// Sync multimaster: whether a transaction is being certified.
    pub fn certifying(&self) -> bool {
        self.sync.certifying.is_some()
    }

    /// A copy of the DB, as a nightly backup would take it.
    pub fn backup(&self) -> StoreDb {
        self.db.clone()
    }

    /// Replaces the DB with `backup` (the node must be down): the epoch rises
    /// past every epoch seen, and every row is rewritten at the next start.
    pub fn restore(&mut self, backup: StoreDb) {
        let epoch = self.db.epoch.max(backup.epoch) + 1;
        self.db = StoreDb { epoch, resync_pending: true, ..backup };
    }

    fn version_and_id(&self, sku: u32, counter: u32) -> (u64, (u32, u32, u32, u32)) {
        let epoch = if self.config.epoch_in_version { self.db.epoch } else { 0 };
        ((u64::from(epoch) << 32) | u64::from(counter), (self.config.index, epoch, sku, counter))
    }

    /// The event a row's current state stands for (used by snapshots).
    fn row_event(&self, sku: u32, committed_at_us: Micros) -> StockEvent {
        let row = self.db.stock[sku as usize];
        let (version, id) = self.version_and_id(sku, row.counter);
        StockEvent { store: self.config.index, sku, delta: 0, on_hand: row.on_hand, version, id, committed_at_us }
    }

    /// What an intent changes, against the shelf as it is now.
    fn changes_for(&mut self, intent: &Intent) -> Vec<(u32, i64)> {
        let mut changes: Vec<(u32, i64)> = Vec::with_capacity(intent.lines.len());
        for &line in &intent.lines {
            let already = |sku: u32, changes: &[(u32, i64)]| -> i64 { changes.iter().filter(|(s, _)| *s == sku).map(|(_, d)| d).sum() };
            match line {
                Line::Sell { sku, units } => {
                    let row = self.db.stock[sku as usize];
                    let set_aside = if self.config.holds_block_tills { row.held.max(0) } else { 0 };
                    let shelf = row.on_hand - set_aside + already(sku, &changes);
                    let sold = units.min(shelf);
                    if sold > 0 {
                        changes.push((sku, -sold));
                    }
                    if sold < units {
                        self.lines_lost += 1;
                    }
                }
                Line::Add { sku, units } => changes.push((sku, units)),
                Line::TopUpTo { sku, level } => {
                    let missing = level - self.db.stock[sku as usize].on_hand - already(sku, &changes);
                    if missing > 0 {
                        changes.push((sku, missing));
                    }
                }
            }
        }
        changes
    }

    /// The world asks for a transaction: commit it now, or (sync) certify it first.
    fn request(&mut self, ctx: &mut Ctx, intent: Intent) {
        if self.config.sync.is_some() {
            if self.sync.non_primary {
                self.refuse(ctx, intent.kind, "not in the primary component");
            } else {
                self.sync.waiting.push_back(intent);
                self.certify_next(ctx);
            }
            return;
        }
        let changes = self.changes_for(&intent);
        self.commit(ctx, intent.kind, &changes);
    }

    /// The events a transaction will write (its rows unchanged yet): new versions and values, in order.
    fn events_for(&self, changes: &[(u32, i64)], committed_at_us: Micros) -> Vec<StockEvent> {
        let mut after: Vec<(u32, u32, i64)> = Vec::with_capacity(changes.len());
        changes
            .iter()
            .map(|&(sku, delta)| {
                let row = self.db.stock[sku as usize];
                let (counter, on_hand) = after.iter().rev().find(|(s, _, _)| *s == sku).map_or((row.counter, row.on_hand), |&(_, c, v)| (c, v));
                let (counter, on_hand) = (counter + 1, on_hand + delta);
                after.push((sku, counter, on_hand));
                let (version, id) = self.version_and_id(sku, counter);
                StockEvent { store: self.config.index, sku, delta, on_hand, version, id, committed_at_us }
            })
            .collect()
    }

    /// One local transaction: each `(sku, change)` updates its stock row and emits its event.
    fn commit(&mut self, ctx: &mut Ctx, kind: Kind, changes: &[(u32, i64)]) {
        self.commit_for_order(ctx, kind, changes, None);
    }

    /// A transaction that may also serve an online order: its sales carry the
    /// order id, and its outbox rows end with the reply.
    fn commit_for_order(&mut self, ctx: &mut Ctx, kind: Kind, changes: &[(u32, i64)], order: Option<OrderReply>) {
        let mut payloads = Vec::with_capacity(changes.len() + 1);
        for &(sku, delta) in changes {
            let row = &mut self.db.stock[sku as usize];
            row.on_hand += delta;
            row.counter += 1;
            assert!(row.on_hand >= 0, "a store never sells what its shelf does not hold");
            let (on_hand, counter) = (row.on_hand, row.counter);
            let (version, id) = self.version_and_id(sku, counter);
            let event = StockEvent { store: self.config.index, sku, delta, on_hand, version, id, committed_at_us: ctx.now_us };
            payloads.push(Payload::Stock(event));
            ctx.record(Record {
                qty: Some(delta),
                on_hand: Some(on_hand),
                version: Some(version),
                order: order.map(|o| o.order),
                detail: if order.is_some() { "pick".into() } else { "".into() },
                ..Record::stock(kind, self.config.index, sku)
            });
        }
        payloads.extend(order.map(Payload::Order));
        self.changed_since_snapshot |= !changes.is_empty();
        if self.config.sync.is_none() {
            self.emit(ctx, payloads);
        }
    }

    /// Hands payloads to whatever carries them out of the store (a design
    /// without an outbox stream sends answers about orders to central directly).
    fn emit(&mut self, ctx: &mut Ctx, mut payloads: Vec<Payload>) {
        if let Some(central) = self.config.order_answers_to {
            payloads.retain(|payload| match *payload {
                Payload::Order(reply) => {
                    ctx.send(central, Msg::OrderAnswer(reply));
                    false
                }
                _ => true,
            });
        }
        if payloads.is_empty() {
            return;
        }
        if let Some(producer) = &mut self.producer {
            for payload in payloads {
                producer.push(payload);
            }
            producer.publish(ctx);
            return;
        }
        let first_new = self.db.outbox.len() as u64;
        for payload in payloads {
            self.db.outbox.push(payload);
        }
        self.stream_from(ctx, first_new);
    }

    /// Sends the relay every row from `lsn` on, if a relay is streaming.
    fn stream_from(&mut self, ctx: &mut Ctx, lsn: u64) {
        let Some((relay, next)) = self.stream else { return };
        let from = lsn.min(next) as usize;
        if from < self.db.outbox.len() {
            ctx.send(relay, Msg::LogRows { epoch: self.db.epoch, rows: self.db.outbox_rows(from) });
        }
        self.stream = Some((relay, self.db.outbox.len() as u64));
    }

    /// After a restore: rewrite every row once, with a new version, in one transaction.
    /// The holds the restored DB has are recorded again (`hold`, detail `restored`).
    fn resync(&mut self, ctx: &mut Ctx) {
        self.db.resync_pending = false;
        let changes: Vec<(u32, i64)> = (0..self.db.stock.len() as u32).map(|sku| (sku, 0)).collect();
        self.commit(ctx, Kind::Resync, &changes);
        for (&order, o) in self.db.orders.iter().filter(|(_, o)| o.state == HoldState::Held) {
            let on_hand = self.db.stock[o.sku as usize].on_hand;
            let record = Record {
                qty: Some(o.units),
                on_hand: Some(on_hand),
                order: Some(order),
                detail: "restored".into(),
                ..Record::stock(Kind::Hold, self.config.index, o.sku)
            };
            ctx.record(record);
        }
    }

    fn heartbeat(&mut self, ctx: &mut Ctx) {
        if let Some(interval) = self.config.heartbeat_interval_us {
            self.emit(ctx, vec![Payload::Heartbeat { store: self.config.index, store_ts_us: ctx.now_us }]);
            ctx.set_timer_after(interval, Timer::Heartbeat);
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx) {
        if let Some(interval) = self.config.reconciliation_interval_us {
            let snapshot = (0..self.db.stock.len() as u32).map(|sku| Payload::Snapshot(self.row_event(sku, ctx.now_us))).collect();
            self.emit(ctx, snapshot);
            ctx.set_timer_after(interval, Timer::Reconcile);
        }
    }

    // Online orders.

    /// The reply that states where `order` stands.
    fn order_reply(&self, order: u64, o: &StoreOrder) -> OrderReply {
        let on_hand = self.db.stock.get(o.sku as usize).map_or(0, |row| row.on_hand);
        let outcome = match o.state {
            HoldState::Held => OrderOutcome::Accepted { on_hand },
            HoldState::Rejected => OrderOutcome::Rejected { on_hand },
            HoldState::Picked => OrderOutcome::Fulfilled,
            HoldState::PickFailed => OrderOutcome::Failed { on_hand },
            HoldState::Released => OrderOutcome::Released,
        };
        OrderReply { store: self.config.index, sku: o.sku, order, outcome }
    }

    /// Records `o` as where `order` stands and writes the reply through the outbox.
    fn decide(&mut self, ctx: &mut Ctx, order: u64, o: StoreOrder) {
        self.db.orders.insert(order, o);
        let reply = self.order_reply(order, &o);
        self.emit(ctx, vec![Payload::Order(reply)]);
    }

    /// Central asks for a hold: one local transaction holds the units (or
    /// not) and writes the answer. A repeated command gets the same answer;
    /// a confirmation of a hold lets the picker take it.
    fn reserve(&mut self, ctx: &mut Ctx, order: u64, sku: u32, units: i64, confirmed: bool) {
        let Some(row) = self.db.stock.get(sku as usize).copied() else { return };
        if let Some(known) = self.db.orders.get_mut(&order) {
            if confirmed && known.state == HoldState::Held {
                known.confirmed = true;
                ctx.set_timer_at(known.pick_at_us, Timer::Pick { order });
                return;
            }
            let known = *known;
            let reply = self.order_reply(order, &known);
            return self.emit(ctx, vec![Payload::Order(reply)]);
        }
        let pick_at_us = ctx.now_us + self.config.pick_delay_us;
        let state = if row.on_hand - row.held >= units {
            self.db.stock[sku as usize].held += units;
            let record =
                Record { qty: Some(units), on_hand: Some(row.on_hand), order: Some(order), ..Record::stock(Kind::Hold, self.config.index, sku) };
            ctx.record(record);
            if confirmed {
                ctx.set_timer_at(pick_at_us, Timer::Pick { order });
            }
            HoldState::Held
        } else {
            HoldState::Rejected
        };
        self.decide(ctx, order, StoreOrder { sku, units, state, pick_at_us, confirmed });
    }

    /// The picker takes the held units: a sale against the hold, or a failed
    /// pick when the tills sold them first (soft holds).
    fn pick(&mut self, ctx: &mut Ctx, order: u64) {
        let Some(o) = self.db.orders.get(&order).copied().filter(|o| o.state == HoldState::Held && o.confirmed) else { return };
        let row = &mut self.db.stock[o.sku as usize];
        row.held -= o.units;
        if row.on_hand >= o.units {
            let picked = StoreOrder { state: HoldState::Picked, ..o };
            self.db.orders.insert(order, picked);
            let reply = self.order_reply(order, &picked);
            self.commit_for_order(ctx, Kind::Sale, &[(o.sku, -o.units)], Some(reply));
        } else {
            let on_hand = row.on_hand;
            self.release_record(ctx, order, &o, on_hand, "pick failed: the shelf is short");
            self.decide(ctx, order, StoreOrder { state: HoldState::PickFailed, ..o });
        }
    }

    /// Central releases the hold of `order` (a late accept). An order never
    /// seen is marked released, so that a command still on its way holds nothing.
    fn release(&mut self, ctx: &mut Ctx, order: u64, sku: u32) {
        match self.db.orders.get(&order).copied() {
            Some(o) if o.state == HoldState::Held => {
                let row = &mut self.db.stock[o.sku as usize];
                row.held -= o.units;
                let on_hand = row.on_hand;
                self.release_record(ctx, order, &o, on_hand, "central released it");
                self.decide(ctx, order, StoreOrder { state: HoldState::Released, ..o });
            }
            Some(o) => {
                let reply = self.order_reply(order, &o);
                self.emit(ctx, vec![Payload::Order(reply)]);
            }
            None => self.decide(ctx, order, StoreOrder { sku, units: 0, state: HoldState::Released, pick_at_us: 0, confirmed: false }),
        }
    }

    fn release_record(&self, ctx: &mut Ctx, order: u64, o: &StoreOrder, on_hand: i64, why: &'static str) {
        ctx.record(Record {
            qty: Some(o.units),
            on_hand: Some(on_hand),
            order: Some(order),
            detail: why.into(),
            ..Record::stock(Kind::Release, self.config.index, o.sku)
        });
    }

    // Sync multimaster.

    /// A transaction the store cannot commit; a till sale refused is recorded.
    fn refuse(&mut self, ctx: &mut Ctx, kind: Kind, why: &'static str) {
        if kind == Kind::Sale {
            self.sales_refused += 1;
            ctx.record(Record { store: Some(self.config.index), ..Record::event(Kind::SaleRefused, why) });
        }
    }

    /// Sends the next waiting transaction for certification, if none is being certified.
    fn certify_next(&mut self, ctx: &mut Ctx) {
        let Some(sync) = self.config.sync else { return };
        if self.sync.certifying.is_some() {
            return;
        }
        let Some(intent) = self.sync.waiting.pop_front() else { return };
        let changes = self.changes_for(&intent);
        if changes.is_empty() {
            return self.certify_next(ctx);
        }
        let txn = self.sync.next_txn;
        self.sync.next_txn += 1;
        let events = self.events_for(&changes, ctx.now_us);
        ctx.send(sync.certifier, Msg::Replicate { txn, events });
        // Twice the suspect timeout: the component evicts a silent member first, then certifies.
        ctx.set_timer_after(2 * sync.suspect_timeout_us, Timer::CertifyTimeout { txn });
        self.sync.certifying = Some(Txn { id: txn, kind: intent.kind, changes });
    }

    /// Out of the primary component: refuse what waits, and ask to join again.
    fn leave_primary(&mut self, ctx: &mut Ctx) {
        let Some(sync) = self.config.sync else { return };
        if !self.sync.non_primary {
            self.sync.non_primary = true;
            ctx.set_timer_after(sync.suspect_timeout_us, Timer::JoinPrimary);
        }
        if let Some(txn) = self.sync.certifying.take() {
            self.refuse(ctx, txn.kind, "certification failed");
            self.sync.in_doubt = Some(txn);
        }
        for intent in std::mem::take(&mut self.sync.waiting) {
            self.refuse(ctx, intent.kind, "not in the primary component");
        }
    }

    /// The component certified this store's transactions up to `certified_through`:
    /// one given up on is committed after all if it is among them, else dropped.
    fn settle_in_doubt(&mut self, ctx: &mut Ctx, certified_through: Option<u64>) {
        if let Some(txn) = self.sync.in_doubt.take() {
            if certified_through.is_some_and(|through| through >= txn.id) {
                self.commit(ctx, txn.kind, &txn.changes);
            } else if self.sync.non_primary {
                // Not certified yet: keep waiting while the answer may still come.
                self.sync.in_doubt = Some(txn);
            }
        }
    }

    fn sync_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Certified { txn } => {
                if let Some(certified) = self.sync.certifying.take_if(|t| t.id == txn) {
                    self.commit(ctx, certified.kind, &certified.changes);
                    self.certify_next(ctx);
                } else {
                    self.settle_in_doubt(ctx, Some(txn));
                }
            }
            Msg::Writeset { origin, txn, .. } => ctx.send(from, Msg::WritesetAck { origin, txn }),
            Msg::NotPrimary => self.leave_primary(ctx),
            Msg::Joined { certified_through } => {
                self.sync.non_primary = false;
                self.settle_in_doubt(ctx, certified_through);
            }
            _ => {}
        }
    }
}

impl Node for Store {
    fn start(&mut self, ctx: &mut Ctx) {
        self.workload.resume(ctx);
        for (&order, o) in &self.db.orders {
            if o.state == HoldState::Held && o.confirmed {
                ctx.set_timer_at(o.pick_at_us, Timer::Pick { order });
            }
        }
        if self.db.resync_pending {
            self.resync(ctx);
        }
        if let Some(interval) = self.config.heartbeat_interval_us {
            ctx.set_timer_after(interval, Timer::Heartbeat);
        }
        if let Some(interval) = self.config.reconciliation_interval_us {
            ctx.set_timer_after(interval, Timer::Reconcile);
        }
    }

    fn message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Subscribe { epoch, from_lsn } => {
                // A position in another epoch's log does not exist here: the relay
                // snapshots the outbox again from its start (Debezium's `when_needed`).
                let from_lsn = if epoch == self.db.epoch { from_lsn.min(self.db.outbox.len() as u64) } else { 0 };
                if epoch != self.db.epoch {
                    ctx.send(from, Msg::LogReset { epoch: self.db.epoch });
                }
                self.stream = Some((from, from_lsn));
                self.stream_from(ctx, from_lsn);
            }
            Msg::ProduceAck { request_id } => {
                if let Some(producer) = &mut self.producer {
                    producer.acknowledged(ctx, request_id);
                }
            }
            Msg::HealthCheck { request_id } => ctx.send(from, Msg::HealthOk { request_id }),
            Msg::Reserve { order, sku, units, confirmed } => self.reserve(ctx, order, sku, units, confirmed),
            Msg::ReleaseHold { order, sku } => self.release(ctx, order, sku),
            Msg::SnapshotRequest => {
                self.changed_since_snapshot = false;
                let rows = (0..self.db.stock.len() as u32).map(|sku| self.row_event(sku, ctx.now_us)).collect();
                ctx.send(from, Msg::SnapshotRows { rows });
            }
            other => self.sync_message(ctx, from, other),
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::TillArrival => {
                let intent = self.workload.till(ctx);
                self.request(ctx, intent);
            }
            Timer::RandomRestock => {
                let intent = self.workload.restock(ctx);
                self.request(ctx, intent);
            }
            Timer::DeliveryStart => {
                let stock = &self.db.stock;
                self.workload.delivery_start(ctx, |sku| stock[sku as usize].on_hand);
            }
            Timer::DeliveryStep => {
                if let Some(intent) = self.workload.delivery_step(ctx) {
                    self.request(ctx, intent);
                }
            }
            Timer::Heartbeat => self.heartbeat(ctx),
            Timer::Pick { order } => self.pick(ctx, order),
            Timer::Reconcile => self.reconcile(ctx),
            Timer::ProduceTimeout => {
                if let Some(producer) = &mut self.producer {
                    producer.timer_fired(ctx);
                }
            }
            Timer::Reconnect => {
                self.reconnect.clear();
                if let Some(producer) = &mut self.producer {
                    producer.publish(ctx);
                }
            }
            Timer::CertifyTimeout { txn } if self.sync.certifying.as_ref().is_some_and(|t| t.id == txn) => self.leave_primary(ctx),
            Timer::JoinPrimary => {
                if let (Some(sync), true) = (self.config.sync, self.sync.non_primary) {
                    ctx.send(sync.certifier, Msg::JoinPrimary { abandoned: self.sync.in_doubt.as_ref().map(|t| t.id) });
                    ctx.set_timer_after(sync.suspect_timeout_us, Timer::JoinPrimary);
                }
            }
            _ => {}
        }
    }

    fn disconnected(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if self.stream.is_some_and(|(relay, _)| relay == peer) {
            self.stream = None;
        }
        if let Some(producer) = self.producer.as_mut().filter(|p| p.broker() == peer) {
            // The app knows this send failed: it will send it again.
            producer.disconnected();
            self.reconnect.arm(ctx, self.config.reconnect_backoff_us);
        }
    }

    fn crash(&mut self, _now_us: Micros) {
        self.stream = None;
        self.reconnect.clear();
        // What the app had committed but not yet published is gone with it.
        if let Some(producer) = &mut self.producer {
            producer.crash();
        }
        self.sync = SyncState { next_txn: self.sync.next_txn, ..SyncState::default() };
    }

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Timer(
                Timer::TillArrival | Timer::RandomRestock | Timer::DeliveryStep | Timer::Heartbeat | Timer::Reconcile | Timer::Pick { .. },
            ) => (Op::StoreCommit, 1),
            Input::Message {
                msg: Msg::Certified { .. } | Msg::Writeset { .. } | Msg::SnapshotRequest | Msg::Reserve { .. } | Msg::ReleaseHold { .. },
                ..
            } => (Op::StoreCommit, 1),
            Input::Start if self.db.resync_pending => (Op::StoreCommit, 1),
            _ => (Op::Free, 1),
        }
    }
}
