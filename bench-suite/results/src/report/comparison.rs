//! A comparison as report blocks, for the HTML fragment a notebook shows: the words and tables of the
//! pull-request Markdown (`compare::markdown`), and the chart of the change.

use super::Block;
use crate::compare::Comparison;
use crate::compare::markdown::{gate, header, summary, tables};
use crate::error::Result;

/// The comparison as report blocks (for the HTML fragment a notebook shows): the same words and tables as
/// [`crate::compare::markdown()`], and the chart of the change.
pub fn comparison_blocks(c: &Comparison) -> Result<Vec<Block>> {
    let mut b = vec![Block::Heading(3, format!("polaroid-bench compare: {}", gate(c))), Block::Para(summary(c))];
    if !c.warnings.is_empty() {
        b.push(Block::List(c.warnings.iter().map(|w| format!("⚠️ {w}")).collect()));
    }
    let header = header(c);
    let (changed, quiet) = tables(c);
    if changed.is_empty() {
        b.push(Block::Para("No measurement changed significantly.".into()));
    } else {
        b.push(Block::Table(header.clone(), changed));
    }
    if c.rows.iter().any(|r| r.time.is_some()) {
        b.push(Block::Chart("change".into(), "Change of each measurement's time or throughput".into(), crate::chart::change::render(c)?));
    }
    if !quiet.is_empty() {
        b.push(Block::Para(format!("{} unchanged or untested:", quiet.len())));
        b.push(Block::Table(header, quiet));
    }
    Ok(b)
}

/// The comparison as an HTML fragment safe to embed in a notebook page (see [`super::fragment`]).
pub fn comparison_fragment(c: &Comparison) -> Result<String> {
    Ok(super::fragment(&comparison_blocks(c)?))
}
