//! `polaroid`, `polaroid-limit-only`, `polaroid-cache-only`: the async engine under test, driven through its public
//! API only. The engine owns a Tokio runtime and every `execute` blocks on it, so timing code is the same as for
//! the synchronous variants (the concurrent-query clients are the same OS threads for every variant).
//!
//! - batch-read: `load-all` is `batch_read` with 16 reads in flight. `vwap` is one plan over a scan handle
//!   (`scan` + `query`, which the engine runs on Polars' streaming engine because it reads files); through the
//!   S3 server, `batch_read_with` (each file's partial sums computed as soon as it is decoded), then the partials
//!   merged by one admitted query.
//! - concurrent-query: queries on a handle, under the engine's default admission (the adaptive limit; where it
//!   settled is recorded in the measurement's `figures`). `polaroid` reads the file once into the cache;
//!   `polaroid-limit-only` has the same admission but each query scans the file; `polaroid-cache-only` uses the cache
//!   with no admission limit. The handle is created by the first request (the untimed answer check).
//! - streaming: micro-batched ingest (`append_batch` per chunk of ready messages, batches applied off the async
//!   threads), rolling VWAP in the engine; see [`ingest`].
//! - large-dataset: the aggregate as one plan over a scan handle (`query`, streamed by Polars' streaming engine), and
//!   the rewrite as `sink_handle` (Polars' streaming Parquet sink): the engine picks the execution, as it does for
//!   every plan that reads files.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use polaroid::{Engine as AsyncEngine, Handle};
use polars::prelude::*;

use crate::engines::{Engine, EngineKind, FeedSession, Ingested, Input, Op, Output, concat, unsupported};
use crate::feed::client::{ConnStats, consume};
use crate::feed::latency::Visibility;
use crate::feed::wire::Received;
use crate::feed::{VWAP_WINDOW_NS, now_ns};
use crate::feed::BATCH_RECORDS;

use crate::error::{Error, Result};
use crate::plans::{self, AGGREGATE_COLUMNS, VWAP_MIN_QUANTITY};
use std::collections::BTreeMap;

/// Which of the engine's mechanisms are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolaroidMode {
    /// Cache and admission control.
    Full,
    /// Admission control, no cache.
    LimitOnly,
    /// Cache, no admission limit.
    CacheOnly,
}

/// Reads in flight in `batch_read`.
const READ_CONCURRENCY: usize = 16;
/// Slots when admission is "off": more than any client count the workload uses.
const UNLIMITED: usize = 1 << 16;

/// The engine under test, with its runtime.
pub struct PolaroidEngine {
    mode: PolaroidMode,
    runtime: Option<tokio::runtime::Runtime>,
    engine: Option<AsyncEngine>,
    handle: Mutex<Option<Handle>>,
    /// A workload file's tables, registered in `prepare`: each file's handle, by table name.
    tables: Vec<(String, Vec<Handle>)>,
}

impl PolaroidEngine {
    /// An engine in `mode`; started by `prepare`.
    pub fn new(mode: PolaroidMode) -> Self {
        PolaroidEngine { mode, runtime: None, engine: None, handle: Mutex::new(None), tables: Vec::new() }
    }

    fn kind(&self) -> EngineKind {
        match self.mode {
            PolaroidMode::Full => EngineKind::Polaroid,
            PolaroidMode::LimitOnly => EngineKind::PolaroidLimitOnly,
            PolaroidMode::CacheOnly => EngineKind::PolaroidCacheOnly,
        }
    }

    fn parts(&self) -> Result<(&tokio::runtime::Runtime, &AsyncEngine)> {
        match (&self.runtime, &self.engine) {
            (Some(rt), Some(engine)) => Ok((rt, engine)),
            _ => Err(crate::error::internal(format!("{}: prepare was not called", self.kind().name()))),
        }
    }

    /// The handle queries run on: created once, by the first request.
    fn handle(&self, rt: &tokio::runtime::Runtime, engine: &AsyncEngine, input: &Input) -> Result<Handle> {
        let mut slot = self.handle.lock().expect("the handle lock is never poisoned");
        if let Some(h) = slot.as_ref() {
            return Ok(h.clone());
        }
        let path = input.files.first().ok_or_else(|| Error::BadData("no input file".into()))?.display().to_string();
        let h = match self.mode {
            PolaroidMode::LimitOnly => rt.block_on(engine.scan(&path))?,
            PolaroidMode::Full | PolaroidMode::CacheOnly => rt.block_on(engine.read_parquet(&path, None))?,
        };
        *slot = Some(h.clone());
        Ok(h)
    }
}

