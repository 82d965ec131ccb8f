//! Micro-benchmarks of the engine's own overheads (`cargo bench -p polaroid`): what a handle lookup, an admission
//! slot (fixed and adaptive), choosing a plan's execution and an ingested record cost, apart from any Polars work.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use polaroid::polars::prelude::*;
use polaroid::{Engine, Execution, Tick};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a Tokio runtime")
}

fn write_small_file(dir: &std::path::Path) -> String {
    let path = dir.join("small.parquet");
    let mut df = df!("symbol" => ["A", "B", "C"], "price" => [1.0, 2.0, 3.0], "quantity" => [1i64, 2, 3]).unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut df).unwrap();
    path.display().to_string()
}

fn ticks(n: usize) -> Vec<Tick> {
    (0..n)
        .map(|i| Tick { seq: i as u64, symbol: format!("S{}", i % 300), price: 100.0 + (i % 7) as f64, quantity: 10, ts_ns: i as i64 * 1000 })
        .collect()
}

fn benches(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let path = write_small_file(dir.path());
    let engine = rt.block_on(async { Engine::builder().build() }).unwrap();
    let handle = rt.block_on(engine.read_parquet(&path, None)).unwrap();

    // A cached read_parquet: key lookup and hit accounting, no I/O.
    c.bench_function("handle lookup (cached read_parquet)", |b| {
        b.to_async(&rt).iter(|| async { black_box(engine.read_parquet(&path, None).await.unwrap()) })
    });

    // Admission slot + blocking-thread hop, around the smallest possible plan: the engine's per-query overhead.
    c.bench_function("query overhead (admission + spawn_blocking, 3-row frame)", |b| {
        b.to_async(&rt).iter(|| async { black_box(engine.query(&handle, |lf| lf.limit(1)).await.unwrap()) })
    });
    c.bench_function("baseline: the same plan collected directly", |b| {
        let df = df!("symbol" => ["A", "B", "C"], "price" => [1.0, 2.0, 3.0], "quantity" => [1i64, 2, 3]).unwrap();
        b.iter(|| black_box(df.clone().lazy().limit(1).collect().unwrap()))
    });

    // Plan dispatch: walking a plan to choose in-memory or streaming execution, before any Polars work.
    let mut dispatch = c.benchmark_group("plan dispatch");
    let frame_plan = df!("a" => [1i64, 2, 3]).unwrap().lazy().filter(col("a").gt(lit(1))).group_by([col("a")]).agg([len()]);
    dispatch.bench_function("Execution::for_plan (frame, 3 nodes)", |b| b.iter(|| black_box(Execution::for_plan(black_box(&frame_plan)))));
    let scan_plan = LazyFrame::scan_parquet(PlRefPath::new(path.as_str()), ScanArgsParquet::default())
        .unwrap()
        .filter(col("quantity").gt(lit(1)))
        .group_by([col("symbol")])
        .agg([col("price").sum()]);
    dispatch.bench_function("Execution::for_plan (scan, 4 nodes)", |b| b.iter(|| black_box(Execution::for_plan(black_box(&scan_plan)))));
    // The scan query end to end on the streaming engine: what a streamed plan costs on a 3-row file.
    let scan = rt.block_on(engine.scan(&path)).unwrap();
    dispatch.bench_function("query on a scan handle (streaming engine, 3-row file)", |b| {
        b.to_async(&rt).iter(|| async { black_box(engine.query(&scan, |lf| lf.limit(1)).await.unwrap()) })
    });
    dispatch.finish();

    // Adaptive admission: the per-query cost of timing a query and moving the limit, against a fixed limit, with
    // 8 queries in flight at once (the limit moves, so slots are retired and added).
    let fixed = rt.block_on(async { Engine::builder().adaptive_admission(false).build() }).unwrap();
    let fixed_handle = rt.block_on(fixed.read_parquet(&path, None)).unwrap();
    let mut admission = c.benchmark_group("admission, 8 queries at once");
    admission.throughput(Throughput::Elements(8));
    for (name, engine, handle) in [("adaptive", &engine, &handle), ("fixed", &fixed, &fixed_handle)] {
        admission.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let queries = (0..8).map(|_| engine.query(handle, |lf| lf.limit(1)));
                black_box(futures::future::join_all(queries).await)
            })
        });
    }
    admission.finish();

    let mut ingest = c.benchmark_group("ingest");
    ingest.measurement_time(Duration::from_secs(3));
    ingest.throughput(Throughput::Elements(1));
    ingest.bench_function("append_record", |b| {
        b.to_async(&rt).iter_batched(|| ticks(1).pop().unwrap(), |t| async { engine.append_record(t).await.unwrap() }, BatchSize::SmallInput)
    });
    ingest.throughput(Throughput::Elements(1024));
    ingest.bench_function("append_batch of 1024, flushed", |b| {
        b.to_async(&rt).iter_batched(
            || ticks(1024),
            |t| async {
                engine.append_batch(t).await.unwrap();
                engine.flush().await.unwrap();
            },
            BatchSize::SmallInput,
        )
    });
    ingest.finish();
}

criterion_group!(engine_benches, benches);
criterion_main!(engine_benches);
