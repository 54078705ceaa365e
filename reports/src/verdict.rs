//! The verdict in plain words, built from the summary (and the stores the
//! history shows hidden): every sentence is derived from a count or a figure,
//! none is fixed text that could be false for a run.

use crate::rows::{duration, thousands};
use sim::summary::{Summary, exit};

/// How the run ended, for the headline's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Held,
    SafetyViolated,
    NoConvergence,
}

/// The verdict: a status, one lead sentence, and further points.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: Status,
    pub lead: String,
    pub points: Vec<String>,
}

/// What the verdict needs besides the summary.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Δ + ε in seconds.
    pub staleness_bound_s: f64,
    /// The drain bound in seconds.
    pub drain_bound_s: f64,
    /// Distinct stores central hid at least once.
    pub stores_hidden: usize,
}

/// `1 read`, `12 reads`, `1,204 reads`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A duration given in milliseconds, in the unit that reads best: `37.3 ms`, `4.2 s`, `61.0 s`, `3m 5.0s`.
pub fn age(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else if ms < 120_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        duration(ms / 1000.0)
    }
}

/// The verdict on `summary`.
pub fn of(summary: &Summary, context: Context) -> Verdict {
    let status = match summary.exit_code {
        exit::HELD => Status::Held,
        exit::NO_CONVERGENCE => Status::NoConvergence,
        _ => Status::SafetyViolated,
    };
    let mut lead = vec![invariants_clause(summary, context), staleness_clause(summary, context), hiding_clause(summary, context)];
    lead.retain(|s| !s.is_empty());
    let mut points = violation_points(summary, context);
    points.push(propagation_point(summary));
    points.extend(orders_point(summary));
    points.extend([drain_point(summary, context), faults_point(summary)]);
    Verdict { status, lead: capitalised(&lead.join("; ")) + ".", points: points.into_iter().map(|p| capitalised(&p) + ".").collect() }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().collect::<String>() + chars.as_str())
}

fn invariants_clause(summary: &Summary, context: Context) -> String {
    let broken: Vec<(&String, &sim::checkers::Verdict)> = summary.invariants.iter().filter(|(_, v)| !v.held).collect();
    match broken.as_slice() {
        [] => format!("every invariant held ({} checked)", summary.invariants.len()),
        [(name, verdict)] => format!("this design broke {name}: {}", violation_words(name, verdict, summary, context)),
        _ => {
            let names: Vec<&str> = broken.iter().map(|(n, _)| n.as_str()).collect();
            format!("this design broke {} of {} invariants ({})", broken.len(), summary.invariants.len(), names.join(", "))
        }
    }
}

/// What a violated invariant's count means, in words (counts as the checkers count them).
fn violation_words(name: &str, verdict: &sim::checkers::Verdict, summary: &Summary, context: Context) -> String {
    let n = verdict.violations;
    match name {
        "no_oversell" => format!(
            "{} sold stock that did not exist ({} units oversold online)",
            counted(n, "store commit or confirmed order", "store commits or confirmed orders"),
            summary.metrics.orders.oversold_units
        ),
        "bounded_staleness" => format!(
            "{} showed stock as fresh although it was older than the {} bound",
            counted(n, "online read", "online reads"),
            age(context.staleness_bound_s * 1000.0)
        ),
        "convergence" => convergence_words(n, summary, context),
        "monotonic_view" => format!("central's version of a (store, sku) went backwards {}", counted(n, "time", "times")),
        "no_lost_update" => format!("{} never reached central although the pipeline drained", counted(n, "store commit", "store commits")),
        "idempotence" => format!("central applied {} more than once", counted(n, "change (store, sku, version)", "changes (store, sku, version)")),
        "local_continuity" => format!("stores refused {} while they were up", counted(n, "till sale", "till sales")),
        "reservation_conservation" => format!(
            "{} broke reservation bookkeeping: a reservation ended twice or never, or a store kept units held for nobody",
            counted(n, "reservation or store", "reservations or stores")
        ),
        _ => format!("violated {}", counted(n, "time", "times")),
    }
}

fn convergence_words(n: u64, summary: &Summary, context: Context) -> String {
    let undrained = summary.metrics.drain_s.is_none();
    let keys = n - u64::from(undrained);
    let mut parts = Vec::new();
    if undrained {
        parts.push(format!("the pipeline did not drain within {}", duration(context.drain_bound_s)));
    }
    if keys > 0 {
        parts.push(format!("central ended with another value than the store for {}", counted(keys, "(store, sku) key", "(store, sku) keys")));
    }
    parts.join(", and ")
}

