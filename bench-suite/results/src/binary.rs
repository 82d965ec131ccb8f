//! Where the `polaroid-bench` binary is. Every front end (the harness library, the Python package, the Jupyter
//! kernel's prelude) starts measurements as processes of that binary, and finds it the same way.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable that names the binary.
pub const ENV_VAR: &str = "POLAROID_BENCH_BIN";

/// Finds the `polaroid-bench` binary: `explicit` if given, else `$POLAROID_BENCH_BIN`, else `polaroid-bench` on
/// `PATH`, else the front end's own `candidates` (the Python package: the binary its wheel installed beside the
/// interpreter), else the release build of the repository's scripts (`$CARGO_TARGET_DIR` or
/// `~/.cache/polaroid/target`, then `release/polaroid-bench`). The error names every place and how to get one.
pub fn locate(explicit: Option<&Path>, candidates: &[PathBuf]) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return if p.is_file() { Ok(p.to_path_buf()) } else { Err(not_found(&[format!("{} (given)", p.display())])) };
    }
    let mut tried = Vec::new();
    if let Some(p) = std::env::var_os(ENV_VAR).map(PathBuf::from) {
        if p.is_file() {
            return Ok(p);
        }
        tried.push(format!("{} (${ENV_VAR})", p.display()));
    } else {
        tried.push(format!("${ENV_VAR} (not set)"));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("polaroid-bench")).find(|p| p.is_file()));
    if let Some(p) = on_path {
        return Ok(p);
    }
    tried.push("polaroid-bench on PATH".into());
    for p in candidates {
        if p.is_file() {
            return Ok(p.clone());
        }
        tried.push(p.display().to_string());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/polaroid/target")));
    if let Some(p) = target.map(|t| t.join("release/polaroid-bench")) {
        if p.is_file() {
            return Ok(p);
        }
        tried.push(format!("{} (the scripts' release build)", p.display()));
    }
    Err(not_found(&tried))
}

fn not_found(tried: &[String]) -> Error {
    Error::BinaryNotFound { tried: tried.join("; ") }
}
