//! Tests of the `cargo xtask` command line as a user runs it: exit codes,
//! error messages, artefacts and determinism across processes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).output().expect("the xtask binary runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shelfcheck-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

const SHORT: [&str; 4] = ["--set", "run.duration_s=600", "--set", "chain.stores=4"];

#[test]
fn same_seed_gives_the_same_digest_in_two_processes() {
    // Goal: determinism across processes. Method: run the binary twice into two folders.
    let (a, b) = (temp_dir("digest-a"), temp_dir("digest-b"));
    for dir in [&a, &b] {
        let out = xtask(&[&["scenario", "baseline", "--seed", "9", "--out", dir.to_str().unwrap()], &SHORT[..]].concat());
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let run = |root: &Path| root.join("baseline/recommended/seed-9");
    assert_eq!(summary(&run(&a))["digest"], summary(&run(&b))["digest"]);
    assert_eq!(std::fs::read(run(&a).join("events.csv")).unwrap(), std::fs::read(run(&b).join("events.csv")).unwrap());
}

#[test]
fn a_run_prints_the_table_and_replay_line_and_writes_its_folder() {
    // Goal: the newcomer's view. Method: run with --set and check stdout and the files.
    let root = temp_dir("folder");
    let out = xtask(&[&["scenario", "--seed", "7", "--out", root.to_str().unwrap()], &SHORT[..]].concat());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("propagation p99"), "{stdout}");
    assert!(stdout.contains("invariant convergence"), "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert_eq!(last, "replay: cargo xtask scenario baseline --seed 7 --set run.duration_s=600 --set chain.stores=4");
    let dir = root.join("baseline/recommended/seed-7");
    let s = summary(&dir);
    for key in ["scenario", "design", "seed", "engine", "digest", "sim_duration_s", "wall_s", "events", "invariants", "metrics"] {
        assert!(s.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(s["invariants"]["convergence"]["held"], true);
    // The resolved scenario reloads to the run's settings.
    let resolved = scenarios::load(&dir.join("scenario.toml"), &[]).unwrap();
    assert_eq!(resolved.chain.stores, 4);
    assert_eq!(resolved.run.duration_s, 600);
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".partial")));
}

