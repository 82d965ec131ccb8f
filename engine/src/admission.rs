//! Admission control: at most K queries execute at once; the others wait in a first-come, first-served queue of
//! bounded length, for a bounded time. A query that cannot be admitted gets [`Error::Overloaded`] at once instead of
//! adding to memory. Tokio's semaphore is fair (FIFO), so the queue is the semaphore's own wait list.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Overload, Result};

/// Admission figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdmissionStats {
    /// Slots (K).
    pub slots: usize,
    /// Queries executing now.
    pub executing: usize,
    /// Queries waiting now.
    pub waiting: usize,
    /// Queries admitted so far.
    pub admitted: u64,
    /// Queries refused because the queue was full.
    pub rejected_queue_full: u64,
    /// Queries refused because they waited too long.
    pub rejected_timeout: u64,
}

pub(crate) struct Admission {
    slots: usize,
    semaphore: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue_bound: usize,
    timeout: Duration,
    admitted: AtomicU64,
    rejected_queue_full: AtomicU64,
    rejected_timeout: AtomicU64,
}

/// Decrements the waiting count however the wait ends (admitted, timed out, or the caller's future dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Admission {
    pub fn new(slots: usize, queue_bound: usize, timeout: Duration) -> Self {
        Admission {
            slots,
            semaphore: Arc::new(Semaphore::new(slots)),
            waiting: AtomicUsize::new(0),
            queue_bound,
            timeout,
            admitted: AtomicU64::new(0),
            rejected_queue_full: AtomicU64::new(0),
            rejected_timeout: AtomicU64::new(0),
        }
    }

    /// Waits for a slot; the slot is released when the permit is dropped.
    pub async fn admit(&self) -> Result<OwnedSemaphorePermit> {
        // A free slot is only free when nobody waits (tokio hands released permits to waiters first), so taking it
        // does not jump the queue.
        match self.semaphore.clone().try_acquire_owned() {
            Ok(permit) => {
                self.admitted.fetch_add(1, Ordering::Relaxed);
                return Ok(permit);
            }
            Err(tokio::sync::TryAcquireError::Closed) => return Err(Error::ShutDown),
            Err(tokio::sync::TryAcquireError::NoPermits) => {}
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue_bound {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            self.rejected_queue_full.fetch_add(1, Ordering::Relaxed);
            return Err(Error::Overloaded(Overload::QueueFull { queue_bound: self.queue_bound }));
        }
        let _waiting = Waiting(&self.waiting);
        match tokio::time::timeout(self.timeout, self.semaphore.clone().acquire_owned()).await {
            Ok(Ok(permit)) => {
                self.admitted.fetch_add(1, Ordering::Relaxed);
                Ok(permit)
            }
            Ok(Err(_closed)) => Err(Error::ShutDown),
            Err(_elapsed) => {
                self.rejected_timeout.fetch_add(1, Ordering::Relaxed);
                Err(Error::Overloaded(Overload::WaitTimeout { queue_timeout: self.timeout }))
            }
        }
    }

    /// Waits until every admitted and queued query has finished (or the deadline passes), then refuses new ones.
    /// Returns whether everything finished in time.
    pub async fn drain(&self, deadline: tokio::time::Instant) -> bool {
        let all = self.semaphore.clone().acquire_many_owned(self.slots as u32);
        let drained = tokio::time::timeout_at(deadline, all).await.is_ok();
        self.semaphore.close();
        drained
    }

    pub fn stats(&self) -> AdmissionStats {
        AdmissionStats {
            slots: self.slots,
            executing: self.slots.saturating_sub(self.semaphore.available_permits()),
            waiting: self.waiting.load(Ordering::Acquire),
            admitted: self.admitted.load(Ordering::Relaxed),
            rejected_queue_full: self.rejected_queue_full.load(Ordering::Relaxed),
            rejected_timeout: self.rejected_timeout.load(Ordering::Relaxed),
        }
    }
}
