//! The result document: one JSON file per run, versioned, with full provenance.
//!
//! Field meanings are documented for users in `docs/result-schema.md`; keep the two in step. Any change that
//! renames or re-types a field bumps [`SCHEMA_VERSION`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::Summary;

/// Version of the document layout written by this build.
/// Version 2: samples grouped by measurement process (`metric.samples[p][i]`), per-process peak memory, and the
/// interleaving of paired runs. Version 1 documents (one process per measurement) are read and upgraded.
pub const SCHEMA_VERSION: u32 = 2;

/// One benchmark run: provenance, configuration, calibration and every measurement made so far.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    /// Layout version, see [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Where, when and with what the run was made.
    pub provenance: Provenance,
    /// The fully resolved configuration the run used (suite, sizes, runs, timeouts, caps, selections).
    pub config: serde_json::Value,
    /// Physical limits measured on this machine, when calibration ran.
    pub calibration: Option<Calibration>,
    /// Measurements in the order they were made.
    pub measurements: Vec<Measurement>,
}

/// How reports, comparisons and histories name a result file: its file name.
pub fn label(path: &Path) -> String {
    path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
}

impl RunResult {
    /// Measurements that failed (an error or a wrong answer); a run with any exits non-zero.
    pub fn failures(&self) -> usize {
        self.measurements.iter().filter(|m| m.failed()).count()
    }

    /// Reads a result document, plain or gzip-compressed (`.json.gz`, told by its magic bytes), upgrading version 1
    /// documents and refusing unknown versions with a message that says what to do.
    pub fn load(path: &Path) -> Result<Self> {
        let io = |source| Error::Io { action: "read", path: path.to_path_buf(), source };
        let mut bytes = std::fs::read(path).map_err(io)?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut plain).map_err(io)?;
            bytes = plain;
        }
        Self::from_json(&bytes).map_err(|e| match e {
            Error::Parse { source, .. } => Error::Parse { path: path.to_path_buf(), source },
            Error::SchemaVersion { found, expected, .. } => Error::SchemaVersion { path: path.to_path_buf(), found, expected },
            other => other,
        })
    }

    /// Parses a result document from JSON bytes (see [`RunResult::load`]).
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let parse = |source| Error::Parse { path: "<bytes>".into(), source };
        let mut doc: serde_json::Value = serde_json::from_slice(bytes).map_err(parse)?;
        // A document without a version is not ours (e.g. some other JSON file), not an old one of ours.
        let Some(found) = doc.get("schema_version").and_then(|v| v.as_u64()) else {
            return Err(parse(<serde_json::Error as serde::de::Error>::custom("no schema_version field")));
        };
        let found = found as u32;
        match found {
            SCHEMA_VERSION => {}
            1 => upgrade_v1(&mut doc),
            _ => return Err(Error::SchemaVersion { path: "<bytes>".into(), found, expected: SCHEMA_VERSION }),
        }
        let mut result: RunResult = serde_json::from_value(doc).map_err(parse)?;
        for m in result.measurements.iter_mut().filter(|m| m.role.is_none()) {
            m.role = legacy_role(&m.variant);
        }
        Ok(result)
    }

    /// Serializes the document (pretty JSON). Exporters return bytes; the caller decides where they go.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a RunResult always serializes: it holds no maps with non-string keys");
        bytes.push(b'\n');
        bytes
    }

    /// Writes the document atomically (write to a sibling temporary file, then rename), so a crash mid-write
    /// never leaves a truncated result behind.
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| Error::Io { action: "write", path: path.to_path_buf(), source };
        let tmp = path.with_extension("json.partial");
        std::fs::write(&tmp, self.to_json_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// The measurement with this key, if it was made.
    pub fn measurement(&self, key: &str) -> Option<&Measurement> {
        self.measurements.iter().find(|m| m.key == key)
    }
}

