//! `events.csv` read back: the reader is the exact inverse of the writer, and
//! a malformed file is refused with its line.

use scenarios::Scenario;
use sim::history::{from_csv, layout};
use sim::simulate;
use system::history::{Kind, Record};

/// A small, quick chain: 3 stores x 30 SKUs for 10 simulated minutes, with a
/// consumer crash so that engine and node rows appear too.
fn small() -> Scenario {
    let text = r#"
        name = "history_roundtrip"
        question = "Does events.csv read back into the same records?"
        [chain]
        stores = 3
        skus_per_store = 30
        delivery_first_at_s = 300
        [run]
        duration_s = 600
        [[fault]]
        at = "2m"
        kind = "crash"
        node = "consumer-0"
        restart_after = "30s"
    "#;
    scenarios::load_text("small.toml", text, &[]).expect("a valid scenario")
}

#[test]
fn events_csv_reads_back_into_the_records_it_was_written_from() {
    // Goal: reports can recompute every figure from events.csv alone. Method:
    // simulate, write the history as CSV, read it back with the run's layout,
    // and compare record by record (node ids, kinds, empty columns, details).
    let scenario = small();
    let run = simulate(&scenario, 4);
    assert_eq!(layout(&scenario), run.outcome.world.layout);
    let records = from_csv(&run.events_csv(), &layout(&scenario)).expect("the file the run wrote");
    assert!(records.iter().any(|r| r.node == system::history::ENGINE), "the crash writes engine rows");
    assert_eq!(records, run.outcome.history.to_vec());
}

#[test]
fn events_csv_quotes_its_cells_as_the_csv_crate_does() {
    // Goal: the hand-written, streaming writer keeps the bytes (and so the
    // digests) a general CSV writer gives. Method: details that need quoting
    // (comma, quote, line break) and ones that do not, every optional column
    // empty and full, written both ways and compared byte for byte.
    let scenario = small();
    let layout = layout(&scenario);
    let mut records = Vec::new();
    for detail in ["", "plain", "a,b", "say \"hi\"", "two\nlines", "cr\rhere", "partition central|store-2 (one way)"] {
        records.push(Record { node: system::history::ENGINE, ..Record::event(Kind::FaultStart, detail.to_string()) });
        let mut full = Record::stock(Kind::Sale, 2, 29);
        full = Record {
            t_us: 123_456_789,
            node: 1,
            qty: Some(-3),
            on_hand: Some(-1),
            version: Some(u64::MAX),
            order: Some(7),
            detail: detail.to_string().into(),
            ..full
        };
        records.push(full);
    }
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    writer.write_record(sim::history::HEADER).unwrap();
    let text = |v: Option<String>| v.unwrap_or_default();
    for r in &records {
        writer
            .write_record([
                r.t_us.to_string(),
                layout.name(r.node),
                r.kind.as_str().to_string(),
                text(r.store.map(|v| v.to_string())),
                text(r.sku.map(|v| v.to_string())),
                text(r.qty.map(|v| v.to_string())),
                text(r.on_hand.map(|v| v.to_string())),
                text(r.version.map(|v| v.to_string())),
                text(r.order.map(|v| v.to_string())),
                r.detail.to_string(),
            ])
            .unwrap();
    }
    let expected = writer.into_inner().unwrap();
    assert_eq!(String::from_utf8(sim::history::to_csv(&records, &layout)).unwrap(), String::from_utf8(expected).unwrap());
    assert_eq!(from_csv(&sim::history::to_csv(&records, &layout), &layout).unwrap(), records);
}

#[test]
fn a_malformed_events_csv_is_refused_with_its_line() {
    // Goal: a broken file is an error naming the line, never a panic or a
    // silent default. Method: an unknown node, an unknown kind, a bad integer,
    // a store the chain does not have, a SKU beyond any chain, and a foreign header.
    let layout = layout(&small());
    let header = "t_us,node,kind,store,sku,qty,on_hand,version,order,detail\n";
    let cases = [
        ("5,store-9,sale,9,1,-1,3,1,,\n", "line 2: column node"),
        ("5,store-0,sold,0,1,-1,3,1,,\n", "line 2: column kind"),
        ("5,store-0,sale,0,1,-1,3,x,,\n", "line 2: column version"),
        ("5,central,read,7,1,,3,1,,fresh\n", "line 2: column store: 7 is not a store of this chain (allowed: 0 to 2)"),
        ("5,store-0,sale,0,4000000000,-1,3,1,,\n", "line 2: column sku: 4000000000 is not a SKU number"),
    ];
    for (row, expected) in cases {
        let error = from_csv(format!("{header}{row}").as_bytes(), &layout).expect_err(row);
        assert!(error.contains(expected), "{error}");
    }
    assert!(from_csv(b"time,node\n", &layout).expect_err("foreign header").contains("header"));
}
