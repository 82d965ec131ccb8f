//! Micro-batched ingest of trade ticks with a per-symbol rolling VWAP.
//!
//! `append_*` takes one permit per record from a semaphore of `ingest_capacity` permits and hands the records to
//! the batcher task: when the batcher falls behind, appends wait (backpressure) instead of memory growing. The
//! batcher takes every record already queued (up to `ingest_batch_records`) as one micro-batch and applies it as
//! soon as the queue is empty, or, with a non-zero `ingest_batch_delay`, once its oldest record has waited that
//! long; so batches are small when records trickle in and grow by themselves under load. It applies a batch on a
//! blocking thread: the records become a Polars frame (every record is
//! kept) and update the rolling VWAP windows. A record is *acknowledged* when its `append` returns `Ok`; `flush`
//! returns once every acknowledged record is stored and visible in the VWAP.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use polars::prelude::*;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;

use crate::error::{Error, Result};

/// A callback on applied ingest micro-batches (see [`EngineBuilder::on_ingest_applied`](crate::EngineBuilder::on_ingest_applied)).
#[derive(Clone)]
pub struct IngestHook(pub Arc<dyn Fn(&[Tick]) + Send + Sync>);

impl std::fmt::Debug for IngestHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IngestHook(..)")
    }
}

/// One trade, as a feed delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Sequence number given by the feed.
    pub seq: u64,
    /// Instrument.
    pub symbol: String,
    /// Trade price.
    pub price: f64,
    /// Shares traded.
    pub quantity: i64,
    /// Trade time, nanoseconds since the Unix epoch (the rolling window runs on this clock).
    pub ts_ns: i64,
}

/// Ingest figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestStats {
    /// Records whose `append` returned `Ok`.
    pub acknowledged: u64,
    /// Records stored in frames and applied to the VWAP.
    pub stored: u64,
    /// Micro-batches applied.
    pub batches: u64,
}

enum Msg {
    Records(Vec<Tick>),
    Flush(oneshot::Sender<()>),
}

/// A symbol's window: trades newer than `latest - window`, with running sums.
#[derive(Default)]
struct Window {
    trades: VecDeque<(i64, f64, f64)>,
    notional: f64,
    volume: f64,
    latest: i64,
}

impl Window {
    fn push(&mut self, ts_ns: i64, price: f64, quantity: f64, window_ns: i64) {
        self.trades.push_back((ts_ns, price * quantity, quantity));
        self.notional += price * quantity;
        self.volume += quantity;
        self.latest = if self.trades.len() == 1 { ts_ns } else { self.latest.max(ts_ns) };
        let latest = self.latest;
        while let Some(&(ts, pq, q)) = self.trades.front() {
            if ts > latest - window_ns {
                break;
            }
            self.trades.pop_front();
            self.notional -= pq;
            self.volume -= q;
        }
        if self.trades.is_empty() {
            (self.notional, self.volume) = (0.0, 0.0);
        }
    }

    fn vwap(&self) -> Option<f64> {
        (self.volume > 0.0).then(|| self.notional / self.volume)
    }
}

/// What the batcher writes and queries read.
pub(crate) struct IngestState {
    frames: Mutex<Vec<DataFrame>>,
    windows: Mutex<HashMap<String, Window>>,
    window_ns: i64,
    acknowledged: AtomicU64,
    stored: AtomicU64,
    batches: AtomicU64,
    hook: Option<IngestHook>,
}

