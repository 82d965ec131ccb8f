//! What running each server query outside the server's process would cost: the measurement behind docs/decisions.md,
//! "A query that aborts the process". A Rust process cannot survive a failed allocation (the global allocator's
//! error handler aborts), so only another process would keep one query's abort from taking the server down.
//!
//! Three ways to answer concurrent-query's requests over the trades table, each timed from the request to its result
//! as a DataFrame in the server's process:
//! - `in-process`: the table in memory in this process (what the server does: polaroid's cache);
//! - `worker`: the table in memory in a long-lived worker process (the table loaded once per worker); the request
//!   goes over a pipe and the result comes back as an Arrow IPC stream (a crash would cost a respawn and a reload);
//! - `process-per-query`: a new process per request that scans the table's Parquet file (in the page cache) and
//!   sends its result back the same way (nothing to reload after a crash, no cache either).
//!
//! Each round runs every (request, way) pair back to back, in an order that rotates between rounds, `reps` times
//! each; a round's median is one sample. Each isolated way is compared with `in-process` by the gate's rule (paired
//! t-test over rounds on log medians, Holm over every comparison, 95% interval clear of no change, beyond a 5% floor).
//! Every way runs on Polars' streaming engine, as the engine does for frames of this size (`polaroid::Execution`).
//!
//! `cargo run --release -p polaroid-bench --example isolation_cost -- [ROUNDS] [REPS] [ROWS]`
//! (default 10 rounds, 5 reps, 1,000,000 rows)

use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use polaroid_bench::data::{self, Recipe};
use polaroid_bench::plans::Query;
use polaroid_results::stats::{self, Judgement};
use polars::prelude::*;

const FLOOR: f64 = 0.05;
const WAYS: [&str; 3] = ["in-process", "worker", "process-per-query"];

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn requests(recipe: &Recipe) -> Vec<Query> {
    vec![
        Query::Filter { symbol: data::symbol_table(recipe)[3].clone(), min_price: 50.0 },
        Query::Vwap { min_quantity: 20 },
        Query::TopNotional { n: 100 },
    ]
}

fn recipe(rows: usize) -> Recipe {
    Recipe { seed: 42, files: 1, rows_per_file: rows, row_group_rows: 65_536, symbols: 300, compression: "zstd".into() }
}

fn answer(lf: LazyFrame, query: &Query) -> PolarsResult<DataFrame> {
    Ok(query.plan(lf).collect_with_engine(Engine::Streaming)?.unwrap_single())
}

