//! `cargo xtask bench`: whole-run figures from an optimised (release) build,
//! one process per scenario so that peak memory is the run's own: events,
//! wall time (and the part of it the checks after the run take), events per
//! second, simulated time per wall time, peak RSS, and
//! the cost per event against the floor (a bare event loop of as many events).
//! Then one scenario on both engines: the wall time of the same simulated run
//! on turmoil against the discrete-event engine.
//! A benchmark, not a test: nothing here asserts on time.

use crate::source;
use sim::summary::exit;
use std::process::Command;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenarios to run (national is not a default: it takes about 4 to 5 minutes and 1.8 GiB).
    #[arg(long, value_delimiter = ',', default_value = "baseline,swarm,regional")]
    pub scenarios: Vec<String>,
    /// The seed of every run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The scenario both engines run, for the ratio between them ("none" to skip).
    #[arg(long, default_value = "partition_store")]
    pub engines_on: String,
}

/// Internal: one measured run in this process (what `bench` spawns).
#[derive(Debug, clap::Args)]
pub struct OneArgs {
    pub scenario: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value = "des", value_parser = crate::scenario::parse_engine)]
    pub engine: sim::EngineKind,
}

/// Peak resident memory of this process in KiB (Linux `VmHWM`).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok())))
        .unwrap_or(0)
}

#[allow(clippy::disallowed_methods)] // wall time of a benchmark, outside the simulation
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let started = std::time::Instant::now();
    let value = f();
    (value, started.elapsed().as_secs_f64())
}

/// Runs one scenario (or `floor:N`) and prints `events wall_s sim_s peak_rss_kib checks_s`
/// (the wall time includes the checks: digest, verdicts and metrics).
pub fn run_one(args: OneArgs) -> u8 {
    if let Some(events) = args.scenario.strip_prefix("floor:").and_then(|n| n.parse::<u64>().ok()) {
        let (checksum, wall_s) = timed(|| benches::floor(events, 1_000));
        std::hint::black_box(checksum);
        println!("{events} {wall_s} 0 {} 0", peak_rss_kib());
        return 0;
    }
    let Some(scenario) = source::load_or_report(&args.scenario, None, &[]) else {
        return exit::BAD_INPUT as u8;
    };
    let (outcome, engine_s) = timed(|| sim::run::run_on(&scenario, args.seed, args.engine));
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(message) => {
            eprintln!("error: --engine {}: {message}", args.engine.as_str());
            return exit::BAD_INPUT as u8;
        }
    };
    let (run, checks_s) = timed(|| sim::run::check(&scenario, outcome, args.engine));
    println!("{} {} {} {} {checks_s}", run.outcome.events, engine_s + checks_s, run.outcome.end_us as f64 / 1e6, peak_rss_kib());
    0
}

struct Measured {
    events: u64,
    wall_s: f64,
    sim_s: f64,
    rss_kib: u64,
    /// Of the wall time, the checks after the run (digest, verdicts, metrics).
    checks_s: f64,
}

fn measure(binary: &std::path::Path, what: &str, seed: u64, engine: sim::EngineKind) -> Result<Measured, String> {
    let out = Command::new(binary)
        .args(["bench-one", what, "--seed", &seed.to_string(), "--engine", engine.as_str()])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    match fields.as_slice() {
        [events, wall, sim, rss, checks] => Ok(Measured {
            events: events.parse().unwrap_or(0),
            wall_s: wall.parse().unwrap_or(0.0),
            sim_s: sim.parse().unwrap_or(0.0),
            rss_kib: rss.parse().unwrap_or(0),
            checks_s: checks.parse().unwrap_or(0.0),
        }),
        _ => Err(format!("{what}: {}", String::from_utf8_lossy(&out.stderr).trim())),
    }
}

/// One table row; `simulated` is false for the floor, which has no checks and no simulated time.
fn row(label: &str, engine: &str, m: &Measured, simulated: bool, versus_floor: String) -> Vec<String> {
    let when_simulated = |text: String| if simulated { text } else { "-".into() };
    vec![
        label.to_string(),
        engine.to_string(),
        reports::rows::thousands(m.events),
        format!("{:.3}", m.wall_s),
        when_simulated(format!("{:.3}", m.checks_s)),
        reports::rows::thousands((m.events as f64 / m.wall_s.max(1e-9)) as u64),
        when_simulated(format!("{:.0}", m.sim_s / m.wall_s.max(1e-9))),
        format!("{:.0}", m.rss_kib as f64 / 1024.0),
        versus_floor,
    ]
}

pub fn run(args: Args) -> u8 {
    eprintln!("building the release binary (cargo build --release --package xtask)...");
    let root = source::workspace_root();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "--package", "xtask"])
        .current_dir(&root)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("error: the release build failed");
        return exit::BAD_INPUT as u8;
    }
    let binary = root.join("target/release/xtask");
    let mut rows = vec![
        ["scenario", "engine", "events", "wall s", "of it checks s", "events/s", "sim/wall", "peak RSS MiB", "x floor per event"]
            .map(String::from)
            .to_vec(),
    ];
    for name in &args.scenarios {
        eprintln!("running {name}...");
        let run = match measure(&binary, name, args.seed, sim::EngineKind::Des) {
            Ok(m) => m,
            Err(message) => {
                eprintln!("error: {message}");
                return exit::BAD_INPUT as u8;
            }
        };
        let floor = match measure(&binary, &format!("floor:{}", run.events), args.seed, sim::EngineKind::Des) {
            Ok(m) => m,
            Err(message) => {
                eprintln!("error: {message}");
                return exit::BAD_INPUT as u8;
            }
        };
        let per_event = |m: &Measured| m.wall_s / m.events.max(1) as f64;
        let versus_floor = format!("{:.1}", per_event(&run) / per_event(&floor).max(1e-12));
        rows.push(row(name, "des", &run, true, versus_floor));
        rows.push(row(&format!("floor ({name})"), "heap", &floor, false, "1.0".into()));
    }
    let mut engines = Vec::new();
    if args.engines_on != "none" {
        for engine in [sim::EngineKind::Des, sim::EngineKind::Turmoil] {
            eprintln!("running {} on {}...", args.engines_on, engine.as_str());
            match measure(&binary, &args.engines_on, args.seed, engine) {
                Ok(m) => {
                    rows.push(row(&args.engines_on, engine.as_str(), &m, true, "-".into()));
                    engines.push(m);
                }
                Err(message) => {
                    eprintln!("error: {message}");
                    return exit::BAD_INPUT as u8;
                }
            }
        }
    }
    print!("{}", reports::table::columns(&rows));
    if let [des, turmoil] = engines.as_slice() {
        println!(
            "engines on {} (seed {}): turmoil took {:.0}x the wall time of des for the same simulated run \
             (events count differently: des counts arrivals and handlings, turmoil the inputs its nodes handled)",
            args.engines_on,
            args.seed,
            turmoil.wall_s / des.wall_s.max(1e-9)
        );
    }
    0
}
