//! Central: the chain-wide stock view, the freshness monitor and the online read API.
//!
//! Durable: the view `(store, sku) -> (on_hand, version, applied_at)`, for the
//! inbox design the set of applied event ids (written in the same transaction
//! as the view), and each store's watermark. Central applies each event by the
//! design's semantics and idempotency and records every write as
//! `central_apply`. With an outbox heartbeat, applying a heartbeat moves the
//! store's watermark to the heartbeat's store time; a store whose watermark is
//! older than `stale_after` is hidden from online reads (`stale`), and shown
//! again (`fresh`) when its watermark moves.

use crate::history::{Kind, Record};
use crate::message::{EventKey, Msg, NodeId, Payload, StockEvent};
use crate::node::{Ctx, Input, Node, Op, Timer};
use crate::Micros;
use scenarios::{EventSemantics, Freshness, Idempotency};
use std::collections::BTreeSet;

/// Parameters of central, from the scenario.
#[derive(Debug, Clone)]
pub struct CentralConfig {
    pub stores: u32,
    pub skus_per_store: u32,
    pub event_semantics: EventSemantics,
    pub idempotency: Idempotency,
    pub freshness: Freshness,
    pub stale_after_us: Micros,
}

/// Central's row for one (store, sku).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewRow {
    pub on_hand: i64,
    /// The version of the last event written here (the high-water mark for the version design).
    pub version: u64,
    pub applied_at_us: Micros,
}

/// What central knows of one store's freshness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Watermark {
    /// Store time up to which every commit is applied (durable).
    store_ts_us: Micros,
    /// Whether the store is hidden now (durable: it is what online shows).
    stale: bool,
    /// Whether a stale check is scheduled (volatile).
    check_pending: bool,
}

/// The central node.
#[derive(Debug, Clone)]
pub struct Central {
    config: CentralConfig,
    // durable
    view: Vec<ViewRow>,
    inbox: BTreeSet<EventKey>,
    watermarks: Vec<Watermark>,
    /// Events skipped as already applied (metrics).
    pub events_skipped: u64,
    /// Events that wrote the view (metrics).
    pub events_applied: u64,
}

impl Central {
    /// Central starts from the stores' initial snapshot (`initial[store][sku]`).
    pub fn new(config: CentralConfig, initial: &[Vec<i64>]) -> Self {
        let view = initial.iter().flatten().map(|&on_hand| ViewRow { on_hand, version: 0, applied_at_us: 0 }).collect();
        let watermarks = vec![Watermark::default(); config.stores as usize];
        Central { config, view, inbox: BTreeSet::new(), watermarks, events_skipped: 0, events_applied: 0 }
    }

    fn index(&self, store: u32, sku: u32) -> Option<usize> {
        (store < self.config.stores && sku < self.config.skus_per_store)
            .then(|| store as usize * self.config.skus_per_store as usize + sku as usize)
    }

    /// Central's row for (store, sku).
    pub fn row(&self, store: u32, sku: u32) -> Option<ViewRow> {
        self.index(store, sku).map(|i| self.view[i])
    }

    /// Whether central shows `store` at `now_us` (its own clock).
    pub fn shows(&self, store: u32, now_us: Micros) -> bool {
        match self.config.freshness {
            Freshness::None => true,
            Freshness::OutboxHeartbeat => {
                self.watermarks.get(store as usize).is_some_and(|w| now_us.saturating_sub(w.store_ts_us) <= self.config.stale_after_us)
            }
        }
    }

    /// Applies one event in its own transaction; returns whether it wrote the view.
    fn apply(&mut self, ctx: &mut Ctx, event: &StockEvent) -> bool {
        let Some(index) = self.index(event.store, event.sku) else { return false };
        let row = self.view[index];
        let fresh = match self.config.idempotency {
            Idempotency::None => true,
            Idempotency::Inbox => self.inbox.insert(event.id),
            Idempotency::Version => event.version > row.version,
        };
        if !fresh {
            self.events_skipped += 1;
            return false;
        }
        let on_hand = match self.config.event_semantics {
            EventSemantics::Delta => row.on_hand + event.delta,
            EventSemantics::Absolute | EventSemantics::AbsoluteVersioned => event.on_hand,
        };
        if self.config.idempotency == Idempotency::Version {
            assert!(event.version > row.version, "the version high-water mark never goes backwards");
        }
        self.view[index] = ViewRow { on_hand, version: event.version, applied_at_us: ctx.now_us };
        self.events_applied += 1;
        ctx.record(Record {
            qty: Some(on_hand - row.on_hand),
            on_hand: Some(on_hand),
            version: Some(event.version),
            ..Record::stock(Kind::CentralApply, event.store, event.sku)
        });
        true
    }

    /// A heartbeat moves the store's watermark; a hidden store is shown again.
    fn heartbeat(&mut self, ctx: &mut Ctx, store: u32, store_ts_us: Micros) {
        if self.config.freshness != Freshness::OutboxHeartbeat {
            return;
        }
        let Some(watermark) = self.watermarks.get_mut(store as usize) else { return };
        watermark.store_ts_us = watermark.store_ts_us.max(store_ts_us);
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
            ctx.set_timer_at(watermark.store_ts_us + stale_after + 1, Timer::StaleCheck { store });
        }
    }

    fn stale_check(&mut self, ctx: &mut Ctx, store: u32) {
        let Some(watermark) = self.watermarks.get_mut(store as usize) else { return };
        watermark.check_pending = false;
        if !self.shows(store, ctx.now_us) {
            let watermark = &mut self.watermarks[store as usize];
            watermark.stale = true;
            let age_s = ctx.now_us.saturating_sub(watermark.store_ts_us) as f64 / 1e6;
            ctx.record(Record { store: Some(store), ..Record::event(Kind::Stale, format!("watermark {age_s:.3}s old")) });
        } else {
            self.arm_stale_check(ctx, store);
        }
    }
}

impl Node for Central {
    fn start(&mut self, ctx: &mut Ctx) {
        if self.config.freshness == Freshness::OutboxHeartbeat {
            for store in 0..self.config.stores {
                self.arm_stale_check(ctx, store);
            }
        }
    }

    fn message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Apply { request_id, events } => {
                for payload in &events {
                    match *payload {
                        Payload::Stock(ref event) => {
                            self.apply(ctx, event);
                        }
                        Payload::Heartbeat { store, store_ts_us } => self.heartbeat(ctx, store, store_ts_us),
                    }
                }
                ctx.send(from, Msg::Applied { request_id });
            }
            Msg::ReadStock { request_id, store, sku } => {
                let row = self.row(store, sku);
                let shown = self.shows(store, ctx.now_us);
                if let Some(row) = row {
                    let detail = if shown { "fresh" } else { "stale" };
                    ctx.record(Record { on_hand: Some(row.on_hand), detail: detail.into(), ..Record::stock(Kind::Read, store, sku) });
                }
                ctx.send(from, Msg::StockShown { request_id, on_hand: row.filter(|_| shown).map(|row| row.on_hand) });
            }
            _ => {}
        }
    }

    fn timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if let Timer::StaleCheck { store } = timer {
            self.stale_check(ctx, store);
        }
    }

    fn crash(&mut self, _now_us: Micros) {
        for watermark in &mut self.watermarks {
            watermark.check_pending = false;
        }
    }

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Message { msg: msg @ Msg::Apply { .. }, .. } => (Op::CentralApply, msg.units()),
            Input::Message { msg: Msg::ReadStock { .. }, .. } => (Op::CentralRead, 1),
            _ => (Op::Free, 1),
        }
    }
}
