//! One function per subcommand: library calls on converted arguments, then printing. Nothing here measures,
//! compares or renders; that is the library's (polaroid_bench, polaroid_results).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use polaroid_bench::feed::process::{FeedOptions, feed_main};
use polaroid_bench::feed::server::{Faults, FeedConfig};
use polaroid_bench::runner::{self, Cancel, Side};
use polaroid_bench::{Observer, calibrate, gate, observer};
use polaroid_results::{RunResult, history, label, launch, render, report, table, units};

use crate::cli::{self, ProgressArg};

/// `list`: the built-in catalog, or what a workload file would run.
pub fn list(workload_file: Option<&std::path::Path>, format: cli::ListFormat) -> anyhow::Result<ExitCode> {
    let catalog = match workload_file {
        None => polaroid_bench::catalog(),
        Some(path) => polaroid_bench::catalog::file_catalog(&polaroid_bench::workloads::file::load(path)?),
    };
    match format {
        cli::ListFormat::Text => print!("{}", catalog.text()),
        cli::ListFormat::Json => println!("{}", serde_json::to_string_pretty(&catalog)?),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(a: cli::RunArgs) -> anyhow::Result<ExitCode> {
    let out = a.out.clone().unwrap_or_else(|| launch::default_out(polaroid_bench::Size::from(a.data.suite).name()));
    let mut options = runner::RunOptions { inject_slowdown: a.inject_slowdown.clone(), ..a.select.options(&a.data, out.clone(), a.resume, interrupt()) };
    options.workloads.extend(a.workload_files.iter().map(|f| f.display().to_string()));
    let result = observed(a.select.progress, |o| runner::run(&options, o))?;
    writeln!(say(a.select.progress), "{}\nresults: {}", table::summary_table(&result), out.display())?;
    match result.failures() {
        0 => Ok(ExitCode::SUCCESS),
        n => {
            eprintln!("{n} measurement(s) failed with an error or a wrong answer; see the result file for details");
            Ok(ExitCode::from(launch::FAILED_MEASUREMENTS))
        }
    }
}

pub fn datagen(a: cli::DataArgs) -> anyhow::Result<ExitCode> {
    for (d, status) in runner::provision(&a.workloads, a.suite.into(), a.seed, a.data_dir.as_deref())? {
        let i = &d.info;
        let (file, mem) = (units::bytes(i.file_bytes), units::bytes(i.in_memory_bytes));
        println!("{}: {status:?}; {} files, {} rows, {file} on disk, {mem} decoded; fingerprint {}", i.name, i.files, i.rows, i.fingerprint);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn calibrate(a: cli::DataArgs) -> anyhow::Result<ExitCode> {
    let (dataset, _) = runner::provision(&a.workloads, a.suite.into(), a.seed, a.data_dir.as_deref())?.remove(0);
    print!("{}", calibrate::calibrate(&std::env::current_exe()?, &dataset)?.text());
    Ok(ExitCode::SUCCESS)
}

pub fn feed(a: cli::FeedArgs) -> anyhow::Result<ExitCode> {
    let files = feed_files(&a)?;
    let config = FeedConfig { rate_per_s: a.rate, connections: a.connections, sessions: a.sessions, faults: Faults::default() };
    let pace = a.rate.map_or("unpaced".to_string(), |r| format!("at {r} ticks/s"));
    let usage = feed_main(&FeedOptions { files, ticks: a.ticks, config, port: a.port }, |url| {
        // The first line says where to connect (polaroid.start_feed and scripts read it with launch::announced).
        println!("{}", launch::announce("polaroid-bench feed", url));
        println!("feed: {pace}, {} connection(s); Ctrl-C stops it", a.connections);
        println!("try:  cargo run --release -p polaroid-bench --example feed_client -- {url}");
    })?;
    eprintln!("served {} session(s); feed CPU {:.2} s", usage.sessions, usage.cpu_s);
    Ok(ExitCode::SUCCESS)
}

pub fn compare(a: cli::CompareArgs) -> ExitCode {
    let loaded = (|| Ok::<_, anyhow::Error>((a.gate.options()?, RunResult::load(&a.base)?, RunResult::load(&a.new)?)))();
    match loaded {
        Ok((options, base, new)) => {
            let labels = (label(&a.base), label(&a.new));
            verdict(gate::compare_and_write(&base, &new, (&labels.0, &labels.1), options, a.gate.format(), a.out.as_deref()), false)
        }
        Err(e) => refused(e),
    }
}

pub fn compare_run(a: cli::CompareRunArgs) -> anyhow::Result<ExitCode> {
    let options = match a.gate.options() {
        Ok(o) => o,
        Err(e) => return Ok(refused(e)),
    };
    let dir = a.out_dir.clone().unwrap_or_else(|| launch::default_path("compare", ""));
    let new = a.new.clone().map_or_else(std::env::current_exe, Ok)?;
    for (flag, bin) in [("--base", &a.base), ("--new", &new)] {
        anyhow::ensure!(bin.is_file(), "{flag} {} is not a file; give the path of a built polaroid-bench binary", bin.display());
    }
    let budget = (!a.budget.is_zero()).then(|| runner::Budget { seconds: a.budget.as_secs_f64(), gate: options.clone() });
    if budget.is_some() && a.resume {
        return Ok(refused(anyhow::anyhow!(
            "--resume continues a fixed design only: give --budget 0 (the sequential design's looks cannot be resumed; start the comparison again)"
        )));
    }
    let sides = [(a.base.clone(), "base.json", None), (new, "new.json", a.inject_slowdown.clone())];
    let (base, new) = interleaved(&a.data, &a.select, &dir, a.resume, budget, sides)?;
    eprintln!("results: {} and {}", dir.join("base.json").display(), dir.join("new.json").display());
    let result = gate::compare_and_write(&base, &new, ("base.json", "new.json"), options, a.gate.format(), Some(&dir.join("compare.md")));
    Ok(verdict(result, a.select.progress == ProgressArg::Jsonl))
}

pub fn noise(a: cli::NoiseArgs) -> anyhow::Result<ExitCode> {
    let dir = a.out_dir.clone().unwrap_or_else(|| launch::default_path("noise", ""));
    let (a_run, b_run, source) = match &a.from {
        Some(f) => (RunResult::load(&f[0])?, RunResult::load(&f[1])?, format!("{} and {}", f[0].display(), f[1].display())),
        None => {
            let bin = a.binary.clone().map_or_else(std::env::current_exe, Ok)?;
            let (x, y) = interleaved(&a.data, &a.select, &dir, false, None, [(bin.clone(), "a.json", None), (bin, "b.json", None)])?;
            (x, y, dir.display().to_string())
        }
    };
    write!(say(a.select.progress), "{}", gate::learn_noise(&a_run, &b_run, &source, &dir)?.text())?;
    Ok(ExitCode::SUCCESS)
}

pub fn report(a: cli::ReportArgs, command: &str) -> anyhow::Result<ExitCode> {
    let runs = a.results.iter().map(|p| Ok((label(p), RunResult::load(p)?))).collect::<anyhow::Result<Vec<_>>>()?;
    let out = a.out.unwrap_or_else(|| PathBuf::from("reports").join(a.results[0].file_stem().unwrap_or_default()));
    let r = report::build(&a.title, &runs, command)?;
    r.write_dir(&out)?;
    println!("report: {} ({} charts)", out.join("index.html").display(), r.charts.len());
    Ok(ExitCode::SUCCESS)
}

pub fn history(a: cli::HistoryArgs, command: &str) -> anyhow::Result<ExitCode> {
    let (mut runs, skipped) = history::load_dir(&a.dir)?;
    skipped.iter().for_each(|s| eprintln!("skipping {s}"));
    let out = a.out.unwrap_or_else(|| a.dir.join("history"));
    history::build(&mut runs, command)?.write_dir(&out)?;
    println!("history of {} runs: {}", runs.len(), out.join("index.html").display());
    Ok(ExitCode::SUCCESS)
}

/// `render`: fill a document's bound figures, or check every document's (exit code 1 where one differs, 2 when a
/// binding or file cannot be read).
pub fn render(a: cli::RenderArgs) -> ExitCode {
    let result = if a.check {
        render::check_paths(&a.paths).map(|c| {
            for (path, s) in &c.stale {
                let b = &s.binding;
                println!("{}:{}: `{} {} {}` says {:?}; its result file says {:?}", path.display(), b.line, b.file, b.key, b.stat, s.written, s.computed);
            }
            let unexplained: Vec<_> = c.unexplained().collect();
            if a.unbound {
                for (path, u) in &unexplained {
                    println!("{}:{}: {} is typed by hand", path.display(), u.line, u.figure);
                }
            }
            eprintln!(
                "render: {} document(s) ({} written by a program), {} bound figure(s), {} differ from their result files; {} figure(s) typed by hand ({} with a reason{})",
                c.documents,
                c.generated,
                c.bound,
                c.stale.len(),
                c.unbound.len(),
                c.unbound.len() - unexplained.len(),
                if a.unbound || unexplained.is_empty() { "" } else { "; --unbound lists the others" }
            );
            if c.stale.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        })
    } else if a.out.is_some() && a.paths.len() != 1 {
        eprintln!("error: --out takes one document; {} given", a.paths.len());
        return ExitCode::from(2);
    } else {
        render::markdown_files(&a.paths).and_then(|docs| {
            for doc in &docs {
                let n = render::render_file(doc, a.out.as_deref())?;
                eprintln!("render: {} ({n} figure(s))", a.out.as_deref().unwrap_or(doc).display());
            }
            Ok(ExitCode::SUCCESS)
        })
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {}", polaroid_results::error::chain(&e));
        ExitCode::from(2)
    })
}

/// Runs two sides interleaved into `dir`: `(binary, file name, injected slowdown)` each.
/// With a budget, the sequential design (runner/budget.rs), from `--processes` or its default first processes.
fn interleaved(data: &cli::DataArgs, select: &cli::SelectArgs, dir: &Path, resume: bool, budget: Option<runner::Budget>, sides: [(PathBuf, &str, Option<(String, f64)>); 2]) -> anyhow::Result<(RunResult, RunResult)> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}; choose another --out-dir", dir.display()))?;
    let mut options = select.options(data, dir.to_path_buf(), resume, interrupt());
    if budget.is_some() {
        options.processes = Some(options.processes.unwrap_or(runner::budget::DEFAULT_INITIAL));
    }
    options.budget = budget;
    let [a, b] = sides.map(|(binary, name, inject_slowdown)| Side { binary, out: dir.join(name), inject_slowdown });
    Ok(observed(select.progress, |o| runner::run_interleaved(&options, a, b, o))?)
}

/// Prints a comparison (unless `quiet`: stdout belongs to `--progress jsonl`) and turns it into the exit code.
fn verdict(result: polaroid_bench::Result<(polaroid_results::compare::Comparison, String)>, quiet: bool) -> ExitCode {
    match result {
        Ok((c, text)) => {
            if !quiet {
                print!("{text}");
            }
            c.warnings.iter().for_each(|w| eprintln!("warning: {w}"));
            eprintln!("gate: {}", c.gate_line());
            ExitCode::from(c.exit_code())
        }
        Err(e) => refused(e.into()),
    }
}

/// A comparison that cannot be made: exit 2.
fn refused(e: anyhow::Error) -> ExitCode {
    eprintln!("error: {}", polaroid_results::error::chain(e.as_ref()));
    ExitCode::from(2)
}

/// A cancel flag that Ctrl-C and SIGTERM set: the runner then kills the running measurement and stops.
fn interrupt() -> Cancel {
    let cancel = Cancel::default();
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Registration fails only for signals that cannot be caught; these two can.
        let _ = signal_hook::flag::register(signal, cancel.flag());
    }
    cancel
}

