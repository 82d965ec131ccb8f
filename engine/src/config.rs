//! The engine's settings (`builder.rs` validates them).

use std::time::Duration;

use polars::prelude::Schema;

use crate::ingest::IngestHook;

/// Resolved settings of an [`Engine`](crate::Engine). Built with [`EngineBuilder`](crate::EngineBuilder).
#[derive(Debug, Clone)]
pub struct Config {
    /// The most queries that execute at once (admission control); the rest wait in a fair queue. This bounds the
    /// memory queries' intermediates can take. With `adaptive_admission`, the engine finds the limit in
    /// `1..=max_concurrent_queries` from measured latency ([`crate::admission`]); without, it is this.
    pub max_concurrent_queries: usize,
    /// Whether the limit adapts to measured latency (the default) or stays at `max_concurrent_queries`.
    pub adaptive_admission: bool,
    /// Queries allowed to wait for a slot; one more gets [`Error::Overloaded`].
    pub queue_bound: usize,
    /// How long a query may wait for a slot before it gets [`Error::Overloaded`].
    pub queue_timeout: Duration,
    /// Bytes of decoded data the handle cache may hold (least recently used data is evicted first).
    pub cache_budget_bytes: usize,
    /// A handle not used (nor heartbeated) for this long expires and its data is released.
    pub handle_ttl: Duration,
    /// Files fetched and decoded at once by `batch_read` and streaming.
    pub read_concurrency: usize,
    /// Frames a stream reads ahead of its consumer.
    pub stream_prefetch: usize,
    /// Records the ingest channel holds before `append_*` waits (backpressure).
    pub ingest_capacity: usize,
    /// An ingest micro-batch holds at most this many records (whatever is queued, up to this).
    pub ingest_batch_records: usize,
    /// A batch that is not full waits this long after its oldest record for more (zero: it is applied as soon as
    /// nothing more is queued, the lowest latency; longer makes fewer, larger frames when records trickle in).
    pub ingest_batch_delay: Duration,
    /// Window of the per-symbol rolling VWAP, in the records' own timestamps.
    pub vwap_window: Duration,
    /// The longest a streamed query ([`Engine::stream`](crate::Engine::stream)) may run, waiting for a
    /// slot included; past it, it is stopped with [`Error::TimedOut`](crate::Error::TimedOut). `None`: no limit
    /// (a call may still set its own). See [`crate::limit`].
    pub query_timeout: Option<Duration>,
    /// The process' resident memory above which streamed queries are refused and running ones stopped, newest
    /// first ([`Error::MemoryLimit`](crate::Error::MemoryLimit)). `None`: no limit. See [`crate::limit`].
    pub memory_limit_bytes: Option<usize>,
    /// Columns and types every file read must have (`None`: no check beyond requested columns).
    pub expected_schema: Option<Schema>,
    /// Called with each ingest micro-batch right after it is stored and visible in the rolling VWAP.
    pub on_ingest_applied: Option<IngestHook>,
}

impl Default for Config {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Config {
            max_concurrent_queries: 8 * cores,
            adaptive_admission: true,
            queue_bound: 1024,
            queue_timeout: Duration::from_secs(30),
            cache_budget_bytes: 1 << 30,
            handle_ttl: Duration::from_secs(300),
            read_concurrency: 16,
            stream_prefetch: 2,
            ingest_capacity: 65_536,
            ingest_batch_records: 4096,
            ingest_batch_delay: Duration::ZERO,
            vwap_window: Duration::from_secs(60),
            query_timeout: None,
            memory_limit_bytes: None,
            expected_schema: None,
            on_ingest_applied: None,
        }
    }
}
