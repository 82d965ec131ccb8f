//! Admission control: at most `limit` queries execute at once; the others wait in a first-come, first-served queue
//! of bounded length, for a bounded time. A query that cannot be admitted gets [`Error::Overloaded`] at once instead
//! of adding to memory. Tokio's semaphore is fair (FIFO), so the queue is the semaphore's own wait list.
//!
//! ## The limit adapts to what is measured
//!
//! With `adaptive_admission` (the default) the limit moves between 1 and `max_concurrent_queries` (the memory
//! bound: never more queries at once than that), in the manner of TCP Vegas:
//!
//! - Queries are timed from admission to completion. Every *window* of completions (at least [`MIN_WINDOW`], and
//!   at least the limit) gives one mean execution time; the lowest recent mean is the *base*, the time a query
//!   takes when it does not wait for CPU behind the others.
//! - From them, the queries queued inside the engine's own execution are estimated as
//!   `limit x (1 - base / mean)`. Below [`ALPHA`], more concurrency still bought throughput (the cores had idle
//!   time between the parts of a query that run in parallel): the limit grows, by a quarter while the estimate
//!   stays under one, by one above that. Above [`BETA`], queries only wait for each other: the limit shrinks. It
//!   grows only while queries wait for a slot (a limit nobody uses teaches nothing).
//! - The base would go stale when the data or the queries change, so every [`PROBE_EVERY`] windows one window runs
//!   at half the limit to measure it again (TCP BBR's "probe RTT"); without queries waiting there is no need.
//!
//! `AdmissionStats::limit` is the limit now; a benchmark records where it settled. With `adaptive_admission` off,
//! the limit stays at `max_concurrent_queries`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Overload, Result};

/// Completions in a window, at least (more when the limit is higher).
pub const MIN_WINDOW: usize = 16;
/// Below this many queries queued in execution, the limit grows.
pub const ALPHA: f64 = 3.0;
/// Above this many, it shrinks.
pub const BETA: f64 = 6.0;
/// Windows between two measurements of the base at half the limit.
pub const PROBE_EVERY: u64 = 40;

/// Admission figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdmissionStats {
    /// Queries allowed to execute at once now (the adaptive limit, or the fixed one).
    pub limit: usize,
    /// The most it may reach (`max_concurrent_queries`).
    pub max_limit: usize,
    /// The lowest and highest the limit has been since the engine started.
    pub limit_range: (usize, usize),
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
    semaphore: Arc<Semaphore>,
    control: Mutex<Control>,
    waiting: AtomicUsize,
    executing: AtomicUsize,
    queue_bound: usize,
    timeout: Duration,
    admitted: AtomicU64,
    rejected_queue_full: AtomicU64,
    rejected_timeout: AtomicU64,
}

/// Decrements a count however the wait or the execution ends (done, timed out, or the caller's future dropped).
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Counted(count)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An execution slot: released (and the query's time recorded) when dropped.
pub(crate) struct Slot<'a> {
    admission: &'a Admission,
    permit: Option<OwnedSemaphorePermit>,
    started: Instant,
    _executing: Counted<'a>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let demand = self.admission.waiting.load(Ordering::Acquire) > 0;
        let mut control = self.admission.control.lock().expect("the admission lock is never held across a panic");
        if let Some(permit) = self.permit.take() {
            if control.debt > 0 {
                // The limit was lowered while this permit was out: it is retired instead of released.
                control.debt -= 1;
                permit.forget();
            }
        }
        if let Some(target) = control.completed(self.started.elapsed(), demand) {
            control.resize(target, &self.admission.semaphore);
        }
    }
}

impl Admission {
    pub fn new(max_limit: usize, adaptive: bool, queue_bound: usize, timeout: Duration) -> Self {
        let start = if adaptive { max_limit.min(initial_limit()) } else { max_limit };
        Admission {
            semaphore: Arc::new(Semaphore::new(start)),
            control: Mutex::new(Control::new(start, max_limit, adaptive)),
            waiting: AtomicUsize::new(0),
            executing: AtomicUsize::new(0),
            queue_bound,
            timeout,
            admitted: AtomicU64::new(0),
            rejected_queue_full: AtomicU64::new(0),
            rejected_timeout: AtomicU64::new(0),
        }
    }

