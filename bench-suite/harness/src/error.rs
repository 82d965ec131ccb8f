//! The harness's one error type. Variants carry the context a user needs to fix the problem; upstream errors are
//! kept as sources, and a message never repeats its source (printers walk the chain once:
//! `polaroid_results::error::chain`).

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
    /// A workload file that cannot be run as written (docs/workload-files.md); line and column 0 when the problem
    /// is the whole file.
    #[error("{}{}: {message}", file.display(), if *line > 0 { format!(":{line}:{column}") } else { String::new() })]
    WorkloadFile {
        /// The workload file, or the .sql file a query reads.
        file: PathBuf,
        /// 1-based line of the problem (0: none).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// A query's answer has another number of rows than its workload file expects.
    #[error("wrong answer: query '{task}' returned {got} rows; its workload file expects {expected} (expect_rows)")]
    WrongRowCount {
        /// The task (query) name.
        task: String,
        /// `expect_rows`.
        expected: u64,
        /// Rows returned.
        got: u64,
    },
    /// The Python engines' interpreter is missing or lacks their packages.
    #[error("{engines} run in Python, but {} ({from}) cannot run them: {problem}; run scripts/python-env to set up the project's venv, or set POLAROID_PYTHON to a Python that has the engines' packages", python.display())]
    PythonEngines {
        /// The Python engines selected.
        engines: String,
        /// The interpreter tried.
        python: PathBuf,
        /// Where that path came from.
        from: &'static str,
        /// What failed.
        problem: String,
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
    #[error("cannot write results to {}; choose a writable path with --out", path.display())]
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
    /// An option's value, or a combination of options, that cannot be used; the message names the option.
    #[error("{0}")]
    InvalidOption(String),
    /// Input data the workloads cannot use (no rows, no symbols, a trade with a missing value).
    #[error("{0}")]
    BadData(String),
    /// A call to the operating system failed: starting a process, runtime or thread, listening, setting a limit.
    #[error("{doing}")]
    System {
        /// What was being done, phrased as what failed (`cannot start the feed's runtime`).
        doing: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A companion process of a run (the S3 server, the tick feed, the Flight SQL server, a calibration process)
    /// failed or said something the harness cannot use.
    #[error("{what}")]
    Companion {
        /// What failed, with what the process said when that is all there is.
        what: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Reading through the S3 server failed.
    #[error("{what}")]
    Remote {
        /// The request or set-up step.
        what: String,
        /// The object store's error.
        #[source]
        source: object_store::Error,
    },
    /// The tick feed could not be reached.
    #[error("cannot connect to the tick feed at {url} after {attempts} attempts; is `polaroid-bench feed` running there?")]
    FeedUnreachable {
        /// The feed's URL.
        url: String,
        /// Connection attempts made.
        attempts: u32,
        /// The last attempt's error.
        #[source]
        source: Box<tokio_tungstenite::tungstenite::Error>,
    },
    /// The Flight SQL server refused a request of the `polaroid-flight` variant.
    #[error("{what}: the server answered {code}: {message}")]
    Server {
        /// The request.
        what: String,
        /// The gRPC status code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The Flight SQL server process could not serve.
    #[error("the Flight SQL server")]
    Serve(#[from] polaroid_server::ServeError),
    /// A task or thread of a measured engine ended without its answer (it panicked or was cancelled).
    #[error("{what}")]
    Task {
        /// The task.
        what: &'static str,
        /// Why.
        #[source]
        source: tokio::task::JoinError,
    },
    /// A query of a workload file's concurrent mix failed on its untimed answer run.
    #[error("query '{query}' of the concurrent mix: {source}")]
    MixQuery {
        /// The query's task name.
        query: String,
        /// Its engine's error.
        #[source]
        source: Box<Error>,
    },
    /// Latency histograms that cannot be merged.
    #[error("merging latency histograms")]
    Histogram(#[from] hdrhistogram::errors::AdditionError),
    /// The `mock-fail` test double's scripted failure.
    #[error("mock-fail: scripted failure")]
    Scripted,
    /// A broken invariant between the harness' own parts: a bug, reported rather than a panic.
    #[error("internal error (a bug in polaroid-bench, please report it): {0}")]
    Internal(String),
    /// Polars failed.
    #[error("polars")]
    Polars(#[from] polars::error::PolarsError),
    /// The polaroid engine failed.
    #[error("polaroid engine")]
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
    #[error("json")]
    Json(#[from] serde_json::Error),
}

/// Attaches a path to an `std::io::Error`: the one chokepoint where file errors get their context.
pub(crate) fn io_err(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { action, path, source }
}

/// Attaches what was being done to an operating system error.
pub(crate) fn system(doing: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let doing = doing.into();
    move |source| Error::System { doing, source }
}

/// An internal error: a part of the harness broke an invariant another relies on.
pub(crate) fn internal(what: impl Into<String>) -> Error {
    Error::Internal(what.into())
}
