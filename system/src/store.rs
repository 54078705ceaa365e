//! A store: its POS app and local database, with the till workload that drives it.
//!
//! Durable ([`StoreDb`]): stock rows `(on_hand, counter)`, the store epoch and
//! the outbox log; every sale or restock writes its stock row and its outbox
//! row in one local transaction. Volatile: the relay's open binlog stream.
//! The workload ([`TillWorkload`]) is the world outside the store (customers at
//! the tills, delivery trucks): it has its own seeded stream and the world's
//! clock, so every design sees the same arrivals.
//!
//! A DB restored from a backup comes back with a higher epoch and rewrites
//! every stock row once (`resync`), so that versions keep rising and central
//! learns the restored values.

use crate::history::{Kind, Record};
use crate::message::{Msg, NodeId, OutboxRow, Payload, StockEvent};
use crate::node::{Ctx, Input, Node, Op, Timer};
use crate::popularity::Popularity;
use crate::{Micros, US_PER_S};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp};
use std::collections::VecDeque;

/// One stock row of the local DB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockRow {
    pub on_hand: i64,
    /// Per-(store, sku) change counter, written in the same transaction.
    pub counter: u32,
}

/// The store's durable state: what a crash keeps and a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreDb {
    pub stock: Vec<StockRow>,
    /// Rises each time the DB is restored from a backup.
    pub epoch: u32,
    /// The outbox table in log order (`lsn` = index). Its log is identified by the epoch.
    pub outbox: Vec<OutboxRow>,
    /// Set by a restore: rewrite every stock row at the next start.
    pub resync_pending: bool,
}

/// Parameters of one store, from the scenario.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub index: u32,
    /// Versions and event ids carry the store epoch.
    pub epoch_in_version: bool,
    /// Write a heartbeat row through the outbox this often.
    pub heartbeat_interval_us: Option<Micros>,
}

/// Till workload parameters.
#[derive(Debug, Clone)]
pub struct WorkloadConfig {
    pub skus: u32,
    pub lines_per_transaction: u32,
    pub zipf_exponent: f64,
    pub till_transactions_per_hour: f64,
    pub random_restocks_per_hour: f64,
    pub restock_quantity: (u32, u32),
    pub delivery_first_at_us: Micros,
    pub delivery_duration_us: Micros,
    pub reorder_point: u32,
    pub order_up_to: u32,
    pub end_us: Micros,
}

/// The till and delivery workload of one store: arrivals independent of the design.
#[derive(Debug, Clone)]
pub struct TillWorkload {
    rng: ChaCha8Rng,
    popularity: Popularity,
    skus: u32,
    lines_per_transaction: u32,
    till_gap: Option<Exp<f64>>,
    restock_gap: Option<Exp<f64>>,
    restock_quantity: (u32, u32),
    delivery_duration_us: Micros,
    reorder_point: i64,
    order_up_to: i64,
    /// No arrival is scheduled at or after this time (the workload phase ends).
    end_us: Micros,
    next_till_us: Micros,
    next_restock_us: Micros,
    next_delivery_us: Micros,
    delivery_queue: VecDeque<u32>,
    delivery_step_us: Micros,
    /// Till transactions that arrived while the store was down (metrics).
    pub transactions_missed: u64,
}

fn gap_per_hour(rate_per_hour: f64) -> Option<Exp<f64>> {
    // Exp over microseconds: rate per hour / 3.6e9 us.
    (rate_per_hour > 0.0).then(|| Exp::new(rate_per_hour / 3.6e9).ok()).flatten()
}

fn next_arrival(gap: Option<Exp<f64>>, rng: &mut ChaCha8Rng, after_us: Micros) -> Micros {
    gap.map_or(Micros::MAX, |g| after_us.saturating_add((g.sample(rng) as Micros).max(1)))
}

impl TillWorkload {
    pub fn new(config: &WorkloadConfig, mut rng: ChaCha8Rng) -> Self {
        let till_gap = gap_per_hour(config.till_transactions_per_hour);
        let restock_gap = gap_per_hour(config.random_restocks_per_hour);
        let next_till_us = next_arrival(till_gap, &mut rng, 0);
        let next_restock_us = next_arrival(restock_gap, &mut rng, 0);
        TillWorkload {
            rng,
            popularity: Popularity::new(config.skus, config.zipf_exponent),
            skus: config.skus,
            lines_per_transaction: config.lines_per_transaction,
            till_gap,
            restock_gap,
            restock_quantity: config.restock_quantity,
            delivery_duration_us: config.delivery_duration_us.max(1),
            reorder_point: i64::from(config.reorder_point),
            order_up_to: i64::from(config.order_up_to),
            end_us: config.end_us,
            next_till_us,
            next_restock_us,
            next_delivery_us: config.delivery_first_at_us,
            delivery_queue: VecDeque::new(),
            delivery_step_us: 0,
            transactions_missed: 0,
        }
    }

