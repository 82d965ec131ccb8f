//! The engine: handles, queries under admission control, batch reads, streams, ingest and shutdown.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::future::join_all;
use object_store::ObjectStore;
use polars::prelude::*;
use tokio::sync::{Notify, Semaphore};

use crate::admission::{Admission, AdmissionStats};
use crate::cache::{Cache, CacheStats, Handle, Source};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::{Ingest, IngestStats, Tick};
use crate::limit::{Limits, Reason};
use crate::plan::{Counters, ExecutionStats};
use crate::read::{self, ReadSpec};
use crate::stream::{self, FrameStream, StreamOptions, StreamSource};

/// What an admitted call runs over: a plan, or the data behind a handle.
enum Input<'a> {
    Plan(LazyFrame),
    Handle(&'a Handle),
}

/// The async engine. Cheap to clone (all clones share one engine). Polars always runs on blocking threads.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: Option<Arc<dyn ObjectStore>>,
    cache: Mutex<Cache>,
    admission: Admission,
    reads: Arc<Semaphore>,
    ingest: Ingest,
    executions: Arc<Counters>,
    limits: Arc<Limits>,
    closed: AtomicBool,
    active: AtomicUsize,
    idle: Notify,
}

/// What [`Engine::shutdown`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Whether all in-flight work finished before the deadline.
    pub drained: bool,
    /// Operations still running at the deadline (cut short; their callers get their own results or errors).
    pub cut_short: usize,
    /// Ingest figures after the final flush: `stored == acknowledged` means nothing acknowledged was lost.
    pub ingest: IngestStats,
}

/// Counts an operation in flight until dropped.
struct Active<'a>(&'a Inner);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Inner {
    fn begin(&self) -> Result<Active<'_>> {
        self.active.fetch_add(1, Ordering::AcqRel);
        let guard = Active(self);
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::ShutDown);
        }
        Ok(guard)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().expect("the cache lock is never held across a panic")
    }

    fn read_spec(&self, columns: Option<Vec<String>>) -> ReadSpec {
        ReadSpec { columns, slice: None, expected: self.config.expected_schema.clone() }
    }

    /// Fetches (bounded by `read_concurrency`) and decodes one file on a blocking thread, then applies `then` to the
    /// frame on that same thread (every read of the engine goes through here).
    async fn read<F>(&self, path: &str, columns: Option<Vec<String>>, then: F) -> Result<DataFrame>
    where
        F: FnOnce(DataFrame) -> Result<DataFrame> + Send + 'static,
    {
        let _slot = self.reads.acquire().await.map_err(|_| Error::ShutDown)?;
        let fetched = read::fetch(self.store.as_ref(), path).await?;
        let spec = self.read_spec(columns);
        tokio::task::spawn_blocking(move || then(read::decode(&fetched, &spec)?)).await?
    }

    /// A read for the cache: the frame's row groups are copied into one chunk per column, once. Cached data is
    /// queried many times, and every query then scans contiguous memory instead of one piece per row group.
    async fn read_for_cache(&self, path: &str, columns: Option<Vec<String>>) -> Result<DataFrame> {
        self.read(path, columns, |mut df| {
            df.rechunk_mut();
            Ok(df)
        })
        .await
    }

    /// The data behind a handle, reading it again if the cache had evicted it.
    async fn data(&self, handle: &Handle) -> Result<LazyFrame> {
        let found = self.cache().lookup(handle)?;
        match (found.source, found.data) {
            (_, Some(df)) => Ok(df.as_ref().clone().lazy()),
            (Source::Scan { plan, .. }, None) => Ok(plan),
            (Source::Loaded { path, columns }, None) => {
                let df = self.read_for_cache(&path, columns).await?;
                let bytes = df.estimated_size();
                let df = Arc::new(df);
                self.cache().store(handle.id, df.clone(), bytes)?;
                Ok(df.as_ref().clone().lazy())
            }
        }
    }
}

