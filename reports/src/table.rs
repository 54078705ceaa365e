//! Rows as a plain terminal table and as a Markdown table.

/// A two-column table with aligned labels, for the terminal.
pub fn terminal(rows: &[(String, String)]) -> String {
    let width = rows.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(0);
    rows.iter().map(|(label, value)| format!("  {label:<width$}  {value}\n")).collect()
}

/// A two-column Markdown table.
pub fn markdown(rows: &[(String, String)]) -> String {
    let mut out = String::from("| | |\n|---|---|\n");
    for (label, value) in rows {
        out.push_str(&format!("| {} | {} |\n", label.replace('|', "\\|"), value.replace('|', "\\|")));
    }
    out
}
