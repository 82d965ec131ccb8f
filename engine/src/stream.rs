//! Streams of frames whose memory stays bounded whatever the size of the data: a producer reads ahead at most
//! `stream_prefetch` frames into a bounded channel and waits when the consumer falls behind.
//!
//! - Over a scan handle: a row-group pipeline. Each file's row groups are read `batch_rows` at a time (whole row
//!   groups, when `batch_rows` is a multiple of the row-group size), in file order, on blocking threads.
//! - Over loaded data: zero-copy slices of the cached frame.
//! - Over any Polars plan: Polars' streaming engine with a callback sink, which blocks while the channel is full.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use polars::prelude::*;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::read::{self, ReadSpec};

/// A stream of frames; the first error ends it.
pub type FrameStream = Pin<Box<dyn Stream<Item = Result<DataFrame>> + Send>>;

/// What [`Engine::stream`](crate::Engine::stream) streams: a handle or a plan converts into it.
pub enum StreamSource {
    /// Data behind a handle (a scan streams its files; loaded data streams slices of itself).
    Handle(crate::Handle),
    /// Any lazy plan, run as a query.
    Plan(LazyFrame),
}

/// How [`Engine::stream`](crate::Engine::stream) streams: `StreamOptions::rows(65_536)`, then the builders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    /// Rows per frame, at least 1.
    pub batch_rows: usize,
    /// Only these columns (`None`: all).
    pub columns: Option<Vec<String>>,
    /// A plan's time limit from the call to the stream's end (the shorter of it and `Config::query_timeout`).
    pub timeout: Option<std::time::Duration>,
}

impl StreamOptions {
    /// Frames of at most `batch_rows` rows, every column, the engine's own time limit.
    pub fn rows(batch_rows: usize) -> Self {
        StreamOptions { batch_rows, columns: None, timeout: None }
    }

    /// Only these columns.
    pub fn columns(mut self, columns: &[&str]) -> Self {
        self.columns = Some(columns.iter().map(|c| c.to_string()).collect());
        self
    }

    /// This call's time limit (`None`: the engine's own).
    pub fn timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.timeout = timeout;
        self
    }
}

impl From<crate::Handle> for StreamSource {
    fn from(h: crate::Handle) -> Self {
        StreamSource::Handle(h)
    }
}

impl From<&crate::Handle> for StreamSource {
    fn from(h: &crate::Handle) -> Self {
        StreamSource::Handle(h.clone())
    }
}

impl From<LazyFrame> for StreamSource {
    fn from(lf: LazyFrame) -> Self {
        StreamSource::Plan(lf)
    }
}

pub(crate) fn receiver_stream(rx: mpsc::Receiver<Result<DataFrame>>) -> FrameStream {
    Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }))
}

/// Row groups of local files, `batch_rows` at a time, projected to `columns`.
pub(crate) fn row_groups(files: Vec<String>, columns: Option<Vec<String>>, expected: Option<Schema>, batch_rows: usize, prefetch: usize) -> FrameStream {
    let (tx, rx) = mpsc::channel(prefetch);
    tokio::spawn(async move {
        for path in files {
            let fetched = read::Fetched::Local(path);
            let f = fetched.clone();
            let rows = match tokio::task::spawn_blocking(move || read::num_rows(&f)).await.map_err(Error::from).and_then(|r| r) {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            for offset in (0..rows).step_by(batch_rows) {
                let spec = ReadSpec {
                    columns: columns.clone(),
                    slice: Some((offset, batch_rows.min(rows - offset))),
                    expected: expected.clone(),
                };
                let f = fetched.clone();
                let frame = tokio::task::spawn_blocking(move || read::decode(&f, &spec)).await.map_err(Error::from).and_then(|r| r);
                let failed = frame.is_err();
                // `send` waits while `prefetch` frames are unconsumed: this is the memory bound.
                if tx.send(frame).await.is_err() || failed {
                    return;
                }
            }
        }
    });
    receiver_stream(rx)
}

/// Slices of a frame held in memory (no copies).
pub(crate) fn slices(df: Arc<DataFrame>, batch_rows: usize) -> FrameStream {
    let height = df.height();
    let offsets = (0..height).step_by(batch_rows);
    Box::pin(futures::stream::iter(offsets.map(move |offset| Ok(df.slice(offset as i64, batch_rows)))))
}

/// Any plan, executed by Polars' streaming engine on a blocking thread; each batch it emits goes through the
/// bounded channel, and Polars stops at its next batch when the stream is dropped or once `stop` is set. Returns
/// the blocking task that runs Polars (it ends when Polars has stopped).
pub(crate) fn plan_until(
    lf: LazyFrame,
    batch_rows: usize,
    prefetch: usize,
    stop: Option<Arc<crate::limit::Stop>>,
) -> Result<(FrameStream, tokio::task::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel(prefetch);
    let batches = tx.clone();
    let sink = lf.sink_batches(
        PlanCallback::new(move |df: DataFrame| {
            if stop.as_ref().is_some_and(|s| s.reason().is_some()) {
                return Ok(true);
            }
            // Returning true asks Polars to stop: the consumer is gone.
            Ok(batches.blocking_send(Ok(df)).is_err())
        }),
        true,
        std::num::NonZeroUsize::new(batch_rows),
    )?;
    let task = tokio::task::spawn_blocking(move || {
        // A panic in Polars must reach the consumer as an error: unwinding would only drop `tx`, and a stream that
        // just ends looks like a complete (here: empty or cut) result.
        let run = std::panic::AssertUnwindSafe(|| sink.collect_with_engine(polars::prelude::Engine::Streaming));
        match std::panic::catch_unwind(run) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                let _ = tx.blocking_send(Err(e.into()));
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                let _ = tx.blocking_send(Err(Error::Task(format!("Polars' streaming engine panicked: {message}"))));
            }
        }
    });
    Ok((receiver_stream(rx), task))
}