impl Engine {
    pub(crate) fn start(config: Config, store: Option<Arc<dyn ObjectStore>>, _runtime: tokio::runtime::Handle) -> Engine {
        let inner = Arc::new(Inner {
            cache: Mutex::new(Cache::new(config.cache_budget_bytes, config.handle_ttl)),
            admission: Admission::new(config.max_concurrent_queries, config.adaptive_admission, config.queue_bound, config.queue_timeout),
            reads: Arc::new(Semaphore::new(config.read_concurrency)),
            ingest: Ingest::start(
                config.ingest_capacity,
                config.ingest_batch_records,
                config.ingest_batch_delay,
                config.vwap_window,
                config.on_ingest_applied.clone(),
            ),
            executions: Arc::default(),
            limits: Limits::new(config.query_timeout, config.memory_limit_bytes),
            closed: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            idle: Notify::new(),
            store,
            config,
        });
        tokio::spawn(sweep_idle(Arc::downgrade(&inner)));
        Engine { inner }
    }

    /// The resolved settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Reads a Parquet file (some columns, or all) into memory and returns a handle to it. Reading the same file
    /// and columns again returns the same handle without reading (a cache hit) while its data is cached.
    pub async fn read_parquet(&self, path: &str, columns: Option<&[&str]>) -> Result<Handle> {
        let inner = &self.inner;
        let _active = inner.begin()?;
        let columns: Option<Vec<String>> = columns.map(|c| c.iter().map(|s| s.to_string()).collect());
        let source = Source::Loaded { path: path.to_string(), columns: columns.clone() };
        let known = inner.cache().find_loaded(&source);
        if let Some(handle) = known {
            // Counts a hit, or reads the data again if the cache had evicted it.
            let _ = inner.data(&handle).await?;
            return Ok(handle);
        }
        let df = inner.read_for_cache(path, columns).await?;
        let bytes = df.estimated_size();
        let mut cache = inner.cache();
        cache.record_miss();
        cache.insert(source, Some((Arc::new(df), bytes)))
    }

    /// A handle to a lazy scan over a local file or a glob of files; nothing is read until a query runs.
    pub async fn scan(&self, path_or_glob: &str) -> Result<Handle> {
        let inner = &self.inner;
        let _active = inner.begin()?;
        if inner.store.is_some() {
            return Err(Error::Unsupported(
                "scan works on local files; with an object store, use read_parquet or batch_read".into(),
            ));
        }
        let files = expand(path_or_glob)?;
        let expected = inner.config.expected_schema.clone();
        let first = files[0].clone();
        // Open the first file now so that a missing or broken dataset fails here, not in the first query.
        tokio::task::spawn_blocking(move || read::decode(&read::Fetched::Local(first), &ReadSpec { columns: None, slice: Some((0, 0)), expected }))
            .await??;
        let plan = LazyFrame::scan_parquet(PlRefPath::new(path_or_glob), ScanArgsParquet::default())?;
        inner.cache().insert(Source::Scan { files, plan }, None)
    }

    /// Reads many files at once, at most `read_concurrency` in flight. One result per path, in order: a bad file
    /// fails only its own slot.
    pub async fn batch_read(&self, paths: &[&str], columns: Option<&[&str]>) -> Vec<Result<DataFrame>> {
        let inner = &self.inner;
        let _active = match inner.begin() {
            Ok(a) => a,
            Err(_) => return paths.iter().map(|_| Err(Error::ShutDown)).collect(),
        };
        let columns: Option<Vec<String>> = columns.map(|c| c.iter().map(|s| s.to_string()).collect());
        join_all(paths.iter().map(|p| inner.read(p, columns.clone(), Ok))).await
    }

