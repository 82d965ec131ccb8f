//! The measured process of a `ballista-*` variant: a Ballista client, as a user of a cluster writes one
//! (`SessionContext::remote_with_state` with Ballista's S3-capable session state), speaking polaroid-bench's worker
//! protocol as the Python worker does: the job (`{"job": "measure", ...ChildSpec}`) as JSON on stdin, then one line,
//! `POLAROID-REPORT <ChildReport JSON>` or `POLAROID-FAILURE {"unsupported": ..., "message": ...}`, and exit 0.
//!
//! What is timed (docs/methodology.md): the query planned by the client, run by the cluster, and its result fully
//! collected in this process (`DataFrame::collect`, every record batch). Not timed: connecting to the scheduler,
//! registering the tables (schemas inferred), the first warm-up run, writing that run's answer to a Parquet file
//! (the runner digests it after this process ends).

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ballista::prelude::SessionContextExt;
use ballista_core::object_store::state_with_s3_support;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::file_format::options::ReadOptions;
use datafusion::datasource::listing::{ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use serde_json::{Value, json};

const REPORT: &str = "POLAROID-REPORT ";
const FAILURE: &str = "POLAROID-FAILURE ";
/// As the other workers': the median of 5 runs of a query that does no work, under this figure.
const FIXED_COST_FIGURE: &str = "empty_query_s";
const EMPTY_QUERY: &str = "SELECT 1 AS one";

/// Why a measurement did not report.
struct Failure {
    unsupported: bool,
    message: String,
}

fn failed(message: impl Into<String>) -> Failure {
    Failure { unsupported: false, message: message.into() }
}

fn unsupported(message: impl Into<String>) -> Failure {
    Failure { unsupported: true, message: message.into() }
}

impl From<datafusion::error::DataFusionError> for Failure {
    fn from(e: datafusion::error::DataFusionError) -> Failure {
        failed(e.to_string())
    }
}

/// Reads the job, measures, prints one line.
pub async fn worker() {
    // A measurement process ends with the runner that started it, as every worker does (`probe::die_with_parent`).
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches no memory of ours.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) };
    let mut input = String::new();
    let line = match std::io::stdin().read_to_string(&mut input) {
        Err(e) => format!("{FAILURE}{}", json!({"unsupported": false, "message": format!("cannot read the job: {e}")})),
        Ok(_) => match serde_json::from_str::<Value>(&input) {
            Err(e) => format!("{FAILURE}{}", json!({"unsupported": false, "message": format!("the job is not JSON: {e}")})),
            Ok(job) => match measure(&job).await {
                Ok(report) => format!("{REPORT}{report}"),
                Err(f) => format!("{FAILURE}{}", json!({"unsupported": f.unsupported, "message": f.message})),
            },
        },
    };
    println!("{line}");
}

/// The kernel's high-water mark of this process's resident memory (VmHWM), bytes.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib * 1024)
}

/// The address-space limit the runner asks for (its memory cap when no cgroup enforces it).
fn set_rlimit(bytes: u64) -> Result<(), Failure> {
    let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
    // SAFETY: setrlimit reads the struct we pass and changes only this process's limit.
    if unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } != 0 {
        return Err(failed(format!("cannot cap this process's memory at {bytes} bytes: {}", std::io::Error::last_os_error())));
    }
    Ok(())
}

fn str_of<'a>(v: &'a Value, what: &str) -> Result<&'a str, Failure> {
    v.as_str().ok_or_else(|| failed(format!("the job has no {what}")))
}

/// One query planned, run by the cluster and collected: its schema and every batch.
async fn run(ctx: &SessionContext, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>), Failure> {
    let df = ctx.sql(sql).await?;
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?;
    Ok((schema, batches))
}

fn save(schema: SchemaRef, batches: &[RecordBatch], path: &str) -> Result<(), Failure> {
    let file = std::fs::File::create(path).map_err(|e| failed(format!("cannot write the answer to {path}: {e}")))?;
    let mut writer = ArrowWriter::try_new(file, schema, None).map_err(|e| failed(format!("cannot write the answer to {path}: {e}")))?;
    for b in batches {
        writer.write(b).map_err(|e| failed(format!("cannot write the answer to {path}: {e}")))?;
    }
    writer.close().map_err(|e| failed(format!("cannot write the answer to {path}: {e}")))?;
    Ok(())
}

