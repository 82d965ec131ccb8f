//! What to run: the user's options, validated and resolved into a plan (measurements, datasets, settings), and the
//! datasets provisioned.

use std::path::{Path, PathBuf};

use serde::Serialize;

use polaroid_results::task_key;

use crate::cancel::Cancel;
use crate::data::{self, Dataset, Provisioned};
use crate::engines::EngineKind;
use crate::error::{Error, Result};
use crate::workloads::file::{self, FileWorkload};
use crate::workloads::{self, Overrides, Params, Settings, Size, TaskDef, Workload};

pub use crate::data::default_data_dir;

/// What the user asked for (validated by [`plan`]).
#[derive(Debug, Clone, Serialize)]
pub struct RunOptions {
    /// Suite size.
    pub suite: Size,
    /// Workloads to run (empty: all).
    pub workloads: Vec<String>,
    /// Engine variants to run (empty: each workload's own list).
    pub engines: Vec<String>,
    /// Where datasets live (`None`: the default data directory, created when missing).
    pub data_dir: Option<PathBuf>,
    /// User-supplied Parquet file or directory to use instead of generated data.
    pub input: Option<PathBuf>,
    /// Result file.
    pub out: PathBuf,
    /// Continue the run in `out` instead of starting over.
    #[serde(skip)]
    pub resume: bool,
    /// Seed of generated data and request mixes.
    pub seed: u64,
    /// Override of measurement processes per measurement.
    pub processes: Option<usize>,
    /// Override of timed runs per process.
    pub runs: Option<usize>,
    /// Override of warm-up runs.
    pub warmup: Option<usize>,
    /// Override of the closed-loop run duration (concurrent-query).
    pub duration_s: Option<f64>,
    /// Override of the per-measurement timeout.
    pub timeout_s: Option<f64>,
    /// Override of large-dataset's memory cap.
    pub memory_cap_bytes: Option<u64>,
    /// Override of concurrent-query's client counts.
    pub clients: Option<Vec<u64>>,
    /// Override of the S3 server's latencies (batch-read's sweep, a workload file's `[s3]`).
    pub latency_ms: Option<Vec<u64>>,
    /// Measure the machine's limits first.
    pub calibrate: bool,
    /// Drop the page cache before every measurement (needs root; verified with fincore).
    pub cold: bool,
    /// Count the instructions of each measurement's timed work under Valgrind, in processes of their own after its
    /// timed ones (see `measure::instructions`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instructions: bool,
    /// `compare-run --budget`: add processes to the measurements still undecided until each is decided or the
    /// budget is spent (runner/budget.rs). `None`: every measurement gets its processes and no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<super::Budget>,
    /// Binary to run measurements with (`None`: found by `worker::locate`).
    #[serde(skip)]
    pub measure_binary: Option<PathBuf>,
    /// Hidden test option: slow this variant down by this fraction of its timed work (see `ChildSpec::busy_fraction`).
    #[serde(skip)]
    pub inject_slowdown: Option<(String, f64)>,
    /// Set from another thread to stop the run (see [`Cancel`]).
    #[serde(skip)]
    pub cancel: Cancel,
    /// The command line, for provenance (the caller's: a library reads no process arguments).
    #[serde(skip)]
    pub command: Vec<String>,
}

impl RunOptions {
    /// Defaults for a suite, writing to `out`.
    pub fn new(suite: Size, out: impl Into<PathBuf>) -> Self {
        RunOptions {
            suite,
            workloads: Vec::new(),
            engines: Vec::new(),
            data_dir: None,
            input: None,
            out: out.into(),
            resume: false,
            seed: 42,
            processes: None,
            runs: None,
            warmup: None,
            duration_s: None,
            timeout_s: None,
            memory_cap_bytes: None,
            clients: None,
            latency_ms: None,
            calibrate: true,
            cold: false,
            instructions: false,
            budget: None,
            measure_binary: None,
            inject_slowdown: None,
            cancel: Cancel::default(),
            command: Vec::new(),
        }
    }
}

