//! The worker protocol: how the harness library makes a process of the `polaroid-bench` binary do one job, and
//! every type that crosses that process boundary.
//!
//! Every process the runner starts (a measurement, the decode calibration, the streaming feed) is
//! `polaroid-bench __worker` with one [`Job`] as JSON on its stdin; the binary's hidden subcommand calls
//! `worker::main`, which does the job. Front ends that link the library (a Rust program, a Jupyter kernel)
//! are not that binary: they name it, and [`locate`] finds it when they do not.
//!
//! This module is a leaf: it names no other room of the harness, so measurement, feed and calibration code can
//! start workers without importing each other.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde::{Deserialize, Serialize};

use polaroid_results::{Answer, Latency, StreamStats, Work};

use crate::error::{Error, Result};

/// The hidden subcommand of `polaroid-bench` that runs [`main`].
pub const SUBCOMMAND: &str = "__worker";

pub use polaroid_results::binary::ENV_VAR;

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
    /// The Flight SQL server of the `polaroid-flight` variant: serves each `(name, path)` as a table (a file loaded
    /// into the engine's cache, a glob scanned), prints its URL (see `flight`).
    FlightServer {
        /// The tables: concurrent-query's `trades`, or a workload file's.
        tables: Vec<(String, String)>,
    },
}

/// A companion worker (the feed, the Flight SQL server): started like any worker with its stderr inherited, then
/// waited for until it prints a line starting with `prefix` (its address). Returns the child, the rest of its stdout
/// as lines, and what followed the prefix; a worker that exits or stays silent for `timeout` is killed, and the error
/// names `what`.
pub fn start_announced(binary: &Path, job: &Job, what: &str, prefix: &str, timeout: std::time::Duration) -> Result<(Child, std::sync::mpsc::Receiver<String>, String)> {
    let mut child = start(binary, job, |cmd| {
        cmd.stderr(Stdio::inherit());
    }, |_| Ok(()))
    .map_err(|e| Error::Companion { what: format!("cannot start the {what} process"), source: Some(Box::new(e)) })?;
    match announcement(&mut child, prefix, timeout) {
        Some((lines, value)) => Ok((child, lines, value)),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(Error::Companion { what: format!("the {what} process exited or did not start listening (its error is above)"), source: None })
        }
    }
}

/// Reads a child's piped stdout (on a thread of its own) until a line starts with `prefix`: returns the rest of its
/// stdout as lines and what followed the prefix, or `None` when the child closed its stdout or printed nothing for
/// `timeout` (the caller kills it and says which process it was).
pub fn announcement(child: &mut Child, prefix: &str, timeout: std::time::Duration) -> Option<(std::sync::mpsc::Receiver<String>, String)> {
    use std::io::{BufRead, BufReader};
    let stdout = child.stdout.take().expect("stdout was piped");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = lines.recv_timeout(timeout).ok()?;
        if let Some(value) = line.strip_prefix(prefix) {
            let value = value.trim().to_string();
            return Some((lines, value));
        }
    }
}

/// Starts `binary __worker`, hands it `job` on stdin (after `before_job` ran with the child's pid, e.g. to move it
/// into a cgroup before it allocates anything) and returns the running child with stdout and stderr piped.
pub fn start(binary: &Path, job: &Job, configure: impl FnOnce(&mut Command), before_job: impl FnOnce(u32) -> Result<()>) -> Result<Child> {
    let mut cmd = Command::new(binary);
    cmd.arg(SUBCOMMAND);
    configure(&mut cmd);
    start_command(cmd, job, before_job)
}

/// Starts any worker command that speaks this protocol (a Python engine's interpreter, `engines::python`): the
/// job on its stdin, its stdout and stderr piped, as [`start`] does for `binary __worker`.
pub fn start_command(mut cmd: Command, job: &Job, before_job: impl FnOnce(u32) -> Result<()>) -> Result<Child> {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd.spawn().map_err(crate::error::system(format!("cannot start {program}")))?;
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
        stdin.write_all(&bytes).and_then(|_| stdin.flush()).map_err(crate::error::system("cannot send the job to the worker"))
    });
    drop(stdin);
    if let Err(e) = written {
        kill(&mut child);
        return Err(e);
    }
    Ok(child)
}

/// Finds the `polaroid-bench` binary for the worker processes (see [`polaroid_results::binary::locate`], shared
/// with every front end).
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    Ok(polaroid_results::binary::locate(explicit, &[])?)
}