    /// Like [`Engine::batch_read`], but runs `plan` on each file's frame as soon as it is decoded (on the same blocking
    /// thread) and keeps only the plan's result: reads, decoding and the per-file work overlap, and memory is bounded
    /// by the reads in flight (`read_concurrency`), not by the data. For aggregates, reduce each file here and merge
    /// the small results with [`Engine::collect`]. One result per path, in order.
    pub async fn batch_read_with<F>(&self, paths: &[&str], columns: Option<&[&str]>, plan: F) -> Vec<Result<DataFrame>>
    where
        F: Fn(LazyFrame) -> LazyFrame + Send + Sync + 'static,
    {
        let inner = &self.inner;
        let _active = match inner.begin() {
            Ok(a) => a,
            Err(_) => return paths.iter().map(|_| Err(Error::ShutDown)).collect(),
        };
        let columns: Option<Vec<String>> = columns.map(|c| c.iter().map(|s| s.to_string()).collect());
        let plan = Arc::new(plan);
        join_all(paths.iter().map(|path| {
            let (plan, executions) = (plan.clone(), inner.executions.clone());
            inner.read(path, columns.clone(), move |df| Ok(executions.collect(plan(df.lazy()))?))
        }))
        .await
    }

    /// Runs a plan, written with Polars' lazy API, over a handle's data, under admission control. Over loaded data
    /// it runs in memory; over a scan handle, on Polars' streaming engine ([`Execution`](crate::Execution)).
    pub async fn query<F>(&self, handle: &Handle, plan: F) -> Result<DataFrame>
    where
        F: FnOnce(LazyFrame) -> LazyFrame + Send + 'static,
    {
        self.admitted(Input::Handle(handle), move |lf, executions| Ok(executions.collect(plan(lf))?)).await
    }

    /// Runs any lazy plan under admission control, on the execution [`Execution::for_plan`](crate::Execution::for_plan)
    /// picks: streaming when the plan reads files, in memory otherwise.
    pub async fn collect(&self, plan: LazyFrame) -> Result<DataFrame> {
        self.admitted(Input::Plan(plan), |lf, executions| Ok(executions.collect(lf)?)).await
    }

    /// Writes what a plan produces to one Parquet file at `path`, under admission control, on Polars' streaming
    /// engine: memory stays bounded whatever the size of the data (the file is complete when this returns).
    pub async fn sink_parquet(&self, plan: LazyFrame, path: &str) -> Result<()> {
        let path = path.to_string();
        self.admitted(Input::Plan(plan), move |lf, executions| Ok(executions.sink_parquet(lf, &path)?)).await
    }

