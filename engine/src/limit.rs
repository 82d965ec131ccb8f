//! Limits on queries, as a server operator sets them (ClickHouse's `max_execution_time`, DuckDB's `memory_limit`):
//!
//! - **A time limit per query**: [`Config::query_timeout`](crate::Config::query_timeout), or a shorter one per call
//!   ([`Engine::stream`](crate::Engine::stream)). It counts from the call, waiting for a slot included;
//!   a query past it is stopped and its caller gets [`Error::TimedOut`].
//! - **A memory limit for the process**: [`Config::memory_limit_bytes`](crate::Config::memory_limit_bytes), checked
//!   against the process' resident memory every 10 ms. While the process is over it, new queries are refused and
//!   running queries are stopped, newest first, one every 50 ms, each with [`Error::MemoryLimit`].
//!
//! Stopping is cooperative, the only way Polars offers: a plan on the in-memory engine stops at its next operator
//! (Polars' cancel token), a plan on the streaming engine at its next output batch. The caller gets its status at
//! once; the admission slot stays held until Polars has really stopped, so a stopped query's work still counts
//! against the limit while it runs. A single allocation larger than the machine still aborts the process (Rust's
//! allocation-failure handler; docs/decisions.md).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::Error;

/// Why a running query was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// It ran past its time limit.
    TimedOut,
    /// The process went over its memory limit while it ran.
    Memory,
    /// Its caller went away.
    Cancelled,
}

/// A running query's stop flag: set once, by the first reason.
#[derive(Default)]
pub(crate) struct Stop {
    reason: AtomicU8,
    notify: Notify,
}

impl Stop {
    /// Stops the query for `reason`, unless it was stopped already.
    pub fn stop(&self, reason: Reason) {
        let code = match reason {
            Reason::TimedOut => 1,
            Reason::Memory => 2,
            Reason::Cancelled => 3,
        };
        if self.reason.compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            self.notify.notify_waiters();
        }
    }

    /// Why the query was stopped, if it was.
    pub fn reason(&self) -> Option<Reason> {
        match self.reason.load(Ordering::Acquire) {
            1 => Some(Reason::TimedOut),
            2 => Some(Reason::Memory),
            3 => Some(Reason::Cancelled),
            _ => None,
        }
    }

    /// Resolves when the query is stopped.
    pub async fn stopped(&self) -> Reason {
        loop {
            let notified = self.notify.notified();
            if let Some(reason) = self.reason() {
                return reason;
            }
            notified.await;
        }
    }
}

/// The engine's limits and the queries running under them.
pub(crate) struct Limits {
    timeout: Option<Duration>,
    memory_limit: Option<usize>,
    running: Mutex<BTreeMap<u64, Arc<Stop>>>,
    next: AtomicU64,
}

/// A query registered with the limits; unregisters when dropped.
pub(crate) struct Running {
    limits: Arc<Limits>,
    id: u64,
    /// Its stop flag (shared with whatever executes it).
    pub stop: Arc<Stop>,
    /// When it must have finished, if ever.
    pub deadline: Option<Instant>,
    /// The time limit that set the deadline.
    pub timeout: Option<Duration>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.limits.running().remove(&self.id);
    }
}

impl Running {
    /// Resolves when the query is stopped: by another party, or by its deadline passing.
    pub async fn stopped(&self) -> Reason {
        match self.deadline {
            Some(deadline) => tokio::select! {
                reason = self.stop.stopped() => reason,
                _ = tokio::time::sleep_until(deadline) => {
                    self.stop.stop(Reason::TimedOut);
                    self.stop.reason().unwrap_or(Reason::TimedOut)
                }
            },
            None => self.stop.stopped().await,
        }
    }

    /// The error a caller gets for `reason`.
    pub fn error(&self, reason: Reason) -> Error {
        match reason {
            Reason::TimedOut => Error::TimedOut { limit: self.timeout.unwrap_or_default() },
            Reason::Memory => Error::MemoryLimit {
                limit_bytes: self.limits.memory_limit.unwrap_or_default(),
                resident_bytes: resident_bytes().unwrap_or_default(),
            },
            Reason::Cancelled => Error::Task("the query's caller went away".into()),
        }
    }
}

impl Limits {
    pub fn new(timeout: Option<Duration>, memory_limit: Option<usize>) -> Arc<Limits> {
        let limits = Arc::new(Limits { timeout, memory_limit, running: Mutex::default(), next: AtomicU64::new(0) });
        if memory_limit.is_some() {
            tokio::spawn(watch_memory(Arc::downgrade(&limits)));
        }
        limits
    }

    fn running(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Stop>>> {
        self.running.lock().expect("the limits' lock is never held across a panic")
    }

    /// Registers a query with a time limit of `timeout` (the shorter of it and the engine's), or refuses it at once
    /// when the process is over its memory limit.
    pub fn start(self: &Arc<Self>, timeout: Option<Duration>) -> Result<Running, Error> {
        if let (Some(limit), Some(resident)) = (self.memory_limit, resident_bytes())
            && resident > limit
        {
            return Err(Error::MemoryLimit { limit_bytes: limit, resident_bytes: resident });
        }
        let timeout = match (self.timeout, timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let stop = Arc::new(Stop::default());
        self.running().insert(id, stop.clone());
        Ok(Running { limits: self.clone(), id, stop, deadline: timeout.map(|t| Instant::now() + t), timeout })
    }
}

/// Every 10 ms while the engine lives: over the memory limit, the newest running query not yet stopped is stopped
/// (then 50 ms for its memory to go before the next).
async fn watch_memory(limits: Weak<Limits>) {
    loop {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let Some(limits) = limits.upgrade() else { return };
        let (Some(limit), Some(resident)) = (limits.memory_limit, resident_bytes()) else { continue };
        if resident <= limit {
            continue;
        }
        let newest = limits.running().values().rev().find(|s| s.reason().is_none()).cloned();
        if let Some(stop) = newest {
            stop.stop(Reason::Memory);
            drop(limits);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The process' resident memory (Linux: `VmRSS` in `/proc/self/status`); `None` where it cannot be read.
pub fn resident_bytes() -> Option<usize> {
    proc_kib("/proc/self/status", "VmRSS:")
}

/// The machine's memory (Linux: `MemTotal` in `/proc/meminfo`); `None` where it cannot be read.
pub fn machine_memory_bytes() -> Option<usize> {
    proc_kib("/proc/meminfo", "MemTotal:")
}

/// A `key: N kB` line of a /proc file, in bytes.
fn proc_kib(path: &str, key: &str) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    let kib: usize = text.lines().find_map(|l| l.strip_prefix(key))?.split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}
