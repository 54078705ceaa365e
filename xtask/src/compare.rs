//! `cargo xtask compare`: several designs on the same scenario and seeds (same
//! workload, same faults: common random numbers), each metric as a mean with
//! a 95% interval across seeds, violation counts, and a monthly cost estimate.
//! Writes `compare/summary.md` and `compare/report.html` (overlaid percentile
//! plots of every design's seeds merged) under the results root.

use crate::source;
use crate::sweep::{SeedRange, SeedResult, run_seeds};
use sim::summary::{Metrics, exit};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A built-in scenario name or a path to a scenario file.
    #[arg(default_value = "swarm")]
    pub scenario: String,
    /// Design presets to compare, comma-separated (see `cargo xtask list`).
    #[arg(long, value_delimiter = ',', default_value = "recommended,legacy_batch_15m,naive_delta")]
    pub designs: Vec<String>,
    /// Seeds, inclusive; every design runs on all of them.
    #[arg(long, default_value = "1..20", value_parser = crate::sweep::parse_seeds)]
    pub seeds: SeedRange,
    /// Override any scenario field, for every design, e.g. `--set chain.stores=50`. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Sweep one parameter: every design runs with each value, e.g.
    /// `--vary design.heartbeat_interval_s=1,5,30`; the tables get one column per design and value.
    #[arg(long, value_name = "KEY=V1,V2,...", value_parser = parse_vary)]
    pub vary: Option<Vary>,
    /// Parallel simulations (default: every core).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Results root (default: `results/`); the comparison goes to `<out>/<scenario>/compare/`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Price of one host for a month (store DB servers, relays, brokers, mirrors, consumers, central), in dollars.
    #[arg(long, default_value_t = 70.0)]
    pub host_month_usd: f64,
    /// Price of one GB sent over the network, in dollars.
    #[arg(long, default_value_t = 0.02)]
    pub gb_transfer_usd: f64,
    /// Price of one million broker messages (managed-broker style), in dollars.
    #[arg(long, default_value_t = 0.40)]
    pub million_messages_usd: f64,
    /// Price of one GB of broker storage for a month, in dollars.
    #[arg(long, default_value_t = 0.10)]
    pub gb_month_usd: f64,
    /// Price of one CPU hour of relay and consumer work, in dollars.
    #[arg(long, default_value_t = 0.04)]
    pub cpu_hour_usd: f64,
}

impl Args {
    /// A comparison of one sweep's design across the values of `vary` (what `sweep --vary` runs).
    pub fn varying(sweep: &crate::sweep::Args, vary: Vary) -> Args {
        Args {
            scenario: sweep.scenario.clone(),
            designs: sweep.design.iter().cloned().collect(),
            seeds: sweep.seeds,
            overrides: sweep.overrides.clone(),
            vary: Some(vary),
            jobs: sweep.jobs,
            out: sweep.out.clone(),
            host_month_usd: 70.0,
            gb_transfer_usd: 0.02,
            million_messages_usd: 0.40,
            gb_month_usd: 0.10,
            cpu_hour_usd: 0.04,
        }
    }
}

/// One parameter and the values it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vary {
    pub key: String,
    pub values: Vec<String>,
}

pub fn parse_vary(text: &str) -> Result<Vary, String> {
    let (key, values) = text.split_once('=').ok_or_else(|| format!("{text:?}: allowed is KEY=V1,V2,..., e.g. design.partitions=6,12,24"))?;
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
    if key.trim().is_empty() || values.is_empty() {
        return Err(format!("{text:?}: allowed is KEY=V1,V2,..., e.g. design.partitions=6,12,24"));
    }
    Ok(Vary { key: key.trim().to_string(), values })
}

/// The variants compared: each design (the scenario's own when none is named),
/// with each value of the varied parameter.
fn variants(designs: &[String], vary: Option<&Vary>) -> Vec<(String, String, Vec<String>)> {
    let own = [String::new()];
    let designs = if designs.is_empty() { &own[..] } else { designs };
    designs
        .iter()
        .flat_map(|design| match vary {
            None => vec![(design.clone(), design.clone(), Vec::new())],
            Some(v) => v
                .values
                .iter()
                .map(|value| (format!("{design} {}={value}", v.key).trim().to_string(), design.clone(), vec![format!("{}={value}", v.key)]))
                .collect(),
        })
        .collect()
}

