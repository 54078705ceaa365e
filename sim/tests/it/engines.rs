//! The two engines agree: on small chains with the same latency model (fixed
//! link latencies, no service time), `des` and `turmoil` reach the same
//! invariant verdicts for the recommended design and for each risky preset
//! on the fault that exposes it, and their propagation p50 agree within 10%.
//! turmoil is deterministic too: the same seed gives the same digest.

use sim::{EngineKind, simulate_on};
use std::collections::BTreeMap;

/// A small chain (3 stores x 40 SKUs, one consumer, 8 simulated minutes) with
/// fixed latencies and no service time, then `rest` (faults, more settings).
fn scenario_text(rest: &str) -> String {
    format!(
        r#"name = "agreement"
question = "Do the engines agree?"
[chain]
stores = 3
skus_per_store = 40
till_transactions_per_store_per_hour = 600
initial_on_hand_min = 2
initial_on_hand_max = 12
[network]
wan = {{ kind = "constant", ms = 20 }}
central_lan = {{ kind = "constant", ms = 1 }}
store_local = {{ kind = "constant", ms = 1 }}
[service]
store_commit = {{ kind = "constant", ms = 0 }}
relay_read = {{ kind = "constant", ms = 0 }}
broker_append = {{ kind = "constant", ms = 0 }}
broker_fetch = {{ kind = "constant", ms = 0 }}
consumer_decode = {{ kind = "constant", ms = 0 }}
central_apply = {{ kind = "constant", ms = 0 }}
central_read = {{ kind = "constant", ms = 0 }}
{rest}"#
    )
}

fn load(design: &str, rest: &str, consumers: u32) -> scenarios::Scenario {
    let dir = std::env::temp_dir().join(format!("shelfcheck-agreement-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{design}.toml"));
    std::fs::write(&path, scenario_text(rest)).unwrap();
    let preset = scenarios::catalogue::design_path_of(design).unwrap_or_else(|| panic!("no design {design}"));
    scenarios::load_with_design(&path, Some(&preset), &[format!("design.consumers={consumers}")]).unwrap_or_else(|e| panic!("{e}"))
}

fn verdicts(run: &sim::Run) -> BTreeMap<String, bool> {
    run.invariants.iter().map(|(name, v)| (name.clone(), v.held)).collect()
}

const RUN: &str = "[run]\nduration_s = 480\n";

