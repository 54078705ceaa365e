//! The node interface every engine drives, and what a node asks of it.
//!
//! An engine calls [`Node::start`] once, then [`Node::message`] and
//! [`Node::timer`] for each input in arrival order; the node answers through
//! [`Ctx`]: messages to send, timers to set (absolute simulated time) and
//! history records. [`Node::crash`] drops the volatile state; the engine then
//! calls `start` again when the node restarts.

use crate::Micros;
use crate::history::Record;
use crate::message::{Msg, NodeId};

/// Every timer a node can set. A timer cannot be cancelled: handlers ignore the
/// ones that no longer apply (by request id or generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    // store (its workload arrives on these)
    TillArrival,
    RandomRestock,
    DeliveryStart,
    DeliveryStep,
    /// Write a heartbeat row through the outbox (or publish one on the side topic, for a relay).
    Heartbeat,
    /// Write a reconciliation snapshot of every row through the outbox.
    Reconcile,
    /// Sync multimaster: a writeset waited too long for certification.
    CertifyTimeout {
        txn: u64,
    },
    /// Sync multimaster: a non-primary member asks to join again.
    JoinPrimary,
    /// A picker takes the units held for `order`.
    Pick {
        order: u64,
    },
    // relay
    OffsetFlush,
    /// The producer's request deadline (one pending at a time).
    ProduceTimeout,
    /// Try again after a lost connection (relay and consumer).
    Reconnect,
    // broker
    SessionCheck,
    /// The oldest parked fetch's deadline (one pending at a time).
    FetchDeadline,
    // consumer
    GroupHeartbeat,
    /// Auto-commit the positions fetched so far.
    AutoCommit,
    // central
    /// Store `store` turns stale now unless its watermark moved.
    StaleCheck {
        store: u32,
    },
    /// Poll every store app (health check freshness).
    HealthPoll,
    /// Pull every store's snapshot (legacy batch).
    BatchPull,
    /// The reservation of `order` at `store` ends now unless the store accepted.
    ReservationExpiry {
        order: u64,
        store: u32,
    },
    /// Send unanswered commands again.
    CommandRetry,
    // customers
    ReadArrival,
    OrderArrival,
}

/// The kind of work an input costs its node; the scenario gives each a service time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// No measurable work (bookkeeping, timers that only send).
    Free,
    StoreCommit,
    RelayRead,
    BrokerAppend,
    BrokerFetch,
    ConsumerDecode,
    CentralApply,
    CentralRead,
}

/// One input to a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Start,
    Message {
        from: NodeId,
        msg: Msg,
    },
    Timer(Timer),
    /// The connection to `peer` reset (a partition outlasted the connection
    /// timeout, or the peer crashed): messages in flight to it are lost.
    Disconnected {
        peer: NodeId,
    },
}

/// Which clock a timer's time is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The node's own clock (skewed by clock faults).
    Node,
    /// The world's clock: only for workload generators (customers walking in).
    World,
}

/// Effects collected while a node handles one input.
#[derive(Debug, Default)]
pub struct Effects {
    pub sends: Vec<(NodeId, Msg)>,
    /// Timers as (time on the given clock, clock, timer).
    pub timers: Vec<(Micros, Clock, Timer)>,
    pub records: Vec<Record>,
}

impl Effects {
    pub fn clear(&mut self) {
        self.sends.clear();
        self.timers.clear();
        self.records.clear();
    }
}

/// What a node sees of the world while it handles one input.
pub struct Ctx<'a> {
    /// The node's own clock (skewed and drifting under clock faults).
    pub now_us: Micros,
    /// The world's clock. Only workload generators (tills, online customers)
    /// read it: their arrivals do not depend on a node's clock.
    pub world_now_us: Micros,
    pub me: NodeId,
    effects: &'a mut Effects,
}

impl<'a> Ctx<'a> {
    /// A context whose node clock equals the world's.
    pub fn new(now_us: Micros, me: NodeId, effects: &'a mut Effects) -> Self {
        Ctx { now_us, world_now_us: now_us, me, effects }
    }

    /// A context for a node whose clock reads `now_us` while the world's reads `world_now_us`.
    pub fn with_clock(now_us: Micros, world_now_us: Micros, me: NodeId, effects: &'a mut Effects) -> Self {
        Ctx { now_us, world_now_us, me, effects }
    }

    pub fn send(&mut self, to: NodeId, msg: Msg) {
        self.effects.sends.push((to, msg));
    }

    /// Fires `timer` when the node's clock reads `at_us` (or now, if that has passed).
    pub fn set_timer_at(&mut self, at_us: Micros, timer: Timer) {
        self.effects.timers.push((at_us.max(self.now_us), Clock::Node, timer));
    }

    pub fn set_timer_after(&mut self, after_us: Micros, timer: Timer) {
        self.effects.timers.push((self.now_us.saturating_add(after_us), Clock::Node, timer));
    }

    /// Fires `timer` when the world's clock reads `at_us` (workload arrivals only).
    pub fn set_world_timer_at(&mut self, at_us: Micros, timer: Timer) {
        self.effects.timers.push((at_us.max(self.world_now_us), Clock::World, timer));
    }

    /// Writes a history line; the engine stamps time and node.
    pub fn record(&mut self, record: Record) {
        self.effects.records.push(record);
    }
}

/// A node of the system.
pub trait Node {
    /// Called at the start of the run and after every restart.
    fn start(&mut self, ctx: &mut Ctx);
    fn message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg);
    fn timer(&mut self, ctx: &mut Ctx, timer: Timer);
    /// The connection to `peer` reset; what was in flight to it is lost.
    fn disconnected(&mut self, _ctx: &mut Ctx, _peer: NodeId) {}
    /// Drops volatile state; durable state stays as it was. `now_us` is the
    /// crash time on the engine's clock (the broker loses its unreplicated tail).
    fn crash(&mut self, now_us: Micros);
    /// What handling `input` costs, in units of an operation.
    fn cost(&self, input: &Input) -> (Op, u32);

    /// Dispatches one input.
    fn handle(&mut self, ctx: &mut Ctx, input: Input) {
        match input {
            Input::Start => self.start(ctx),
            Input::Message { from, msg } => self.message(ctx, from, msg),
            Input::Timer(timer) => self.timer(ctx, timer),
            Input::Disconnected { peer } => self.disconnected(ctx, peer),
        }
    }
}

/// At most one reconnect timer at a time: every message lost with a reset
/// connection reports it, but the node retries once per backoff (else each
/// retry's own losses would multiply the retries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconnect {
    pending: bool,
}

impl Reconnect {
    /// Schedules `Timer::Reconnect` after `backoff_us` unless one is pending.
    pub fn arm(&mut self, ctx: &mut Ctx, backoff_us: Micros) {
        if !self.pending {
            self.pending = true;
            ctx.set_timer_after(backoff_us, Timer::Reconnect);
        }
    }

    /// The timer fired (or the node crashed and lost it).
    pub fn clear(&mut self) {
        self.pending = false;
    }
}