/// Roles of the variants that existed before results recorded them (documents of 2026-11-25 and earlier); any
/// other variant of such a document has no role and competes.
fn legacy_role(variant: &str) -> Option<Role> {
    match variant {
        "polaroid" => Some(Role::Engine),
        "polaroid-limit-only" | "polaroid-cache-only" => Some(Role::Ablation),
        "transport-ceiling" => Some(Role::Limit),
        v if v.starts_with("polars-") => Some(Role::Baseline),
        v if v.starts_with("mock") => Some(Role::TestDouble),
        _ => None,
    }
}

/// Version 1 kept one flat list of samples per measurement, all from one process: it becomes one process.
fn upgrade_v1(doc: &mut serde_json::Value) {
    doc["schema_version"] = SCHEMA_VERSION.into();
    if let Some(ms) = doc.get_mut("measurements").and_then(|m| m.as_array_mut()) {
        for m in ms {
            if let Some(samples) = m.pointer_mut("/metric/samples") {
                *samples = serde_json::Value::Array(vec![samples.take()]);
            }
        }
    }
}

/// Where, when and with what a run was made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    /// Version of polaroid-bench that made the run.
    pub polaroid_version: String,
    /// Git commit of the polaroid checkout the binary was built from (`None` outside a git checkout).
    pub git_commit: Option<String>,
    /// Version of the Polars crate linked into the binary.
    pub polars_version: String,
    /// `rustc --version` of the compiler that built the binary.
    pub rustc_version: String,
    /// Operating system name and version.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// Host name of the machine.
    pub hostname: String,
    /// CPU model name.
    pub cpu_model: String,
    /// Logical cores available.
    pub cores_logical: usize,
    /// Physical cores, when the OS reports them.
    pub cores_physical: Option<usize>,
    /// Total memory of the machine.
    pub memory_total_bytes: u64,
    /// Command line that produced this document.
    pub command: Vec<String>,
    /// UTC start time, RFC 3339.
    pub started_at: String,
    /// UTC time the document was last written, RFC 3339.
    pub updated_at: String,
    /// Page-cache state the measurements ran with.
    pub cache_mode: CacheMode,
    /// How the memory cap was enforced on measurement processes.
    pub memory_cap_method: CapMethod,
    /// Every dataset the measurements read, with its fingerprint.
    pub datasets: Vec<DatasetInfo>,
    /// Set when this run was made interleaved with another one (`compare-run`, `noise`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interleaved: Option<Interleaving>,
}

/// How a run was interleaved with its partner: for every measurement, process `p` of one run ran next to process
/// `p` of the other (in alternating order: base first for even `p`, new first for odd), so drift of the machine
/// hits both alike and `compare` can pair the processes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Interleaving {
    /// Identifier shared by the two runs of one interleaved job.
    pub id: String,
    /// `base` or `new`.
    pub side: String,
    /// The binary whose measurement processes made this run.
    pub binary: String,
    /// Hidden test option: the variant slowed down on purpose in this run and by what fraction of its time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injected_slowdown: Option<(String, f64)>,
    /// The sequential design of `compare-run --budget` (processes added to undecided measurements), so `compare`
    /// judges the files as the run did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<SequentialDesign>,
}

/// The design of a sequential comparison, recorded in both result files (`provenance.interleaved.sequential`), so
/// that `compare` on the files judges them as the run did (`compare::sequential` computes its boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SequentialDesign {
    /// The time budget given (`--budget`), seconds.
    pub budget_s: f64,
    /// Processes per side before the first look.
    pub initial: usize,
    /// Processes per side at the last look the budget allows (information fraction 1).
    pub max: usize,
}

/// Page-cache state during measurements.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CacheMode {
    /// Input files may be in the OS page cache (they were just written or read by an earlier measurement).
    Warm,
    /// The page cache was dropped before each measurement and the drop was verified.
    Cold,
}

