//! `summary.md`: the verdict, the rows of the terminal table, the fault table,
//! the violations with their evidence, and the replay command, as Markdown.

use crate::verdict::{Verdict, counted};
use crate::{rows, table};
use sim::summary::Summary;
use std::fmt::Write;

/// The whole `summary.md`.
pub fn summary_md(summary: &Summary, verdict: &Verdict) -> String {
    let mut out = format!("# {} / {} / seed {}\n\n**{}**\n\n", summary.scenario, summary.design, summary.seed, verdict.lead);
    for point in &verdict.points {
        let _ = writeln!(out, "- {point}");
    }
    let _ = write!(out, "\n## Run\n\n{}", table::markdown(&rows::of(summary)));
    if let Some(line) = rows::swarm_line(summary) {
        let _ = write!(out, "\n## Swarm draw\n\n{line}\n");
    }
    if !summary.faults.is_empty() {
        let _ = write!(out, "\n## Faults\n\n{}", table::markdown_columns(&rows::fault_table(summary)));
    }
    out.push_str(&violations(summary));
    let _ = write!(out, "\n## Replay\n\n```sh\n{}\n```\n", summary.replay);
    out
}

/// Each violated invariant's kept examples with the `events.csv` lines that prove them.
fn violations(summary: &Summary) -> String {
    let mut out = String::new();
    for (name, verdict) in summary.invariants.iter().filter(|(_, v)| !v.held) {
        let _ =
            write!(out, "\n### {name}: {} (the first {} shown)\n\n", counted(verdict.violations, "violation", "violations"), verdict.examples.len());
        for example in &verdict.examples {
            let _ = write!(out, "- t={} us: {}\n\n  ```\n", example.t_us, example.message);
            for line in &example.evidence {
                let _ = writeln!(out, "  {line}");
            }
            out.push_str("  ```\n");
        }
    }
    if out.is_empty() { out } else { format!("\n## Violations\n{out}") }
}
