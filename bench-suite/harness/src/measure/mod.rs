//! Process isolation: every measurement runs in a fresh child process (this same binary, hidden subcommand
//! `__worker`), so peak memory comes from the kernel, thread settings take effect, a crash or an OOM kill costs
//! one measurement and nothing else, and no measurement warms the heap of the next.
//!
//! The parent ([`run_child`]) puts the child under its memory cap before sending it its task, samples its RSS and
//! CPU with sysinfo every [`SAMPLE_INTERVAL`], enforces the timeout, and reaps it with `wait4`.
//!
//! Peak memory is the kernel's high-water mark of the child's own address space, `VmHWM`: the child reports it at
//! the end, and the parent reads it from /proc while the child runs (for children that get killed). `ru_maxrss` is
//! deliberately not used: Linux carries the spawning process's high-water mark into the child across `exec`
//! (the harness measured every child at the parent's 297 MiB before this was fixed).
//! The child side is [`child::child_main`].
// wait4 and kill have no safe std equivalent that also returns the child's rusage.
#![allow(unsafe_code)]

pub mod cap;
pub mod child;
pub mod instructions;

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use polaroid_results::TimelinePoint;

use crate::error::{Error, Result};
use crate::workloads::{ChildReport, ChildSpec};
use cap::CapGuard;

/// How often the parent samples the child.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(20);
/// Timelines longer than this are thinned (pairs merged, keeping the larger RSS) so result files stay small.
const MAX_TIMELINE_POINTS: usize = 1_500;
/// Line prefixes the child uses on stdout, so stray output from libraries cannot be mistaken for a report.
pub(crate) const REPORT_PREFIX: &str = "POLAROID-REPORT ";
pub(crate) const FAILURE_PREFIX: &str = "POLAROID-FAILURE ";

/// A failure the child reports about itself.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChildFailure {
    /// The engine cannot do the task.
    pub unsupported: bool,
    /// Error chain.
    pub message: String,
}

/// How the child ended.
#[derive(Debug)]
pub enum ChildEnd {
    /// It printed a report.
    Report(ChildReport),
    /// It printed a failure.
    Failure(ChildFailure),
    /// The kernel OOM killer (or a failed allocation under rlimit) ended it.
    Oom(String),
    /// It ran past its time limit and was killed.
    Timeout,
    /// It died some other way.
    Crashed(String),
}

/// Everything observed about one child.
#[derive(Debug)]
pub struct ChildRun {
    /// How it ended.
    pub end: ChildEnd,
    /// `VmHWM` of the child, bytes (reported by the child, else the last value read from /proc).
    pub peak_rss_bytes: Option<u64>,
    /// Cgroup peak, bytes.
    pub cgroup_peak_bytes: Option<u64>,
    /// RSS and CPU over time.
    pub timeline: Vec<TimelinePoint>,
    /// Wall time from spawn to exit.
    pub wall: Duration,
}

/// Runs one measurement in a child process of `binary` under `cap`, killing it after `timeout`, or at once when
/// `cancel` is set (then `Err(Cancelled)`).
pub fn run_child(binary: &Path, key: &str, spec: &ChildSpec, cap: &CapGuard, timeout: Duration, cancel: &crate::cancel::Cancel) -> Result<ChildRun> {
    let child_err = |message: String| Error::Child { key: key.to_string(), message };
    let start = Instant::now();
    // The worker blocks on stdin until it has its job, so it is capped before it allocates anything.
    let job = crate::protocol::Job::Measure(spec.clone());
    // The variant's knobs that Polars reads from the environment (tuned baselines) are set for this process only.
    let env = crate::engines::EngineKind::from_name(&spec.engine).map(|k| k.env()).unwrap_or_default();
    // A Python engine's process is the project's interpreter running the Python worker, a Ballista engine's a
    // polaroid-ballista client; any other, this binary's.
    let mut cmd = match crate::engines::EngineKind::from_name(&spec.engine) {
        Ok(kind) if kind.is_python() => crate::engines::python::command()?,
        Ok(kind) if kind.is_ballista() => crate::engines::ballista::command(binary)?,
        _ => {
            let mut cmd = std::process::Command::new(binary);
            cmd.arg(crate::protocol::SUBCOMMAND);
            cmd
        }
    };
    cmd.envs(env);
    let mut child = crate::protocol::start_command(cmd, &job, |pid| cap.attach(pid)).map_err(|e| match e {
        e @ Error::System { .. } => child_err(polaroid_results::error::chain(&e)),
        other => other,
    })?;
    let pid = child.id();
    let stdout = drain(child.stdout.take().expect("stdout was piped"));
    let stderr = drain(child.stderr.take().expect("stderr was piped"));

    let mut sys = System::new();
    let spid = Pid::from_u32(pid);
    let refresh = ProcessRefreshKind::nothing().with_memory().with_cpu();
    let mut timeline = Vec::new();
    let mut timed_out = false;
    let mut last_hwm = None;
    let status_file = format!("/proc/{pid}/status");
    let (status, _rusage) = loop {
        if let Some(done) = reap(pid, true) {
            break done;
        }
        sys.refresh_processes_specifics(ProcessesToUpdate::Some(&[spid]), true, refresh);
        last_hwm = crate::probe::vm_hwm_bytes(&status_file).or(last_hwm);
        // An exited, not yet reaped child reads as 0 bytes: not a sample of the running process.
        if let Some(p) = sys.process(spid).filter(|p| p.memory() > 0) {
            timeline.push(TimelinePoint {
                t_ms: start.elapsed().as_millis() as u64,
                rss_bytes: p.memory(),
                cpu_percent: p.cpu_usage(),
            });
        }
        if cancel.is_cancelled() {
            kill(pid);
            let _ = reap(pid, false);
            let _ = (stdout.join(), stderr.join());
            return Err(Error::Cancelled);
        }
        if start.elapsed() > timeout {
            timed_out = true;
            kill(pid);
            break reap(pid, false).expect("a blocking wait4 on our own child returns");
        }
        std::thread::sleep(SAMPLE_INTERVAL);
    };
    let wall = start.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let signal = libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status));

    let end = if timed_out {
        ChildEnd::Timeout
    } else if let Some(line) = stdout.lines().find_map(|l| l.strip_prefix(REPORT_PREFIX)) {
        ChildEnd::Report(serde_json::from_str(line).map_err(|e| child_err(format!("unreadable report: {e}")))?)
    } else if let Some(line) = stdout.lines().find_map(|l| l.strip_prefix(FAILURE_PREFIX)) {
        ChildEnd::Failure(serde_json::from_str(line).map_err(|e| child_err(format!("unreadable failure: {e}")))?)
    } else if let (Some(libc::SIGKILL), Some((kills, file))) = (signal, cap.oom_kills()) {
        if kills > 0 {
            ChildEnd::Oom(format!("killed by the kernel OOM killer at a {} byte cap ({file}: oom_kill {kills})", cap.cap_bytes))
        } else {
            ChildEnd::Crashed(format!("killed by SIGKILL, not by the OOM killer ({file}: oom_kill 0)"))
        }
    } else if cap.rlimit_bytes().is_some() && stderr.contains("memory allocation of") {
        ChildEnd::Oom(format!("an allocation failed under RLIMIT_AS = {} bytes", cap.cap_bytes))
    } else {
        let how = match signal {
            Some(sig) => format!("killed by signal {sig}"),
            None => format!("exited with status {}", libc::WEXITSTATUS(status)),
        };
        ChildEnd::Crashed(format!("measurement process {how}; stderr: {}", crash_text(&stderr)))
    };
    let reported = match &end {
        ChildEnd::Report(r) => r.peak_rss_bytes,
        _ => None,
    };
    let peak_rss_bytes = reported.or(last_hwm);
    Ok(ChildRun { end, peak_rss_bytes, cgroup_peak_bytes: cap.peak_bytes(), timeline: thin(timeline), wall })
}