    fn slot(&self, permit: OwnedSemaphorePermit) -> Slot<'_> {
        self.admitted.fetch_add(1, Ordering::Relaxed);
        Slot { admission: self, permit: Some(permit), started: Instant::now(), _executing: Counted::new(&self.executing) }
    }

    /// Waits for a slot; the slot is released when dropped.
    pub async fn admit(&self) -> Result<Slot<'_>> {
        // A free slot is only free when nobody waits (tokio hands released permits to waiters first), so taking it
        // does not jump the queue.
        match self.semaphore.clone().try_acquire_owned() {
            Ok(permit) => return Ok(self.slot(permit)),
            Err(tokio::sync::TryAcquireError::Closed) => return Err(Error::ShutDown),
            Err(tokio::sync::TryAcquireError::NoPermits) => {}
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue_bound {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            self.rejected_queue_full.fetch_add(1, Ordering::Relaxed);
            return Err(Error::Overloaded(Overload::QueueFull { queue_bound: self.queue_bound }));
        }
        let waiting = Counted(&self.waiting);
        let acquired = tokio::time::timeout(self.timeout, self.semaphore.clone().acquire_owned()).await;
        drop(waiting);
        match acquired {
            Ok(Ok(permit)) => Ok(self.slot(permit)),
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
        let drained = tokio::time::timeout_at(deadline, async {
            // Queued queries are admitted before a drain's request for every slot (the semaphore is FIFO); the
            // limit may move meanwhile, so wait until nothing executes or waits.
            while self.executing.load(Ordering::Acquire) + self.waiting.load(Ordering::Acquire) > 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .is_ok();
        self.semaphore.close();
        drained
    }

    pub fn stats(&self) -> AdmissionStats {
        let control = self.control.lock().expect("the admission lock is never held across a panic");
        AdmissionStats {
            limit: control.limit,
            max_limit: control.max_limit,
            limit_range: control.range,
            executing: self.executing.load(Ordering::Acquire),
            waiting: self.waiting.load(Ordering::Acquire),
            admitted: self.admitted.load(Ordering::Relaxed),
            rejected_queue_full: self.rejected_queue_full.load(Ordering::Relaxed),
            rejected_timeout: self.rejected_timeout.load(Ordering::Relaxed),
        }
    }
}

/// Where the adaptive limit starts: the number of cores (one query per core).
fn initial_limit() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// The limit and what it is computed from. Pure arithmetic: [`Control::completed`] is tested on its own.
#[derive(Debug, Clone)]
pub(crate) struct Control {
    adaptive: bool,
    /// Slots that exist (issued or free), less `debt`.
    limit: usize,
    max_limit: usize,
    range: (usize, usize),
    /// Permits to retire as they come back (the limit was lowered while they were out).
    debt: usize,
    window: Window,
    /// The lowest windowed mean execution time, in seconds, since the last probe.
    base: Option<f64>,
    windows: u64,
    /// The limit to go back to after a probe window at half of it.
    probing: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct Window {
    n: usize,
    total_s: f64,
    demand: bool,
}

impl Control {
    pub fn new(limit: usize, max_limit: usize, adaptive: bool) -> Self {
        Control { adaptive, limit, max_limit, range: (limit, limit), debt: 0, window: Window::default(), base: None, windows: 0, probing: None }
    }

    /// Records one query's execution time; returns a new limit when a window closes and the limit should move.
    pub fn completed(&mut self, elapsed: Duration, demand: bool) -> Option<usize> {
        if !self.adaptive {
            return None;
        }
        let w = &mut self.window;
        w.n += 1;
        w.total_s += elapsed.as_secs_f64();
        w.demand |= demand;
        if w.n < MIN_WINDOW.max(self.limit) {
            return None;
        }
        let Window { n, total_s, demand } = std::mem::take(&mut self.window);
        let mean = total_s / n as f64;
        self.windows += 1;
        if let Some(back) = self.probing.take() {
            // The probe window ran at half the limit: its mean is a fresh base.
            self.base = Some(mean);
            return Some(back);
        }
        let base = *self.base.get_or_insert(mean);
        let base = base.min(mean);
        self.base = Some(base);
        if demand && self.windows.is_multiple_of(PROBE_EVERY) && self.limit > 1 {
            self.probing = Some(self.limit);
            return Some((self.limit / 2).max(1));
        }
        let queued = self.limit as f64 * (1.0 - base / mean);
        let target = if queued > BETA {
            self.limit.saturating_sub(1)
        } else if queued < 1.0 && demand {
            self.limit + (self.limit / 4).max(1)
        } else if queued < ALPHA && demand {
            self.limit + 1
        } else {
            self.limit
        };
        let target = target.clamp(1, self.max_limit);
        (target != self.limit).then_some(target)
    }

    /// Moves the number of slots to `target`: new permits at once; fewer by retiring free permits now and the rest
    /// as they come back.
    fn resize(&mut self, target: usize, semaphore: &Semaphore) {
        if target > self.limit {
            let mut more = target - self.limit;
            let repaid = more.min(self.debt);
            self.debt -= repaid;
            more -= repaid;
            semaphore.add_permits(more);
        } else {
            let fewer = self.limit - target;
            let retired = semaphore.forget_permits(fewer);
            self.debt += fewer - retired;
        }
        self.limit = target;
        self.range = (self.range.0.min(target), self.range.1.max(target));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model of CPU-bound queries on a machine where `knee` queries fill the cores: below it a query takes
    /// `base_s`, above it every query waits for the others in proportion.
    fn settle(knee: f64, max_limit: usize, windows: usize) -> Vec<usize> {
        let mut control = Control::new(2, max_limit, true);
        let mut limits = Vec::new();
        let base_s = 0.010;
        for _ in 0..windows * 200 {
            let load = control.limit as f64;
            let elapsed = base_s * (load / knee).max(1.0);
            if let Some(target) = control.completed(Duration::from_secs_f64(elapsed), true) {
                control.limit = target;
                limits.push(target);
            }
        }
        limits
    }

    #[test]
    fn the_limit_grows_to_the_knee_and_stays_near_it() {
        for knee in [1.0, 4.0, 12.0, 30.0] {
            let limits = settle(knee, 200, 200);
            let last: Vec<usize> = limits.iter().rev().take(30).copied().collect();
            let (lo, hi) = (*last.iter().min().unwrap(), *last.iter().max().unwrap());
            // Settled: within the Vegas band above the knee (the probe windows halve it briefly).
            assert!(hi as f64 >= knee && hi as f64 <= knee + BETA + 3.0, "knee {knee}: settled in {lo}..={hi} ({limits:?})");
        }
    }

    #[test]
    fn the_limit_never_passes_its_ceiling_nor_drops_below_one() {
        let limits = settle(1000.0, 8, 100);
        assert!(limits.iter().all(|l| (1..=8).contains(l)), "{limits:?}");
        assert_eq!(limits.iter().max(), Some(&8));
    }

    #[test]
    fn without_demand_the_limit_does_not_grow() {
        let mut control = Control::new(2, 100, true);
        for _ in 0..10_000 {
            assert_eq!(control.completed(Duration::from_millis(10), false), None);
        }
    }

    #[test]
    fn a_fixed_limit_never_moves() {
        let mut control = Control::new(4, 4, false);
        for _ in 0..1000 {
            assert_eq!(control.completed(Duration::from_millis(10), true), None);
        }
    }

    #[test]
    fn lowering_the_limit_retires_free_permits_now_and_the_others_when_they_come_back() {
        let semaphore = Semaphore::new(4);
        let held = semaphore.try_acquire_many(3).unwrap();
        let mut control = Control::new(4, 10, true);
        control.resize(1, &semaphore);
        assert_eq!((semaphore.available_permits(), control.debt), (0, 2));
        control.resize(3, &semaphore);
        assert_eq!((semaphore.available_permits(), control.debt), (0, 0), "raising repays the debt first");
        drop(held);
        assert_eq!(semaphore.available_permits(), 3);
    }
}
