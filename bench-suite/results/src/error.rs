//! Errors of the result crate: reading, writing and validating result documents; and [`chain`], how every polaroid
//! front end prints an error.
//!
//! The rule every polaroid crate follows: an error's message says what went wrong and what to change, and never
//! repeats its cause; the cause is its `source()`. A printer walks the chain once, with [`chain`] (the CLIs, the
//! server's statuses, the Python module, the kernel).

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
    /// A document to render or check cannot be read or written.
    #[error("cannot {action} document {}", path.display())]
    Document {
        /// `read` or `write`.
        action: &'static str,
        /// The document.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A document's binding of a figure to a result file is malformed or names what the file does not hold.
    #[error("{}:{line}: {message}", path.display())]
    Binding {
        /// The document.
        path: PathBuf,
        /// Its line (1-based).
        line: usize,
        /// What is wrong and what to write.
        message: String,
    },
    /// A binary is nowhere `binary::Binary::locate` looked.
    #[error("cannot find the {name} binary; looked at: {tried}. {how_to_get}, or set ${env_var}")]
    BinaryNotFound {
        /// The binary's name.
        name: &'static str,
        /// Every place looked at, `; `-separated.
        tried: String,
        /// How to get one.
        how_to_get: &'static str,
        /// The environment variable that names it.
        env_var: &'static str,
    },
    /// A run that cannot be started as asked.
    #[error("cannot start the run: {0}")]
    Launch(String),
    /// `polaroid-bench <command>` exited with an error; `message` is its own error line.
    #[error("polaroid-bench {command} failed (exit code {code}): {message}")]
    RunFailed {
        /// The subcommand: `run`, `list`.
        command: &'static str,
        /// Its exit code.
        code: i32,
        /// What it said (its `error:` lines, else its last lines).
        message: String,
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

/// An error and its causes on one line, `what: cause: cause's cause` (as anyhow's `{:#}` prints it), leaving out a
/// cause whose text the line already holds (some upstream errors print their source and also return it).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !said.is_empty() && !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("middle says {0}")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn a_chain_prints_each_cause_once() {
        let e = Outer(Middle(std::io::Error::other("disk full")));
        // Middle prints its source and returns it: the io error appears once.
        assert_eq!(chain(&e), "outer: middle says disk full");
        let e = Error::Io { action: "read", path: "r.json".into(), source: std::io::Error::other("no such file") };
        assert_eq!(chain(&e), "cannot read result file r.json: no such file");
    }
}
