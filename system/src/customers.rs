//! Online customers: Poisson stock reads against central's API.
//!
//! Reads pick a store uniformly and a SKU by the chain's popularity, from
//! their own seeded stream, so every design sees the same reads.

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
    /// No read starts at or after this time.
    pub end_us: Micros,
}

/// The customers node.
#[derive(Debug, Clone)]
pub struct Customers {
    config: CustomersConfig,
    rng: ChaCha8Rng,
    popularity: Popularity,
    read_gap: Option<Exp<f64>>,
    next_read_us: Micros,
    next_request_id: u64,
    /// Answers received, and how many showed the SKU as unavailable (metrics).
    pub answers: u64,
}

impl Customers {
    pub fn new(config: CustomersConfig, mut rng: ChaCha8Rng) -> Self {
        let read_gap = (config.reads_per_second > 0.0).then(|| Exp::new(config.reads_per_second / 1e6).ok()).flatten();
        let popularity = Popularity::new(config.skus_per_store, config.zipf_exponent);
        let next_read_us = read_gap.map_or(Micros::MAX, |g| g.sample(&mut rng) as Micros);
        Customers { config, rng, popularity, read_gap, next_read_us, next_request_id: 0, answers: 0 }
    }

    fn schedule(&self, ctx: &mut Ctx) {
        if self.next_read_us < self.config.end_us {
            ctx.set_timer_at(self.next_read_us, Timer::ReadArrival);
        }
    }
}

impl Node for Customers {
    fn start(&mut self, ctx: &mut Ctx) {
        self.schedule(ctx);
    }

    fn message(&mut self, _ctx: &mut Ctx, _from: NodeId, msg: Msg) {
        if let Msg::StockShown { .. } = msg {
            self.answers += 1;
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if timer != Timer::ReadArrival {
            return;
        }
        let store = self.rng.random_range(0..self.config.stores);
        let sku = self.popularity.sample(&mut self.rng);
        self.next_request_id += 1;
        ctx.send(self.config.central, Msg::ReadStock { request_id: self.next_request_id, store, sku });
        if let Some(gap) = self.read_gap {
            self.next_read_us += (gap.sample(&mut self.rng) as Micros).max(1);
        }
        self.schedule(ctx);
    }

    fn crash(&mut self, _now_us: Micros) {}

    fn cost(&self, _input: &Input) -> (Op, u32) {
        (Op::Free, 1)
    }
}
