//! The result model of polaroid benchmarks, and everything that reads it without needing Polars.
//!
//! This crate is the contract between the harness that measures (crate `polaroid-bench`, which links Polars) and
//! everything that consumes measurements: the summary table, reports, charts, the CI gate, the Python package and the
//! Jupyter kernel. It compiles in seconds so those consumers can load and show results without compiling Polars.
//!
//! - [`model`]: the versioned JSON document (`RunResult`) and its parts; every field is described in
//!   `docs/result-schema.md`.
//! - [`stats`]: statistics with the measurement process as the unit: summaries, the t-test, Holm, and the one
//!   rule ([`stats::judge`]) every verdict uses.
//! - [`compare`]: the CI gate (two runs); [`table`]: the summary table and a task's standing (wins, ties);
//!   [`rows`]: one flat row per measurement.
//! - [`report`], [`chart`], [`history`]: Markdown and HTML reports (also as an embeddable fragment), SVG charts.
//! - [`events`]: a run's progress as typed events; [`catalog`]: what a harness binary can measure.
//! - [`units`]: human formatting of seconds, bytes and rates; [`binary`]: where the `polaroid-bench` binary is;
//!   [`launch`]: a run's command line, default result path and exit codes, and a server's announced address.
#![warn(missing_docs)]

pub mod binary;
pub mod catalog;
pub mod chart;
pub mod compare;
pub mod error;
pub mod events;
pub mod history;
pub mod launch;
pub mod model;
#[cfg(feature = "render")]
pub mod render;
pub mod report;
pub mod rows;
pub mod stats;
pub mod table;
pub mod units;

pub use error::{Error, Result};
pub use model::*;
