//! mpsc streaming: `Engine::stream` over a scan handle reads row groups ahead into a bounded channel and hands
//! frames to the consumer, so memory stays bounded however large the files are. Here the consumer forwards per-frame
//! VWAPs over its own mpsc channel to a reporting task.
//!
//! `cargo run --release -p polaroid --example streaming`

#[path = "common/mod.rs"]
mod common;

use futures::StreamExt;
use polaroid::{Engine, StreamOptions};
use polaroid::polars::prelude::*;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> polaroid::Result<()> {
    let (dir, _paths) = common::trade_files(8, 100_000);
    let engine = Engine::builder().stream_prefetch(2).build()?;
    let scan = engine.scan(&format!("{}/*.parquet", dir.path().display())).await?;

    let (tx, mut rx) = mpsc::channel::<(usize, usize)>(4);
    let reporter = tokio::spawn(async move {
        let (mut frames, mut rows) = (0, 0);
        while let Some((_frame, n)) = rx.recv().await {
            frames += 1;
            rows += n;
        }
        println!("streamed {rows} rows in {frames} frames");
    });

    let mut frames = engine.stream(&scan, StreamOptions::rows(65_536).columns(&["symbol", "price", "quantity"])).await?;
    let mut i = 0;
    while let Some(frame) = frames.next().await {
        let frame = frame?;
        let n = frame.height();
        let vwap = engine.collect(frame.lazy().select([(col("price") * col("quantity").cast(DataType::Float64)).sum()
            / col("quantity").cast(DataType::Float64).sum()])).await?;
        if i == 0 {
            println!("first frame's VWAP: {vwap}");
        }
        tx.send((i, n)).await.expect("the reporter runs until the channel closes");
        i += 1;
    }
    drop(tx);
    reporter.await.expect("the reporter does not panic");
    Ok(())
}
