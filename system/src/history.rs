//! History records: what nodes write down for the checkers and `events.csv`.
//!
//! Schema v1 is documented in `docs/history.md`; a column a kind does not use
//! is empty. The engine stamps time and node.

use crate::Micros;
use crate::message::NodeId;
use std::borrow::Cow;

/// The `node` of records the engine writes itself (faults).
pub const ENGINE: NodeId = NodeId::MAX;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A till sale committed at a store: `qty` < 0.
    Sale,
    /// A restock committed at a store: `qty` > 0.
    Restock,
    /// Central's value of (store, sku) was written by an event.
    CentralApply,
    /// An online read answered by central.
    Read,
    /// A store rewrote a row after its DB was restored (`qty` 0, `on_hand` as restored, new version).
    Resync,
    /// Central started hiding a store (`store`; `detail` = watermark age).
    Stale,
    /// Central shows a store again.
    Fresh,
    /// A node crashed (its volatile state is gone).
    Crash,
    /// A node restarted from its durable state.
    Restart,
    /// A store DB was restored from a backup (`detail` = backup age).
    Restore,
    /// A fault began (`node` = engine, `detail` = what and where).
    FaultStart,
    /// A fault healed.
    FaultEnd,
    /// A till sale the store refused although it was up (e.g. no quorum).
    SaleRefused,
    /// Central received an online order (`order`, `store` = home store, `sku`, `qty` = units).
    OrderPlaced,
    /// Central reserved the order's units at `store` (one reservation per order and store).
    ReservationCreated,
    /// Central confirmed the order to the customer, served by `store`.
    OrderConfirmed,
    /// The store could not hold the units: the reservation at `store` ended.
    ReservationRejected,
    /// The store did not accept within the TTL: central ended the reservation.
    ReservationExpired,
    /// No store can serve the order: central told the customer no (`detail` = why).
    OrderRejected,
    /// The store picked the order: the reservation ended served.
    OrderFulfilled,
    /// A confirmed order the store could not serve: oversold (`qty` = units).
    OrderFailed,
    /// A store set units aside for an order (`qty` = units, `on_hand` as it stands).
    Hold,
    /// A store released a hold without picking it (`detail` = why).
    Release,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Sale => "sale",
            Kind::Restock => "restock",
            Kind::CentralApply => "central_apply",
            Kind::Read => "read",
            Kind::Resync => "resync",
            Kind::Stale => "stale",
            Kind::Fresh => "fresh",
            Kind::Crash => "crash",
            Kind::Restart => "restart",
            Kind::Restore => "restore",
            Kind::FaultStart => "fault_start",
            Kind::FaultEnd => "fault_end",
            Kind::SaleRefused => "sale_refused",
            Kind::OrderPlaced => "order_placed",
            Kind::ReservationCreated => "reservation_created",
            Kind::OrderConfirmed => "order_confirmed",
            Kind::ReservationRejected => "reservation_rejected",
            Kind::ReservationExpired => "reservation_expired",
            Kind::OrderRejected => "order_rejected",
            Kind::OrderFulfilled => "order_fulfilled",
            Kind::OrderFailed => "order_failed",
            Kind::Hold => "hold",
            Kind::Release => "release",
        }
    }

    pub const ALL: [Kind; 23] = [
        Kind::Sale,
        Kind::Restock,
        Kind::CentralApply,
        Kind::Read,
        Kind::Resync,
        Kind::Stale,
        Kind::Fresh,
        Kind::Crash,
        Kind::Restart,
        Kind::Restore,
        Kind::FaultStart,
        Kind::FaultEnd,
        Kind::SaleRefused,
        Kind::OrderPlaced,
        Kind::ReservationCreated,
        Kind::OrderConfirmed,
        Kind::ReservationRejected,
        Kind::ReservationExpired,
        Kind::OrderRejected,
        Kind::OrderFulfilled,
        Kind::OrderFailed,
        Kind::Hold,
        Kind::Release,
    ];

    /// A store commit: a change of a store's truth.
    pub const fn is_commit(self) -> bool {
        matches!(self, Kind::Sale | Kind::Restock | Kind::Resync)
    }

    /// The end of a reservation at central (each reservation has exactly one).
    pub const fn ends_reservation(self) -> bool {
        matches!(self, Kind::ReservationRejected | Kind::ReservationExpired | Kind::OrderFulfilled | Kind::OrderFailed)
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One history line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub t_us: Micros,
    pub node: NodeId,
    pub kind: Kind,
    pub store: Option<u32>,
    pub sku: Option<u32>,
    pub qty: Option<i64>,
    pub on_hand: Option<i64>,
    pub version: Option<u64>,
    pub order: Option<u64>,
    pub detail: Cow<'static, str>,
}

impl Record {
    /// A record about one (store, sku); the engine fills `t_us` and `node`.
    pub fn stock(kind: Kind, store: u32, sku: u32) -> Self {
        Record {
            t_us: 0,
            node: 0,
            kind,
            store: Some(store),
            sku: Some(sku),
            qty: None,
            on_hand: None,
            version: None,
            order: None,
            detail: Cow::Borrowed(""),
        }
    }

    /// A record about one node (or the engine), with a detail.
    pub fn event(kind: Kind, detail: impl Into<Cow<'static, str>>) -> Self {
        Record { t_us: 0, node: 0, kind, store: None, sku: None, qty: None, on_hand: None, version: None, order: None, detail: detail.into() }
    }
}