#[test]
fn a_misspelt_key_exits_2_naming_file_line_column_and_key() {
    // Goal: bad input gets a clear error. Method: a file with `storez`.
    let dir = temp_dir("typo");
    let file = dir.join("typo.toml");
    std::fs::write(&file, "name = \"typo\"\n\n[chain]\nstorez = 3\n").unwrap();
    let out = xtask(&["scenario", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("typo.toml:4:1"), "{stderr}");
    assert!(stderr.contains("chain.storez") && stderr.contains("expected one of `stores`"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn impossible_values_and_bad_overrides_exit_2() {
    // Goal: every kind of bad input is exit 2 with the key and what is allowed.
    let dir = temp_dir("bad");
    let file = dir.join("zero.toml");
    std::fs::write(&file, "name = \"zero\"\n[design]\npartitions = 0\n").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["scenario", file.to_str().unwrap()], "zero.toml:3:1: key `design.partitions`: 0 is out of range: allowed is 1 to 10000"),
        (vec!["scenario", "--set", "chain.stores=-1"], "--set chain.stores=-1"),
        (vec!["scenario", "--set", "chain.nope=1"], "unknown field `nope`"),
        (vec!["scenario", "--set", "design.idempotency=version", "--set", "design.event_semantics=delta"], "needs design.event_semantics"),
        (vec!["scenario", "online_rush", "--design", "sync_multimaster"], "orders are not modelled with design.pipeline = \"sync_multimaster\""),
        (vec!["scenario", "online_rush", "--set", "run.drain_bound_s=60"], "allowed is 900 or more"),
        (vec!["scenario", "online_rush", "--set", "design.hold=firm"], "unknown variant `firm`"),
        (vec!["scenario", "no_such_scenario"], "allowed is a path to a .toml file or one of: baseline"),
        (vec!["scenario", "--seed", "x"], "invalid value"),
    ];
    for (args, expected) in cases {
        let out = xtask(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn list_names_each_scenario_with_its_question() {
    // Goal: `cargo xtask list` shows the catalogue.
    let out = xtask(&["list"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("baseline") && l.contains('?')), "{stdout}");
}

#[test]
fn a_fault_naming_a_store_that_does_not_exist_exits_2_with_its_line() {
    // Goal: cross-references are checked. Method: store-25 in a 20-store chain; then a missing field.
    let dir = temp_dir("fault-ref");
    let file = dir.join("ghost.toml");
    std::fs::write(
        &file,
        "name = \"ghost\"\n\n[[fault]]\nat = \"1m\"\nkind = \"partition\"\nbetween = [\"store-25\", \"central-side\"]\nfor = \"10s\"\n",
    )
    .unwrap();
    let out = xtask(&["scenario", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("ghost.toml:6:1: key `fault[0].between`: \"store-25\" does not exist: the chain has stores 0 to 19"), "{stderr}");
    std::fs::write(&file, "name = \"ghost\"\n[[fault]]\nat = \"1m\"\nkind = \"pause\"\nnode = \"relay-1\"\n").unwrap();
    let out = xtask(&["scenario", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("kind \"pause\" needs `for`"), "{stderr}");
    std::fs::write(&file, "name = \"ghost\"\n[[fault]]\nat = \"1x\"\nkind = \"pause\"\nnode = \"relay-1\"\nfor = \"1s\"\n").unwrap();
    let out = xtask(&["scenario", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code() == Some(2) && stderr.contains("ghost.toml:3:") && stderr.contains("allowed is a number with a unit"), "{stderr}");
}

#[test]
fn a_sweep_reports_failing_seeds_with_replay_lines_and_exits_1() {
    // Goal: a sweep over a design that breaks (no idempotency with deltas under
    // duplication) exits 1, lists each failing seed's replay command, and
    // writes one row per seed.
    let root = temp_dir("sweep");
    let file = root.join("dup.toml");
    std::fs::write(
        &file,
        "name = \"dup\"\n[chain]\nstores = 3\n[run]\nduration_s = 600\n[design]\nname = \"naive\"\nevent_semantics = \"delta\"\nidempotency = \"none\"\n[[fault]]\nat = \"0s\"\nkind = \"duplicate\"\nbetween = [\"consumers\", \"central\"]\nprobability = 0.3\nfor = \"9m\"\n",
    )
    .unwrap();
    let out = xtask(&["sweep", file.to_str().unwrap(), "--seeds", "1..4", "--jobs", "2", "--out", root.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("idempotence violated on 4 seeds"), "{stdout}");
    assert!(stdout.contains(&format!("replay: cargo xtask scenario {} --seed 3", file.display())), "{stdout}");
    let sweep = root.join("dup/naive/sweep");
    let rows = std::fs::read_to_string(sweep.join("seeds.csv")).unwrap();
    assert_eq!(rows.lines().count(), 5, "a header and one row per seed");
    assert!(root.join("dup/naive/seed-2/events.csv").is_file(), "a failing seed keeps its run folder");
}

#[test]
fn a_shard_takes_its_share_of_the_seeds() {
    // Goal: `--shard i/n` runs the seeds with seed % n == i - 1.
    let root = temp_dir("shard");
    let out = xtask(&[
        "sweep",
        "--seeds",
        "1..6",
        "--shard",
        "2/3",
        "--out",
        root.to_str().unwrap(),
        "--set",
        "run.duration_s=60",
        "--set",
        "chain.stores=2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = std::fs::read_to_string(root.join("baseline/recommended/sweep/seeds.csv")).unwrap();
    let seeds: Vec<&str> = rows.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(seeds, ["1", "4"]);
}

#[test]
fn report_renders_a_runs_reports_again_byte_for_byte() {
    // Goal: `scenario` writes the reports beside the artefacts, and `report
    // DIR` renders the same bytes from the folder alone. Method: run a short
    // scenario, keep the report files, delete them, run `report DIR`, compare;
    // then point `report` at a folder that holds no run (exit 2).
    let root = temp_dir("report");
    let out = xtask(&[&["scenario", "baseline", "--seed", "2", "--out", root.to_str().unwrap()], &SHORT[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = root.join("baseline").join("recommended").join("seed-2");
    let names = ["report.html", "summary.md", "latency.hgrm", "latency.hlog", "staleness.hgrm", "staleness.hlog"];
    let before: Vec<Vec<u8>> = names.iter().map(|n| std::fs::read(dir.join(n)).unwrap_or_else(|e| panic!("{n}: {e}"))).collect();
    for name in names {
        std::fs::remove_file(dir.join(name)).unwrap();
    }
    let out = xtask(&["report", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let after: Vec<Vec<u8>> = names.iter().map(|n| std::fs::read(dir.join(n)).unwrap()).collect();
    assert!(before == after, "regenerated reports differ");
    let out = xtask(&["report", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("summary.json"));
}

#[test]
fn compare_writes_a_page_and_tables_for_every_design() {
    // Goal: `compare` runs each design on the same seeds and writes summary.md
    // and a self-contained report.html with one line per design. Method: two
    // designs, two seeds, a short run.
    let root = temp_dir("compare");
    let out = xtask(&[
        "compare",
        "baseline",
        "--designs",
        "recommended,naive_delta",
        "--seeds",
        "1..2",
        "--set",
        "run.duration_s=600",
        "--set",
        "chain.stores=3",
        "--out",
        root.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let md = std::fs::read_to_string(root.join("baseline/compare/summary.md")).unwrap();
    assert!(md.contains("| recommended | 2 |") && md.contains("| naive_delta | 2 |"), "{md}");
    assert!(md.contains("mean ± 95% interval") && md.contains("$/month"), "{md}");
    let html = std::fs::read_to_string(root.join("baseline/compare/report.html")).unwrap();
    // Self-contained: nothing fetched (the SVG namespace is a name, not a fetch).
    let fetched = html.replace("http://www.w3.org/2000/svg", "");
    assert!(html.matches("<svg").count() >= 2 && !fetched.contains("http://") && !fetched.contains("https://"));
}

#[test]
fn a_comparison_is_rendered_again_byte_for_byte_from_its_artefact() {
    // Goal: `report DIR` regenerates a comparison from `compare.json` alone.
    // Method: compare two designs on one seed, delete the pages, render again, compare bytes.
    let root = temp_dir("compare-again");
    let out = xtask(&[
        "compare",
        "baseline",
        "--designs",
        "recommended,dual_write",
        "--seeds",
        "1",
        "--set",
        "run.duration_s=300",
        "--set",
        "chain.stores=2",
        "--out",
        root.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = root.join("baseline/compare");
    let (md, html) = (std::fs::read(dir.join("summary.md")).unwrap(), std::fs::read(dir.join("report.html")).unwrap());
    std::fs::remove_file(dir.join("summary.md")).unwrap();
    std::fs::remove_file(dir.join("report.html")).unwrap();
    let out = xtask(&["report", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(dir.join("summary.md")).unwrap(), md);
    assert_eq!(std::fs::read(dir.join("report.html")).unwrap(), html);
}
