//! The built-in scenario files (`scenarios/*.toml` beside this crate) and
//! design presets (`scenarios/designs/*.toml`).

use std::path::{Path, PathBuf};

/// The folder that holds the built-in scenarios.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The file a NAME stands for, if NAME is a built-in scenario.
pub fn path_of(name: &str) -> Option<PathBuf> {
    let path = dir().join(format!("{name}.toml"));
    path.is_file().then_some(path)
}

/// Every built-in scenario file, sorted by name.
pub fn files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "toml") && path.file_name() != Some("Cargo.toml".as_ref()))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The name of a scenario file (its stem).
pub fn name_of(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The folder that holds the design presets.
pub fn designs_dir() -> PathBuf {
    dir().join("designs")
}

/// The preset file a design NAME stands for, if it exists.
pub fn design_path_of(name: &str) -> Option<PathBuf> {
    let path = designs_dir().join(format!("{name}.toml"));
    path.is_file().then_some(path)
}

/// Every design preset file, sorted by name.
pub fn design_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(designs_dir())
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// One row of `scenarios/detection.tsv`: a risky preset, the scenario that
/// exposes it, the invariant it must break, and the most seeds that may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub design: String,
    pub scenario: String,
    pub invariant: String,
    pub seeds_max: u64,
}

/// The detection table.
pub fn detections() -> Result<Vec<Detection>, String> {
    let path = dir().join("detection.tsv");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            let bad = || format!("{}:{}: expected preset, scenario, invariant, seeds separated by tabs", path.display(), i + 1);
            let [design, scenario, invariant, seeds] = fields.as_slice() else { return Err(bad()) };
            Ok(Detection {
                design: design.to_string(),
                scenario: scenario.to_string(),
                invariant: invariant.to_string(),
                seeds_max: seeds.parse().map_err(|_| bad())?,
            })
        })
        .collect()
}
