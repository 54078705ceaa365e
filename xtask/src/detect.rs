//! `cargo xtask detect`: the detection table. Each risky design preset runs
//! on the scenario that exposes its anomaly (`scenarios/detection.tsv`), and
//! `recommended` on the same seeds; the table says how many seeds broke the
//! expected invariant, the first one, what else broke, and the price side.

use crate::source;
use crate::sweep::{SeedRange, SeedResult, run_seeds};
use sim::summary::exit;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seeds to run per preset and scenario, inclusive.
    #[arg(long, default_value = "1..100", value_parser = crate::sweep::parse_seeds)]
    pub seeds: SeedRange,
    /// Parallel simulations (default: every core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Where to write `detection.md` (default: `results/detection/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// One design on one scenario over the seeds.
struct Tally {
    seeds: usize,
    violating: usize,
    first: Option<u64>,
    broken: std::collections::BTreeSet<String>,
    stale_shown_fresh_s: f64,
    hidden_within_bound_s: f64,
    fresh_read_staleness_max_s: f64,
    messages: f64,
}

fn tally(results: &[SeedResult], invariant: &str) -> Tally {
    let mut t = Tally {
        seeds: results.len(),
        violating: 0,
        first: None,
        broken: Default::default(),
        stale_shown_fresh_s: 0.0,
        hidden_within_bound_s: 0.0,
        fresh_read_staleness_max_s: 0.0,
        messages: 0.0,
    };
    for r in results {
        let broken: Vec<&str> = if r.row.verdict == "held" { Vec::new() } else { r.row.verdict.split('+').collect() };
        if broken.contains(&invariant) {
            t.violating += 1;
            t.first = Some(t.first.map_or(r.row.seed, |f| f.min(r.row.seed)));
        }
        t.broken.extend(broken.into_iter().map(String::from));
        let n = results.len().max(1) as f64;
        t.stale_shown_fresh_s += r.row.stale_shown_fresh_s / n;
        t.hidden_within_bound_s += r.row.hidden_within_bound_s / n;
        t.fresh_read_staleness_max_s = t.fresh_read_staleness_max_s.max(r.row.fresh_read_staleness_max_s);
        t.messages += r.row.messages as f64 / n;
    }
    t
}

pub fn run(args: Args) -> u8 {
    let rows = match scenarios::catalogue::detections() {
        Ok(rows) => rows,
        Err(message) => {
            eprintln!("error: {message}");
            return exit::BAD_INPUT as u8;
        }
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(jobs).build() else {
        eprintln!("error: cannot start {jobs} threads");
        return exit::BAD_INPUT as u8;
    };
    let seeds: Vec<u64> = (args.seeds.first..=args.seeds.last).collect();
    let command = format!("cargo xtask detect --seeds {}..{}", args.seeds.first, args.seeds.last);
    let mut table = vec![
        "| preset | scenario | invariant | seeds that broke it | first seed | also broken | stale shown fresh (store-s/run) | hidden within bound (store-s/run) | worst fresh-read staleness (s) | messages/run | recommended on the same seeds |".to_string(),
        "|---|---|---|---|---|---|---|---|---|---|---|".to_string(),
    ];
    let mut failed = false;
    for row in rows {
        let run = |design: &str| -> Result<Vec<SeedResult>, String> {
            let scenario = source::load(&row.scenario, Some(design), &[])?;
            let template = crate::scenario::Args {
                scenario: row.scenario.clone(),
                seed: 0,
                design: Some(design.to_string()),
                overrides: Vec::new(),
                out: None,
                engine: sim::EngineKind::Des,
                no_events: false,
            };
            Ok(run_seeds(&pool, &scenario, &template, &seeds, false))
        };
        eprintln!("{} on {}", row.design, row.scenario);
        let (risky, recommended) = match (run(&row.design), run("recommended")) {
            (Ok(a), Ok(b)) => (tally(&a, &row.invariant), tally(&b, &row.invariant)),
            (Err(message), _) | (_, Err(message)) => {
                eprintln!("error: {message}");
                return exit::BAD_INPUT as u8;
            }
        };
        let caught_in_time = risky.first.is_some_and(|f| f < args.seeds.first + row.seeds_max);
        failed |= !caught_in_time || !recommended.broken.is_empty();
        let also: Vec<&String> = risky.broken.iter().filter(|b| **b != row.invariant).collect();
        table.push(format!(
            "| {} | {} | {} | {}/{} | {} | {} | {:.1} | {:.1} | {:.1} | {:.0} | {} |",
            row.design,
            row.scenario,
            row.invariant,
            risky.violating,
            risky.seeds,
            risky.first.map_or("-".into(), |f| f.to_string()),
            if also.is_empty() { "-".to_string() } else { also.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ") },
            risky.stale_shown_fresh_s,
            risky.hidden_within_bound_s,
            risky.fresh_read_staleness_max_s,
            risky.messages,
            if recommended.broken.is_empty() {
                format!(
                    "held on {}/{} (stale shown fresh {:.1}, hidden within bound {:.1}, messages {:.0})",
                    recommended.seeds, recommended.seeds, recommended.stale_shown_fresh_s, recommended.hidden_within_bound_s, recommended.messages
                )
            } else {
                format!("BROKE {}", recommended.broken.iter().cloned().collect::<Vec<_>>().join(", "))
            },
        ));
    }
    let text = format!("Produced by `{command}`.\n\n{}\n", table.join("\n"));
    let dir = args.out.unwrap_or_else(|| source::workspace_root().join("results").join("detection"));
    if let Err(error) = std::fs::create_dir_all(&dir).and_then(|_| sim::artefacts::write_whole(&dir.join("detection.md"), text.as_bytes())) {
        eprintln!("error: cannot write {}: {error}", dir.display());
        return exit::BAD_INPUT as u8;
    }
    println!("{text}");
    println!("written: {}", dir.join("detection.md").display());
    if failed { exit::SAFETY_VIOLATED as u8 } else { exit::HELD as u8 }
}
