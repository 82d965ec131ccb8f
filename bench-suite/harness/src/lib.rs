//! polaroid-bench: the harness that measures dataframe engines, Polars variants and the polaroid async engine, on
//! the same Parquet files, each measurement in its own process, with answers cross-checked before timings count.
//!
//! Rooms, in the order data flows:
//! - [`data`]: deterministic synthetic trades as Parquet, fingerprints, user-file validation.
//! - [`plans`]: the queries, written once with Polars' lazy API and shared by every engine.
//! - [`engines`]: one file per variant under test behind one narrow trait.
//! - [`workloads`]: the registry: datasets, tasks, sweeps and the drivers that time them.
//! - [`feed`]: the streaming workload's WebSocket tick feed, its clients and its checker.
//! - [`flight`]: concurrent-query's Flight SQL server process (the networked `polaroid-flight` variant).
//! - [`measure`]: process isolation, memory caps, peak memory, the sysinfo sampler, the child side.
//! - [`answer`]: order-independent answer digests.
//! - [`runner`]: options -> plan -> measurements -> result file (rewritten after each one; resumable).
//! - [`protocol`] (a leaf: the jobs and types sent to worker processes, and how to start one), [`worker`] (what a
//!   worker process does with its job).
//! - [`calibrate`], [`provenance`], [`observer`]: machine limits, where results come from, progress hooks.
//!
//! The result model, statistics and rendering live in `polaroid-results`, which does not link Polars.
#![warn(missing_docs)]

pub mod answer;
pub mod calibrate;
pub mod cancel;
pub mod catalog;
pub mod companion;
pub mod data;
pub mod engines;
pub mod error;
pub mod feed;
pub mod flight;
pub mod gate;
pub mod measure;
pub mod observer;
pub mod plans;
pub mod probe;
pub mod protocol;
pub mod provenance;
pub mod remote;
pub mod s3;
pub mod runner;
pub mod worker;
pub mod workloads;

pub use error::{Error, Result};
pub use observer::{NoopObserver, Observer};
pub use catalog::catalog;
pub use runner::{RunOptions, run};
pub use workloads::Size;
