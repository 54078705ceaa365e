//! The history export: `events.csv`, schema v1 (see `docs/history.md`), its
//! reader (so reports recompute figures from the file alone), and its digest,
//! the SHA-256 of the file's bytes (so `sha256sum events.csv` checks it).

use scenarios::{Scenario, Topology};
use sha2::{Digest, Sha256};
use std::borrow::{Borrow, Cow};
use std::collections::BTreeMap;
use std::io::Write;
use std::str::FromStr;
use system::history::{Kind, Record};
use system::layout::Layout;

/// The header of schema v1, exactly.
pub const HEADER: [&str; 10] = ["t_us", "node", "kind", "store", "sku", "qty", "on_hand", "version", "order", "detail"];

/// The history as `events.csv` bytes.
pub fn to_csv(history: &[Record], layout: &Layout) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(history.len() * 48);
    write_csv(history, layout, &mut bytes).expect("writing into memory cannot fail");
    bytes
}

/// Streams records as `events.csv` into `out`, a line at a time (a large
/// run's file is never whole in memory).
pub fn write_csv<R: Borrow<Record>>(records: impl IntoIterator<Item = R>, layout: &Layout, out: &mut impl Write) -> std::io::Result<()> {
    let mut lines = CsvLines::new(layout);
    out.write_all(&lines.header)?;
    for r in records {
        out.write_all(lines.line(r.borrow()))?;
    }
    Ok(())
}

/// Formats `events.csv` lines. Fields are quoted as the `csv` crate quotes
/// them: only a detail holding a comma, a quote or a line break.
#[derive(Clone)]
pub(crate) struct CsvLines {
    header: Vec<u8>,
    names: Vec<String>,
    engine: String,
    digits: itoa::Buffer,
    line: Vec<u8>,
}

impl CsvLines {
    pub(crate) fn new(layout: &Layout) -> Self {
        let names = (0..layout.count()).map(|id| layout.name(id)).collect();
        CsvLines {
            header: format!("{}\n", HEADER.join(",")).into_bytes(),
            names,
            engine: layout.name(system::history::ENGINE),
            digits: itoa::Buffer::new(),
            line: Vec::with_capacity(128),
        }
    }

    /// The header line.
    pub(crate) fn header(&self) -> &[u8] {
        &self.header
    }

    /// `r`'s line, with its line break.
    pub(crate) fn line(&mut self, r: &Record) -> &[u8] {
        let CsvLines { names, engine, digits, line, .. } = self;
        format_line(line, digits, names.get(r.node as usize).unwrap_or(engine), r);
        line
    }
}

/// Writes `r`'s line, with its line break, into `line` (emptied first).
fn format_line(line: &mut Vec<u8>, digits: &mut itoa::Buffer, node_name: &str, r: &Record) {
    line.clear();
    line.extend_from_slice(digits.format(r.t_us).as_bytes());
    line.push(b',');
    line.extend_from_slice(node_name.as_bytes());
    line.push(b',');
    line.extend_from_slice(r.kind.as_str().as_bytes());
    line.push(b',');
    cell(line, digits, r.store);
    cell(line, digits, r.sku);
    cell(line, digits, r.qty);
    cell(line, digits, r.on_hand);
    cell(line, digits, r.version);
    cell(line, digits, r.order);
    if r.detail.contains([',', '"', '\n', '\r']) {
        line.push(b'"');
        line.extend_from_slice(r.detail.replace('"', "\"\"").as_bytes());
        line.push(b'"');
    } else {
        line.extend_from_slice(r.detail.as_bytes());
    }
    line.push(b'\n');
}

/// An optional integer cell and its comma.
fn cell(line: &mut Vec<u8>, digits: &mut itoa::Buffer, value: Option<impl itoa::Integer>) {
    if let Some(value) = value {
        line.extend_from_slice(digits.format(value).as_bytes());
    }
    line.push(b',');
}

/// The digest of the history's `events.csv`, computed as it streams (the file
/// is not kept; a run's [`crate::recorded::History`] digests itself as it grows).
pub fn digest_of(history: &[Record], layout: &Layout) -> String {
    let mut hasher = HashWriter::default();
    write_csv(history, layout, &mut hasher).expect("hashing cannot fail");
    hex(&hasher.0.finalize())
}

/// A writer that only hashes.
#[derive(Default)]
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
    let mut records = Vec::new();
    read_csv(bytes, layout, |record| records.push(record))?;
    Ok(records)
}

/// Streams `events.csv` (schema v1) from `input`, handing each record to
/// `each` in file order (a large file is never whole in memory); errors as
/// [`from_csv`]'s.
pub fn read_csv(input: impl std::io::Read, layout: &Layout, mut each: impl FnMut(Record)) -> Result<(), String> {
    let mut nodes: BTreeMap<String, u32> = (0..layout.count()).map(|id| (layout.name(id), id)).collect();
    nodes.insert(layout.name(system::history::ENGINE), system::history::ENGINE);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
    let header = reader.headers().map_err(|e| format!("events.csv: {e}"))?;
    if header.iter().ne(HEADER) {
        return Err(format!("events.csv: header is {:?}, schema v1 has {:?}", header.iter().collect::<Vec<_>>(), HEADER));
    }
    let mut row = csv::StringRecord::new();
    for line in 2.. {
        match reader.read_record(&mut row) {
            Ok(false) => return Ok(()),
            Ok(true) => each(record(&row, &nodes, layout.stores).map_err(|message| format!("events.csv line {line}: {message}"))?),
            Err(e) => return Err(format!("events.csv line {line}: {e}")),
        }
    }
    unreachable!("the lines run out before the integers do")
}

/// One data row of `events.csv` as a record.
fn record(row: &csv::StringRecord, nodes: &BTreeMap<String, u32>, stores: u32) -> Result<Record, String> {
    let cell = |column: usize| row.get(column).unwrap_or_default();
    let node = cell(1);
    let kind = cell(2);
    Ok(Record {
        t_us: number(cell(0), "t_us")?.ok_or("column t_us is empty")?,
        node: *nodes.get(node).ok_or_else(|| format!("column node: {node:?} is no node of this chain"))?,
        kind: Kind::parse(kind).ok_or_else(|| format!("column kind: {kind:?} is no kind of schema v1"))?,
        store: below(number(cell(3), "store")?, stores, "store", "a store of this chain")?,
        sku: below(number(cell(4), "sku")?, SKUS_MAX, "sku", "a SKU number a chain can have")?,
        qty: number(cell(5), "qty")?,
        on_hand: number(cell(6), "on_hand")?,
        version: number(cell(7), "version")?,
        order: number(cell(8), "order")?,
        detail: Cow::Owned(cell(9).to_string()),
    })
}

/// The most SKUs a store can have (the scenario loader's bound on `chain.skus_per_store`).
const SKUS_MAX: u32 = 1_000_000;

/// `value`, unless it is `limit` or above.
fn below(value: Option<u32>, limit: u32, column: &str, what: &str) -> Result<Option<u32>, String> {
    match value {
        Some(v) if v >= limit => Err(format!("column {column}: {v} is not {what} (allowed: 0 to {})", limit.saturating_sub(1))),
        _ => Ok(value),
    }
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
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One history line as `events.csv` writes it (for evidence in violations).
pub fn line(record: &Record, layout: &Layout) -> String {
    let node = if record.node < layout.count() { record.node } else { system::history::ENGINE };
    let mut line = Vec::with_capacity(128);
    format_line(&mut line, &mut itoa::Buffer::new(), &layout.name(node), record);
    line.pop();
    String::from_utf8_lossy(&line).into_owned()
}
