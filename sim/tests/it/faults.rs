//! Each fault kind shown to take effect: what it held, dropped, delayed or
//! lost, and a change in what the system delivered or computed.

use scenarios::Scenario;
use sim::Run;
use system::history::Kind;

/// A small busy chain (4 stores x 50 SKUs, 600 transactions an hour each, 20 minutes) plus `extra` TOML.
fn scenario(extra: &str) -> Scenario {
    let text = format!(
        "name = \"faults\"\n[chain]\nstores = 4\nskus_per_store = 50\ntill_transactions_per_store_per_hour = 600.0\ndelivery_first_at_s = 600\n[run]\nduration_s = 1200\n{extra}"
    );
    scenarios::load_text("faults.toml", &text, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn run(extra: &str) -> Run {
    sim::simulate(&scenario(extra), 1)
}

fn count(run: &Run, kind: Kind) -> usize {
    run.outcome.history.iter().filter(|r| r.kind == kind).count()
}

#[test]
fn a_short_partition_holds_messages_and_delivers_them_after() {
    // Goal: messages across a partition shorter than the connection timeout
    // are held, not lost, and arrive after it heals. Method: cut store-1's
    // site for 20 s; its commits wait at least until the heal.
    let r = run("[[fault]]\nat = \"5m\"\nkind = \"partition\"\nbetween = [\"store-1\", \"central-side\"]\nfor = \"20s\"\n");
    let effect = &r.outcome.faults[0].effect;
    assert!(effect.held > 0 && effect.dropped == 0, "{effect:?}");
    assert!(r.metrics.propagation.max_ms > 15_000.0, "a commit waited out the partition");
    assert!(r.invariants.values().all(|v| v.held));
}

#[test]
fn a_long_partition_resets_connections_and_hides_the_store() {
    // Goal: past the connection timeout the held messages are lost and the
    // sender learns of it; past stale_after the store is hidden and shown again after.
    let r = run("[[fault]]\nat = \"5m\"\nkind = \"partition\"\nbetween = [\"store-1\", \"central-side\"]\nfor = \"3m\"\n");
    let effect = &r.outcome.faults[0].effect;
    assert!(effect.dropped > 0 && effect.resets > 0, "{effect:?}");
    assert!(count(&r, Kind::Stale) >= 1 && count(&r, Kind::Fresh) >= 1);
    assert!(r.metrics.reads_hidden > 0);
    assert!(r.invariants.values().all(|v| v.held), "{:?}", r.invariants);
}

#[test]
fn a_one_way_partition_cuts_only_one_direction() {
    // Goal: `one_way` holds messages from the first group to the second only.
    // Method: for 60 s, cut consumer-0 -> broker: its group heartbeats are
    // held, its session expires and the group rebalances. Cut broker ->
    // consumer-0 instead: heartbeats still arrive, so no rebalance.
    let clean = run("");
    let cut = |between: &str| run(&format!("[[fault]]\nat = \"5m\"\nkind = \"partition\"\nbetween = {between}\none_way = true\nfor = \"60s\"\n"));
    let upstream = cut("[\"consumer-0\", \"broker\"]");
    let downstream = cut("[\"broker\", \"consumer-0\"]");
    assert!(upstream.outcome.faults[0].effect.held > 0 && downstream.outcome.faults[0].effect.held > 0);
    assert!(upstream.metrics.rebalances > clean.metrics.rebalances);
    assert_eq!(downstream.metrics.rebalances, clean.metrics.rebalances);
}

#[test]
fn a_relay_crash_replays_since_its_last_flush() {
    // Goal: a crashed relay resumes from its flushed offset and publishes
    // again what it had already published: central skips the duplicates.
    let clean = run("");
    let r = run("[[fault]]\nat = \"350s\"\nkind = \"crash\"\nnode = \"relay-0\"\nrestart_after = \"5s\"\n");
    assert_eq!(clean.metrics.events_skipped, 0);
    assert!(r.metrics.events_skipped > 0, "replayed events were skipped by version");
    assert_eq!(count(&r, Kind::Crash), 1);
    assert_eq!(count(&r, Kind::Restart), 1);
    assert!(r.invariants.values().all(|v| v.held));
}

#[test]
fn a_store_crash_misses_till_transactions_while_down() {
    // Goal: a down store sells nothing; the arrivals while it is down are missed.
    let r = run("[[fault]]\nat = \"5m\"\nkind = \"crash\"\nnode = \"store-2\"\nrestart_after = \"2m\"\n");
    assert!(r.metrics.till_transactions_missed > 5, "{}", r.metrics.till_transactions_missed);
    let store_2_sales_while_down =
        r.outcome.history.iter().filter(|x| x.kind == Kind::Sale && x.store == Some(2) && (300_000_000..420_000_000).contains(&x.t_us)).count();
    assert_eq!(store_2_sales_while_down, 0);
}

#[test]
fn a_restore_rolls_the_store_back_and_resyncs_central() {
    // Goal: a restored DB loses its recent commits, rises an epoch and rewrites every row.
    let r = run("[[fault]]\nat = \"15m\"\nkind = \"restore\"\nnode = \"store-0\"\nbackup_age = \"10m\"\nrestart_after = \"30s\"\n");
    assert_eq!(count(&r, Kind::Restore), 1);
    let resyncs: Vec<_> = r.outcome.history.iter().filter(|x| x.kind == Kind::Resync).collect();
    assert_eq!(resyncs.len(), 50, "one per SKU");
    assert!(resyncs.iter().all(|x| x.version.unwrap_or(0) >> 32 == 1), "versions carry epoch 1");
    assert!(r.invariants.values().all(|v| v.held), "{:?}", r.invariants);
}

#[test]
fn a_restore_without_a_store_epoch_loses_the_resync() {
    // Goal: the same restore under `store_sku_increment` ids (no epoch) reuses
    // versions; central drops the rewritten rows as old and never converges.
    let r = run(
        "[design]\nevent_id = \"store_sku_increment\"\n[[fault]]\nat = \"15m\"\nkind = \"restore\"\nnode = \"store-0\"\nbackup_age = \"10m\"\nrestart_after = \"30s\"\n",
    );
    assert!(!r.invariants["convergence"].held);
}

#[test]
fn a_paused_consumer_is_replaced_and_wakes_as_a_zombie() {
    // Goal: inputs wait for a paused node; a consumer paused past the session
    // timeout loses its partitions (a rebalance) and its late commit is refused.
    let clean = run("");
    let r = run("[[fault]]\nat = \"5m\"\nkind = \"pause\"\nnode = \"consumer-0\"\nfor = \"70s\"\n");
    assert!(r.outcome.faults[0].effect.deferred > 0);
    assert!(r.metrics.rebalances > clean.metrics.rebalances);
    assert!(r.invariants.values().all(|v| v.held));
}

#[test]
fn a_latency_spike_slows_propagation() {
    // Goal: latency multiplied on the WAN shows in propagation percentiles.
    let clean = run("");
    let r = run("[[fault]]\nat = \"0s\"\nkind = \"latency_spike\"\nbetween = [\"stores\", \"central-side\"]\nfactor = 20.0\nfor = \"19m\"\n");
    assert!(r.outcome.faults[0].effect.delayed > 0);
    assert!(r.metrics.propagation.p50_ms > clean.metrics.propagation.p50_ms * 5.0);
}

#[test]
fn duplicated_messages_reach_central_twice_and_are_skipped() {
    // Goal: duplicated deliveries between consumers and central are applied once.
    let r = run("[[fault]]\nat = \"0s\"\nkind = \"duplicate\"\nbetween = [\"consumers\", \"central\"]\nprobability = 0.5\nfor = \"19m\"\n");
    assert!(r.outcome.faults[0].effect.duplicated > 0);
    assert!(r.metrics.events_skipped > 0);
    assert!(r.invariants["idempotence"].held);
    // Without idempotency and with deltas, the same duplicates apply twice.
    let naive = run(
        "[design]\nevent_semantics = \"delta\"\nidempotency = \"none\"\n[[fault]]\nat = \"0s\"\nkind = \"duplicate\"\nbetween = [\"consumers\", \"central\"]\nprobability = 0.5\nfor = \"19m\"\n",
    );
    assert!(!naive.invariants["idempotence"].held);
    assert!(!naive.invariants["convergence"].held);
}

#[test]
fn reordering_lets_messages_overtake() {
    // Goal: with FIFO off and jitter on, later messages arrive first. Method:
    // online reads (10 a second) to central with up to 500 ms of jitter.
    let r = run(
        "[online]\nreads_per_second = 10.0\n[[fault]]\nat = \"0s\"\nkind = \"reorder\"\nbetween = [\"customers\", \"central\"]\njitter = \"500ms\"\nfor = \"19m\"\n",
    );
    assert!(r.outcome.faults[0].effect.reordered > 0, "{:?}", r.outcome.faults[0].effect);
}

#[test]
fn a_store_clock_behind_makes_its_watermark_look_old() {
    // Goal: clock skew changes the node's own clock: a store 70 s behind
    // writes heartbeats central finds older than stale_after, so it hides the store.
    let r = run("[[fault]]\nat = \"2m\"\nkind = \"clock_skew\"\nnode = \"store-3\"\noffset = \"-70s\"\n");
    assert!(r.outcome.faults[0].effect.skewed > 0);
    assert!(r.outcome.history.iter().any(|x| x.kind == Kind::Stale && x.store == Some(3)));
}

#[test]
fn a_leader_only_ack_loses_the_broker_tail_on_a_crash() {
    // Goal: with acks = leader a broker crash loses acknowledged records; with acks = all it does not.
    let fault = "[[fault]]\nat = \"7m\"\nkind = \"crash\"\nnode = \"broker\"\nrestart_after = \"10s\"\n";
    let leader = run(&format!("[design]\nbroker_acks = \"leader\"\n[broker]\nreplication_lag_ms = 5000\n{fault}"));
    let all = run(fault);
    assert!(leader.metrics.broker_records_lost > 0);
    assert_eq!(all.metrics.broker_records_lost, 0);
    assert!(all.invariants.values().all(|v| v.held));
}
