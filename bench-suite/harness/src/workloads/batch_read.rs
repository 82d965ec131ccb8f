//! batch-read: read many Parquet files, either whole or as a small aggregate.
//!
//! What it measures: the wall time to get N files (default 50) into memory, for two tasks: every column of every
//! file (`load-all`), and three columns, a filter and per-symbol VWAP over all of them (`vwap`); from local files,
//! and through an S3-compatible server on 127.0.0.1 answering each request after a fixed delay (`latency_ms`: 20
//! and 50 ms at `default`, 5 ms at `smoke`), which is where overlapping requests can pay. Through the server,
//! Polars' lazy variants use Polars' own cloud reader (`scan_parquet("s3://...")`), the async engine its
//! `object_store` S3 client, the eager variants one GET per file with the same client (see `s3` and `remote`).
//!
//! What could make it unfair, and what is done about it: every variant reads the same files; the answer check
//! makes sure `load-all` really loaded every row and column (a variant that skipped work would fail it); files
//! are in the page cache for every variant alike (cache mode `warm`, unless the run drops the cache); the eager
//! variants read only the columns a task needs, as a competent user would, so that lazy variants win only by
//! what their engine does, not by a handicap given to the others.

use polaroid_results::Work;

use crate::data::Recipe;
use crate::engines::{Engine, EngineKind, Input, Op};
use crate::error::Result;
use crate::plans::AGGREGATE_COLUMNS;
use crate::s3::S3Server;
use crate::workloads::{
    ChildReport, ChildSpec, Companions, Extra, Overrides, Params, Settings, Setup, Size, TaskDef, Workload, no_companions, no_note, safety_cap,
    time_iterations, work_of,
};

/// The registry entry.
pub static WORKLOAD: Workload = Workload {
    name: "batch-read",
    about: "read N Parquet files: every column (load-all), or 3 columns + filter + per-symbol VWAP (vwap)",
    fairness: "same files for all; answers checked; eager variants project columns like a competent user",
    tasks: &[
        TaskDef { name: "load-all", about: "every column of every file, materialized in memory", sql: None },
        TaskDef { name: "vwap", about: "symbol, price, quantity of every file; quantity >= 20; VWAP per symbol", sql: None },
    ],
    engines: &[
        EngineKind::PolarsEager,
        EngineKind::PolarsThreadPool,
        EngineKind::PolarsLazy,
        EngineKind::PolarsStreaming,
        EngineKind::PolarsStreamingTuned,
        EngineKind::Polaroid,
    ],
    recipe: Some(recipe),
    settings,
    drive,
    companions,
    adjust,
    note: no_note,
    no_instructions: None,
};

fn recipe(size: Size, seed: u64) -> Recipe {
    let (files, rows_per_file) = match size {
        Size::Smoke => (4, 5_000),
        Size::Default => (50, 200_000),
        Size::Large => (200, 1_000_000),
    };
    Recipe { seed, files, rows_per_file, row_group_rows: 65_536, symbols: 300, compression: "zstd".into() }
}

fn settings(size: Size) -> Settings {
    // Processes x timed runs per process: see docs/methodology.md ("Processes, not iterations") for the variance
    // components these were chosen from.
    let (processes, warmup, runs, timeout_s, latencies_ms): (usize, usize, usize, f64, &[u64]) = match size {
        Size::Smoke => (2, 1, 2, 120.0, &[0, 5]),
        Size::Default => (5, 1, 2, 600.0, &[0, 20, 50]),
        Size::Large => (3, 1, 3, 3600.0, &[0, 20]),
    };
    // latency_ms = 0 reads local files; above that, every variant reads through the same S3 server, which answers
    // each request after that many milliseconds (see `s3`).
    let sweep = latencies_ms.iter().map(|ms| Params { latency_ms: Some(*ms), ..Params::default() }).collect();
    Settings { processes, warmup, runs, run_duration_s: 0.0, timeout_s, memory_cap_bytes: safety_cap(), sweep }
}

/// `--latency-ms` replaces the sweep of latencies.
fn adjust(settings: &mut Settings, overrides: &Overrides<'_>) {
    if let Some(latencies) = overrides.latency_ms {
        settings.sweep = latencies.iter().map(|ms| Params { latency_ms: Some(*ms), ..Params::default() }).collect();
    }
}

fn drive(spec: &ChildSpec, engine: &dyn Engine, input: &Input) -> Result<ChildReport> {
    let (op, columns) = match spec.task.as_str() {
        "load-all" => (Op::LoadAll, None),
        "vwap" => (Op::Vwap, Some(&AGGREGATE_COLUMNS[..])),
        other => return Err(crate::error::internal(format!("batch-read has no task '{other}'"))),
    };
    let work: Work = work_of(input, spec.dataset_rows, columns)?;
    time_iterations(spec, engine, input, &op, Some(work))
}

/// Remote reads (`latency_ms` > 0): the dataset's files behind an S3-compatible server on 127.0.0.1, started for
/// each measurement process with that latency added to every request.
fn companions(setup: &Setup<'_>) -> Result<Companions> {
    match setup.params.latency_ms {
        Some(ms) if ms > 0 => {
            let server = S3Server::start(&setup.dataset.files, std::time::Duration::from_millis(ms), setup.scratch)?;
            let endpoint = server.endpoint().to_string();
            Ok(Companions { extra: Extra::S3 { endpoint }, running: vec![Box::new(server)] })
        }
        _ => no_companions(setup),
    }
}
