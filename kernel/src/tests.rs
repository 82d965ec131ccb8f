//! The displays a notebook shows, parsed: evcxr's content blocks, the HTML fragment's SVG charts, a chart's series.

use super::*;

fn fixture() -> Run {
    load(concat!(env!("CARGO_MANIFEST_DIR"), "/../bench-suite/results/tests/fixtures/smoke.json")).expect("the results crate's fixture")
}

/// The body of the one content block of `text`, checking its MIME type.
fn block<'a>(text: &'a str, mime: &str) -> &'a str {
    let head = format!("EVCXR_BEGIN_CONTENT {mime}\n");
    assert!(text.starts_with(&head), "{}", &text[..text.len().min(80)]);
    assert!(text.ends_with("\nEVCXR_END_CONTENT\n"));
    &text[head.len()..text.len() - "\nEVCXR_END_CONTENT\n".len()]
}

fn svgs(html: &str) -> Vec<&str> {
    html.match_indices("<svg").map(|(i, _)| &html[i..i + html[i..].find("</svg>").expect("closed") + 6]).collect()
}

#[test]
fn a_run_displays_as_the_report_fragment_with_parseable_charts() {
    let run = fixture();
    let text = run.display_text().unwrap();
    let html = block(&text, "text/html");
    assert!(html.contains("polaroid-report") && !html.contains("<script"));
    let charts = svgs(html);
    assert_eq!(charts.len(), run.charts().unwrap().len());
    for svg in charts {
        roxmltree::Document::parse(svg).expect("each chart is well-formed SVG");
    }
}

#[test]
fn a_chart_displays_as_svg_with_its_series() {
    let chart = fixture().charts().unwrap().into_iter().find(|c| c.name.ends_with("-bars")).expect("a bar chart");
    let text = chart.display_text();
    let doc = roxmltree::Document::parse(block(&text, "image/svg+xml")).unwrap();
    // One bar per variant that finished, plus the plot's own rectangles.
    assert!(doc.descendants().filter(|n| n.has_tag_name("rect")).count() >= 2);
}

#[test]
fn a_comparison_displays_its_verdicts_and_the_chart_of_the_change() {
    let run = fixture();
    let c = compare(&run, &run).unwrap();
    assert!(!c.fails() && c.exit_code() == 0);
    let text = c.display_text().unwrap();
    let html = block(&text, "text/html");
    assert!(html.contains("no significant regression"));
    let change = c.chart().unwrap();
    roxmltree::Document::parse(&change.svg).unwrap();
}

#[test]
fn rows_and_summary_cover_every_measurement() {
    let run = fixture();
    assert_eq!(run.rows().len(), run.result.measurements.len());
    assert!(run.summary().contains("batch-read"));
    let dir = tempfile::tempdir().unwrap();
    assert!(run.report(dir.path()).unwrap().is_file());
    let both = report(&[&run, &run], "two runs", dir.path().join("both")).unwrap();
    assert!(std::fs::read_to_string(both).unwrap().contains("two runs"));
}

#[test]
fn a_missing_binary_is_an_error_naming_where_it_looked() {
    let e = RunOptions::new("smoke").binary("/nonexistent/polaroid-bench").start().unwrap_err().to_string();
    assert!(e.contains("/nonexistent/polaroid-bench") && e.contains("cargo build --release -p polaroid-bench"), "{e}");
}
