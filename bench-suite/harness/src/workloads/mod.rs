//! Workloads: each one is a dataset recipe per size, its tasks, the engine variants that run it, its sweep of
//! parameters, and the driver that times it inside the measurement process. [`WORKLOADS`] is the registry; its
//! order is the order of runs and reports.

pub mod batch_read;
pub mod concurrent_query;
pub mod file;
pub mod sql;
pub mod large_dataset;
pub mod streaming;

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use hdrhistogram::Histogram;
use polaroid_results::{Answer, Latency, Work};

use crate::answer;
use crate::companion::Companion;
use crate::data::{Dataset, Recipe};
use crate::engines::{Engine, EngineKind, Input, Op, Output};
use crate::error::{Error, Result};
use crate::plans;

pub use crate::protocol::{ChildReport, ChildSpec, Extra, Params, Rate, Settings, SqlTable, SqlTask};

/// Suite sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// Seconds per workload; what tests use.
    Smoke,
    /// The whole suite, sized to run in minutes rather than hours on 2 cores (the README says how long it took).
    Default,
    /// Opt-in: large-dataset's data exceeds this machine's RAM.
    Large,
}

impl Size {
    /// All sizes.
    pub const ALL: [Size; 3] = [Size::Smoke, Size::Default, Size::Large];

    /// Name on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            Size::Smoke => "smoke",
            Size::Default => "default",
            Size::Large => "large",
        }
    }
}

/// A task of a workload: the op it times and what it is.
#[derive(Debug, Clone, Copy)]
pub struct TaskDef {
    /// Task name in results.
    pub name: &'static str,
    /// What is timed.
    pub about: &'static str,
    /// A workload file's query (`None` for the built-in workloads' tasks).
    pub sql: Option<&'static SqlTask>,
}

/// A workload in the registry.
#[derive(Debug)]
pub struct Workload {
    /// Name on the command line and in results.
    pub name: &'static str,
    /// What it measures.
    pub about: &'static str,
    /// What could make the comparison unfair, and what the harness does about it.
    pub fairness: &'static str,
    /// Tasks, in report order.
    pub tasks: &'static [TaskDef],
    /// Engine variants that run it, in report order.
    pub engines: &'static [EngineKind],
    /// The dataset for a size and seed (`None`: a workload file's, whose data is its tables).
    pub recipe: Option<fn(Size, u64) -> Recipe>,
    /// Measurement settings for a size.
    pub settings: fn(Size) -> Settings,
    /// Child-side driver: times the task and returns the report.
    pub drive: fn(&ChildSpec, &dyn Engine, &Input) -> Result<ChildReport>,
    /// Parent side: starts what one measurement process needs beside it (a server, a feed) and says what the
    /// process is told about it ([`no_companions`] for none).
    pub companions: fn(&Setup<'_>) -> Result<Companions>,
    /// Parent side: applies the run's options that concern this workload only (`--memory-cap`, `--clients`) to
    /// its settings ([`keep_settings`] for none).
    pub adjust: fn(&mut Settings, &Overrides<'_>),
    /// Parent side: a line to say once the datasets are ready (large-dataset: its decoded size against the cap).
    pub note: fn(&Dataset, &Settings) -> Option<String>,
    /// Why `run --instructions` cannot count this workload's work (`None`: its tasks are timed iterations, whose
    /// instructions are counted; see `measure::instructions`).
    pub no_instructions: Option<&'static str>,
}

/// What the parent knows when it starts the companions of one measurement process ([`Workload::companions`]).
pub struct Setup<'a> {
    /// The task measured.
    pub task: &'a TaskDef,
    /// The variant measured.
    pub engine: EngineKind,
    /// The sweep point.
    pub params: &'a Params,
    /// The measurement's settings.
    pub settings: &'a Settings,
    /// Its dataset.
    pub dataset: &'a Dataset,
    /// The run's seed (request mixes).
    pub seed: u64,
    /// The binary whose processes the companions run in (`polaroid-bench`, or the side's in an interleaved run).
    pub binary: &'a Path,
    /// A directory of this measurement process's own, removed after it.
    pub scratch: &'a Path,
}

/// The companions started for one measurement process, and what the process is told about them.
pub struct Companions {
    /// For the measurement process: the S3 endpoint, the server's address, the feed's URL.
    pub extra: Extra,
    /// Running until the process has ended; then stopped, and what they measured recorded.
    pub running: Vec<Box<dyn Companion>>,
}

/// The run's options that concern one workload's settings only, for [`Workload::adjust`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides<'a> {
    /// `--memory-cap`.
    pub memory_cap_bytes: Option<u64>,
    /// `--clients`.
    pub clients: Option<&'a [u64]>,
    /// `--latency-ms`.
    pub latency_ms: Option<&'a [u64]>,
}

