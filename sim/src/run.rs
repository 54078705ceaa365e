//! One simulated run from a scenario and a seed: engine, history, checkers, metrics.

use crate::checkers::{self, CheckContext, Verdict};
use crate::des::{Engine, Outcome};
use crate::history;
use crate::metrics::{Percentiles, SortedRuns, propagation_us};
use crate::orders::{Confirmations, OrderBook, OrderMetrics};
use crate::staleness::{StalenessSums, read_staleness_us};
use crate::summary::{self, Metrics, SUMMARY_SCHEMA, Summary};
use scenarios::Scenario;
use std::collections::BTreeMap;
use system::US_PER_S;
use system::history::{Kind, Record};

/// Which engine drives a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The discrete-event engine (`des.rs`): fast, every fault kind.
    #[default]
    Des,
    /// turmoil: each node a host over simulated TCP (`tcp/`).
    Turmoil,
}

impl EngineKind {
    /// The engines a run can use.
    pub const ALL: [EngineKind; 2] = [EngineKind::Des, EngineKind::Turmoil];

    pub const fn as_str(self) -> &'static str {
        match self {
            EngineKind::Des => "des",
            EngineKind::Turmoil => "turmoil",
        }
    }

    pub fn parse(text: &str) -> Option<EngineKind> {
        EngineKind::ALL.into_iter().find(|e| e.as_str() == text)
    }

    /// Why this engine cannot run `scenario`, if it cannot.
    pub fn unsupported(self, scenario: &Scenario) -> Option<String> {
        match self {
            EngineKind::Des => None,
            EngineKind::Turmoil => crate::tcp::unsupported(scenario),
        }
    }
}

/// A finished run with its artefacts in memory.
#[derive(Debug)]
pub struct Run {
    pub outcome: Outcome,
    /// The SHA-256 of `events.csv`.
    pub digest: String,
    pub invariants: BTreeMap<String, Verdict>,
    pub metrics: Metrics,
    pub engine: EngineKind,
}

/// Runs `scenario` with `seed` on the `des` engine and checks it.
pub fn simulate(scenario: &Scenario, seed: u64) -> Run {
    check(scenario, Engine::new(scenario, seed).run(), EngineKind::Des)
}

/// Runs `scenario` with `seed` on `engine` and checks it; an error says why the engine cannot run it.
pub fn simulate_on(scenario: &Scenario, seed: u64, engine: EngineKind) -> Result<Run, String> {
    run_on(scenario, seed, engine).map(|outcome| check(scenario, outcome, engine))
}

/// Runs `scenario` with `seed` on `engine`, unchecked (`check` follows; apart only to time each).
pub fn run_on(scenario: &Scenario, seed: u64, engine: EngineKind) -> Result<Outcome, String> {
    match engine {
        EngineKind::Des => Ok(Engine::new(scenario, seed).run()),
        EngineKind::Turmoil => crate::tcp::run(scenario, seed),
    }
}

/// The history's digest, verdicts and metrics. The checks read the history one
/// store at a time (see [`crate::recorded`]): what they hold is one store's rows.
pub fn check(scenario: &Scenario, outcome: Outcome, engine: EngineKind) -> Run {
    let layout = outcome.world.layout;
    let context = CheckContext {
        layout: &layout,
        drained: outcome.drained_at_us.is_some(),
        end_us: outcome.end_us,
        staleness_bound_us: staleness_bound_us(scenario),
    };
    let mut invariants = BTreeMap::new();
    let cold = outcome.history.cold_store();
    let mut tally = Tally {
        propagation_us: SortedRuns::with_cold_store(cold.clone()),
        fresh_read_staleness_us: SortedRuns::with_cold_store(cold),
        ..Tally::default()
    };
    for pass in outcome.history.passes() {
        let keys = checkers::per_key(&pass.records);
        let orders = OrderBook::of_pass(&pass.records, &pass.seqs, &keys);
        checkers::merge_all(&mut invariants, checkers::check_pass(&pass.records, &pass.seqs, &keys, &orders, context));
        tally.add(&pass.records, &keys, orders, scenario, outcome.end_us);
    }
    let invariants = checkers::finish(invariants, context);
    let metrics = metrics(&outcome, scenario, tally);
    Run { digest: outcome.history.digest(), outcome, invariants, metrics, engine }
}

/// Δ + ε: the staleness a read shown fresh may have.
pub fn staleness_bound_us(scenario: &Scenario) -> u64 {
    scenario.checks.staleness_bound_s * US_PER_S + scenario.checks.clock_skew_allowance_ms * 1_000
}

/// What the metrics need from the history, summed over passes.
#[derive(Debug, Default)]
struct Tally {
    fresh_read_staleness_us: SortedRuns,
    reads_hidden: u64,
    reads_hidden_within_bound: u64,
    /// Rows per kind, in `Kind::ALL` order.
    kinds: [u64; Kind::ALL.len()],
    propagation_us: SortedRuns,
    commits_unreached: u64,
    staleness: StalenessSums,
    orders: OrderMetrics,
    confirmations: Confirmations,
}

