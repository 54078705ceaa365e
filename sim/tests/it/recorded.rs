//! The compact history (`sim::recorded`): it gives back exactly the records it
//! was given, digests them as `events.csv` does, and checking it one store at
//! a time gives the verdicts one pass over the whole history gives; the
//! compact latency runs (`sim::metrics::SortedRuns`) give the same percentiles.

use proptest::prelude::*;
use scenarios::catalogue;
use sim::checkers::{self, CheckContext};
use sim::recorded::History;
use std::borrow::Cow;
use system::history::{Kind, Record};
use system::layout::Layout;

const LAYOUT: Layout = Layout { stores: 3, consumers: 1, mirrors: false };

/// Details from the program's text and made at run time, quoting included.
const STATIC_DETAILS: [&str; 4] = ["", "fresh", "hidden", "a,b \"quoted\""];

fn record() -> impl Strategy<Value = Record> {
    let optional_u32 = prop_oneof![Just(None), (0u32..6).prop_map(Some), any::<u32>().prop_map(Some)];
    let optional_i64 = prop_oneof![Just(None), (-5i64..5).prop_map(Some), any::<i64>().prop_map(Some)];
    let optional_u64 = prop_oneof![Just(None), (0u64..5).prop_map(Some), any::<u64>().prop_map(Some)];
    let detail = prop_oneof![(0..STATIC_DETAILS.len()).prop_map(|i| Cow::Borrowed(STATIC_DETAILS[i])), ".{0,12}".prop_map(Cow::Owned),];
    (
        (any::<u64>(), 0u64..1_000, any::<bool>()),
        prop_oneof![(0u32..LAYOUT.count()), Just(system::history::ENGINE)],
        0..Kind::ALL.len(),
        (optional_u32.clone(), optional_u32),
        (optional_i64.clone(), optional_i64),
        (optional_u64.clone(), optional_u64),
        detail,
    )
        .prop_map(|((far, near, is_near), node, kind, (store, sku), (qty, on_hand), (version, order), detail)| Record {
            t_us: if is_near { near } else { far },
            node,
            kind: Kind::ALL[kind],
            store,
            sku,
            qty,
            on_hand,
            version,
            order,
            detail,
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x4EC0),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_compact_history_gives_back_what_it_was_given(records in proptest::collection::vec(record(), 0..60)) {
        // Goal: encoding loses nothing (any field at its extremes, times out of
        // order, stores the chain lacks) and the running digest is the file's.
        let history = History::of(&LAYOUT, records.iter().cloned());
        prop_assert_eq!(history.len(), records.len());

        prop_assert_eq!(&history.to_vec(), &records);
        prop_assert_eq!(history.digest(), sim::history::digest_of(&records, &LAYOUT));
        // Passes: each store's rows (then the rest), each row once, at its position.
        let mut seen = vec![false; records.len()];
        for pass in history.passes() {
            prop_assert!(pass.seqs.windows(2).all(|w| w[0] < w[1]), "history order within a pass");
            for (r, &seq) in pass.records.iter().zip(&pass.seqs) {
                prop_assert_eq!(r, &records[seq as usize]);
                prop_assert_eq!(pass.store, r.store.filter(|&s| s < LAYOUT.stores));
                seen[seq as usize] = true;
            }
        }
        prop_assert!(seen.iter().all(|&s| s));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x9E7C),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn sorted_runs_give_the_percentiles_of_all_their_values(
        runs in proptest::collection::vec(proptest::collection::vec(prop_oneof![0u64..50, 0u64..5_000_000, 0u64..(1 << 40)], 0..3_000), 0..6)
    ) {
        // Goal: keeping each pass's values as a compact sorted run loses no
        // figure. Method: any values (ties, zeros, wide ranges) in any number of runs.
        let mut sorted = sim::metrics::SortedRuns::default();
        runs.iter().for_each(|run| sorted.add(run.clone()));
        let all: Vec<u64> = runs.concat();
        let expected = sim::metrics::Percentiles::of(all);
        prop_assert_eq!(&sim::metrics::Percentiles::of_runs(&sorted), &expected);
        // The same, every run moved to a cold store and read back a window at a time.
        let mut cold = sim::metrics::SortedRuns::with_cold_store(std::sync::Arc::new(sim::cold::ColdFile::new(0)));
        runs.iter().for_each(|run| cold.add(run.clone()));
        prop_assert_eq!(&sim::metrics::Percentiles::of_runs(&cold), &expected);
    }
}

#[test]
fn checking_one_store_at_a_time_gives_the_whole_history_verdicts() {
    // Goal: the per-store checks keep every verdict, count and example (the
    // examples are merged back in the order a whole-history pass lists them).
    // Method: every risky preset on the scenario that breaks it, seed 1, and
    // two swarm seeds; the run's verdicts against `check_all` over the whole
    // history, and the staleness and propagation figures likewise.
    let mut runs: Vec<(String, String, u64)> = catalogue::detections().unwrap().into_iter().map(|row| (row.scenario, row.design, 1)).collect();
    runs.extend([7, 11].map(|seed| ("swarm".to_string(), "recommended".to_string(), seed)));
    let mut broken = 0;
    for (scenario_name, design, seed) in runs {
        let path = catalogue::path_of(&scenario_name).unwrap();
        let preset = catalogue::design_path_of(&design).unwrap();
        let scenario = scenarios::load_with_design(&path, Some(&preset), &[]).unwrap();
        let run = sim::simulate(&scenario, seed);
        let whole = run.outcome.history.to_vec();
        let layout = run.outcome.world.layout;
        let context = CheckContext {
            layout: &layout,
            drained: run.outcome.drained_at_us.is_some(),
            end_us: run.outcome.end_us,
            staleness_bound_us: sim::run::staleness_bound_us(&scenario),
        };
        let keys = checkers::per_key(&whole);
        let expected = checkers::check_all(&whole, &keys, &sim::orders::OrderBook::of(&whole, &keys), context);
        assert_eq!(run.invariants, expected, "{design} on {scenario_name} seed {seed}");
        broken += expected.values().filter(|v| !v.held).count();
        let bound_us = sim::run::staleness_bound_us(&scenario);
        let staleness = sim::staleness::staleness_times(&whole, layout.stores, bound_us, run.outcome.end_us);
        assert_eq!(run.metrics.staleness, staleness, "{design} on {scenario_name} seed {seed}");
        let propagation = sim::metrics::Percentiles::of(sim::metrics::propagation_us(&keys).0);
        assert_eq!(run.metrics.propagation, propagation, "{design} on {scenario_name} seed {seed}");
        assert_eq!(run.metrics.orders, sim::orders::OrderBook::of(&whole, &keys).metrics, "{design} on {scenario_name} seed {seed}");
    }
    assert!(broken >= 13, "the runs break invariants, so examples are compared ({broken} broken)");
}

#[test]
fn a_long_history_spilled_in_blocks_reads_back_whole() {
    // Goal: a history far larger than a block per store, spilled, reads back
    // exactly (history order and store by store) and gives the same checks.
    // Method: a baseline run's history kept in memory and again with a cold
    // store that takes blocks once 1 KiB is held.
    let scenario = scenarios::load(&catalogue::path_of("baseline").unwrap(), &[]).unwrap();
    let run = sim::simulate(&scenario, 1);
    let layout = run.outcome.world.layout;
    assert!(!run.outcome.history.spilled(), "a baseline run stays in memory");
    let records = run.outcome.history.to_vec();
    let cold = std::sync::Arc::new(sim::cold::ColdFile::new(1 << 10));
    let mut spilled = History::with_cold_store(&layout, cold.clone());
    records.iter().for_each(|r| spilled.push(r));
    assert!(spilled.spilled() && cold.used());
    assert!(records.len() > 40_000, "{} rows (about 45 KiB a store): several 8 KiB blocks per store", records.len());
    assert_eq!(spilled.digest(), run.digest);
    assert!(spilled.iter().eq(records.iter().cloned()));
    for (a, b) in spilled.passes().zip(run.outcome.history.passes()) {
        assert_eq!((a.store, &a.records, &a.seqs), (b.store, &b.records, &b.seqs));
    }
}
