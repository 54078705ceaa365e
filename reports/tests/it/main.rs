//! Tests of a run's rendered reports, from artefacts a small simulated run
//! wrote into a temporary folder: every file is written, the HDR outputs agree
//! with `summary.json`, the page is self-contained, and rendering again gives
//! the same bytes.

use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use reports::render::FILES;
use scenarios::Scenario;
use std::path::{Path, PathBuf};

/// A small chain with one consumer crash (so the charts have a fault band):
/// 3 stores x 40 SKUs for 10 simulated minutes.
fn small() -> Scenario {
    let text = r#"
        name = "reports_small"
        question = "Do the reports render from the artefacts alone?"
        [chain]
        stores = 3
        skus_per_store = 40
        delivery_first_at_s = 300
        [online]
        reads_per_second = 5.0
        [run]
        duration_s = 600
        [[fault]]
        at = "2m"
        kind = "crash"
        node = "consumer-0"
        restart_after = "30s"
    "#;
    scenarios::load_text("reports_small.toml", text, &[]).expect("a valid scenario")
}

/// A fresh temporary folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shelfcheck-reports-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// Simulates the small scenario and writes its artefacts (not the reports) into `dir`.
fn write_artefacts(dir: &Path) -> sim::summary::Summary {
    let scenario = small();
    let run = sim::simulate(&scenario, 3);
    let summary = run.summary(&scenario, 3, 0.5, "cargo xtask scenario reports_small.toml --seed 3".into());
    sim::artefacts::write_run(dir, &scenario, &summary, &run, true).expect("artefacts written");
    summary
}

/// Every report file's bytes, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    FILES.iter().map(|name| (name.to_string(), std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")))).collect()
}

/// The last percentile line of an `.hgrm` (percentile 1): (value in ms, total count).
fn last_percentile_line(hgrm: &str) -> (f64, u64) {
    let line = hgrm.lines().rfind(|l| !l.starts_with('#') && !l.trim().is_empty()).expect("a percentile line");
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells.len(), 3, "the 100% line has no 1/(1-Percentile) column: {line:?}");
    assert_eq!(cells[1], "1.000000000000", "{line:?}");
    (cells[0].parse().expect("a value"), cells[2].parse().expect("a count"))
}

/// Within what a 3-significant-digit histogram keeps (0.1 %), plus the printed rounding.
fn within_precision(histogram_ms: f64, exact_ms: f64) -> bool {
    (histogram_ms - exact_ms).abs() <= exact_ms * 0.001 + 0.001
}

#[test]
fn render_run_writes_every_file_and_the_hgrm_max_is_the_summary_max() {
    // Goal: a run folder gets every report file, and latency.hgrm /
    // staleness.hgrm end on the maxima summary.json reports. Method: simulate,
    // write the artefacts, render, read the last percentile line of each .hgrm
    // and compare value and count with the summary.
    let dir = temp_dir("files");
    let summary = write_artefacts(&dir);
    reports::render_run(&dir).expect("rendered");
    for (name, bytes) in files(&dir) {
        assert!(!bytes.is_empty(), "{name} is empty");
    }
    let m = &summary.metrics;
    assert!(m.propagation.count > 100 && m.fresh_read_staleness.count > 100, "the run has figures to check");
    for (file, figures) in [("latency.hgrm", &m.propagation), ("staleness.hgrm", &m.fresh_read_staleness)] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)\n\n"), "{file}: Java's header");
        let (max_ms, count) = last_percentile_line(&text);
        assert_eq!(count, figures.count, "{file}: total count");
        assert!(within_precision(max_ms, figures.max_ms), "{file}: max {max_ms} ms, summary {} ms", figures.max_ms);
        assert!(text.contains(&format!("#[Max     = {max_ms:12.3}, Total count    = {count:12}]")), "{file}: footer");
    }
}

#[test]
fn rendering_again_gives_byte_identical_files_wherever_the_folder_is() {
    // Goal: reports are a function of the artefacts alone. Method: render,
    // keep the bytes, render again in place, then copy the artefacts to a
    // second folder and render there; every file must be identical.
    let dir = temp_dir("twice");
    write_artefacts(&dir);
    reports::render_run(&dir).expect("rendered");
    let first = files(&dir);
    reports::render_run(&dir).expect("rendered again");
    assert_eq!(files(&dir), first);
    let copy = temp_dir("twice-copy");
    for name in ["scenario.toml", "summary.json", "events.csv", "timeseries.csv"] {
        std::fs::copy(dir.join(name), copy.join(name)).expect("copied");
    }
    reports::render_run(&copy).expect("rendered in the copy");
    assert_eq!(files(&copy), first);
}