    /// The one way a call runs a plan: while the engine is running (not shut down), under an admission slot, with
    /// its input (a plan, or a handle's data, read again under the slot if the cache had evicted it) handed to
    /// `work` on a blocking thread.
    async fn admitted<T, F>(&self, input: Input<'_>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(LazyFrame, &Counters) -> Result<T> + Send + 'static,
    {
        let inner = &self.inner;
        let _active = inner.begin()?;
        let _slot = inner.admission.admit().await?;
        let lf = match input {
            Input::Plan(lf) => lf,
            Input::Handle(handle) => inner.data(handle).await?,
        };
        let executions = inner.executions.clone();
        tokio::task::spawn_blocking(move || work(lf, &executions)).await?
    }

    /// Like [`Engine::sink_parquet`] over a handle's data (a scan streams its files).
    pub async fn sink_handle(&self, handle: &Handle, path: &str) -> Result<()> {
        let lf = {
            let _active = self.inner.begin()?;
            self.inner.data(handle).await?
        };
        self.sink_parquet(lf, path).await
    }

    /// The data behind a handle as a lazy plan to build on (reading it again if the cache had evicted it): cached
    /// data as a frame in memory, a scan handle as its file scan. Run what is built with [`Engine::collect`] or
    /// [`Engine::stream`].
    pub async fn lazy(&self, handle: &Handle) -> Result<LazyFrame> {
        let _active = self.inner.begin()?;
        self.inner.data(handle).await
    }

    /// Streams frames of at most `options.batch_rows` rows, with memory bounded (`stream_prefetch` frames read
    /// ahead) whatever the size of the data. Dropping the stream stops it.
    ///
    /// - **A plan** runs as a query: under admission control and the engine's [limits](crate::limit), on the
    ///   execution [`Execution::for_stream`](crate::Execution::for_stream) picks. A plan that reads files, or that
    ///   can grow (a join), streams from Polars' streaming engine; a plan over frames in memory that can only
    ///   shrink is collected in memory and streamed as slices of its result. `options.timeout` (the shorter of it
    ///   and [`Config::query_timeout`](crate::Config::query_timeout)) counts from this call to the stream's end; a
    ///   query stopped by it or by the memory limit gets [`Error::TimedOut`] or [`Error::MemoryLimit`] (as the
    ///   call's error or as the stream's last item). The admission slot is held until Polars has stopped.
    /// - **A handle** streams its data as it is: loaded data as zero-copy slices of the cached frame, a scan's
    ///   files row group by row group ([`crate::stream`]); no query runs, so neither admission nor the limits apply.
    ///
    /// `options.columns` keeps only those columns (for a plan, a final `select`).
    pub async fn stream(&self, source: impl Into<StreamSource>, options: StreamOptions) -> Result<FrameStream> {
        if options.batch_rows == 0 {
            return Err(Error::Config("batch_rows must be at least 1".into()));
        }
        match source.into() {
            StreamSource::Plan(lf) => {
                let lf = match &options.columns {
                    Some(columns) => lf.select(columns.iter().map(|c| col(c.as_str())).collect::<Vec<_>>()),
                    None => lf,
                };
                self.stream_plan(lf, options.batch_rows, options.timeout).await
            }
            StreamSource::Handle(handle) => self.stream_handle(&handle, options.columns, options.batch_rows),
        }
    }

    /// [`Engine::stream`] of a plan.
    async fn stream_plan(&self, plan: LazyFrame, batch_rows: usize, timeout: Option<Duration>) -> Result<FrameStream> {
        let running = self.inner.limits.start(timeout)?;
        // The query runs in a task that owns a clone of the engine, so its admission slot can outlive this call;
        // the first message says whether it was admitted (and carries an in-memory result whole).
        let (mut started_tx, started) = tokio::sync::oneshot::channel::<Result<Option<DataFrame>>>();
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let engine = self.clone();
        tokio::spawn(async move {
            let inner = &engine.inner;
            let admitted = match inner.begin() {
                Ok(active) => tokio::select! {
                    slot = inner.admission.admit() => slot.map(|slot| (active, slot)),
                    reason = running.stopped() => Err(running.error(reason)),
                },
                Err(e) => Err(e),
            };
            let (active, slot) = match admitted {
                Ok(held) => held,
                Err(e) => {
                    let _ = started_tx.send(Err(e));
                    return;
                }
            };
            if crate::Execution::for_stream(&plan) == crate::Execution::InMemory {
                inner.executions.count(crate::Execution::InMemory);
                // Polars' in-memory engine with its cancel token: a stopped query ends at its next operator.
                let query = match tokio::task::spawn_blocking(move || plan.collect_concurrently()).await.map_err(Error::from) {
                    Ok(Ok(query)) => query,
                    Ok(Err(e)) => {
                        let _ = started_tx.send(Err(e.into()));
                        return;
                    }
                    Err(e) => {
                        let _ = started_tx.send(Err(e));
                        return;
                    }
                };
                let waiting = query.clone();
                let mut done = tokio::task::spawn_blocking(move || waiting.fetch_blocking());
                let outcome = tokio::select! {
                    result = &mut done => Ok(result),
                    reason = running.stopped() => Err(reason),
                    _ = started_tx.closed() => Err(Reason::Cancelled),
                };
                match outcome {
                    Ok(result) => {
                        // The result is computed: the slot goes back before the caller sees it.
                        drop((slot, active));
                        let _ = started_tx.send(result.map_err(Error::from).and_then(|r| Ok(Some(r?))));
                    }
                    Err(reason) => {
                        running.stop.stop(reason);
                        query.cancel();
                        let _ = started_tx.send(Err(running.error(reason)));
                        let _ = done.await;
                        drop((slot, active));
                    }
                }
                return;
            }
            inner.executions.count(crate::Execution::Streaming);
            let (mut frames, polars) = match stream::plan_until(plan, batch_rows, inner.config.stream_prefetch, Some(running.stop.clone())) {
                Ok(started) => started,
                Err(e) => {
                    let _ = started_tx.send(Err(e));
                    return;
                }
            };
            let mut stopped = None;
            if started_tx.send(Ok(None)).is_err() {
                running.stop.stop(Reason::Cancelled);
            } else {
                loop {
                    let next = tokio::select! {
                        frame = futures::StreamExt::next(&mut frames) => frame,
                        reason = running.stopped() => {
                            stopped = Some(reason);
                            break;
                        }
                    };
                    let Some(frame) = next else { break };
                    tokio::select! {
                        sent = tx.send(frame) => if sent.is_err() {
                            // A consumer that went away stops the query.
                            running.stop.stop(Reason::Cancelled);
                            break;
                        },
                        reason = running.stopped() => {
                            stopped = Some(reason);
                            break;
                        }
                    }
                }
            }
            // Dropping `frames` makes Polars' next batch its last; the stream's last item says why it was stopped
            // (a stopped stream never just ends, which would look like a complete result); the slot is returned
            // once Polars has stopped.
            drop(frames);
            // Polars may have ended cleanly because the stop flag made its callback ask it to.
            let stopped = stopped.or(running.stop.reason().filter(|r| *r != Reason::Cancelled));
            if let Some(reason) = stopped {
                let _ = tx.send(Err(running.error(reason))).await;
            }
            drop(tx);
            let _ = polars.await;
            drop((slot, active, running));
        });
        match started.await.map_err(|_| Error::ShutDown)?? {
            Some(df) => Ok(stream::slices(Arc::new(df), batch_rows)),
            None => Ok(stream::receiver_stream(rx)),
        }
    }

    /// Runs many plans, each admitted like a single query; one result per plan, in order.
    pub async fn batch_collect(&self, plans: Vec<LazyFrame>) -> Vec<Result<DataFrame>> {
        join_all(plans.into_iter().map(|p| self.collect(p))).await
    }

    /// [`Engine::stream`] of a handle's data.
    fn stream_handle(&self, handle: &Handle, columns: Option<Vec<String>>, batch_rows: usize) -> Result<FrameStream> {
        let inner = &self.inner;
        let _active = inner.begin()?;
        let (expected, prefetch) = (inner.config.expected_schema.clone(), inner.config.stream_prefetch);
        let found = inner.cache().lookup(handle)?;
        match (found.source, found.data, columns) {
            (_, Some(df), None) => Ok(stream::slices(df, batch_rows)),
            (_, Some(df), Some(columns)) => Ok(stream::slices(Arc::new(df.select(columns.iter().map(String::as_str))?), batch_rows)),
            (Source::Scan { files, .. }, None, columns) => Ok(stream::row_groups(files, columns, expected, batch_rows, prefetch)),
            (Source::Loaded { path, columns: loaded }, None, columns) => {
                Ok(stream::row_groups(vec![path], columns.or(loaded), expected, batch_rows, prefetch))
            }
        }
    }

    /// Keeps handles alive: refreshes their idle clocks. Fails with the first handle that is already gone.
    pub fn heartbeat(&self, handles: &[Handle]) -> Result<()> {
        self.inner.cache().heartbeat(handles)
    }

    /// Releases a handle now; `false` when it was not live. Queries already running on it finish normally.
    pub fn drop_handle(&self, handle: &Handle) -> bool {
        self.inner.cache().remove(handle.id)
    }

    /// Cache size, budget and hit rate.
    pub fn cache_stats(&self) -> CacheStats {
        self.inner.cache().stats()
    }

    /// How many plans ran on each Polars execution.
    pub fn execution_stats(&self) -> ExecutionStats {
        self.inner.executions.stats()
    }

    /// Admission slots, queue and refusals.
    pub fn admission_stats(&self) -> AdmissionStats {
        self.inner.admission.stats()
    }

    /// Appends one record to the ingest pipeline; waits while the pipeline is full. `Ok` means acknowledged.
    pub async fn append_record(&self, tick: Tick) -> Result<()> {
        let _active = self.inner.begin()?;
        self.inner.ingest.append(vec![tick]).await
    }

    /// Appends records (at most `ingest_capacity` at once); waits while the pipeline is full.
    pub async fn append_batch(&self, ticks: Vec<Tick>) -> Result<()> {
        let _active = self.inner.begin()?;
        self.inner.ingest.append(ticks).await
    }

    /// Returns once every record acknowledged so far is stored and visible in the rolling VWAP.
    pub async fn flush(&self) -> Result<()> {
        self.inner.ingest.flush().await
    }

    /// The rolling VWAP of one symbol, if it traded within the window.
    pub fn rolling_vwap(&self, symbol: &str) -> Option<f64> {
        self.inner.ingest.vwap(symbol)
    }

    /// The rolling VWAP of every symbol: columns `symbol`, `vwap`, `trades` (in the window), sorted by symbol.
    pub fn rolling_vwaps(&self) -> Result<DataFrame> {
        self.inner.ingest.vwaps()
    }

    /// Every ingested record stored so far: columns `seq`, `symbol`, `price`, `quantity`, `ts_ns`.
    pub fn ingested(&self) -> Result<DataFrame> {
        self.inner.ingest.frame()
    }

    /// Ingest counters.
    pub fn ingest_stats(&self) -> IngestStats {
        self.inner.ingest.stats()
    }

    /// Stops accepting work, lets queued and running work finish until `deadline` from now, flushes ingest, and
    /// reports what was cut short. Every acknowledged ingest record is stored before this returns.
    pub async fn shutdown(&self, deadline: Duration) -> ShutdownReport {
        let inner = &self.inner;
        inner.closed.store(true, Ordering::Release);
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let idle = inner.idle.notified();
            if inner.active.load(Ordering::Acquire) == 0 || tokio::time::timeout_at(until, idle).await.is_err() {
                break;
            }
        }
        let cut_short = inner.active.load(Ordering::Acquire);
        inner.admission.drain(until).await;
        // Ingest is flushed whatever the deadline: acknowledged records are never dropped.
        let _ = inner.ingest.close().await;
        ShutdownReport { drained: cut_short == 0, cut_short, ingest: inner.ingest.stats() }
    }
}

/// Expands a path or glob into the sorted list of files it matches.
fn expand(path_or_glob: &str) -> Result<Vec<String>> {
    let paths = glob::glob(path_or_glob).map_err(|e| Error::Config(format!("'{path_or_glob}' is not a valid glob: {e}")))?;
    let mut files: Vec<String> = paths.filter_map(|p| p.ok()).map(|p| p.display().to_string()).collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::NotFound { path: path_or_glob.to_string() });
    }
    Ok(files)
}

/// Releases idle handles in the background (every quarter TTL), so idle data does not hold memory until the next
/// lookup. Ends with the engine.
async fn sweep_idle(inner: Weak<Inner>) {
    let period = match inner.upgrade() {
        Some(i) => (i.config.handle_ttl / 4).max(Duration::from_millis(10)),
        None => return,
    };
    loop {
        tokio::time::sleep(period).await;
        let Some(inner) = inner.upgrade() else { return };
        inner.cache().expire_idle();
    }
}
