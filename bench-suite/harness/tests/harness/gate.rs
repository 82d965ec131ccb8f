//! The CI gate on real runs: `compare-run` of one binary against itself (A/A) with real variants, and a known,
//! injected slowdown; `noise` learning per-measurement floors. Smoke sizes; nothing here asserts a duration.

use polaroid_results::compare::{CompareOptions, Verdict, compare};

use crate::util::{BIN, Sandbox, load, stderr};

fn compare_run(s: &Sandbox, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = s.command();
    cmd.args(["compare-run", "--base", BIN, "--new", BIN, "--suite", "smoke", "--no-calibrate", "--data-dir"]).arg(s.data());
    cmd.arg("--out-dir").arg(dir).args(args).output().unwrap()
}

#[test]
fn an_interleaved_a_a_run_of_real_variants_passes_the_gate() {
    let s = Sandbox::new();
    let dir = s.path("aa");
    // A fixed design (--budget 0): each workload's own processes.
    let o = compare_run(&s, &dir, &["--workload", "batch-read", "--budget", "0"]);
    assert_eq!(o.status.code(), Some(0), "an A/A pair must pass: {}", stderr(&o));
    assert!(stderr(&o).contains("gate: no significant regression"), "{}", stderr(&o));
    let (base, new) = (load(&dir.join("base.json")), load(&dir.join("new.json")));
    let (ib, inew) = (base.provenance.interleaved.clone().unwrap(), new.provenance.interleaved.clone().unwrap());
    assert_eq!(ib.id, inew.id, "one job, one interleaving id");
    assert_eq!((ib.side.as_str(), inew.side.as_str()), ("base", "new"));
    assert_eq!(base.measurements.len(), new.measurements.len());
    for (b, n) in base.measurements.iter().zip(&new.measurements) {
        assert_eq!(b.key, n.key);
        // Process 1 of the base runs first; the sides alternate from there.
        assert!(b.started_at < n.started_at, "{}: base process 1 starts first", b.key);
        if let (Some(bm), Some(nm)) = (&b.metric, &n.metric) {
            assert_eq!((bm.samples.len(), nm.samples.len()), (2, 2), "{}: two processes per side at smoke size", b.key);
        }
        // Both builds answer alike.
        assert_eq!(b.answer.as_ref().map(|a| &a.checksum), n.answer.as_ref().map(|a| &a.checksum), "{}", b.key);
    }
    let c = compare(&base, &new, "base", "new", CompareOptions::default()).unwrap();
    assert!(c.paired, "the runs were interleaved, so their processes are paired");
    assert_eq!(c.count(Verdict::Regressed) + c.count(Verdict::Improved), 0, "{}", std::fs::read_to_string(dir.join("compare.md")).unwrap());
    assert!(std::fs::read_to_string(dir.join("compare.md")).unwrap().contains("paired t-test"));
}

