//! Property tests of the system's nodes (one integration test binary, `it`):
//! each node is driven directly through `system::node::Node`, its effects read
//! back from `Effects`, and proptest draws the inputs from a fixed seed so
//! every run sees the same cases.
//!
//! Where the `des` engine would tell a node that a connection reset, the
//! harnesses deliver `Input::Disconnected` themselves, as the engine does:
//! to both ends of a link whose partition outlasted the connection timeout
//! (what it held is lost), to every node that had sent to a node that
//! crashes, and to the sender of a message that reaches a down node.
//!
//! Submodules: [`broker`], [`relay`], [`central`], [`pipeline`] (broker,
//! consumers and central together), [`store`], [`dual_write`] (a store that
//! publishes through its own producer) and [`certifier`] (the sync
//! multimaster baseline's sequencer, and a store with central around it), [`orders`] (holds at a
//! store, the order desk at central).

mod broker;
mod central;
mod certifier;
mod compact_log;
mod dual_write;
mod orders;
mod pipeline;
mod relay;
mod store;

use proptest::prelude::ProptestConfig;
use proptest::test_runner::{RngAlgorithm, RngSeed};
use system::Micros;
use system::message::{NodeId, OutboxRow, Payload, StockEvent};
use system::node::{Ctx, Effects, Node};

/// Deterministic proptest settings: 64 cases from a fixed ChaCha seed, no failure files.
pub fn config(seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Runs one input on `node` at `now_us` (node and world clock alike) as node `me` and returns its effects.
pub fn on<N>(node: &mut N, now_us: Micros, me: NodeId, input: impl FnOnce(&mut N, &mut Ctx)) -> Effects {
    on_clock(node, now_us, now_us, me, input)
}

/// Runs one input on `node` whose own clock reads `now_us` while the world's reads `world_now_us`.
pub fn on_clock<N>(node: &mut N, now_us: Micros, world_now_us: Micros, me: NodeId, input: impl FnOnce(&mut N, &mut Ctx)) -> Effects {
    let mut effects = Effects::default();
    let mut ctx = Ctx::with_clock(now_us, world_now_us, me, &mut effects);
    input(node, &mut ctx);
    effects
}

/// A stock event whose fields are all derived from `(store, sku, version)`,
/// so that two events with the same version of the same row are equal.
pub fn event(store: u32, sku: u32, version: u64) -> StockEvent {
    StockEvent {
        store,
        sku,
        delta: 1,
        on_hand: version as i64 * 3 + i64::from(sku),
        version,
        id: (store, 0, sku, version as u32),
        committed_at_us: version,
    }
}

/// The outbox row at `lsn` of a store whose every commit changes one SKU once.
pub fn outbox_row(store: u32, lsn: u64) -> OutboxRow {
    let sku = (lsn % 5) as u32;
    OutboxRow { lsn, payload: Payload::Stock(StockEvent { version: lsn + 1, ..event(store, sku, lsn + 1) }) }
}

/// The stock event a payload carries, if it carries one (not a heartbeat).
pub fn stock(payload: &Payload) -> Option<StockEvent> {
    match payload {
        Payload::Stock(event) => Some(*event),
        _ => None,
    }
}

/// Crashes `node` at `now_us` (drops its volatile state).
pub fn crash<N: Node>(node: &mut N, now_us: Micros) {
    node.crash(now_us);
}
