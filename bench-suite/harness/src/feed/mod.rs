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
//!
//! ## Wire format
//! One text message per trade, shaped like an exchange's trade stream (field names follow Binance's, plus the
//! sequence numbers and send time this benchmark needs):
//!
//! ```text
//! {"e":"trade","seq":17,"cseq":3,"s":"SYM042","t":17,"p":"101.25","q":"300","m":true,"T":1767623400017512,"sent_ns":1795000000123456789}
//! ```
//! `seq` is the trade's row in the dataset (unique over the session), `cseq` counts messages on this connection
//! from 0 (a jump is a gap), `p` and `q` are decimal strings, `T` is the trade time in microseconds and `sent_ns` the
//! feed's wall clock (`CLOCK_REALTIME`, nanoseconds) when the message was written to the socket. The last message
//! of a connection is `{"e":"end","cseq":N}`: N trades were meant for it. Trades are partitioned over connections
//! by symbol, so every symbol's trades arrive in order on one connection.

pub mod check;
pub mod client;
pub mod process;
pub mod server;

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

    /// The message without its closing send time: `...,"sent_ns":` (the sender appends the clock and `}`).
    pub fn message_prefix(&self, cseq: u64) -> String {
        format!(
            r#"{{"e":"trade","seq":{},"cseq":{},"s":"{}","t":{},"p":"{}","q":"{}","m":{},"T":{},"sent_ns":"#,
            self.seq, cseq, self.symbol, self.seq, self.price, self.quantity, self.buyer_maker, self.ts_us
        )
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
            let missing = |c: &str| Error::Config(format!("{}: row {i} has a null {c}; the feed needs complete trades", path.display()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_parses_back_to_the_same_trade() {
        let t = FeedTick { seq: 7, symbol: "SYM001".into(), price: 101.25, quantity: 300, ts_us: 1_767_623_400_017_512, buyer_maker: true };
        let text = format!("{}{}}}", t.message_prefix(3), 1_795_000_000_123_456_789i64);
        let got = client::parse(&text).expect("a well-formed trade");
        match got {
            client::Event::Trade(r) => {
                assert_eq!(r.tick, t.to_tick());
                assert_eq!(r.cseq, 3);
                assert_eq!(r.sent_ns, 1_795_000_000_123_456_789);
            }
            other => panic!("expected a trade, got {other:?}"),
        }
    }

    #[test]
    fn prices_survive_the_decimal_text_round_trip() {
        for p in [0.01, 1.1, 99.99, 123.45, 4567.89, 1e-7, 12345678.91] {
            let t = FeedTick { seq: 0, symbol: "S".into(), price: p, quantity: 1, ts_us: 0, buyer_maker: false };
            let text = format!("{}0}}", t.message_prefix(0));
            let client::Event::Trade(r) = client::parse(&text).unwrap() else { panic!("trade") };
            assert_eq!(r.tick.price.to_bits(), p.to_bits());
        }
    }
}

/// Micro-batches hold at most this many ticks (engine and `polars-microbatch` alike).
pub const BATCH_RECORDS: usize = 1024;

/// `polars-microbatch` applies a batch that is not full once no tick has arrived for this long (a socket read
/// timeout; the engine needs none: it sees when its queue is empty).
pub const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(1);
