//! Where the `polaroid-bench` binary is. Every front end (the harness library, the Python package, the Jupyter
//! kernel's prelude) starts measurements as processes of that binary, and finds it the same way.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A binary polaroid's front ends start, and how to find it.
#[derive(Debug, Clone, Copy)]
pub struct Binary {
    /// Its file name.
    pub name: &'static str,
    /// The environment variable that names it.
    pub env_var: &'static str,
    /// How to get one, for the error when none is found.
    pub how_to_get: &'static str,
}

/// `polaroid-bench`: the runner and every measurement process.
pub const BENCH: Binary = Binary {
    name: "polaroid-bench",
    env_var: "POLAROID_BENCH_BIN",
    how_to_get: "Build it with `scripts/bench --version` in the polaroid repository (or `cargo build --release -p polaroid-bench`), install the polaroid-bench wheel",
};

/// `polaroid-server`: the engine behind Arrow Flight SQL.
pub const SERVER: Binary = Binary {
    name: "polaroid-server",
    env_var: "POLAROID_SERVER_BIN",
    how_to_get: "Build it with `cargo build --release -p polaroid-server` in the polaroid repository",
};

/// The environment variable that names the `polaroid-bench` binary.
pub const ENV_VAR: &str = BENCH.env_var;

/// Finds the `polaroid-bench` binary: [`Binary::locate`] for [`BENCH`].
pub fn locate(explicit: Option<&Path>, candidates: &[PathBuf]) -> Result<PathBuf> {
    BENCH.locate(explicit, candidates)
}

impl Binary {
    /// Finds the binary: `explicit` if given, else the one its environment variable names, else the binary on
    /// `PATH`, else the front end's own `candidates` (the Python package: the one a wheel installed beside the
    /// interpreter), else the release build of the repository's scripts (`$CARGO_TARGET_DIR` or
    /// `~/.cache/polaroid/target`, then `release/<name>`). The error names every place and how to get one.
    pub fn locate(&self, explicit: Option<&Path>, candidates: &[PathBuf]) -> Result<PathBuf> {
        if let Some(p) = explicit {
            return if p.is_file() { Ok(p.to_path_buf()) } else { Err(self.not_found(&[format!("{} (given)", p.display())])) };
        }
        let mut tried = Vec::new();
        if let Some(p) = std::env::var_os(self.env_var).map(PathBuf::from) {
            if p.is_file() {
                return Ok(p);
            }
            tried.push(format!("{} (${})", p.display(), self.env_var));
        } else {
            tried.push(format!("${} (not set)", self.env_var));
        }
        let on_path = std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(self.name)).find(|p| p.is_file()));
        if let Some(p) = on_path {
            return Ok(p);
        }
        tried.push(format!("{} on PATH", self.name));
        for p in candidates {
            if p.is_file() {
                return Ok(p.clone());
            }
            tried.push(p.display().to_string());
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/polaroid/target")));
        if let Some(p) = target.map(|t| t.join("release").join(self.name)) {
            if p.is_file() {
                return Ok(p);
            }
            tried.push(format!("{} (the scripts' release build)", p.display()));
        }
        Err(self.not_found(&tried))
    }

    fn not_found(&self, tried: &[String]) -> Error {
        Error::BinaryNotFound { name: self.name, tried: tried.join("; "), how_to_get: self.how_to_get, env_var: self.env_var }
    }
}
