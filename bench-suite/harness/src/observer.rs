//! Progress reporting: the runner tells an [`Observer`] what it is doing, as typed [`Event`]s (defined in
//! `polaroid-results`, so front ends that only read results can parse them too). Front ends (the CLI's progress bar,
//! `--progress jsonl`, a notebook) handle the events they care about. An observer cannot fail a measurement.

pub use polaroid_results::events::{Event, FinishedSummary};

/// Receives the run's events, in order (see [`Event`]).
pub trait Observer: Sync {
    /// One event.
    fn on(&self, event: &Event);
}

/// An observer that ignores everything (library use, tests).
pub struct NoopObserver;

impl Observer for NoopObserver {
    fn on(&self, _event: &Event) {}
}

/// Writes every event as one JSON object per line to stdout (`--progress jsonl`), flushed at once.
pub struct JsonlObserver;

impl Observer for JsonlObserver {
    fn on(&self, event: &Event) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // A closed stdout (the reader went away) must not stop the run: the result file is what counts.
        let _ = serde_json::to_writer(&mut out, event).map_err(std::io::Error::from).and_then(|_| writeln!(out)).and_then(|_| out.flush());
    }
}
