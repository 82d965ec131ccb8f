//! polaroid's own Flight actions, the calls of the original design beyond SQL. Bodies and results are JSON.
//!
//! | action | body | result |
//! |---|---|---|
//! | `register` | `{"name", "path", "scan": false}` | the table |
//! | `read_parquet` | `{"path", "columns": null}` | the table `h<id>` (a handle) |
//! | `batch_read` | `{"paths": [...], "columns": null}` | `[{"path", "table"} or {"path", "error", "code"}]` |
//! | `drop` | `{"name"}` | `{"dropped": bool}` |
//! | `heartbeat` | `{"tables": []}` | version, uptime, tables, cache, admission, executions, ingest |
//! | `flush` | `{}` | ingest figures once every acknowledged record is stored |

use serde::Deserialize;
use serde_json::{Value, json};

use std::time::Instant;

use polaroid::Engine;

use crate::catalog::Catalog;
use crate::error::{Error, Result, internal};
use crate::status;

/// Each action and what it does (Flight's ListActions).
pub const LIST: [(&str, &str); 6] = [
    ("register", "Register a Parquet file (loaded into the cache), directory or glob (scanned) as a SQL table. Body: {\"name\", \"path\", \"scan\": false}"),
    ("read_parquet", "Load one Parquet file (optionally some columns) and return its handle, queryable as table h<id>. Body: {\"path\", \"columns\": null}"),
    ("batch_read", "Load many Parquet files at once (bounded concurrency); one handle or error per path. Body: {\"paths\": [...], \"columns\": null}"),
    ("drop", "Unregister a table and release its handle. Body: {\"name\"}"),
    ("heartbeat", "Keep tables' handles alive (all when none named) and report the server's figures. Body: {\"tables\": []}"),
    ("flush", "Wait until every acknowledged record is stored; report ingest figures. Body: {}"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Register {
    name: String,
    path: String,
    #[serde(default)]
    scan: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Read {
    path: String,
    #[serde(default)]
    columns: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRead {
    paths: Vec<String>,
    #[serde(default)]
    columns: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Drop {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Heartbeat {
    #[serde(default)]
    tables: Vec<String>,
}

fn parse<T: for<'de> Deserialize<'de>>(action: &str, body: &[u8], example: &str) -> Result<T> {
    let body = if body.is_empty() { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|e| Error::Invalid(format!("action '{action}': the body is not what it takes ({e}); send JSON like {example}")))
}

/// Runs one action; its result as JSON bytes.
pub async fn run(engine: &Engine, catalog: &Catalog, started: Instant, action: &str, body: &[u8]) -> Result<Vec<u8>> {
    let value = match action {
        "register" => {
            let r: Register = parse(action, body, r#"{"name": "trades", "path": "data/trades.parquet"}"#)?;
            json!(catalog.register(engine, &r.name, &r.path, r.scan).await?)
        }
        "read_parquet" => {
            let r: Read = parse(action, body, r#"{"path": "data/trades.parquet", "columns": ["symbol", "price"]}"#)?;
            json!(catalog.read_parquet(engine, &r.path, r.columns.as_deref()).await?)
        }
        "batch_read" => {
            let r: BatchRead = parse(action, body, r#"{"paths": ["a.parquet", "b.parquet"]}"#)?;
            let reads = r.paths.iter().map(|p| catalog.read_parquet(engine, p, r.columns.as_deref()));
            let results = futures::future::join_all(reads).await;
            Value::Array(
                r.paths
                    .iter()
                    .zip(results)
                    .map(|(path, result)| match result {
                        Ok(table) => json!({"path": path, "table": table}),
                        Err(e) => {
                            let s = tonic::Status::from(e);
                            json!({"path": path, "error": s.message(), "code": status::code_name(s.code())})
                        }
                    })
                    .collect(),
            )
        }
        "drop" => {
            let r: Drop = parse(action, body, r#"{"name": "trades"}"#)?;
            json!({"dropped": catalog.drop_table(engine, &r.name)})
        }
        "heartbeat" => {
            let r: Heartbeat = parse(action, body, r#"{"tables": ["trades"]}"#)?;
            catalog.heartbeat(engine, &r.tables)?;
            heartbeat(engine, catalog, started)
        }
        "flush" => {
            let _: Heartbeat = parse(action, body, "{}")?;
            engine.flush().await?;
            let ingest = engine.ingest_stats();
            json!({"acknowledged": ingest.acknowledged, "stored": ingest.stored, "batches": ingest.batches})
        }
        other => {
            let known: Vec<&str> = LIST.iter().map(|(n, _)| *n).collect();
            return Err(Error::UnknownAction { name: other.into(), known: known.join(", ") });
        }
    };
    serde_json::to_vec(&value).map_err(internal("encoding the result"))
}

/// The server's figures, as the `heartbeat` action reports them.
fn heartbeat(engine: &Engine, catalog: &Catalog, started: Instant) -> Value {
    let (cache, admission, executions, ingest) = (engine.cache_stats(), engine.admission_stats(), engine.execution_stats(), engine.ingest_stats());
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": started.elapsed().as_secs_f64(),
        "peak_rss_bytes": peak_rss_bytes(),
        "tables": catalog.list(),
        "cache": {
            "handles": cache.handles, "bytes": cache.bytes, "budget_bytes": cache.budget_bytes, "hits": cache.hits,
            "misses": cache.misses, "hit_rate": cache.hit_rate(), "evictions": cache.evictions, "expirations": cache.expirations,
        },
        "admission": {
            "limit": admission.limit, "max_limit": admission.max_limit, "limit_low": admission.limit_range.0,
            "limit_high": admission.limit_range.1, "executing": admission.executing, "waiting": admission.waiting,
            "admitted": admission.admitted, "rejected_queue_full": admission.rejected_queue_full,
            "rejected_timeout": admission.rejected_timeout,
        },
        "executions": {"in_memory": executions.in_memory, "streaming": executions.streaming},
        "ingest": {"acknowledged": ingest.acknowledged, "stored": ingest.stored, "batches": ingest.batches},
    })
}

/// The kernel's high-water mark of the server's resident memory (`VmHWM`), when the system reports it.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