    /// The lines of the next till transaction, as (sku, units wanted), and the next arrival.
    fn next_transaction(&mut self) -> Vec<(u32, i64)> {
        let lines = (0..self.lines_per_transaction)
            .map(|_| {
                let sku = self.popularity.sample(&mut self.rng);
                // 1 unit (70%), 2 (20%) or 3 (10%).
                let units = match self.rng.random_range(0..10u32) {
                    0..7 => 1,
                    7..9 => 2,
                    _ => 3,
                };
                (sku, units)
            })
            .collect();
        self.next_till_us = next_arrival(self.till_gap, &mut self.rng, self.next_till_us);
        lines
    }

    /// The next random restock as (sku, units), and the next arrival.
    fn next_restock(&mut self) -> (u32, i64) {
        let sku = self.rng.random_range(0..self.skus);
        let (low, high) = self.restock_quantity;
        let units = i64::from(self.rng.random_range(low..=high.max(low)));
        self.next_restock_us = next_arrival(self.restock_gap, &mut self.rng, self.next_restock_us);
        (sku, units)
    }

    fn schedule(&self, ctx: &mut Ctx, at_us: Micros, timer: Timer) {
        if at_us < self.end_us {
            ctx.set_world_timer_at(at_us, timer);
        }
    }

    /// Schedules the next arrivals; those that came while the store was down are missed.
    fn resume(&mut self, ctx: &mut Ctx) {
        let now = ctx.world_now_us;
        while self.next_till_us < now.min(self.end_us) {
            self.next_transaction();
            self.transactions_missed += 1;
        }
        while self.next_restock_us < now.min(self.end_us) {
            self.next_restock();
        }
        while self.next_delivery_us < now.min(self.end_us) {
            self.next_delivery_us += 24 * 3600 * US_PER_S;
        }
        self.schedule(ctx, self.next_till_us, Timer::TillArrival);
        self.schedule(ctx, self.next_restock_us, Timer::RandomRestock);
        self.schedule(ctx, self.next_delivery_us, Timer::DeliveryStart);
        if !self.delivery_queue.is_empty() {
            ctx.set_world_timer_at(now + self.delivery_step_us, Timer::DeliveryStep);
        }
    }
}

/// A store node.
#[derive(Debug, Clone)]
pub struct Store {
    config: StoreConfig,
    db: StoreDb,
    workload: TillWorkload,
    /// Volatile: the relay streaming the log, and the next lsn it has not been sent.
    stream: Option<(NodeId, u64)>,
    /// Till lines that found the shelf empty (lost local sales), for metrics.
    pub lines_lost: u64,
}

