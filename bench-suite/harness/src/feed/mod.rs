//! The tick feed of the streaming workload: a real WebSocket server on 127.0.0.1 replaying a trades dataset as an
//! exchange's trade messages, the clients that consume it, and the checker that says whether a consumer lost or
//! mangled anything.
//!
//! - [`server`]: the feed (tokio-tungstenite), paced at an offered rate or unpaced, over 1..N connections.
//!   It runs in its own process (`polaroid-bench feed`), apart from the consumer being measured.
//! - [`client`]: connection loops shared by every consumer variant (async and blocking), with sequence-gap
//!   tracking, malformed-message accounting and reconnection with backoff.
//! - [`check`]: the rolling VWAP reference and the checker (count, gaps, VWAP values).
//! - [`process`]: starting the feed process and reading back its own CPU and memory use.
//! - [`wire`]: the messages, as the feed writes them and as consumers parse them.
//! - [`latency`]: the send-to-visible latency recorder every consumer variant fills.

pub mod check;
pub mod client;
pub mod latency;
pub mod process;
pub mod server;
pub mod wire;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use polars::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Error, Result};

/// Nanoseconds of event time per microsecond of the dataset's timestamps.
const NS_PER_US: i64 = 1_000;

/// Window of the per-symbol rolling VWAP every variant maintains, in the trades' own time.
pub const VWAP_WINDOW_NS: i64 = 5_000_000_000;

/// One trade as the feed sends it, loaded from the dataset before anything is timed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedTick {
    /// Row in the dataset: the trade's sequence number.
    pub seq: u64,
    /// Instrument.
    pub symbol: String,
    /// Trade price.
    pub price: f64,
    /// Shares.
    pub quantity: i64,
    /// Trade time, microseconds since the epoch.
    pub ts_us: i64,
    /// Buyer was the maker.
    pub buyer_maker: bool,
}

impl FeedTick {
    /// The trade as the engine's record type.
    pub fn to_tick(&self) -> polaroid::Tick {
        polaroid::Tick {
            seq: self.seq,
            symbol: self.symbol.clone(),
            price: self.price,
            quantity: self.quantity,
            ts_ns: self.ts_us * NS_PER_US,
        }
    }
}

/// The connection (0..`connections`) that carries a symbol's trades.
pub fn partition(symbol: &str, connections: usize) -> usize {
    (xxh3_64(symbol.as_bytes()) % connections.max(1) as u64) as usize
}

/// The first `limit` trades of a dataset's files, in file and row order.
pub fn load_ticks(files: &[impl AsRef<Path>], limit: u64) -> Result<Vec<FeedTick>> {
    let mut ticks = Vec::with_capacity(limit.min(1 << 24) as usize);
    for file in files {
        if ticks.len() as u64 >= limit {
            break;
        }
        let path = file.as_ref();
        let f = std::fs::File::open(path).map_err(crate::error::io_err("opening", path))?;
        let df = ParquetReader::new(f)
            .with_columns(Some(vec!["timestamp".into(), "symbol".into(), "price".into(), "quantity".into(), "side".into()]))
            .finish()?;
        let take = (limit - ticks.len() as u64).min(df.height() as u64) as usize;
        let df = df.slice(0, take);
        let ts = df.column("timestamp")?.as_materialized_series().to_physical_repr().i64()?.clone();
        let symbol = df.column("symbol")?.str()?.clone();
        let price = df.column("price")?.f64()?.clone();
        let quantity = df.column("quantity")?.i64()?.clone();
        let side = df.column("side")?.str()?.clone();
        for i in 0..take {
            let missing = |c: &str| Error::BadData(format!("{}: row {i} has a null {c}; the feed needs complete trades", path.display()));
            ticks.push(FeedTick {
                seq: ticks.len() as u64,
                symbol: symbol.get(i).ok_or_else(|| missing("symbol"))?.to_string(),
                price: price.get(i).ok_or_else(|| missing("price"))?,
                quantity: quantity.get(i).ok_or_else(|| missing("quantity"))?,
                ts_us: ts.get(i).ok_or_else(|| missing("timestamp"))?,
                buyer_maker: side.get(i) == Some("sell"),
            });
        }
    }
    Ok(ticks)
}

/// Wall-clock nanoseconds since the Unix epoch: the clock both the feed and its consumers read.
pub fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

/// Micro-batches hold at most this many ticks (engine and `polars-microbatch` alike).
pub const BATCH_RECORDS: usize = 1024;

/// `polars-microbatch` applies a batch that is not full once no tick has arrived for this long (a socket read
/// timeout; the engine needs none: it sees when its queue is empty).
pub const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(1);
