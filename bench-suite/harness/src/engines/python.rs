//! The Python engines (`py-polars`, `py-polars-in-memory`, `duckdb`, `datafusion`): each measurement is a process of the project's
//! Python interpreter running `python_worker.py` (compiled into this binary), which speaks the worker protocol of
//! every measurement process: the job as JSON on stdin, one report line on stdout. The runner caps, samples, times
//! out and kills it like any other measurement process.

use std::path::PathBuf;
use std::process::Command;

use crate::engines::{Engine, EngineKind, Input, Op, Output};
use crate::error::{Error, Result};

/// The worker's source.
pub const WORKER: &str = include_str!("python_worker.py");

/// The interpreter the Python engines run in, and why it was chosen (for errors).
pub fn interpreter() -> (PathBuf, &'static str) {
    if let Some(python) = std::env::var_os("POLAROID_PYTHON") {
        return (PathBuf::from(python), "POLAROID_PYTHON");
    }
    let venv = std::env::var_os("POLAROID_VENV").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        home.join(".cache/polaroid/venv")
    });
    (venv.join("bin/python"), "the project's venv (scripts/python-env)")
}

/// The command of a Python measurement process (its job still to be sent on stdin).
pub fn command() -> Result<Command> {
    let (python, _) = interpreter();
    let mut cmd = Command::new(python);
    cmd.arg("-c").arg(WORKER);
    Ok(cmd)
}

/// The package each Python engine imports.
fn package(kind: EngineKind) -> Option<&'static str> {
    match kind {
        EngineKind::PyPolars | EngineKind::PyPolarsInMemory => Some("polars"),
        EngineKind::DuckDb => Some("duckdb"),
        EngineKind::DataFusion => Some("datafusion"),
        _ => None,
    }
}

/// Checks, before anything runs, that the interpreter exists and imports what `kinds` need; the error names the
/// engines, the interpreter and the command that installs them.
pub fn check(kinds: &[EngineKind]) -> Result<()> {
    let mut packages: Vec<&str> = kinds.iter().filter_map(|k| package(*k)).collect();
    packages.sort_unstable();
    packages.dedup();
    if packages.is_empty() {
        return Ok(());
    }
    let engines = kinds.iter().filter(|k| k.is_python()).map(|k| k.name()).collect::<Vec<_>>().join(", ");
    let (python, from) = interpreter();
    let missing = |problem: String| Error::PythonEngines { engines: engines.clone(), python: python.clone(), from, problem };
    if !python.is_file() {
        return Err(missing("there is no such interpreter".into()));
    }
    let imports = format!("import {}", packages.join(", "));
    let out = Command::new(&python).args(["-c", &imports]).output().map_err(|e| missing(format!("it cannot be started ({e})")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim().to_string();
        return Err(missing(format!("`{imports}` fails: {last}")));
    }
    Ok(())
}

/// What a Python engine is inside this binary: nothing (its measurements run in Python, `command`).
pub struct NotHere(pub EngineKind);

impl Engine for NotHere {
    fn execute(&self, _: &Input, _: &Op) -> Result<Output> {
        Err(crate::error::internal(format!("{} runs in a Python worker process, not in polaroid-bench", self.0.name())))
    }
}
