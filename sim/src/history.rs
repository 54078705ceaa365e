//! The history export: `events.csv`, schema v1 (see `docs/history.md`), its
//! reader (so reports recompute figures from the file alone), and its digest,
//! the SHA-256 of the file's bytes (so `sha256sum events.csv` checks it).

use scenarios::{Scenario, Topology};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::str::FromStr;
use system::history::{Kind, Record};
use system::layout::Layout;

/// The header of schema v1, exactly.
pub const HEADER: [&str; 10] = ["t_us", "node", "kind", "store", "sku", "qty", "on_hand", "version", "order", "detail"];

/// The history as `events.csv` bytes.
pub fn to_csv(history: &[Record], layout: &Layout) -> Vec<u8> {
    let names: Vec<String> = (0..layout.count()).map(|id| layout.name(id)).collect();
    let engine = layout.name(system::history::ENGINE);
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::with_capacity(history.len() * 48));
    let cell = |value: Option<String>| value.unwrap_or_default();
    let result: Result<(), csv::Error> = (|| {
        writer.write_record(HEADER)?;
        for r in history {
            writer.write_record([
                r.t_us.to_string(),
                names.get(r.node as usize).unwrap_or(&engine).clone(),
                r.kind.as_str().to_string(),
                cell(r.store.map(|v| v.to_string())),
                cell(r.sku.map(|v| v.to_string())),
                cell(r.qty.map(|v| v.to_string())),
                cell(r.on_hand.map(|v| v.to_string())),
                cell(r.version.map(|v| v.to_string())),
                cell(r.order.map(|v| v.to_string())),
                r.detail.to_string(),
            ])?;
        }
        Ok(())
    })();
    result.expect("writing CSV into memory cannot fail");
    writer.into_inner().expect("flushing CSV into memory cannot fail")
}

/// The node ids of the chain `scenario` builds (as `system::world::World::new` lays them out).
pub fn layout(scenario: &Scenario) -> Layout {
    Layout {
        stores: scenario.chain.stores,
        consumers: scenario.design.consumers,
        mirrors: scenario.design.topology == Topology::PerStoreBrokerMirror,
    }
}

/// Reads `events.csv` bytes (schema v1) back into records: the inverse of
/// [`to_csv`]. Node names are resolved through `layout`, the chain of the run
/// that wrote the file (see [`layout`]). An error names the line and column.
pub fn from_csv(bytes: &[u8], layout: &Layout) -> Result<Vec<Record>, String> {
    let mut nodes: BTreeMap<String, u32> = (0..layout.count()).map(|id| (layout.name(id), id)).collect();
    nodes.insert(layout.name(system::history::ENGINE), system::history::ENGINE);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header = reader.headers().map_err(|e| format!("events.csv: {e}"))?;
    if header.iter().ne(HEADER) {
        return Err(format!("events.csv: header is {:?}, schema v1 has {:?}", header.iter().collect::<Vec<_>>(), HEADER));
    }
    let mut records = Vec::new();
    for (index, row) in reader.records().enumerate() {
        let line = index + 2;
        let row = row.map_err(|e| format!("events.csv line {line}: {e}"))?;
        records.push(record(&row, &nodes).map_err(|message| format!("events.csv line {line}: {message}"))?);
    }
    Ok(records)
}

/// One data row of `events.csv` as a record.
fn record(row: &csv::StringRecord, nodes: &BTreeMap<String, u32>) -> Result<Record, String> {
    let cell = |column: usize| row.get(column).unwrap_or_default();
    let node = cell(1);
    let kind = cell(2);
    Ok(Record {
        t_us: number(cell(0), "t_us")?.ok_or("column t_us is empty")?,
        node: *nodes.get(node).ok_or_else(|| format!("column node: {node:?} is no node of this chain"))?,
        kind: Kind::parse(kind).ok_or_else(|| format!("column kind: {kind:?} is no kind of schema v1"))?,
        store: number(cell(3), "store")?,
        sku: number(cell(4), "sku")?,
        qty: number(cell(5), "qty")?,
        on_hand: number(cell(6), "on_hand")?,
        version: number(cell(7), "version")?,
        order: number(cell(8), "order")?,
        detail: Cow::Owned(cell(9).to_string()),
    })
}

/// An optional integer cell: empty is `None`.
fn number<T: FromStr>(text: &str, column: &str) -> Result<Option<T>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| format!("column {column}: {text:?} is not an integer of its type"))
}

/// Hex SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// One history line as `events.csv` writes it (for evidence in violations).
pub fn line(record: &Record, layout: &Layout) -> String {
    let bytes = to_csv(std::slice::from_ref(record), layout);
    let text = String::from_utf8_lossy(&bytes);
    text.lines().nth(1).unwrap_or_default().to_string()
}
