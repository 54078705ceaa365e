//! `summary.json`: the verdicts, metrics and identity of one run (an artefact
//! reports read back).

use crate::checkers::Verdict;
use crate::faults::FaultReport;
use crate::metrics::Percentiles;
use crate::orders::OrderMetrics;
use crate::staleness::StalenessTimes;
use crate::swarm::SwarmDraw;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the summary schema.
pub const SUMMARY_SCHEMA: u32 = 1;

/// Exit codes of a run.
pub mod exit {
    pub const HELD: i32 = 0;
    pub const SAFETY_VIOLATED: i32 = 1;
    pub const BAD_INPUT: i32 = 2;
    pub const NO_CONVERGENCE: i32 = 3;
}

/// Pipeline metrics of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Store commit to central apply (see `docs/history.md`).
    pub propagation: Percentiles,
    /// Store commits never reflected at central.
    pub commits_unreached: u64,
    pub commits: u64,
    pub central_applies: u64,
    /// Events central skipped as already applied.
    pub events_skipped: u64,
    pub reads: u64,
    /// Reads answered "unavailable" because the store was shown stale.
    pub reads_hidden: u64,
    /// Of those, reads whose value was within the staleness bound anyway (the price of hiding).
    pub reads_hidden_within_bound: u64,
    /// Staleness of the reads shown fresh.
    pub fresh_read_staleness: Percentiles,
    pub staleness: StalenessTimes,
    /// Times central started hiding a store.
    pub stale_transitions: u64,
    pub messages: u64,
    /// Till lines that found the shelf empty.
    pub till_lines_lost: u64,
    /// Till transactions that arrived while their store was down.
    pub till_transactions_missed: u64,
    /// Till sales a store refused although it was up (no primary component).
    pub till_sales_refused: u64,
    /// Acknowledged records a broker crash lost (acks = leader).
    pub broker_records_lost: u64,
    pub rebalances: u64,
    /// Seconds from the end of the workload until the pipeline was empty.
    pub drain_s: Option<f64>,
    /// Highest busy share (service time / simulated time) among nodes of each role.
    pub busy_share_max: BTreeMap<String, f64>,
    /// Service time spent by all nodes of each role, in seconds.
    pub busy_s_total: BTreeMap<String, f64>,
    /// Estimated bytes sent (`Msg::wire_bytes`).
    pub bytes: u64,
    /// Records held by every broker at the end (storage).
    pub broker_records: u64,
    /// Hosts the design runs on: one per node (a store DB, a relay, a broker, a mirror, a consumer, central), three for the replicated central broker.
    pub hosts: u64,
    /// Online orders: `order_placed` to `order_confirmed`.
    #[serde(default)]
    pub time_to_confirm: Percentiles,
    #[serde(default)]
    pub orders: OrderMetrics,
}

/// Everything `summary.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema: u32,
    pub scenario: String,
    pub design: String,
    pub seed: u64,
    pub engine: String,
    /// Hex SHA-256 of `events.csv`.
    pub digest: String,
    pub sim_duration_s: f64,
    pub wall_s: f64,
    pub events: u64,
    pub events_per_second: f64,
    pub history_lines: u64,
    pub invariants: BTreeMap<String, Verdict>,
    pub metrics: Metrics,
    pub exit_code: i32,
    pub faults: Vec<FaultReport>,
    /// What swarm mode drew, if it was on.
    pub swarm: Option<SwarmDraw>,
    /// The command that replays this run.
    pub replay: String,
}

/// The exit code the verdicts call for: safety first, then liveness.
pub fn exit_code(invariants: &BTreeMap<String, Verdict>) -> i32 {
    if invariants.values().any(|v| v.safety && !v.held) {
        exit::SAFETY_VIOLATED
    } else if invariants.values().any(|v| !v.held) {
        exit::NO_CONVERGENCE
    } else {
        exit::HELD
    }
}
