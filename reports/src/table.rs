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

/// A table with a header row, columns aligned (text left, numbers right), for the terminal.
pub fn columns(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..width).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|v| v.chars().count()).max().unwrap_or(0)).collect();
    let numeric = |v: &str| !v.is_empty() && v.chars().all(|ch| ch.is_ascii_digit() || ch == ',');
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(v, &w)| if numeric(v) { format!("{v:>w$}") } else { format!("{v:<w$}") }).collect();
        out.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
    }
    out
}

/// A table with a header row as Markdown.
pub fn markdown_columns(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        out.push_str(&format!("| {} |\n", row.iter().map(|v| v.replace('|', "\\|")).collect::<Vec<_>>().join(" | ")));
        if i == 0 {
            out.push_str(&format!("|{}\n", "---|".repeat(row.len())));
        }
    }
    out
}

/// A table with a header row as HTML (cells escaped; numbers right-aligned).
pub fn html_columns(rows: &[Vec<String>]) -> String {
    let numeric = |v: &str| !v.is_empty() && v.trim_start_matches('-').chars().all(|ch| ch.is_ascii_digit() || ",.± ".contains(ch));
    let mut out = String::from("<div class=\"scroll\"><table class=\"grid\">\n");
    for (i, row) in rows.iter().enumerate() {
        out.push_str("<tr>");
        for cell in row {
            let text = crate::svg::escape(cell);
            if i == 0 {
                out.push_str(&format!("<th>{text}</th>"));
            } else if numeric(cell) {
                out.push_str(&format!("<td class=\"num\">{text}</td>"));
            } else {
                out.push_str(&format!("<td>{text}</td>"));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table></div>\n");
    out
}
