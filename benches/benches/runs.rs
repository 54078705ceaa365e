//! Whole-run benchmarks: the baseline scenario end to end on the `des` engine,
//! reported as engine events per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn baseline(c: &mut Criterion) {
    let path = scenarios::catalogue::path_of("baseline").expect("the baseline scenario ships with the crate");
    let scenario = scenarios::load(&path, &[]).expect("the baseline scenario is valid");
    let events = sim::simulate(&scenario, 1).outcome.events;
    let mut group = c.benchmark_group("run");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    group.bench_function("baseline/des", |b| b.iter(|| sim::simulate(black_box(&scenario), black_box(1)).outcome.events));
    group.finish();
}

criterion_group!(benches, baseline);
criterion_main!(benches);
