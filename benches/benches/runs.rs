//! Criterion benchmarks: the baseline run end to end on the `des` engine
//! (engine events per second), the floor (a bare event loop of as many
//! events), and hot paths: the event queue, the checkers over a run's history.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

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
    let history = run.outcome.history;
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
    group.finish();
}

criterion_group!(benches, whole_runs, hot_paths);
criterion_main!(benches);
