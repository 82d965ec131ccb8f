//! concurrent-query: many clients querying one dataset at once, in a closed loop.
//!
//! What it measures: queries per second and per-request latency (p50/p95/p99/p99.9, HDR histogram) when 1, 10,
//! 50, 100 or 500 clients each issue a seeded mix of requests (filter one symbol, per-symbol VWAP, top trades by
//! notional) back to back for a fixed duration. Each client waits for its answer before sending the next request
//! (closed loop), so the offered load adapts to the engine and queueing shows up as latency.
//!
//! What could make it unfair: clients are OS threads in the measurement process, identical for every variant; the
//! request pool and each client's sequence of picks come from the seed, so every variant serves the same requests;
//! every distinct request's answer is checked against the other variants before the timed runs; loading the shared
//! frame happens in `prepare`, outside the timer, which is the point of that baseline (state it when quoting it).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::xxh3_64;

use polaroid_results::{Answer, Latency};

use crate::data::{Dataset, Recipe, symbol_table};
use crate::engines::{Engine, EngineKind, Input, Op};
use crate::error::{Error, Result};
use crate::plans::Query;
use crate::flight::FlightProcess;
use crate::workloads::{
    ChildReport, ChildSpec, Companions, Extra, Overrides, Params, Settings, Setup, Size, TaskDef, Workload, digest_output, latency_of, no_note,
    safety_cap,
};

/// The registry entry.
pub static WORKLOAD: Workload = Workload {
    name: "concurrent-query",
    about: "1-500 closed-loop clients issuing a seeded mix of filter / VWAP / top-N queries against one dataset",
    fairness: "same seeded requests for all; every distinct request's answer checked; shared frame loaded untimed",
    tasks: &[TaskDef { name: "mixed", about: "QPS and latency of a closed loop of seeded filter / VWAP / top-N requests", sql: None }],
    engines: &[
        EngineKind::PolarsReread,
        EngineKind::PolarsShared,
        EngineKind::PolarsSharedStreaming,
        EngineKind::Polaroid,
        EngineKind::PolaroidLimitOnly,
        EngineKind::PolaroidCacheOnly,
        EngineKind::PolaroidFlight,
    ],
    recipe: Some(recipe),
    settings,
    drive,
    companions,
    adjust,
    note: no_note,
    no_instructions: Some(CLOSED_LOOP),
};

/// Why a closed loop's instructions are not counted.
pub const CLOSED_LOOP: &str = "closed loops that run for a fixed time: the work done depends on the clock";

/// Requests in the pool clients draw from.
const POOL_SIZE: usize = 48;

pub(crate) fn recipe(size: Size, seed: u64) -> Recipe {
    let rows = match size {
        Size::Smoke => 20_000,
        Size::Default => 1_000_000,
        Size::Large => 10_000_000,
    };
    Recipe { seed, files: 1, rows_per_file: rows, row_group_rows: 65_536, symbols: 300, compression: "zstd".into() }
}

/// The sweep, duration and processes per size (also a workload file's `[concurrency]` defaults).
pub(crate) fn settings(size: Size) -> Settings {
    let (clients, duration, processes, runs, timeout_s): (&[u64], f64, usize, usize, f64) = match size {
        Size::Smoke => (&[1, 10], 0.3, 2, 1, 120.0),
        Size::Default => (&[1, 10, 50, 100, 500], 3.0, 4, 1, 600.0),
        Size::Large => (&[1, 10, 50, 100, 500], 10.0, 3, 2, 1800.0),
    };
    Settings {
        processes,
        warmup: 1,
        runs,
        run_duration_s: duration,
        timeout_s,
        memory_cap_bytes: safety_cap(),
        sweep: clients.iter().map(|c| Params { clients: Some(*c), ..Params::default() }).collect(),
    }
}

/// The seeded request pool for a dataset: filters on its most frequent symbols, VWAPs and top-N queries.
pub fn request_pool(dataset: &Dataset, seed: u64) -> Result<Vec<Query>> {
    let symbols: Vec<String> = match &dataset.recipe {
        // The symbol table is ordered by frequency (Zipf rank), so its head holds the busy symbols.
        Some(recipe) => symbol_table(recipe).into_iter().take(20).collect(),
        None => {
            use polars::prelude::*;
            let lf = crate::engines::scan(&crate::engines::Input::local(dataset.files.clone()).glob())?;
            let df = lf.group_by([col("symbol")]).agg([len().alias("n")]).sort(["n"], SortMultipleOptions::default().with_order_descending(true)).limit(20).collect()?;
            df.column("symbol")?.str()?.iter().flatten().map(String::from).collect()
        }
    };
    if symbols.is_empty() {
        return Err(Error::BadData(format!("dataset {} has no symbols to query", dataset.info.name)));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5155_4552_4945_53);
    let pool = (0..POOL_SIZE)
        .map(|_| match rng.random_range(0..10) {
            0..5 => Query::Filter {
                symbol: symbols[rng.random_range(0..symbols.len())].clone(),
                min_price: [0.0, 10.0, 50.0, 100.0][rng.random_range(0..4)],
            },
            5..8 => Query::Vwap { min_quantity: [1, 20, 100][rng.random_range(0..3)] },
            _ => Query::TopNotional { n: [10, 100][rng.random_range(0..2)] },
        })
        .collect();
    Ok(pool)
}

