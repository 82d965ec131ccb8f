//! Ingests the tick feed with the polaroid engine and prints the rate and latency every second.
//!
//! ```sh
//! polaroid-bench feed --rate 100000            # prints ws://127.0.0.1:PORT/feed
//! cargo run --release -p polaroid-bench --example feed_client -- ws://127.0.0.1:PORT/feed [CONNECTIONS]
//! ```
//! Latency is from the feed's send timestamp to the tick being visible in the engine's rolling VWAP.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use polaroid_bench::feed::client::{ConnStats, consume};
use polaroid_bench::feed::latency::Visibility;
use polaroid_bench::feed::wire::Received;
use polaroid_bench::feed::{VWAP_WINDOW_NS, now_ns};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().context("usage: feed_client ws://127.0.0.1:PORT/feed [CONNECTIONS]")?;
    let connections: usize = args.next().map(|c| c.parse()).transpose().context("CONNECTIONS must be a number")?.unwrap_or(1);

    // Send times by sequence number, until the tick is visible.
    let sent: Arc<Mutex<HashMap<u64, i64>>> = Arc::default();
    let second: Arc<Mutex<Visibility>> = Arc::default();
    let total: Arc<Mutex<Visibility>> = Arc::default();
    let (hook_sent, hook_second, hook_total) = (sent.clone(), second.clone(), total.clone());
    let engine = Arc::new(
        polaroid::Engine::builder()
            .vwap_window(Duration::from_nanos(VWAP_WINDOW_NS as u64))
            .on_ingest_applied(move |batch| {
                let now = now_ns();
                let mut sent = hook_sent.lock().unwrap();
                let (mut s, mut t) = (hook_second.lock().unwrap(), hook_total.lock().unwrap());
                for tick in batch {
                    if let Some(at) = sent.remove(&tick.seq) {
                        s.record(at, now);
                        t.record(at, now);
                    }
                }
            })
            .build()?,
    );

    let printer = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.tick().await;
        loop {
            every.tick().await;
            let v = std::mem::take(&mut *second.lock().unwrap());
            let us = |q: f64| v.latency.value_at_quantile(q) as f64 / 1e3;
            println!("{:>9} ticks/s   p50 {:>9.1} us   p99 {:>9.1} us   p99.9 {:>9.1} us", v.count, us(0.5), us(0.99), us(0.999));
        }
    });

    let mut tasks = tokio::task::JoinSet::new();
    for conn in 0..connections {
        let (url, engine, sent) = (url.clone(), engine.clone(), sent.clone());
        tasks.spawn(async move {
            consume(&url, conn, |trades: Vec<Received>| {
                {
                    let mut sent = sent.lock().unwrap();
                    for r in &trades {
                        sent.insert(r.tick.seq, r.sent_ns);
                    }
                }
                let engine = engine.clone();
                async move { Ok(engine.append_batch(trades.into_iter().map(|r| r.tick).collect()).await?) }
            })
            .await
        });
    }
    let mut stats = ConnStats::total();
    while let Some(joined) = tasks.join_next().await {
        stats.merge(&joined??);
    }
    engine.flush().await?;
    printer.abort();
    let t = total.lock().unwrap();
    println!(
        "session: {} ticks stored at {:.0} ticks/s; p50 {:.1} us, p99 {:.1} us; gaps {}, malformed {:?}, reconnects {}",
        engine.ingest_stats().stored,
        t.achieved_per_s(),
        t.latency.value_at_quantile(0.5) as f64 / 1e3,
        t.latency.value_at_quantile(0.99) as f64 / 1e3,
        stats.gaps,
        stats.malformed,
        stats.reconnects
    );
    println!("{}", engine.rolling_vwaps()?.head(Some(5)));
    Ok(())
}