/// Runs `f` with the observer `progress` asks for.
fn observed<T>(progress: ProgressArg, f: impl FnOnce(&dyn Observer) -> T) -> T {
    match progress {
        ProgressArg::Bar => {
            let bar = crate::progress::ProgressObserver::new();
            let result = f(&bar);
            bar.finish();
            result
        }
        ProgressArg::Jsonl => f(&observer::JsonlObserver),
        ProgressArg::None => f(&polaroid_bench::NoopObserver),
    }
}

/// Where text for people goes: stdout, or stderr when stdout carries `--progress jsonl` events.
fn say(progress: ProgressArg) -> Box<dyn Write> {
    if progress == ProgressArg::Jsonl { Box::new(std::io::stderr()) } else { Box::new(std::io::stdout()) }
}

/// The trades a feed replays: the user's Parquet files (validated) when `--input` names any, else the streaming
/// workload's dataset of `--suite`, provisioned as a run's is.
fn feed_files(a: &cli::FeedArgs) -> anyhow::Result<Vec<PathBuf>> {
    if a.input.is_empty() {
        let streaming = polaroid_bench::workloads::streaming::WORKLOAD.name;
        return Ok(runner::provision(&[streaming.into()], a.suite.into(), a.seed, a.data_dir.as_deref())?.remove(0).0.files);
    }
    let mut files = Vec::new();
    for p in &a.input {
        files.extend(polaroid_bench::data::user_dataset(p)?.files);
    }
    Ok(files)
}
