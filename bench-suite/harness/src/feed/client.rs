//! Consuming the feed: per-connection bookkeeping (gaps, malformed messages, reconnects) and the two connection
//! loops every consumer variant is built on: [`consume`] (tokio-tungstenite, for async
//! consumers) and [`consume_blocking`] (tungstenite on a blocking socket, for synchronous clients).
//!
//! A connection that drops before its `end` message is reconnected with exponential backoff
//! ([`RECONNECT_BACKOFF`] doubling up to [`RECONNECT_MAX_BACKOFF`], at most [`RECONNECT_ATTEMPTS`] failed attempts in a
//! row); trades the feed sent meanwhile are not replayed, and show up as a gap in `cseq`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::error::{Error, Result};
use crate::feed::wire::{Event, Received, parse};

/// First wait before reconnecting.
pub const RECONNECT_BACKOFF: Duration = Duration::from_millis(10);
/// Longest wait between reconnection attempts.
pub const RECONNECT_MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Failed attempts in a row before a connection is given up.
pub const RECONNECT_ATTEMPTS: u32 = 8;
/// Messages an async consumer takes at once when they are already waiting (no waiting for more).
pub const READY_CHUNK: usize = 1024;

/// What one connection saw over a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnStats {
    /// Trades parsed.
    pub received: u64,
    /// Messages skipped, by reason.
    pub malformed: BTreeMap<String, u64>,
    /// Jumps in `cseq` (including a short count at `end`).
    pub gaps: u64,
    /// Trades missing in those jumps.
    pub gap_ticks: u64,
    /// Trades seen again (`cseq` going back).
    pub repeated: u64,
    /// Times the connection was re-established.
    pub reconnects: u64,
    /// Whether the `end` message arrived.
    pub ended: bool,
}

impl ConnStats {
    /// Totals over connections: start from this, then [`ConnStats::merge`] each.
    pub fn total() -> ConnStats {
        ConnStats { ended: true, ..ConnStats::default() }
    }

    /// Adds another connection's figures.
    pub fn merge(&mut self, other: &ConnStats) {
        self.received += other.received;
        for (k, v) in &other.malformed {
            *self.malformed.entry(k.clone()).or_default() += v;
        }
        self.gaps += other.gaps;
        self.gap_ticks += other.gap_ticks;
        self.repeated += other.repeated;
        self.reconnects += other.reconnects;
        self.ended &= other.ended;
    }
}

/// Per-connection bookkeeping shared by both loops.
#[derive(Debug, Default)]
struct Tracker {
    stats: ConnStats,
    next_cseq: u64,
}

impl Tracker {
    /// Accounts for one text message; returns the trade when it is one.
    fn text(&mut self, text: &str) -> Option<Received> {
        match parse(text) {
            Ok(Event::Trade(r)) => {
                if r.cseq > self.next_cseq {
                    self.stats.gaps += 1;
                    self.stats.gap_ticks += r.cseq - self.next_cseq;
                } else if r.cseq < self.next_cseq {
                    self.stats.repeated += 1;
                }
                self.next_cseq = self.next_cseq.max(r.cseq + 1);
                self.stats.received += 1;
                Some(r)
            }
            Ok(Event::End { ticks }) => {
                if ticks > self.next_cseq {
                    self.stats.gaps += 1;
                    self.stats.gap_ticks += ticks - self.next_cseq;
                }
                self.stats.ended = true;
                None
            }
            Err(reason) => {
                self.malformed(reason);
                None
            }
        }
    }

    fn malformed(&mut self, reason: &str) {
        *self.stats.malformed.entry(reason.to_string()).or_default() += 1;
    }
}

/// The URL of connection `conn` of a feed at `base` (`ws://127.0.0.1:PORT/feed`).
pub fn connection_url(base: &str, conn: usize) -> String {
    format!("{base}?conn={conn}")
}

