//! large-dataset: a full scan over data several times larger than the memory the process may use.
//!
//! What it measures: the wall time of a full-scan aggregate (`aggregate`) and of rewriting the whole dataset into
//! one Parquet file (`sink`), under a real memory cap (default 1 GiB at `default` size, where the decoded data is
//! at least four times the cap). A variant that needs the whole dataset in memory is killed by the kernel and
//! recorded as `oom`: that outcome is the finding, not a failure of the harness.
//!
//! What could make it unfair: the cap counts the page cache charged to the process (cgroup), so a variant that
//! reads the same bytes is charged the same; answers of `sink` are checked by aggregating the written file, so a
//! variant cannot win by writing less.

use crate::data::Recipe;
use crate::engines::{Engine, EngineKind, Input, Op};
use crate::error::Result;
use crate::plans::AGGREGATE_COLUMNS;
use crate::data::Dataset;
use crate::workloads::{
    ChildReport, ChildSpec, GIB, MIB, Overrides, Settings, Size, TaskDef, Workload, no_companions, no_sweep, time_iterations, work_of,
};

/// The registry entry.
pub static WORKLOAD: Workload = Workload {
    name: "large-dataset",
    about: "full-scan aggregate and rewrite-to-Parquet over data several times larger than a memory cap",
    fairness: "one cgroup cap for every variant (page cache included); sink answers checked from the written file",
    tasks: &[
        TaskDef { name: "aggregate", about: "per-symbol trades, volume, VWAP, low and high over every row", sql: None },
        TaskDef { name: "sink", about: "every row and column rewritten into one Parquet file, closed on disk", sql: None },
    ],
    engines: &[EngineKind::PolarsEager, EngineKind::PolarsLazy, EngineKind::PolarsStreaming, EngineKind::Polaroid],
    recipe: Some(recipe),
    settings,
    drive,
    companions: no_companions,
    adjust,
    note,
    no_instructions: None,
};

fn recipe(size: Size, seed: u64) -> Recipe {
    let (files, rows_per_file) = match size {
        Size::Smoke => (2, 100_000),
        // 120 million rows: at least four times the 1 GiB cap once decoded (the run prints the measured ratio).
        Size::Default => (16, 7_500_000),
        Size::Large => (64, 10_000_000),
    };
    Recipe { seed, files, rows_per_file, row_group_rows: 65_536, symbols: 300, compression: "zstd".into() }
}

fn settings(size: Size) -> Settings {
    let (processes, warmup, runs, timeout_s, cap) = match size {
        Size::Smoke => (2, 1, 1, 120.0, 512 * MIB),
        Size::Default => (2, 1, 1, 900.0, GIB),
        Size::Large => (2, 1, 2, 3600.0, 4 * GIB),
    };
    Settings { processes, warmup, runs, run_duration_s: 0.0, timeout_s, memory_cap_bytes: cap, sweep: no_sweep() }
}

fn drive(spec: &ChildSpec, engine: &dyn Engine, input: &Input) -> Result<ChildReport> {
    let (op, columns) = match spec.task.as_str() {
        "aggregate" => (Op::Aggregate, Some(&AGGREGATE_COLUMNS[..])),
        "sink" => (Op::Sink { out: spec.scratch_dir.join("sink.parquet") }, None),
        other => return Err(crate::error::internal(format!("large-dataset has no task '{other}'"))),
    };
    let work = work_of(input, spec.dataset_rows, columns)?;
    time_iterations(spec, engine, input, &op, Some(work))
}

/// `--memory-cap` is this workload's cap (the data is sized against it).
fn adjust(settings: &mut Settings, overrides: &Overrides<'_>) {
    if let Some(cap) = overrides.memory_cap_bytes {
        settings.memory_cap_bytes = cap;
    }
}

/// The decoded data against the cap: what makes this workload larger than memory.
fn note(dataset: &Dataset, settings: &Settings) -> Option<String> {
    let d = &dataset.info;
    Some(format!(
        "large-dataset: decoded data {} vs cap {} (ratio {:.1})",
        polaroid_results::units::bytes(d.in_memory_bytes),
        polaroid_results::units::bytes(settings.memory_cap_bytes),
        d.in_memory_bytes as f64 / settings.memory_cap_bytes as f64
    ))
}