impl IngestState {
    /// Applies one micro-batch (blocking: builds a Polars frame).
    fn apply(&self, batch: Vec<Tick>) -> Result<()> {
        let n = batch.len() as u64;
        let df = df!(
            "seq" => batch.iter().map(|t| t.seq).collect::<Vec<_>>(),
            "symbol" => batch.iter().map(|t| t.symbol.as_str()).collect::<Vec<_>>(),
            "price" => batch.iter().map(|t| t.price).collect::<Vec<_>>(),
            "quantity" => batch.iter().map(|t| t.quantity).collect::<Vec<_>>(),
            "ts_ns" => batch.iter().map(|t| t.ts_ns).collect::<Vec<_>>(),
        )?;
        {
            let mut windows = self.windows.lock().expect("ingest windows lock is never poisoned");
            for t in &batch {
                // Look up by &str: a String is allocated only for a symbol's first trade.
                if !windows.contains_key(t.symbol.as_str()) {
                    windows.insert(t.symbol.clone(), Window::default());
                }
                let window = windows.get_mut(t.symbol.as_str()).expect("inserted just above");
                window.push(t.ts_ns, t.price, t.quantity as f64, self.window_ns);
            }
        }
        self.frames.lock().expect("ingest frames lock is never poisoned").push(df);
        self.stored.fetch_add(n, Ordering::Release);
        self.batches.fetch_add(1, Ordering::Relaxed);
        if let Some(hook) = &self.hook {
            (hook.0)(&batch);
        }
        Ok(())
    }
}

/// The ingest side of an engine.
pub(crate) struct Ingest {
    tx: mpsc::UnboundedSender<Msg>,
    permits: Arc<Semaphore>,
    capacity: usize,
    closed: AtomicBool,
    pub state: Arc<IngestState>,
}

impl Ingest {
    pub fn start(capacity: usize, batch_records: usize, delay: Duration, window: Duration, hook: Option<IngestHook>) -> Ingest {
        let state = Arc::new(IngestState {
            frames: Mutex::new(Vec::new()),
            windows: Mutex::new(HashMap::new()),
            window_ns: window.as_nanos().min(i64::MAX as u128) as i64,
            acknowledged: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            hook,
        });
        let permits = Arc::new(Semaphore::new(capacity));
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(batcher(rx, state.clone(), permits.clone(), batch_records, delay));
        Ingest { tx, permits, capacity, closed: AtomicBool::new(false), state }
    }

    pub async fn append(&self, records: Vec<Tick>) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::ShutDown);
        }
        if records.len() > self.capacity {
            return Err(Error::Config(format!(
                "a batch of {} records exceeds ingest_capacity ({}); split it or raise ingest_capacity",
                records.len(),
                self.capacity
            )));
        }
        if records.is_empty() {
            return Ok(());
        }
        let n = records.len();
        // Waits while the batcher is `capacity` records behind: backpressure.
        let permit = self.permits.acquire_many(n as u32).await.map_err(|_| Error::ShutDown)?;
        permit.forget(); // returned by the batcher once the records are stored
        self.tx.send(Msg::Records(records)).map_err(|_| Error::ShutDown)?;
        self.state.acknowledged.fetch_add(n as u64, Ordering::AcqRel);
        Ok(())
    }

    /// Returns once everything acknowledged before the call is stored and visible.
    pub async fn flush(&self) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.tx.send(Msg::Flush(done)).map_err(|_| Error::ShutDown)?;
        wait.await.map_err(|_| Error::ShutDown)
    }

    /// Refuses further appends, then flushes.
    pub async fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        self.flush().await
    }

    pub fn stats(&self) -> IngestStats {
        IngestStats {
            acknowledged: self.state.acknowledged.load(Ordering::Acquire),
            stored: self.state.stored.load(Ordering::Acquire),
            batches: self.state.batches.load(Ordering::Relaxed),
        }
    }

    pub fn vwap(&self, symbol: &str) -> Option<f64> {
        self.state.windows.lock().expect("ingest windows lock is never poisoned").get(symbol).and_then(Window::vwap)
    }

    /// Per-symbol rolling VWAP and trades in the window, sorted by symbol.
    pub fn vwaps(&self) -> Result<DataFrame> {
        let windows = self.state.windows.lock().expect("ingest windows lock is never poisoned");
        let mut rows: Vec<(&String, &Window)> = windows.iter().collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        Ok(df!(
            "symbol" => rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
            "vwap" => rows.iter().map(|r| r.1.vwap()).collect::<Vec<_>>(),
            "trades" => rows.iter().map(|r| r.1.trades.len() as u64).collect::<Vec<_>>(),
        )?)
    }

    /// Every stored record, as one frame (cheap: the micro-batches' chunks are shared, not copied).
    pub fn frame(&self) -> Result<DataFrame> {
        let frames = self.state.frames.lock().expect("ingest frames lock is never poisoned").clone();
        if frames.is_empty() {
            return Ok(DataFrame::empty());
        }
        let lazy: Vec<LazyFrame> = frames.into_iter().map(|f| f.lazy()).collect();
        Ok(concat(lazy, UnionArgs { rechunk: false, parallel: false, ..Default::default() })?.collect()?)
    }
}