/// Registers each table as DataFusion's Parquet listing table: its file, or its directory when the table is exactly
/// that directory's Parquet files, or its files as one listing table of several paths. Through the S3 server, the
/// prefix `<table>/` of the bucket, the server's credentials set as Ballista's `s3.*` options (which travel with the
/// session to the scheduler and executors).
async fn register(ctx: &SessionContext, tables: &[Value], s3: Option<&Value>) -> Result<(), Failure> {
    if let Some(s3) = s3 {
        for (key, field) in [("endpoint", "endpoint"), ("region", "region"), ("access_key_id", "access_key_id"), ("secret_access_key", "secret_access_key")] {
            let value = str_of(&s3[field], &format!("S3 {field}"))?.replace('\'', "''");
            ctx.sql(&format!("SET s3.{key} = '{value}'")).await?.collect().await?;
        }
        ctx.sql("SET s3.allow_http = true").await?.collect().await?;
    }
    for t in tables {
        let name = str_of(&t["name"], "table name")?;
        if let Some(s3) = s3 {
            let bucket = str_of(&s3["bucket"], "S3 bucket")?;
            ctx.register_parquet(name, format!("s3://{bucket}/{name}/"), ParquetReadOptions::default()).await?;
            continue;
        }
        let files: Vec<String> = t["files"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let Some(first) = files.first() else {
            return Err(failed(format!("table '{name}' has no files")));
        };
        let parent = std::path::Path::new(first).parent().map(|p| p.to_path_buf()).unwrap_or_default();
        let mut in_dir: Vec<String> = std::fs::read_dir(&parent)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                    .map(|p| p.display().to_string())
                    .collect()
            })
            .unwrap_or_default();
        in_dir.sort();
        let mut sorted = files.clone();
        sorted.sort();
        if files.len() == 1 {
            ctx.register_parquet(name, first, ParquetReadOptions::default()).await?;
        } else if sorted == in_dir {
            ctx.register_parquet(name, format!("{}/", parent.display()), ParquetReadOptions::default()).await?;
        } else {
            let urls = files.iter().map(|f| ListingTableUrl::parse(f)).collect::<datafusion::error::Result<Vec<_>>>()?;
            let options = ParquetReadOptions::default().to_listing_options(&ctx.copied_config(), ctx.copied_table_options());
            let config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options).infer_schema(&ctx.state()).await?;
            ctx.register_table(name, Arc::new(ListingTable::try_new(config)?))?;
        }
    }
    Ok(())
}

async fn measure(job: &Value) -> Result<Value, Failure> {
    if job["job"] != "measure" {
        return Err(unsupported(format!("the Ballista worker does measurements only, not '{}'", job["job"])));
    }
    if let Some(bytes) = job["rlimit_bytes"].as_u64() {
        set_rlimit(bytes)?;
    }
    let engine = job["engine"].as_str().unwrap_or("ballista");
    let extra = &job["extra"];
    if extra["kind"] != "sql" {
        return Err(unsupported(format!("{engine} runs workload files' SQL queries only, not task '{}'", job["task"].as_str().unwrap_or("?"))));
    }
    let scheduler = extra["server"].as_str().ok_or_else(|| failed(format!("{engine} was given no scheduler to connect to")))?;
    let tables = extra["tables"].as_array().cloned().unwrap_or_default();
    let s3 = extra.get("s3").filter(|v| !v.is_null());
    let state = state_with_s3_support()?;
    let ctx = SessionContext::remote_with_state(scheduler, state).await?;
    register(&ctx, &tables, s3).await?;
    let settings = &job["settings"];
    let scratch = str_of(&job["scratch_dir"], "scratch directory")?;
    if extra["mix"].as_array().is_some_and(|m| !m.is_empty()) {
        return measure_mix(job, &ctx, scratch).await;
    }
    let sql = str_of(&extra["sql"], "SQL")?;
    let warmup = settings["warmup"].as_u64().unwrap_or(1).max(1);
    let runs = settings["runs"].as_u64().unwrap_or(1);
    let answer_file = format!("{scratch}/answer.parquet");
    for i in 0..warmup {
        let (schema, batches) = run(&ctx, sql).await?;
        if i == 0 {
            save(schema, &batches, &answer_file)?;
        }
    }
    let mut samples = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let out = run(&ctx, sql).await?;
        samples.push(start.elapsed().as_secs_f64());
        drop(out);
    }
    let mut figures = serde_json::Map::new();
    if let Some(cost) = fixed_cost(&ctx).await {
        figures.insert(FIXED_COST_FIGURE.into(), json!(cost));
    }
    Ok(json!({
        "metric_name": "time",
        "unit": "s",
        "higher_is_better": false,
        "warmup_runs": warmup,
        "samples": samples,
        "latency": null,
        "work": null,
        "answer": null,
        "peak_rss_bytes": peak_rss_bytes(),
        "answer_file": answer_file,
        "engine_figures": figures,
    }))
}

