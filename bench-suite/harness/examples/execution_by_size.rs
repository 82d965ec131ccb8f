//! Which Polars execution answers concurrent-query's requests faster over a frame already in memory, by frame size:
//! the measurement behind the engine's rule for cached frames (`polaroid::Execution::for_plan`).
//!
//! The trades dataset's rows (the workload's own generator) are held in memory, contiguous, and cut to each size.
//! Each round runs every (size, request) pair on both executions back to back, in an order that alternates between
//! rounds, `reps` times each; a round's median per pair is one sample. The two executions are then compared with
//! the gate's rule (paired t-test over rounds on log medians, Holm over every pair, 95% interval clear of no
//! change, beyond a 5% floor): a side wins only when that rule says so, otherwise it is a tie. Single-threaded
//! requests, one at a time: the question is the execution's own cost, not concurrency.
//!
//! `cargo run --release -p polaroid-bench --example execution_by_size -- [ROUNDS] [REPS]`  (default 10 rounds, 5 reps)

use std::time::Instant;

use polaroid_bench::data::{self, Recipe};
use polaroid_bench::plans::Query;
use polaroid_results::stats::{self, Judgement};
use polars::prelude::*;

const SIZES: [usize; 5] = [10_000, 100_000, 300_000, 1_000_000, 4_000_000];
const FLOOR: f64 = 0.05;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let reps: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let dir = tempfile::tempdir()?;
    let largest = *SIZES.iter().max().expect("sizes are listed");
    let recipe = Recipe { seed: 42, files: 1, rows_per_file: largest, row_group_rows: 65_536, symbols: 300, compression: "zstd".into() };
    let dataset = data::generate(&recipe, dir.path())?;
    let mut all = ParquetReader::new(std::fs::File::open(&dataset.files[0])?).finish()?;
    all.rechunk_mut();
    let frames: Vec<(usize, DataFrame)> = SIZES.iter().map(|&n| (n, all.slice(0, n))).collect();
    let requests = [
        Query::Filter { symbol: data::symbol_table(&recipe)[3].clone(), min_price: 50.0 },
        Query::Vwap { min_quantity: 20 },
        Query::TopNotional { n: 100 },
    ];
    let executions = [Engine::InMemory, Engine::Streaming];
    // samples[pair][execution][round]: the round's median seconds.
    let pairs: Vec<(usize, &Query)> = (0..frames.len()).flat_map(|f| requests.iter().map(move |q| (f, q))).collect();
    let mut samples = vec![[vec![], vec![]]; pairs.len()];
    eprintln!("{rounds} rounds x {reps} reps, {} sizes x {} requests x 2 executions", frames.len(), requests.len());
    for round in 0..rounds {
        for (p, (f, query)) in pairs.iter().enumerate() {
            let order = if (round + p) % 2 == 0 { [0, 1] } else { [1, 0] };
            for e in order {
                let mut times = Vec::with_capacity(reps);
                for _ in 0..reps {
                    let lf = query.plan(frames[*f].1.clone().lazy());
                    let start = Instant::now();
                    let out = lf.collect_with_engine(executions[e])?.unwrap_single();
                    times.push(start.elapsed().as_secs_f64());
                    std::hint::black_box(out);
                }
                times.sort_by(f64::total_cmp);
                samples[p][e].push(stats::median_of_sorted(&times));
            }
        }
        eprintln!("round {}/{rounds} done", round + 1);
    }
    // streaming / in-memory per pair, one p-value per pair, Holm over all.
    let tests: Vec<stats::ProcessTest> = samples
        .iter()
        .map(|[mem, streaming]| {
            let as_processes = |v: &Vec<f64>| v.iter().map(|x| vec![*x]).collect::<Vec<_>>();
            stats::process_test(&as_processes(mem), &as_processes(streaming), true).expect("at least two rounds")
        })
        .collect();
    let adjusted = stats::holm(&tests.iter().map(|t| t.p_value).collect::<Vec<_>>());
    println!("| rows | request | in-memory median | streaming median | streaming / in-memory [95% CI] | verdict |");
    println!("| ---: | --- | ---: | ---: | --- | --- |");
    for (p, (f, query)) in pairs.iter().enumerate() {
        let t = &tests[p];
        let median = |v: &Vec<f64>| {
            let mut s = v.clone();
            s.sort_by(f64::total_cmp);
            stats::median_of_sorted(&s)
        };
        let verdict = match stats::judge(adjusted[p], t.ratio, (t.ci_low, t.ci_high), FLOOR) {
            Judgement::Worse => "in-memory wins",
            Judgement::Better => "streaming wins",
            Judgement::Same => "tie",
        };
        println!(
            "| {} | {} | {:.3} ms | {:.3} ms | {:.2} [{:.2}, {:.2}] | {verdict} |",
            frames[*f].0,
            query.kind(),
            median(&samples[p][0]) * 1e3,
            median(&samples[p][1]) * 1e3,
            t.ratio,
            t.ci_low,
            t.ci_high
        );
    }
    Ok(())
}
