//! The SQL workload: a workload file's queries (see [`file`](super::file)) timed on the engines that run SQL.
//!
//! What it measures: the wall time of one query, planned and run, its result fully materialized (a collected
//! DataFrame), after warm-up runs in the same process (so the file system cache is warm, as in a notebook that
//! runs a query twice). Each query, with each combination of its parameters, is a task.
//!
//! What could make it unfair: every engine reads the same files, named by the same tables; answers are compared
//! across engines (and with the file's `expect_rows` and `answer` files) before any timing counts.

use std::sync::Arc;

use crate::data::Dataset;
use crate::engines::{Engine, EngineKind, Input, Op, Output, ballista};
use crate::flight::FlightProcess;
use crate::s3::S3Server;
use crate::error::{Error, Result};
use crate::workloads::file::FileWorkload;
use crate::workloads::{
    ChildReport, ChildSpec, Companions, Extra, SqlTable, SqlTask, Settings, Setup, Size, TaskDef, Workload, Overrides, no_sweep,
    safety_cap, time_iterations,
};

/// The settings of a workload file's queries before its `[run]` and the command line: at `default` size three
/// processes of one warm-up and five timed runs, five minutes each at most, the machine's safety cap.
fn settings(size: Size) -> Settings {
    let (processes, runs, timeout_s) = match size {
        Size::Smoke => (2, 2, 60.0),
        Size::Default | Size::Large => (3, 5, 300.0),
    };
    Settings { processes, warmup: 1, runs, run_duration_s: 0.0, timeout_s, memory_cap_bytes: safety_cap(), sweep: no_sweep() }
}

/// The registry entry of a workload file: the file's name, queries and engines with the SQL driver. Workloads are
/// `'static` (the registry's are statics); a file's entry (its names and SQL) is leaked, once per plan.
pub fn workload(file: &FileWorkload) -> &'static Workload {
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let tasks: Vec<TaskDef> = file
        .queries
        .iter()
        .map(|q| {
            let task = SqlTask {
                tables: file.tables.clone(),
                sql: q.sql.clone(),
                expect_rows: q.expect_rows,
                expect_answer: q.answer.clone(),
                server: None,
                mix: Vec::new(),
                s3: None,
            };
            TaskDef { name: leak(&q.name), about: leak(q.sql.trim()), sql: Some(Box::leak(Box::new(task))) }
        })
        .collect();
    let about = if file.about.is_empty() { format!("the queries of {}", file.path.display()) } else { file.about.clone() };
    Box::leak(Box::new(Workload {
        name: leak(&file.name),
        about: leak(&about),
        fairness: "every engine reads the same Parquet files under the same table names; answers compared across engines",
        tasks: Box::leak(tasks.into_boxed_slice()),
        engines: Box::leak(file.engines.clone().into_boxed_slice()),
        recipe: None,
        settings,
        drive,
        companions,
        adjust,
        note: no_note,
        no_instructions: None,
    }))
}

/// The registry entries of a workload file: its queries, and its `[concurrency]` mix when it has one.
pub fn workloads(file: &FileWorkload) -> Vec<&'static Workload> {
    std::iter::once(workload(file)).chain(concurrent_workload(file)).collect()
}

/// The registry entry of a workload file's `[concurrency]`: one task, `concurrent`, swept over client counts as
/// concurrent-query is, each client issuing the mix's queries back to back.
pub fn concurrent_workload(file: &FileWorkload) -> Option<&'static Workload> {
    let mix = file.concurrency.as_ref()?;
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let task = SqlTask { tables: file.tables.clone(), sql: String::new(), expect_rows: None, expect_answer: None, server: None, mix: mix.queries.clone(), s3: None };
    let names: Vec<&str> = mix.queries.iter().map(|q| q.name.as_str()).collect();
    let about = format!(
        "queries per second and latency of closed-loop clients, each issuing the file's queries ({}) drawn at random, seeded, back to back",
        names.join(", ")
    );
    let tasks = vec![TaskDef { name: super::file::CONCURRENT_TASK, about: leak(&about), sql: Some(Box::leak(Box::new(task))) }];
    Some(Box::leak(Box::new(Workload {
        name: leak(&file.name),
        about: leak(&format!("{} (concurrent clients)", if file.about.is_empty() { file.name.as_str() } else { file.about.as_str() })),
        fairness: "every engine serves the same seeded sequence of the file's queries, each query's answer checked once per process before the loops",
        tasks: Box::leak(tasks.into_boxed_slice()),
        engines: Box::leak(file.engines.clone().into_boxed_slice()),
        recipe: None,
        settings: super::concurrent_query::settings,
        drive,
        companions,
        adjust: adjust_mix,
        note: no_note,
        no_instructions: Some(super::concurrent_query::CLOSED_LOOP),
    })))
}

