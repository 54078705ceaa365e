//! One simulated run from a scenario and a seed: engine, history, checkers, metrics.

use crate::checkers::{self, Verdict};
use crate::des::{Engine, Outcome};
use crate::history;
use crate::metrics::{Percentiles, propagation_us};
use crate::summary::{self, Metrics, SUMMARY_SCHEMA, Summary};
use scenarios::Scenario;
use std::collections::BTreeMap;
use system::history::Kind;
use system::layout::Role;
use system::US_PER_S;

/// The engines a run can use.
pub const ENGINES: [&str; 1] = ["des"];

/// A finished run with its artefacts in memory.
#[derive(Debug)]
pub struct Run {
    pub outcome: Outcome,
    /// `events.csv`.
    pub events_csv: Vec<u8>,
    pub digest: String,
    pub invariants: BTreeMap<String, Verdict>,
    pub metrics: Metrics,
}

/// Runs `scenario` with `seed` on the `des` engine and checks it.
pub fn simulate(scenario: &Scenario, seed: u64) -> Run {
    let outcome = Engine::new(scenario, seed).run();
    let layout = outcome.world.layout;
    let events_csv = history::to_csv(&outcome.history, &layout);
    let digest = history::digest(&events_csv);
    let drained = outcome.drained_at_us.is_some();
    let mut invariants = BTreeMap::new();
    invariants.insert("convergence".to_string(), checkers::convergence(&outcome.history, &layout, drained, outcome.end_us));
    invariants.insert("monotonic_view".to_string(), checkers::monotonic_view(&outcome.history, &layout));
    let metrics = metrics(&outcome);
    Run { outcome, events_csv, digest, invariants, metrics }
}

fn metrics(outcome: &Outcome) -> Metrics {
    let history = &outcome.history;
    let count = |kind: Kind| history.iter().filter(|r| r.kind == kind).count() as u64;
    let (latencies, commits_unreached) = propagation_us(history);
    let world = &outcome.world;
    let mut busy_share_max: BTreeMap<String, f64> = BTreeMap::new();
    let duration = outcome.end_us.max(1) as f64;
    for (id, &busy) in outcome.busy_us.iter().enumerate() {
        let role = match world.layout.role(id as u32) {
            Role::Store(_) => "store",
            Role::Relay(_) => "relay",
            Role::Broker => "broker",
            Role::Central => "central",
            Role::Customers => "customers",
            Role::Consumer(_) => "consumer",
        };
        let share = busy as f64 / duration;
        let entry = busy_share_max.entry(role.to_string()).or_insert(0.0);
        *entry = entry.max(share);
    }
    Metrics {
        propagation: Percentiles::of(latencies),
        commits_unreached,
        commits: count(Kind::Sale) + count(Kind::Restock),
        central_applies: count(Kind::CentralApply),
        events_skipped: world.central().events_skipped,
        reads: count(Kind::Read),
        messages: outcome.messages,
        till_lines_lost: world.stores().map(|s| s.lines_lost).sum(),
        rebalances: world.broker().rebalances,
        drain_s: outcome.drained_at_us.map(|t| (t - outcome.workload_end_us) as f64 / US_PER_S as f64),
        busy_share_max,
    }
}

impl Run {
    /// The summary of this run; `wall_s` is measured by the caller (the simulation has no clock).
    pub fn summary(&self, scenario: &Scenario, seed: u64, wall_s: f64, replay: String) -> Summary {
        Summary {
            schema: SUMMARY_SCHEMA,
            scenario: scenario.name.clone(),
            design: scenario.design.name.clone(),
            seed,
            engine: ENGINES[0].to_string(),
            digest: self.digest.clone(),
            sim_duration_s: self.outcome.end_us as f64 / US_PER_S as f64,
            wall_s,
            events: self.outcome.events,
            events_per_second: if wall_s > 0.0 { self.outcome.events as f64 / wall_s } else { 0.0 },
            history_lines: self.outcome.history.len() as u64,
            invariants: self.invariants.clone(),
            metrics: self.metrics.clone(),
            exit_code: summary::exit_code(&self.invariants),
            replay,
        }
    }
}