#[test]
fn a_report_from_the_run_in_memory_has_the_bytes_of_one_from_its_folder() {
    // Goal: `cargo xtask scenario` renders from the run in memory (and so
    // can skip events.csv with --no-events) without changing a byte. Method:
    // one run written with events.csv and rendered from its folder, the same
    // run written without it and rendered from memory; every file compared.
    // Rendering the second folder from disk is a message naming --no-events.
    let scenario = small();
    let run = sim::simulate(&scenario, 3);
    let summary = run.summary(&scenario, 3, 0.5, "cargo xtask scenario reports_small.toml --seed 3".into());
    let (from_disk, from_memory) = (temp_dir("from-disk"), temp_dir("from-memory"));
    sim::artefacts::write_run(&from_disk, &scenario, &summary, &run, true).expect("artefacts written");
    reports::render_run(&from_disk).expect("rendered from the folder");
    sim::artefacts::write_run(&from_memory, &scenario, &summary, &run, false).expect("artefacts written");
    let artefacts = reports::artefacts::RunArtefacts::of_run(&scenario, summary, run).expect("artefacts in memory");
    reports::render::render(&from_memory, &artefacts).expect("rendered from memory");
    assert!(!from_memory.join("events.csv").exists());
    assert_eq!(files(&from_memory), files(&from_disk));
    let error = reports::render_run(&from_memory).expect_err("no events.csv");
    assert!(error.contains("events.csv") && error.contains("--no-events"), "{error}");
}

#[test]
fn hlog_holds_the_same_histogram_losslessly() {
    // Goal: the .hlog is a lossless record to merge runs with. Method: read
    // latency.hlog back with the interval log reader and the V2 deserializer,
    // and compare every count with a histogram built from the summary's source
    // (the propagation latencies recomputed from events.csv).
    let dir = temp_dir("hlog");
    write_artefacts(&dir);
    reports::render_run(&dir).expect("rendered");
    let log = std::fs::read(dir.join("latency.hlog")).unwrap();
    let intervals: Vec<_> = IntervalLogIterator::new(&log)
        .filter_map(|entry| match entry.expect("a well-formed log") {
            LogEntry::Interval(interval) => Some(interval.encoded_histogram().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(intervals.len(), 1, "one interval: the whole run");
    let bytes = decode_base64(&intervals[0]);
    let decoded: Histogram<u64> = Deserializer::new().deserialize(&mut bytes.as_slice()).expect("V2 deflate");
    let layout = sim::history::layout(&small());
    let records = sim::history::from_csv(&std::fs::read(dir.join("events.csv")).unwrap(), &layout).unwrap();
    let history = sim::recorded::History::of(&layout, records);
    let expected = reports::hgrm::histogram(&reports::figures::of(&history).propagation_us).unwrap();
    assert_eq!(decoded.len(), expected.len());
    assert!(decoded.iter_recorded().zip(expected.iter_recorded()).all(|(a, b)| a == b), "same counts at the same values");
}

/// Standard base64 (with padding) to bytes.
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    digits
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk.iter().fold(0u32, |n, &d| (n << 6) | u32::from(d)) << (6 * (4 - chunk.len()));
            n.to_be_bytes()[1..chunk.len()].to_vec()
        })
        .collect()
}

#[test]
fn report_html_is_self_contained_with_a_true_verdict_and_charts_that_draw() {
    // Goal: one file a stakeholder can open anywhere, that says the right
    // thing. Method: render; the page has no script and no reference to
    // another file or host; its lead says every invariant held exactly when
    // the summary does; each of its four charts draws a data line.
    let dir = temp_dir("html");
    let summary = write_artefacts(&dir);
    reports::render_run(&dir).expect("rendered");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href=") && !html.contains("url("));
    let held = summary.invariants.values().all(|v| v.held);
    assert_eq!(html.contains("Every invariant held (8 checked)"), held);
    let charts: Vec<&str> = html.split("<svg").skip(1).collect();
    assert_eq!(charts.len(), 4, "percentiles, staleness, backlog, availability");
    for chart in charts {
        let chart = &chart[..chart.find("</svg>").expect("closed")];
        assert!(chart.contains("<polyline points=\"") && chart.contains("<title>"), "a titled chart with a line");
    }
    assert!(html.contains(&summary.replay), "the replay command");
    assert!(html.contains("crash consumer-0"), "the fault table");
}

#[test]
fn the_verdict_names_a_broken_invariant_with_its_count() {
    // Goal: the plain-words verdict is built from the summary, not fixed text.
    // Method: take a real run's summary, mark idempotence broken 12 times,
    // and check the lead and the HTML page say so (and no longer say all held).
    let dir = temp_dir("verdict");
    let mut summary = write_artefacts(&dir);
    let verdict = summary.invariants.get_mut("idempotence").expect("checked");
    verdict.held = false;
    verdict.violations = 12;
    summary.exit_code = sim::summary::exit::SAFETY_VIOLATED;
    std::fs::write(dir.join("summary.json"), serde_json::to_vec_pretty(&summary).unwrap()).unwrap();
    reports::render_run(&dir).expect("rendered");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("This design broke idempotence: central applied 12 changes (store, sku, version) more than once"), "{md}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("class=\"verdict broken\"") && !html.contains("Every invariant held"));
}

#[test]
fn a_folder_without_artefacts_is_an_error_naming_the_file() {
    // Goal: a wrong folder is a message, not a panic or empty reports.
    // Method: render an empty folder.
    let dir = temp_dir("empty");
    let error = reports::render_run(&dir).expect_err("nothing to render");
    assert!(error.contains("summary.json"), "{error}");
    assert!(!dir.join("report.html").exists());
}
