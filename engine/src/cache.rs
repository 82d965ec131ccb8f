//! Handles and the cache behind them, bounded by bytes (least recently used data goes first) and by idle time.
//!
//! A handle outlives its cached data: when the byte budget evicts a handle's frame, the next use of the handle
//! reads it again (a miss). A handle idle for longer than the TTL expires for good, and so does a dropped one.
//! Queries hold their own reference to the frame, so eviction or expiry never breaks a query in flight.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use polars::prelude::{DataFrame, LazyFrame};

use crate::error::{Error, Result};

/// A cheap, clonable reference to data the engine holds (loaded) or knows how to produce (scanned).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle {
    pub(crate) id: u64,
}

impl Handle {
    /// The handle's id (unique within its engine).
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// What a handle refers to.
#[derive(Clone)]
pub(crate) enum Source {
    /// A file read whole (or some of its columns) into memory.
    Loaded { path: String, columns: Option<Vec<String>> },
    /// A lazy scan over local files.
    Scan { files: Vec<String>, plan: LazyFrame },
}

/// Cache figures, for dashboards and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Live handles.
    pub handles: usize,
    /// Bytes of decoded data held.
    pub bytes: usize,
    /// The byte budget.
    pub budget_bytes: usize,
    /// Uses of a loaded handle whose data was in memory.
    pub hits: u64,
    /// Uses (and first loads) that had to read the data.
    pub misses: u64,
    /// Frames dropped to stay within the budget.
    pub evictions: u64,
    /// Handles released for being idle too long.
    pub expirations: u64,
}

impl CacheStats {
    /// Hits over all lookups of loaded data (0 when there were none).
    pub fn hit_rate(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 { 0.0 } else { self.hits as f64 / total as f64 }
    }
}

struct Entry {
    source: Source,
    data: Option<Arc<DataFrame>>,
    bytes: usize,
    last_used: Instant,
    tick: u64,
}

/// The handle table. Guarded by one mutex in the engine; every operation is O(handles) at worst and never runs
/// Polars.
pub(crate) struct Cache {
    entries: HashMap<u64, Entry>,
    by_key: HashMap<String, u64>,
    expired: HashSet<u64>,
    next_id: u64,
    tick: u64,
    ttl: Duration,
    stats: CacheStats,
}

/// What a lookup found.
pub(crate) struct Lookup {
    pub source: Source,
    pub data: Option<Arc<DataFrame>>,
}

fn key_of(source: &Source) -> Option<String> {
    match source {
        Source::Loaded { path, columns } => Some(format!("{path}\u{0}{columns:?}")),
        Source::Scan { .. } => None,
    }
}

