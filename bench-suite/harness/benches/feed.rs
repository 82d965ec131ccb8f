//! Micro-benchmarks of the streaming workload's client side (`cargo bench -p polaroid-bench --bench feed`): parsing
//! the feed's messages, which every streaming variant does for every tick before its engine sees it.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use polaroid_bench::feed::FeedTick;
use polaroid_bench::feed::wire::parse;

fn messages(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let tick = FeedTick {
                seq: i as u64,
                symbol: format!("SYM{:03}", i % 300),
                price: (10_000 + (i % 5000) as i64) as f64 / 100.0,
                quantity: 1 + (i % 500) as i64,
                buyer_maker: i % 2 == 0,
                ts_us: 1_767_623_400_000_000 + i as i64,
            };
            format!("{}{}}}", tick.message_prefix(i as u64), 1_795_000_000_000_000_000i64 + i as i64)
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let batch = messages(4096);
    let mut group = c.benchmark_group("feed parse");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one trade message", |b| b.iter(|| black_box(parse(black_box(&batch[17])).unwrap())));
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("4096 trade messages", |b| {
        b.iter(|| batch.iter().map(|m| parse(black_box(m)).unwrap()).count())
    });
    group.finish();
}

criterion_group!(feed_benches, benches);
criterion_main!(feed_benches);