fn drive(spec: &ChildSpec, engine: &dyn Engine, input: &Input) -> Result<ChildReport> {
    let Extra::Requests { requests, .. } = &spec.extra else {
        return Err(crate::error::internal("concurrent-query: the job carries no request pool"));
    };
    let pool: Vec<Query> = serde_json::from_value(requests.clone())?;
    let clients = spec.params.clients.unwrap_or(1) as usize;
    if pool.is_empty() || clients == 0 {
        return Err(crate::error::internal("concurrent-query needs a request pool and at least one client"));
    }
    // Answer check: every distinct request once, untimed; the digest combines their digests in pool order.
    let mut digests = Vec::new();
    let mut rows = 0;
    for query in &pool {
        let d = digest_output(&engine.execute(input, &Op::Query(query.clone()))?)?;
        rows += d.rows;
        digests.push(format!("{}:{}:{}", query.kind(), d.rows, d.checksum));
    }
    let answer = Answer {
        rows,
        columns: vec!["per-request digests".into()],
        checksum: format!("{:016x}", xxh3_64(digests.join("|").as_bytes())),
        preview: digests.iter().take(5).cloned().collect(),
    };

    let ops: Vec<Op> = pool.iter().map(|q| Op::Query(q.clone())).collect();
    let (samples, latency) = run_loops(spec, engine, input, &ops, clients)?;
    Ok(ChildReport {
        metric_name: "throughput".into(),
        unit: "queries/s".into(),
        higher_is_better: true,
        warmup_runs: spec.settings.warmup,
        samples,
        latency: Some(latency),
        work: None,
        answer: Some(answer),
        peak_rss_bytes: crate::workloads::own_peak_rss_bytes(),
        stream: None,
        written: None,
        engine_figures: Default::default(),
        answer_file: None,
        answer_files: Vec::new(),
    })
}

/// The warm-up loops (half the run duration each) and the timed loops of `clients` clients drawing from `ops`: the
/// throughput of each timed loop, queries per second, and the latency of every request over them. Shared with the
/// concurrent mix of a workload file (`workloads::sql`).
pub(crate) fn run_loops(spec: &ChildSpec, engine: &dyn Engine, input: &Input, ops: &[Op], clients: usize) -> Result<(Vec<f64>, Latency)> {
    let duration = Duration::from_secs_f64(spec.settings.run_duration_s.max(0.01));
    for w in 0..spec.settings.warmup {
        closed_loop(engine, input, ops, clients, duration / 2, spec.seed ^ (1 << 32) ^ w as u64)?;
    }
    let mut samples = Vec::new();
    let mut total = new_histogram();
    let mut errors = 0;
    for run in 0..spec.settings.runs {
        let result = closed_loop(engine, input, ops, clients, duration, spec.seed ^ run as u64)?;
        samples.push(result.completed as f64 / result.elapsed.as_secs_f64());
        total.add(&result.latency)?;
        errors += result.errors;
    }
    Ok((samples, latency_of(&total, errors)))
}

struct LoopResult {
    completed: u64,
    errors: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1_000, 3_600_000_000_000, 3).expect("constant bounds are valid")
}

/// `clients` threads issue requests back to back until `duration` has passed; requests in flight at the deadline
/// finish and count, and the elapsed time runs until the last one has.
fn closed_loop(engine: &dyn Engine, input: &Input, ops: &[Op], clients: usize, duration: Duration, seed: u64) -> Result<LoopResult> {
    let errors = AtomicU64::new(0);
    let start = Instant::now();
    let deadline = start + duration;
    let histograms: Vec<(u64, Histogram<u64>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|client| {
                let errors = &errors;
                std::thread::Builder::new()
                    .stack_size(1 << 20)
                    .spawn_scoped(scope, move || {
                        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003) ^ client as u64);
                        let mut hist = new_histogram();
                        let mut done = 0;
                        while Instant::now() < deadline {
                            let op = &ops[rng.random_range(0..ops.len())];
                            let t = Instant::now();
                            match engine.execute(input, op) {
                                Ok(output) => {
                                    hist.saturating_record(t.elapsed().as_nanos() as u64);
                                    done += 1;
                                    drop(output);
                                }
                                Err(_) => {
                                    errors.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                        (done, hist)
                    })
                    .expect("spawning a client thread")
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("client threads do not panic")).collect()
    });
    let elapsed = start.elapsed();
    let mut latency = new_histogram();
    let mut completed = 0;
    for (done, h) in histograms {
        completed += done;
        latency.add(&h)?;
    }
    Ok(LoopResult { completed, errors: errors.into_inner(), elapsed, latency })
}

/// Every process gets the seeded request pool; `polaroid-flight` also a Flight SQL server process serving the
/// dataset's file, started for it outside the measured process.
fn companions(setup: &Setup<'_>) -> Result<Companions> {
    let requests = serde_json::to_value(request_pool(setup.dataset, setup.seed)?)?;
    if setup.engine != EngineKind::PolaroidFlight {
        return Ok(Companions { extra: Extra::Requests { requests, server: None }, running: Vec::new() });
    }
    let file = setup.dataset.files.first().ok_or_else(|| Error::BadData("concurrent-query: the dataset has no file".into()))?;
    let server = FlightProcess::spawn(setup.binary, vec![("trades".into(), file.display().to_string())])?;
    let url = server.url.clone();
    Ok(Companions { extra: Extra::Requests { requests, server: Some(url) }, running: vec![Box::new(server)] })
}

/// `--clients` replaces the sweep of client counts.
pub(crate) fn adjust(settings: &mut Settings, overrides: &Overrides<'_>) {
    if let Some(clients) = overrides.clients {
        settings.sweep = clients.iter().map(|c| Params { clients: Some(*c), ..Params::default() }).collect();
    }
}