pub(crate) fn drain<R: Read + Send + 'static>(mut r: R) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = r.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// `wait4` on our child; `None` when `nohang` and it is still running.
fn reap(pid: u32, nohang: bool) -> Option<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: rusage is plain old data; zeroed is a valid value, and wait4 only writes through the pointers we pass.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    let flags = if nohang { libc::WNOHANG } else { 0 };
    loop {
        // SAFETY: pid is our own unreaped child; status and rusage point to live locals.
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, flags, &mut rusage) };
        if r == pid as libc::pid_t {
            return Some((status, rusage));
        }
        if r == 0 {
            return None;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            // Already reaped or not ours: report a generic exit rather than loop forever.
            return Some((0, rusage));
        }
    }
}

fn kill(pid: u32) {
    // SAFETY: sending a signal has no memory-safety preconditions; pid is our own child.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGKILL);
    }
}

/// What a crashed process said: a Rust panic's message (the thread, place and message, before its backtrace, which
/// `RUST_BACKTRACE` may make longer than any tail), else the end of its stderr.
fn crash_text(stderr: &str) -> String {
    let Some(at) = stderr.find(" panicked at ") else { return tail(stderr, 1_500) };
    let start = stderr[..at].rfind('\n').map_or(0, |i| i + 1);
    let panic = &stderr[start..];
    let end = ["\nstack backtrace:", "\nnote: run with `RUST_BACKTRACE", "\n   0: "].iter().filter_map(|m| panic.find(m)).min();
    let message = panic[..end.unwrap_or(panic.len())].trim();
    let cut = (0..=message.len().min(1_500)).rev().find(|&i| message.is_char_boundary(i)).unwrap_or(0);
    message[..cut].to_string()
}

fn tail(s: &str, max: usize) -> String {
    let s = s.trim();
    let start = s.len().saturating_sub(max);
    let start = (start..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(s.len());
    s[start..].to_string()
}

fn thin(mut points: Vec<TimelinePoint>) -> Vec<TimelinePoint> {
    while points.len() > MAX_TIMELINE_POINTS {
        points = points
            .chunks(2)
            .map(|pair| {
                let last = pair[pair.len() - 1];
                TimelinePoint {
                    t_ms: last.t_ms,
                    rss_bytes: pair.iter().map(|p| p.rss_bytes).max().unwrap_or(0),
                    cpu_percent: pair.iter().map(|p| p.cpu_percent).sum::<f32>() / pair.len() as f32,
                }
            })
            .collect();
    }
    points
}

#[cfg(test)]
mod tests {
    use super::crash_text;

    #[test]
    fn a_panic_is_reported_by_its_message_not_its_backtrace() {
        let stderr = "some log line\nthread 'main' panicked at crates/x/src/lib.rs:10:5:\nactivate 'dtype-u128' feature\nstack backtrace:\n   0: std::panicking\n"
            .to_string()
            + &"   9: polars_stream::physical_plan::lower_ir\n".repeat(200);
        assert_eq!(crash_text(&stderr), "thread 'main' panicked at crates/x/src/lib.rs:10:5:\nactivate 'dtype-u128' feature");
        let other = "no panic here\n".repeat(200);
        assert!(crash_text(&other).ends_with("no panic here") && crash_text(&other).len() <= 1_500);
    }
}