async fn batcher(mut rx: mpsc::UnboundedReceiver<Msg>, state: Arc<IngestState>, permits: Arc<Semaphore>, batch_records: usize, delay: Duration) {
    let mut pending: Vec<Tick> = Vec::with_capacity(batch_records);
    let mut oldest: Option<Instant> = None;
    loop {
        let msg = match oldest {
            Some(since) => tokio::select! {
                msg = rx.recv() => msg,
                () = tokio::time::sleep_until(since + delay) => {
                    apply(&state, &permits, &mut pending).await;
                    oldest = None;
                    continue;
                }
            },
            None => rx.recv().await,
        };
        match msg {
            Some(Msg::Records(records)) => {
                if pending.is_empty() {
                    oldest = Some(Instant::now());
                }
                pending.extend(records);
                // Take whatever else is already queued: under load batches grow by themselves.
                let mut flushes = Vec::new();
                while pending.len() < batch_records {
                    match rx.try_recv() {
                        Ok(Msg::Records(more)) => pending.extend(more),
                        Ok(Msg::Flush(done)) => flushes.push(done),
                        Err(_) => break,
                    }
                }
                if pending.len() >= batch_records || delay.is_zero() || !flushes.is_empty() {
                    apply(&state, &permits, &mut pending).await;
                    oldest = None;
                }
                for done in flushes {
                    let _ = done.send(());
                }
            }
            Some(Msg::Flush(done)) => {
                apply(&state, &permits, &mut pending).await;
                oldest = None;
                let _ = done.send(());
            }
            None => {
                apply(&state, &permits, &mut pending).await;
                return;
            }
        }
    }
}

async fn apply(state: &Arc<IngestState>, permits: &Semaphore, pending: &mut Vec<Tick>) {
    if pending.is_empty() {
        return;
    }
    let batch = std::mem::take(pending);
    let n = batch.len();
    let state2 = state.clone();
    match tokio::task::spawn_blocking(move || state2.apply(batch)).await {
        Ok(Ok(())) => {}
        // Building a frame from valid records cannot fail short of a bug; say so loudly rather than lose silently.
        Ok(Err(e)) => {
            let cause = std::error::Error::source(&e).map(|c| format!(": {c}")).unwrap_or_default();
            eprintln!("polaroid ingest: a micro-batch of {n} records was not stored: {e}{cause}")
        }
        Err(e) => eprintln!("polaroid ingest: a micro-batch of {n} records was not stored: {e}"),
    }
    permits.add_permits(n);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_keeps_only_recent_trades() {
        let mut w = Window::default();
        w.push(0, 10.0, 1.0, 100);
        w.push(50, 20.0, 1.0, 100);
        assert_eq!(w.vwap(), Some(15.0));
        w.push(120, 30.0, 2.0, 100); // the trade at 0 falls out: (20 + 60) / 3
        assert!((w.vwap().unwrap() - 80.0 / 3.0).abs() < 1e-12);
        w.push(1000, 5.0, 4.0, 100);
        assert_eq!(w.vwap(), Some(5.0));
    }
}
