//! The result model of polaroid benchmarks, and everything that reads it without needing Polars.
//!
//! This crate is the contract between the harness that measures (crate `polaroid-bench`, which links Polars) and
//! everything that consumes measurements: the summary table, reports, charts, the CI gate, the Python package and the
//! Jupyter kernel. It compiles in seconds so those consumers can load and show results without compiling Polars.
//!
//! - [`model`]: the versioned JSON document (`RunResult`) and its parts; every field is described in
//!   `docs/result-schema.md`.
//! - [`stats`]: median, spread and a bootstrap confidence interval of the median.
//! - [`table`]: the end-of-run summary table (median, CI, peak memory, ratio to the best variant).
//! - [`units`]: human formatting of seconds, bytes and rates.
#![warn(missing_docs)]

pub mod catalog;
pub mod chart;
pub mod compare;
pub mod error;
pub mod events;
pub mod history;
pub mod model;
pub mod report;
pub mod stats;
pub mod table;
pub mod units;

pub use error::{Error, Result};
pub use model::*;