impl Store {
    pub fn new(config: StoreConfig, initial_on_hand: Vec<i64>, workload: TillWorkload) -> Self {
        let stock = initial_on_hand.into_iter().map(|on_hand| StockRow { on_hand, counter: 0 }).collect();
        let db = StoreDb { stock, epoch: 0, outbox: Vec::new(), resync_pending: false };
        Store { config, db, workload, stream: None, lines_lost: 0 }
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

    /// One local transaction: each `(sku, change)` updates its stock row and writes an outbox row.
    fn commit(&mut self, ctx: &mut Ctx, kind: Kind, changes: &[(u32, i64)]) {
        let first_new = self.db.outbox.len();
        for &(sku, delta) in changes {
            let row = &mut self.db.stock[sku as usize];
            row.on_hand += delta;
            row.counter += 1;
            assert!(row.on_hand >= 0, "a store never sells what its shelf does not hold");
            let (on_hand, counter) = (row.on_hand, row.counter);
            let (version, id) = self.version_and_id(sku, counter);
            let event = StockEvent { store: self.config.index, sku, delta, on_hand, version, id, committed_at_us: ctx.now_us };
            self.append(Payload::Stock(event));
            ctx.record(Record { qty: Some(delta), on_hand: Some(on_hand), version: Some(version), ..Record::stock(kind, self.config.index, sku) });
        }
        if self.db.outbox.len() > first_new {
            self.stream_from(ctx, first_new as u64);
        }
    }

    fn append(&mut self, payload: Payload) {
        let lsn = self.db.outbox.len() as u64;
        self.db.outbox.push(OutboxRow { lsn, payload });
    }

    /// Sends the relay every row from `lsn` on, if a relay is streaming.
    fn stream_from(&mut self, ctx: &mut Ctx, lsn: u64) {
        let Some((relay, next)) = self.stream else { return };
        let from = lsn.min(next) as usize;
        if from < self.db.outbox.len() {
            ctx.send(relay, Msg::LogRows { epoch: self.db.epoch, rows: self.db.outbox[from..].to_vec() });
        }
        self.stream = Some((relay, self.db.outbox.len() as u64));
    }

    fn till_arrival(&mut self, ctx: &mut Ctx) {
        let lines = self.workload.next_transaction();
        let mut changes: Vec<(u32, i64)> = Vec::with_capacity(lines.len());
        for (sku, wanted) in lines {
            let already: i64 = changes.iter().filter(|(s, _)| *s == sku).map(|(_, d)| -d).sum();
            let sold = wanted.min(self.db.stock[sku as usize].on_hand - already);
            if sold > 0 {
                changes.push((sku, -sold));
            }
            if sold < wanted {
                self.lines_lost += 1;
            }
        }
        self.workload.schedule(ctx, self.workload.next_till_us, Timer::TillArrival);
        self.commit(ctx, Kind::Sale, &changes);
    }

    fn random_restock(&mut self, ctx: &mut Ctx) {
        let (sku, units) = self.workload.next_restock();
        self.workload.schedule(ctx, self.workload.next_restock_us, Timer::RandomRestock);
        self.commit(ctx, Kind::Restock, &[(sku, units)]);
    }

    fn delivery_start(&mut self, ctx: &mut Ctx) {
        let w = &mut self.workload;
        w.delivery_queue = (0..w.skus).filter(|&sku| self.db.stock[sku as usize].on_hand < w.reorder_point).collect();
        w.delivery_step_us = w.delivery_duration_us / (w.delivery_queue.len() as Micros + 1);
        if !w.delivery_queue.is_empty() {
            ctx.set_world_timer_at(ctx.world_now_us + w.delivery_step_us, Timer::DeliveryStep);
        }
        w.next_delivery_us += 24 * 3600 * US_PER_S;
        w.schedule(ctx, w.next_delivery_us, Timer::DeliveryStart);
    }

    fn delivery_step(&mut self, ctx: &mut Ctx) {
        let w = &mut self.workload;
        let Some(sku) = w.delivery_queue.pop_front() else { return };
        if !w.delivery_queue.is_empty() {
            ctx.set_world_timer_at(ctx.world_now_us + w.delivery_step_us, Timer::DeliveryStep);
        }
        let top_up = w.order_up_to - self.db.stock[sku as usize].on_hand;
        if top_up > 0 {
            self.commit(ctx, Kind::Restock, &[(sku, top_up)]);
        }
    }

    /// After a restore: rewrite every row once, with a new version, in one transaction.
    fn resync(&mut self, ctx: &mut Ctx) {
        self.db.resync_pending = false;
        let changes: Vec<(u32, i64)> = (0..self.db.stock.len() as u32).map(|sku| (sku, 0)).collect();
        self.commit(ctx, Kind::Resync, &changes);
    }

    fn heartbeat(&mut self, ctx: &mut Ctx) {
        if let Some(interval) = self.config.heartbeat_interval_us {
            let first_new = self.db.outbox.len() as u64;
            self.append(Payload::Heartbeat { store: self.config.index, store_ts_us: ctx.now_us });
            self.stream_from(ctx, first_new);
            ctx.set_timer_after(interval, Timer::Heartbeat);
        }
    }
}

impl Node for Store {
    fn start(&mut self, ctx: &mut Ctx) {
        self.workload.resume(ctx);
        if self.db.resync_pending {
            self.resync(ctx);
        }
        if let Some(interval) = self.config.heartbeat_interval_us {
            ctx.set_timer_after(interval, Timer::Heartbeat);
        }
    }

    fn message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        if let Msg::Subscribe { epoch, from_lsn } = msg {
            // A position in another epoch's log does not exist here: the relay
            // snapshots the outbox again from its start (Debezium's `when_needed`).
            let from_lsn = if epoch == self.db.epoch { from_lsn.min(self.db.outbox.len() as u64) } else { 0 };
            if epoch != self.db.epoch {
                ctx.send(from, Msg::LogReset { epoch: self.db.epoch });
            }
            self.stream = Some((from, from_lsn));
            self.stream_from(ctx, from_lsn);
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::TillArrival => self.till_arrival(ctx),
            Timer::RandomRestock => self.random_restock(ctx),
            Timer::DeliveryStart => self.delivery_start(ctx),
            Timer::DeliveryStep => self.delivery_step(ctx),
            Timer::Heartbeat => self.heartbeat(ctx),
            _ => {}
        }
    }

    fn disconnected(&mut self, _ctx: &mut Ctx, peer: NodeId) {
        if self.stream.is_some_and(|(relay, _)| relay == peer) {
            self.stream = None;
        }
    }

    fn crash(&mut self, _now_us: Micros) {
        self.stream = None;
    }

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Timer(Timer::TillArrival | Timer::RandomRestock | Timer::DeliveryStep | Timer::Heartbeat) => (Op::StoreCommit, 1),
            Input::Start if self.db.resync_pending => (Op::StoreCommit, 1),
            _ => (Op::Free, 1),
        }
    }
}
