//! Query limits (`polaroid::limit`): a time limit (the engine's and a call's) and a memory limit for the process,
//! each breach the query's own error, with its slot back and the engine still answering. A test binary of its own:
//! the memory tests read this process' resident memory, which other tests in the same process would move.

use std::time::{Duration, Instant};

use futures::StreamExt;
use polaroid::polars::prelude::*;
use polaroid::{Engine, Error, StreamOptions};

/// A cross join of `rows` x `rows` over a frame in memory: streamed by the engine (a join can grow), and slow to
/// read to the end at `rows` = 20 000 (400M rows).
fn cross(rows: i64) -> LazyFrame {
    let df = df!("a" => (0..rows).collect::<Vec<_>>()).unwrap();
    df.clone().lazy().cross_join(df.lazy().select([col("a").alias("b")]), None)
}

/// Reads a stream to its end or its first error; the error and the rows read before it.
async fn drain(mut stream: polaroid::FrameStream) -> (Option<Error>, usize) {
    let mut rows = 0;
    while let Some(item) = stream.next().await {
        match item {
            Ok(df) => rows += df.height(),
            Err(e) => return (Some(e), rows),
        }
    }
    (None, rows)
}

async fn still_answers(engine: &Engine) {
    let lf = df!("x" => [1i64, 2, 3]).unwrap().lazy().select([col("x").sum()]);
    let stream = tokio::time::timeout(Duration::from_secs(30), engine.stream(lf, StreamOptions::rows(10))).await.expect("admitted within 30 s");
    let (error, rows) = drain(stream.unwrap()).await;
    assert!(error.is_none() && rows == 1, "{error:?}");
}

async fn slot_comes_back(engine: &Engine) {
    let until = Instant::now() + Duration::from_secs(30);
    while engine.admission_stats().executing > 0 {
        assert!(Instant::now() < until, "the stopped query's slot did not come back within 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_query_past_the_engine_time_limit_gets_timed_out_and_its_slot_back() {
    let engine = Engine::builder().max_concurrent_queries(1).adaptive_admission(false).query_timeout(Some(Duration::from_millis(500))).build().unwrap();
    let started = Instant::now();
    let (error, rows) = drain(engine.stream(cross(20_000), StreamOptions::rows(4096)).await.unwrap()).await;
    assert!(matches!(error, Some(Error::TimedOut { limit }) if limit == Duration::from_millis(500)), "{error:?} after {rows} rows");
    assert!(rows < 400_000_000, "the stream ended before its end");
    assert!(started.elapsed() < Duration::from_secs(20), "stopped {:?} after the call", started.elapsed());
    slot_comes_back(&engine).await;
    still_answers(&engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_timeout_shortens_the_engine_limit_and_counts_the_wait_for_a_slot() {
    let engine = Engine::builder().max_concurrent_queries(1).adaptive_admission(false).query_timeout(Some(Duration::from_secs(600))).build().unwrap();
    // The one slot is held by a stream nobody reads...
    let held = engine.stream(cross(20_000), StreamOptions::rows(4096)).await.unwrap();
    // ...so a query with a 300 ms limit times out waiting for it.
    let waiting = engine.stream(cross(10), StreamOptions::rows(10).timeout(Some(Duration::from_millis(300)))).await;
    assert!(matches!(waiting, Err(Error::TimedOut { limit }) if limit == Duration::from_millis(300)), "{:?}", waiting.err());
    drop(held);
    slot_comes_back(&engine).await;
    still_answers(&engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_query_past_its_limit_is_cancelled() {
    let engine = Engine::builder().build().unwrap();
    // A plan over a frame in memory (below the streaming threshold) that can only shrink runs on Polars' in-memory
    // engine, with its cancel token.
    let n = polaroid::plan::STREAMING_MIN_ROWS as i64 - 1;
    let df = df!("k" => (0..n).map(|i| (i * 7919) % 100_003).collect::<Vec<_>>(), "v" => (0..n).collect::<Vec<_>>()).unwrap();
    let plan = df
        .lazy()
        .with_columns([(col("v") * lit(3)).alias("w")])
        .sort(["k"], Default::default())
        .group_by([col("k")])
        .agg([col("w").sum(), col("v").n_unique()])
        .sort(["w"], Default::default());
    let result = engine.stream(plan, StreamOptions::rows(1000).timeout(Some(Duration::from_millis(1)))).await;
    assert!(matches!(result, Err(Error::TimedOut { .. })), "{:?}", result.err());
    slot_comes_back(&engine).await;
    still_answers(&engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_memory_limit_queries_are_refused_and_a_running_one_is_stopped() {
    let resident = polaroid::limit::resident_bytes().expect("Linux /proc");
    let engine = Engine::builder().memory_limit_bytes(Some(resident + (256 << 20))).build().unwrap();
    let stream = engine.stream(cross(20_000), StreamOptions::rows(4096)).await.unwrap();
    // Something else in the process takes 512 MiB (touched, so it is resident) while the query streams.
    let reader = tokio::spawn(drain(stream));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ballast = vec![1u8; 512 << 20];
    let (error, _) = tokio::time::timeout(Duration::from_secs(30), reader).await.expect("stopped within 30 s").unwrap();
    assert!(matches!(error, Some(Error::MemoryLimit { .. })), "{error:?}");
    // While the process is over the limit, a new query is refused at once.
    let refused = engine.stream(cross(10), StreamOptions::rows(10)).await;
    assert!(matches!(refused, Err(Error::MemoryLimit { .. })), "{:?}", refused.err());
    assert!(ballast.iter().step_by(4096).all(|b| *b == 1));
    drop(ballast);
    slot_comes_back(&engine).await;
    // Under the limit again, queries run.
    let until = Instant::now() + Duration::from_secs(10);
    while polaroid::limit::resident_bytes().unwrap() > resident + (256 << 20) {
        assert!(Instant::now() < until, "the ballast's memory did not go back to the system");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    still_answers(&engine).await;
}