/// How a measurement process's memory was capped.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CapMethod {
    /// A cgroup v2 `memory.max` limit; peak from `memory.peak`, kills seen in `memory.events`.
    CgroupV2,
    /// A cgroup v1 `memory.limit_in_bytes` limit; peak from `memory.max_usage_in_bytes`, kills seen in
    /// `memory.oom_control`.
    CgroupV1,
    /// `RLIMIT_AS` on the measurement process (address space, a cruder bound than resident memory).
    Rlimit,
}

/// A generated (or user-supplied) dataset and its identity.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DatasetInfo {
    /// Dataset name, e.g. `trades-batch-default`.
    pub name: String,
    /// SHA-256 over the recipe and the bytes of every file, in file order.
    pub fingerprint: String,
    /// Generator seed (`None` for user-supplied files).
    pub seed: Option<u64>,
    /// Total rows over all files.
    pub rows: u64,
    /// Number of Parquet files.
    pub files: usize,
    /// Total size of the files on disk.
    pub file_bytes: u64,
    /// Size of the data once decoded into memory (Polars' estimate), the figure memory caps are compared with.
    pub in_memory_bytes: u64,
    /// Rows per Parquet row group.
    pub row_group_rows: Option<usize>,
    /// Parquet compression codec.
    pub compression: String,
    /// Directory or file the dataset lives in.
    pub path: String,
}

/// Physical limits of this machine, against which measurements can be read as a fraction.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Calibration {
    /// Memory copy bandwidth, one thread (bytes copied per second).
    pub memcpy_bytes_per_s: f64,
    /// Parquet decode throughput with one thread, in compressed file bytes per second, from memory.
    pub decode_single_thread_bytes_per_s: f64,
    /// Parquet decode throughput with all cores, in compressed file bytes per second, from memory.
    pub decode_all_cores_bytes_per_s: f64,
    /// Cores used for the all-core figure.
    pub cores: usize,
    /// Codec of the files decoded.
    pub compression: String,
    /// Dataset decoded for the figures.
    pub dataset: String,
}

impl Calibration {
    /// The figures as lines for people.
    pub fn text(&self) -> String {
        let rate = |r| crate::units::rate(r, "B/s");
        format!(
            "memory copy (1 thread):          {}\nParquet decode, 1 thread:        {}\nParquet decode, {} cores:         {}\n(compressed {} bytes per second, decoded from memory; dataset {})\n",
            rate(self.memcpy_bytes_per_s),
            rate(self.decode_single_thread_bytes_per_s),
            self.cores,
            rate(self.decode_all_cores_bytes_per_s),
            self.compression,
            self.dataset
        )
    }
}

/// The figure in which a SQL measurement records its engine's fixed cost per query: the median time of an empty query
/// (`SELECT 1`), seconds, per process (the harness' workloads/sql.rs and python_worker.py; the report's "Fixed cost
/// per query").
pub const FIXED_COST_FIGURE: &str = "empty_query_s";

