//! `cargo xtask scenario`: one scenario, one seed, on the `des` engine (or `--engine turmoil`).

use crate::source;
use sim::summary::exit;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// A built-in scenario name (see `cargo xtask list`) or a path to a scenario file.
    #[arg(default_value = "baseline")]
    pub scenario: String,
    /// The run's seed: every random stream (workload, network, service times, faults) derives from it.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A design preset (scenarios/designs/NAME.toml) laid over the scenario's
    /// `[design]`, before `--set`: recommended, naive_delta, dual_write,
    /// legacy_batch_15m, sync_multimaster... (`cargo xtask list` shows them all).
    #[arg(long, value_name = "NAME")]
    pub design: Option<String>,
    /// Override any scenario field by its dotted path, e.g. `--set chain.stores=3`
    /// or `--set network.wan='{ kind = "constant", ms = 40 }'`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Results root (default: `results/` at the workspace root); the run goes to
    /// `<out>/<scenario>/<design>/seed-<N>/`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The engine: `des` (discrete events: fast, every fault kind) or `turmoil`
    /// (each node a host over simulated TCP: at most 40 nodes; no duplication,
    /// reordering or clock drift). A turmoil run's design folder ends in `-turmoil`.
    #[arg(long, default_value = "des", value_parser = parse_engine)]
    pub engine: sim::EngineKind,
    /// Do not write `events.csv` (a regional day's is about 115 MB). The
    /// checkers still see the whole history, the report is rendered from the
    /// run in memory, and `summary.json` keeps the history's digest; `cargo
    /// xtask report` cannot render such a folder again.
    #[arg(long)]
    pub no_events: bool,
}

pub fn parse_engine(text: &str) -> Result<sim::EngineKind, String> {
    sim::EngineKind::parse(text).ok_or_else(|| format!("{text:?}: allowed is one of {}", sim::EngineKind::ALL.map(|e| e.as_str()).join(", ")))
}

/// The folder name of a design's runs on `engine`.
pub fn design_folder(design: &str, engine: sim::EngineKind) -> String {
    match engine {
        sim::EngineKind::Des => design.to_string(),
        other => format!("{design}-{}", other.as_str()),
    }
}

/// The scenario, or the reason `engine` cannot run it (printed; exit 2).
pub fn runnable(scenario: Option<scenarios::Scenario>, engine: sim::EngineKind) -> Option<scenarios::Scenario> {
    let scenario = scenario?;
    if let Some(why) = engine.unsupported(&scenario) {
        eprintln!("error: --engine {}: {why}", engine.as_str());
        return None;
    }
    Some(scenario)
}

/// Shell-quotes one argument if it needs it.
fn quoted(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_.=/,:+".contains(c)) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The command that replays this run.
pub fn replay_command(args: &Args) -> String {
    let mut command = format!("cargo xtask scenario {} --seed {}", quoted(&args.scenario), args.seed);
    if let Some(design) = &args.design {
        command.push_str(&format!(" --design {}", quoted(design)));
    }
    for assignment in &args.overrides {
        command.push_str(&format!(" --set {}", quoted(assignment)));
    }
    if args.engine != sim::EngineKind::Des {
        command.push_str(&format!(" --engine {}", args.engine.as_str()));
    }
    command
}

pub fn run(args: Args) -> u8 {
    let Some(scenario) = runnable(source::load_or_report(&args.scenario, args.design.as_deref(), &args.overrides), args.engine) else {
        return exit::BAD_INPUT as u8;
    };
    let root = args.out.clone().unwrap_or_else(|| source::workspace_root().join("results"));
    let dir = match sim::artefacts::run_dir(&root, &scenario.name, &design_folder(&scenario.design.name, args.engine), args.seed) {
        Ok(dir) => dir,
        Err(message) => {
            eprintln!("error: {message}");
            return exit::BAD_INPUT as u8;
        }
    };
    #[allow(clippy::disallowed_methods)] // wall time of the run, measured outside the simulation
    let started = std::time::Instant::now();
    let run = match sim::simulate_on(&scenario, args.seed, args.engine) {
        Ok(run) => run,
        Err(message) => {
            eprintln!("error: --engine {}: {message}", args.engine.as_str());
            return exit::BAD_INPUT as u8;
        }
    };
    let wall_s = started.elapsed().as_secs_f64();
    let replay = replay_command(&args);
    let summary = run.summary(&scenario, args.seed, wall_s, replay.clone());
    let mut rows = reports::rows::of(&summary);
    rows.push(("results".into(), dir.display().to_string()));
    print!("{}", reports::table::terminal(&rows));
    if let Some(line) = reports::rows::swarm_line(&summary) {
        println!("\nswarm: {line}");
    }
    if !summary.faults.is_empty() {
        println!("\nfaults:");
        print!("{}", reports::table::columns(&reports::rows::fault_table(&summary)));
    }
    let failed: Vec<_> = summary.invariants.iter().filter(|(_, v)| !v.held).collect();
    if !failed.is_empty() {
        println!("\nviolations (the events.csv lines that prove each):");
    }
    for (name, verdict) in failed {
        for violation in &verdict.examples {
            println!("  {name} at t={} us: {}", violation.t_us, violation.message);
            for line in &violation.evidence {
                println!("      {line}");
            }
        }
    }
    if let Err(error) = sim::artefacts::write_run(&dir, &scenario, &summary, &run, !args.no_events) {
        eprintln!("error: cannot write {}: {error}", dir.display());
        return exit::BAD_INPUT as u8;
    }
    let exit_code = summary.exit_code as u8;
    // The report from the run in memory: the same bytes as from the folder, without reading events.csv back.
    if let Err(message) =
        reports::artefacts::RunArtefacts::of_run(&scenario, summary, run).and_then(|artefacts| reports::render::render(&dir, &artefacts))
    {
        eprintln!("error: report: {message}");
        return exit::BAD_INPUT as u8;
    }
    println!("replay: {replay}");
    exit_code
}
