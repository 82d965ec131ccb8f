//! The engine's behavior under the conditions it exists for: many concurrent queries, a byte budget, idle handles,
//! overload, shutdown with work in flight, and bad files. Runs on a multi-thread Tokio runtime.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use polaroid::object_store::ObjectStoreExt;
use polaroid::object_store::memory::InMemory;
use polaroid::object_store::path::Path as ObjectPath;
use polaroid::object_store::throttle::{ThrottleConfig, ThrottledStore};
use polaroid::polars::prelude::*;
use polaroid::{Engine, Error, Overload, StreamOptions, Tick};

/// A trades-like file: `rows` rows over 7 symbols, written in row groups of `row_group` rows.
fn write_trades(path: &Path, rows: usize, row_group: usize, offset: i64) {
    let symbols = ["AA", "BB", "CC", "DD", "EE", "FF", "GG"];
    let mut df = df!(
        "trade_id" => (0..rows as i64).map(|i| i + offset).collect::<Vec<_>>(),
        "symbol" => (0..rows).map(|i| symbols[i % symbols.len()]).collect::<Vec<_>>(),
        "price" => (0..rows).map(|i| 10.0 + (i % 13) as f64).collect::<Vec<_>>(),
        "quantity" => (0..rows).map(|i| 1 + (i % 5) as i64).collect::<Vec<_>>(),
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap()).with_row_group_size(Some(row_group)).finish(&mut df).unwrap();
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

fn vwap(lf: LazyFrame) -> LazyFrame {
    lf.group_by([col("symbol")])
        .agg([(col("price") * col("quantity").cast(DataType::Float64)).sum() / col("quantity").cast(DataType::Float64).sum()])
        .sort(["symbol"], Default::default())
}

async fn with_deadline<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.unwrap_or_else(|_| panic!("{what} did not finish within 60 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_queries_on_one_handle_all_answer_correctly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.parquet");
    write_trades(&file, 20_000, 4096, 0);
    let expected = vwap(LazyFrame::scan_parquet(PlRefPath::new(&p(&file)), Default::default()).unwrap()).collect().unwrap();

    let engine = Engine::builder().max_concurrent_queries(2).queue_bound(1000).build().unwrap();
    let handle = engine.read_parquet(&p(&file), None).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..500 {
        let (engine, handle) = (engine.clone(), handle.clone());
        tasks.spawn(async move { engine.query(&handle, vwap).await });
    }
    let answers = with_deadline("500 queries", tasks.join_all()).await;
    assert_eq!(answers.len(), 500);
    for answer in answers {
        assert!(answer.unwrap().equals(&expected), "every query returns the reference answer");
    }
    let admission = engine.admission_stats();
    assert_eq!(admission.admitted, 500);
    assert_eq!(admission.rejected_queue_full + admission.rejected_timeout, 0);
    assert!(engine.cache_stats().hits >= 500, "queries reuse the loaded data");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_stays_within_its_byte_budget_and_evicted_handles_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = (0..5).map(|i| dir.path().join(format!("f{i}.parquet"))).collect();
    for f in &files {
        write_trades(f, 10_000, 4096, 0);
    }
    let one = ParquetReader::new(std::fs::File::open(&files[0]).unwrap()).finish().unwrap().estimated_size();
    let budget = one * 2 + one / 2;
    let engine = Engine::builder().cache_budget_bytes(budget).build().unwrap();
    let mut handles = Vec::new();
    for f in &files {
        handles.push(engine.read_parquet(&p(f), None).await.unwrap());
        assert!(engine.cache_stats().bytes <= budget, "cache holds {} > budget {budget}", engine.cache_stats().bytes);
    }
    let stats = engine.cache_stats();
    assert_eq!(stats.evictions, 3, "five frames, room for two");
    assert_eq!(stats.handles, 5, "eviction drops data, not handles");
    // The first handle's data was evicted: using it reads the file again (a miss), within the budget.
    let misses = stats.misses;
    let n = engine.query(&handles[0], |lf| lf.select([len()])).await.unwrap();
    assert_eq!(n.column("len").unwrap().get(0).unwrap().extract::<u64>(), Some(10_000));
    assert_eq!(engine.cache_stats().misses, misses + 1);
    assert!(engine.cache_stats().bytes <= budget);
    // Reading the same file again is a hit on the same handle.
    let again = engine.read_parquet(&p(&files[0]), None).await.unwrap();
    assert_eq!(again, handles[0]);
    assert!(engine.cache_stats().hit_rate() > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_dropped_handles_give_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.parquet");
    write_trades(&file, 100, 100, 0);
    let engine = Engine::builder().handle_ttl(Duration::from_millis(150)).build().unwrap();
    let idle = engine.read_parquet(&p(&file), Some(&["symbol"])).await.unwrap();
    let kept = engine.read_parquet(&p(&file), Some(&["price"])).await.unwrap();
    let dropped = engine.scan(&p(&file)).await.unwrap();
    assert!(engine.drop_handle(&dropped));
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        engine.heartbeat(std::slice::from_ref(&kept)).unwrap();
    }
    assert!(matches!(engine.query(&idle, |lf| lf).await, Err(Error::HandleExpired { .. })));
    assert!(matches!(engine.query(&dropped, |lf| lf).await, Err(Error::UnknownHandle { .. })));
    assert!(engine.query(&kept, |lf| lf).await.is_ok(), "a heartbeated handle stays alive");
    assert!(matches!(engine.heartbeat(&[idle]), Err(Error::HandleExpired { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_or_a_long_wait_gives_overloaded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.parquet");
    write_trades(&file, 100, 100, 0);
    let engine = Engine::builder().max_concurrent_queries(1).queue_bound(1).queue_timeout(Duration::from_secs(30)).build().unwrap();
    let handle = engine.read_parquet(&p(&file), None).await.unwrap();
    // The plan function runs on the blocking thread holding the slot, so sleeping in it keeps the slot busy.
    let slow = |lf: LazyFrame| {
        std::thread::sleep(Duration::from_millis(400));
        lf
    };
    let running = tokio::spawn({
        let (e, h) = (engine.clone(), handle.clone());
        async move { e.query(&h, slow).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let queued = tokio::spawn({
        let (e, h) = (engine.clone(), handle.clone());
        async move { e.query(&h, |lf| lf).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = engine.query(&handle, |lf| lf).await;
    assert!(matches!(refused, Err(Error::Overloaded(Overload::QueueFull { queue_bound: 1 }))), "{refused:?}");
    assert!(running.await.unwrap().is_ok());
    assert!(queued.await.unwrap().is_ok(), "the queued query runs once the slot frees");

    let impatient = Engine::builder().max_concurrent_queries(1).queue_timeout(Duration::from_millis(50)).build().unwrap();
    let h = impatient.read_parquet(&p(&file), None).await.unwrap();
    let busy = tokio::spawn({
        let (e, h) = (impatient.clone(), h.clone());
        async move { e.query(&h, slow).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waited = impatient.query(&h, |lf| lf).await;
    assert!(matches!(waited, Err(Error::Overloaded(Overload::WaitTimeout { .. }))), "{waited:?}");
    assert!(busy.await.unwrap().is_ok());
    assert_eq!(impatient.admission_stats().rejected_timeout, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_queries_in_flight_and_ingest_pending_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.parquet");
    write_trades(&file, 1000, 1000, 0);
    // A long batch delay and a large batch size keep records pending in the batcher until the shutdown flush.
    let engine = Engine::builder()
        .max_concurrent_queries(1)
        .ingest_batch_records(1_000_000)
        .ingest_capacity(100_000)
        .ingest_batch_delay(Duration::from_secs(3600))
        .build()
        .unwrap();
    let handle = engine.read_parquet(&p(&file), None).await.unwrap();
    let queries: Vec<_> = (0..4)
        .map(|_| {
            let (e, h) = (engine.clone(), handle.clone());
            tokio::spawn(async move {
                e.query(&h, |lf| {
                    std::thread::sleep(Duration::from_millis(100));
                    lf.select([len()])
                })
                .await
            })
        })
        .collect();
    let mut acknowledged = 0u64;
    for chunk in 0..10 {
        let ticks: Vec<Tick> = (0..1000)
            .map(|i| {
                let seq = chunk * 1000 + i;
                Tick { seq, symbol: format!("S{}", seq % 10), price: 1.0 + (seq % 3) as f64, quantity: 1, ts_ns: seq as i64 }
            })
            .collect();
        engine.append_batch(ticks).await.unwrap();
        acknowledged += 1000;
    }
    assert!(engine.ingest_stats().stored < acknowledged, "records are still pending when shutdown starts");
    // Shut down only once the queries are really in flight: one executing, three queued.
    with_deadline("queries to start", async {
        while engine.admission_stats().waiting < 3 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    let report = with_deadline("shutdown", engine.shutdown(Duration::from_secs(20))).await;
    assert!(report.drained, "{report:?}");
    assert_eq!(report.ingest.acknowledged, acknowledged);
    assert_eq!(report.ingest.stored, acknowledged, "every acknowledged record is stored");
    assert_eq!(engine.ingested().unwrap().height() as u64, acknowledged);
    for q in queries {
        let answer = q.await.unwrap();
        assert!(answer.is_ok(), "queries admitted before shutdown complete: {answer:?}");
    }
    assert!(matches!(engine.query(&handle, |lf| lf).await, Err(Error::ShutDown)));
    assert!(matches!(engine.append_record(Tick { seq: 0, symbol: "X".into(), price: 1.0, quantity: 1, ts_ns: 0 }).await, Err(Error::ShutDown)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_corrupt_and_wrong_schema_files_give_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.parquet");
    write_trades(&good, 100, 100, 0);
    let corrupt = dir.path().join("corrupt.parquet");
    std::fs::write(&corrupt, b"this is not parquet at all").unwrap();
    let missing = dir.path().join("missing.parquet");
    let engine = Engine::builder().build().unwrap();

    assert!(matches!(engine.read_parquet(&p(&missing), None).await, Err(Error::NotFound { .. })));
    let err = engine.read_parquet(&p(&corrupt), None).await.unwrap_err();
    assert!(matches!(err, Error::CorruptFile { .. }), "{err}");
    assert!(std::error::Error::source(&err).is_some(), "the Polars error is kept as the source");
    let err = engine.read_parquet(&p(&good), Some(&["symbol", "venue"])).await.unwrap_err();
    assert!(matches!(&err, Error::BadSchema { detail, .. } if detail.contains("venue")), "{err}");
    assert!(matches!(engine.scan(&p(&missing)).await, Err(Error::NotFound { .. })));

    let strict = Engine::builder()
        .expected_schema(Schema::from_iter([Field::new("price".into(), DataType::Int64)]))
        .build()
        .unwrap();
    let err = strict.read_parquet(&p(&good), None).await.unwrap_err();
    assert!(matches!(&err, Error::BadSchema { detail, .. } if detail.contains("price")), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_in_batch_read_fails_only_its_own_slot() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for i in 0..6 {
        let f = dir.path().join(format!("f{i}.parquet"));
        if i == 3 {
            std::fs::write(&f, b"PAR1 garbage").unwrap();
        } else {
            write_trades(&f, 500, 100, i * 500);
        }
        paths.push(p(&f));
    }
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let engine = Engine::builder().read_concurrency(3).build().unwrap();
    let results = engine.batch_read(&refs, Some(&["symbol", "price"])).await;
    assert_eq!(results.len(), 6);
    for (i, r) in results.iter().enumerate() {
        match (i, r) {
            (3, Err(Error::CorruptFile { .. })) => {}
            (3, other) => panic!("slot 3 should be a corrupt-file error, got {other:?}"),
            (_, Ok(df)) => assert_eq!((df.height(), df.width()), (500, 2)),
            (_, Err(e)) => panic!("slot {i} failed: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_through_a_throttled_object_store_match_local_reads() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = (0..4).map(|i| dir.path().join(format!("f{i}.parquet"))).collect();
    for (i, f) in files.iter().enumerate() {
        write_trades(f, 300, 100, i as i64 * 300);
    }
    let paths: Vec<String> = files.iter().map(|f| p(f)).collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let local = Engine::builder().build().unwrap().batch_read(&refs, None).await;
    // The store holds the files' bytes (as a remote store would); ThrottledStore over LocalFileSystem panics on GET
    // in object_store 0.13 (file payloads are not throttled), so the in-memory store stands for the remote one.
    let memory = InMemory::new();
    for path in &paths {
        memory.put(&ObjectPath::from(path.trim_start_matches('/')), std::fs::read(path).unwrap().into()).await.unwrap();
    }
    let config = ThrottleConfig { wait_get_per_call: Duration::from_millis(5), ..Default::default() };
    let store = Arc::new(ThrottledStore::new(memory, config));
    let remote = Engine::builder().object_store(store).build().unwrap();
    let fetched = remote.batch_read(&refs, None).await;
    for (a, b) in local.iter().zip(&fetched) {
        assert!(a.as_ref().unwrap().equals(b.as_ref().unwrap()));
    }
    let missing = remote.batch_read(&[&p(&dir.path().join("nope.parquet"))], None).await;
    assert!(matches!(missing[0], Err(Error::NotFound { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_deliver_every_row_in_bounded_batches() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        write_trades(&dir.path().join(format!("part-{i}.parquet")), 10_000, 1000, i * 10_000);
    }
    let engine = Engine::builder().stream_prefetch(1).build().unwrap();
    let scan = engine.scan(&format!("{}/*.parquet", dir.path().display())).await.unwrap();

    let mut stream = engine.stream(&scan, StreamOptions::rows(2000)).await.unwrap();
    let (mut rows, mut batches, mut ids) = (0, 0, Vec::new());
    while let Some(frame) = stream.next().await {
        let frame = frame.unwrap();
        assert!(frame.height() <= 2000);
        ids.extend(frame.column("trade_id").unwrap().i64().unwrap().into_no_null_iter());
        rows += frame.height();
        batches += 1;
    }
    assert_eq!((rows, batches), (30_000, 15));
    assert_eq!(ids, (0..30_000).collect::<Vec<i64>>(), "row-group pipeline keeps file and row order");

    let mut projected = engine.stream(&scan, StreamOptions::rows(4096).columns(&["symbol"])).await.unwrap();
    let first = projected.next().await.unwrap().unwrap();
    assert_eq!(first.get_column_names(), ["symbol"]);

    let plan = LazyFrame::scan_parquet(PlRefPath::new(&format!("{}/*.parquet", dir.path().display())), Default::default())
        .unwrap()
        .filter(col("quantity").eq(lit(1i64)));
    let total: usize = engine.stream(plan, StreamOptions::rows(1000)).await.unwrap().map(|f| f.unwrap().height()).collect::<Vec<_>>().await.iter().sum();
    assert_eq!(total, 6000, "a fifth of the rows have quantity 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_keeps_every_record_and_a_correct_rolling_vwap() {
    let engine = Engine::builder().ingest_batch_records(64).vwap_window(Duration::from_nanos(1000)).build().unwrap();
    let mut reference: std::collections::HashMap<String, Vec<(i64, f64, f64)>> = Default::default();
    for seq in 0..5000u64 {
        let t = Tick { seq, symbol: format!("S{}", seq % 7), price: 100.0 + (seq % 11) as f64, quantity: 1 + (seq % 4) as i64, ts_ns: seq as i64 * 10 };
        reference.entry(t.symbol.clone()).or_default().push((t.ts_ns, t.price, t.quantity as f64));
        engine.append_record(t).await.unwrap();
    }
    engine.flush().await.unwrap();
    assert_eq!(engine.ingest_stats().stored, 5000);
    let stored = engine.ingested().unwrap();
    assert_eq!(stored.height(), 5000);
    let mut seqs: Vec<u64> = stored.column("seq").unwrap().u64().unwrap().into_no_null_iter().collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..5000).collect::<Vec<_>>());
    for (symbol, trades) in reference {
        let latest = trades.last().unwrap().0;
        let window: Vec<_> = trades.iter().filter(|t| t.0 > latest - 1000).collect();
        let expected = window.iter().map(|t| t.1 * t.2).sum::<f64>() / window.iter().map(|t| t.2).sum::<f64>();
        let got = engine.rolling_vwap(&symbol).unwrap();
        assert!((got - expected).abs() < 1e-9, "{symbol}: {got} vs {expected}");
    }
    assert_eq!(engine.rolling_vwaps().unwrap().height(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_batch_delay_a_record_becomes_visible_without_a_flush() {
    // The default batcher applies what is queued as soon as nothing more is: no flush, no timer needed.
    let engine = Engine::builder().ingest_batch_records(1024).build().unwrap();
    engine
        .append_record(Tick { seq: 0, symbol: "A".into(), price: 10.0, quantity: 3, ts_ns: 1 })
        .await
        .unwrap();
    let waited = tokio::time::timeout(Duration::from_secs(10), async {
        while engine.ingest_stats().stored < 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "the record was never applied: {:?}", engine.ingest_stats());
    assert_eq!(engine.rolling_vwap("A"), Some(10.0));
    assert_eq!(engine.ingest_stats().batches, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_that_read_files_stream_and_plans_over_cached_frames_run_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        write_trades(&dir.path().join(format!("part-{i}.parquet")), 10_000, 4096, i * 10_000);
    }
    let glob = format!("{}/*.parquet", dir.path().display());
    let expected = vwap(LazyFrame::scan_parquet(PlRefPath::new(&glob), Default::default()).unwrap()).collect().unwrap();
    let engine = Engine::builder().build().unwrap();

    let scan = engine.scan(&glob).await.unwrap();
    assert!(engine.query(&scan, vwap).await.unwrap().equals(&expected), "the streamed plan answers like the in-memory one");
    assert_eq!(engine.execution_stats().streaming, 1);
    let plan = vwap(LazyFrame::scan_parquet(PlRefPath::new(&glob), Default::default()).unwrap());
    assert!(engine.collect(plan).await.unwrap().equals(&expected));
    assert_eq!(engine.execution_stats().streaming, 2, "collect chooses the same way");

    let loaded = engine.read_parquet(&p(&dir.path().join("part-0.parquet")), None).await.unwrap();
    engine.query(&loaded, vwap).await.unwrap();
    assert_eq!((engine.execution_stats().in_memory, engine.execution_stats().streaming), (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_parquet_writes_every_row_of_a_scan_through_the_streaming_engine() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        write_trades(&dir.path().join(format!("part-{i}.parquet")), 10_000, 4096, i * 10_000);
    }
    let engine = Engine::builder().build().unwrap();
    let scan = engine.scan(&format!("{}/part-*.parquet", dir.path().display())).await.unwrap();
    let out = dir.path().join("out.parquet");
    engine.sink_handle(&scan, &p(&out)).await.unwrap();
    let written = ParquetReader::new(std::fs::File::open(&out).unwrap()).finish().unwrap();
    assert_eq!(written.height(), 30_000);
    let ids = written.column("trade_id").unwrap().as_materialized_series().sort(Default::default()).unwrap();
    assert!(ids.equals(&Series::new("trade_id".into(), (0..30_000i64).collect::<Vec<_>>())), "every row once");
    assert_eq!(engine.execution_stats().streaming, 1);
    // A sink to a directory that does not exist is an error, not a panic.
    let bad = engine.sink_handle(&scan, &p(&dir.path().join("missing/out.parquet"))).await;
    assert!(bad.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adaptive_limit_moves_within_its_bounds_and_a_fixed_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.parquet");
    write_trades(&file, 20_000, 4096, 0);
    for adaptive in [true, false] {
        let engine = Engine::builder().max_concurrent_queries(6).adaptive_admission(adaptive).build().unwrap();
        let handle = engine.read_parquet(&p(&file), None).await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let (engine, handle) = (engine.clone(), handle.clone());
            tasks.spawn(async move {
                for _ in 0..20 {
                    engine.query(&handle, vwap).await.unwrap();
                }
            });
        }
        with_deadline("800 queries", tasks.join_all()).await;
        let stats = engine.admission_stats();
        assert_eq!(stats.admitted, 800);
        assert_eq!((stats.executing, stats.waiting), (0, 0));
        let (low, high) = stats.limit_range;
        assert!(1 <= low && low <= stats.limit && stats.limit <= high && high <= 6, "{stats:?}");
        if adaptive {
            // 40 clients always waiting: the limit left its starting point (the number of cores) at least once.
            let cores = std::thread::available_parallelism().unwrap().get().min(6);
            assert!(low < cores || high > cores, "{stats:?}");
        } else {
            assert_eq!((low, stats.limit, high), (6, 6, 6));
        }
        // Draining works whatever the limit is now.
        let report = engine.shutdown(Duration::from_secs(10)).await;
        assert!(report.drained);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_read_with_runs_the_plan_on_each_file_and_a_bad_file_fails_only_its_slot() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<String> = (0..4)
        .map(|i| {
            let f = dir.path().join(format!("part-{i}.parquet"));
            write_trades(&f, 5_000, 1024, i * 5_000);
            p(&f)
        })
        .collect();
    let broken = dir.path().join("broken.parquet");
    std::fs::write(&broken, b"not parquet").unwrap();
    let mut paths: Vec<&str> = files.iter().map(String::as_str).collect();
    paths.insert(2, broken.to_str().unwrap());
    let engine = Engine::builder().build().unwrap();
    let results = engine.batch_read_with(&paths, Some(&["symbol", "price", "quantity"]), vwap).await;
    assert_eq!(results.len(), 5);
    assert!(matches!(results[2], Err(Error::CorruptFile { .. })), "{:?}", results[2]);
    for (path, result) in paths.iter().zip(&results).filter(|(p, _)| !p.ends_with("broken.parquet")) {
        let expected = vwap(LazyFrame::scan_parquet(PlRefPath::new(*path), Default::default()).unwrap()).collect().unwrap();
        assert!(result.as_ref().unwrap().equals(&expected), "{path}: the plan ran on that file's frame");
    }
    assert_eq!(engine.execution_stats().in_memory, 4, "each decoded frame is reduced in memory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_plan_collects_what_shrinks_and_streams_what_grows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    write_trades(&path, 2_000, 500, 0);
    let engine = Engine::builder().max_concurrent_queries(1).adaptive_admission(false).build().unwrap();
    let handle = engine.read_parquet(&p(&path), None).await.unwrap();

    // A filter over cached data: computed in memory, sent in slices of at most batch_rows.
    let lf = engine.lazy(&handle).await.unwrap().filter(col("symbol").eq(lit("AA")));
    let frames: Vec<DataFrame> = engine.stream(lf, StreamOptions::rows(100)).await.unwrap().map(|f| f.unwrap()).collect().await;
    assert_eq!(frames.iter().map(|f| f.height()).sum::<usize>(), 286);
    assert!(frames.iter().all(|f| f.height() <= 100));
    assert_eq!(engine.execution_stats().in_memory, 1);
    assert_eq!(engine.admission_stats().executing, 0, "an in-memory result releases its slot once computed");

    // A cross join (4M rows) streams: read a few batches, then drop the stream; the query stops and its slot
    // comes back, so the next query (one slot in all) is admitted.
    let lf = engine.lazy(&handle).await.unwrap();
    let cross = lf.clone().select([col("trade_id")]).cross_join(lf.select([col("trade_id").alias("other")]), None);
    let mut stream = engine.stream(cross, StreamOptions::rows(1_000)).await.unwrap();
    for _ in 0..3 {
        assert!(stream.next().await.unwrap().unwrap().height() <= 1_000);
    }
    assert_eq!(engine.execution_stats().streaming, 1);
    assert_eq!(engine.admission_stats().executing, 1, "a streamed query holds its slot while it streams");
    drop(stream);
    let n = with_deadline("a query after an abandoned stream", engine.query(&handle, |lf| lf.select([len()]))).await.unwrap();
    assert_eq!(n.height(), 1);
    assert!(matches!(engine.stream(engine.lazy(&handle).await.unwrap(), StreamOptions::rows(0)).await, Err(Error::Config(_))));
}

/// Decimal join keys: Polars hashes a DECIMAL (Int128 inside) through its UInt128 bits, which the workspace's
/// Polars features must build (without `dtype-u128`, this join panicked: TPC-H's q15 joined on its revenue).
#[tokio::test]
async fn a_join_on_a_decimal_column_answers() {
    let engine = Engine::builder().build().unwrap();
    let price = |values: &[f64]| Series::new("price".into(), values).cast(&DataType::Decimal(15, 2)).unwrap();
    let left = DataFrame::new(3, vec![price(&[1.25, 2.5, 3.75]).into_column(), Column::new("id".into(), [1i64, 2, 3])]).unwrap();
    let right = DataFrame::new(2, vec![price(&[2.5, 3.75]).into_column()]).unwrap();
    let plan = left.lazy().join(right.lazy(), [col("price")], [col("price")], JoinArgs::new(JoinType::Inner)).sort(["id"], Default::default());
    let joined = engine.collect(plan).await.unwrap();
    assert_eq!(joined.column("id").unwrap().i64().unwrap().to_vec(), vec![Some(2), Some(3)], "{joined}");
}