/// One measurement to make.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Unique key, as in the result.
    pub key: String,
    /// Workload.
    pub workload: &'static Workload,
    /// The task.
    pub task: &'static TaskDef,
    /// Engine variant.
    pub engine: EngineKind,
    /// Sweep parameters.
    pub params: Params,
    /// Settings after overrides.
    pub settings: Settings,
    /// Index into [`Plan::datasets`].
    pub dataset: usize,
}

/// The resolved plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Measurements in run order.
    pub items: Vec<Planned>,
    /// Datasets the measurements read (provisioned by [`run`]).
    pub datasets: Vec<DatasetPlan>,
    /// Data directory.
    pub data_dir: PathBuf,
}

/// A dataset the plan needs.
#[derive(Debug, Clone)]
pub enum DatasetPlan {
    /// To be generated (or reused) from a recipe.
    Generated(data::Recipe),
    /// The user's files, already validated.
    User(Dataset),
}

/// Validates options and resolves them into a plan. Errors name the option to fix.
pub fn plan(options: &RunOptions) -> Result<Plan> {
    let selected: Vec<Selected> = if options.workloads.is_empty() {
        workloads::WORKLOADS.iter().map(|w| Selected { workload: w, file: None }).collect()
    } else {
        let mut selected = Vec::new();
        for w in &options.workloads {
            selected.extend(select(w, options)?);
        }
        selected
    };
    let engines: Vec<EngineKind> = options.engines.iter().map(|e| EngineKind::from_name(e)).collect::<Result<_>>()?;
    let data_dir = match &options.data_dir {
        Some(dir) if !dir.is_dir() => return Err(Error::MissingDataDir { path: dir.clone() }),
        Some(dir) => dir.clone(),
        None => default_data_dir(),
    };
    if options.runs == Some(0) {
        return Err(Error::InvalidOption("--runs must be at least 1".into()));
    }
    if options.processes == Some(0) {
        return Err(Error::InvalidOption("--processes must be at least 1 (2 or more for `compare` to test a change)".into()));
    }
    if let Some((variant, fraction)) = &options.inject_slowdown {
        EngineKind::from_name(variant)?;
        if !(*fraction > 0.0 && *fraction < 10.0) {
            return Err(Error::InvalidOption(format!("--inject-slowdown needs a fraction in (0, 10), got {fraction}")));
        }
    }
    if options.clients.as_ref().is_some_and(|c| c.is_empty() || c.contains(&0)) {
        return Err(Error::InvalidOption("--clients needs one or more client counts, each at least 1".into()));
    }
    let user = options.input.as_deref().map(data::user_dataset).transpose()?;

    let mut datasets: Vec<DatasetPlan> = Vec::new();
    let mut items = Vec::new();
    for Selected { workload, file } in selected {
        let dataset = match (&file, &user) {
            (Some(file), _) => DatasetPlan::User(data::tables_dataset(&file.name, &file.tables)?),
            (None, Some(d)) => DatasetPlan::User(d.clone()),
            (None, None) => match workload.recipe {
                Some(recipe) => DatasetPlan::Generated(recipe(options.suite, options.seed)),
                None => return Err(crate::error::internal(format!("workload '{}' has neither a recipe nor tables", workload.name))),
            },
        };
        let index = match datasets.iter().position(|d| same_dataset(d, &dataset)) {
            Some(i) => i,
            None => {
                datasets.push(dataset);
                datasets.len() - 1
            }
        };
        let settings = resolve_settings(workload, file.as_ref(), options);
        let variants: Vec<EngineKind> = if engines.is_empty() { workload.engines.to_vec() } else { engines.clone() };
        for task in workload.tasks {
            for params in &settings.sweep {
                for engine in &variants {
                    let key = format!("{}/{}", task_key(workload.name, task.name, options.suite.name(), &params.to_map()), engine.name());
                    items.push(Planned {
                        key,
                        workload,
                        task,
                        engine: *engine,
                        params: params.clone(),
                        settings: settings.clone(),
                        dataset: index,
                    });
                }
            }
        }
    }
    if items.is_empty() {
        return Err(Error::EmptyPlan("the selected workloads and engines give no measurements".into()));
    }
    let mut kinds: Vec<EngineKind> = Vec::new();
    for item in &items {
        if !kinds.contains(&item.engine) {
            kinds.push(item.engine);
        }
    }
    crate::engines::python::check(&kinds)?;
    if kinds.iter().any(|k| k.is_ballista()) {
        // The client and the cluster run in polaroid-ballista: found (and its settings read) before anything runs.
        crate::engines::ballista::locate(&crate::protocol::locate(options.measure_binary.as_deref())?)?;
        crate::engines::ballista::slots()?;
    }
    Ok(Plan { items, datasets, data_dir })
}

