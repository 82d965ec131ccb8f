//! The comparison as Markdown for a pull-request comment: the gate's line, how significance was decided, then
//! time and memory verdicts in their own columns.

use super::{ALPHA, Change, Comparison, InstructionChange, Row, Verdict};
use crate::units;

/// The comparison as Markdown, ready to paste as a pull-request comment.
pub fn markdown(c: &Comparison) -> String {
    let mut s = format!("### polaroid-bench compare: {}\n\n{}\n\n", gate(c), summary(c));
    for w in &c.warnings {
        s.push_str(&format!("> ⚠️ {w}\n\n"));
    }
    let (changed, quiet) = tables(c);
    let header = header(c);
    let table = |rows: &[Vec<String>]| -> String {
        let align: Vec<&str> = header.iter().map(|h| if h == "base → new" { "---:" } else { "---" }).collect();
        let mut t = format!("| {} |\n| {} |\n", header.join(" | "), align.join(" | "));
        for r in rows {
            t.push('|');
            for cell in r {
                t.push_str(&if cell.is_empty() { " |".to_string() } else { format!(" {cell} |") });
            }
            t.push('\n');
        }
        t
    };
    if changed.is_empty() {
        s.push_str("No measurement changed significantly.\n");
    } else {
        s.push_str(&table(&changed));
    }
    if !quiet.is_empty() {
        s.push_str(&format!("\n<details><summary>{} unchanged or untested</summary>\n\n{}\n</details>\n", quiet.len(), table(&quiet)));
    }
    s
}

pub(crate) const HEADER: [&str; 7] = ["measurement", "time", "base → new", "change [95% CI]", "memory", "base → new", "change [95% CI]"];

/// The instruction columns, shown when a run counted instructions (`run --instructions`).
const INSTRUCTION_HEADER: [&str; 3] = ["instructions", "base → new", "change (floor)"];

/// The table's columns: [`HEADER`], and the instruction columns when some row has them.
pub(crate) fn header(c: &Comparison) -> Vec<String> {
    let with = has_instructions(c);
    HEADER.iter().chain(INSTRUCTION_HEADER.iter().filter(|_| with)).map(|h| h.to_string()).collect()
}

fn has_instructions(c: &Comparison) -> bool {
    c.rows.iter().any(|r| r.instructions.is_some())
}

pub(crate) fn gate(c: &Comparison) -> String {
    if c.fails() { format!("❌ {}", c.gate_line()) } else { "✅ no significant regression".to_string() }
}

/// What was compared, the counts, and how significance was decided.
pub(crate) fn summary(c: &Comparison) -> String {
    let floor = match &c.options.noise {
        Some(n) => format!("per-measurement noise floors learned from {} ({:.0}% where it has none)", n.source, c.options.noise_floor * 100.0),
        None => format!("a {:.0}% noise floor", c.options.noise_floor * 100.0),
    };
    let floor = match c.options.thresholds.thresholds.len() {
        0 => floor,
        n => format!("{floor}, or the floors a thresholds file sets ({n} pattern(s), first match)"),
    };
    let rule = match &c.sequential {
        Some(d) => format!(
            "Sequential (`--budget {}`: {} to {} processes a side, added to undecided measurements): significant = p below its look's Lan-DeMets O'Brien-Fleming boundary at {ALPHA}/{} per test (time and memory)",
            d.budget(),
            d.initial,
            d.max,
            c.tests
        ),
        None => format!("Significant = Holm-adjusted p < {ALPHA} over this comparison's {} tests (time and memory)", c.tests),
    };
    let undecided = c.undecided();
    // An undecided measurement's verdict is `unchanged` (nothing cleared the boundary); the counts name it apart.
    let unchanged = match c.sequential {
        Some(_) => format!("{} unchanged, {} undecided", c.count(Verdict::Unchanged).saturating_sub(undecided.len()), undecided.len()),
        None => format!("{} unchanged", c.count(Verdict::Unchanged)),
    };
    let undecided = if c.sequential.is_none() {
        String::new()
    } else if undecided.is_empty() {
        " Every measurement was decided.".to_string()
    } else {
        format!(
            " Undecided when the budget ended ({}): {}.",
            undecided.len(),
            undecided.iter().map(|(key, missed)| format!("`{key}` could still be up to {:+.1}% slower", missed * 100.0)).collect::<Vec<_>>().join(", ")
        )
    };
    format!(
        "`{}` → `{}`: {} regressed, {} improved, {unchanged}, {} untested, {} new, {} missing. \
         {rule}, a 95% interval that excludes no change, and a change beyond {floor}.{undecided} \
         Each test compares per-process medians on a log scale ({}); change = geometric-mean ratio, positive is worse for times, throughputs and memory alike. Gate: `{}`.",
        c.base,
        c.new,
        c.count(Verdict::Regressed),
        c.count(Verdict::Improved),
        c.count(Verdict::Untested),
        c.count(Verdict::New),
        c.count(Verdict::Missing),
        if c.paired { "paired t-test: the runs were interleaved" } else { "Welch t-test: the runs were not interleaved" },
        serde_json::to_value(c.options.fail_on).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    )
}

