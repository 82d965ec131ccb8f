//! Reports and charts from a real smoke-run result (tests/fixtures/smoke.json): every chart is parsed as SVG and
//! checked for its series; the HTML renders in headless Chromium (installed by scripts/setup-chromium) with no
//! script errors and produces a screenshot.

use std::process::Command;

use polaroid_results::RunResult;
use polaroid_results::history;
use polaroid_results::report::{self, Report};

fn fixture() -> RunResult {
    RunResult::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smoke.json"))).unwrap()
}

fn report() -> Report {
    report::build("smoke report", &[("smoke.json".into(), fixture())], "polaroid-bench report smoke.json").unwrap()
}

/// The texts of an SVG's <text> elements, after checking it parses and has drawn lines or shapes.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not valid SVG: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let drawn = doc.descendants().filter(|n| matches!(n.tag_name().name(), "polyline" | "rect" | "line" | "path")).count();
    assert!(drawn > 5, "an SVG with almost nothing drawn");
    doc.descendants().filter(|n| n.tag_name().name() == "text").filter_map(|n| n.text().map(|t| t.trim().to_string())).collect()
}

#[test]
fn every_chart_is_valid_svg_with_its_series() {
    let r = report();
    let result = fixture();
    assert!(r.charts.len() >= 8, "{} charts", r.charts.len());
    for (name, svg) in &r.charts {
        let texts = svg_texts(svg);
        if name.starts_with("concurrent-query") {
            for v in ["polars-reread", "polars-shared", "polaroid", "polaroid-limit-only", "polaroid-cache-only"] {
                assert!(texts.iter().any(|t| t == v), "{name}: no legend entry for {v}: {texts:?}");
            }
        } else if name.contains("achieved-against-offered") || name.contains("send-to-visible") {
            for v in ["polars-naive", "polars-microbatch", "polaroid"] {
                assert!(texts.iter().any(|t| t.starts_with(v)), "{name}: no series for {v}: {texts:?}");
            }
        } else if name.ends_with("-bars.svg") {
            // One bar label per variant that finished.
            let key = name.trim_end_matches("-bars.svg");
            let finished: Vec<&str> = result
                .measurements
                .iter()
                .filter(|m| m.counts() && key == report::slug(&m.task_key()))
                .map(|m| m.variant.as_str())
                .collect();
            assert!(!finished.is_empty(), "{name}: no measurements matched");
            for v in finished {
                assert!(texts.iter().any(|t| t == v), "{name}: no bar for {v}: {texts:?}");
            }
        } else if name.contains("memory-over-time") {
            for v in ["polars-eager", "polars-lazy", "polars-streaming", "polaroid"] {
                assert!(texts.iter().any(|t| t.starts_with(&format!("{v} ("))), "{name}: no line for {v}: {texts:?}");
            }
            // The smoke cap (512 MiB) is far above the data: said in the title rather than drawn.
            assert!(texts.iter().any(|t| t == "memory cap" || t.contains("far above")), "{name}: {texts:?}");
        }
    }
}

#[test]
fn the_report_has_every_section_and_only_numbers_from_the_file() {
    let r = report();
    for section in [
        "## Environment and provenance",
        "## Methodology",
        "## Findings: batch-read",
        "## Findings: concurrent-query",
        "## Findings: large-dataset",
        "## Findings: streaming",
        "## Where each engine wins, ties and loses",
        "## Failures, out-of-memory kills and timeouts",
    ] {
        assert!(r.markdown.contains(section), "missing {section}");
    }
    assert!(r.markdown.contains("polaroid-bench report smoke.json"), "the report names the command that made it");
    let f = fixture();
    assert!(r.markdown.contains(&f.provenance.cpu_model), "names the machine");
    // A median from the file appears as the table prints it.
    let m = f.measurements.iter().find(|m| m.workload == "large-dataset" && m.counts()).unwrap();
    let median = polaroid_results::units::seconds(m.metric.as_ref().unwrap().summary.median);
    assert!(r.markdown.contains(&median), "{median} not in the report");
    for (name, _) in &r.charts {
        assert!(r.markdown.contains(&format!("charts/{name}")), "index.md links {name}");
    }
    assert_eq!(r.html.matches("<svg").count(), r.charts.len(), "every chart is inlined in the HTML");
    assert!(!r.html.contains("<script"), "the page needs no script");
    // The fixture is an old one-process run: nothing can be tested, so every task where two variants finished is
    // a tie, and no variant is called a winner over another that finished.
    assert!(r.markdown.contains("tie: `"), "ties are named");
    let lines: Vec<&str> = r.markdown.lines().filter(|l| l.contains("` wins |")).collect();
    for line in &lines {
        let task = line.split('|').nth(1).unwrap().trim();
        let finished = f.measurements.iter().filter(|m| m.task_key() == task && m.counts() && m.variant != "transport-ceiling").count();
        assert_eq!(finished, 1, "{task} has a winner over another finisher: {line}");
    }
}

