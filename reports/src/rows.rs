//! The rows that describe one run: what was run, how long it took, latency, verdicts.

use sim::summary::Summary;

/// `12345678` as `12,345,678`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Seconds as `2h 0m 35.0s`.
pub fn duration(seconds: f64) -> String {
    let whole = seconds.floor() as u64;
    let (h, m) = (whole / 3600, (whole % 3600) / 60);
    let s = seconds - (h * 3600 + m * 60) as f64;
    match (h, m) {
        (0, 0) => format!("{s:.1}s"),
        (0, _) => format!("{m}m {s:.1}s"),
        _ => format!("{h}h {m}m {s:.1}s"),
    }
}

/// The summary as (label, value) rows, in reading order.
pub fn of(summary: &Summary) -> Vec<(String, String)> {
    let m = &summary.metrics;
    let p = &m.propagation;
    let mut rows = vec![
        ("scenario".into(), format!("{} (design {}, seed {}, engine {})", summary.scenario, summary.design, summary.seed, summary.engine)),
        ("events".into(), thousands(summary.events)),
        ("simulated time".into(), duration(summary.sim_duration_s)),
        ("wall time".into(), format!("{:.3} s ({} events/s)", summary.wall_s, thousands(summary.events_per_second as u64))),
        ("store commits".into(), format!("{} ({} never reached central)", thousands(m.commits), thousands(m.commits_unreached))),
        ("central applies".into(), format!("{} ({} skipped as already applied)", thousands(m.central_applies), thousands(m.events_skipped))),
        ("online reads".into(), thousands(m.reads)),
        ("propagation p50".into(), format!("{:.3} ms", p.p50_ms)),
        ("propagation p99".into(), format!("{:.3} ms", p.p99_ms)),
        ("propagation max".into(), format!("{:.3} ms", p.max_ms)),
        ("drain".into(), m.drain_s.map_or("did not drain within the bound".into(), |s| format!("{s:.0} s after the workload"))),
    ];
    for (name, verdict) in &summary.invariants {
        let value = if verdict.held { "held".to_string() } else { format!("VIOLATED ({} times)", thousands(verdict.violations)) };
        rows.push((format!("invariant {name}"), value));
    }
    rows.push(("digest".into(), summary.digest.clone()));
    rows
}