/// Writes `df` to `out` as a length-prefixed Arrow IPC stream.
fn send(df: &mut DataFrame, out: &mut impl Write) -> Res<()> {
    let mut bytes = Vec::new();
    IpcStreamWriter::new(&mut bytes).finish(df)?;
    out.write_all(&(bytes.len() as u64).to_le_bytes())?;
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

fn receive(input: &mut impl Read) -> Res<DataFrame> {
    let mut len = [0u8; 8];
    input.read_exact(&mut len)?;
    let mut bytes = vec![0u8; u64::from_le_bytes(len) as usize];
    input.read_exact(&mut bytes)?;
    Ok(IpcStreamReader::new(Cursor::new(bytes)).finish()?)
}

/// The child side: `worker FILE ROWS` answers request indices read line by line; `once FILE ROWS INDEX` answers one.
fn child(mode: &str, file: &Path, rows: usize, index: Option<usize>) -> Res<()> {
    let queries = requests(&recipe(rows));
    let mut out = std::io::stdout().lock();
    if mode == "once" {
        let lf = LazyFrame::scan_parquet(PlRefPath::try_from_path(file)?, Default::default())?;
        return send(&mut answer(lf, &queries[index.ok_or("once needs an index")?])?, &mut out);
    }
    let mut frame = ParquetReader::new(std::fs::File::open(file)?).finish()?;
    frame.rechunk_mut();
    for line in std::io::stdin().lock().lines() {
        let i: usize = line?.trim().parse()?;
        send(&mut answer(frame.clone().lazy(), &queries[i])?, &mut out)?;
    }
    Ok(())
}

/// The same columns and rows, and the same first column once sorted (group order and the last bits of float sums
/// may differ between runs of the streaming engine).
fn same_answer(a: &DataFrame, b: &DataFrame) -> PolarsResult<bool> {
    let first = |df: &DataFrame| -> PolarsResult<Column> { df.columns()[0].sort(Default::default()) };
    Ok(a.get_column_names() == b.get_column_names() && a.height() == b.height() && first(a)?.equals_missing(&first(b)?))
}

struct Worker {
    process: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(mode @ ("worker" | "once")) = args.get(1).map(String::as_str) {
        let index = args.get(4).map(|a| a.parse()).transpose()?;
        return child(mode, Path::new(&args[2]), args[3].parse()?, index);
    }
    let rounds: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(10);
    let reps: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(5);
    let rows: usize = args.get(3).map(|a| a.parse()).transpose()?.unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let recipe = recipe(rows);
    let dataset = data::generate(&recipe, dir.path())?;
    let file: PathBuf = dataset.files[0].clone();
    let mut frame = ParquetReader::new(std::fs::File::open(&file)?).finish()?;
    frame.rechunk_mut();
    let queries = requests(&recipe);
    let me = std::env::current_exe()?;
    let spawn = |args: &[&str]| -> Res<Child> {
        Ok(Command::new(&me).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?)
    };
    let (file_arg, rows_arg) = (file.to_string_lossy().into_owned(), rows.to_string());
    let mut process = spawn(&["worker", &file_arg, &rows_arg])?;
    let mut worker = Worker {
        stdin: process.stdin.take().ok_or("worker stdin")?,
        stdout: process.stdout.take().ok_or("worker stdout")?,
        process,
    };
    // samples[request][way][round]: the round's median seconds.
    let mut samples = vec![[vec![], vec![], vec![]]; queries.len()];
    eprintln!("{rounds} rounds x {reps} reps, {rows} rows, {} requests x {} ways", queries.len(), WAYS.len());
    for round in 0..rounds {
        for (q, query) in queries.iter().enumerate() {
            let expected = answer(frame.clone().lazy(), query)?;
            for k in 0..WAYS.len() {
                let way = (round + q + k) % WAYS.len();
                let mut times = Vec::with_capacity(reps);
                for _ in 0..reps {
                    let start = Instant::now();
                    let got = match way {
                        0 => answer(frame.clone().lazy(), query)?,
                        1 => {
                            writeln!(worker.stdin, "{q}")?;
                            worker.stdin.flush()?;
                            receive(&mut worker.stdout)?
                        },
                        _ => {
                            let mut once = spawn(&["once", &file_arg, &rows_arg, &q.to_string()])?;
                            let got = receive(&mut BufReader::new(once.stdout.take().ok_or("stdout")?))?;
                            if !once.wait()?.success() {
                                return Err("a per-query process failed".into());
                            }
                            got
                        },
                    };
                    times.push(start.elapsed().as_secs_f64());
                    if !same_answer(&got, &expected)? {
                        return Err(format!("{} answered {} differently", WAYS[way], query.kind()).into());
                    }
                }
                times.sort_by(f64::total_cmp);
                samples[q][way].push(stats::median_of_sorted(&times));
            }
        }
        eprintln!("round {}/{rounds} done", round + 1);
    }
    drop(worker.stdin);
    worker.process.wait()?;
    let as_processes = |v: &Vec<f64>| v.iter().map(|x| vec![*x]).collect::<Vec<_>>();
    let comparisons: Vec<(usize, usize)> = (0..queries.len()).flat_map(|q| [(q, 1), (q, 2)]).collect();
    let tests: Vec<stats::ProcessTest> = comparisons
        .iter()
        .map(|&(q, w)| stats::process_test(&as_processes(&samples[q][0]), &as_processes(&samples[q][w]), true).expect("two rounds"))
        .collect();
    let adjusted = stats::holm(&tests.iter().map(|t| t.p_value).collect::<Vec<_>>());
    let median = |v: &Vec<f64>| {
        let mut s = v.clone();
        s.sort_by(f64::total_cmp);
        stats::median_of_sorted(&s)
    };
    // The table is measured output: `polaroid-bench render --check` does not look for hand-typed figures in it.
    println!("<!--generated by the isolation_cost example-->");
    println!("| request | way | median | against in-process [95% CI] | verdict |");
    println!("| --- | --- | ---: | --- | --- |");
    for (q, query) in queries.iter().enumerate() {
        println!("| {} | in-process | {:.2} ms | | |", query.kind(), median(&samples[q][0]) * 1e3);
        for (c, &(cq, w)) in comparisons.iter().enumerate().filter(|(_, (cq, _))| *cq == q) {
            let t = &tests[c];
            let verdict = match stats::judge(adjusted[c], t.ratio, (t.ci_low, t.ci_high), FLOOR) {
                Judgement::Worse => "slower",
                Judgement::Better => "faster",
                Judgement::Same => "tie",
            };
            println!(
                "| {} | {} | {:.2} ms | {:.2}x [{:.2}, {:.2}] | {verdict} |",
                query.kind(),
                WAYS[w],
                median(&samples[cq][w]) * 1e3,
                t.ratio,
                t.ci_low,
                t.ci_high
            );
        }
    }
    Ok(())
}