/// One (workload, task, variant, size, parameters) measurement, made in its own process.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Measurement {
    /// Unique key: `workload/task/variant/size` plus `[name=value,...]` parameters.
    pub key: String,
    /// Workload name (`batch-read`, `concurrent-query`, `large-dataset`, `streaming`).
    pub workload: String,
    /// Task within the workload (`load-all`, `vwap`, `mixed`, `aggregate`, `sink`, `ingest`).
    pub task: String,
    /// Engine variant measured (`polars-eager`, ...).
    pub variant: String,
    /// What the variant is in the comparison (absent in documents that predate roles and name no known variant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Size name (`smoke`, `default`, `large`).
    pub size: String,
    /// Sweep parameters, e.g. `clients`.
    pub params: BTreeMap<String, serde_json::Value>,
    /// Name of the dataset read (see `provenance.datasets`).
    pub dataset: String,
    /// How the measurement ended.
    pub outcome: Outcome,
    /// The headline metric with raw samples and statistics (absent unless `outcome` is `ok`).
    pub metric: Option<Metric>,
    /// Per-request latency, for workloads that issue requests (with several processes: the median of each
    /// percentile over processes).
    pub latency: Option<Latency>,
    /// Each process's latency, in order (what comparisons of latency test).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub process_latency: Vec<Latency>,
    /// Work done per timed iteration, from which throughputs are derived.
    pub work: Option<Work>,
    /// Memory figures from the kernel.
    pub memory: MemoryUsage,
    /// RSS and CPU of the measurement process over time.
    pub timeline: Vec<TimelinePoint>,
    /// Digest of the variant's answer, computed outside the timer.
    pub answer: Option<Answer>,
    /// Result of comparing the answer with the other variants of the same task.
    pub answer_check: AnswerCheck,
    /// UTC start time, RFC 3339.
    pub started_at: String,
    /// Wall time of the whole measurement process, set-up included.
    pub wall_time_s: f64,
    /// Feed figures, for the streaming workload (absent elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamStats>,
    /// Named figures, one value per process in order: what the engine under test reported about itself at the
    /// end (the polaroid engine's `admission_limit`, where its adaptive limit settled, `admission_limit_low` and
    /// `admission_limit_high`, the range it moved in, `plans_in_memory` and `plans_streaming`), and what the
    /// measurement's S3 server answered (`s3_requests`, batch-read with a latency), and a workload file's query's
    /// [`FIXED_COST_FIGURE`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub figures: BTreeMap<String, Vec<f64>>,
    /// Settings of the variant's engine that differ from its defaults, as set for this measurement: environment
    /// variables (`POLARS_MAX_CONCURRENT_SCANS`) and API choices (`engine`). Empty for variants on defaults.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub knobs: BTreeMap<String, String>,
    /// Instructions executed by the timed work, counted under a simulator (`run --instructions`); absent when
    /// they were not asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<Instructions>,
}

/// The instructions a measurement's timed work executed, counted by running its job under Valgrind's Cachegrind
/// (`--cache-sim=no`) twice, with its timed runs and with none: deterministic where time is not, so a change of a
/// fraction of a percent is visible (see docs/ci.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Instructions {
    /// Counted.
    Counted {
        /// Instructions per timed run: (`with_runs` - `without_runs`) / `runs`.
        per_run: f64,
        /// Timed runs of the counted process.
        runs: usize,
        /// Instructions of the whole process with its timed runs (set-up, warm-up and runs).
        with_runs: u64,
        /// Instructions of the whole process without them (set-up and warm-up).
        without_runs: u64,
        /// The instrument and how it was run (`valgrind-3.19.0 cachegrind --cache-sim=no`).
        tool: String,
    },
    /// Not counted, and why (a closed loop, a process the harness does not run, a latency).
    Skipped {
        /// Why.
        reason: String,
    },
    /// The count was attempted and failed (the job failed or timed out under the simulator); the measurement's
    /// timings stand.
    Failed {
        /// What went wrong.
        message: String,
    },
}

impl Measurement {
    /// Instructions per timed run, when the run counted them.
    pub fn instructions_per_run(&self) -> Option<f64> {
        self.instructions.as_ref().and_then(Instructions::per_run)
    }
}

impl Instructions {
    /// Instructions per timed run, when counted.
    pub fn per_run(&self) -> Option<f64> {
        match self {
            Instructions::Counted { per_run, .. } => Some(*per_run),
            Instructions::Skipped { .. } | Instructions::Failed { .. } => None,
        }
    }
}