/// A multi-thread Tokio runtime with one worker per core, as an async service would run.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name("polaroid")
        .enable_all()
        .build()
        .map_err(crate::error::system("cannot start a Tokio runtime"))
}

/// What the engine reads the files as: their keys in the S3 server's bucket, or local paths.
fn sources(input: &Input) -> Vec<String> {
    match input.remote {
        Some(_) => input.files.iter().map(|f| crate::s3::key(f).to_string()).collect(),
        None => input.files.iter().map(|f| f.display().to_string()).collect(),
    }
}

impl Engine for PolaroidEngine {
    fn prepare(&mut self, input: &Input) -> Result<()> {
        let runtime = runtime()?;
        let mut builder = AsyncEngine::builder();
        if self.mode == PolaroidMode::CacheOnly {
            builder = builder.max_concurrent_queries(UNLIMITED).adaptive_admission(false);
        }
        builder = builder
            .queue_bound(UNLIMITED)
            .queue_timeout(Duration::from_secs(600))
            .read_concurrency(READ_CONCURRENCY)
            .cache_budget_bytes(8 << 30);
        if let Some(remote) = &input.remote {
            builder = builder.object_store(remote.store());
        }
        let engine = runtime.block_on(async { builder.build() })?;
        // A workload file's tables, registered as a user of the engine would before serving queries: each file read
        // into the cache (`polaroid-limit-only`: a scan handle per file, read by every query).
        for table in &input.tables {
            // Through the S3 server, the table's objects by key from the engine's object store.
            let paths: Vec<String> = match input.remote {
                Some(_) => crate::s3::table_keys(table),
                None => table.files.iter().map(|f| f.display().to_string()).collect(),
            };
            let handles = runtime.block_on(async {
                let mut handles = Vec::with_capacity(paths.len());
                for path in &paths {
                    handles.push(match self.mode {
                        PolaroidMode::LimitOnly => engine.scan(path).await?,
                        PolaroidMode::Full | PolaroidMode::CacheOnly => engine.read_parquet(path, None).await?,
                    });
                }
                Ok::<_, Error>(handles)
            })?;
            self.tables.push((table.name.clone(), handles));
        }
        self.engine = Some(engine);
        self.runtime = Some(runtime);
        Ok(())
    }

    fn execute(&self, input: &Input, op: &Op) -> Result<Output> {
        let (rt, engine) = self.parts()?;
        let sources = sources(input);
        let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
        match op {
            Op::LoadAll => {
                let frames = rt.block_on(engine.batch_read(&sources, None));
                Ok(Output::Frames(frames.into_iter().collect::<Result<Vec<_>, _>>()?))
            }
            Op::Vwap if input.remote.is_some() => {
                let partials = rt.block_on(engine.batch_read_with(&sources, Some(&AGGREGATE_COLUMNS), |lf| plans::partial_vwap(lf, VWAP_MIN_QUANTITY)));
                let partials = concat(partials.into_iter().collect::<Result<Vec<_>, _>>()?)?;
                Ok(Output::Frames(vec![rt.block_on(engine.collect(plans::merge_vwap(partials.lazy())))?]))
            }
            Op::Vwap => rt.block_on(async {
                let scan = engine.scan(&input.glob()).await?;
                let answer = engine.query(&scan, |lf| plans::vwap(lf, VWAP_MIN_QUANTITY)).await;
                engine.drop_handle(&scan);
                Ok(Output::Frames(vec![answer?]))
            }),
            Op::Query(query) => {
                let handle = self.handle(rt, engine, input)?;
                let query = query.clone();
                Ok(Output::Frames(vec![rt.block_on(engine.query(&handle, move |lf| query.plan(lf)))?]))
            }
            Op::Aggregate if self.mode == PolaroidMode::Full => rt.block_on(async {
                let scan = engine.scan(&input.glob()).await?;
                let answer = engine.query(&scan, plans::full_aggregate).await;
                engine.drop_handle(&scan);
                Ok(Output::Frames(vec![answer?]))
            }),
            Op::Sink { out } if self.mode == PolaroidMode::Full => rt.block_on(async {
                let scan = engine.scan(&input.glob()).await?;
                let written = engine.sink_handle(&scan, &out.display().to_string()).await;
                engine.drop_handle(&scan);
                written?;
                Ok(Output::Written(out.clone()))
            }),
            Op::Ingest(session) if self.mode == PolaroidMode::Full => rt.block_on(ingest(session)).map(Output::Ingested),
            Op::Sql { sql, .. } => rt.block_on(async {
                // Polars' SQL context over the registered tables' data, the plan run under admission control.
                let mut ctx = polars::sql::SQLContext::new();
                for (name, handles) in &self.tables {
                    let mut parts = Vec::with_capacity(handles.len());
                    for h in handles {
                        parts.push(engine.lazy(h).await?);
                    }
                    ctx.register(name, polars::prelude::concat(parts, UnionArgs::default())?);
                }
                let plan = ctx.execute(sql)?;
                Ok(Output::Frames(vec![engine.collect(plan).await?]))
            }),
            _ => Err(unsupported(self.kind(), op)),
        }
    }