#[test]
fn the_html_report_renders_in_headless_chromium_without_errors() {
    let chromium = ["chromium", "chromium-browser"].into_iter().find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    let chromium = chromium.expect("chromium is not installed: run scripts/setup-chromium (scripts/test does)");
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("index.html");
    std::fs::write(&html, report().html).unwrap();
    let shot = dir.path().join("shot.png");
    let out = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,4000", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {log}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 50_000, "a real screenshot, {} bytes", png.len());
    let script_errors: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught")).collect();
    assert!(script_errors.is_empty(), "script errors: {script_errors:?}");
}

#[test]
fn history_draws_a_trend_for_tasks_in_two_runs() {
    let a = fixture();
    let mut b = a.clone();
    b.provenance.started_at = "2099-01-01T00:00:00Z".into();
    for m in &mut b.measurements {
        if let Some(x) = m.metric.as_mut() {
            x.summary.median *= 1.1;
        }
    }
    let mut runs = vec![("b.json".to_string(), b), ("a.json".to_string(), a)];
    let h = history::build(&mut runs, "polaroid-bench history dir").unwrap();
    assert_eq!(runs[0].0, "a.json", "runs are ordered by start time");
    assert!(!h.charts.is_empty());
    let texts = svg_texts(&h.charts[0].1);
    assert!(texts.iter().any(|t| t.starts_with("polars-")), "{texts:?}");
    assert!(h.markdown.contains("| variant |"));
}

#[cfg(feature = "png")]
#[test]
fn a_chart_rasterizes_to_a_png_of_its_size() {
    let r = report();
    let (name, svg) = r.charts.iter().find(|(n, _)| n.ends_with("-bars.svg")).unwrap();
    let png = polaroid_results::chart::png::from_svg(svg, 1.0).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: not a PNG");
    let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((dim(16), dim(20)), polaroid_results::chart::SIZE, "{name}: IHDR size");
    assert!(png.len() > 10_000, "{name}: {} bytes is too little for a drawn chart", png.len());
}

/// The fixture with five processes per measurement around each median (0.4% apart), and one variant scaled.
fn with_processes(r: &mut RunResult, scaled: &[(&str, f64)]) {
    for m in &mut r.measurements {
        let factor = scaled.iter().find(|(k, _)| m.key == *k).map_or(1.0, |(_, f)| *f);
        if let Some(x) = m.metric.as_mut() {
            let median = x.summary.median * factor;
            x.samples = (0..5).map(|p| vec![median * (1.0 + 0.004 * (p as f64 - 2.0)); 2]).collect();
            x.summary = polaroid_results::stats::Summary::of(&x.samples).unwrap();
        }
    }
}

#[test]
fn the_headline_names_wins_ties_and_where_polaroid_loses_by_the_compare_rule() {
    let mut f = fixture();
    // large-dataset aggregate: polaroid 3x slower than everyone (a loss); sink: polaroid 3x faster (a win).
    let others = |task: &str| -> Vec<String> {
        f.measurements.iter().filter(|m| m.key.starts_with(&format!("large-dataset/{task}/")) && m.variant != "polaroid").map(|m| m.key.clone()).collect()
    };
    let (aggregate, sink) = (others("aggregate"), others("sink"));
    let mut scaled: Vec<(&str, f64)> = vec![("large-dataset/aggregate/smoke/polaroid", 3.0)];
    scaled.extend(sink.iter().map(|k| (k.as_str(), 3.0)));
    // Equalize the other aggregate variants so they tie among themselves.
    let base = f.measurement("large-dataset/aggregate/smoke/polaroid").unwrap().metric.as_ref().unwrap().summary.median;
    for k in &aggregate {
        let m = f.measurements.iter_mut().find(|m| &m.key == k).unwrap();
        if let Some(x) = m.metric.as_mut() {
            x.summary.median = base;
        }
    }
    with_processes(&mut f, &scaled);
    let r = report::build("t", &[("f.json".into(), f)], "polaroid-bench report f.json").unwrap();
    let headline = r.markdown.lines().find(|l| l.starts_with("- large-dataset,")).expect("a large-dataset headline");
    assert!(headline.contains("`polaroid` wins 1") && headline.contains("its narrowest win is"), "{headline}");
    assert!(headline.contains("significantly behind in 1, at worst 3.00x ["), "{headline}");
    assert!(headline.contains("on aggregate/smoke"), "{headline}");
    let verdict_line = |task: &str| r.markdown.lines().find(|l| l.starts_with(&format!("| {task} | `")) || l.starts_with(&format!("| {task} | tie"))).unwrap().to_string();
    let table_line = verdict_line("large-dataset/sink/smoke");
    assert!(table_line.contains("`polaroid` wins"), "{table_line}");
    let table_line = verdict_line("large-dataset/aggregate/smoke");
    assert!(table_line.contains("tie: ") && table_line.contains("3.00x behind ["), "{table_line}");
}

