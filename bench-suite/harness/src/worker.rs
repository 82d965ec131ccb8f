//! The worker protocol: how the harness library makes a process of the `polaroid-bench` binary do one job.
//!
//! Every process the runner starts (a measurement, the decode calibration, the streaming feed) is
//! `polaroid-bench __worker` with one [`Job`] as JSON on its stdin. The binary's hidden subcommand calls [`main`].
//! Front ends that link the library (a Python extension, a Jupyter kernel) are not that binary: they name it, and
//! [`locate`] finds it when they do not.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::feed::process::FeedOptions;
use crate::workloads::ChildSpec;

/// The hidden subcommand of `polaroid-bench` that runs [`main`].
pub const SUBCOMMAND: &str = "__worker";

/// Where [`locate`] looks for the binary when it is not named, after `$POLAROID_BENCH_BIN` and `PATH`.
pub const ENV_VAR: &str = "POLAROID_BENCH_BIN";

/// One job for a worker process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// One measurement process: prints one report line (see `measure`).
    Measure(ChildSpec),
    /// Parquet decode throughput of these files, in compressed bytes per second, printed as one number. Thread
    /// count from `POLARS_MAX_THREADS` in the worker's environment.
    CalibrateDecode {
        /// Files to decode.
        files: Vec<PathBuf>,
    },
    /// The streaming workload's tick feed: prints its URL, serves, prints its usage (see `feed::process`).
    Feed(FeedOptions),
}

/// Starts `binary __worker`, hands it `job` on stdin (after `before_job` ran with the child's pid, e.g. to move it
/// into a cgroup before it allocates anything) and returns the running child with stdout and stderr piped.
pub fn start(binary: &Path, job: &Job, configure: impl FnOnce(&mut Command), before_job: impl FnOnce(u32) -> Result<()>) -> Result<Child> {
    let mut cmd = Command::new(binary);
    cmd.arg(SUBCOMMAND).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    configure(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| Error::Config(format!("cannot start {} {SUBCOMMAND}: {e}", binary.display())))?;
    let kill = |child: &mut Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    if let Err(e) = before_job(child.id()) {
        kill(&mut child);
        return Err(e);
    }
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let written = serde_json::to_vec(job).map_err(Error::from).and_then(|bytes| {
        stdin.write_all(&bytes).and_then(|_| stdin.flush()).map_err(|e| Error::Config(format!("cannot send the job to the worker: {e}")))
    });
    drop(stdin);
    if let Err(e) = written {
        kill(&mut child);
        return Err(e);
    }
    Ok(child)
}

/// The worker: reads one [`Job`] from stdin and does it. Returns the process exit code (2: no valid job).
pub fn main() -> i32 {
    crate::probe::die_with_parent();
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("polaroid-bench worker: cannot read the job from stdin: {e}");
        return 2;
    }
    let job: Job = match serde_json::from_str(&input) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("polaroid-bench worker: the job on stdin is not valid ({e}); this binary may be from another version than the runner");
            return 2;
        }
    };
    let done = match job {
        Job::Measure(spec) => return crate::measure::child::measure_main(&spec),
        Job::CalibrateDecode { files } => crate::calibrate::decode_throughput(&files).map(|t| println!("{t}")),
        Job::Feed(options) => crate::feed::process::feed_machine_main(&options),
    };
    match done {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("polaroid-bench worker: {}", crate::measure::child::error_chain(&e));
            1
        }
    }
}

/// Finds the `polaroid-bench` binary for the worker processes: `explicit` if given, else `$POLAROID_BENCH_BIN`,
/// else `polaroid-bench` on `PATH`, else the release build of the repository's scripts
/// (`$CARGO_TARGET_DIR` or `~/.cache/polaroid/target`, then `release/polaroid-bench`). The error names every place
/// and the command that builds it.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
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
    Error::Config(format!(
        "cannot find the polaroid-bench binary; looked at: {}. Build it with `scripts/bench --version` in the polaroid repository (or `cargo build --release -p polaroid-bench`), or set ${ENV_VAR}",
        tried.join("; ")
    ))
}
