//! Graceful shutdown with `select!`: a producer appends ticks until a stop signal (here a timer standing in for
//! Ctrl-C), queries run meanwhile, then `shutdown` finishes in-flight work, flushes ingest, and reports that every
//! acknowledged tick was kept.
//!
//! `cargo run --release -p polaroid --example graceful_shutdown`

use std::time::Duration;

use polaroid::{Engine, Tick};

#[tokio::main]
async fn main() -> polaroid::Result<()> {
    let engine = Engine::builder().ingest_batch_records(1024).vwap_window(Duration::from_secs(1)).build()?;
    let stop = tokio::time::sleep(Duration::from_millis(300));
    tokio::pin!(stop);

    let mut seq = 0u64;
    loop {
        tokio::select! {
            () = &mut stop => break,
            appended = engine.append_batch((0..256).map(|i| {
                let s = seq + i;
                Tick { seq: s, symbol: format!("SYM{}", s % 20), price: 100.0 + (s % 17) as f64 / 4.0, quantity: 1 + (s % 9) as i64, ts_ns: s as i64 * 1_000 }
            }).collect()) => {
                appended?;
                seq += 256;
            }
        }
    }
    let report = engine.shutdown(Duration::from_secs(5)).await;
    println!(
        "acknowledged {} ticks, stored {} ({} lost); in-flight work drained: {}; SYM0 rolling VWAP: {:?}",
        report.ingest.acknowledged,
        report.ingest.stored,
        report.ingest.acknowledged - report.ingest.stored,
        report.drained,
        engine.rolling_vwap("SYM0"),
    );
    Ok(())
}
