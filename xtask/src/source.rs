//! Where a scenario comes from: a built-in NAME or a PATH to a file, loaded
//! strictly; bad input is printed and becomes exit code 2.

use scenarios::Scenario;
use std::path::PathBuf;

/// The workspace root (where `results/` goes by default).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().map(PathBuf::from).unwrap_or_default()
}

/// The file a NAME or PATH argument stands for.
pub fn resolve(name_or_path: &str) -> Result<PathBuf, String> {
    let as_path = PathBuf::from(name_or_path);
    if as_path.is_file() {
        return Ok(as_path);
    }
    if let Some(path) = scenarios::catalogue::path_of(name_or_path) {
        return Ok(path);
    }
    let names: Vec<String> = scenarios::catalogue::files().iter().map(|p| scenarios::catalogue::name_of(p)).collect();
    Err(format!("{name_or_path}: no such scenario file or built-in name: allowed is a path to a .toml file or one of: {}", names.join(", ")))
}

/// The preset file a design NAME stands for.
pub fn resolve_design(name: &str) -> Result<PathBuf, String> {
    scenarios::catalogue::design_path_of(name).ok_or_else(|| {
        let names: Vec<String> = scenarios::catalogue::design_files().iter().map(|p| scenarios::catalogue::name_of(p)).collect();
        format!("--design {name}: no such design preset: allowed is one of: {}", names.join(", "))
    })
}

/// Loads the scenario NAME or PATH, with a design preset's `[design]` laid over it, then `--set` overrides.
pub fn load(name_or_path: &str, design: Option<&str>, overrides: &[String]) -> Result<Scenario, String> {
    let path = resolve(name_or_path)?;
    let design = design.map(resolve_design).transpose()?;
    scenarios::load_with_design(&path, design.as_deref(), overrides).map_err(|e| e.to_string())
}

/// As [`load`], printing the error: bad input is exit code 2 for the caller.
pub fn load_or_report(name_or_path: &str, design: Option<&str>, overrides: &[String]) -> Option<Scenario> {
    load(name_or_path, design, overrides).map_err(|message| eprintln!("error: {message}")).ok()
}