/// Whether a workload is a file's concurrent mix (its settings come from `[concurrency]`).
pub fn is_mix(workload: &Workload) -> bool {
    workload.tasks.iter().any(|t| t.sql.is_some_and(|s| !s.mix.is_empty()))
}

/// `--memory-cap`, and `--clients` replaces the sweep of client counts.
fn adjust_mix(settings: &mut Settings, overrides: &Overrides<'_>) {
    adjust(settings, overrides);
    super::concurrent_query::adjust(settings, overrides);
}

fn no_note(_: &Dataset, _: &Settings) -> Option<String> {
    None
}

/// `--memory-cap` caps every query's process.
fn adjust(settings: &mut Settings, overrides: &Overrides<'_>) {
    if let Some(cap) = overrides.memory_cap_bytes {
        settings.memory_cap_bytes = cap;
    }
}

/// The measurement process is told its query. At an `[s3]` latency above 0 the tables are served by an S3 server
/// started for this process (every engine reads them from it). `polaroid-flight`'s process gets a Flight SQL server
/// process serving the local tables, and a Ballista variant's a cluster (a scheduler and its executors), both started
/// outside the measured process.
fn companions(setup: &Setup<'_>) -> Result<Companions> {
    let task = setup.task.sql.ok_or_else(|| crate::error::internal(format!("task '{}' carries no SQL", setup.task.name)))?;
    let mut task = task.clone();
    let mut running: Vec<Box<dyn crate::companion::Companion>> = Vec::new();
    if let Some(ms) = setup.params.latency_ms.filter(|ms| *ms > 0) {
        // polaroid-flight's server reads local files only: its process refuses (no server is started for it).
        let server = S3Server::serve_tables(&task.tables, std::time::Duration::from_millis(ms), setup.scratch)?;
        task.s3 = Some(server.access());
        running.push(Box::new(server));
    } else if setup.engine == EngineKind::PolaroidFlight {
        let tables = task.tables.iter().map(served_path).collect::<Result<Vec<_>>>()?;
        let server = FlightProcess::spawn(setup.binary, tables)?;
        task.server = Some(server.url.clone());
        running.push(Box::new(server));
    }
    if let EngineKind::Ballista(executors) = setup.engine {
        match ballista::external_scheduler() {
            Some(url) => task.server = Some(url),
            None => {
                let cluster = ballista::Cluster::start(&ballista::locate(setup.binary)?, executors as usize, ballista::slots()?)?;
                task.server = Some(cluster.url.clone());
                running.push(Box::new(cluster));
            }
        }
    }
    Ok(Companions { extra: Extra::Sql(Arc::new(task)), running })
}

/// How the server is given a table (`--table name=path`): its one file, loaded into the engine's cache, or the glob
/// of its directory, scanned by every query, when that glob is exactly its files.
fn served_path(table: &SqlTable) -> Result<(String, String)> {
    if let [file] = table.files.as_slice() {
        return Ok((table.name.clone(), file.display().to_string()));
    }
    let dir = table.files[0].parent().map(|d| d.display().to_string()).unwrap_or_default();
    let glob = format!("{dir}/*.parquet");
    let matched: Vec<std::path::PathBuf> = glob::glob(&glob).map(|g| g.filter_map(|p| p.ok()).collect()).unwrap_or_default();
    if matched == table.files {
        return Ok((table.name.clone(), glob));
    }
    Err(Error::Unsupported {
        engine: EngineKind::PolaroidFlight.name().into(),
        task: format!("table '{}' (its files are not one directory's *.parquet, which is how the server takes a table of several files)", table.name),
    })
}

/// Times the query; the first warm-up run's answer is the one checked (and held to `expect_rows`).
pub(crate) fn drive(spec: &ChildSpec, engine: &dyn Engine, input: &Input) -> Result<ChildReport> {
    let Extra::Sql(task) = &spec.extra else {
        return Err(crate::error::internal("an SQL measurement was sent no query"));
    };
    if !task.mix.is_empty() {
        return drive_mix(spec, engine, input, task);
    }
    let op = Op::Sql { tables: task.tables.clone(), sql: task.sql.clone() };
    let mut report = time_iterations(spec, engine, input, &op, None)?;
    if let (Some(expected), Some(answer)) = (task.expect_rows, &report.answer)
        && answer.rows != expected
    {
        return Err(Error::WrongRowCount { task: spec.task.clone(), expected, got: answer.rows });
    }
    if let Some(cost) = fixed_cost(engine, input, task) {
        report.engine_figures.insert(polaroid_results::model::FIXED_COST_FIGURE.into(), cost);
    }
    Ok(report)
}

