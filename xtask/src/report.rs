//! `cargo xtask report DIR`: renders a run's reports again from its artefacts
//! alone (`summary.json`, `scenario.toml`, `events.csv`, `timeseries.csv`), or
//! a comparison's from `compare.json`; no simulation runs.

use sim::summary::exit;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// A run folder (e.g. `results/baseline/recommended/seed-1`) or a comparison folder (`results/swarm/compare`).
    pub dir: PathBuf,
}

pub fn run(args: Args) -> u8 {
    if args.dir.join(reports::comparison::ARTEFACT).is_file() {
        return match reports::comparison::render(&args.dir) {
            Ok(()) => {
                println!("{}\n{}", args.dir.join("summary.md").display(), args.dir.join("report.html").display());
                exit::HELD as u8
            }
            Err(message) => {
                eprintln!("error: {message}");
                exit::BAD_INPUT as u8
            }
        };
    }
    match reports::render_run(&args.dir) {
        Ok(()) => {
            for name in reports::render::FILES {
                println!("{}", args.dir.join(name).display());
            }
            exit::HELD as u8
        }
        Err(message) => {
            eprintln!("error: {message}");
            exit::BAD_INPUT as u8
        }
    }
}