#[test]
fn the_fragment_scopes_every_style_rule_and_has_no_script() {
    let runs = [("smoke.json".to_string(), fixture())];
    let f = report::build_fragment("t", &runs, "polaroid-bench report smoke.json").unwrap();
    assert!(f.starts_with(&format!("<div class=\"{}\">", report::FRAGMENT_CLASS)) && f.trim_end().ends_with("</div>"));
    assert!(!f.contains("<script") && !f.contains("<html") && !f.contains("<body"));
    let style = f.split("<style>").nth(1).unwrap().split("</style>").next().unwrap();
    let rules: Vec<&str> = style.lines().filter(|l| l.contains('{')).collect();
    assert!(rules.len() >= 8, "{style}");
    for rule in rules {
        let selectors = rule.split('{').next().unwrap();
        for sel in selectors.split(',') {
            assert!(sel.trim().starts_with(&format!(".{}", report::FRAGMENT_CLASS)), "unscoped rule: {rule}");
        }
    }
    let charts = report::charts(&runs).unwrap();
    assert_eq!(f.matches("<svg").count(), charts.len());
    assert!(charts.iter().all(|c| !c.caption.is_empty() && c.svg.contains("<svg")));
}

#[test]
fn at_a_paced_rate_every_variant_keeps_the_p99_latency_decides() {
    let mut f = fixture();
    let task = "streaming/ingest/smoke[connections=1,rate_per_s=20000]";
    with_processes(&mut f, &[]);
    for m in f.measurements.iter_mut().filter(|m| m.key.starts_with(task)) {
        let p99_ns = if m.variant == "polaroid" { 400_000 } else { 2_000_000 };
        let l = m.latency.clone().unwrap();
        m.process_latency = (0..5).map(|p| polaroid_results::Latency { p99_ns: p99_ns + p * 1_000, ..l.clone() }).collect();
    }
    let r = report::build("t", &[("f.json".into(), f)], "polaroid-bench report f.json").unwrap();
    let line = r.markdown.lines().find(|l| l.starts_with(&format!("| {task} | "))  && (l.contains("wins") || l.contains("tie"))).unwrap();
    assert!(line.contains("`polaroid` wins"), "{line}");
}

/// A variant whose work happens in processes the runner started beside the measured one (a Ballista cluster) has
/// their memory shown beside the measured process's, from the result file's own figures
/// (reports/trades-ballista-2026-12-01); a variant without companions has no row.
#[test]
fn the_memory_of_companions_is_shown_beside_the_measured_process() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/trades-ballista-2026-12-01/result.json.gz");
    let run = RunResult::load(std::path::Path::new(path)).unwrap();
    let r = report::build("ballista", &[("result.json.gz".into(), run.clone())], "polaroid-bench report").unwrap();
    let values: Vec<f64> = run
        .measurements
        .iter()
        .filter(|m| m.variant == "ballista-2")
        .flat_map(|m| m.figures["cluster_peak_rss_bytes"].clone())
        .collect();
    let lo = polaroid_results::units::bytes(values.iter().copied().fold(f64::INFINITY, f64::min) as u64);
    let hi = polaroid_results::units::bytes(values.iter().copied().fold(0.0, f64::max) as u64);
    let row = r.markdown.lines().find(|l| l.starts_with("| ballista-2 | `cluster_peak_rss_bytes`")).expect("a row for ballista-2");
    assert!(row.contains(&format!("{lo}-{hi}")) && row.ends_with("| 15 |"), "{row}");
    assert!(!r.markdown.lines().any(|l| l.starts_with("| datafusion | `")), "no companions, no row");
}
