//! `cargo xtask list`: the built-in scenarios, each with the question it asks, and the design presets.

use scenarios::catalogue;

pub fn run() -> u8 {
    println!("scenarios (cargo xtask scenario NAME):");
    for path in catalogue::files() {
        let name = catalogue::name_of(&path);
        match scenarios::load(&path, &[]) {
            Ok(scenario) => println!("{name:<24} {}", scenario.question),
            Err(error) => println!("{name:<24} (invalid: {error})"),
        }
    }
    println!("\ndesigns (--design NAME):");
    for path in catalogue::design_files() {
        let name = catalogue::name_of(&path);
        let first_line = std::fs::read_to_string(&path).ok().and_then(|t| t.lines().next().map(|l| l.trim_start_matches('#').trim().to_string()));
        println!("{name:<24} {}", first_line.unwrap_or_default());
    }
    0
}
