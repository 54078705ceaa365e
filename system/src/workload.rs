//! The till and delivery workload of one store: the world outside it
//! (customers at the tills, delivery trucks). It has its own seeded stream and
//! the world's clock, so every design sees the same arrivals (common random
//! numbers). Each arrival becomes an [`Intent`]; the store turns it into
//! stock changes against its DB when it commits.

use crate::Micros;
use crate::US_PER_S;
use crate::history::Kind;
use crate::node::{Ctx, Timer};
use crate::popularity::Popularity;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp};
use std::collections::VecDeque;

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

/// One line of what the world wants from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A customer takes up to this many units off the shelf.
    Sell { sku: u32, units: i64 },
    /// Units arrive.
    Add { sku: u32, units: i64 },
    /// The delivery tops the SKU up to this level.
    TopUpTo { sku: u32, level: i64 },
}

/// A transaction the world asks of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub kind: Kind,
    pub lines: Vec<Line>,
}

/// The workload generator.
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

    /// The next till transaction, and schedules the one after.
    pub fn till(&mut self, ctx: &mut Ctx) -> Intent {
        let lines = (0..self.lines_per_transaction)
            .map(|_| {
                let sku = self.popularity.sample(&mut self.rng);
                // 1 unit (70%), 2 (20%) or 3 (10%).
                let units = match self.rng.random_range(0..10u32) {
                    0..7 => 1,
                    7..9 => 2,
                    _ => 3,
                };
                Line::Sell { sku, units }
            })
            .collect();
        self.next_till_us = next_arrival(self.till_gap, &mut self.rng, self.next_till_us);
        self.schedule(ctx, self.next_till_us, Timer::TillArrival);
        Intent { kind: Kind::Sale, lines }
    }

    /// The next random restock, and schedules the one after.
    pub fn restock(&mut self, ctx: &mut Ctx) -> Intent {
        let sku = self.rng.random_range(0..self.skus);
        let (low, high) = self.restock_quantity;
        let units = i64::from(self.rng.random_range(low..=high.max(low)));
        self.next_restock_us = next_arrival(self.restock_gap, &mut self.rng, self.next_restock_us);
        self.schedule(ctx, self.next_restock_us, Timer::RandomRestock);
        Intent { kind: Kind::Restock, lines: vec![Line::Add { sku, units }] }
    }

    /// The truck arrives: every SKU below the reorder point (per `on_hand`) is queued for a top-up.
    pub fn delivery_start(&mut self, ctx: &mut Ctx, on_hand: impl Fn(u32) -> i64) {
        self.delivery_queue = (0..self.skus).filter(|&sku| on_hand(sku) < self.reorder_point).collect();
        self.delivery_step_us = self.delivery_duration_us / (self.delivery_queue.len() as Micros + 1);
        if !self.delivery_queue.is_empty() {
            ctx.set_world_timer_at(ctx.world_now_us + self.delivery_step_us, Timer::DeliveryStep);
        }
        self.next_delivery_us += 24 * 3600 * US_PER_S;
        self.schedule(ctx, self.next_delivery_us, Timer::DeliveryStart);
    }

    /// The next SKU of the delivery, if any is left.
    pub fn delivery_step(&mut self, ctx: &mut Ctx) -> Option<Intent> {
        let sku = self.delivery_queue.pop_front()?;
        if !self.delivery_queue.is_empty() {
            ctx.set_world_timer_at(ctx.world_now_us + self.delivery_step_us, Timer::DeliveryStep);
        }
        Some(Intent { kind: Kind::Restock, lines: vec![Line::TopUpTo { sku, level: self.order_up_to }] })
    }

    fn schedule(&self, ctx: &mut Ctx, at_us: Micros, timer: Timer) {
        if at_us < self.end_us {
            ctx.set_world_timer_at(at_us, timer);
        }
    }

    /// Schedules the next arrivals; those that came while the store was down are missed.
    pub fn resume(&mut self, ctx: &mut Ctx) {
        let now = ctx.world_now_us.min(self.end_us);
        while self.next_till_us < now {
            // Draw the missed transaction's lines too, so later arrivals stay the same.
            for _ in 0..self.lines_per_transaction {
                self.popularity.sample(&mut self.rng);
                self.rng.random_range(0..10u32);
            }
            self.next_till_us = next_arrival(self.till_gap, &mut self.rng, self.next_till_us);
            self.transactions_missed += 1;
        }
        while self.next_restock_us < now {
            self.rng.random_range(0..self.skus);
            let (low, high) = self.restock_quantity;
            self.rng.random_range(low..=high.max(low));
            self.next_restock_us = next_arrival(self.restock_gap, &mut self.rng, self.next_restock_us);
        }
        while self.next_delivery_us < now {
            self.next_delivery_us += 24 * 3600 * US_PER_S;
        }
        self.schedule(ctx, self.next_till_us, Timer::TillArrival);
        self.schedule(ctx, self.next_restock_us, Timer::RandomRestock);
        self.schedule(ctx, self.next_delivery_us, Timer::DeliveryStart);
        if !self.delivery_queue.is_empty() {
            ctx.set_world_timer_at(ctx.world_now_us + self.delivery_step_us, Timer::DeliveryStep);
        }
    }
}
