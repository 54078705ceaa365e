//! Writing a run's folder: `results/<scenario>/<design>/seed-<N>/` with
//! `scenario.toml` (fully resolved), `summary.json`, `events.csv` (unless the
//! caller turns it off) and `timeseries.csv`.
//!
//! Each file is written whole: to a temporary file beside it, then renamed.
//! The folder is always inside the chosen results root.

use crate::run::Run;
use crate::summary::Summary;
use scenarios::Scenario;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};

/// The folder of one run under `root`.
pub fn run_dir(root: &Path, scenario: &str, design: &str, seed: u64) -> Result<PathBuf, String> {
    let parts = [scenario.to_string(), design.to_string(), format!("seed-{seed}")];
    for part in &parts {
        let mut components = Path::new(part).components();
        let single_normal = matches!(components.next(), Some(Component::Normal(_))) && components.next().is_none();
        if !single_normal || part.contains(['/', '\\']) {
            return Err(format!("{part:?} would leave the results folder: allowed is a plain name"));
        }
    }
    Ok(parts.iter().fold(root.to_path_buf(), |dir, part| dir.join(part)))
}

/// Writes `bytes` to `path` whole (temporary file, then rename).
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_whole_with(path, |file| file.write_all(bytes))
}

/// Streams `write` into `path` whole: into a temporary file beside it, then renamed.
pub fn write_whole_with(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>) -> std::io::Result<()> {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.partial"));
    {
        let mut file = BufWriter::with_capacity(1 << 16, File::create(&temporary)?);
        write(&mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&temporary, path)
}

/// Writes the run's artefacts into `dir` (created if needed); `events.csv` only with `events`.
pub fn write_run(dir: &Path, scenario: &Scenario, summary: &Summary, run: &Run, events: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let resolved = toml::to_string(scenario).map_err(std::io::Error::other)?;
    write_whole(&dir.join("scenario.toml"), resolved.as_bytes())?;
    let events_path = dir.join("events.csv");
    if events {
        write_whole_with(&events_path, |file| crate::history::write_csv(run.outcome.history.iter(), &run.outcome.world.layout, file))?;
    } else if events_path.exists() {
        // An older run's file would not match this run's digest.
        std::fs::remove_file(&events_path)?;
    }
    write_whole(&dir.join("timeseries.csv"), &crate::timeseries::to_csv(&run.outcome.samples))?;
    let json = serde_json::to_vec_pretty(summary).map_err(std::io::Error::other)?;
    write_whole(&dir.join("summary.json"), &json)
}
