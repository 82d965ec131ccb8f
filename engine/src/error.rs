//! The engine's one error type. Every variant names what to change; upstream errors are kept as sources, never
//! repeated in the message (print an error with its chain: `polaroid_results::error::chain`, or anyhow's `{:#}`).

use std::time::Duration;

use polars::prelude::PolarsError;

/// Result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why admission refused a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overload {
    /// The wait queue already held `queue_bound` queries.
    QueueFull {
        /// The configured bound.
        queue_bound: usize,
    },
    /// The query waited longer than `queue_timeout` for a slot.
    WaitTimeout {
        /// The configured timeout.
        queue_timeout: Duration,
    },
}

impl std::fmt::Display for Overload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Overload::QueueFull { queue_bound } => write!(f, "the wait queue is full ({queue_bound} queries waiting)"),
            Overload::WaitTimeout { queue_timeout } => {
                write!(f, "no execution slot became free within {:.3}s", queue_timeout.as_secs_f64())
            }
        }
    }
}

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file or object does not exist.
    #[error("{path}: not found; check the path (or, with an object store, the object's key)")]
    NotFound {
        /// What was asked for.
        path: String,
    },
    /// The file exists but is not readable Parquet.
    #[error("{path}: not a readable Parquet file; regenerate or replace it")]
    CorruptFile {
        /// The file.
        path: String,
        /// What Polars said.
        #[source]
        source: PolarsError,
    },
    /// The file is Parquet but lacks a column asked for, or does not match the engine's expected schema.
    #[error("{path}: schema does not match: {detail}")]
    BadSchema {
        /// The file.
        path: String,
        /// Which column or type differs.
        detail: String,
    },
    /// The handle was idle for longer than the handle TTL and was released.
    #[error("handle {id} expired: idle for more than {ttl:?}; call heartbeat() while a handle is in use, or raise handle_ttl")]
    HandleExpired {
        /// The handle's id.
        id: u64,
        /// The configured TTL.
        ttl: Duration,
    },
    /// The handle was dropped, or belongs to another engine.
    #[error("handle {id} is unknown: it was dropped, or comes from another engine")]
    UnknownHandle {
        /// The handle's id.
        id: u64,
    },
    /// Admission control refused the query rather than let memory grow.
    #[error("overloaded: {0}; retry later, or raise max_concurrent_queries, queue_bound or queue_timeout")]
    Overloaded(Overload),
    /// The engine is shutting down or shut down.
    #[error("the engine is shut down and accepts no new work")]
    ShutDown,
    /// The query ran past its time limit and was stopped.
    #[error("the query ran past its time limit of {:.3}s and was stopped; make it cheaper, or raise the limit (query_timeout; the server's --query-timeout-secs, or the call's deadline)", limit.as_secs_f64())]
    TimedOut {
        /// The limit that applied (the shorter of the engine's and the call's).
        limit: Duration,
    },
    /// The process was over its memory limit: the query was refused, or stopped while it ran.
    #[error("the process' resident memory ({resident_bytes} bytes) is over its memory limit of {limit_bytes} bytes, so the query was stopped; retry when fewer queries run, make it need less memory, or raise memory_limit_bytes (the server's --memory-limit-mib)")]
    MemoryLimit {
        /// The configured limit.
        limit_bytes: usize,
        /// The process' resident memory when the limit was found exceeded.
        resident_bytes: usize,
    },
    /// Data larger than the whole cache budget cannot be held as a handle.
    #[error("{path}: {bytes} bytes decoded exceed the cache budget of {budget_bytes} bytes; raise cache_budget_bytes or stream it (Engine::stream)")]
    TooLarge {
        /// The file.
        path: String,
        /// Its decoded size.
        bytes: usize,
        /// The configured budget.
        budget_bytes: usize,
    },
    /// The operation is not available in this configuration.
    #[error("{0}")]
    Unsupported(String),
    /// A configuration value is not usable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Reading through the object store failed.
    #[error("{path}: object store")]
    Store {
        /// The object.
        path: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },
    /// A local I/O operation failed.
    #[error("{path}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Polars failed while executing a plan.
    #[error("polars")]
    Polars(#[from] PolarsError),
    /// A blocking Polars task panicked or was cancelled (a bug, reported instead of propagated as a panic).
    #[error("a Polars task did not complete: {0}")]
    Task(String),
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Task(e.to_string())
    }
}