/// [`Workload::companions`] of a workload that needs none.
pub fn no_companions(_: &Setup<'_>) -> Result<Companions> {
    Ok(Companions { extra: Extra::None, running: Vec::new() })
}

/// [`Workload::adjust`] of a workload that no workload-specific option concerns.
pub fn keep_settings(_: &mut Settings, _: &Overrides<'_>) {}

/// [`Workload::note`] of a workload with nothing to say.
pub fn no_note(_: &Dataset, _: &Settings) -> Option<String> {
    None
}

/// The registry, in report order.
pub static WORKLOADS: [&Workload; 4] =
    [&batch_read::WORKLOAD, &concurrent_query::WORKLOAD, &large_dataset::WORKLOAD, &streaming::WORKLOAD];

/// The driver of a measurement process's spec: a workload file's query runs on the SQL workload's driver, any
/// other task on its registered workload's.
pub fn driver(spec: &ChildSpec) -> Result<fn(&ChildSpec, &dyn Engine, &Input) -> Result<ChildReport>> {
    match &spec.extra {
        Extra::Sql(_) => Ok(sql::drive),
        _ => Ok(find(&spec.workload)?.drive),
    }
}

/// Looks a workload up by name; the error lists the valid names.
pub fn find(name: &str) -> Result<&'static Workload> {
    WORKLOADS.iter().copied().find(|w| w.name == name).ok_or_else(|| Error::UnknownWorkload {
        name: name.into(),
        valid: WORKLOADS.iter().map(|w| w.name).collect::<Vec<_>>().join(", "),
    })
}

/// The driver shared by workloads that time whole iterations of one op (batch-read, large-dataset): warm-up runs
/// (the first one's output is digested for the answer check, outside the timer), then timed runs. An output is
/// dropped after its clock stops, so freeing memory is not timed.
pub fn time_iterations(spec: &ChildSpec, engine: &dyn Engine, input: &Input, op: &Op, work: Option<Work>) -> Result<ChildReport> {
    let warmup = spec.settings.warmup.max(1);
    let mut answer = None;
    let mut written = None;
    let mut answer_file = None;
    for _ in 0..warmup {
        let output = engine.execute(input, op)?;
        match &output {
            Output::Written(path) => written = Some(path.clone()),
            // A SQL answer is left as a file, as the Python workers leave theirs: the parent digests it by column
            // position and keeps it for a second look with a tolerance when digests differ (answer::same_within_tolerance).
            Output::Frames(frames) if answer_file.is_none() && matches!(op, Op::Sql { .. }) => {
                answer = Some(answer::digest_by_position(frames)?);
                let path = spec.scratch_dir.join("answer.parquet");
                crate::engines::write_parquet(&mut crate::engines::concat(frames.clone())?, &path)?;
                answer_file = Some(path);
            }
            _ if answer.is_none() && answer_file.is_none() => answer = Some(digest_output(&output)?),
            _ => {}
        }
    }
    let mut samples = Vec::with_capacity(spec.settings.runs);
    for _ in 0..spec.settings.runs {
        let start = Instant::now();
        let output = engine.execute(input, op)?;
        if spec.busy_fraction > 0.0 {
            busy_for(start.elapsed().mul_f64(spec.busy_fraction));
        }
        samples.push(start.elapsed().as_secs_f64());
        drop(output);
    }
    Ok(ChildReport {
        metric_name: "time".into(),
        unit: "s".into(),
        higher_is_better: false,
        warmup_runs: warmup,
        samples,
        latency: None,
        work,
        answer,
        peak_rss_bytes: own_peak_rss_bytes(),
        stream: None,
        written,
        engine_figures: Default::default(),
        answer_file,
        answer_files: Vec::new(),
    })
}