fn same_dataset(a: &DatasetPlan, b: &DatasetPlan) -> bool {
    match (a, b) {
        (DatasetPlan::Generated(x), DatasetPlan::Generated(y)) => x == y,
        (DatasetPlan::User(x), DatasetPlan::User(y)) => x.info.fingerprint == y.info.fingerprint,
        _ => false,
    }
}

/// A workload to run: a registered one, or one a workload file defines (its entry made from the file).
struct Selected {
    workload: &'static Workload,
    file: Option<FileWorkload>,
}

/// A workload named on the command line: a workload file (`*.toml`), read and validated whole (its queries, and its
/// concurrent mix when it has `[concurrency]`), or a registered workload's name.
fn select(name: &str, options: &RunOptions) -> Result<Vec<Selected>> {
    if file::is_file(name) {
        let data_dir = data::data_dir(options.data_dir.as_deref())?;
        let binary = crate::protocol::locate(options.measure_binary.as_deref())?;
        let resolve = file::Resolve { size: options.suite, data_dir: &data_dir, binary: &binary };
        let file = file::load_with(Path::new(name), Some(resolve))?;
        return Ok(workloads::sql::workloads(&file).into_iter().map(|workload| Selected { workload, file: Some(file.clone()) }).collect());
    }
    Ok(vec![Selected { workload: workloads::find(name)?, file: None }])
}

/// A workload's settings for the suite size, then a workload file's `[run]`, then the command line's options.
fn resolve_settings(workload: &Workload, file: Option<&FileWorkload>, options: &RunOptions) -> Settings {
    let mut s = (workload.settings)(options.suite);
    if let Some(file) = file {
        workloads::sql::file_settings(file, workloads::sql::is_mix(workload), &mut s);
    }
    if let Some(runs) = options.runs {
        s.runs = runs;
    }
    if let Some(processes) = options.processes {
        s.processes = processes;
    }
    if let Some(warmup) = options.warmup {
        s.warmup = warmup;
    }
    if let Some(d) = options.duration_s {
        s.run_duration_s = d;
    }
    if let Some(t) = options.timeout_s {
        s.timeout_s = t;
    }
    let overrides = Overrides { memory_cap_bytes: options.memory_cap_bytes, clients: options.clients.as_deref(), latency_ms: options.latency_ms.as_deref() };
    (workload.adjust)(&mut s, &overrides);
    if let Some(file) = file {
        workloads::sql::s3_sweep(file, &overrides, &mut s);
    }
    s
}

/// Generates (or verifies) the datasets of `workloads` (all when empty) at `suite` size, each once.
pub fn provision(workloads: &[String], suite: crate::workloads::Size, seed: u64, dir: Option<&Path>) -> Result<Vec<(Dataset, Provisioned)>> {
    let selected: Vec<&crate::workloads::Workload> = if workloads.is_empty() {
        crate::workloads::WORKLOADS.to_vec()
    } else {
        workloads.iter().map(|w| crate::workloads::find(w)).collect::<Result<_>>()?
    };
    let dir = data::data_dir(dir)?;
    let mut recipes: Vec<data::Recipe> = Vec::new();
    for r in selected.iter().filter_map(|w| w.recipe.map(|recipe| recipe(suite, seed))) {
        if !recipes.contains(&r) {
            recipes.push(r);
        }
    }
    recipes.iter().map(|r| data::ensure(r, &dir)).collect()
}