impl Tally {
    fn add(&mut self, history: &[Record], keys: &checkers::PerKey, orders: OrderBook, scenario: &Scenario, end_us: u64) {
        let bound_us = staleness_bound_us(scenario);
        let mut fresh_read_staleness_us = Vec::new();
        for rows in keys.values() {
            for read in rows.reads {
                let (staleness_us, _) = read_staleness_us(rows.commits, read);
                if read.detail == "fresh" {
                    fresh_read_staleness_us.push(staleness_us);
                } else {
                    self.reads_hidden += 1;
                    self.reads_hidden_within_bound += u64::from(staleness_us <= bound_us);
                }
            }
        }
        self.fresh_read_staleness_us.add(fresh_read_staleness_us);
        for r in history {
            self.kinds[r.kind as usize] += 1;
        }
        let (latencies, unreached) = propagation_us(keys);
        self.propagation_us.add(latencies);
        self.commits_unreached += unreached;
        self.staleness.add(history, scenario.chain.stores, bound_us, end_us);
        self.orders.add(&orders.metrics);
        self.confirmations.merge(orders.confirmations);
    }

    fn count(&self, kind: Kind) -> u64 {
        self.kinds[kind as usize]
    }
}

fn metrics(outcome: &Outcome, scenario: &Scenario, tally: Tally) -> Metrics {
    let world = &outcome.world;
    let mut busy_share_max: BTreeMap<String, f64> = BTreeMap::new();
    let mut busy_s_total: BTreeMap<String, f64> = BTreeMap::new();
    let duration = outcome.end_us.max(1) as f64;
    for (id, &busy) in outcome.busy_us.iter().enumerate() {
        let role = world.layout.role(id as u32).kind();
        let share = busy as f64 / duration;
        let entry = busy_share_max.entry(role.to_string()).or_insert(0.0);
        *entry = entry.max(share);
        *busy_s_total.entry(role.to_string()).or_insert(0.0) += busy as f64 / US_PER_S as f64;
    }
    let layout = world.layout;
    let idle_relays = scenario.design.pipeline != scenarios::Pipeline::Cdc || scenario.design.outbox == scenarios::Outbox::DualWrite;
    let hosts = u64::from(layout.stores) // store DBs
        + if idle_relays { 0 } else { u64::from(layout.stores) }
        + if scenario.design.pipeline == scenarios::Pipeline::Cdc { 3 + u64::from(layout.consumers) } else { 0 } // replicated broker, consumers
        + if layout.mirrors { 2 * u64::from(layout.stores) } else { 0 } // store brokers and mirrors
        + 1; // central
    Metrics {
        propagation: Percentiles::of_runs(&tally.propagation_us),
        commits_unreached: tally.commits_unreached,
        commits: Kind::ALL.iter().filter(|k| k.is_commit()).map(|&k| tally.count(k)).sum(),
        central_applies: tally.count(Kind::CentralApply),
        events_skipped: world.central().events_skipped,
        reads: tally.count(Kind::Read),
        reads_hidden: tally.reads_hidden,
        reads_hidden_within_bound: tally.reads_hidden_within_bound,
        fresh_read_staleness: Percentiles::of_runs(&tally.fresh_read_staleness_us),
        staleness: tally.staleness.times(),
        stale_transitions: tally.count(Kind::Stale),
        messages: outcome.messages,
        till_lines_lost: world.stores().map(|s| s.lines_lost).sum(),
        till_transactions_missed: world.stores().map(|s| s.workload().transactions_missed).sum(),
        till_sales_refused: tally.count(Kind::SaleRefused),
        broker_records_lost: world.broker().records_lost,
        rebalances: world.broker().rebalances,
        drain_s: outcome.drained_at_us.map(|t| (t - outcome.workload_end_us) as f64 / US_PER_S as f64),
        busy_share_max,
        busy_s_total,
        bytes: outcome.bytes,
        broker_records: world.brokers().map(|b| b.logs().iter().map(|l| l.len() as u64).sum::<u64>()).sum(),
        hosts,
        time_to_confirm: Percentiles::of(tally.confirmations.time_to_confirm_us()),
        orders: tally.orders,
    }
}

impl Run {
    /// `events.csv` in memory (a large run streams it to its file instead: `artefacts::write_run`).
    pub fn events_csv(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        history::write_csv(self.outcome.history.iter(), &self.outcome.world.layout, &mut bytes).expect("writing into memory cannot fail");
        bytes
    }

    /// The summary of this run; `wall_s` is measured by the caller (the simulation has no clock).
    pub fn summary(&self, scenario: &Scenario, seed: u64, wall_s: f64, replay: String) -> Summary {
        Summary {
            schema: SUMMARY_SCHEMA,
            scenario: scenario.name.clone(),
            design: scenario.design.name.clone(),
            seed,
            engine: self.engine.as_str().to_string(),
            digest: self.digest.clone(),
            sim_duration_s: self.outcome.end_us as f64 / US_PER_S as f64,
            wall_s,
            events: self.outcome.events,
            events_per_second: if wall_s > 0.0 { self.outcome.events as f64 / wall_s } else { 0.0 },
            history_lines: self.outcome.history.len() as u64,
            invariants: self.invariants.clone(),
            metrics: self.metrics.clone(),
            exit_code: summary::exit_code(&self.invariants),
            faults: self.outcome.faults.clone(),
            swarm: self.outcome.swarm.clone(),
            replay,
        }
    }
}
