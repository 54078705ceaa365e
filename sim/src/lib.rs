//! Engines that drive shelfcheck's state machines, and what a run produces.
//!
//! Layout:
//! - [`des`]: the deterministic discrete-event engine (queue of `(time, seq)`,
//!   workers and service times per node, drain phase);
//! - [`tcp`]: the turmoil engine: each node a host over simulated TCP, behind a small net trait;
//! - [`faults`]: fault plans resolved against node ids, and what each fault did;
//! - [`swarm`]: swarm mode's seeded draw of fault kinds, rates and faults;
//! - [`queue`]: the engine's `(time, seq)` queue with actions stored apart;
//! - [`network`]: per-directed-link FIFO latency model;
//! - [`history`]: `events.csv` (schema v1) and its digest;
//! - [`recorded`]: the run's history as kept: compact, grouped by store, digested as it grows;
//! - [`cold`]: the temporary file a large run's history and logs spill to;
//! - [`checkers`]: invariants computed from the history;
//! - [`orders`]: online orders read back from the history (reservations, holds, oversell, lost sales);
//! - [`staleness`]: read and store staleness from the history;
//! - [`metrics`]: latency percentiles computed from the history;
//! - [`timeseries`]: pipeline gauges sampled over time (`timeseries.csv`);
//! - [`run`]: one scenario and seed end to end;
//! - [`summary`]: `summary.json` and exit codes;
//! - [`artefacts`]: writing a run's folder whole.

pub mod artefacts;
pub mod checkers;
pub mod cold;
pub mod des;
pub mod faults;
pub mod history;
pub mod metrics;
pub mod network;
pub mod orders;
pub mod queue;
pub mod recorded;
pub mod run;
pub mod staleness;
pub mod summary;
pub mod swarm;
pub mod tcp;
pub mod timeseries;

pub use run::{EngineKind, Run, simulate, simulate_on};
