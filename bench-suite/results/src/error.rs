//! Errors of the result crate: reading, writing and validating result documents.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong when loading or saving a result document.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read or written.
    #[error("cannot {action} result file {}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a polaroid result document.
    #[error("{} is not a polaroid result document (expected JSON written by `polaroid-bench run`)", path.display())]
    Parse {
        /// The file concerned.
        path: PathBuf,
        /// The JSON error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The document was written by a different schema version than this build understands.
    #[error(
        "{} has schema_version {found}, this build reads schema_version {expected}; re-run the benchmark with this version or use a matching polaroid-bench",
        path.display()
    )]
    SchemaVersion {
        /// The file concerned.
        path: PathBuf,
        /// Version found in the file.
        found: u32,
        /// Version this build writes and reads.
        expected: u32,
    },
    /// Two runs that cannot be compared.
    #[error("cannot compare these runs: {0}")]
    Incomparable(String),
    /// A chart or report could not be drawn.
    #[error("cannot draw {what}: {message}")]
    Render {
        /// The chart or report.
        what: String,
        /// The backend's error.
        message: String,
    },
    /// The `polaroid-bench` binary is nowhere `binary::locate` looked.
    #[error(
        "cannot find the polaroid-bench binary; looked at: {tried}. Build it with `scripts/bench --version` in the polaroid repository (or `cargo build --release -p polaroid-bench`), install the polaroid-bench wheel, or set $POLAROID_BENCH_BIN"
    )]
    BinaryNotFound {
        /// Every place looked at, `; `-separated.
        tried: String,
    },
    /// A directory with no readable result file.
    #[error("no result files (*.json or *.json.gz written by `polaroid-bench run`) in {}{}", dir.display(), if skipped.is_empty() { String::new() } else { format!("; skipped: {skipped}") })]
    NoResults {
        /// The directory.
        dir: PathBuf,
        /// Files that were not results, with the reason, `; `-separated.
        skipped: String,
    },
}
