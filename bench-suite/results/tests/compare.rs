//! The CI gate on a real smoke-run result (tests/fixtures/smoke.json, made by `polaroid-bench run --suite smoke`):
//! a Markdown snapshot, verdicts on doctored copies, and each refusal.

use polaroid_results::RunResult;
use polaroid_results::compare::{CompareOptions, FailOn, Verdict, compare, markdown};

fn fixture() -> RunResult {
    RunResult::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smoke.json"))).unwrap()
}

/// Five processes of two timed runs around `median`, spread a little (the fixture is an old one-process run).
fn processes(median: f64) -> Vec<Vec<f64>> {
    (0..5).map(|p| (0..2).map(|i| median * (1.0 + 0.004 * (p as f64 - 2.0) + 0.001 * i as f64)).collect()).collect()
}

fn scale(r: &mut RunResult, key_part: &str, factor: f64) -> String {
    let m = r.measurements.iter_mut().find(|m| m.key.contains(key_part) && m.metric.is_some()).expect("fixture has it");
    let metric = m.metric.as_mut().unwrap();
    metric.samples = processes(metric.summary.median * factor);
    m.key.clone()
}

fn with_five_processes(r: &mut RunResult) {
    for m in &mut r.measurements {
        if let Some(metric) = m.metric.as_mut() {
            metric.samples = processes(metric.summary.median);
        }
        if let Some(peak) = m.memory.peak_rss_bytes {
            m.memory.process_peak_rss_bytes = (0..5).map(|p| peak + p * 4096).collect();
        }
    }
}

#[test]
fn the_markdown_summary_of_a_doctored_pair() {
    let mut base = fixture();
    with_five_processes(&mut base);
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
    assert!(c.gate_line().contains("2 time regression(s)"), "{}", c.gate_line());
    assert_eq!(c.exit_code(), 1);
    // Timings and memory vary between machines and runs; the snapshot covers the layout on this fixed input.
    insta::assert_snapshot!(markdown(&c));

    // The notebook's view of the same comparison: the chart of the change has one point per timed key, coloured by
    // verdict, and the fragment carries the same tables under its scoped root.
    let svg = polaroid_results::chart::change::render(&c).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let timed = c.rows.iter().filter(|r| r.time.is_some()).count();
    // Filled circles are the points (an error bar marks its centre with an unfilled one).
    let points = doc.descendants().filter(|n| n.has_tag_name("circle") && n.attribute("fill") != Some("none")).count();
    assert_eq!(points, timed, "one point per measurement with a time");
    let reds = doc.descendants().filter(|n| n.has_tag_name("circle") && n.attribute("fill") == Some("#D62728")).count();
    assert_eq!(reds, c.count(Verdict::Regressed), "regressions are red");
    let fragment = polaroid_results::report::comparison_fragment(&c).unwrap();
    assert!(fragment.contains("polaroid-report") && fragment.contains(&slower) && fragment.contains("<svg"));
    assert!(!fragment.contains("<script"));
}

