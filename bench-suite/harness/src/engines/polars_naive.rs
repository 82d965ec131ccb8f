//! `polars-naive` (streaming): what a first attempt looks like. A blocking WebSocket client per connection; each
//! tick becomes a one-row DataFrame appended (`vstack`) to one shared frame, and updates the rolling VWAP, under
//! one lock. A tick is visible once its append and VWAP update are done.

use std::sync::Mutex;

use polars::prelude::*;

use crate::engines::{Engine, EngineKind, FeedSession, Ingested, Input, Op, Output, on_connection_threads, unsupported};
use crate::error::Result;
use crate::feed::check::RollingVwap;
use crate::feed::client::consume_blocking;
use crate::feed::latency::Visibility;
use crate::feed::now_ns;

/// The naive consumer.
pub struct PolarsNaiveEngine;

impl Engine for PolarsNaiveEngine {
    fn execute(&self, _input: &Input, op: &Op) -> Result<Output> {
        let Op::Ingest(session) = op else { return Err(unsupported(EngineKind::PolarsNaive, op)) };
        session_of(session).map(Output::Ingested)
    }
}

/// The stored-ticks frame's schema, shared with the micro-batch variant and the engine.
pub(crate) fn tick_frame(seq: Vec<u64>, symbol: Vec<String>, price: Vec<f64>, quantity: Vec<i64>, ts_ns: Vec<i64>) -> Result<DataFrame> {
    Ok(df!("seq" => seq, "symbol" => symbol, "price" => price, "quantity" => quantity, "ts_ns" => ts_ns)?)
}

fn session_of(session: &FeedSession) -> Result<Ingested> {
    let state = Mutex::new((None::<DataFrame>, RollingVwap::default()));
    let mut out = on_connection_threads(session, |conn| {
        let mut visibility = Visibility::default();
        let stats = consume_blocking(
            &session.url,
            conn,
            None,
            |r| {
                let t = r.tick;
                let row = tick_frame(vec![t.seq], vec![t.symbol.clone()], vec![t.price], vec![t.quantity], vec![t.ts_ns])?;
                let mut guard = state.lock().expect("naive state lock is never poisoned");
                let (df, vwap) = &mut *guard;
                match df {
                    Some(df) => {
                        df.vstack_mut_owned(row)?;
                    }
                    None => *df = Some(row),
                }
                vwap.push(&t.symbol, t.price, t.quantity, t.ts_ns);
                drop(guard);
                visibility.record(r.sent_ns, now_ns());
                Ok(())
            },
            || Ok(()),
        )?;
        Ok((stats, visibility))
    })?;
    let (df, vwap) = state.into_inner().expect("naive state lock is never poisoned");
    out.stored = Some(match df {
        Some(df) => df,
        None => tick_frame(vec![], vec![], vec![], vec![], vec![])?,
    });
    out.vwap = Some(vwap.frame()?);
    Ok(out)
}
