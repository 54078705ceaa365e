//! Central's order desk: online orders, their reservations at stores, and the
//! commands that ask stores to hold or release units.
//!
//! Durable (part of central's DB): every order, every reservation (one per
//! order and store tried), the units reserved per (store, sku), and the
//! releases not yet answered. Volatile: whether the retry timer is armed.
//!
//! `optimistic` confirms an order as soon as central's own view promises the
//! units, then tells the store. `reserve_confirm` creates a reservation with a
//! TTL, commands the store to hold, and confirms only on its accept (then
//! tells the store, whose picker takes only confirmed holds); a reject or an
//! expired TTL moves the order to the next store its policy allows, else
//! rejects it, and an accept that comes after the TTL is released. Commands go out at least once (sent again every
//! `command_retry` until answered); replies come back through the store's
//! outbox, so every handler here is idempotent.

use crate::history::{Kind, Record};
use crate::message::{Msg, NodeId, OrderOutcome, OrderReply};
use crate::node::{Ctx, Timer};
use crate::{Micros, US_PER_MS, US_PER_S};
use scenarios::{Design, LateAccept, Online, Purchase, StoreChoice};
use std::collections::{BTreeMap, BTreeSet};

/// Parameters of the order desk, from the scenario.
#[derive(Debug, Clone)]
pub struct OrderDeskConfig {
    pub stores: u32,
    pub skus_per_store: u32,
    /// The node id of each store app, by store index.
    pub store_nodes: Vec<NodeId>,
    pub purchase: Purchase,
    pub store_choice: StoreChoice,
    pub stores_tried_max: u32,
    pub safety_stock_units: u32,
    pub safety_stock_fraction: f64,
    pub reservation_ttl_us: Micros,
    pub late_accept: LateAccept,
    pub command_retry_us: Micros,
}

impl OrderDeskConfig {
    /// The desk's parameters from the scenario's design and online sections.
    pub fn new(store_nodes: Vec<NodeId>, skus_per_store: u32, design: &Design, online: &Online) -> Self {
        OrderDeskConfig {
            stores: store_nodes.len() as u32,
            skus_per_store,
            store_nodes,
            purchase: design.purchase,
            store_choice: online.store_choice,
            stores_tried_max: online.stores_tried_max,
            safety_stock_units: design.safety_stock_units,
            safety_stock_fraction: design.safety_stock_fraction,
            reservation_ttl_us: design.reservation_ttl_s * US_PER_S,
            late_accept: design.late_accept,
            command_retry_us: design.command_retry_ms * US_PER_MS,
        }
    }
}

/// Where an order stands.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Order {
    sku: u32,
    units: i64,
    home: u32,
    /// The stores the policy allows, in the order central tries them.
    candidates: Vec<u32>,
    /// How many of them were tried.
    tried: usize,
    /// The customer was told yes (`order_confirmed` is recorded once per order).
    confirmed: bool,
}