/// Each risky preset, the fault that exposes it, the invariant it breaks (`recommended`: none), and the consumers.
fn cases() -> Vec<(&'static str, String, Option<&'static str>, u32)> {
    let crash =
        |node: &str, at: &str, down: &str| format!("[[fault]]\nat = \"{at}\"\nkind = \"crash\"\nnode = \"{node}\"\nrestart_after = \"{down}\"\n");
    let partition = |a: &str, b: &str, at: &str, length: &str| {
        format!("[[fault]]\nat = \"{at}\"\nkind = \"partition\"\nbetween = [\"{a}\", \"{b}\"]\nfor = \"{length}\"\n")
    };
    let consumer_stall =
        [partition("consumer-0", "central", "2m", "3m"), crash("consumer-0", "150s", "5s"), crash("consumer-0", "210s", "5s")].concat();
    let orders = "[online]\norders_per_second = 1.0\npromotion_skus = 3\npromotion_share = 0.8\npick_delay_s = 120\n[design]\nreservation_ttl_s = 30\n[run]\nduration_s = 480\ndrain_bound_s = 400\n";
    vec![
        ("recommended", [RUN, &partition("store-1", "central-side", "2m", "90s")].concat(), None, 1),
        ("naive_delta", [RUN, &crash("relay-1", "200s", "5s")].concat(), Some("idempotence"), 1),
        ("auto_commit", [RUN, &consumer_stall].concat(), Some("no_lost_update"), 1),
        // Two consumers: the side topic's partition stays with the one that is not stalled.
        ("heartbeat_topic_only", [RUN, &consumer_stall].concat(), Some("bounded_staleness"), 2),
        ("healthcheck_only", [RUN, &crash("relay-1", "2m", "3m")].concat(), Some("bounded_staleness"), 1),
        ("dual_write", [RUN, &partition("store-1", "central-side", "2m", "3m"), &crash("site-1", "170s", "30s")].concat(), Some("no_lost_update"), 1),
        (
            "increment_ids_no_epoch",
            [RUN, "[[fault]]\nat = \"4m\"\nkind = \"restore\"\nnode = \"store-1\"\nbackup_age = \"3m\"\nrestart_after = \"10s\"\n"].concat(),
            Some("convergence"),
            1,
        ),
        ("sync_multimaster", [RUN, &partition("store-1", "central-side", "2m", "90s")].concat(), Some("local_continuity"), 1),
        ("legacy_batch_15m", "[design]\nbatch_interval_s = 120\n[run]\nduration_s = 480\n".to_string(), Some("bounded_staleness"), 1),
        ("optimistic", orders.to_string(), Some("no_oversell"), 1),
        (
            "late_accept_ignored",
            // Commands to store-1 take 20 s, twice the TTL (turmoil cannot hold one way, so a slow link, not a one-way cut).
            [
                orders.replace("reservation_ttl_s = 30", "reservation_ttl_s = 10").as_str(),
                "[[fault]]\nat = \"2m\"\nkind = \"latency_spike\"\nbetween = [\"central\", \"store-1\"]\nfactor = 1000.0\nfor = \"1m\"\n",
            ]
            .concat(),
            Some("reservation_conservation"),
            1,
        ),
    ]
}

#[test]
fn des_and_turmoil_reach_the_same_verdicts() {
    // Goal: the engines are two views of one system: each risky preset breaks
    // its invariant under both, recommended holds under both, and no other
    // verdict differs. Method: every case on seed 1 under both engines.
    let mut disagreements = Vec::new();
    for (design, rest, breaks, consumers) in cases() {
        let scenario = load(design, &rest, consumers);
        let des = simulate_on(&scenario, 1, EngineKind::Des).unwrap();
        let turmoil = simulate_on(&scenario, 1, EngineKind::Turmoil).unwrap_or_else(|e| panic!("{design}: {e}"));
        let (a, b) = (verdicts(&des), verdicts(&turmoil));
        if let Some(invariant) = breaks {
            assert!(!a[invariant], "{design}: des did not break {invariant}");
        } else {
            assert!(a.values().all(|&held| held), "{design}: des broke {a:?}");
        }
        if a != b {
            disagreements.push(format!("{design}: des {a:?}, turmoil {b:?}"));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn propagation_p50_agrees_within_ten_percent_and_turmoil_is_deterministic() {
    // Goal: with the same link latencies, the time from a store's commit to
    // central's apply is the same physics in both engines; and a turmoil run
    // is a function of its seed. Method: the recommended case, both engines,
    // and turmoil twice.
    let scenario = load(
        "recommended",
        &[RUN, "[[fault]]\nat = \"2m\"\nkind = \"partition\"\nbetween = [\"store-1\", \"central-side\"]\nfor = \"90s\"\n"].concat(),
        1,
    );
    let des = simulate_on(&scenario, 3, EngineKind::Des).unwrap();
    let turmoil = simulate_on(&scenario, 3, EngineKind::Turmoil).unwrap();
    let again = simulate_on(&scenario, 3, EngineKind::Turmoil).unwrap();
    assert_eq!(turmoil.digest, again.digest, "same seed, same history");
    let (d, t) = (des.metrics.propagation.p50_ms, turmoil.metrics.propagation.p50_ms);
    assert!((t - d).abs() <= 0.10 * d, "propagation p50: des {d} ms, turmoil {t} ms");
    assert!(des.metrics.commits > 100 && turmoil.metrics.commits > 100);
}
