//! `cargo xtask sweep`: one scenario over many seeds, in parallel, with
//! progress, sharding for CI, and the failing seeds' replay commands.

use crate::scenario::replay_command;
use crate::source;
use rayon::prelude::*;
use serde::Serialize;
use sim::summary::exit;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A built-in scenario name (see `cargo xtask list`) or a path to a scenario file.
    #[arg(default_value = "baseline")]
    pub scenario: String,
    /// A design preset (scenarios/designs/NAME.toml) laid over the scenario's `[design]`, before `--set`.
    #[arg(long, value_name = "NAME")]
    pub design: Option<String>,
    /// Seeds to run, inclusive: `1..500` runs 500 seeds; a single number runs one.
    #[arg(long, default_value = "1..20", value_parser = parse_seeds)]
    pub seeds: SeedRange,
    /// Parallel simulations (default: every core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only seeds with `seed % n == i - 1` (CI runner i of n). Defaults from
    /// CI_NODE_INDEX/CI_NODE_TOTAL, BUILDKITE_PARALLEL_JOB/_COUNT or CIRCLE_NODE_INDEX/_TOTAL.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Override any scenario field by its dotted path, e.g. `--set chain.stores=3`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Sweep one parameter too: the seeds run once per value (e.g.
    /// `--vary design.heartbeat_interval_s=1,5,30`), and the metrics are
    /// tabled against it as `cargo xtask compare` does.
    #[arg(long, value_name = "KEY=V1,V2,...", value_parser = crate::compare::parse_vary)]
    pub vary: Option<crate::compare::Vary>,
    /// Results root (default: `results/` at the workspace root); the sweep goes to
    /// `<out>/<scenario>/<design>/sweep/`, failing seeds to `.../seed-<N>/`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The engine, as for `cargo xtask scenario` (`des` or `turmoil`).
    #[arg(long, default_value = "des", value_parser = crate::scenario::parse_engine)]
    pub engine: sim::EngineKind,
}

/// An inclusive range of seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedRange {
    pub first: u64,
    pub last: u64,
}

pub fn parse_seeds(text: &str) -> Result<SeedRange, String> {
    let bad = || format!("{text:?}: allowed is A..B with A <= B (inclusive), or one seed");
    let (first, last) = match text.split_once("..") {
        Some((a, b)) => (a.trim().parse().map_err(|_| bad())?, b.trim_start_matches('=').trim().parse().map_err(|_| bad())?),
        None => {
            let seed = text.trim().parse().map_err(|_| bad())?;
            (seed, seed)
        }
    };
    if first > last || last - first >= 10_000_000 {
        return Err(bad());
    }
    Ok(SeedRange { first, last })
}

/// Runner `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    let bad = || format!("{text:?}: allowed is I/N with 1 <= I <= N, e.g. 2/4");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (index, count): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if count == 0 || index == 0 || index > count {
        return Err(bad());
    }
    Ok(Shard { index, count })
}

/// The shard CI's own variables ask for, if any (each CI numbers runners its own way).
fn shard_from_ci() -> Option<Shard> {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse::<u64>().ok());
    let from = |index: Option<u64>, count: Option<u64>, zero_based: bool| {
        let (index, count) = (index?, count?);
        let index = if zero_based { index + 1 } else { index };
        (count > 0 && index >= 1 && index <= count).then_some(Shard { index, count })
    };
    from(var("CI_NODE_INDEX"), var("CI_NODE_TOTAL"), false)
        .or_else(|| from(var("BUILDKITE_PARALLEL_JOB"), var("BUILDKITE_PARALLEL_JOB_COUNT"), true))
        .or_else(|| from(var("CIRCLE_NODE_INDEX"), var("CIRCLE_NODE_TOTAL"), true))
}