fn violation_points(summary: &Summary, context: Context) -> Vec<String> {
    let broken: Vec<_> = summary.invariants.iter().filter(|(_, v)| !v.held).collect();
    if broken.len() < 2 {
        return Vec::new();
    }
    broken.into_iter().map(|(name, verdict)| format!("broke {name}: {}", violation_words(name, verdict, summary, context))).collect()
}

fn staleness_clause(summary: &Summary, context: Context) -> String {
    let m = &summary.metrics;
    let s = &m.fresh_read_staleness;
    let bound = age(context.staleness_bound_s * 1000.0);
    if m.reads == 0 {
        "no online reads were made".to_string()
    } else if s.count == 0 {
        "no online read was shown fresh".to_string()
    } else if s.max_ms == 0.0 {
        format!("every one of the {} shown fresh showed the store's current value", counted(s.count, "online read", "online reads"))
    } else {
        let p99 = if s.p99_ms == 0.0 {
            "99% of reads showed the store's current value".to_string()
        } else {
            format!("99% of reads: at most {}", age(s.p99_ms))
        };
        format!("online stock shown fresh was at most {} old ({p99}; bound {bound})", age(s.max_ms))
    }
}

fn hiding_clause(summary: &Summary, context: Context) -> String {
    let m = &summary.metrics;
    if m.stale_transitions == 0 {
        return "no store was hidden from customers".to_string();
    }
    format!(
        "{} hidden {} ({} answered \"unavailable\", {} of them within the bound)",
        counted(context.stores_hidden as u64, "store was", "stores were"),
        counted(m.stale_transitions, "time", "times"),
        counted(m.reads_hidden, "read", "reads"),
        thousands(m.reads_hidden_within_bound)
    )
}

fn propagation_point(summary: &Summary) -> String {
    let m = &summary.metrics;
    let p = &m.propagation;
    let reached = if m.commits_unreached == 0 {
        format!("all {} reached central", counted(m.commits, "store change", "store changes"))
    } else {
        format!("{} of {} never reached central", thousands(m.commits_unreached), counted(m.commits, "store change", "store changes"))
    };
    if p.count == 0 {
        return reached;
    }
    format!("{reached}; a change took {} at the median, {} at the 99th percentile and {} at worst", age(p.p50_ms), age(p.p99_ms), age(p.max_ms))
}

/// Online orders in one sentence, for runs that had any.
fn orders_point(summary: &Summary) -> Option<String> {
    let (o, t) = (&summary.metrics.orders, &summary.metrics.time_to_confirm);
    (o.placed > 0).then(|| {
        let oversold = match o.oversold_units {
            0 => "no customer was confirmed stock that was not there".to_string(),
            units => format!("{} confirmed orders failed: {} oversold", thousands(o.failed), counted(units, "unit", "units")),
        };
        format!(
            "{} placed online: {} confirmed (in {} at the median, {} at the 99th percentile), {} turned away ({} although the home store had the units); {oversold}",
            counted(o.placed, "order was", "orders were"),
            thousands(o.confirmed),
            age(t.p50_ms),
            age(t.p99_ms),
            thousands(o.rejected),
            thousands(o.lost_sales),
        )
    })
}

fn drain_point(summary: &Summary, context: Context) -> String {
    match summary.metrics.drain_s {
        Some(0.0) => "the pipeline was already empty when the workload stopped".to_string(),
        Some(s) => format!("the pipeline was empty {} after the workload stopped", age(s * 1000.0)),
        None => format!("after the workload stopped, the pipeline was still not empty after {}", duration(context.drain_bound_s)),
    }
}

fn faults_point(summary: &Summary) -> String {
    let total = summary.faults.len() as u64;
    if total == 0 {
        return "no faults were injected".to_string();
    }
    let mattered = summary.faults.iter().filter(|f| f.mattered).count() as u64;
    format!("{} injected, {} of them changed what happened", counted(total, "fault was", "faults were"), thousands(mattered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_counts_read_naturally() {
        // Goal: the verdict's numbers read as a person writes them. Method: a few values of each.
        assert_eq!(age(37.25), "37.2 ms");
        assert_eq!(age(4_200.0), "4.2 s");
        assert_eq!(age(61_000.0), "61.0 s");
        assert_eq!(age(185_000.0), "3m 5.0s");
        assert_eq!(counted(1, "store was", "stores were"), "1 store was");
        assert_eq!(counted(1_204, "read", "reads"), "1,204 reads");
        assert_eq!(capitalised("every invariant held"), "Every invariant held");
    }
}
