//! The `turmoil` engine: the same sans-IO nodes, each a turmoil host talking
//! length-prefixed frames over simulated TCP.
//!
//! - [`net`]: the small network interface the shell is written against
//!   (listen, accept, connect), with its turmoil implementation;
//! - [`frame`]: one message on the wire (a 4-byte length, then the message);
//! - [`shell`]: what runs on each host: connections to peers with reconnects,
//!   inputs in arrival order, timers on tokio time, the same history records;
//! - [`hosts`]: which nodes share a turmoil host (those no fault tells apart);
//! - [`engine`]: the simulation: hosts, the fault schedule mapped onto
//!   turmoil's partitions, holds, crashes and link latencies, the drain phase.

pub mod engine;
pub mod frame;
pub mod hosts;
pub mod net;
pub mod shell;

pub use engine::{run, unsupported};
