//! Online customers: Poisson stock reads and orders against central's API.
//!
//! Reads pick a store uniformly and a SKU by the chain's popularity; orders
//! pick a home store uniformly, a SKU by popularity (or, under a promotion,
//! one of the promoted SKUs) and a quantity. Reads and orders each have their
//! own seeded stream, so every design sees the same customers.

use crate::Micros;
use crate::message::{Msg, NodeId};
use crate::node::{Ctx, Input, Node, Op, Timer};
use crate::popularity::Popularity;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp};

/// Parameters of the online workload, from the scenario.
#[derive(Debug, Clone)]
pub struct CustomersConfig {
    pub central: NodeId,
    pub stores: u32,
    pub skus_per_store: u32,
    pub zipf_exponent: f64,
    pub reads_per_second: f64,
    pub orders_per_second: f64,
    pub order_units_max: u32,
    /// The promotion: the first `promotion_skus` SKUs (the most popular) take `promotion_share` of the orders.
    pub promotion_skus: u32,
    pub promotion_share: f64,
    /// No read or order starts at or after this time.
    pub end_us: Micros,
}

/// A Poisson arrival process on its own stream.
#[derive(Debug, Clone)]
struct Arrivals {
    rng: ChaCha8Rng,
    gap: Option<Exp<f64>>,
    next_us: Micros,
}

impl Arrivals {
    fn new(per_second: f64, mut rng: ChaCha8Rng) -> Self {
        let gap = (per_second > 0.0).then(|| Exp::new(per_second / 1e6).ok()).flatten();
        let next_us = gap.map_or(Micros::MAX, |g| g.sample(&mut rng) as Micros);
        Arrivals { rng, gap, next_us }
    }

    fn advance(&mut self) {
        if let Some(gap) = self.gap {
            self.next_us += (gap.sample(&mut self.rng) as Micros).max(1);
        }
    }
}

/// The customers node.
#[derive(Debug, Clone)]
pub struct Customers {
    config: CustomersConfig,
    popularity: Popularity,
    reads: Arrivals,
    orders: Arrivals,
    next_request_id: u64,
    next_order: u64,
    /// Answers received, and how many showed the SKU as unavailable (metrics).
    pub answers: u64,
}

impl Customers {
    /// `reads_rng` and `orders_rng` are the two streams.
    pub fn new(config: CustomersConfig, reads_rng: ChaCha8Rng, orders_rng: ChaCha8Rng) -> Self {
        let popularity = Popularity::new(config.skus_per_store, config.zipf_exponent);
        let reads = Arrivals::new(config.reads_per_second, reads_rng);
        let orders = Arrivals::new(config.orders_per_second, orders_rng);
        Customers { config, popularity, reads, orders, next_request_id: 0, next_order: 0, answers: 0 }
    }

    fn schedule(&self, ctx: &mut Ctx, timer: Timer) {
        let next_us = if timer == Timer::ReadArrival { self.reads.next_us } else { self.orders.next_us };
        if next_us < self.config.end_us {
            ctx.set_timer_at(next_us, timer);
        }
    }

    fn read(&mut self, ctx: &mut Ctx) {
        let store = self.reads.rng.random_range(0..self.config.stores);
        let sku = self.popularity.sample(&mut self.reads.rng);
        self.next_request_id += 1;
        ctx.send(self.config.central, Msg::ReadStock { request_id: self.next_request_id, store, sku });
        self.reads.advance();
    }

    fn order(&mut self, ctx: &mut Ctx) {
        let c = &self.config;
        let rng = &mut self.orders.rng;
        let store = rng.random_range(0..c.stores);
        let promoted = c.promotion_skus > 0 && rng.random_bool(c.promotion_share);
        let sku = if promoted { rng.random_range(0..c.promotion_skus) } else { self.popularity.sample(rng) };
        let units = i64::from(rng.random_range(1..=c.order_units_max.max(1)));
        self.next_order += 1;
        ctx.send(c.central, Msg::PlaceOrder { order: self.next_order, store, sku, units });
        self.orders.advance();
    }
}

impl Node for Customers {
    fn start(&mut self, ctx: &mut Ctx) {
        self.schedule(ctx, Timer::ReadArrival);
        self.schedule(ctx, Timer::OrderArrival);
    }

    fn message(&mut self, _ctx: &mut Ctx, _from: NodeId, msg: Msg) {
        if let Msg::StockShown { .. } = msg {
            self.answers += 1;
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        match timer {
            Timer::ReadArrival => self.read(ctx),
            Timer::OrderArrival => self.order(ctx),
            _ => return,
        }
        self.schedule(ctx, timer);
    }

    fn crash(&mut self, _now_us: Micros) {}

    fn cost(&self, _input: &Input) -> (Op, u32) {
        (Op::Free, 1)
    }
}