/// How a workload is measured at a given size.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    /// Independent measurement processes per measurement, each with its own warm-up and timed runs: the unit the
    /// statistics replicate over (whole processes differ more than iterations inside one).
    pub processes: usize,
    /// Untimed iterations (or runs) before the timed ones; the first also produces the checked answer.
    pub warmup: usize,
    /// Timed iterations (or runs) per process.
    pub runs: usize,
    /// For closed-loop workloads: seconds per timed run.
    pub run_duration_s: f64,
    /// The measurement process is killed after this long and recorded as `timeout`.
    pub timeout_s: f64,
    /// Memory cap of the measurement process.
    pub memory_cap_bytes: u64,
    /// One measurement per entry (an empty map when there is no sweep).
    pub sweep: Vec<Params>,
}

/// Sweep parameters of one measurement, one field per parameter a workload sweeps; absent fields are not part of
/// the measurement's key. Written to results as a map (`connections`, `clients`, `latency_ms`, `rate_per_s`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// concurrent-query: closed-loop clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<u64>,
    /// streaming: WebSocket connections the feed splits its trades over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<u64>,
    /// batch-read: per-request latency of the S3 server the files are read from, milliseconds (0: local files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// streaming: the feed's offered rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_s: Option<Rate>,
}

/// The streaming feed's offered rate: ticks per second over all connections, or as fast as the consumer reads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Rate {
    /// Ticks per second.
    PerS(u64),
    /// Unpaced (written `"unpaced"`).
    Unpaced(Unpaced),
}

/// The word `unpaced` in a sweep entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unpaced {
    /// Unpaced.
    Unpaced,
}

impl Rate {
    /// Unpaced.
    pub const UNPACED: Rate = Rate::Unpaced(Unpaced::Unpaced);

    /// Ticks per second; `None` when unpaced.
    pub fn per_s(self) -> Option<f64> {
        match self {
            Rate::PerS(r) => Some(r as f64),
            Rate::Unpaced(_) => None,
        }
    }
}

impl Params {
    /// As the map results store (and measurement keys are made of).
    pub fn to_map(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m.into_iter().collect(),
            _ => unreachable!("Params serializes to a JSON object"),
        }
    }
}

/// Workload data the parent computes for a measurement process.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Extra {
    /// Nothing.
    #[default]
    None,
    /// concurrent-query: the request pool every variant answers (the workload's own `Query` type, as JSON).
    Requests {
        /// The pool.
        requests: serde_json::Value,
        /// The Flight SQL server holding the dataset (`grpc://127.0.0.1:PORT`), for the networked variant.
        #[serde(default)]
        server: Option<String>,
    },
    /// streaming: the feed process to read from.
    Feed {
        /// Its WebSocket URL.
        url: String,
        /// Trades per session.
        ticks: u64,
    },
    /// batch-read with a latency: the S3-compatible server holding the files (see `s3`).
    S3 {
        /// `http://127.0.0.1:PORT`.
        endpoint: String,
    },
    /// A workload file's query: its tables and SQL (see `workloads::sql`).
    Sql(std::sync::Arc<SqlTask>),
}

/// One query of a workload file, as a measurement process runs it (sent in [`Extra::Sql`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlTask {
    /// The tables, each with its files.
    pub tables: Vec<SqlTable>,
    /// The statement, parameters substituted.
    pub sql: String,
    /// Rows the answer must have.
    pub expect_rows: Option<u64>,
    /// The answer file every engine's answer must equal (checked by the runner, not the measurement process).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_answer: Option<PathBuf>,
    /// The `[concurrency]` task: the queries every client of its closed loop draws from (seeded), in file order.
    /// Empty for the task of one query (`sql`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mix: Vec<MixQuery>,
    /// The server the measured process sends its SQL to: the Flight SQL server serving the tables
    /// (`grpc://127.0.0.1:PORT`) for `polaroid-flight`, the cluster's scheduler (`df://HOST:PORT`) for `ballista-N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// `[s3]` at a latency above 0: the measurement's S3 server holding the tables, each the prefix `<table>/` of
    /// its bucket; every engine reads them from there instead of the local files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Access>,
}

/// One query of a workload file's concurrent mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixQuery {
    /// Its task name (`q1`, `top-n[n=10]`).
    pub name: String,
    /// Its SQL, parameters substituted.
    pub sql: String,
}

/// A table of a workload file: a name the SQL uses and the Parquet files behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlTable {
    /// Its name in SQL.
    pub name: String,
    /// Its Parquet files, sorted.
    pub files: Vec<PathBuf>,
}