impl Cache {
    pub fn new(budget_bytes: usize, ttl: Duration) -> Self {
        Cache {
            entries: HashMap::new(),
            by_key: HashMap::new(),
            expired: HashSet::new(),
            next_id: 1,
            tick: 0,
            ttl,
            stats: CacheStats { budget_bytes, ..CacheStats::default() },
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats { handles: self.entries.len(), ..self.stats }
    }

    /// The live handle for loaded data from `source`, if one exists.
    pub fn find_loaded(&mut self, source: &Source) -> Option<Handle> {
        let id = *self.by_key.get(&key_of(source)?)?;
        (!self.expire_if_idle(id) && self.entries.contains_key(&id)).then_some(Handle { id })
    }

    /// Counts a read of data that had no handle yet.
    pub fn record_miss(&mut self) {
        self.stats.misses += 1;
    }

    /// Registers a new handle; `data` (with its size) is cached when given.
    pub fn insert(&mut self, source: Source, data: Option<(Arc<DataFrame>, usize)>) -> Result<Handle> {
        let id = self.next_id;
        self.next_id += 1;
        if let Some(key) = key_of(&source) {
            self.by_key.insert(key, id);
        }
        self.tick += 1;
        let entry = Entry { source, data: None, bytes: 0, last_used: Instant::now(), tick: self.tick };
        self.entries.insert(id, entry);
        if let Some((df, bytes)) = data {
            self.store(id, df, bytes)?;
        }
        Ok(Handle { id })
    }

    /// Caches data (re)loaded for a handle, evicting least recently used frames to stay within the budget.
    pub fn store(&mut self, id: u64, df: Arc<DataFrame>, bytes: usize) -> Result<()> {
        let budget = self.stats.budget_bytes;
        let Some(entry) = self.entries.get(&id) else { return Ok(()) };
        if entry.data.is_some() {
            return Ok(());
        }
        if bytes > budget {
            let path = match &entry.source {
                Source::Loaded { path, .. } => path.clone(),
                Source::Scan { .. } => String::new(),
            };
            self.remove(id);
            return Err(Error::TooLarge { path, bytes, budget_bytes: budget });
        }
        while self.stats.bytes + bytes > budget {
            let victim = self
                .entries
                .iter()
                .filter(|(other, e)| **other != id && e.data.is_some())
                .min_by_key(|(_, e)| e.tick)
                .map(|(other, _)| *other)
                .expect("bytes over budget means some other entry holds data");
            let e = self.entries.get_mut(&victim).expect("victim exists");
            e.data = None;
            self.stats.bytes -= e.bytes;
            e.bytes = 0;
            self.stats.evictions += 1;
        }
        let entry = self.entries.get_mut(&id).expect("checked above");
        entry.data = Some(df);
        entry.bytes = bytes;
        self.stats.bytes += bytes;
        Ok(())
    }

    /// Resolves a handle, refreshing its idle clock. Loaded handles count a hit (data cached) or a miss.
    pub fn lookup(&mut self, handle: &Handle) -> Result<Lookup> {
        // Only this handle is checked here (queries are the hot path); the engine's sweeper expires the rest.
        self.expire_if_idle(handle.id);
        let Some(entry) = self.entries.get_mut(&handle.id) else {
            return Err(if self.expired.contains(&handle.id) {
                Error::HandleExpired { id: handle.id, ttl: self.ttl }
            } else {
                Error::UnknownHandle { id: handle.id }
            });
        };
        self.tick += 1;
        entry.tick = self.tick;
        entry.last_used = Instant::now();
        if matches!(entry.source, Source::Loaded { .. }) {
            if entry.data.is_some() {
                self.stats.hits += 1;
            } else {
                self.stats.misses += 1;
            }
        }
        Ok(Lookup { source: entry.source.clone(), data: entry.data.clone() })
    }

    /// Refreshes the idle clock of every handle given; the first unusable one is reported.
    pub fn heartbeat(&mut self, handles: &[Handle]) -> Result<()> {
        let now = Instant::now();
        let mut first_error = None;
        for h in handles {
            self.expire_if_idle(h.id);
            match self.entries.get_mut(&h.id) {
                Some(e) => e.last_used = now,
                None if first_error.is_none() => {
                    first_error = Some(if self.expired.contains(&h.id) {
                        Error::HandleExpired { id: h.id, ttl: self.ttl }
                    } else {
                        Error::UnknownHandle { id: h.id }
                    })
                }
                None => {}
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Releases a handle; `false` when it was not live.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some(entry) = self.entries.remove(&id) else { return false };
        self.stats.bytes -= entry.bytes;
        if let Some(key) = key_of(&entry.source)
            && self.by_key.get(&key) == Some(&id)
        {
            self.by_key.remove(&key);
        }
        true
    }

    /// Releases every handle idle for longer than the TTL.
    pub fn expire_idle(&mut self) {
        let ids: Vec<u64> = self.entries.keys().copied().collect();
        for id in ids {
            self.expire_if_idle(id);
        }
    }

    /// Releases one handle if it has been idle for longer than the TTL; `true` when it was.
    fn expire_if_idle(&mut self, id: u64) -> bool {
        let idle = self.entries.get(&id).is_some_and(|e| e.last_used.elapsed() > self.ttl);
        if idle {
            self.remove(id);
            self.expired.insert(id);
            self.stats.expirations += 1;
        }
        idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn frame(n: i64) -> Arc<DataFrame> {
        Arc::new(df!("x" => (0..n).collect::<Vec<_>>()).unwrap())
    }

    fn loaded(path: &str) -> Source {
        Source::Loaded { path: path.into(), columns: None }
    }

    #[test]
    fn least_recently_used_data_is_evicted_and_the_budget_holds() {
        let mut cache = Cache::new(250, Duration::from_secs(60));
        let a = cache.insert(loaded("a"), Some((frame(1), 100))).unwrap();
        let b = cache.insert(loaded("b"), Some((frame(1), 100))).unwrap();
        cache.lookup(&a).unwrap(); // b is now the least recently used
        let c = cache.insert(loaded("c"), Some((frame(1), 100))).unwrap();
        assert!(cache.stats().bytes <= 250);
        assert_eq!(cache.stats().evictions, 1);
        assert!(cache.lookup(&b).unwrap().data.is_none(), "b was evicted");
        assert!(cache.lookup(&a).unwrap().data.is_some());
        assert!(cache.lookup(&c).unwrap().data.is_some());
    }

    #[test]
    fn data_larger_than_the_budget_is_refused() {
        let mut cache = Cache::new(10, Duration::from_secs(60));
        let err = cache.insert(loaded("big"), Some((frame(1), 11))).unwrap_err();
        assert!(matches!(err, Error::TooLarge { bytes: 11, budget_bytes: 10, .. }), "{err}");
        assert_eq!(cache.stats().handles, 0);
    }

    #[test]
    fn idle_handles_expire_and_dropped_ones_are_unknown() {
        let mut cache = Cache::new(1000, Duration::from_millis(20));
        let a = cache.insert(loaded("a"), None).unwrap();
        let b = cache.insert(loaded("b"), None).unwrap();
        assert!(cache.remove(b.id));
        std::thread::sleep(Duration::from_millis(40));
        assert!(matches!(cache.lookup(&a), Err(Error::HandleExpired { .. })));
        assert!(matches!(cache.lookup(&b), Err(Error::UnknownHandle { .. })));
        assert_eq!(cache.stats().expirations, 1);
    }
}