#[test]
fn an_injected_slowdown_fails_the_gate_and_names_the_kind() {
    let s = Sandbox::new();
    let dir = s.path("slow");
    let args = ["--workload", "batch-read", "--engine", "mock", "--budget", "0", "--processes", "6", "--runs", "3", "--inject-slowdown", "mock=0.5"];
    let o = compare_run(&s, &dir, &args);
    assert_eq!(o.status.code(), Some(1), "a time regression exits 1: {}", stderr(&o));
    assert!(stderr(&o).contains("gate: significant regression: ") && stderr(&o).contains("time regression(s)"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("memory regression"), "{}", stderr(&o));
    let new = load(&dir.join("new.json"));
    assert_eq!(new.provenance.interleaved.clone().unwrap().injected_slowdown, Some(("mock".to_string(), 0.5)));
    let c = compare(&load(&dir.join("base.json")), &new, "base", "new", CompareOptions::default()).unwrap();
    // Every measurement got slower; how many of the four the test can confirm depends on how busy the machine is.
    for row in &c.rows {
        let time = row.time.as_ref().unwrap();
        assert!(time.slowdown > 1.1, "{}: {}", row.key, row.note);
        assert_ne!(time.verdict, Verdict::Improved, "{}: {}", row.key, row.note);
        assert_ne!(row.memory.as_ref().unwrap().verdict, Verdict::Regressed, "{}: busy work is not memory", row.key);
    }
    assert!(c.count(Verdict::Regressed) >= 1);
}

#[test]
fn a_budget_adds_pairs_to_undecided_measurements_and_records_its_design() {
    let s = Sandbox::new();
    let dir = s.path("budget");
    // A floor of 0: no interval lies inside it, so a measurement is decided only by a change the boundary confirms;
    // the others get pairs of processes until the budget (or its most processes) is reached.
    let args = ["--workload", "batch-read", "--engine", "mock", "--runs", "3", "--budget", "20s", "--noise-floor", "0", "--fail-on", "none"];
    let o = compare_run(&s, &dir, &args);
    assert_eq!(o.status.code(), Some(0), "--fail-on none: {}", stderr(&o));
    assert!(stderr(&o).contains("budget 20s:"), "{}", stderr(&o));
    let (base, new) = (load(&dir.join("base.json")), load(&dir.join("new.json")));
    let design = base.provenance.interleaved.clone().unwrap().sequential.expect("the design is recorded");
    assert_eq!(new.provenance.interleaved.clone().unwrap().sequential, Some(design), "in both files");
    assert_eq!((design.initial, design.budget_s), (3, 20.0));
    assert!(design.max >= design.initial, "{design:?}");
    let mut most = 0;
    for (b, n) in base.measurements.iter().zip(&new.measurements) {
        let (pb, pn) = (b.metric.as_ref().unwrap().samples.len(), n.metric.as_ref().unwrap().samples.len());
        assert_eq!(pb, pn, "{}: both sides get each pair", b.key);
        assert!((3..=design.max).contains(&pb), "{}: {pb} processes, design {design:?}", b.key);
        most = most.max(pb);
    }
    if design.max > 3 {
        assert!(most > 3, "the budget allowed more processes and none were added: {}", stderr(&o));
    }
    let md = std::fs::read_to_string(dir.join("compare.md")).unwrap();
    assert!(md.contains("Sequential (`--budget 20s`: 3 to"), "{md}");
    assert!(md.contains("Undecided when the budget ended") || md.contains("Every measurement was decided"), "{md}");
    // A sequential design cannot be resumed.
    let o = compare_run(&s, &dir, &["--workload", "batch-read", "--engine", "mock", "--resume"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--resume continues a fixed design only: give --budget 0"), "{}", stderr(&o));
}

#[test]
fn a_thresholds_file_is_read_and_a_bad_one_is_refused_naming_the_fix() {
    let s = Sandbox::new();
    let dir = s.path("t");
    let o = compare_run(&s, &dir, &["--workload", "batch-read", "--engine", "mock", "--budget", "0", "--processes", "2", "--runs", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (base, new) = (dir.join("base.json"), dir.join("new.json"));
    std::fs::write(s.path("ok.toml"), "[[threshold]]\nmeasurements = \"batch-read/*\"\ntime = \"30%\"\n").unwrap();
    let o = s.command().arg("compare").arg(&base).arg(&new).arg("--thresholds").arg(s.path("ok.toml")).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("the floors a thresholds file sets (1 pattern(s)"), "{}", String::from_utf8_lossy(&o.stdout));
    for (text, says) in [
        ("[[threshold]]\nmeasurements = \"*\"\ntime = \"ten\"\n", "a percentage"),
        ("[[threshold]]\nmeasurements = \"*\"\n", "sets no floor"),
        ("[[threshold]]\nmeasurement = \"*\"\ntime = 0.1\n", "unknown field"),
    ] {
        std::fs::write(s.path("bad.toml"), text).unwrap();
        let o = s.command().arg("compare").arg(&base).arg(&new).arg("--thresholds").arg(s.path("bad.toml")).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
        assert!(stderr(&o).contains("bad.toml") && stderr(&o).contains(says), "{text}: {}", stderr(&o));
    }
}

#[test]
fn noise_learns_a_floor_per_measurement() {
    let s = Sandbox::new();
    let dir = s.path("noise");
    let mut cmd = s.command();
    cmd.args(["noise", "--suite", "smoke", "--no-calibrate", "--workload", "batch-read", "--engine", "mock", "--processes", "3", "--data-dir"]);
    let o = cmd.arg(s.data()).arg("--out-dir").arg(&dir).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let noise = polaroid_results::compare::Noise::load(&dir.join("noise.json")).unwrap();
    assert_eq!(noise.keys.len(), 4, "tasks x latencies");
    for (key, k) in &noise.keys {
        assert_eq!(k.processes, 3, "{key}");
        assert!(k.time_spread.is_some() && k.time_floor.unwrap() >= polaroid_results::compare::MIN_LEARNED_FLOOR, "{key}: {k:?}");
    }
    // compare takes it.
    let mut cmd = s.command();
    let o = cmd.arg("compare").arg(dir.join("a.json")).arg(dir.join("b.json")).arg("--noise").arg(dir.join("noise.json")).output().unwrap();
    assert!(o.status.code() == Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("per-measurement noise floors"), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn bad_gate_inputs_are_refused_with_exit_2() {
    let s = Sandbox::new();
    std::fs::write(s.path("r.json"), "{\"schema_version\": 2}").unwrap();
    let o = s.command().arg("compare").arg(s.path("r.json")).arg(s.path("r.json")).arg("--noise").arg(s.path("missing.json")).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
    let o = s.command().args(["compare-run", "--base"]).arg(s.path("no-such-binary")).args(["--suite", "smoke"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--base") && stderr(&o).contains("no-such-binary"), "{}", stderr(&o));
    let o = s.run(&s.path("x.json"), &["--processes", "0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--processes must be at least 1"), "{}", stderr(&o));
}
