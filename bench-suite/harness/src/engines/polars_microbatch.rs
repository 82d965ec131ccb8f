//! `polars-microbatch` (streaming): a synchronous client that buffers ticks and turns every
//! [`BATCH_RECORDS`](crate::feed::BATCH_RECORDS) of them (or whatever arrived within
//! [`BATCH_DELAY`](crate::feed::BATCH_DELAY) of the oldest, using a socket read timeout) into one
//! DataFrame, then updates the rolling VWAP. The same cut rule as the async engine's batcher; ticks are visible
//! when their batch is applied.

use std::sync::Mutex;
use std::time::Instant;

use polars::prelude::*;

use crate::engines::polars_naive::tick_frame;
use crate::engines::{Engine, EngineKind, FeedSession, Ingested, Input, Op, Output, concat, on_connection_threads, unsupported};
use crate::error::Result;
use crate::feed::check::RollingVwap;
use crate::feed::client::consume_blocking;
use crate::feed::latency::Visibility;
use crate::feed::wire::Received;
use crate::feed::now_ns;
use crate::feed::{BATCH_DELAY, BATCH_RECORDS};

/// The micro-batching consumer.
pub struct PolarsMicroBatchEngine;

impl Engine for PolarsMicroBatchEngine {
    fn execute(&self, _input: &Input, op: &Op) -> Result<Output> {
        let Op::Ingest(session) = op else { return Err(unsupported(EngineKind::PolarsMicroBatch, op)) };
        session_of(session).map(Output::Ingested)
    }
}

struct Shared {
    frames: Vec<DataFrame>,
    vwap: RollingVwap,
}

struct Batcher<'a> {
    shared: &'a Mutex<Shared>,
    pending: Vec<Received>,
    oldest: Option<Instant>,
    visibility: Visibility,
}

impl Batcher<'_> {
    fn push(&mut self, r: Received) -> Result<()> {
        if self.pending.is_empty() {
            self.oldest = Some(Instant::now());
        }
        self.pending.push(r);
        if self.pending.len() >= BATCH_RECORDS || self.due() {
            self.apply()?;
        }
        Ok(())
    }

    fn due(&self) -> bool {
        self.oldest.is_some_and(|t| t.elapsed() >= BATCH_DELAY)
    }

    fn apply(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        self.oldest = None;
        let df = tick_frame(
            batch.iter().map(|r| r.tick.seq).collect(),
            batch.iter().map(|r| r.tick.symbol.clone()).collect(),
            batch.iter().map(|r| r.tick.price).collect(),
            batch.iter().map(|r| r.tick.quantity).collect(),
            batch.iter().map(|r| r.tick.ts_ns).collect(),
        )?;
        {
            let mut shared = self.shared.lock().expect("micro-batch state lock is never poisoned");
            for r in &batch {
                shared.vwap.push(&r.tick.symbol, r.tick.price, r.tick.quantity, r.tick.ts_ns);
            }
            shared.frames.push(df);
        }
        let now = now_ns();
        for r in &batch {
            self.visibility.record(r.sent_ns, now);
        }
        Ok(())
    }
}

fn session_of(session: &FeedSession) -> Result<Ingested> {
    let shared = Mutex::new(Shared { frames: Vec::new(), vwap: RollingVwap::default() });
    let mut out = on_connection_threads(session, |conn| {
        let batcher = std::cell::RefCell::new(Batcher {
            shared: &shared,
            pending: Vec::with_capacity(BATCH_RECORDS),
            oldest: None,
            visibility: Visibility::default(),
        });
        let stats = consume_blocking(
            &session.url,
            conn,
            Some(BATCH_DELAY),
            |r| batcher.borrow_mut().push(r),
            || {
                let mut b = batcher.borrow_mut();
                if b.due() { b.apply() } else { Ok(()) }
            },
        )?;
        let mut b = batcher.into_inner();
        b.apply()?;
        Ok((stats, b.visibility))
    })?;
    let shared = shared.into_inner().expect("micro-batch state lock is never poisoned");
    let stored = match shared.frames.len() {
        0 => tick_frame(vec![], vec![], vec![], vec![], vec![])?,
        _ => concat(shared.frames)?, // chunks kept, no copy, like the engine's
    };
    out.stored = Some(stored);
    out.vwap = Some(shared.vwap.frame()?);
    Ok(out)
}
