//! Progress reporting: the runner tells an [`Observer`] what it is doing; front ends (the CLI's progress bar, a
//! notebook, Python) implement the hooks they care about. Every hook defaults to doing nothing, and an observer
//! cannot fail a measurement: hooks return nothing.

use polaroid_results::Measurement;

/// Hooks called by the runner, in order: `planned`, then per measurement `started` and `finished`; `message` at any
/// time for things a user should read (data generated, cache dropped, a resume skipping work).
pub trait Observer: Sync {
    /// The plan is ready: `total` measurements to make, `skipped` of them already done (resume).
    fn planned(&self, _total: usize, _skipped: usize) {}
    /// A measurement starts.
    fn started(&self, _index: usize, _key: &str) {}
    /// A measurement finished and was written to the result file.
    fn finished(&self, _index: usize, _measurement: &Measurement) {}
    /// One side of an interleaved run (`base` or `new`) finished a measurement; by default the same as `finished`.
    fn finished_side(&self, index: usize, _side: &str, measurement: &Measurement) {
        self.finished(index, measurement);
    }
    /// Something worth telling the user.
    fn message(&self, _text: &str) {}
}

/// An observer that ignores everything (library use, tests).
pub struct NoopObserver;

impl Observer for NoopObserver {}