/// The designs compared (the scenario's own, named "", when none is).
fn variants_by_design(designs: &[String]) -> Vec<String> {
    if designs.is_empty() { vec![String::new()] } else { designs.to_vec() }
}

/// Mean and half-width of a 95% interval (Student's t for small samples).
pub fn mean_interval(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, 0.0);
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Two-sided 97.5% quantiles of t for 1..30 degrees of freedom, then the normal's.
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    let t = T.get(n - 2).copied().unwrap_or(1.96);
    (mean, t * (variance / n as f64).sqrt())
}

/// The metrics compared, each as (label, value of one run).
pub fn compared(m: &Metrics) -> Vec<(&'static str, f64)> {
    vec![
        ("propagation p50 (ms)", m.propagation.p50_ms),
        ("propagation p99 (ms)", m.propagation.p99_ms),
        ("worst fresh-read staleness (s)", m.fresh_read_staleness.max_ms / 1000.0),
        ("stale shown fresh (store-s)", m.staleness.shown_fresh_while_stale_s),
        ("hidden within bound (store-s)", m.staleness.hidden_while_within_bound_s),
        ("reads hidden", m.reads_hidden as f64),
        ("till sales refused", m.till_sales_refused as f64),
        ("till lines lost (shelf empty)", m.till_lines_lost as f64),
        ("online orders oversold (units)", m.orders.oversold_units as f64),
        ("online lost sales (orders)", m.orders.lost_sales as f64),
        ("time to confirm p99 (ms)", m.time_to_confirm.p99_ms),
        ("messages", m.messages as f64),
    ]
}

fn format_interval((mean, half): (f64, f64)) -> String {
    let digits = if mean.abs() >= 100.0 { 0 } else { 2 };
    format!("{mean:.digits$} ± {half:.digits$}")
}

