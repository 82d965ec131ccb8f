//! Micro-benchmarks of the engine's own overheads (`cargo bench -p polaroid`): what a handle lookup, an admission
//! slot and an ingested record cost, apart from any Polars work.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use polaroid::polars::prelude::*;
use polaroid::{Engine, Tick};

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
