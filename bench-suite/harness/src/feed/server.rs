//! The feed: a WebSocket server (tokio-tungstenite) on 127.0.0.1 that replays trades as messages.
//!
//! A session starts when all `connections` connections are open (`/feed?conn=0` .. `conn=N-1`); each sends its
//! partition of the trades (by symbol), then an `end` message, and closes. Paced at `rate_per_s` over all
//! connections together: trade `i` of the session is due `i / rate` seconds after the start, and is written as soon
//! as it is due (the timer wakes about once a millisecond, so trades leave in small bursts); unpaced, trades are
//! written as fast as the socket takes them. TCP backpressure applies: a consumer that falls behind slows the feed
//! down, and the achieved rate, not the offered one, is what the benchmark reports.
//!
//! A connection that drops mid-session is taken over by the next connection for the same `conn`; trades that came
//! due meanwhile are not replayed (the client sees a gap). [`Faults`] inject malformed messages and dropped
//! connections for tests.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use futures::SinkExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

use crate::error::{Error, Result};
use crate::feed::{FeedTick, now_ns, partition};

/// How long a sender waits for a dropped connection to come back before it ends its part of the session.
const RECONNECT_WAIT: Duration = Duration::from_secs(10);
/// Messages written between flushes when unpaced.
const UNPACED_BURST: usize = 256;

pub use crate::protocol::{Faults, FeedConfig};

type Ws = WebSocketStream<TcpStream>;

/// One connection's share of the session: (trade index in the session, message without its send time).
type Partition = Vec<(u64, String)>;

/// Serves sessions on `listener` until `config.sessions` have been served. Returns the number served.
pub async fn serve(listener: TcpListener, ticks: &[FeedTick], config: FeedConfig) -> Result<u64> {
    if config.connections == 0 {
        return Err(Error::InvalidOption("the feed needs at least 1 connection (--connections)".into()));
    }
    if config.rate_per_s.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err(Error::InvalidOption("--rate must be a positive number of ticks per second".into()));
    }
    let c = config.connections;
    let mut parts: Vec<Partition> = vec![Vec::new(); c];
    for (i, t) in ticks.iter().enumerate() {
        let p = &mut parts[partition(&t.symbol, c)];
        let cseq = p.len() as u64;
        p.push((i as u64, t.message_prefix(cseq)));
    }
    let parts: Arc<Vec<Partition>> = Arc::new(parts);

    let (tx, mut incoming) = mpsc::unbounded_channel::<(usize, Ws)>();
    let acceptor = tokio::spawn(accept_loop(listener, tx));
    let mut served = 0u64;
    // Connections for the next session that arrived while this one was still winding down.
    let mut early: Vec<(usize, Ws)> = Vec::new();
    while config.sessions.is_none_or(|n| served < n) {
        let mut slots: Vec<Option<Ws>> = (0..c).map(|_| None).collect();
        for (conn, ws) in early.drain(..) {
            if let Some(slot) = slots.get_mut(conn) {
                *slot = Some(ws);
            }
        }
        while slots.iter().any(Option::is_none) {
            let Some((conn, ws)) = incoming.recv().await else { break };
            match slots.get_mut(conn) {
                Some(slot) => *slot = Some(ws),
                None => drop(ws), // a connection number this session does not have
            }
        }
        if slots.iter().any(Option::is_none) {
            break; // the listener is gone
        }
        let start = Instant::now();
        let mut senders = JoinSet::new();
        let mut takeovers = Vec::with_capacity(c);
        for (p, ws) in slots.into_iter().enumerate() {
            let (take_tx, take_rx) = mpsc::unbounded_channel();
            takeovers.push(take_tx);
            let ws = ws.expect("every slot was filled above");
            senders.spawn(send_partition(parts.clone(), p, ws, take_rx, start, config.rate_per_s, config.faults.clone()));
        }
        loop {
            tokio::select! {
                done = senders.join_next() => if done.is_none() { break },
                Some((conn, ws)) = incoming.recv() => {
                    // A sender still sending takes the connection over (the client reconnected); one that has
                    // sent its `end` has closed its channel, so the connection is the next session's.
                    match takeovers.get(conn) {
                        Some(t) => {
                            if let Err(back) = t.send(ws) {
                                early.push((conn, back.0));
                            }
                        }
                        None => early.push((conn, ws)),
                    }
                }
            }
        }
        served += 1;
    }
    acceptor.abort();
    Ok(served)
}

async fn accept_loop(listener: TcpListener, tx: mpsc::UnboundedSender<(usize, Ws)>) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut conn = 0usize;
            let callback = |req: &Request, resp: Response| {
                conn = req
                    .uri()
                    .query()
                    .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("conn=")))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                Ok::<_, ErrorResponse>(resp)
            };
            if let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await {
                let _ = tx.send((conn, ws));
            }
        });
    }
}

async fn send_partition(
    parts: Arc<Vec<Partition>>,
    p: usize,
    mut ws: Ws,
    mut takeover: mpsc::UnboundedReceiver<Ws>,
    start: Instant,
    rate: Option<f64>,
    faults: Faults,
) {
    let items = &parts[p];
    let due_index = |now: Instant| -> usize {
        match rate {
            None => items.len(),
            Some(r) => {
                let due = ((now - start).as_secs_f64() * r) as u64;
                items.partition_point(|(i, _)| *i <= due)
            }
        }
    };
    let mut next = 0usize;
    let mut sent = 0u64;
    let mut dropped_once = false;
    while next < items.len() {
        let end = match rate {
            None => (next + UNPACED_BURST).min(items.len()),
            Some(r) => {
                let end = due_index(Instant::now());
                if end <= next {
                    tokio::time::sleep_until(start + Duration::from_secs_f64(items[next].0 as f64 / r)).await;
                    continue;
                }
                end
            }
        };
        let mut healthy = true;
        let mut drop_now = false;
        while next < end {
            if faults.malformed_every.is_some_and(|n| n > 0 && (sent + 1) % n == 0) {
                healthy &= ws.feed(Message::text(r#"{"e":"trade","seq":"#)).await.is_ok();
            }
            let prefix = &items[next].1;
            let mut text = String::with_capacity(prefix.len() + 21);
            text.push_str(prefix);
            let _ = write!(text, "{}}}", now_ns());
            healthy &= ws.feed(Message::text(text)).await.is_ok();
            next += 1;
            sent += 1;
            if !healthy {
                break;
            }
            if !dropped_once && faults.drop_after == Some(sent) {
                drop_now = true;
                break;
            }
        }
        healthy &= ws.flush().await.is_ok();
        if drop_now || !healthy {
            if drop_now {
                dropped_once = true;
                next = (next + faults.drop_skip as usize).min(items.len());
            }
            drop(ws);
            match tokio::time::timeout(RECONNECT_WAIT, takeover.recv()).await {
                Ok(Some(w)) => ws = w,
                _ => return,
            }
            // Trades that came due while the client was away are not replayed.
            next = next.max(if rate.is_some() { due_index(Instant::now()) } else { next });
        }
    }
    // From here on a new connection for this partition belongs to the next session.
    takeover.close();
    while let Ok(next_session) = takeover.try_recv() {
        drop(next_session); // raced the close: the client sees a drop and reconnects into the next session
    }
    let _ = ws.send(Message::text(crate::feed::wire::end_message(items.len()))).await;
    let _ = ws.close(None).await;
    // Wait for the client's close so the `end` message is not lost to a reset.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        use futures::StreamExt;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}
