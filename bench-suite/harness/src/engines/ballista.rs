//! The Ballista variants (`ballista-1`, `ballista-2`, ... `ballista-N`: N executors): Apache DataFusion Ballista, a
//! distributed engine, as real processes of the `polaroid-ballista` binary (bench-suite/ballista, which links
//! DataFusion and Ballista, not Polars). For each measurement process the runner starts a scheduler and N executors
//! on 127.0.0.1 as companions ([`Cluster`]), outside the measured process; the measured process is a Ballista client
//! (`polaroid-ballista __worker`, the worker protocol) that registers the tables, sends each query to the scheduler
//! and collects the result. Memory: the client's is the measurement's; the cluster's processes' peaks are recorded
//! beside it (`cluster_peak_rss_bytes`, their sum, and each role's).
//!
//! Two settings from the environment (the CLI's `--ballista-slots` and `--ballista-scheduler` set them):
//! `POLAROID_BALLISTA_SLOTS`, task slots per executor (1: one vcore each), and `POLAROID_BALLISTA_SCHEDULER`, a
//! cluster already running (`df://HOST:PORT`, started by hand or a real one): then no cluster is started and the
//! client connects there.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use polaroid_results::binary::Binary;

use crate::companion::{Companion, CompanionFigures};
use crate::engines::{Engine, EngineKind, Input, Op, Output};
use crate::error::{Error, Result};

/// The binary of the cluster's processes and of the measured client.
pub const BINARY: Binary = Binary {
    name: "polaroid-ballista",
    env_var: "POLAROID_BALLISTA_BIN",
    how_to_get: "Build it with `cargo build --release --manifest-path bench-suite/ballista/Cargo.toml` in the polaroid repository (scripts/bench builds it when a ballista variant is named)",
};
/// Task slots per executor.
pub const SLOTS_VAR: &str = "POLAROID_BALLISTA_SLOTS";
/// A running cluster's scheduler to use instead of starting one.
pub const SCHEDULER_VAR: &str = "POLAROID_BALLISTA_SCHEDULER";
/// What the processes print (bench-suite/ballista/src/cluster.rs).
const SCHEDULER_PREFIX: &str = "POLAROID-BALLISTA ";
const READY_PREFIX: &str = "POLAROID-BALLISTA-READY ";
/// How long the scheduler may take to listen, and an executor to be accepted.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The `polaroid-ballista` binary: beside `bench` (the polaroid-bench whose measurement this is) first.
pub fn locate(bench: &Path) -> Result<PathBuf> {
    let beside = bench.parent().map(|d| vec![d.join(BINARY.name)]).unwrap_or_default();
    Ok(BINARY.locate(None, &beside)?)
}

/// Task slots per executor (`POLAROID_BALLISTA_SLOTS`, default 1); anything else than a positive number is an error
/// that says what to write.
pub fn slots() -> Result<usize> {
    match std::env::var(SLOTS_VAR) {
        Err(_) => Ok(1),
        Ok(v) => v.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| Error::Companion {
            what: format!("{SLOTS_VAR}={v} (or --ballista-slots) must be a number of task slots per executor, at least 1"),
            source: None,
        }),
    }
}

/// The scheduler of a running cluster, when one is given.
pub fn external_scheduler() -> Option<String> {
    std::env::var(SCHEDULER_VAR).ok().filter(|s| !s.trim().is_empty())
}

/// The command of a measurement process of a Ballista variant (its job still to be sent on stdin).
pub fn command(bench: &Path) -> Result<Command> {
    let mut cmd = Command::new(locate(bench)?);
    cmd.arg(crate::protocol::SUBCOMMAND);
    Ok(cmd)
}

/// What a Ballista engine is inside this binary: nothing (its measurements run in `polaroid-ballista`).
pub struct NotHere(pub EngineKind);

impl Engine for NotHere {
    fn execute(&self, _: &Input, _: &Op) -> Result<Output> {
        Err(crate::error::internal(format!("{} runs in a polaroid-ballista process, not in polaroid-bench", self.0.name())))
    }
}

/// One process of the cluster.
struct Member {
    role: &'static str,
    child: Child,
}

impl Member {
    /// Starts `binary args`, with its stderr inherited and killed when its parent (this runner) dies, and waits for a
    /// stdout line starting with `prefix`; returns what followed it.
    fn start(binary: &Path, args: &[String], role: &'static str, prefix: &str) -> Result<(Member, String)> {
        let mut cmd = Command::new(binary);
        cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        crate::probe::kill_with_parent(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| Error::Companion { what: format!("cannot start the Ballista {role} ({})", binary.display()), source: Some(Box::new(e)) })?;
        let mut member = Member { role, child };
        match crate::protocol::announcement(&mut member.child, prefix, START_TIMEOUT) {
            // Nothing more is read from its stdout: the processes print only that line there (their logs go to stderr).
            Some((_, value)) => Ok((member, value)),
            None => {
                member.kill();
                Err(Error::Companion {
                    what: format!("the Ballista {role} exited or did not start within {} s (its error is above)", START_TIMEOUT.as_secs()),
                    source: None,
                })
            }
        }
    }

    fn peak_rss_bytes(&self) -> Option<u64> {
        crate::probe::vm_hwm_bytes(&format!("/proc/{}/status", self.child.id()))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A scheduler and its executors on 127.0.0.1, started for one measurement process.
pub struct Cluster {
    members: Vec<Member>,
    /// `df://127.0.0.1:PORT`.
    pub url: String,
}

impl Cluster {
    /// Starts a scheduler and `executors` executors of `slots` task slots each, and waits until every executor has
    /// been accepted by the scheduler.
    pub fn start(binary: &Path, executors: usize, slots: usize) -> Result<Cluster> {
        let (scheduler, url) = Member::start(binary, &["scheduler".into(), "--port".into(), "0".into()], "scheduler", SCHEDULER_PREFIX)?;
        let mut members = vec![scheduler];
        for _ in 0..executors {
            let args = ["executor".into(), "--scheduler".into(), url.clone(), "--slots".into(), slots.to_string()];
            let (executor, _id) = Member::start(binary, &args, "executor", READY_PREFIX)?;
            members.push(executor);
        }
        Ok(Cluster { members, url })
    }
}

impl Companion for Cluster {
    /// The peak resident memory of the scheduler, of the executors together, and of all of them
    /// (`cluster_peak_rss_bytes`); then every process is stopped.
    fn stop(self: Box<Self>, _finished: bool) -> CompanionFigures {
        let mut figures = CompanionFigures::default();
        let (mut scheduler, mut executors, mut complete) = (0u64, 0u64, true);
        for m in &self.members {
            match (m.role, m.peak_rss_bytes()) {
                ("scheduler", Some(b)) => scheduler += b,
                (_, Some(b)) => executors += b,
                (_, None) => complete = false,
            }
        }
        if complete {
            figures.figures.insert("scheduler_peak_rss_bytes".into(), scheduler as f64);
            figures.figures.insert("executors_peak_rss_bytes".into(), executors as f64);
            figures.figures.insert("cluster_peak_rss_bytes".into(), (scheduler + executors) as f64);
        }
        figures
    }
}