/// What a streaming measurement saw of the feed, over its timed sessions. The metric's samples are the achieved
/// rate of each session; `latency` is send-to-visible per tick.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StreamStats {
    /// Offered rate over all connections, ticks per second; absent when the feed was unpaced.
    pub offered_per_s: Option<f64>,
    /// WebSocket connections the ticks were spread over (by symbol).
    pub connections: u32,
    /// Ticks in each session.
    pub ticks_per_session: u64,
    /// Timed sessions that passed the checker (count, no loss, no duplicates, VWAP equal to the reference).
    pub sessions_checked: u64,
    /// Jumps in a connection's message sequence (0 unless a connection dropped).
    pub gaps: u64,
    /// Connections re-established after a drop.
    pub reconnects: u64,
    /// Messages skipped as malformed, by reason.
    pub malformed: BTreeMap<String, u64>,
    /// CPU seconds of the measurement process over the timed sessions (user + system).
    pub consumer_cpu_s: Option<f64>,
    /// CPU seconds of the feed process over all its sessions, warm-up included.
    pub feed_cpu_s: Option<f64>,
    /// Peak RSS (`VmHWM`) of the feed process, bytes.
    pub feed_peak_rss_bytes: Option<u64>,
    /// CPU pinning of feed and consumer (`none`: both share every core).
    pub cpu_pinning: String,
}

impl Measurement {
    /// Whether it counts as failed for a run's exit code: an error, or an answer that disagreed.
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Error { .. }) || matches!(self.answer_check, AnswerCheck::Mismatch { .. })
    }

    /// The identity of the task this measures, without the variant: measurements sharing it must agree on answers
    /// and are compared with each other in tables.
    pub fn task_key(&self) -> String {
        task_key(&self.workload, &self.task, &self.size, &self.params)
    }

    /// Peak RSS per process, or the one recorded peak for results made before that was kept.
    pub fn process_peaks(&self) -> Vec<u64> {
        if self.memory.process_peak_rss_bytes.is_empty() {
            self.memory.peak_rss_bytes.into_iter().collect()
        } else {
            self.memory.process_peak_rss_bytes.clone()
        }
    }

    /// Whether the variant competes for wins and ties (limits and test doubles do not; no role: it competes).
    pub fn competes(&self) -> bool {
        self.role.is_none_or(|r| r.competes())
    }

    /// Whether the timing can be trusted: the run ended `ok` and its answer did not disagree with another variant.
    pub fn counts(&self) -> bool {
        matches!(self.outcome, Outcome::Ok) && !matches!(self.answer_check, AnswerCheck::Mismatch { .. })
    }
}

/// Builds the task identity shared by every variant of one task, e.g. `concurrent-query/mixed/default[clients=10]`.
pub fn task_key(workload: &str, task: &str, size: &str, params: &BTreeMap<String, serde_json::Value>) -> String {
    let mut key = format!("{workload}/{task}/{size}");
    if !params.is_empty() {
        let p: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        key.push_str(&format!("[{}]", p.join(",")));
    }
    key
}

/// What a variant is in a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An idiomatic way to do the task with plain Polars.
    Baseline,
    /// Plain Polars with the knobs an expert would set for the task (the measurement's `knobs` name them), beside
    /// the idiomatic baseline with Polars' defaults.
    Tuned,
    /// The engine under evaluation, everything on.
    Engine,
    /// The engine with a part switched off, to show what that part contributes.
    Ablation,
    /// The engine served over the network (its Flight SQL server in a process of its own): what the network layer
    /// costs against the engine in process.
    Served,
    /// A ceiling, not a competitor (e.g. parse and discard): never wins or ties.
    Limit,
    /// A harness test double.
    TestDouble,
}

impl Role {
    /// Whether the variant competes for wins and ties.
    pub fn competes(self) -> bool {
        matches!(self, Role::Baseline | Role::Tuned | Role::Engine | Role::Ablation | Role::Served)
    }
}

/// How a measurement ended. Only `ok` carries timings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Completed; metric and answer are present.
    Ok,
    /// The kernel killed the process for exceeding its memory cap (observed, not guessed).
    Oom {
        /// How the kill was observed.
        detail: String,
    },
    /// The process exceeded its time limit and was killed.
    Timeout {
        /// The limit, in seconds.
        limit_s: f64,
    },
    /// The variant failed; the message says why.
    Error {
        /// Error chain as text.
        message: String,
    },
    /// The variant cannot run this task.
    Unsupported {
        /// Why not.
        reason: String,
    },
}

