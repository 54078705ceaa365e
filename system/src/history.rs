//! History records: what nodes write down for the checkers and `events.csv`.
//!
//! Schema v1 is documented in `docs/history.md`; a column a kind does not use
//! is empty. The engine stamps time and node.

use crate::Micros;
use crate::message::NodeId;

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
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Sale => "sale",
            Kind::Restock => "restock",
            Kind::CentralApply => "central_apply",
            Kind::Read => "read",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        [Kind::Sale, Kind::Restock, Kind::CentralApply, Kind::Read].into_iter().find(|k| k.as_str() == text)
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
    pub detail: &'static str,
}

impl Record {
    /// A record about one (store, sku); the engine fills `t_us` and `node`.
    pub fn stock(kind: Kind, store: u32, sku: u32) -> Self {
        Record { t_us: 0, node: 0, kind, store: Some(store), sku: Some(sku), qty: None, on_hand: None, version: None, order: None, detail: "" }
    }
}