/// One seed's row in `seeds.csv`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeedRow {
    pub seed: u64,
    pub exit_code: i32,
    /// `held`, the violated invariants joined by `+`, or `harness_bug`.
    pub verdict: String,
    pub events: u64,
    pub messages: u64,
    pub propagation_p99_ms: f64,
    pub propagation_max_ms: f64,
    pub fresh_read_staleness_max_s: f64,
    pub stale_shown_fresh_s: f64,
    pub hidden_within_bound_s: f64,
    pub faults: usize,
    pub faults_that_mattered: usize,
    pub digest: String,
    pub replay: String,
}

/// What `sweep/summary.json` holds.
#[derive(Debug, Serialize)]
struct SweepSummary {
    scenario: String,
    design: String,
    seeds_run: usize,
    seeds_failing: usize,
    harness_bugs: usize,
    /// Seeds on which each invariant was violated.
    violations: BTreeMap<String, usize>,
    /// Per fault kind: (faults injected, faults that had an effect).
    fault_kinds: BTreeMap<String, (usize, usize)>,
    /// Fault kinds injected that never had an effect: they tested nothing.
    fault_kinds_without_effect: Vec<String>,
    wall_s: f64,
    seeds_per_minute: f64,
    failing: Vec<String>,
}

pub fn run(args: Args) -> u8 {
    if let Some(vary) = args.vary.clone() {
        return crate::compare::run(crate::compare::Args::varying(&args, vary));
    }
    let Some(scenario) = crate::scenario::runnable(source::load_or_report(&args.scenario, args.design.as_deref(), &args.overrides), args.engine)
    else {
        return exit::BAD_INPUT as u8;
    };
    let shard = args.shard.or_else(shard_from_ci);
    let seeds: Vec<u64> = (args.seeds.first..=args.seeds.last).filter(|seed| shard.is_none_or(|s| seed % s.count == s.index - 1)).collect();
    let root = args.out.clone().unwrap_or_else(|| source::workspace_root().join("results"));
    let design_folder = crate::scenario::design_folder(&scenario.design.name, args.engine);
    let dir = match sim::artefacts::run_dir(&root, &scenario.name, &design_folder, 0) {
        Ok(dir) => dir.with_file_name("sweep"),
        Err(message) => {
            eprintln!("error: {message}");
            return exit::BAD_INPUT as u8;
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool,
        Err(error) => {
            eprintln!("error: cannot start {jobs} threads: {error}");
            return exit::BAD_INPUT as u8;
        }
    };
    let shard_note = shard.map_or(String::new(), |s| format!(", shard {}/{}", s.index, s.count));
    eprintln!("sweep {} ({}): {} seeds on {jobs} threads{shard_note}", scenario.name, scenario.design.name, seeds.len());
    #[allow(clippy::disallowed_methods)] // wall time of the sweep, measured outside the simulation
    let started = std::time::Instant::now();
    let template = crate::scenario::Args {
        scenario: args.scenario.clone(),
        seed: 0,
        design: args.design.clone(),
        overrides: args.overrides.clone(),
        out: None,
        engine: args.engine,
        no_events: false,
    };
    let results = run_seeds(&pool, &scenario, &template, &seeds, false);
    let wall_s = started.elapsed().as_secs_f64();
    let summary = summarise(&scenario, &results, wall_s);
    if let Err(error) = write(&dir, &root, &design_folder, &scenario, &results, &summary) {
        eprintln!("error: cannot write {}: {error}", dir.display());
        return exit::BAD_INPUT as u8;
    }
    print_summary(&summary, &dir);
    if summary.seeds_failing > 0 { exit::SAFETY_VIOLATED as u8 } else { exit::HELD as u8 }
}

/// Runs `seeds` of `scenario` on `pool`, with progress on stderr; a panic in a
/// seed becomes a harness-bug row with its replay line. `template` gives the
/// replay command (its seed is replaced).
pub fn run_seeds(
    pool: &rayon::ThreadPool,
    scenario: &scenarios::Scenario,
    template: &crate::scenario::Args,
    seeds: &[u64],
    keep_latencies: bool,
) -> Vec<SeedResult> {
    #[allow(clippy::disallowed_methods)] // progress rate, measured outside the simulation
    let started = std::time::Instant::now();
    let done = AtomicUsize::new(0);
    let failing_so_far = AtomicUsize::new(0);
    let progress_every = (seeds.len() / 20).max(1);
    let terminal = std::io::stderr().is_terminal();
    let results = pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| {
                let replay = replay_command(&crate::scenario::Args { seed, ..template.clone() });
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sim::simulate_on(scenario, seed, template.engine)));
                let outcome = outcome.and_then(|run| run.map_err(|message| Box::new(message) as Box<dyn std::any::Any + Send>));
                let (row, faults, run) = match outcome {
                    Ok(run) => {
                        let faults = run.outcome.faults.iter().map(|f| (f.kind.as_str(), f.mattered)).collect();
                        (row_of(seed, &run, replay), faults, Some(run))
                    }
                    Err(panic) => {
                        let message = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                        eprintln!("harness bug on seed {seed}: {}\nreplay: {replay}", message.unwrap_or_default());
                        (harness_bug_row(seed, replay), Vec::new(), None)
                    }
                };
                if row.exit_code != exit::HELD {
                    failing_so_far.fetch_add(1, Ordering::Relaxed);
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if terminal || n.is_multiple_of(progress_every) || n == seeds.len() {
                    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
                    let line = format!(
                        "[{n}/{}] {} failing, {:.0} seeds/min",
                        seeds.len(),
                        failing_so_far.load(Ordering::Relaxed),
                        n as f64 / elapsed * 60.0
                    );
                    if terminal {
                        eprint!("\r{line}   ");
                    } else {
                        eprintln!("{line}");
                    }
                }
                // Keep a failing run's artefacts; drop the others' memory now.
                let failed = row.exit_code != exit::HELD;
                let metrics = run.as_ref().map(|r| r.metrics.clone());
                let latencies = run.as_ref().filter(|_| keep_latencies).map(|r| {
                    let figures = reports::figures::of(&r.outcome.history);
                    (figures.propagation_us.clone(), figures.fresh_staleness_us())
                });
                SeedResult { row, faults, metrics, latencies, run: run.filter(|_| failed) }
            })
            .collect()
    });
    if terminal {
        eprintln!();
    }
    results
}

