//! Backpressure with a semaphore: 200 clients want to query at once; the engine admits 2 at a time (its own
//! semaphore), queues up to 50, and tells the rest `Overloaded` straight away instead of letting memory grow.
//!
//! `cargo run --release -p polaroid --example backpressure`

#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use polaroid::polars::prelude::*;
use polaroid::{Engine, Error};

#[tokio::main]
async fn main() -> polaroid::Result<()> {
    let (_dir, paths) = common::trade_files(1, 200_000);
    let engine = Engine::builder().max_concurrent_queries(2).queue_bound(50).queue_timeout(Duration::from_secs(10)).build()?;
    let trades = engine.read_parquet(&paths[0], None).await?;

    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (engine, trades) = (engine.clone(), trades.clone());
        clients.spawn(async move {
            engine
                .query(&trades, |lf| {
                    lf.group_by([col("symbol")]).agg([(col("price") * col("quantity").cast(DataType::Float64)).sum()
                        / col("quantity").cast(DataType::Float64).sum()])
                })
                .await
        });
    }
    let (mut answered, mut overloaded) = (0, 0);
    while let Some(result) = clients.join_next().await {
        match result.expect("client tasks do not panic") {
            Ok(_) => answered += 1,
            Err(Error::Overloaded(_)) => overloaded += 1,
            Err(e) => return Err(e),
        }
    }
    let stats = engine.admission_stats();
    println!("{answered} answered, {overloaded} refused as overloaded (queue full: {}, waited too long: {})", stats.rejected_queue_full, stats.rejected_timeout);
    Ok(())
}
