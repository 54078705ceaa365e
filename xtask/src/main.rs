//! `cargo xtask`: shelfcheck's command line. This file only dispatches; each
//! subcommand lives in its own module.

mod bench;
mod compare;
mod detect;
mod list;
mod report;
mod scenario;
mod source;
mod sweep;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// shelfcheck: deterministic simulation of store-to-central inventory designs.
///
/// Exit codes: 0 every invariant held; 1 a safety invariant was violated;
/// 2 bad input or usage; 3 the system did not converge within the bound.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one scenario with one seed; print the table and the replay line; write results.
    Scenario(scenario::Args),
    /// Run one scenario over many seeds in parallel; report failing seeds with their replay commands.
    Sweep(sweep::Args),
    /// Several designs on the same scenario and seeds: verdicts, metrics with 95% intervals, monthly cost.
    Compare(compare::Args),
    /// The detection table: every risky design preset on the scenario that exposes it, and recommended beside it.
    Detect(detect::Args),
    /// Whole-run benchmark table from a release build: events, wall time (and the checks' part of it), events/s, sim/wall, peak RSS, cost per event against a bare event loop.
    Bench(bench::Args),
    /// Internal: one measured run (what `bench` spawns, one process each).
    #[command(hide = true)]
    BenchOne(bench::OneArgs),
    /// Render a run's reports (report.html, summary.md, latency/staleness .hgrm and .hlog) again from its folder alone.
    Report(report::Args),
    /// List the built-in scenarios and the question each one asks, and the design presets.
    List,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let code = match cli.command {
        Command::Scenario(args) => scenario::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Detect(args) => detect::run(args),
        Command::Bench(args) => bench::run(args),
        Command::BenchOne(args) => bench::run_one(args),
        Command::Report(args) => report::run(args),
        Command::List => list::run(),
    };
    ExitCode::from(code)
}