/// The concurrent mix: each query once, untimed, its answer left as a Parquet file for the runner to check (a query
/// the engine cannot run fails the measurement, named); then concurrent-query's warm-up and timed closed loops of
/// `clients` client threads, each issuing the mix's queries drawn at random (seeded) back to back.
fn drive_mix(spec: &ChildSpec, engine: &dyn Engine, input: &Input, task: &SqlTask) -> Result<ChildReport> {
    let clients = spec.params.clients.unwrap_or(1) as usize;
    let ops: Vec<Op> = task.mix.iter().map(|q| Op::Sql { tables: task.tables.clone(), sql: q.sql.clone() }).collect();
    let mut answer_files = Vec::with_capacity(ops.len());
    for (i, (query, op)) in task.mix.iter().zip(&ops).enumerate() {
        let named = |source: Error| match source {
            e @ Error::Unsupported { .. } => e,
            e => Error::MixQuery { query: query.name.clone(), source: Box::new(e) },
        };
        let frames = match engine.execute(input, op).map_err(named)? {
            Output::Frames(frames) => frames,
            _ => return Err(crate::error::internal(format!("{} answered a SQL query with something other than frames", spec.engine))),
        };
        let path = spec.scratch_dir.join(format!("answer-{i}.parquet"));
        crate::engines::write_parquet(&mut crate::engines::concat(frames)?, &path)?;
        answer_files.push(path);
    }
    let (samples, latency) = super::concurrent_query::run_loops(spec, engine, input, &ops, clients)?;
    Ok(ChildReport {
        metric_name: "throughput".into(),
        unit: "queries/s".into(),
        higher_is_better: true,
        warmup_runs: spec.settings.warmup,
        samples,
        latency: Some(latency),
        work: None,
        answer: None,
        peak_rss_bytes: crate::workloads::own_peak_rss_bytes(),
        stream: None,
        written: None,
        engine_figures: Default::default(),
        answer_file: None,
        answer_files,
    })
}

/// The query that does no work, the same in every engine's SQL.
pub const EMPTY_QUERY: &str = "SELECT 1 AS one";

/// An engine's fixed cost per query: the median of 5 runs of [`EMPTY_QUERY`] over the same tables, run as the
/// query was, after its timed runs (what every sample pays before any data is touched: planning, dispatch, the
/// round trip to a server, converting a result). `None` when the engine refuses it.
fn fixed_cost(engine: &dyn Engine, input: &Input, task: &SqlTask) -> Option<f64> {
    let empty = Op::Sql { tables: task.tables.clone(), sql: EMPTY_QUERY.into() };
    let mut times = Vec::with_capacity(5);
    for _ in 0..5 {
        let start = std::time::Instant::now();
        drop(engine.execute(input, &empty).ok()?);
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Some(times[times.len() / 2])
}

/// `[s3]` (or `--latency-ms`, which replaces it): every point of the sweep (a single point, or the mix's client
/// counts) at each latency. Applied last, after the command line's `--clients`.
pub fn s3_sweep(file: &FileWorkload, overrides: &Overrides<'_>, settings: &mut Settings) {
    let latencies = overrides.latency_ms.unwrap_or(&file.s3_latency_ms);
    if latencies.is_empty() {
        return;
    }
    settings.sweep = settings
        .sweep
        .iter()
        .flat_map(|p| latencies.iter().map(move |ms| crate::protocol::Params { latency_ms: Some(*ms), ..p.clone() }))
        .collect();
}

/// The file's `[run]` over the size's settings (the command line's options then override both); for its concurrent
/// mix, `[concurrency]`'s clients, duration, processes and runs, and `[run]`'s timeout and memory cap.
pub fn file_settings(file: &FileWorkload, mix: bool, settings: &mut Settings) {
    let run = &file.run;
    if let Some(t) = run.timeout_s {
        settings.timeout_s = t;
    }
    if let Some(c) = run.memory_cap_bytes {
        settings.memory_cap_bytes = c;
    }
    let (processes, runs) = match (mix, &file.concurrency) {
        (true, Some(c)) => {
            // The client counts through concurrent-query's own `--clients` override.
            super::concurrent_query::adjust(settings, &Overrides { memory_cap_bytes: None, clients: c.clients.as_deref(), latency_ms: None });
            if let Some(d) = c.duration_s {
                settings.run_duration_s = d;
            }
            (c.processes, c.runs)
        }
        (true, None) => (None, None),
        (false, _) => {
            if let Some(w) = run.warmup {
                settings.warmup = w;
            }
            (run.processes, run.runs)
        }
    };
    if let Some(p) = processes {
        settings.processes = p;
    }
    if let Some(r) = runs {
        settings.runs = r;
    }
}
