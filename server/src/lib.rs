//! # polaroid-server: the polaroid engine behind Arrow Flight SQL
//!
//! Any Flight SQL client (ADBC's Flight SQL driver, JDBC, the async Python client `polaroid.connect`) can:
//!
//! - run **SQL** over registered Parquet tables ([`catalog`]): Polars' SQL context plans it, the engine runs it under
//!   its admission control and cache, and the result streams back as Arrow record batches, bounded in memory;
//! - **append ticks** with Flight SQL bulk ingest into the table `ticks`, acknowledged once the engine holds them
//!   ([`ingest`]), and query `ticks` and the rolling `vwap` live;
//! - call polaroid's own **actions** ([`actions`]): register, read_parquet (a handle), batch_read, drop, heartbeat
//!   (version, uptime, cache, admission and ingest figures), flush.
//!
//! Errors are the server's [`Error`], turned into gRPC statuses that say what to fix in one place ([`status`]). [`serve`] binds, serves and drains on stop; the
//! `polaroid-server serve` command runs it. [`client`] is the Rust client the benchmark harness uses.

#![warn(missing_docs)]

pub mod actions;
pub mod catalog;
pub mod client;
pub mod convert;
pub mod error;
pub mod ingest;
pub mod serve;
pub mod service;
pub mod status;

pub use error::Error;
pub use serve::{Options, Report, ServeError, blocking_threads, runtime, serve};
pub use service::Service;
