//! `cargo xtask list`: the built-in scenarios, each with the question it asks.

use scenarios::catalogue;

pub fn run() -> u8 {
    for path in catalogue::files() {
        let name = catalogue::name_of(&path);
        match scenarios::load(&path, &[]) {
            Ok(scenario) => println!("{name:<24} {}", scenario.question),
            Err(error) => println!("{name:<24} (invalid: {error})"),
        }
    }
    0
}
