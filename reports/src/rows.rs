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
        (
            "till".into(),
            format!(
                "{} lines found the shelf empty, {} transactions missed while down, {} sales refused while up",
                thousands(m.till_lines_lost),
                thousands(m.till_transactions_missed),
                thousands(m.till_sales_refused)
            ),
        ),
    ];
    let o = &m.orders;
    if o.placed > 0 {
        rows.push((
            "online orders".into(),
            format!(
                "{} placed, {} confirmed, {} rejected ({} with stock at the home store: lost sales), {} fulfilled, {} failed ({} units oversold; {} after a store DB restore)",
                thousands(o.placed),
                thousands(o.confirmed),
                thousands(o.rejected),
                thousands(o.lost_sales),
                thousands(o.fulfilled),
                thousands(o.failed),
                thousands(o.oversold_units),
                thousands(o.failed_after_restore)
            ),
        ));
        let t = &m.time_to_confirm;
        rows.push(("time to confirm".into(), format!("p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms", t.p50_ms, t.p99_ms, t.max_ms)));
    }
    rows.extend([
        ("propagation p50".into(), format!("{:.3} ms", p.p50_ms)),
        ("propagation p99".into(), format!("{:.3} ms", p.p99_ms)),
        ("propagation max".into(), format!("{:.3} ms", p.max_ms)),
        (
            "fresh-read staleness".into(),
            format!("p99 {:.3} s, max {:.3} s", m.fresh_read_staleness.p99_ms / 1000.0, m.fresh_read_staleness.max_ms / 1000.0),
        ),
        (
            "stores hidden".into(),
            format!(
                "{} times; {} reads hidden ({} of them within the bound)",
                thousands(m.stale_transitions),
                thousands(m.reads_hidden),
                thousands(m.reads_hidden_within_bound)
            ),
        ),
        (
            "stale shown fresh".into(),
            format!(
                "{:.1} store-s beyond the bound (hidden within it: {:.1} store-s)",
                m.staleness.shown_fresh_while_stale_s, m.staleness.hidden_while_within_bound_s
            ),
        ),
        ("drain".into(), m.drain_s.map_or("did not drain within the bound".into(), |s| format!("{s:.0} s after the workload"))),
    ]);
    for (name, verdict) in &summary.invariants {
        let value = if verdict.held { "held".to_string() } else { format!("VIOLATED ({} times)", thousands(verdict.violations)) };
        rows.push((format!("invariant {name}"), value));
    }
    rows.push(("digest".into(), summary.digest.clone()));
    rows
}

/// The fault table: what each fault was and what it did.
pub fn fault_table(summary: &Summary) -> Vec<Vec<String>> {
    let mut table = vec![
        ["#", "fault", "at", "until", "crossed", "held", "dropped", "delayed", "dup", "reord", "deferred", "lost", "resets", "mattered"]
            .map(String::from)
            .to_vec(),
    ];
    for f in &summary.faults {
        let e = &f.effect;
        let mut row = vec![f.index.to_string(), f.description.clone(), duration(f.start_s), f.end_s.map_or("-".into(), duration)];
        row.extend([e.crossed, e.held, e.dropped, e.delayed, e.duplicated, e.reordered, e.deferred, e.lost, e.resets].map(thousands));
        row.push(if f.mattered { "yes".into() } else { "NO".into() });
        table.push(row);
    }
    table
}

/// The swarm draw in one line: `partition 3.2/h, crash 1.1/h (14 faults)`.
pub fn swarm_line(summary: &Summary) -> Option<String> {
    let draw = summary.swarm.as_ref()?;
    let rates: Vec<String> = draw.rates_per_hour.iter().map(|(kind, rate)| format!("{kind} {rate:.1}/h")).collect();
    let rates = if rates.is_empty() { "no kind switched on".to_string() } else { rates.join(", ") };
    Some(format!("intensity {}: {rates} ({} faults)", draw.intensity, draw.faults.len()))
}