/// Spins on this thread for `d` (the injected slowdown: CPU work, like a real regression, not a sleep).
fn busy_for(d: std::time::Duration) {
    let start = Instant::now();
    let mut x = 0u64;
    while start.elapsed() < d {
        for i in 0..1_000u64 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
    }
    std::hint::black_box(x);
}

/// Digest of an op's output. A written file is checked by what it holds: the full aggregate of the file, computed
/// with the streaming engine (so the check itself fits under the memory cap).
pub fn digest_output(output: &Output) -> Result<Answer> {
    match output {
        Output::Frames(frames) => answer::digest(frames),
        Output::Ingested(_) => Err(crate::error::internal("an ingest session has no frame answer; the streaming driver digests it")),
        Output::Written(path) => {
            let lf = crate::engines::scan(&path.display().to_string())?;
            let df = plans::full_aggregate(lf).collect_with_engine(polars::prelude::Engine::Streaming)?.unwrap_single();
            answer::digest(&[df])
        }
    }
}

/// Work covered by one pass over every input file: rows, and the compressed bytes of the column chunks read
/// (`columns`: `None` for every column), taken from the Parquet footers so that a task reading three columns is
/// not credited with decoding six.
pub fn work_of(input: &Input, rows: u64, columns: Option<&[&str]>) -> Result<Work> {
    use polars::prelude::{ParquetReader, SerReader};
    let mut bytes = 0u64;
    for f in &input.files {
        let file = std::fs::File::open(f).map_err(crate::error::io_err("opening", f))?;
        let mut reader = ParquetReader::new(file);
        for rg in &reader.get_metadata()?.row_groups {
            for chunk in rg.parquet_columns() {
                let name = chunk.descriptor().path_in_schema.first().map(|n| n.as_str()).unwrap_or_default();
                if columns.is_none_or(|cols| cols.contains(&name)) {
                    bytes += chunk.compressed_size().max(0) as u64;
                }
            }
        }
    }
    Ok(Work { input_rows: rows, input_bytes: bytes })
}

/// The kernel's high-water mark of this process's resident memory (`VmHWM`), from /proc/self/status.
pub fn own_peak_rss_bytes() -> Option<u64> {
    crate::probe::vm_hwm_bytes("/proc/self/status")
}

/// Percentiles of a latency histogram (nanoseconds).
pub(crate) fn latency_of(h: &Histogram<u64>, errors: u64) -> Latency {
    Latency {
        count: h.len(),
        errors,
        p50_ns: h.value_at_quantile(0.50),
        p95_ns: h.value_at_quantile(0.95),
        p99_ns: h.value_at_quantile(0.99),
        p999_ns: h.value_at_quantile(0.999),
        max_ns: h.max(),
    }
}

/// One sweep entry with no parameters.
pub(crate) fn no_sweep() -> Vec<Params> {
    vec![Params::default()]
}

pub(crate) const GIB: u64 = 1 << 30;
pub(crate) const MIB: u64 = 1 << 20;

/// A cap that guards the machine rather than the measurement: three quarters of physical memory.
pub(crate) fn safety_cap() -> u64 {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    (sys.total_memory() / 4 * 3).max(GIB)
}
