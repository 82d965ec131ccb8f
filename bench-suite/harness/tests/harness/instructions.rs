//! `run --instructions`: each measurement's timed work counted under Valgrind's Cachegrind (the job with and without
//! its timed runs), skipped with a reason where it means nothing, and a clear error without Valgrind.

use polaroid_results::Instructions;

use crate::util::{Sandbox, load, stderr};

#[test]
fn instructions_are_counted_for_timed_iterations_and_skipped_with_a_reason_for_latency() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let o = s.run(&out, &["--workload", "batch-read", "--engine", "polars-lazy", "--instructions", "--progress", "none"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = load(&out);
    let local = r.measurements.iter().filter(|m| m.params.get("latency_ms").and_then(|v| v.as_u64()) == Some(0)).collect::<Vec<_>>();
    assert_eq!(local.len(), 2, "load-all and vwap, read locally");
    for m in &local {
        match m.instructions.as_ref().unwrap_or_else(|| panic!("{} has no instructions", m.key)) {
            Instructions::Counted { per_run, runs, with_runs, without_runs, tool } => {
                assert_eq!(*runs, 1, "one counted run: {}", m.key);
                assert!(with_runs > without_runs && *per_run > 1e6, "{}: {with_runs} with, {without_runs} without", m.key);
                assert_eq!(*per_run, (*with_runs - *without_runs) as f64);
                assert!(tool.starts_with("valgrind-") && tool.contains("cachegrind"), "{tool}");
            }
            other => panic!("{}: {other:?}", m.key),
        }
    }
    for m in r.measurements.iter().filter(|m| !local.iter().any(|l| l.key == m.key)) {
        assert!(matches!(&m.instructions, Some(Instructions::Skipped { reason }) if reason.contains("latency")), "{}: {:?}", m.key, m.instructions);
    }
}

#[test]
fn without_valgrind_the_error_names_the_package() {
    let s = Sandbox::new();
    let out = s.path("r.json");
    let mut cmd = s.command();
    // A PATH with no valgrind on it.
    cmd.env("PATH", s.path("empty")).args(["run", "--suite", "smoke", "--no-calibrate", "--workload", "batch-read", "--engine", "polars-lazy", "--instructions"]);
    cmd.arg("--data-dir").arg(s.data()).arg("--out").arg(&out);
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("install the `valgrind` package"), "{}", stderr(&o));
    assert!(!out.exists(), "the error comes before the result file is written");
}
