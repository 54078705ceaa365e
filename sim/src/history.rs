//! The history export: `events.csv`, schema v1 (see `docs/history.md`), and
//! its digest, the SHA-256 of the file's bytes (so `sha256sum events.csv`
//! checks it).

use sha2::{Digest, Sha256};
use system::history::Record;
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
