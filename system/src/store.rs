//! A store: its POS app and local database, with the till workload that drives it.
//!
//! Durable ([`StoreDb`]): stock rows `(on_hand, counter)`, the store epoch and
//! the outbox log; every sale or restock writes its stock row and its outbox
//! row in one local transaction. Volatile: the relay's open binlog stream.
//! The workload ([`TillWorkload`]) is the world outside the store (customers at
//! the tills, delivery trucks): it has its own seeded stream, so every design
//! sees the same arrivals.

use crate::history::{Kind, Record};
use crate::message::{Msg, NodeId, OutboxRow, Payload, StockEvent};
use crate::node::{Ctx, Input, Node, Op, Timer};
use crate::{Micros, US_PER_S};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use crate::popularity::Popularity;
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
    /// The outbox table in log order (`lsn` = index).
    pub outbox: Vec<OutboxRow>,
}

/// Parameters of one store, from the scenario.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub index: u32,
    pub relay: NodeId,
    /// Versions and event ids carry the store epoch.
    pub epoch_in_version: bool,
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
    next_delivery_us: Micros,
    delivery_duration_us: Micros,
    reorder_point: i64,
    order_up_to: i64,
    /// No arrival is scheduled at or after this time (the workload phase ends).
    end_us: Micros,
    next_till_us: Micros,
    next_restock_us: Micros,
    delivery_queue: VecDeque<u32>,
    delivery_step_us: Micros,
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

fn gap_per_hour(rate_per_hour: f64) -> Option<Exp<f64>> {
    // Exp over microseconds: rate per hour / 3.6e9 us.
    (rate_per_hour > 0.0).then(|| Exp::new(rate_per_hour / 3.6e9).ok()).flatten()
}

impl TillWorkload {
    pub fn new(config: &WorkloadConfig, mut rng: ChaCha8Rng) -> Self {
        let till_gap = gap_per_hour(config.till_transactions_per_hour);
        let restock_gap = gap_per_hour(config.random_restocks_per_hour);
        let popularity = Popularity::new(config.skus, config.zipf_exponent);
        let next_till_us = till_gap.map_or(Micros::MAX, |g| g.sample(&mut rng) as Micros);
        let next_restock_us = restock_gap.map_or(Micros::MAX, |g| g.sample(&mut rng) as Micros);
        TillWorkload {
            rng,
            popularity,
            skus: config.skus,
            lines_per_transaction: config.lines_per_transaction,
            till_gap,
            restock_gap,
            restock_quantity: config.restock_quantity,
            next_delivery_us: config.delivery_first_at_us,
            delivery_duration_us: config.delivery_duration_us.max(1),
            reorder_point: i64::from(config.reorder_point),
            order_up_to: i64::from(config.order_up_to),
            end_us: config.end_us,
            next_till_us,
            next_restock_us,
            delivery_queue: VecDeque::new(),
            delivery_step_us: 0,
        }
    }

    /// A SKU drawn by popularity (SKU 0 is the most popular).
    pub fn popular_sku(&mut self) -> u32 {
        self.popularity.sample(&mut self.rng)
    }

    /// Quantity of one till line: 1 (70%), 2 (20%) or 3 (10%).
    fn line_quantity(&mut self) -> i64 {
        match self.rng.random_range(0..10u32) {
            0..7 => 1,
            7..9 => 2,
            _ => 3,
        }
    }

    fn schedule(&self, ctx: &mut Ctx, at_us: Micros, timer: Timer) {
        if at_us < self.end_us {
            ctx.set_timer_at(at_us, timer);
        }
    }

