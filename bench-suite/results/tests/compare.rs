//! The CI gate on a real smoke-run result (tests/fixtures/smoke.json, made by `polaroid-bench run --suite smoke`):
//! a Markdown snapshot, verdicts on doctored copies, and each refusal.

use polaroid_results::RunResult;
use polaroid_results::compare::{CompareOptions, FailOn, Verdict, compare, markdown};

fn fixture() -> RunResult {
    RunResult::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smoke.json"))).unwrap()
}

fn scale(r: &mut RunResult, key_part: &str, factor: f64) -> String {
    let m = r.measurements.iter_mut().find(|m| m.key.contains(key_part) && m.metric.is_some()).expect("fixture has it");
    let metric = m.metric.as_mut().unwrap();
    // Ten samples per side, as docs/ci.md asks for: the fixture's few samples, spread a little and scaled.
    let base: Vec<f64> = (0..10).map(|i| metric.summary.median * (1.0 + 0.004 * (i as f64 - 4.5))).collect();
    metric.samples = base.iter().map(|x| x * factor).collect();
    m.key.clone()
}

fn with_ten_samples(r: &mut RunResult) {
    for m in &mut r.measurements {
        if let Some(metric) = m.metric.as_mut() {
            metric.samples = (0..10).map(|i| metric.summary.median * (1.0 + 0.004 * (i as f64 - 4.5))).collect();
        }
    }
}

#[test]
fn the_markdown_summary_of_a_doctored_pair() {
    let mut base = fixture();
    with_ten_samples(&mut base);
    let mut new = base.clone();
    let slower = scale(&mut new, "batch-read/load-all/smoke[latency_ms=0]/polars-eager", 1.25);
    let faster = scale(&mut new, "large-dataset/aggregate/smoke/polars-streaming", 0.7);
    // A throughput that drops is a regression too.
    let fewer = scale(&mut new, "concurrent-query/mixed/smoke[clients=10]/polars-shared", 0.5);
    let gone = new.measurements.remove(new.measurements.iter().position(|m| m.key.contains("polars-reread")).unwrap()).key;
    let mut added = new.measurements[0].clone();
    added.key = "batch-read/load-all/smoke[latency_ms=0]/polars-brand-new".into();
    new.measurements.push(added);

    let c = compare(&base, &new, "base.json", "new.json", CompareOptions::default()).unwrap();
    let verdict = |k: &str| c.rows.iter().find(|r| r.key == k).unwrap().verdict;
    assert_eq!(verdict(&slower), Verdict::Regressed);
    assert_eq!(verdict(&faster), Verdict::Improved);
    assert_eq!(verdict(&fewer), Verdict::Regressed);
    assert_eq!(verdict(&gone), Verdict::Missing);
    assert_eq!(c.count(Verdict::New), 1);
    assert!(c.fails());
    assert!(!compare(&base, &new, "b", "n", CompareOptions { fail_on: FailOn::None, ..Default::default() }).unwrap().fails());
    // Timings and memory vary between machines and runs; the snapshot covers the layout on this fixed input.
    insta::assert_snapshot!(markdown(&c));
}

#[test]
fn an_identical_run_is_unchanged_and_passes_the_gate() {
    let mut base = fixture();
    with_ten_samples(&mut base);
    let c = compare(&base, &base.clone(), "a", "a", CompareOptions::default()).unwrap();
    assert_eq!(c.count(Verdict::Regressed) + c.count(Verdict::Improved), 0);
    assert!(!c.fails());
    assert!(markdown(&c).contains("no significant regression"));
}

#[test]
fn a_measurement_that_stops_finishing_is_a_regression() {
    let base = fixture();
    let mut new = base.clone();
    let m = new.measurements.iter_mut().find(|m| m.key.contains("large-dataset/aggregate/smoke/polars-eager")).unwrap();
    m.outcome = polaroid_results::Outcome::Oom { detail: "doctored".into() };
    let key = m.key.clone();
    let c = compare(&base, &new, "b", "n", CompareOptions::default()).unwrap();
    let row = c.rows.iter().find(|r| r.key == key).unwrap();
    assert_eq!(row.verdict, Verdict::Regressed);
    assert!(row.note.contains("stopped finishing"), "{}", row.note);
    assert!(c.fails());
}

#[test]
fn runs_on_different_data_are_refused() {
    let base = fixture();
    let mut new = base.clone();
    new.provenance.datasets[0].fingerprint = "0000".into();
    let e = compare(&base, &new, "b", "n", CompareOptions::default()).unwrap_err().to_string();
    assert!(e.contains("differs between the runs") && e.contains("same --seed"), "{e}");
}

#[test]
fn a_different_schema_version_is_refused() {
    let base = fixture();
    let mut new = base.clone();
    new.schema_version += 1;
    let e = compare(&base, &new, "b", "n", CompareOptions::default()).unwrap_err().to_string();
    assert!(e.contains("schema versions differ"), "{e}");
}

#[test]
fn different_hardware_gives_a_warning_not_a_refusal() {
    let base = fixture();
    let mut new = base.clone();
    new.provenance.cpu_model = "Some Other CPU".into();
    let c = compare(&base, &new, "b", "n", CompareOptions::default()).unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].contains("different hardware"));
    assert!(markdown(&c).contains("⚠️ different hardware"));
}

#[test]
fn a_bad_noise_floor_is_refused() {
    let base = fixture();
    let e = compare(&base, &base, "b", "n", CompareOptions { noise_floor: 1.5, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("--noise-floor"), "{e}");
}
