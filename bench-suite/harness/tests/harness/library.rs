//! The harness as a library, the way a front end (Python, a Jupyter kernel) uses it: the binary named explicitly,
//! progress followed through events, a run cancelled midway, and the result equal to what the CLI writes.

use std::sync::Mutex;

use polaroid_bench::observer::{Event, Observer};
use polaroid_bench::runner::{Cancel, RunOptions};
use polaroid_bench::{Error, Size};

use crate::util::{BIN, Sandbox, load, stderr};

/// Keeps every event, and cancels the run after `cancel_after` finished measurements.
struct Recorder {
    events: Mutex<Vec<Event>>,
    cancel: Cancel,
    cancel_after: Option<usize>,
}

impl Observer for Recorder {
    fn on(&self, event: &Event) {
        let mut events = self.events.lock().unwrap();
        events.push(event.clone());
        let finished = events.iter().filter(|e| matches!(e, Event::Finished { .. })).count();
        if self.cancel_after.is_some_and(|n| finished >= n) {
            self.cancel.cancel();
        }
    }
}

fn options(s: &Sandbox, out: &str, workloads: &[&str]) -> RunOptions {
    RunOptions {
        workloads: workloads.iter().map(|w| w.to_string()).collect(),
        data_dir: Some(s.data()),
        calibrate: false,
        measure_binary: Some(BIN.into()),
        ..RunOptions::new(Size::Smoke, s.path(out))
    }
}

#[test]
fn a_library_run_follows_events_equals_the_cli_and_can_be_cancelled() {
    let s = Sandbox::new();
    let workloads = ["batch-read", "concurrent-query", "large-dataset", "streaming"];
    let recorder = Recorder { events: Mutex::new(Vec::new()), cancel: Cancel::default(), cancel_after: None };
    let result = polaroid_bench::run(&options(&s, "lib.json", &workloads), &recorder).expect("the library run succeeds");
    let events = recorder.events.into_inner().unwrap();
    let finished = events.iter().filter(|e| matches!(e, Event::Finished { .. })).count();
    assert_eq!(finished, result.measurements.len());
    assert!(matches!(events.last(), Some(Event::RunFinished { failed: 0, .. })), "{:?}", events.last());

    // The CLI, same suite and data: same keys, same answers.
    let cli = s.path("cli.json");
    let o = s.run(&cli, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cli = load(&cli);
    let keys = |r: &polaroid_results::RunResult| r.measurements.iter().map(|m| m.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&result), keys(&cli));
    for (a, b) in result.measurements.iter().zip(&cli.measurements) {
        assert_eq!(a.answer.as_ref().map(|x| &x.checksum), b.answer.as_ref().map(|x| &x.checksum), "{}", a.key);
        assert_eq!(a.outcome.label(), b.outcome.label(), "{}", a.key);
    }

    // Cancelled after the second finished measurement: the run stops with Cancelled and keeps what it finished.
    let cancel = Cancel::default();
    let recorder = Recorder { events: Mutex::new(Vec::new()), cancel: cancel.clone(), cancel_after: Some(2) };
    let opts = RunOptions { cancel, ..options(&s, "cancelled.json", &["batch-read"]) };
    match polaroid_bench::run(&opts, &recorder) {
        Err(Error::Cancelled) => {}
        other => panic!("expected Cancelled, got {:?}", other.map(|r| r.measurements.len())),
    }
    let kept = load(&s.path("cancelled.json"));
    let batch_keys: Vec<String> = keys(&result).into_iter().filter(|k| k.starts_with("batch-read/")).collect();
    assert!(kept.measurements.len() >= 2 && kept.measurements.len() < batch_keys.len(), "{}", kept.measurements.len());
    // --resume finishes it.
    let finished = polaroid_bench::run(&RunOptions { resume: true, ..options(&s, "cancelled.json", &["batch-read"]) }, &polaroid_bench::NoopObserver).unwrap();
    assert_eq!(keys(&finished), batch_keys);
}

#[test]
fn a_missing_binary_is_named_with_every_place_looked() {
    let e = polaroid_bench::worker::locate(Some(std::path::Path::new("/nonexistent/polaroid-bench"))).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/polaroid-bench") && e.contains("cargo build --release -p polaroid-bench"), "{e}");
}

/// The runner plans, provisions, starts companions through each workload's hook, measures and records: adding a
/// workload (or a workload file) must not touch it, so it names none (docs/decisions.md, "Rooms").
#[test]
fn the_runner_names_no_workload() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/runner");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        for workload in polaroid_bench::workloads::WORKLOADS {
            assert!(!source.contains(&format!("\"{}\"", workload.name)), "{} names the workload {}", path.display(), workload.name);
        }
    }
}