    fn start(&self, ctx: &mut Ctx) {
        self.schedule(ctx, self.next_till_us, Timer::TillArrival);
        self.schedule(ctx, self.next_restock_us, Timer::RandomRestock);
        self.schedule(ctx, self.next_delivery_us, Timer::DeliveryStart);
        if !self.delivery_queue.is_empty() {
            ctx.set_timer_after(self.delivery_step_us, Timer::DeliveryStep);
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
        Store { config, db: StoreDb { stock, epoch: 0, outbox: Vec::new() }, workload, stream: None, lines_lost: 0 }
    }

    pub fn db(&self) -> &StoreDb {
        &self.db
    }

    pub fn index(&self) -> u32 {
        self.config.index
    }

    /// One local transaction: each `(sku, change)` updates its stock row and writes an outbox row.
    fn commit(&mut self, ctx: &mut Ctx, kind: Kind, changes: &[(u32, i64)]) {
        let first_new = self.db.outbox.len();
        for &(sku, delta) in changes {
            let row = &mut self.db.stock[sku as usize];
            row.on_hand += delta;
            row.counter += 1;
            debug_assert!(row.on_hand >= 0, "a store never sells what its shelf does not hold");
            let epoch = if self.config.epoch_in_version { self.db.epoch } else { 0 };
            let version = (u64::from(epoch) << 32) | u64::from(row.counter);
            let event = StockEvent {
                store: self.config.index,
                sku,
                delta,
                on_hand: row.on_hand,
                version,
                id: (self.config.index, epoch, sku, row.counter),
                committed_at_us: ctx.now_us,
            };
            let lsn = self.db.outbox.len() as u64;
            self.db.outbox.push(OutboxRow { lsn, payload: Payload::Stock(event) });
            ctx.record(Record { qty: Some(delta), on_hand: Some(row.on_hand), version: Some(version), ..Record::stock(kind, self.config.index, sku) });
        }
        if self.db.outbox.len() > first_new {
            self.stream_from(ctx, first_new as u64);
        }
    }

    /// Sends the relay every row from `lsn` on, if a relay is streaming.
    fn stream_from(&mut self, ctx: &mut Ctx, lsn: u64) {
        let Some((relay, next)) = self.stream else { return };
        let from = lsn.min(next) as usize;
        if from < self.db.outbox.len() {
            ctx.send(relay, Msg::LogRows { rows: self.db.outbox[from..].to_vec() });
        }
        self.stream = Some((relay, self.db.outbox.len() as u64));
    }

    fn till_arrival(&mut self, ctx: &mut Ctx) {
        let w = &mut self.workload;
        let mut changes = Vec::with_capacity(w.lines_per_transaction as usize);
        for _ in 0..w.lines_per_transaction {
            let sku = w.popular_sku();
            let wanted = w.line_quantity();
            let already: i64 = changes.iter().filter(|(s, _)| *s == sku).map(|(_, d)| -d).sum();
            let shelf = self.db.stock[sku as usize].on_hand - already;
            let sold = wanted.min(shelf);
            if sold > 0 {
                changes.push((sku, -sold));
            }
            if sold < wanted {
                self.lines_lost += 1;
            }
        }
        if let Some(gap) = w.till_gap {
            w.next_till_us += (gap.sample(&mut w.rng) as Micros).max(1);
            w.schedule(ctx, w.next_till_us, Timer::TillArrival);
        }
        self.commit(ctx, Kind::Sale, &changes);
    }

    fn random_restock(&mut self, ctx: &mut Ctx) {
        let w = &mut self.workload;
        let sku = w.rng.random_range(0..w.skus);
        let (low, high) = w.restock_quantity;
        let quantity = i64::from(w.rng.random_range(low..=high.max(low)));
        if let Some(gap) = w.restock_gap {
            w.next_restock_us += (gap.sample(&mut w.rng) as Micros).max(1);
            w.schedule(ctx, w.next_restock_us, Timer::RandomRestock);
        }
        self.commit(ctx, Kind::Restock, &[(sku, quantity)]);
    }

    fn delivery_start(&mut self, ctx: &mut Ctx) {
        let w = &mut self.workload;
        w.delivery_queue = (0..w.skus).filter(|&sku| self.db.stock[sku as usize].on_hand < w.reorder_point).collect();
        w.delivery_step_us = w.delivery_duration_us / (w.delivery_queue.len() as Micros + 1);
        if !w.delivery_queue.is_empty() {
            ctx.set_timer_after(w.delivery_step_us, Timer::DeliveryStep);
        }
        w.next_delivery_us += 24 * 3600 * US_PER_S;
        w.schedule(ctx, w.next_delivery_us, Timer::DeliveryStart);
    }

    fn delivery_step(&mut self, ctx: &mut Ctx) {
        let w = &mut self.workload;
        let Some(sku) = w.delivery_queue.pop_front() else { return };
        if !w.delivery_queue.is_empty() {
            ctx.set_timer_after(w.delivery_step_us, Timer::DeliveryStep);
        }
        let top_up = w.order_up_to - self.db.stock[sku as usize].on_hand;
        if top_up > 0 {
            self.commit(ctx, Kind::Restock, &[(sku, top_up)]);
        }
    }
}

impl Node for Store {
    fn start(&mut self, ctx: &mut Ctx) {
        self.workload.start(ctx);
    }

    fn message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        if let Msg::Subscribe { from_lsn } = msg {
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
            _ => {}
        }
    }

    fn crash(&mut self) {
        self.stream = None;
    }

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Timer(Timer::TillArrival | Timer::RandomRestock | Timer::DeliveryStep) => (Op::StoreCommit, 1),
            _ => (Op::Free, 1),
        }
    }
}
