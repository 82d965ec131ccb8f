//! Instructions executed by a measurement's timed work (`run --instructions`): a second metric beside time, counted
//! by Valgrind's Cachegrind with its cache simulation off, which is deterministic where time is not (the A/A pairs
//! of reports/instructions-2026-12-01 count within a tenth of a percent where their times differ by far more).
//!
//! **How the timed work is isolated: by subtraction.** The measurement's job runs twice under the simulator, in
//! processes of their own (at once): once with one timed run (set-up, warm-up, the run) and once with none (set-up
//! and warm-up only); the difference is the instructions of one timed run. Not Valgrind's client requests
//! around the timed loop: Cachegrind's start/stop requests need Valgrind 3.22 (Debian 12 ships 3.19), and Callgrind's
//! collection toggle is per thread, while the work runs on Polars' and Tokio's threads; and the binary would need the
//! requests compiled in. What the subtraction costs: a second process under the simulator, and the set-up's own
//! variation (thread scheduling under the simulator) in the difference, which the A/A runs in docs/ci.md measure.
//!
//! Only what this binary runs is counted: a Python worker, a Ballista cluster or the Flight server would count the
//! client's instructions and not the engine's, and work paced by a clock (closed loops, a feed, an S3 server's
//! latency) is not a fixed amount of work. Those measurements say why they were skipped.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use polaroid_results::Instructions;

use crate::engines::EngineKind;
use crate::error::{Error, Result};
use crate::measure::{FAILURE_PREFIX, REPORT_PREFIX, drain};
use crate::workloads::{ChildSpec, Params, Workload};

/// The simulator's program.
const VALGRIND: &str = "valgrind";

/// What runs the count, as recorded in results: `valgrind-3.19.0 cachegrind --cache-sim=no`. A missing Valgrind is an
/// error that names the package to install.
pub fn tool() -> Result<String> {
    let out = Command::new(VALGRIND).arg("--version").output().map_err(|e| Error::InvalidOption(format!(
        "--instructions counts instructions with Valgrind, which cannot be run here ({e}): install the `valgrind` package (apt install valgrind, dnf install valgrind)"
    )))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || version.is_empty() {
        return Err(Error::InvalidOption(format!("`valgrind --version` failed ({}): reinstall the `valgrind` package", out.status)));
    }
    Ok(format!("{version} cachegrind --cache-sim=no"))
}

/// Why a measurement's instructions cannot be counted (`None`: they can), decided from what it is before anything is
/// started for it.
pub fn skip_reason(workload: &Workload, engine: EngineKind, params: &Params) -> Option<String> {
    if let Some(reason) = workload.no_instructions {
        return Some(reason.to_string());
    }
    if engine.is_python() {
        return Some("the engine runs in a Python worker: its instructions are the interpreter's and the engine's libraries', not this binary's".into());
    }
    if engine.is_ballista() {
        return Some("the work runs in a Ballista cluster's processes, not in the measured client".into());
    }
    if engine == EngineKind::PolaroidFlight {
        return Some("the work runs in the Flight server's process, not in the measured client".into());
    }
    if params.latency_ms.unwrap_or(0) > 0 {
        return Some("reads through the S3 server with a latency: the work waits on the clock".into());
    }
    None
}

/// Timed runs of the counting process: one is enough for a count (the simulator's slowdown makes every run costly).
const COUNTED_RUNS: usize = 1;

/// Counts the instructions of one timed run of `spec`'s job as `binary` runs it: the job with [`COUNTED_RUNS`] timed
/// runs and without, each in a process of its own under the simulator, both at once (the simulator runs a process's
/// threads one at a time, so two processes use the two cores of a small machine); no memory cap (Valgrind reserves
/// address space of its own).
pub fn count(binary: &Path, key: &str, spec: &ChildSpec, tool: &str, timeout: Duration, cancel: &crate::cancel::Cancel) -> Result<Instructions> {
    let mut with = spec.clone();
    with.rlimit_bytes = None;
    with.settings.runs = COUNTED_RUNS;
    with.scratch_dir = spec.scratch_dir.join("with");
    let mut without = with.clone();
    without.settings.runs = 0;
    without.scratch_dir = spec.scratch_dir.join("without");
    let (with_runs, without_runs) = std::thread::scope(|s| {
        let other = s.spawn(|| one(binary, key, &without, timeout, cancel));
        let mine = one(binary, key, &with, timeout, cancel);
        (mine, other.join().unwrap_or_else(|_| Err(Error::Child { key: key.into(), message: "the counting thread panicked".into() })))
    });
    let (with_runs, without_runs) = (with_runs?, without_runs?);
    let per_run = (with_runs as f64 - without_runs as f64) / COUNTED_RUNS as f64;
    Ok(Instructions::Counted { per_run, runs: COUNTED_RUNS, with_runs, without_runs, tool: tool.to_string() })
}

/// One process of the job under Cachegrind: the instructions it executed, from its output file's `summary:` line.
fn one(binary: &Path, key: &str, spec: &ChildSpec, timeout: Duration, cancel: &crate::cancel::Cancel) -> Result<u64> {
    let child_err = |message: String| Error::Child { key: key.to_string(), message: format!("counting instructions: {message}") };
    let out_file = spec.scratch_dir.join("cachegrind.out");
    std::fs::create_dir_all(&spec.scratch_dir).map_err(crate::error::io_err("creating scratch directory", &spec.scratch_dir))?;
    let mut cmd = Command::new(VALGRIND);
    cmd.args(["--tool=cachegrind", "--cache-sim=no"]).arg(format!("--cachegrind-out-file={}", out_file.display()));
    cmd.arg(binary).arg(crate::protocol::SUBCOMMAND);
    cmd.envs(EngineKind::from_name(&spec.engine).map(|k| k.env()).unwrap_or_default());
    let job = crate::protocol::Job::Measure(spec.clone());
    let mut child = crate::protocol::start_command(cmd, &job, |_| Ok(()))?;
    let stdout = drain(child.stdout.take().expect("stdout was piped"));
    let stderr = drain(child.stderr.take().expect("stderr was piped"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(crate::error::system("waiting for the counting process"))? {
            break status;
        }
        if cancel.is_cancelled() || start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(&out_file);
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            return Err(child_err(format!("still running after {:.0} s under the simulator (the measurement's timeout)", timeout.as_secs_f64())));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let text = std::fs::read_to_string(&out_file);
    let _ = std::fs::remove_file(&out_file);
    if let Some(failure) = stdout.lines().find_map(|l| l.strip_prefix(FAILURE_PREFIX)) {
        return Err(child_err(format!("the job failed under the simulator: {failure}")));
    }
    if !status.success() || !stdout.lines().any(|l| l.starts_with(REPORT_PREFIX)) {
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(child_err(format!("the process under the simulator ended with {status} and no report: {}", tail.join(" | "))));
    }
    let text = text.map_err(|e| child_err(format!("Cachegrind wrote no output file {}: {e}", out_file.display())))?;
    summary(&text).ok_or_else(|| child_err(format!("no `summary:` line in Cachegrind's output file {}", out_file.display())))
}

/// The instruction count of a Cachegrind output file (`events: Ir` ... `summary: 123`).
fn summary(text: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix("summary:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_read_from_cachegrinds_summary_line() {
        let text = "version: 2\ncmd: x\nevents: Ir\nfl=a.rs\n1 5\nsummary: 75629164\n";
        assert_eq!(summary(text), Some(75_629_164));
        assert_eq!(summary("events: Ir\n"), None);
    }
}
