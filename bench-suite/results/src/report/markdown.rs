//! Blocks as Markdown (`index.md`; charts linked from `charts/`).

use std::fmt::Write as _;

use super::Block;

pub(super) fn markdown(blocks: &[Block]) -> String {
    let mut s = String::new();
    for b in blocks {
        match b {
            Block::Heading(level, text) => {
                let _ = writeln!(s, "{} {text}\n", "#".repeat(*level as usize));
            }
            Block::Para(text) => {
                let _ = writeln!(s, "{text}\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(s, "- {i}");
                }
                s.push('\n');
            }
            Block::Table(header, rows) => {
                let cell = |c: &String| c.replace('|', "\\|");
                let _ = writeln!(s, "| {} |", header.iter().map(cell).collect::<Vec<_>>().join(" | "));
                let _ = writeln!(s, "|{}", " --- |".repeat(header.len()));
                for r in rows {
                    let _ = writeln!(s, "| {} |", r.iter().map(cell).collect::<Vec<_>>().join(" | "));
                }
                s.push('\n');
            }
            Block::Chart(name, caption, _) => {
                let _ = writeln!(s, "![{caption}](charts/{name}.svg)\n");
            }
        }
    }
    s
}