    fn figures(&self) -> BTreeMap<String, f64> {
        let Some(engine) = &self.engine else { return BTreeMap::new() };
        let (admission, plans) = (engine.admission_stats(), engine.execution_stats());
        BTreeMap::from([
            ("admission_limit".to_string(), admission.limit as f64),
            ("admission_limit_low".to_string(), admission.limit_range.0 as f64),
            ("admission_limit_high".to_string(), admission.limit_range.1 as f64),
            ("plans_in_memory".to_string(), plans.in_memory as f64),
            ("plans_streaming".to_string(), plans.streaming as f64),
        ])
    }
}

/// streaming: a fresh engine per session (so each starts empty); every connection is a task that hands the
/// ticks already received to `append_batch` (backpressure: it waits while the engine is `ingest_capacity` behind);
/// the engine's batcher takes everything queued (at most [`BATCH_RECORDS`]) as one micro-batch, applies it off
/// the async threads as soon as nothing more is queued (its default, zero `ingest_batch_delay`). A tick is
/// visible when the engine's `on_ingest_applied` hook sees its batch.
async fn ingest(session: &FeedSession) -> Result<Ingested> {
    let sent: Arc<Vec<AtomicI64>> = Arc::new((0..session.ticks).map(|_| AtomicI64::new(0)).collect());
    let visibility = Arc::new(Mutex::new(Visibility::default()));
    let (hook_sent, hook_visibility) = (sent.clone(), visibility.clone());
    let engine = Arc::new(
        AsyncEngine::builder()
            .ingest_batch_records(BATCH_RECORDS)
            .vwap_window(Duration::from_nanos(VWAP_WINDOW_NS as u64))
            .on_ingest_applied(move |batch| {
                let now = now_ns();
                let mut v = hook_visibility.lock().expect("visibility lock is never poisoned");
                for t in batch {
                    if let Some(s) = hook_sent.get(t.seq as usize) {
                        v.record(s.load(Ordering::Acquire), now);
                    }
                }
            })
            .build()?,
    );
    let mut tasks = tokio::task::JoinSet::new();
    for conn in 0..session.connections {
        let (url, engine, sent) = (session.url.clone(), engine.clone(), sent.clone());
        tasks.spawn(async move {
            consume(&url, conn, |trades: Vec<Received>| {
                let ticks: Vec<polaroid::Tick> = trades
                    .into_iter()
                    .map(|r| {
                        if let Some(s) = sent.get(r.tick.seq as usize) {
                            s.store(r.sent_ns, Ordering::Release);
                        }
                        r.tick
                    })
                    .collect();
                let engine = engine.clone();
                async move { Ok(engine.append_batch(ticks).await?) }
            })
            .await
        });
    }
    let mut connections = ConnStats::total();
    while let Some(joined) = tasks.join_next().await {
        let stats = joined.map_err(|source| Error::Task { what: "a feed connection task", source })??;
        connections.merge(&stats);
    }
    engine.flush().await?;
    let stored = engine.ingested()?;
    let vwap = engine.rolling_vwaps()?;
    engine.shutdown(Duration::from_secs(5)).await;
    let visibility = visibility.lock().expect("visibility lock is never poisoned").clone();
    Ok(Ingested { stored: Some(stored), vwap: Some(vwap), seqs: Vec::new(), visibility, connections })
}
