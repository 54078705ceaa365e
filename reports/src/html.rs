//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no
//! external fetches) for people who were not there: the verdict in plain
//! words, the charts, the invariant table with its evidence, the fault table,
//! the swarm draw and the replay command.

use crate::rows;
use crate::svg::escape;
use crate::verdict::{Status, Verdict, counted};
use sim::summary::Summary;
use std::fmt::Write;

/// The charts, already drawn (`None` where the run has no data for one).
#[derive(Debug, Clone, Default)]
pub struct Charts {
    pub percentiles: String,
    pub staleness: String,
    pub backlog: Option<String>,
    pub availability: Option<String>,
    /// Online orders: time to confirm and open reservations (runs with orders only).
    pub orders: Option<String>,
}

/// What the page shows besides the summary.
#[derive(Debug, Clone)]
pub struct Page<'a> {
    pub summary: &'a Summary,
    /// The question the scenario asks.
    pub question: &'a str,
    pub verdict: &'a Verdict,
    pub charts: &'a Charts,
}

/// The page's stylesheet (shared with the comparison page).
pub const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;max-width:980px;margin:24px auto;padding:0 16px;line-height:1.45}\
h1{font-size:24px;margin:0 0 4px}h3{font-size:15px;margin:16px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}\
.question{color:#555;margin:0 0 16px}.verdict{border-radius:6px;padding:12px 16px;border-left:6px solid}\
.held{background:#eef7ee;border-color:#2a9d55}.broken{background:#fbeeee;border-color:#c0392b}.stuck{background:#fdf6e7;border-color:#e69f00}\
.verdict .lead{font-size:17px;font-weight:600;margin:0}.verdict ul{margin:8px 0 0;padding-left:20px}\
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}\
th{background:#f4f4f4}.scroll{overflow-x:auto}table.grid{font-size:12px}table.grid td,table.grid th{white-space:nowrap;padding:2px 5px}table.grid td:nth-child(2){white-space:normal;min-width:160px}td.num{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b2182b;font-weight:600}.ok{color:#1a7f37}\
pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}svg.chart{max-width:100%;height:auto;display:block;margin:8px 0}\
.note{color:#555;font-size:13px}";

/// What each invariant promises (from `docs/invariants.md`).
fn promise(name: &str) -> &'static str {
    match name {
        "no_oversell" => "no store commit leaves stock below zero, and no confirmed online order fails for lack of stock",
        "bounded_staleness" => "every read shown fresh is at most the bound old",
        "convergence" => "after the workload, the pipeline drains and central equals every store",
        "monotonic_view" => "central's version of a (store, sku) never goes backwards",
        "no_lost_update" => "every store commit reaches central",
        "idempotence" => "every change is applied at most once",
        "local_continuity" => "a store that is up never refuses a till sale",
        "reservation_conservation" => "every reservation ends exactly once, and no store keeps a hold central does not know",
        _ => "",
    }
}

/// The whole page.
pub fn report(page: &Page) -> String {
    let s = page.summary;
    let title = format!("{} / {} / seed {}", s.scenario, s.design, s.seed);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>shelfcheck: {t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>shelfcheck: {t}</h1>\n<p class=\"question\">{q}</p>\n",
        t = escape(&title),
        q = escape(page.question)
    );
    out.push_str(&verdict(page.verdict));
    out.push_str(&charts(page.charts));
    out.push_str(&invariants(s));
    out.push_str(&faults(s));
    out.push_str(&swarm(s));
    let _ = write!(out, "<h2>The run in figures</h2>\n{}", two_columns(&rows::of(s)));
    out.push_str(&replay(s));
    out.push_str("</body>\n</html>\n");
    out
}

fn verdict(v: &Verdict) -> String {
    let class = match v.status {
        Status::Held => "held",
        Status::SafetyViolated => "broken",
        Status::NoConvergence => "stuck",
    };
    let points: String = v.points.iter().map(|p| format!("<li>{}</li>", escape(p))).collect();
    format!("<section class=\"verdict {class}\">\n<p class=\"lead\">{}</p>\n<ul>{points}</ul>\n</section>\n", escape(&v.lead))
}

fn charts(c: &Charts) -> String {
    let mut out = String::from("<h2>Latency and staleness</h2>\n");
    let _ = write!(
        out,
        "<p class=\"note\">How long a store's change took to reach central, and how old the stock shown to customers as fresh was, \
         by percentile: read the right-hand end for the rare worst cases.</p>\n{}\n{}\n",
        c.percentiles, c.staleness
    );
    out.push_str("<h2>Pipeline and availability over time</h2>\n");
    match (&c.backlog, &c.availability) {
        (Some(backlog), Some(availability)) => {
            let _ = write!(out, "{backlog}\n{availability}\n");
        }
        _ => out.push_str("<p class=\"note\">This run has no timeseries.csv (written by newer versions): no gauges over time.</p>\n"),
    }
    if let Some(orders) = &c.orders {
        out.push_str("<h2>Online orders</h2>\n");
        let _ = write!(
            out,
            "<p class=\"note\">How long customers waited from placing an order to its confirmation, and how many reservations were open: \
             a rising count means stores' answers are not coming back.</p>\n{orders}\n"
        );
    }
    out
}

fn invariants(s: &Summary) -> String {
    let mut out =
        String::from("<h2>Invariants</h2>\n<table>\n<tr><th>invariant</th><th>kind</th><th>promise</th><th>verdict</th><th>violations</th></tr>\n");
    for (name, v) in &s.invariants {
        let (class, word) = if v.held { ("ok", "held") } else { ("bad", "VIOLATED") };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{word}</td><td class=\"num\">{}</td></tr>",
            escape(name),
            if v.safety { "safety" } else { "liveness" },
            promise(name),
            rows::thousands(v.violations)
        );
    }
    out.push_str("</table>\n");
    for (name, v) in s.invariants.iter().filter(|(_, v)| !v.held) {
        let _ = writeln!(
            out,
            "<h3>{}: {} (the first {} with the events.csv lines that prove {})</h3>",
            escape(name),
            counted(v.violations, "violation", "violations"),
            v.examples.len(),
            if v.examples.len() == 1 { "it" } else { "them" }
        );
        for example in &v.examples {
            let _ =
                writeln!(out, "<p>t = {} µs: {}</p>\n<pre>{}</pre>", example.t_us, escape(&example.message), escape(&example.evidence.join("\n")));
        }
    }
    out
}

