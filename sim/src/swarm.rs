//! Swarm mode (TigerBeetle style): the seed decides which fault kinds are on
//! and how often each strikes, then draws each fault's time, target and size.
//! The drawn parameters go into `summary.json` so a run explains itself.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use scenarios::{FaultKind, FaultSpec, Scenario, Span};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use system::rng::stream;

/// What the seed drew.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SwarmDraw {
    pub intensity: f64,
    /// The kinds switched on, each with its rate (faults per simulated hour).
    pub rates_per_hour: BTreeMap<String, f64>,
    /// The faults drawn, in the `[[fault]]` format.
    pub faults: Vec<FaultSpec>,
}

/// Faults per hour of each kind at intensity 1.
fn base_rate_per_hour(kind: FaultKind) -> f64 {
    match kind {
        FaultKind::Partition | FaultKind::LatencySpike => 6.0,
        FaultKind::Crash | FaultKind::Pause => 4.0,
        FaultKind::Duplicate | FaultKind::Reorder => 3.0,
        FaultKind::ClockSkew => 2.0,
        FaultKind::Restore => 1.0,
    }
}

/// Kinds swarm mode uses when the scenario does not list them.
pub const DEFAULT_KINDS: [FaultKind; 8] = FaultKind::ALL;

/// A duration drawn log-uniformly between `low_s` and `high_s`.
fn log_uniform(rng: &mut ChaCha8Rng, low_s: f64, high_s: f64) -> Span {
    let seconds = (rng.random_range(low_s.ln()..high_s.ln())).exp();
    Span((seconds * 1e6).round() as i64)
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &'a [String]) -> &'a String {
    &items[rng.random_range(0..items.len())]
}

/// Draws the swarm faults of `scenario` for `seed`.
pub fn draw(scenario: &Scenario, seed: u64) -> SwarmDraw {
    let mut rng = stream(seed, "faults/swarm");
    let intensity = scenario.faults.intensity;
    let kinds: Vec<FaultKind> = if scenario.faults.kinds.is_empty() { DEFAULT_KINDS.to_vec() } else { scenario.faults.kinds.clone() };
    let (stores, consumers) = (scenario.chain.stores, scenario.design.consumers);
    let store_names: Vec<String> = (0..stores).map(|i| format!("store-{i}")).collect();
    let relay_names: Vec<String> = (0..stores).map(|i| format!("relay-{i}")).collect();
    let consumer_names: Vec<String> = (0..consumers).map(|i| format!("consumer-{i}")).collect();
    let mut crashable: Vec<String> = [store_names.clone(), relay_names.clone(), consumer_names.clone()].concat();
    crashable.extend(["broker".to_string(), "central".to_string()]);
    let workload_s = scenario.run.duration_s as f64;
    let skew_s = scenario.checks.clock_skew_allowance_ms as f64 / 1000.0;
    let mut draw = SwarmDraw { intensity, ..SwarmDraw::default() };
    for kind in kinds {
        // Each kind is on or off by a coin, then its rate varies around the base.
        let on = rng.random_bool(0.5);
        let rate = intensity * base_rate_per_hour(kind) * rng.random_range(0.5..1.5);
        if !on || rate <= 0.0 {
            continue;
        }
        draw.rates_per_hour.insert(kind.as_str().to_string(), (rate * 1000.0).round() / 1000.0);
        let mut t_s = 0.0;
        loop {
            t_s += -rng.random_range(f64::EPSILON..1.0).ln() * 3600.0 / rate;
            if t_s >= workload_s {
                break;
            }
            let at = Span((t_s * 1e6) as i64);
            let mut spec = FaultSpec::new(at, kind);
            let link_pair = |rng: &mut ChaCha8Rng| -> Vec<String> {
                match rng.random_range(0..5u32) {
                    0 => vec![pick(rng, &store_names).clone(), "central-side".into()],
                    1 => vec!["stores".into(), "central-side".into()],
                    2 => vec![pick(rng, &consumer_names).clone(), "broker".into()],
                    3 => vec!["consumers".into(), "central".into()],
                    _ => vec![pick(rng, &relay_names).clone(), "broker".into()],
                }
            };
            match kind {
                FaultKind::Partition => {
                    spec.between = link_pair(&mut rng);
                    spec.one_way = rng.random_bool(0.25);
                    spec.duration = Some(log_uniform(&mut rng, 1.0, 600.0));
                }
                FaultKind::Crash => {
                    spec.node = Some(pick(&mut rng, &crashable).clone());
                    spec.restart_after = Some(log_uniform(&mut rng, 1.0, 120.0));
                }
                FaultKind::Restore => {
                    spec.node = Some(pick(&mut rng, &store_names).clone());
                    spec.backup_age = Some(log_uniform(&mut rng, 60.0, 3600.0));
                    spec.restart_after = Some(log_uniform(&mut rng, 10.0, 120.0));
                }
                FaultKind::Pause => {
                    spec.node = Some(pick(&mut rng, &crashable).clone());
                    spec.duration = Some(log_uniform(&mut rng, 1.0, 120.0));
                }
                FaultKind::LatencySpike => {
                    spec.between = link_pair(&mut rng);
                    spec.factor = Some(rng.random_range(2.0f64..50.0).round());
                    spec.duration = Some(log_uniform(&mut rng, 10.0, 600.0));
                }
                FaultKind::Duplicate => {
                    spec.between = link_pair(&mut rng);
                    spec.probability = Some((rng.random_range(0.01f64..0.3) * 100.0).round() / 100.0);
                    spec.duration = Some(log_uniform(&mut rng, 10.0, 600.0));
                }
                FaultKind::Reorder => {
                    spec.between = link_pair(&mut rng);
                    spec.jitter = Some(log_uniform(&mut rng, 0.001, 2.0));
                    spec.duration = Some(log_uniform(&mut rng, 10.0, 600.0));
                }
                FaultKind::ClockSkew => {
                    // Within half the allowance either way, so store and central stay within it together.
                    let names = [store_names.clone(), vec!["central".to_string()]].concat();
                    spec.node = Some(pick(&mut rng, &names).clone());
                    let half = skew_s / 2.0;
                    let offset_s = if half > 0.0 { rng.random_range(-half..half) * 0.5 } else { 0.0 };
                    spec.offset = Some(Span((offset_s * 1e6).round() as i64));
                    // Drift adds at most a quarter of the allowance over the whole run.
                    let drift_limit_ppm = half * 0.5 / workload_s.max(1.0) * 1e6;
                    spec.drift_ppm = Some(if drift_limit_ppm > 0.0 { rng.random_range(-drift_limit_ppm..drift_limit_ppm).round() } else { 0.0 });
                }
            }
            draw.faults.push(spec);
        }
    }
    draw.faults.sort_by_key(|f| f.at);
    draw
}
