//! Criterion benchmarks: the baseline run end to end on the `des` engine
//! (engine events per second), the floor (a bare event loop of as many
//! events), and hot paths: the event queue, broker append and fetch, central
//! apply, the history's CSV and digest, the checkers over a run's history.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use system::message::{BrokerRecord, Key, Msg, NodeId, Payload, StockEvent};
use system::node::{Ctx, Effects, Input, Node};
use system::world::AnyNode;

fn baseline() -> scenarios::Scenario {
    let path = scenarios::catalogue::path_of("baseline").expect("the baseline scenario ships with the crate");
    scenarios::load(&path, &[]).expect("the baseline scenario is valid")
}

fn whole_runs(c: &mut Criterion) {
    let scenario = baseline();
    let events = sim::simulate(&scenario, 1).outcome.events;
    let mut group = c.benchmark_group("run");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    group.bench_function("baseline/des", |b| b.iter(|| sim::simulate(black_box(&scenario), black_box(1)).outcome.events));
    group.bench_function("floor", |b| b.iter(|| benches::floor(black_box(events), 1_000)));
    group.finish();
}

fn hot_paths(c: &mut Criterion) {
    let mut group = c.benchmark_group("hot");
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("event_queue/push_pop", |b| {
        b.iter(|| {
            let mut queue = sim::queue::EventQueue::default();
            for i in 0..1_000u64 {
                queue.push(i * 7 % 1_000, i);
            }
            let mut sum = 0;
            for i in 0..100_000u64 {
                let (t, v) = queue.pop().expect("never empty");
                sum += v;
                queue.push(t + i % 997, v);
            }
            sum
        })
    });
    group.finish();
    let scenario = baseline();
    let run = sim::simulate(&scenario, 1);
    let recorded = &run.outcome.history;
    let history = recorded.to_vec();
    let layout = run.outcome.world.layout;
    let mut group = c.benchmark_group("checkers");
    group.sample_size(10);
    group.throughput(Throughput::Elements(history.len() as u64));
    group.bench_function("all_on_baseline_history", |b| {
        b.iter(|| {
            let keys = sim::checkers::per_key(black_box(&history));
            let context = sim::checkers::CheckContext { layout: &layout, drained: true, end_us: run.outcome.end_us, staleness_bound_us: 61_000_000 };
            sim::checkers::check_all(&history, &keys, &sim::orders::OrderBook::of(&history, &keys), context).len()
        })
    });
    group.bench_function("events_csv", |b| b.iter(|| sim::history::to_csv(black_box(&history), &layout).len()));
    group.bench_function("events_csv_digest", |b| b.iter(|| sim::history::digest_of(black_box(&history), &layout)));
    // Recording: what the engine does per history row (encode into the store's bucket, digest the CSV line).
    group.bench_function("history_record", |b| b.iter(|| sim::recorded::History::of(&layout, black_box(&history).iter().cloned()).len()));
    group.bench_function("history_passes_decode", |b| b.iter(|| recorded.passes().map(|pass| pass.records.len()).sum::<usize>()));
    group.finish();
}

/// A stock event of store 0 as the relay publishes it.
fn event(sku: u32, version: u64) -> Payload {
    Payload::Stock(StockEvent { store: 0, sku, delta: -1, on_hand: 10, version, id: (0, 0, sku, version as u32), committed_at_us: 0 })
}

/// Hands `node` one message from `from` at `now_us` and returns how many messages it sent.
fn deliver(node: &mut AnyNode, effects: &mut Effects, now_us: u64, from: NodeId, msg: Msg) -> usize {
    effects.clear();
    node.handle(&mut Ctx::new(now_us, 0, effects), Input::Message { from, msg });
    effects.sends.len()
}

/// The baseline chain's broker and central, driven directly: what one record
/// costs to append, to fetch, and to apply (the node logic alone, no engine).
fn node_paths(c: &mut Criterion) {
    const RECORDS: u64 = 1_000;
    let world = system::world::World::new(&baseline(), 1);
    let layout = world.layout;
    let (relay, consumer) = (layout.relay(0), layout.consumer(0));
    let mut group = c.benchmark_group("nodes");
    group.throughput(Throughput::Elements(RECORDS));
    let broker = world.nodes[layout.broker() as usize].clone();
    group.bench_function("broker/append_one_record_per_request", |b| {
        b.iter(|| {
            let (mut node, mut effects) = (broker.clone(), Effects::default());
            (0..RECORDS)
                .map(|i| {
                    deliver(
                        &mut node,
                        &mut effects,
                        i,
                        relay,
                        Msg::Produce { request_id: i, records: vec![(0, BrokerRecord { key: Key::Store(0), payload: event(i as u32, i) })] },
                    )
                })
                .sum::<usize>()
        })
    });
    // A broker holding the records, with one member that owns every partition.
    let (mut filled, mut effects) = (broker.clone(), Effects::default());
    for i in 0..RECORDS {
        deliver(
            &mut filled,
            &mut effects,
            i,
            relay,
            Msg::Produce { request_id: i, records: vec![(0, BrokerRecord { key: Key::Store(0), payload: event(i as u32, i) })] },
        );
    }
    deliver(&mut filled, &mut effects, RECORDS, consumer, Msg::JoinGroup);
    let Some(Msg::Assignment { generation, partitions }) = effects.sends.iter().map(|(_, m)| m.clone()).find(|m| matches!(m, Msg::Assignment { .. }))
    else {
        panic!("a lone member is assigned every partition")
    };
    group.bench_function("broker/fetch_ten_records_per_request", |b| {
        b.iter(|| {
            let (mut node, mut effects) = (filled.clone(), Effects::default());
            let mut positions = partitions.clone();
            for request_id in 0..RECORDS / 10 {
                deliver(
                    &mut node,
                    &mut effects,
                    RECORDS,
                    consumer,
                    Msg::Fetch { request_id, generation, positions: positions.clone(), max_records: 10 },
                );
                for (_, msg) in &effects.sends {
                    if let Msg::Fetched { records, .. } = msg {
                        for &(partition, offset, _) in records {
                            positions.iter_mut().filter(|(p, _)| *p == partition).for_each(|(_, at)| *at = offset + 1);
                        }
                    }
                }
            }
            positions
        })
    });
    let central = world.nodes[layout.central() as usize].clone();
    group.bench_function("central/apply_ten_events_per_batch", |b| {
        b.iter(|| {
            let (mut node, mut effects) = (central.clone(), Effects::default());
            (0..RECORDS / 10)
                .map(|batch| {
                    let events = (0..10).map(|i| event((batch * 10 + i) as u32 % 50, batch + 1)).collect();
                    deliver(&mut node, &mut effects, batch, consumer, Msg::Apply { request_id: batch, events })
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, whole_runs, hot_paths, node_paths);
criterion_main!(benches);