#[test]
fn an_identical_run_is_unchanged_and_passes_the_gate() {
    let mut base = fixture();
    with_five_processes(&mut base);
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
    let mut base = fixture();
    with_five_processes(&mut base);
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

#[test]
fn a_memory_regression_is_its_own_column_and_exit_code() {
    let mut base = fixture();
    with_five_processes(&mut base);
    let mut new = base.clone();
    let m = new.measurements.iter_mut().find(|m| m.key.contains("batch-read/load-all/smoke[latency_ms=0]/polars-eager")).unwrap();
    m.memory.process_peak_rss_bytes.iter_mut().for_each(|p| *p = *p * 13 / 10);
    // Faster at the same time: the row must not read as a time regression.
    m.metric.as_mut().unwrap().samples = processes(m.metric.as_ref().unwrap().summary.median * 0.8);
    let key = m.key.clone();
    let c = compare(&base, &new, "b", "n", CompareOptions { fail_on: FailOn::Any, ..Default::default() }).unwrap();
    let row = c.rows.iter().find(|r| r.key == key).unwrap();
    assert_eq!(row.time.as_ref().unwrap().verdict, Verdict::Improved);
    assert_eq!(row.memory.as_ref().unwrap().verdict, Verdict::Regressed);
    assert_eq!(c.exit_code(), 3, "memory only");
    assert!(c.gate_line().contains("1 memory regression(s)") && !c.gate_line().contains("time"), "{}", c.gate_line());
    let md = markdown(&c);
    let line = md.lines().find(|l| l.contains(&key)).unwrap();
    assert!(line.contains("| improved |") && line.contains("| regressed |"), "{line}");
    // Gating on time only, the same comparison passes.
    assert!(!compare(&base, &new, "b", "n", CompareOptions::default()).unwrap().fails());
}

#[test]
fn one_process_runs_are_untested_and_say_so() {
    let base = fixture();
    let mut new = base.clone();
    scale(&mut new, "batch-read/load-all/smoke[latency_ms=0]/polars-eager", 1.0);
    new.measurements.iter_mut().for_each(|m| {
        if let Some(x) = m.metric.as_mut() {
            x.samples.truncate(1);
        }
    });
    let c = compare(&base, &new, "b", "n", CompareOptions::default()).unwrap();
    assert!(c.count(Verdict::Untested) > 0 && !c.fails());
    assert!(c.warnings.iter().any(|w| w.contains("fewer than two processes")), "{:?}", c.warnings);
}

#[test]
fn learned_noise_sets_each_measurements_floor() {
    let mut a = fixture();
    with_five_processes(&mut a);
    let noise = polaroid_results::compare::Noise::learn(&a, &a, "test");
    let k = noise.keys.values().next().unwrap();
    assert_eq!(k.processes, 5);
    // The fixture's processes differ by 0.4% steps: a spread under 1%, so the floor is the 1% minimum.
    assert!(k.time_spread.unwrap() < 0.01 && k.time_floor == Some(polaroid_results::compare::MIN_LEARNED_FLOOR), "{k:?}");
    let mut new = a.clone();
    let key = scale(&mut new, "batch-read/load-all/smoke[latency_ms=0]/polars-eager", 1.03);
    let with = compare(&a, &new, "b", "n", CompareOptions { noise: Some(noise), ..Default::default() }).unwrap();
    let without = compare(&a, &new, "b", "n", CompareOptions::default()).unwrap();
    let verdict = |c: &polaroid_results::compare::Comparison| c.rows.iter().find(|r| r.key == key).unwrap().time.as_ref().unwrap().verdict;
    assert_eq!(verdict(&with), Verdict::Regressed, "3% is beyond a learned 1% floor");
    assert_eq!(verdict(&without), Verdict::Unchanged, "3% is inside the global 5% floor");
}

#[test]
fn interleaved_runs_are_paired() {
    let mut base = fixture();
    with_five_processes(&mut base);
    let mut new = base.clone();
    let side = |s: &str| polaroid_results::Interleaving { id: "job-1".into(), side: s.into(), binary: "polaroid-bench".into(), injected_slowdown: None, sequential: None };
    base.provenance.interleaved = Some(side("base"));
    new.provenance.interleaved = Some(side("new"));
    assert!(compare(&base, &new, "b", "n", CompareOptions::default()).unwrap().paired);
    new.provenance.interleaved = Some(polaroid_results::Interleaving { id: "job-2".into(), ..side("new") });
    assert!(!compare(&base, &new, "b", "n", CompareOptions::default()).unwrap().paired, "different jobs are not paired");
}

#[test]
fn a_version_1_document_is_upgraded_to_one_process() {
    let r = fixture();
    assert_eq!(r.schema_version, polaroid_results::SCHEMA_VERSION);
    let m = r.measurements.iter().find(|m| m.metric.is_some()).unwrap();
    assert_eq!(m.metric.as_ref().unwrap().samples.len(), 1);
    let e = RunResult::from_json(br#"{"schema_version": 99}"#).unwrap_err().to_string();
    assert!(e.contains("schema_version 99"), "{e}");
}

/// Instructions per timed run (`run --instructions`) are their own family: counted once per side, judged against a
/// floor instead of a test; a rise beyond it fails the gate as a time regression does, and `noise` learns the floor
/// from an A/A pair's difference.
#[test]
fn instructions_beyond_their_floor_are_a_regression_that_fails_the_gate() {
    use polaroid_results::Instructions;
    let counted = |per_run: f64| Instructions::Counted { per_run, runs: 2, with_runs: 0, without_runs: 0, tool: "test".into() };
    let mut base = fixture();
    with_five_processes(&mut base);
    let key = base.measurements.iter().find(|m| m.counts()).unwrap().key.clone();
    let other = base.measurements.iter().filter(|m| m.counts()).nth(1).unwrap().key.clone();
    for m in &mut base.measurements {
        m.instructions = Some(if m.key == key || m.key == other { counted(1.0e9) } else { Instructions::Skipped { reason: "a closed loop".into() } });
    }
    let mut new = base.clone();
    let set = |r: &mut RunResult, k: &str, v: f64| r.measurements.iter_mut().find(|m| m.key == k).unwrap().instructions = Some(counted(v));
    set(&mut new, &key, 1.02e9); // 2% more instructions, times unchanged
    set(&mut new, &other, 1.003e9); // inside the default 0.5% floor
    let c = compare(&base, &new, "b", "n", CompareOptions::default()).unwrap();
    let row = |k: &str| c.rows.iter().find(|r| r.key == k).unwrap().clone();
    let i = row(&key).instructions.unwrap();
    assert_eq!((i.verdict, (i.change - 0.02).abs() < 1e-12), (Verdict::Regressed, true), "{i:?}");
    assert_eq!(row(&key).verdict, Verdict::Regressed);
    assert_eq!(row(&other).instructions.unwrap().verdict, Verdict::Unchanged);
    assert!(c.rows.iter().filter(|r| r.key != key && r.key != other).all(|r| r.instructions.is_none()), "skipped ones are not compared");
    assert_eq!((c.fails(), c.exit_code()), (true, 1));
    assert!(c.gate_line().contains("1 instructions regression(s)"), "{}", c.gate_line());
    let md = markdown(&c);
    assert!(md.contains("| instructions | base → new | change (floor) |") && md.contains("+2.00% (±0.50%)"), "{md}");
    assert!(!compare(&base, &new, "b", "n", CompareOptions { fail_on: FailOn::Memory, ..Default::default() }).unwrap().fails());

    // An A/A pair whose counts differ by 0.05% learns a floor of four times that: 0.2%; 0.3% is then a regression.
    let mut aa = base.clone();
    set(&mut aa, &other, 1.0005e9);
    let noise = polaroid_results::compare::Noise::learn(&base, &aa, "test");
    let floor = noise.keys[&other].instructions_floor.unwrap();
    assert!((floor - 0.002).abs() < 1e-9, "{floor}");
    let c = compare(&base, &new, "b", "n", CompareOptions { noise: Some(noise), ..Default::default() }).unwrap();
    assert_eq!(c.rows.iter().find(|r| r.key == other).unwrap().instructions.unwrap().verdict, Verdict::Regressed);
}

#[test]
fn a_sequential_comparison_holds_each_test_to_its_looks_boundary_and_names_the_undecided() {
    use polaroid_results::compare::sequential::Design;
    let mut base = fixture();
    with_five_processes(&mut base);
    let mut new = base.clone();
    let slower = scale(&mut new, "batch-read/load-all/smoke[latency_ms=0]/polars-eager", 1.25);
    // One measurement whose processes disagree: neither a change nor its absence is shown.
    let noisy = new.measurements.iter().position(|m| m.metric.is_some() && m.key != slower).unwrap();
    let noisy_key = new.measurements[noisy].key.clone();
    let around = |factors: [f64; 5]| factors.iter().map(|f| vec![f * 0.5]).collect::<Vec<_>>();
    base.measurements[noisy].metric.as_mut().unwrap().samples = around([1.0, 1.1, 0.9, 1.05, 0.95]);
    new.measurements[noisy].metric.as_mut().unwrap().samples = around([1.2, 0.95, 1.0, 1.15, 0.9]);
    let design = Design { budget_s: 900.0, initial: 3, max: 10 };
    let side = |s: &str| polaroid_results::Interleaving { id: "job-1".into(), side: s.into(), binary: "polaroid-bench".into(), injected_slowdown: None, sequential: Some(design) };
    base.provenance.interleaved = Some(side("base"));
    new.provenance.interleaved = Some(side("new"));

    let c = compare(&base, &new, "b", "n", CompareOptions::default()).unwrap();
    assert_eq!(c.sequential, Some(design));
    let row = |k: &str| c.rows.iter().find(|r| r.key == k).unwrap();
    let time = row(&slower).time.clone().unwrap();
    let look = time.look.unwrap();
    assert_eq!((look.processes, look.max), (5, 10));
    assert!((look.level - design.nominal_level(5, 0.05 / c.tests as f64)).abs() < 1e-15);
    assert!(look.level < 0.05 / c.tests as f64, "a look before the last is stricter than the fixed split: {look:?}");
    assert!((time.adjusted_p.unwrap() - (time.test.unwrap().p_value * 0.05 / look.level).min(1.0)).abs() < 1e-12);
    assert_eq!((time.verdict, look.decided), (Verdict::Regressed, true));
    let noisy_time = row(&noisy_key).time.clone().unwrap();
    assert_eq!(noisy_time.verdict, Verdict::Unchanged);
    assert!(!noisy_time.look.unwrap().decided, "its interval reaches past the floor: {:?}", noisy_time.test);
    let undecided = c.undecided();
    assert_eq!(undecided.len(), 1, "{undecided:?}");
    assert_eq!(undecided[0].0, noisy_key);
    assert!((undecided[0].1 - (noisy_time.test.unwrap().ci_high - 1.0)).abs() < 1e-12 && undecided[0].1 > 0.05);
    // Every other measurement is decided: unchanged with an interval inside the floor.
    assert!(c.rows.iter().filter_map(|r| r.time.as_ref()).filter(|t| t.look.is_some_and(|l| l.decided)).count() >= 2);
    let md = markdown(&c);
    assert!(md.contains("Lan-DeMets O'Brien-Fleming boundary") && md.contains("Undecided when the budget ended (1)"), "{md}");
    assert!(md.contains(&format!("`{noisy_key}` could still be up to +")), "{md}");
    assert!(md.contains("| undecided |"), "{md}");
    assert!(md.contains(", 1 undecided, "), "the counts name the undecided apart from the unchanged: {md}");

    // Not interleaved (a design without pairing is not the run that made it): the fixed rule, no looks.
    new.provenance.interleaved = Some(polaroid_results::Interleaving { id: "job-2".into(), ..side("new") });
    let fixed = compare(&base, &new, "b", "n", CompareOptions::default()).unwrap();
    assert!(fixed.sequential.is_none() && fixed.undecided().is_empty());
    assert!(fixed.rows.iter().filter_map(|r| r.time.as_ref()).all(|t| t.look.is_none()));
}

#[test]
fn a_thresholds_file_sets_a_floor_per_measurement_over_the_learned_one() {
    use polaroid_results::compare::thresholds::{Threshold, Thresholds};
    let mut base = fixture();
    with_five_processes(&mut base);
    let mut new = base.clone();
    let slower = scale(&mut new, "batch-read/load-all/smoke[latency_ms=0]/polars-eager", 1.25);
    let set = |time| Thresholds { thresholds: vec![Threshold { measurements: "batch-read/load-all/*".into(), time: Some(time), memory: None, instructions: None }] };
    let verdict = |thresholds| {
        let c = compare(&base, &new, "b", "n", CompareOptions { thresholds, ..Default::default() }).unwrap();
        let time = c.rows.iter().find(|r| r.key == slower).unwrap().time.clone().unwrap();
        (time.verdict, time.floor, markdown(&c))
    };
    let (v, floor, md) = verdict(set(0.30));
    assert_eq!((v, floor), (Verdict::Unchanged, 0.30), "25% is inside a 30% threshold");
    assert!(md.contains("the floors a thresholds file sets (1 pattern(s)"), "{md}");
    assert_eq!(verdict(set(0.10)).0, Verdict::Regressed);
}
