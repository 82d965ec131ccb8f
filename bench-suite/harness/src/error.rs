//! The harness's one error type. Variants carry the context a user needs to fix the problem; upstream errors are
//! kept as sources.

use std::path::PathBuf;

/// Result alias for the harness.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the harness, phrased so the message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A workload name that is not in the registry.
    #[error("unknown workload '{name}'; valid workloads: {valid} (see `polaroid-bench list`)")]
    UnknownWorkload {
        /// What the user typed.
        name: String,
        /// Comma-separated valid names.
        valid: String,
    },
    /// An engine variant name that no workload knows.
    #[error("unknown engine '{name}'; valid engines: {valid} (see `polaroid-bench list`)")]
    UnknownEngine {
        /// What the user typed.
        name: String,
        /// Comma-separated valid names.
        valid: String,
    },
    /// The selection of workloads and engines leaves nothing to measure.
    #[error("nothing to measure: {0}")]
    EmptyPlan(String),
    /// A data directory given by the user does not exist.
    #[error("data directory {} does not exist; create it, or omit --data-dir to use the default", path.display())]
    MissingDataDir {
        /// The directory.
        path: PathBuf,
    },
    /// The result file cannot be written.
    #[error("cannot write results to {}: {source}; choose a writable path with --out", path.display())]
    Unwritable {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file given by the user is not Parquet.
    #[error("{} is not a Parquet file ({reason}); pass a .parquet file or a directory of them with --input", path.display())]
    NotParquet {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A Parquet file given by the user lacks the columns the workloads query.
    #[error("{} has the wrong schema: {problem}; the workloads need columns {expected} (as written by `polaroid-bench datagen`)", path.display())]
    WrongSchema {
        /// The file.
        path: PathBuf,
        /// The first problem found.
        problem: String,
        /// The expected columns and types.
        expected: String,
    },
    /// `--resume` was asked for a file that belongs to a different run configuration.
    #[error("cannot resume {}: {reason}; start a new run with a different --out, or drop --resume to overwrite it", path.display())]
    ResumeMismatch {
        /// The result file.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// The engine cannot run this task; recorded as the `unsupported` outcome.
    #[error("{engine} does not support {task}")]
    Unsupported {
        /// Engine variant.
        engine: String,
        /// Task.
        task: String,
    },
    /// The run was cancelled (Ctrl-C, SIGTERM, or a library caller's `Cancel`); every measurement
    /// finished before is in the result file, and `--resume` finishes the run.
    #[error("the run was interrupted; the measurements finished before are in the result file, and --resume finishes the run")]
    Cancelled,
    /// A measurement process could not be started or talked to.
    #[error("measurement process for {key}: {message}")]
    Child {
        /// Measurement key.
        key: String,
        /// What went wrong.
        message: String,
    },
    /// A streaming consumer's session failed the checker (lost, duplicated or mispriced ticks).
    #[error("{variant} failed the streaming checker: {what}")]
    Check {
        /// Engine variant.
        variant: String,
        /// What the checker found.
        what: String,
    },
    /// An invalid option value.
    #[error("{0}")]
    Config(String),
    /// Polars failed.
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
    /// The polaroid engine failed.
    #[error("polaroid engine: {0}")]
    Engine(#[from] polaroid::Error),
    /// File-system error with the path involved.
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done, e.g. `reading`.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Result document error.
    #[error(transparent)]
    Results(#[from] polaroid_results::Error),
    /// JSON error in an internal message.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// Attaches a path to an `std::io::Error`: the one chokepoint where file errors get their context.
pub(crate) fn io_err(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { action, path, source }
}