fn row_of(seed: u64, run: &sim::Run, replay: String) -> SeedRow {
    let failed: Vec<&str> = run.invariants.iter().filter(|(_, v)| !v.held).map(|(name, _)| name.as_str()).collect();
    let m = &run.metrics;
    SeedRow {
        seed,
        exit_code: sim::summary::exit_code(&run.invariants),
        verdict: if failed.is_empty() { "held".into() } else { failed.join("+") },
        events: run.outcome.events,
        messages: m.messages,
        propagation_p99_ms: m.propagation.p99_ms,
        propagation_max_ms: m.propagation.max_ms,
        fresh_read_staleness_max_s: m.fresh_read_staleness.max_ms / 1000.0,
        stale_shown_fresh_s: m.staleness.shown_fresh_while_stale_s,
        hidden_within_bound_s: m.staleness.hidden_while_within_bound_s,
        faults: run.outcome.faults.len(),
        faults_that_mattered: run.outcome.faults.iter().filter(|f| f.mattered).count(),
        digest: run.digest.clone(),
        replay,
    }
}

fn harness_bug_row(seed: u64, replay: String) -> SeedRow {
    SeedRow { seed, exit_code: exit::SAFETY_VIOLATED, verdict: "harness_bug".into(), replay, ..SeedRow::default() }
}

/// Propagation latencies and fresh-read staleness of one run, in microseconds.
pub type Latencies = (Vec<u64>, Vec<u64>);