fn faults(s: &Summary) -> String {
    if s.faults.is_empty() {
        return "<h2>Faults</h2>\n<p>No faults were injected in this run.</p>\n".to_string();
    }
    format!(
        "<h2>Faults</h2>\n<p class=\"note\">Each fault, when it began and healed, and what it did to messages and work; \
         a fault marked NO touched nothing and tested nothing.</p>\n{}",
        grid(&rows::fault_table(s))
    )
}

fn swarm(s: &Summary) -> String {
    match rows::swarm_line(s) {
        Some(line) => format!("<h2>Swarm draw</h2>\n<p>Swarm mode drew the faults from the seed: {}.</p>\n", escape(&line)),
        None => String::new(),
    }
}

fn replay(s: &Summary) -> String {
    format!(
        "<h2>Replay</h2>\n<p>The same command gives the same history, byte for byte (events.csv SHA-256 <code>{}</code>):</p>\n\
         <pre>{}</pre>\n<p>This page is rendered from the run's files alone; to render it again:</p>\n\
         <pre>cargo xtask report results/{}/{}/seed-{}</pre>\n",
        escape(&s.digest),
        escape(&s.replay),
        escape(&s.scenario),
        escape(&s.design),
        s.seed
    )
}

/// A table of (label, value) rows.
fn two_columns(rows: &[(String, String)]) -> String {
    let body: String = rows.iter().map(|(l, v)| format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(l), escape(v))).collect();
    format!("<table>\n{body}</table>\n")
}

/// A table whose first row is the header; numeric cells right-aligned.
fn grid(rows: &[Vec<String>]) -> String {
    let numeric = |v: &str| !v.is_empty() && v.chars().all(|ch| ch.is_ascii_digit() || ch == ',');
    let mut out = String::from("<div class=\"scroll\"><table class=\"grid\">\n");
    for (i, row) in rows.iter().enumerate() {
        let cells: String = row
            .iter()
            .map(|v| match (i, numeric(v)) {
                (0, _) => format!("<th>{}</th>", escape(v)),
                (_, true) => format!("<td class=\"num\">{}</td>", escape(v)),
                _ => format!("<td>{}</td>", escape(v)),
            })
            .collect();
        let _ = writeln!(out, "<tr>{cells}</tr>");
    }
    out.push_str("</table></div>\n");
    out
}

/// A comparison page: a plain-words verdict per design, charts, then titled tables.
pub fn comparison(
    title: &str,
    intro: &str,
    verdicts: &[(bool, String)],
    charts: &[String],
    tables: &[(String, Vec<Vec<String>>)],
    footer: &str,
) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>shelfcheck: {t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>shelfcheck: {t}</h1>\n<p class=\"question\">{i}</p>\n",
        t = escape(title),
        i = escape(intro)
    );
    let class = if verdicts.iter().all(|(held, _)| *held) { "held" } else { "stuck" };
    let _ = writeln!(out, "<div class=\"verdict {class}\"><ul>");
    for (held, line) in verdicts {
        let mark = if *held { "ok" } else { "bad" };
        let _ = writeln!(out, "<li class=\"{mark}\">{}</li>", escape(line));
    }
    out.push_str("</ul></div>\n");
    for chart in charts {
        out.push_str(chart);
        out.push('\n');
    }
    for (heading, rows) in tables {
        let _ = write!(out, "<h2>{}</h2>\n{}", escape(heading), crate::table::html_columns(rows));
    }
    let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(footer));
    out.push_str("</body>\n</html>\n");
    out
}
