//! Finds where a dotted key sits in a TOML text, and which key sits at an offset.
//!
//! Serde reports a semantic problem by its path (`chain.stores`); people need
//! the line and column. This reads the text line by line, tracking the current
//! `[table]` header, which is all the scenario format uses (plus inline tables).

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The position of a byte offset.
pub fn position_of(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    Position { line, column }
}

/// Each `key = value` line as (dotted path, byte offset of the key).
fn keyed_lines(text: &str) -> impl Iterator<Item = (String, usize)> + '_ {
    let mut header = String::new();
    let mut offset = 0;
    let mut arrays: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    text.split_inclusive('\n').filter_map(move |raw| {
        let start = offset;
        offset += raw.len();
        let indent = raw.len() - raw.trim_start().len();
        let line = raw.trim();
        if line.starts_with('[') {
            let name = line.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            header = if line.starts_with("[[") {
                // An array of tables: `[[fault]]` headers are numbered fault[0], fault[1]...
                let index = arrays.entry(name.clone()).and_modify(|i| *i += 1).or_insert(0);
                format!("{name}[{index}]")
            } else {
                name
            };
            return None;
        }
        let (key, _) = line.split_once('=')?;
        if line.starts_with('#') {
            return None;
        }
        let key: String = key.split('.').map(|part| part.trim().trim_matches('"')).collect::<Vec<_>>().join(".");
        let path = if header.is_empty() { key } else { format!("{header}.{key}") };
        Some((path, start + indent))
    })
}

/// Where `path` (or, failing that, its longest written prefix) is set in `text`.
pub fn locate(text: &str, path: &str) -> Option<Position> {
    let mut best: Option<(usize, usize)> = None;
    for (written, offset) in keyed_lines(text) {
        if path == written || path.starts_with(&format!("{written}.")) {
            let len = written.len();
            if best.is_none_or(|(best_len, _)| len > best_len) {
                best = Some((len, offset));
            }
        }
    }
    best.map(|(_, offset)| position_of(text, offset))
}

/// The dotted key written on the line that holds `offset`, if any.
pub fn key_at(text: &str, offset: usize) -> Option<String> {
    let line_start = text[..offset.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    keyed_lines(text).find(|(_, key_offset)| *key_offset >= line_start && *key_offset <= offset.max(line_start)).map(|(path, _)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_under_headers_and_dotted() {
        // Goal: both `[chain]\nstores` and `chain.stores` forms are found at the key.
        let text = "name = \"x\"\n[chain]\n  stores = 3\n[network]\nwan = { kind = \"constant\", ms = 1 }\n";
        assert_eq!(locate(text, "chain.stores"), Some(Position { line: 3, column: 3 }));
        assert_eq!(locate(text, "network.wan.ms"), Some(Position { line: 5, column: 1 }));
        assert_eq!(locate(text, "chain.skus_per_store"), None);
        assert_eq!(key_at(text, text.find("3").unwrap()).as_deref(), Some("chain.stores"));
        let faults = "[[fault]]\nkind = \"crash\"\n[[fault]]\nkind = \"pause\"\nnode = \"x\"\n";
        assert_eq!(locate(faults, "fault[1].node"), Some(Position { line: 5, column: 1 }));
    }
}