/// What the measurement process is asked to do (sent as JSON on its stdin).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildSpec {
    /// Workload name.
    pub workload: String,
    /// Task name.
    pub task: String,
    /// Engine variant name.
    pub engine: String,
    /// Input files.
    pub files: Vec<PathBuf>,
    /// Rows over all input files.
    pub dataset_rows: u64,
    /// Sweep parameters.
    pub params: Params,
    /// Measurement settings.
    pub settings: Settings,
    /// A directory the measurement may write to (sink outputs).
    pub scratch_dir: PathBuf,
    /// Address-space limit to set on itself, when the cap is enforced by rlimit.
    pub rlimit_bytes: Option<u64>,
    /// Seed for anything random in the driver (query mixes).
    pub seed: u64,
    /// Workload data computed by the parent (the concurrent-query request pool, the streaming feed's address).
    pub extra: Extra,
    /// Hidden test option: busy work added inside the timer, as a fraction of each timed iteration (0: none).
    /// How the gate's power is checked on real runs (a known slowdown of one variant).
    #[serde(default)]
    pub busy_fraction: f64,
}

/// What the measurement process reports back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildReport {
    /// `time` or `throughput`.
    pub metric_name: String,
    /// `s` or `queries/s`.
    pub unit: String,
    /// Whether larger samples are better.
    pub higher_is_better: bool,
    /// Untimed warm-up iterations made.
    pub warmup_runs: usize,
    /// Timed samples.
    pub samples: Vec<f64>,
    /// Request latency, for request workloads.
    pub latency: Option<Latency>,
    /// Work per iteration.
    pub work: Option<Work>,
    /// Digest of the answer (`None` for a variant whose output is not comparable, e.g. the transport ceiling).
    pub answer: Option<Answer>,
    /// `VmHWM` of the measurement process at the end, bytes.
    pub peak_rss_bytes: Option<u64>,
    /// Feed figures, for the streaming workload.
    #[serde(default)]
    pub stream: Option<StreamStats>,
    /// A file the task wrote (large-dataset's sink): the parent digests it after this process has exited, so
    /// reading it back is not charged to the variant's peak memory or cap.
    #[serde(default)]
    pub written: Option<PathBuf>,
    /// What the engine reported about itself after the timed runs (`Engine::figures` in `engines`).
    #[serde(default)]
    pub engine_figures: std::collections::BTreeMap<String, f64>,
    /// The first warm-up run's answer as a Parquet file, when the process did not digest it itself (the Python
    /// workers): the parent digests it after this process has exited, outside its timer and cap.
    #[serde(default)]
    pub answer_file: Option<PathBuf>,
    /// A concurrent mix's answers, one Parquet file per query in mix order (each query run once, untimed, before
    /// the closed loops), digested and kept by the parent as `answer_file` is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answer_files: Vec<PathBuf>,
}

/// Everything a feed process needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedOptions {
    /// Parquet files to replay, in order.
    pub files: Vec<PathBuf>,
    /// Trades per session (the first ones of the files); `None` for all.
    pub ticks: Option<u64>,
    /// What to serve.
    pub config: FeedConfig,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

/// Faults to inject (tests of the client's robustness).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Faults {
    /// Before every n-th trade of a connection, send a message that is not valid JSON.
    pub malformed_every: Option<u64>,
    /// Drop each connection once, abruptly, after it has sent this many trades in the session...
    pub drop_after: Option<u64>,
    /// ...and skip this many of its trades before the client is back (they are lost: a gap).
    pub drop_skip: u64,
}

/// What to serve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedConfig {
    /// Offered rate over all connections, trades per second; `None` for unpaced.
    pub rate_per_s: Option<f64>,
    /// Connections per session.
    pub connections: usize,
    /// Sessions to serve before returning; `None` for as many as come.
    pub sessions: Option<u64>,
    /// Injected faults.
    pub faults: Faults,
}

/// The feed's own resource use, as it reports it on exit.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct FeedUsage {
    /// User + system CPU seconds.
    pub cpu_s: f64,
    /// Its `VmHWM`, bytes.
    pub peak_rss_bytes: Option<u64>,
    /// Sessions served.
    pub sessions: u64,
}

/// What a client outside this process (a Python engine) needs to read a workload file's tables from the server.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct S3Access {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The bucket; each table is the prefix `<table>/` in it.
    pub bucket: String,
    /// The region requests are signed for.
    pub region: String,
    /// Credentials of the local server.
    pub access_key_id: String,
    /// See `access_key_id`.
    pub secret_access_key: String,
}