/// Reads connection `conn` of the feed at `base` until its `end` message, reconnecting when it drops, and hands
/// the trades to `on_trades` in chunks of those already received (at most [`READY_CHUNK`]; a chunk never waits for
/// more messages). Returns what the connection saw.
pub async fn consume<F, Fut>(base: &str, conn: usize, mut on_trades: F) -> Result<ConnStats>
where
    F: FnMut(Vec<Received>) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let url = connection_url(base, conn);
    let mut tracker = Tracker::default();
    let mut failures = 0u32;
    let mut connected_once = false;
    loop {
        let ws = match tokio_tungstenite::connect_async(url.as_str()).await {
            Ok((ws, _)) => ws,
            Err(e) => {
                failures += 1;
                if failures >= RECONNECT_ATTEMPTS {
                    return Err(feed_err(&url, failures, e));
                }
                tokio::time::sleep(backoff(failures)).await;
                continue;
            }
        };
        if connected_once {
            tracker.stats.reconnects += 1;
        }
        connected_once = true;
        failures = 0;
        let mut chunks = ws.ready_chunks(READY_CHUNK);
        while let Some(messages) = chunks.next().await {
            let mut trades = Vec::with_capacity(messages.len());
            let mut dropped = false;
            for m in messages {
                match m {
                    Ok(Message::Text(t)) => trades.extend(tracker.text(t.as_str())),
                    Ok(Message::Binary(_)) => tracker.malformed("binary frame"),
                    Ok(_) => {}
                    Err(_) => dropped = true,
                }
            }
            if !trades.is_empty() {
                on_trades(trades).await?;
            }
            if tracker.stats.ended || dropped {
                break;
            }
        }
        if tracker.stats.ended {
            return Ok(tracker.stats);
        }
        tokio::time::sleep(backoff(1)).await;
    }
}

/// The blocking counterpart of [`consume`]: calls `on_trade` for every trade, and `on_idle` whenever no message
/// arrived for `idle` (when set), so a synchronous client can cut batches by time.
pub fn consume_blocking(
    base: &str,
    conn: usize,
    idle: Option<Duration>,
    mut on_trade: impl FnMut(Received) -> Result<()>,
    mut on_idle: impl FnMut() -> Result<()>,
) -> Result<ConnStats> {
    let url = connection_url(base, conn);
    let mut tracker = Tracker::default();
    let mut failures = 0u32;
    let mut connected_once = false;
    loop {
        let mut ws = match tungstenite::connect(url.as_str()) {
            Ok((ws, _)) => ws,
            Err(e) => {
                failures += 1;
                if failures >= RECONNECT_ATTEMPTS {
                    return Err(feed_err(&url, failures, e));
                }
                std::thread::sleep(backoff(failures));
                continue;
            }
        };
        if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_mut() {
            s.set_read_timeout(idle).map_err(crate::error::system(format!("feed {url}: cannot set a read timeout")))?;
            let _ = s.set_nodelay(true);
        }
        if connected_once {
            tracker.stats.reconnects += 1;
        }
        connected_once = true;
        failures = 0;
        loop {
            match ws.read() {
                Ok(Message::Text(t)) => {
                    if let Some(r) = tracker.text(t.as_str()) {
                        on_trade(r)?;
                    }
                    if tracker.stats.ended {
                        return Ok(tracker.stats);
                    }
                }
                Ok(Message::Binary(_)) => tracker.malformed("binary frame"),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    on_idle()?;
                }
                Err(_) => break,
            }
        }
        std::thread::sleep(backoff(1));
    }
}

fn backoff(attempt: u32) -> Duration {
    RECONNECT_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(RECONNECT_MAX_BACKOFF)
}

fn feed_err(url: &str, attempts: u32, e: tungstenite::Error) -> Error {
    Error::FeedUnreachable { url: url.to_string(), attempts, source: Box::new(e) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tracker_records_gaps_and_a_short_end() {
        let mut t = Tracker::default();
        let msg = |cseq: u64| format!(r#"{{"e":"trade","seq":{cseq},"cseq":{cseq},"s":"A","p":"1","q":"1","T":1,"sent_ns":1}}"#);
        for c in [0, 1, 4, 5] {
            assert!(t.text(&msg(c)).is_some());
        }
        assert!(t.text("garbage").is_none());
        assert!(t.text(r#"{"e":"end","cseq":8}"#).is_none());
        assert_eq!((t.stats.received, t.stats.gaps, t.stats.gap_ticks), (4, 2, 4));
        assert_eq!(t.stats.malformed.get("invalid JSON"), Some(&1));
        assert!(t.stats.ended);
    }
}
