//! The inventory system under test, as sans-IO state machines.
//!
//! Every node takes `(now, input)` and returns effects: messages to send,
//! timers to set and history records. No async, no sockets, no clock, no
//! global RNG: an engine (`sim`'s discrete-event engine, or its turmoil engine) owns
//! time, the network and faults. Each node keeps its durable state (what
//! survives a crash) apart from its volatile state, and `crash` drops exactly
//! the volatile part.
//!
//! Layout:
//! - [`layout`]: node ids, roles, names and link classes of a chain;
//! - [`rng`]: seeded ChaCha streams derived from `(seed, stream name)`;
//! - [`message`]: typed messages, stock events, outbox rows, broker records;
//! - [`compact_log`]: append-only logs (partitions, binlogs) kept varint-encoded in chunks;
//! - [`node`]: the node interface ([`node::Node`], [`node::Ctx`], timers, costs);
//! - [`history`]: the records nodes write for the checkers;
//! - [`partitioner`]: Kafka's murmur2 key partitioner;
//! - [`producer`]: the Kafka producer the relay (or a dual-writing store) publishes through;
//! - [`popularity`]: Zipf SKU popularity shared by tills and online customers;
//! - [`workload`]: the till and delivery workload (the world outside a store);
//! - [`store`], [`relay`], [`broker`], [`consumer`], [`central`], [`customers`]: the nodes;
//! - [`certifier`]: the sync multimaster baseline's sequencer, run by central;
//! - [`orders`]: central's order desk (online orders, reservations, store commands);
//! - [`world`]: every node of one chain built from a scenario, with the god's-eye
//!   queries an engine needs (is the pipeline drained, what is each store's truth).

pub mod broker;
pub mod central;
pub mod certifier;
pub mod compact_log;
pub mod consumer;
pub mod customers;
pub mod history;
pub mod layout;
pub mod message;
pub mod node;
pub mod orders;
pub mod partitioner;
pub mod popularity;
pub mod producer;
pub mod relay;
pub mod rng;
pub mod store;
pub mod workload;
pub mod world;

/// Simulated time in microseconds since the start of the run.
pub type Micros = u64;

/// Microseconds in one second.
pub const US_PER_S: Micros = 1_000_000;
/// Microseconds in one millisecond.
pub const US_PER_MS: Micros = 1_000;
