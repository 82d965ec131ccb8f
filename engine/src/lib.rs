//! # polaroid: an async engine on Polars
//!
//! A Tokio-based layer that serves Polars work to many concurrent callers:
//!
//! - **Handles** ([`Engine::read_parquet`], [`Engine::scan`]) to data loaded into a cache bounded by bytes (LRU)
//!   and by idle time ([`cache`]).
//! - **Plans run where they run best** ([`Engine::collect`], [`Engine::query`], [`Engine::sink_parquet`]): plans
//!   that read files stream through Polars' streaming engine, plans over cached frames run in memory ([`plan`]).
//! - **Admission control** ([`Engine::query`], [`Engine::collect`]): at most K queries execute at once, the rest
//!   wait in a fair, bounded queue, and overload is an [`Error::Overloaded`], not memory growth ([`admission`]).
//! - **Batch reads** ([`Engine::batch_read`]) with bounded concurrency, locally or through an `object_store`.
//! - **Bounded-memory streams** ([`Engine::stream`]) over data larger than memory ([`stream`]).
//! - **Micro-batched ingest** ([`Engine::append_record`]) with a per-symbol rolling VWAP ([`ingest`]).
//! - **Query limits** ([`limit`]): a time limit per streamed query and a memory limit for the process, each
//!   breach the query's own error ([`Error::TimedOut`], [`Error::MemoryLimit`]), never the process'.
//! - **Graceful shutdown** ([`Engine::shutdown`]) that loses no acknowledged record.
//!
//! Polars never runs on the async worker threads: every decode and every plan runs on Tokio's blocking pool.
//!
//! Whether any of this is worth it for a workload is what `polaroid-bench` measures; see the repository's
//! `reports/` for what it found, losses included.

#![warn(missing_docs)]

pub mod admission;
mod builder;
pub mod cache;
mod config;
mod engine;
mod error;
pub mod ingest;
pub mod limit;
pub mod plan;
mod read;
pub mod stream;

pub use admission::AdmissionStats;
pub use cache::{CacheStats, Handle};
pub use builder::EngineBuilder;
pub use config::Config;
pub use engine::{Engine, ShutdownReport};
pub use error::{Error, Overload, Result};
pub use ingest::{IngestHook, IngestStats, Tick};
pub use plan::{Execution, ExecutionStats};
pub use stream::{FrameStream, StreamOptions, StreamSource};

/// Re-exported so callers use the same Polars and object_store versions as the engine.
pub use {object_store, polars};