/// The engine's fixed cost per query (a whole Ballista job for `SELECT 1`), after the timed runs.
async fn fixed_cost(ctx: &SessionContext) -> Option<f64> {
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        run(ctx, EMPTY_QUERY).await.ok()?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Some(times[times.len() / 2])
}

/// A small seeded generator (SplitMix64), so each client draws its own reproducible sequence of queries.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `clients` tasks issue queries drawn at random (seeded per client) back to back until the deadline; queries in
/// flight then finish and count. Returns (completed, errors, elapsed, latencies).
async fn closed_loop(ctx: &SessionContext, queries: &Arc<Vec<String>>, clients: usize, duration: Duration, seed: u64) -> (u64, u64, Duration, Vec<Duration>) {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(clients);
    for i in 0..clients {
        let (ctx, queries) = (ctx.clone(), queries.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = SplitMix(seed.wrapping_mul(1_000_003) ^ i as u64);
            let (mut done, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
            while Instant::now() < deadline {
                let sql = &queries[(rng.next() % queries.len() as u64) as usize];
                let t = Instant::now();
                match run(&ctx, sql).await {
                    Ok(out) => {
                        latencies.push(t.elapsed());
                        done += 1;
                        drop(out);
                    }
                    Err(_) => errors += 1,
                }
            }
            (done, errors, latencies)
        }));
    }
    let (mut done, mut errors, mut latencies) = (0, 0, Vec::new());
    for t in tasks {
        if let Ok((d, e, l)) = t.await {
            done += d;
            errors += e;
            latencies.extend(l);
        } else {
            errors += 1;
        }
    }
    (done, errors, start.elapsed(), latencies)
}

/// The Latency record the Rust drivers make (exact here: every latency is kept), as the Python worker's.
fn percentiles(latencies: &mut [Duration], errors: u64) -> Value {
    latencies.sort();
    let ns: Vec<u64> = latencies.iter().map(|d| d.as_nanos() as u64).collect();
    let at = |q: f64| -> u64 {
        if ns.is_empty() {
            return 0;
        }
        let i = ((q * ns.len() as f64).ceil() as usize).saturating_sub(1).min(ns.len() - 1);
        ns[i]
    };
    json!({"count": ns.len(), "errors": errors, "p50_ns": at(0.5), "p95_ns": at(0.95), "p99_ns": at(0.99),
           "p999_ns": at(0.999), "max_ns": ns.last().copied().unwrap_or(0)})
}

/// The concurrent mix, as the other drivers: each query once, untimed, its answer left as a Parquet file; then
/// warm-up loops (half the duration) and timed loops; a sample is one loop's queries per second.
async fn measure_mix(job: &Value, ctx: &SessionContext, scratch: &str) -> Result<Value, Failure> {
    let mix = job["extra"]["mix"].as_array().cloned().unwrap_or_default();
    let settings = &job["settings"];
    let clients = job["params"]["clients"].as_u64().unwrap_or(1).max(1) as usize;
    let mut files = Vec::new();
    let mut queries = Vec::new();
    for (i, q) in mix.iter().enumerate() {
        let sql = str_of(&q["sql"], "mix query")?.to_string();
        let (schema, batches) = run(ctx, &sql)
            .await
            .map_err(|f| failed(format!("query '{}' of the concurrent mix: {}", q["name"].as_str().unwrap_or("?"), f.message)))?;
        let path = format!("{scratch}/answer-{i}.parquet");
        save(schema, &batches, &path)?;
        files.push(path);
        queries.push(sql);
    }
    let queries = Arc::new(queries);
    let duration = Duration::from_secs_f64(settings["run_duration_s"].as_f64().unwrap_or(1.0).max(0.01));
    let seed = job["seed"].as_u64().unwrap_or(0);
    let warmup = settings["warmup"].as_u64().unwrap_or(0);
    for w in 0..warmup {
        closed_loop(ctx, &queries, clients, duration / 2, seed ^ (1 << 32) ^ w).await;
    }
    let (mut samples, mut latencies, mut errors) = (Vec::new(), Vec::new(), 0);
    for r in 0..settings["runs"].as_u64().unwrap_or(1) {
        let (done, failed, elapsed, lat) = closed_loop(ctx, &queries, clients, duration, seed ^ r).await;
        samples.push(done as f64 / elapsed.as_secs_f64());
        latencies.extend(lat);
        errors += failed;
    }
    Ok(json!({
        "metric_name": "throughput",
        "unit": "queries/s",
        "higher_is_better": true,
        "warmup_runs": warmup,
        "samples": samples,
        "latency": percentiles(&mut latencies, errors),
        "work": null,
        "answer": null,
        "peak_rss_bytes": peak_rss_bytes(),
        "answer_file": null,
        "answer_files": files,
        "engine_figures": {},
    }))
}