impl Outcome {
    /// Short label for tables: `ok`, `oom`, `timeout`, `error`, `unsupported`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Oom { .. } => "oom",
            Outcome::Timeout { .. } => "timeout",
            Outcome::Error { .. } => "error",
            Outcome::Unsupported { .. } => "unsupported",
        }
    }
}

/// The headline metric of a measurement.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Metric {
    /// `time` (seconds per iteration) or `throughput` (queries per second over a run).
    pub name: String,
    /// Unit of the samples: `s` or `queries/s`.
    pub unit: String,
    /// Whether larger samples are better (`false` for time).
    pub higher_is_better: bool,
    /// Untimed warm-up iterations made before the samples.
    pub warmup_runs: usize,
    /// Raw samples by measurement process, in the order measured: `samples[p][i]` is timed iteration `i` of
    /// process `p`.
    pub samples: Vec<Vec<f64>>,
    /// Statistics of the samples.
    pub summary: Summary,
}

/// Per-request latency, recorded with an HDR histogram (3 significant digits).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Latency {
    /// Requests completed in the timed runs.
    pub count: u64,
    /// Requests that failed in the timed runs.
    pub errors: u64,
    /// Median latency, nanoseconds.
    pub p50_ns: u64,
    /// 95th percentile, nanoseconds.
    pub p95_ns: u64,
    /// 99th percentile, nanoseconds.
    pub p99_ns: u64,
    /// 99.9th percentile, nanoseconds.
    pub p999_ns: u64,
    /// Largest latency seen, nanoseconds.
    pub max_ns: u64,
}

/// Work per timed iteration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Work {
    /// Input rows covered by one iteration.
    pub input_rows: u64,
    /// Input file bytes covered by one iteration (compressed Parquet).
    pub input_bytes: u64,
}

/// Memory figures of a measurement process, from the kernel.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MemoryUsage {
    /// Peak resident set size (`ru_maxrss` from `wait4`): the largest over the measurement's processes.
    pub peak_rss_bytes: Option<u64>,
    /// Peak resident set size of each measurement process, in order (what `compare` tests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub process_peak_rss_bytes: Vec<u64>,
    /// Peak charge of the process's cgroup (anonymous memory plus page cache), when a cgroup was used.
    pub cgroup_peak_bytes: Option<u64>,
    /// The cap the process ran under.
    pub cap_bytes: Option<u64>,
}

/// One sample of the measurement process, taken by the parent with sysinfo.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct TimelinePoint {
    /// Milliseconds since the process started.
    pub t_ms: u64,
    /// Resident set size.
    pub rss_bytes: u64,
    /// CPU use since the previous sample, percent of one core (200 = two cores busy).
    pub cpu_percent: f32,
}

/// A digest of a variant's answer, order-independent so equal results compare equal whatever order rows came in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Answer {
    /// Rows in the result.
    pub rows: u64,
    /// Column names, in result order.
    pub columns: Vec<String>,
    /// Multiset hash of the canonical rows (see docs/methodology.md), hex.
    pub checksum: String,
    /// The first rows in canonical text form, for a human reading a mismatch.
    pub preview: Vec<String>,
}

/// How the answer compared with the other variants of the same task.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AnswerCheck {
    /// No answer to check (the run did not finish).
    Unchecked,
    /// First answer for this task: the others are compared with it.
    Reference,
    /// Equal to the reference variant's answer.
    Matched {
        /// Variant whose answer was the reference.
        reference: String,
    },
    /// Different from the reference variant's answer: this pair is failed and its timings do not count.
    Mismatch {
        /// Variant whose answer was the reference.
        reference: String,
        /// The reference answer, for comparison with this measurement's `answer`.
        reference_answer: Answer,
    },
}
