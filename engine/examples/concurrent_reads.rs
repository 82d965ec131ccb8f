//! Concurrent reads with a JoinSet: one task per file, each going through the engine's bounded read pool, results
//! collected as they finish. A missing file fails only its own task.
//!
//! `cargo run --release -p polaroid --example concurrent_reads`

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use polaroid::Engine;
use tokio::task::JoinSet;

#[tokio::main]
async fn main() -> polaroid::Result<()> {
    let (_dir, mut paths) = common::trade_files(20, 50_000);
    paths.push("/nonexistent/part-999.parquet".into());
    let engine = Engine::builder().read_concurrency(8).build()?;

    let start = Instant::now();
    let mut reads = JoinSet::new();
    for path in paths {
        let engine = engine.clone();
        reads.spawn(async move {
            let result = engine.batch_read(&[path.as_str()], Some(&["symbol", "price", "quantity"])).await.remove(0);
            (path, result)
        });
    }
    let (mut rows, mut failed) = (0, 0);
    while let Some(joined) = reads.join_next().await {
        match joined.expect("read tasks do not panic") {
            (_, Ok(df)) => rows += df.height(),
            (path, Err(e)) => {
                failed += 1;
                eprintln!("{path}: {e}");
            }
        }
    }
    println!("read {rows} rows from the good files, {failed} file failed, in {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
