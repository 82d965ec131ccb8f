//! Stopping a run from another thread (Ctrl-C, a notebook's interrupt): a leaf shared by the runner and the
//! measurement loop.

use crate::error::{Error, Result};

/// Stops a run from another thread: set it, and the runner kills the running measurement's process and returns
/// [`Error::Cancelled`], keeping every finished measurement in the result file. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Cancel {
    /// Asks the run to stop.
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether it was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The shared flag itself (e.g. for a signal handler to set).
    pub fn flag(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.0.clone()
    }

    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() { Err(Error::Cancelled) } else { Ok(()) }
    }
}
