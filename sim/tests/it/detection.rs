//! A harness that cannot find a known bug is itself broken: every risky design
//! preset breaks its invariant on its scenario within the stated seeds
//! (`scenarios/detection.tsv`), and `recommended` holds on the same scenarios.

use scenarios::catalogue;

fn load(scenario: &str, design: &str) -> scenarios::Scenario {
    let path = catalogue::path_of(scenario).unwrap_or_else(|| panic!("no scenario {scenario}"));
    let preset = catalogue::design_path_of(design).unwrap_or_else(|| panic!("no design {design}"));
    scenarios::load_with_design(&path, Some(&preset), &[]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_risky_preset_is_caught_within_its_seeds() {
    // Goal: each preset's anomaly is found. Method: seeds 1..=N in order, stop at the first violation of the invariant.
    for row in catalogue::detections().unwrap() {
        let scenario = load(&row.scenario, &row.design);
        let found = (1..=row.seeds_max).find(|&seed| !sim::simulate(&scenario, seed).invariants[&row.invariant].held);
        assert!(found.is_some(), "{} on {}: {} held for seeds 1..={}", row.design, row.scenario, row.invariant, row.seeds_max);
    }
}

#[test]
fn recommended_holds_on_every_detection_scenario() {
    // Goal: the scenarios that expose the risky presets do not trip the recommended design.
    let mut scenarios: Vec<String> = catalogue::detections().unwrap().into_iter().map(|row| row.scenario).collect();
    scenarios.sort();
    scenarios.dedup();
    for name in scenarios {
        let scenario = load(&name, "recommended");
        for seed in 1..=2 {
            let run = sim::simulate(&scenario, seed);
            let broken: Vec<_> = run.invariants.iter().filter(|(_, v)| !v.held).map(|(n, _)| n.clone()).collect();
            assert!(broken.is_empty(), "recommended on {name} seed {seed} broke {broken:?}");
        }
    }
}
