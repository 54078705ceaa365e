//! Central: the chain-wide stock view and the online read API.
//!
//! Durable: the view `(store, sku) -> (on_hand, version, applied_at)` and, for
//! the inbox design, the set of applied event ids (written in the same
//! transaction as the view). Central applies each event by the design's
//! semantics and idempotency, records every write as `central_apply`, and
//! answers online reads from the view.

use crate::history::{Kind, Record};
use crate::message::{EventKey, Msg, NodeId, StockEvent};
use crate::node::{Ctx, Input, Node, Op, Timer};
use crate::Micros;
use scenarios::{EventSemantics, Idempotency};
use std::collections::BTreeSet;

/// Parameters of central, from the scenario.
#[derive(Debug, Clone)]
pub struct CentralConfig {
    pub stores: u32,
    pub skus_per_store: u32,
    pub event_semantics: EventSemantics,
    pub idempotency: Idempotency,
}

/// Central's row for one (store, sku).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewRow {
    pub on_hand: i64,
    /// The version of the last event written here (the high-water mark for the version design).
    pub version: u64,
    pub applied_at_us: Micros,
}

/// The central node.
#[derive(Debug, Clone)]
pub struct Central {
    config: CentralConfig,
    // durable
    view: Vec<ViewRow>,
    inbox: BTreeSet<EventKey>,
    /// Events skipped as already applied (metrics).
    pub events_skipped: u64,
    /// Events that wrote the view (metrics).
    pub events_applied: u64,
}

impl Central {
    /// Central starts from the stores' initial snapshot (`initial[store][sku]`).
    pub fn new(config: CentralConfig, initial: &[Vec<i64>]) -> Self {
        let view = initial.iter().flatten().map(|&on_hand| ViewRow { on_hand, version: 0, applied_at_us: 0 }).collect();
        Central { config, view, inbox: BTreeSet::new(), events_skipped: 0, events_applied: 0 }
    }

    fn index(&self, store: u32, sku: u32) -> Option<usize> {
        (store < self.config.stores && sku < self.config.skus_per_store)
            .then(|| store as usize * self.config.skus_per_store as usize + sku as usize)
    }

    /// Central's row for (store, sku).
    pub fn row(&self, store: u32, sku: u32) -> Option<ViewRow> {
        self.index(store, sku).map(|i| self.view[i])
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
}

impl Node for Central {
    fn start(&mut self, _ctx: &mut Ctx) {}

    fn message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Apply { request_id, events } => {
                for event in &events {
                    self.apply(ctx, event);
                }
                ctx.send(from, Msg::Applied { request_id });
            }
            Msg::ReadStock { request_id, store, sku } => {
                let shown = self.row(store, sku).map(|row| row.on_hand);
                if let Some(on_hand) = shown {
                    ctx.record(Record { on_hand: Some(on_hand), detail: "fresh", ..Record::stock(Kind::Read, store, sku) });
                }
                ctx.send(from, Msg::StockShown { request_id, on_hand: shown });
            }
            _ => {}
        }
    }

    fn timer(&mut self, _ctx: &mut Ctx, _timer: Timer) {}

    fn crash(&mut self) {}

    fn cost(&self, input: &Input) -> (Op, u32) {
        match input {
            Input::Message { msg: msg @ Msg::Apply { .. }, .. } => (Op::CentralApply, msg.units()),
            Input::Message { msg: Msg::ReadStock { .. }, .. } => (Op::CentralRead, 1),
            _ => (Op::Free, 1),
        }
    }
}