pub fn run(args: Args) -> u8 {
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(jobs).build() else {
        eprintln!("error: cannot start {jobs} threads");
        return exit::BAD_INPUT as u8;
    };
    let seeds: Vec<u64> = (args.seeds.first..=args.seeds.last).collect();
    let mut per_design: Vec<(String, scenarios::Scenario, Vec<SeedResult>)> = Vec::new();
    for (label, design, extra) in variants(&args.designs, args.vary.as_ref()) {
        let overrides = [args.overrides.clone(), extra].concat();
        let preset = (!design.is_empty()).then_some(design.as_str());
        let Some(scenario) = source::load_or_report(&args.scenario, preset, &overrides) else {
            return exit::BAD_INPUT as u8;
        };
        eprintln!("{label}: {} seeds", seeds.len());
        let template = crate::scenario::Args {
            scenario: args.scenario.clone(),
            seed: 0,
            design: preset.map(String::from),
            overrides,
            out: None,
            engine: sim::EngineKind::Des,
            no_events: false,
        };
        let results = run_seeds(&pool, &scenario, &template, &seeds, true);
        per_design.push((label, scenario, results));
    }
    let columns: Vec<String> = per_design.iter().map(|(label, _, _)| label.clone()).collect();
    let scenario_name = per_design.first().map(|(_, s, _)| s.name.clone()).unwrap_or_default();
    let question = per_design.first().map(|(_, s, _)| s.question.clone()).unwrap_or_default();
    let workload_s = per_design.first().map_or(1.0, |(_, s, _)| s.run.duration_s as f64);
    let month_factor = 30.0 * 86_400.0 / workload_s;
    let command = format!(
        "cargo xtask compare {} --designs {} --seeds {}..{}{}{}",
        args.scenario,
        args.designs.join(","),
        args.seeds.first,
        args.seeds.last,
        args.overrides.iter().map(|o| format!(" --set {o}")).collect::<String>(),
        args.vary.as_ref().map_or(String::new(), |v| format!(" --vary {}={}", v.key, v.values.join(",")))
    );
    let metrics_of = |results: &[SeedResult]| -> Vec<Metrics> { results.iter().filter_map(|r| r.metrics.clone()).collect() };
    let invariants = sim::checkers::INVARIANTS;
    // Verdicts: seeds that broke each invariant.
    let mut verdict_rows = vec![[vec!["design".to_string(), "seeds".to_string()], invariants.iter().map(|i| i.to_string()).collect()].concat()];
    let mut verdict_lines = Vec::new();
    for (label, _, results) in &per_design {
        let mut broken: BTreeMap<&str, usize> = BTreeMap::new();
        for r in results {
            for name in r.row.verdict.split('+').filter(|n| *n != "held") {
                *broken.entry(invariants.iter().copied().find(|i| *i == name).unwrap_or("harness_bug")).or_default() += 1;
            }
        }
        verdict_rows.push(
            [vec![label.clone(), results.len().to_string()], invariants.iter().map(|i| broken.get(i).copied().unwrap_or(0).to_string()).collect()]
                .concat(),
        );
        let worst_staleness_s = metrics_of(results).iter().map(|m| m.fresh_read_staleness.max_ms / 1000.0).fold(0.0, f64::max);
        let failing = results.iter().filter(|r| r.row.verdict != "held").count();
        let what = if broken.is_empty() {
            format!("held every invariant on all {} seeds", results.len())
        } else {
            let list: Vec<String> = broken.iter().map(|(name, n)| format!("{name} on {n}")).collect();
            format!("failed {failing} of {} seeds (broke {})", results.len(), list.join(", "))
        };
        verdict_lines
            .push((broken.is_empty(), format!("{label} {what}; the oldest stock shown to a customer as fresh was {worst_staleness_s:.1} s old.")));
    }
    // Metrics: mean ± 95% interval.
    let labels: Vec<&str> =
        per_design.iter().find_map(|(_, _, r)| metrics_of(r).first().map(|m| compared(m).into_iter().map(|(l, _)| l).collect())).unwrap_or_default();
    let mut metric_rows = vec![[vec!["metric".to_string()], columns.clone()].concat()];
    for (i, label) in labels.iter().enumerate() {
        let cells = per_design
            .iter()
            .map(|(_, _, results)| format_interval(mean_interval(&metrics_of(results).iter().map(|m| compared(m)[i].1).collect::<Vec<_>>())));
        metric_rows.push([vec![label.to_string()], cells.collect()].concat());
    }
    // Cost, scaled to a month.
    let mut cost_rows =
        vec![["design", "hosts", "messages/month", "GB sent/month", "broker GB", "relay+consumer CPU h/month", "$/month"].map(String::from).to_vec()];
    for (label, _, results) in &per_design {
        let ms = metrics_of(results);
        let mean = |f: &dyn Fn(&Metrics) -> f64| mean_interval(&ms.iter().map(f).collect::<Vec<_>>()).0;
        let hosts = mean(&|m| m.hosts as f64);
        let messages = mean(&|m| m.messages as f64) * month_factor;
        let gb = mean(&|m| m.bytes as f64) * month_factor / 1e9;
        let storage_gb = mean(&|m| m.broker_records as f64) * 256.0 * month_factor / 1e9;
        let cpu_h = mean(&|m| ["relay", "consumer", "mirror"].iter().map(|r| m.busy_s_total.get(*r).copied().unwrap_or(0.0)).sum::<f64>())
            * month_factor
            / 3600.0;
        let dollars = hosts * args.host_month_usd
            + gb * args.gb_transfer_usd
            + messages / 1e6 * args.million_messages_usd
            + storage_gb * args.gb_month_usd
            + cpu_h * args.cpu_hour_usd;
        cost_rows.push(vec![
            label.clone(),
            format!("{hosts:.0}"),
            format!("{:.0} M", messages / 1e6),
            format!("{gb:.1}"),
            format!("{storage_gb:.1}"),
            format!("{cpu_h:.1}"),
            format!("{dollars:.0}"),
        ]);
    }
    let prices = format!(
        "Unit prices (flags): host ${}/month, transfer ${}/GB, ${} per million messages, storage ${}/GB-month, relay and consumer CPU ${}/hour. Messages and bytes are those the simulation sent (bytes estimated at 64 per request plus 256 per row); storage is what the brokers held at the end, kept a month.",
        args.host_month_usd, args.gb_transfer_usd, args.million_messages_usd, args.gb_month_usd, args.cpu_hour_usd
    );
    let intro = format!(
        "{question} Every design ran on the same {} seeds ({}..{}): the same till and online workload and the same faults. Produced by `{command}`.",
        seeds.len(),
        args.seeds.first,
        args.seeds.last
    );
    let title = format!("{scenario_name}: {}", columns.join(" vs "));
    let tables = vec![
        ("Invariants: seeds that broke each".to_string(), verdict_rows),
        ("Metrics per run (mean ± 95% interval across seeds)".to_string(), metric_rows),
        ("Cost estimate, scaled to a month of this chain".to_string(), cost_rows),
    ];
    // Charts: every design's seeds merged into one histogram per figure, overlaid.
    let series = |pick: fn(&crate::sweep::Latencies) -> &Vec<u64>| -> Vec<reports::svg::Series> {
        per_design
            .iter()
            .filter_map(|(label, _, results)| {
                let values: Vec<u64> = results.iter().filter_map(|r| r.latencies.as_ref()).flat_map(|l| pick(l).iter().copied()).collect();
                let max_ms = values.iter().copied().max().unwrap_or(0) as f64 / 1000.0;
                let histogram = reports::hgrm::histogram(&values).ok()?;
                Some(reports::charts::percentile_series(label, &histogram, max_ms))
            })
            .collect()
    };
    use reports::comparison::{Chart, Comparison};
    let mut charts = vec![
        Chart::Percentiles {
            title: "How long a store's change takes to reach central, by percentile (all seeds)".into(),
            y_label: "time".into(),
            series: series(|l| &l.0),
        },
        Chart::Percentiles {
            title: "How old the stock shown to customers as fresh was, by percentile (all seeds)".into(),
            y_label: "age".into(),
            series: series(|l| &l.1),
        },
    ];
    if let Some(vary) = &args.vary {
        // Each compared metric against the varied value, one line per design.
        for (i, label) in labels.iter().enumerate() {
            let lines: Vec<reports::svg::Series> = variants_by_design(&args.designs)
                .iter()
                .map(|design| {
                    let points = vary
                        .values
                        .iter()
                        .enumerate()
                        .filter_map(|(x, value)| {
                            let results = per_design.iter().find(|(l, _, _)| *l == format!("{design} {}={value}", vary.key).trim())?;
                            let means = metrics_of(&results.2).iter().map(|m| compared(m)[i].1).collect::<Vec<_>>();
                            Some((x as f64, mean_interval(&means).0))
                        })
                        .collect();
                    reports::svg::Series { name: if design.is_empty() { "this design".into() } else { design.clone() }, points }
                })
                .collect();
            charts.push(Chart::AgainstValues {
                title: format!("{label} against {}", vary.key),
                x_label: vary.key.clone(),
                y_label: label.to_string(),
                values: vary.values.clone(),
                series: lines,
            });
        }
    }
    let comparison = Comparison { title, intro, verdicts: verdict_lines, charts, tables, footer: prices };
    let md = comparison.markdown();
    let root = args.out.clone().unwrap_or_else(|| source::workspace_root().join("results"));
    let dir = root.join(&scenario_name).join("compare");
    if let Err(message) = reports::comparison::write(&dir, &comparison) {
        eprintln!("error: cannot write {}: {message}", dir.display());
        return exit::BAD_INPUT as u8;
    }
    println!("{md}");
    println!("written: {} and report.html", dir.join("summary.md").display());
    exit::HELD as u8
}