/// Where a reservation at one store stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Commanded, not yet accepted (`reserve_confirm`).
    Pending,
    /// The order is confirmed on this store's stock; it ends when the store picks.
    Confirmed,
    /// Over, by this end (`reservation_rejected`, `reservation_expired`, `order_fulfilled`, `order_failed`).
    Ended(Kind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reservation {
    sku: u32,
    units: i64,
    state: State,
    /// When central last sent the store its command.
    sent_at_us: Micros,
    /// `reserve_confirm`: when a pending reservation expires.
    expires_at_us: Micros,
}

/// Sends the store its command for reservation `key` (hold; and, once confirmed, you may pick) and notes when.
fn command(store_nodes: &[NodeId], ctx: &mut Ctx, key: (u64, u32), r: &mut Reservation) {
    r.sent_at_us = ctx.now_us;
    let confirmed = r.state == State::Confirmed;
    ctx.send(store_nodes[key.1 as usize], Msg::Reserve { order: key.0, sku: r.sku, units: r.units, confirmed });
}

/// Central's row of (store, sku): its on_hand, and whether central shows the store now.
pub type Shelf<'a> = &'a dyn Fn(u32, u32) -> (i64, bool);

/// The order desk.
#[derive(Debug, Clone)]
pub struct OrderDesk {
    config: OrderDeskConfig,
    // durable
    orders: BTreeMap<u64, Order>,
    reservations: BTreeMap<(u64, u32), Reservation>,
    /// The reservations not ended yet (the retry timer visits only these; ended ones are kept for their end).
    open_reservations: BTreeSet<(u64, u32)>,
    /// Units of open reservations per (store, sku) that has any (orders are sparse).
    reserved: BTreeMap<(u32, u32), i64>,
    /// Late accepts whose release the store has not confirmed: (order, store) -> sku.
    releasing: BTreeMap<(u64, u32), u32>,
    // volatile
    retry_armed: bool,
}

impl OrderDesk {
    pub fn new(config: OrderDeskConfig) -> Self {
        OrderDesk {
            config,
            orders: BTreeMap::new(),
            reservations: BTreeMap::new(),
            open_reservations: BTreeSet::new(),
            reserved: BTreeMap::new(),
            releasing: BTreeMap::new(),
            retry_armed: false,
        }
    }

    /// Adds `units` to the open reservations of (store, sku).
    fn add_reserved(&mut self, store: u32, sku: u32, units: i64) {
        let reserved = self.reserved.entry((store, sku)).or_default();
        *reserved += units;
        if *reserved == 0 {
            self.reserved.remove(&(store, sku));
        }
    }

    /// Reservations not ended, plus releases not yet confirmed (work still in flight).
    pub fn open(&self) -> u64 {
        self.open_reservations.len() as u64 + self.releasing.len() as u64
    }

    /// Units central may still promise from (store, sku): shown on_hand, less
    /// open reservations and the safety stock; `None` while the store is hidden.
    fn available_to_promise(&self, shelf: Shelf, store: u32, sku: u32) -> Option<i64> {
        let (on_hand, shown) = shelf(store, sku);
        if !shown {
            return None;
        }
        let safety = i64::from(self.config.safety_stock_units).max((self.config.safety_stock_fraction * on_hand.max(0) as f64).ceil() as i64);
        Some(on_hand - self.reserved.get(&(store, sku)).copied().unwrap_or(0) - safety)
    }

    /// The stores the policy allows for an order, in the order to try them.
    fn candidates(&self, shelf: Shelf, home: u32, sku: u32) -> Vec<u32> {
        let (stores, most) = (self.config.stores, self.config.stores_tried_max.min(self.config.stores) as usize);
        match self.config.store_choice {
            StoreChoice::Given => vec![home],
            StoreChoice::Nearest => {
                let mut near = vec![home];
                for step in 1..stores {
                    for store in [(home + step) % stores, (home + stores - step % stores) % stores] {
                        if near.len() < most && !near.contains(&store) {
                            near.push(store);
                        }
                    }
                }
                near
            }
            StoreChoice::MostStock => {
                let mut ranked: Vec<(i64, u32)> = (0..stores).filter_map(|s| self.available_to_promise(shelf, s, sku).map(|atp| (atp, s))).collect();
                ranked.sort_by_key(|&(atp, s)| (std::cmp::Reverse(atp), s));
                ranked.into_iter().take(most).map(|(_, s)| s).collect()
            }
        }
    }

    /// A customer's order arrives (an order id already known is a duplicate: ignored).
    pub fn place(&mut self, ctx: &mut Ctx, order: u64, home: u32, sku: u32, units: i64, shelf: Shelf) {
        if self.orders.contains_key(&order) || home >= self.config.stores || sku >= self.config.skus_per_store {
            return;
        }
        ctx.record(Record { qty: Some(units), order: Some(order), ..Record::stock(Kind::OrderPlaced, home, sku) });
        let candidates = self.candidates(shelf, home, sku);
        self.orders.insert(order, Order { sku, units, home, candidates, tried: 0, confirmed: false });
        self.try_next_store(ctx, order, shelf);
    }

    /// The next store of the order's candidates that can promise it, or why none can.
    fn next_store(&mut self, order_id: u64, shelf: Shelf) -> Result<u32, &'static str> {
        let Some(mut order) = self.orders.get(&order_id).cloned() else { return Err("unknown order") };
        if self.config.store_choice == StoreChoice::MostStock {
            // The ranking as central shows it now, without the stores already tried.
            let tried: Vec<u32> = order.candidates[..order.tried.min(order.candidates.len())].to_vec();
            let left = (self.config.stores_tried_max as usize).saturating_sub(tried.len());
            let ranked = self.candidates(shelf, order.home, order.sku);
            order.candidates =
                tried.into_iter().chain(ranked.into_iter().filter(|s| !self.reservations.contains_key(&(order_id, *s))).take(left)).collect();
            if let Some(o) = self.orders.get_mut(&order_id) {
                o.candidates = order.candidates.clone();
            }
        }
        let mut why = "no store left to try";
        for (tried, &store) in order.candidates.iter().enumerate().skip(order.tried) {
            if let Some(o) = self.orders.get_mut(&order_id) {
                o.tried = tried + 1;
            }
            if self.reservations.contains_key(&(order_id, store)) {
                continue;
            }
            match self.available_to_promise(shelf, store, order.sku) {
                None => why = "store hidden as stale",
                Some(atp) if atp < order.units => why = "not enough available to promise",
                Some(_) => return Ok(store),
            }
        }
        Err(why)
    }

    /// Reserves the order at the next store that can promise it, or rejects the order.
    fn try_next_store(&mut self, ctx: &mut Ctx, order_id: u64, shelf: Shelf) {
        let Some(order) = self.orders.get(&order_id).cloned() else { return };
        match self.next_store(order_id, shelf) {
            Ok(store) => self.reserve(ctx, order_id, store),
            Err(why) => {
                let on_hand = Some(shelf(order.home, order.sku).0);
                let record = Record {
                    qty: Some(order.units),
                    on_hand,
                    order: Some(order_id),
                    detail: why.into(),
                    ..Record::stock(Kind::OrderRejected, order.home, order.sku)
                };
                ctx.record(record);
            }
        }
    }

    /// A reservation ends without serving the order (`kind`): the order moves
    /// to the next store. An order already confirmed to its customer fails
    /// (this reservation's end is then `order_failed`) only when no store is left.
    fn move_on(&mut self, ctx: &mut Ctx, key: (u64, u32), kind: Kind, detail: String, shelf: Shelf) {
        if !self.orders.get(&key.0).is_some_and(|o| o.confirmed) {
            self.end(ctx, key, kind, detail);
            return self.try_next_store(ctx, key.0, shelf);
        }
        match self.next_store(key.0, shelf) {
            Ok(store) => {
                self.end(ctx, key, kind, format!("{detail}; the confirmed order moves to store {store}"));
                self.reserve(ctx, key.0, store);
            }
            Err(why) => self.end(ctx, key, Kind::OrderFailed, format!("{detail}; no other store for the confirmed order: {why}")),
        }
    }

    /// Records `order_confirmed` the first time the order is confirmed.
    fn confirm_order(&mut self, ctx: &mut Ctx, key: (u64, u32)) {
        let Some(order) = self.orders.get_mut(&key.0).filter(|o| !o.confirmed) else { return };
        order.confirmed = true;
        ctx.record(Record { qty: Some(order.units), order: Some(key.0), ..Record::stock(Kind::OrderConfirmed, key.1, order.sku) });
    }

    fn reserve(&mut self, ctx: &mut Ctx, order_id: u64, store: u32) {
        let Some(order) = self.orders.get(&order_id).cloned() else { return };
        self.add_reserved(store, order.sku, order.units);
        ctx.record(Record { qty: Some(order.units), order: Some(order_id), ..Record::stock(Kind::ReservationCreated, store, order.sku) });
        let expires_at_us = ctx.now_us + self.config.reservation_ttl_us;
        let state = match self.config.purchase {
            Purchase::Optimistic => {
                self.confirm_order(ctx, (order_id, store));
                State::Confirmed
            }
            Purchase::ReserveConfirm => {
                ctx.set_timer_at(expires_at_us, Timer::ReservationExpiry { order: order_id, store });
                State::Pending
            }
        };
        let mut reservation = Reservation { sku: order.sku, units: order.units, state, sent_at_us: ctx.now_us, expires_at_us };
        command(&self.config.store_nodes, ctx, (order_id, store), &mut reservation);
        if !matches!(reservation.state, State::Ended(_)) {
            self.open_reservations.insert((order_id, store));
        }
        self.reservations.insert((order_id, store), reservation);
        self.arm_retry(ctx);
    }

    /// Ends a reservation with `kind`, freeing its units. (Ending one already
    /// ended records a second end, and remembers it, so that a repeat is quiet.)
    fn end(&mut self, ctx: &mut Ctx, key: (u64, u32), kind: Kind, detail: String) {
        let Some(reservation) = self.reservations.get_mut(&key) else { return };
        let (sku, units, open) = (reservation.sku, reservation.units, !matches!(reservation.state, State::Ended(_)));
        reservation.state = State::Ended(kind);
        self.open_reservations.remove(&key);
        if open {
            self.add_reserved(key.1, sku, -units);
        }
        ctx.record(Record { qty: Some(units), order: Some(key.0), detail: detail.into(), ..Record::stock(kind, key.1, sku) });
    }

    /// A store's reply, as central's consumer applies it from the reply topic.
    pub fn reply(&mut self, ctx: &mut Ctx, reply: OrderReply, shelf: Shelf) {
        let key = (reply.order, reply.store);
        // A release is settled by any answer but "I hold it".
        if !matches!(reply.outcome, OrderOutcome::Accepted { .. }) {
            self.releasing.remove(&key);
        }
        if reply.outcome == OrderOutcome::Released {
            return;
        }
        let state = self.reservations.get(&key).map(|r| r.state);
        // Confirmed on the store's hold: the customer is told, and the store may pick.
        let confirm = |ctx: &mut Ctx, desk: &mut Self| {
            desk.confirm_order(ctx, key);
            if let Some(r) = desk.reservations.get_mut(&key) {
                r.state = State::Confirmed;
                command(&desk.config.store_nodes, ctx, key, r);
            }
        };
        match (state, reply.outcome) {
            (Some(State::Pending), OrderOutcome::Accepted { .. }) => confirm(ctx, self),
            (Some(State::Pending), OrderOutcome::Rejected { on_hand }) => {
                self.move_on(ctx, key, Kind::ReservationRejected, format!("store on_hand {on_hand}"), shelf);
            }
            (Some(State::Confirmed), OrderOutcome::Rejected { on_hand }) => {
                let detail = format!("confirmed, then the store could not hold: on_hand {on_hand}");
                self.move_on(ctx, key, Kind::ReservationRejected, detail, shelf);
            }
            (Some(state @ (State::Pending | State::Confirmed)), OrderOutcome::Fulfilled) => {
                if state == State::Pending {
                    confirm(ctx, self);
                }
                self.end(ctx, key, Kind::OrderFulfilled, String::new());
            }
            (Some(state @ (State::Pending | State::Confirmed)), OrderOutcome::Failed { on_hand }) => {
                if state == State::Pending {
                    confirm(ctx, self);
                }
                self.end(ctx, key, Kind::OrderFailed, format!("the picker found on_hand {on_hand}"));
            }
            // The store served a reservation central had ended otherwise: a second end, which the checker reports.
            (Some(State::Ended(end)), OrderOutcome::Fulfilled) if end != Kind::OrderFulfilled => {
                self.end(ctx, key, Kind::OrderFulfilled, format!("after the reservation ended ({})", end.as_str()))
            }
            (Some(State::Ended(end)), OrderOutcome::Failed { on_hand }) if end != Kind::OrderFailed => {
                self.end(ctx, key, Kind::OrderFailed, format!("after the reservation ended ({}): on_hand {on_hand}", end.as_str()))
            }
            // A late accept: the store holds units for a reservation central gave up on.
            // (A replayed accept of a reservation that ended served is only old news.)
            (Some(State::Ended(Kind::ReservationExpired | Kind::ReservationRejected)) | None, OrderOutcome::Accepted { .. })
                if self.config.late_accept == LateAccept::Release =>
            {
                self.releasing.insert(key, reply.sku);
                ctx.send(self.config.store_nodes[key.1 as usize], Msg::ReleaseHold { order: key.0, sku: reply.sku });
                self.arm_retry(ctx);
            }
            // Duplicates, and answers that change nothing.
            _ => {}
        }
    }

    /// A pending reservation's TTL ran out: end it and try the next store.
    pub fn expire(&mut self, ctx: &mut Ctx, order: u64, store: u32, shelf: Shelf) {
        let key = (order, store);
        let Some(reservation) = self.reservations.get(&key) else { return };
        if reservation.state == State::Pending && ctx.now_us >= reservation.expires_at_us {
            self.move_on(ctx, key, Kind::ReservationExpired, "no accept within the TTL".into(), shelf);
        }
    }

    /// Sends every unanswered command again: reserve for pending reservations,
    /// the confirmation for confirmed ones not served within a TTL (it may
    /// have been lost, or a store restored from a backup may have lost the
    /// hold), release for late accepts.
    pub fn retry(&mut self, ctx: &mut Ctx) {
        self.retry_armed = false;
        let (now, ttl) = (ctx.now_us, self.config.reservation_ttl_us);
        for &key in &self.open_reservations {
            let Some(r) = self.reservations.get_mut(&key) else { continue };
            let due = match r.state {
                State::Pending => true,
                State::Confirmed => now >= r.sent_at_us + ttl,
                State::Ended(_) => false,
            };
            if due {
                command(&self.config.store_nodes, ctx, key, r);
            }
        }
        let open = self.open() > 0;
        for (&(order, store), &sku) in &self.releasing {
            ctx.send(self.config.store_nodes[store as usize], Msg::ReleaseHold { order, sku });
        }
        if open {
            self.arm_retry(ctx);
        }
    }

    /// Sends `store` the command of each of its open reservations again (its DB was restored).
    pub fn reassert(&mut self, ctx: &mut Ctx, store: u32) {
        for &key in self.open_reservations.iter().filter(|(_, s)| *s == store) {
            if let Some(r) = self.reservations.get_mut(&key) {
                command(&self.config.store_nodes, ctx, key, r);
            }
        }
    }

    /// Arms the retry timer unless it is armed (callers have a command outstanding).
    fn arm_retry(&mut self, ctx: &mut Ctx) {
        if !self.retry_armed {
            self.retry_armed = true;
            ctx.set_timer_after(self.config.command_retry_us, Timer::CommandRetry);
        }
    }

    /// After a restart: the TTL and retry timers again.
    pub fn start(&mut self, ctx: &mut Ctx) {
        for &(order, store) in &self.open_reservations {
            if let Some(r) = self.reservations.get(&(order, store)).filter(|r| r.state == State::Pending) {
                ctx.set_timer_at(r.expires_at_us, Timer::ReservationExpiry { order, store });
            }
        }
        if self.open() > 0 {
            self.arm_retry(ctx);
        }
    }

    pub fn crash(&mut self) {
        self.retry_armed = false;
    }
}