/// The table rows ([`HEADER`]'s columns): measurements that changed (regressions first), then the quiet ones.
pub(crate) fn tables(c: &Comparison) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let cells = |c: &Option<Change>, bytes: bool| -> [String; 3] {
        match c {
            None => ["-".into(), "-".into(), "-".into()],
            Some(c) => {
                let fmt = |v: f64| if bytes { units::bytes(v as u64) } else { value(v, &c.unit) };
                let pct = |r: f64| format!("{:+.1}%", (r - 1.0) * 100.0);
                let change = match &c.test {
                    Some(t) => format!("{} [{}, {}]", pct(c.slowdown), pct(t.ci_low), pct(t.ci_high)),
                    None => format!("{} (untested)", pct(c.slowdown)),
                };
                let verdict = if c.look.is_some_and(|l| !l.decided) { "undecided" } else { c.verdict.label() };
                [verdict.into(), format!("{} → {}", fmt(c.base_median), fmt(c.new_median)), change]
            }
        }
    };
    let with_instructions = has_instructions(c);
    let instruction_cells = |i: &Option<InstructionChange>| -> Vec<String> {
        match i {
            None => vec!["-".into(), "-".into(), "-".into()],
            Some(i) => vec![
                i.verdict.label().into(),
                format!("{} → {}", units::count(i.base), units::count(i.new)),
                format!("{:+.2}% (±{:.2}%)", i.change * 100.0, i.floor * 100.0),
            ],
        }
    };
    let line = |r: &Row| -> Vec<String> {
        let mut cells_of_row = if r.time.is_none() && r.memory.is_none() && r.instructions.is_none() {
            let outcomes = format!("{} → {}", r.outcomes.0, r.outcomes.1);
            vec![format!("`{}`", r.key), r.verdict.label().into(), outcomes, r.note.clone(), String::new(), String::new(), String::new()]
        } else {
            let [tv, tb, tc] = cells(&r.time, false);
            let [mv, mb, mc] = cells(&r.memory, true);
            vec![format!("`{}`", r.key), tv, tb, tc, mv, mb, mc]
        };
        if with_instructions {
            cells_of_row.extend(instruction_cells(&r.instructions));
        }
        cells_of_row
    };
    let quiet = |r: &&Row| matches!(r.verdict, Verdict::Unchanged | Verdict::Untested);
    let mut changed: Vec<&Row> = c.rows.iter().filter(|r| !quiet(r)).collect();
    changed.sort_by_key(|r| r.verdict);
    (changed.into_iter().map(line).collect(), c.rows.iter().filter(quiet).map(line).collect())
}

fn value(v: f64, unit: &str) -> String {
    match unit {
        "s" => units::seconds(v),
        "queries/s" => units::rate(v, "q/s"),
        u => units::rate(v, u),
    }
}