/// One seed's outcome: its row, its faults as (kind, mattered), and its run if it failed.
pub struct SeedResult {
    pub row: SeedRow,
    pub faults: Vec<(&'static str, bool)>,
    /// The run's metrics (none for a harness bug).
    pub metrics: Option<sim::summary::Metrics>,
    /// Propagation latencies and fresh-read staleness in microseconds, when asked for (compare).
    pub latencies: Option<Latencies>,
    pub run: Option<sim::Run>,
}

fn summarise(scenario: &scenarios::Scenario, results: &[SeedResult], wall_s: f64) -> SweepSummary {
    let mut violations: BTreeMap<String, usize> = BTreeMap::new();
    let mut fault_kinds: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for result in results {
        if result.row.verdict != "held" {
            for name in result.row.verdict.split('+') {
                *violations.entry(name.to_string()).or_default() += 1;
            }
        }
        for &(kind, mattered) in &result.faults {
            let entry = fault_kinds.entry(kind.to_string()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(mattered);
        }
    }
    let fault_kinds_without_effect = fault_kinds.iter().filter(|(_, (_, mattered))| *mattered == 0).map(|(k, _)| k.clone()).collect();
    let failing: Vec<String> = results.iter().filter(|r| r.row.exit_code != exit::HELD).map(|r| r.row.replay.clone()).collect();
    SweepSummary {
        scenario: scenario.name.clone(),
        design: scenario.design.name.clone(),
        seeds_run: results.len(),
        seeds_failing: failing.len(),
        harness_bugs: results.iter().filter(|r| r.row.verdict == "harness_bug").count(),
        violations,
        fault_kinds,
        fault_kinds_without_effect,
        wall_s,
        seeds_per_minute: if wall_s > 0.0 { results.len() as f64 / wall_s * 60.0 } else { 0.0 },
        failing,
    }
}

/// Writes `sweep/seeds.csv`, `sweep/failing.txt`, `sweep/summary.json` and each failing seed's run folder
/// (under `design_folder`, which names the engine when it is not `des`).
fn write(
    dir: &std::path::Path,
    root: &std::path::Path,
    design_folder: &str,
    scenario: &scenarios::Scenario,
    results: &[SeedResult],
    summary: &SweepSummary,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    for result in results {
        csv.serialize(&result.row).map_err(std::io::Error::other)?;
    }
    let bytes = csv.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
    sim::artefacts::write_whole(&dir.join("seeds.csv"), &bytes)?;
    let failing: String = summary.failing.iter().map(|line| format!("{line}\n")).collect();
    sim::artefacts::write_whole(&dir.join("failing.txt"), failing.as_bytes())?;
    let json = serde_json::to_vec_pretty(summary).map_err(std::io::Error::other)?;
    sim::artefacts::write_whole(&dir.join("summary.json"), &json)?;
    for result in results {
        if let Some(run) = &result.run {
            let seed_dir = sim::artefacts::run_dir(root, &scenario.name, design_folder, result.row.seed).map_err(std::io::Error::other)?;
            let run_summary = run.summary(scenario, result.row.seed, 0.0, result.row.replay.clone());
            sim::artefacts::write_run(&seed_dir, scenario, &run_summary, run, true)?;
        }
    }
    Ok(())
}

fn print_summary(summary: &SweepSummary, dir: &std::path::Path) {
    println!(
        "{} seeds in {:.1} s ({:.0} seeds/min): {} failing, {} harness bugs",
        summary.seeds_run, summary.wall_s, summary.seeds_per_minute, summary.seeds_failing, summary.harness_bugs
    );
    for (name, seeds) in &summary.violations {
        println!("  {name} violated on {seeds} seeds");
    }
    if !summary.fault_kinds.is_empty() {
        let fired: Vec<String> = summary.fault_kinds.iter().map(|(kind, (n, mattered))| format!("{kind} {mattered}/{n}")).collect();
        println!("fault kinds fired (had an effect / injected): {}", fired.join(", "));
    }
    if !summary.fault_kinds_without_effect.is_empty() {
        println!("fault kinds that never had an effect (they tested nothing): {}", summary.fault_kinds_without_effect.join(", "));
    }
    println!("results: {}", dir.display());
    for line in summary.failing.iter().take(20) {
        println!("replay: {line}");
    }
    if summary.failing.len() > 20 {
        println!("... {} more in {}", summary.failing.len() - 20, dir.join("failing.txt").display());
    }
}
