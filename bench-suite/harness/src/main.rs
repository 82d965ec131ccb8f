//! `polaroid-bench`: parse, convert to library types, run, print. The work is in the library.

mod cli;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use polaroid_bench::runner::{self, RunOptions};
use polaroid_bench::workloads::{self, Size, WORKLOADS};
use polaroid_bench::feed::process::{self, FeedOptions};
use polaroid_bench::feed::server::{Faults, FeedConfig};
use polaroid_bench::{calibrate, data};
use polaroid_results::{table, units};

use cli::{Cli, Command};

/// Exit code of a run stopped by Ctrl-C or SIGTERM (its finished measurements are kept; `--resume` finishes it).
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) if matches!(err.downcast_ref::<polaroid_bench::Error>(), Some(polaroid_bench::Error::Cancelled)) => {
            eprintln!("interrupted: {err}");
            ExitCode::from(INTERRUPTED)
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run_benchmarks(args),
        Command::List { format } => {
            let catalog = polaroid_bench::catalog();
            match format {
                cli::ListFormat::Text => print!("{}", catalog.text()),
                cli::ListFormat::Json => println!("{}", serde_json::to_string_pretty(&catalog)?),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Datagen(args) => {
            for (recipe, _) in recipes(&args)? {
                let (dataset, status) = data::ensure(&recipe, &data_dir(&args)?)?;
                let i = &dataset.info;
                println!(
                    "{}: {:?}; {} files, {} rows, {} on disk, {} decoded; fingerprint {}",
                    i.name, status, i.files, i.rows, units::bytes(i.file_bytes), units::bytes(i.in_memory_bytes), i.fingerprint
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate(args) => {
            let (recipe, _) = recipes(&args)?.into_iter().next().expect("recipes() returns at least one");
            let (dataset, _) = data::ensure(&recipe, &data_dir(&args)?)?;
            let c = calibrate::calibrate(&std::env::current_exe()?, &dataset)?;
            println!("memory copy (1 thread):          {}", units::rate(c.memcpy_bytes_per_s, "B/s"));
            println!("Parquet decode, 1 thread:        {}", units::rate(c.decode_single_thread_bytes_per_s, "B/s"));
            println!("Parquet decode, {} cores:         {}", c.cores, units::rate(c.decode_all_cores_bytes_per_s, "B/s"));
            println!("(compressed {} bytes per second, decoded from memory; dataset {})", c.compression, c.dataset);
            Ok(ExitCode::SUCCESS)
        }
        Command::Feed(args) => feed(args),
        Command::Compare(args) => Ok(compare(args)),
        Command::CompareRun(args) => compare_run(args),
        Command::Noise(args) => noise(args),
        Command::Report(args) => {
            let runs = args.results.iter().map(|p| Ok((file_label(p), polaroid_results::RunResult::load(p)?))).collect::<anyhow::Result<Vec<_>>>()?;
            let out = args.out.unwrap_or_else(|| PathBuf::from("reports").join(args.results[0].file_stem().unwrap_or_default()));
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let report = polaroid_results::report::build(&args.title, &runs, &command)?;
            write_report(&out, &report)?;
            println!("report: {} ({} charts)", out.join("index.html").display(), report.charts.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::History(args) => {
            let mut runs = Vec::new();
            let entries = std::fs::read_dir(&args.dir).map_err(|e| anyhow::anyhow!("cannot read directory {}: {e}", args.dir.display()))?;
            let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
            paths.sort();
            for p in &paths {
                match polaroid_results::RunResult::load(p) {
                    Ok(r) => runs.push((file_label(p), r)),
                    Err(e) => eprintln!("skipping {}: {e}", p.display()),
                }
            }
            if runs.is_empty() {
                anyhow::bail!("no result files (*.json written by `polaroid-bench run`) in {}", args.dir.display());
            }
            let out = args.out.unwrap_or_else(|| args.dir.join("history"));
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let report = polaroid_results::history::build(&mut runs, &command)?;
            write_report(&out, &report)?;
            println!("history of {} runs: {}", runs.len(), out.join("index.html").display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker => Ok(ExitCode::from(polaroid_bench::worker::main() as u8)),
    }
}

fn run_benchmarks(args: cli::RunArgs) -> anyhow::Result<ExitCode> {
    let suite: Size = args.data.suite.into();
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("polaroid-results/{}-{}.json", suite.name(), stamp())));
    let options = RunOptions { inject_slowdown: args.inject_slowdown.clone(), ..run_options(&args.data, &args.select, out.clone(), args.resume) };
    let result = observed(args.select.progress, |o| runner::run(&options, o))?;
    if args.select.progress == cli::ProgressArg::Jsonl {
        eprintln!("results: {}", out.display());
    } else {
        println!("{}", table::summary_table(&result));
        println!("results: {}", out.display());
    }
    let failed = result.measurements.iter().filter(|m| polaroid_results::events::failed(m)).count();
    if failed > 0 {
        eprintln!("{failed} measurement(s) failed with an error or a wrong answer; see the result file for details");
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

/// A cancel flag that Ctrl-C and SIGTERM set: the runner then kills the running measurement and stops.
fn interrupt_cancels() -> runner::Cancel {
    let cancel = runner::Cancel::default();
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Registration fails only for signals that cannot be caught; these two can.
        let _ = signal_hook::flag::register(signal, cancel.flag());
    }
    cancel
}

/// Runs `f` with the observer `progress` asks for.
fn observed<T>(progress: cli::ProgressArg, f: impl FnOnce(&dyn polaroid_bench::Observer) -> T) -> T {
    match progress {
        cli::ProgressArg::Bar => {
            let bar = progress::ProgressObserver::new();
            let result = f(&bar);
            bar.finish();
            result
        }
        cli::ProgressArg::Jsonl => f(&polaroid_bench::observer::JsonlObserver),
        cli::ProgressArg::None => f(&polaroid_bench::NoopObserver),
    }
}

/// A UTC time stamp for default file names.
fn stamp() -> String {
    let stamp = polaroid_bench::provenance::now().replace([':', '-'], "");
    stamp.split('.').next().unwrap_or(&stamp).to_string()
}

fn run_options(data: &cli::DataArgs, select: &cli::SelectArgs, out: PathBuf, resume: bool) -> RunOptions {
    RunOptions {
        workloads: data.workloads.clone(),
        engines: select.engines.clone(),
        data_dir: data.data_dir.clone(),
        input: select.input.clone(),
        resume,
        seed: data.seed,
        processes: select.processes,
        runs: select.runs,
        warmup: select.warmup,
        duration_s: select.duration,
        timeout_s: select.timeout,
        memory_cap_bytes: select.memory_cap,
        clients: select.clients.clone(),
        calibrate: !select.no_calibrate,
        cold: select.cold,
        cancel: interrupt_cancels(),
        // This binary makes its own measurement processes; the command line is the run's provenance.
        measure_binary: std::env::current_exe().ok(),
        command: std::env::args().collect(),
        ..RunOptions::new(data.suite.into(), out)
    }
}

/// Runs `base` and `new` interleaved into `dir` (files named by `names`); the runs' results.
fn interleaved(
    data: &cli::DataArgs,
    select: &cli::SelectArgs,
    dir: &std::path::Path,
    resume: bool,
    sides: [(PathBuf, &str, Option<(String, f64)>); 2],
) -> anyhow::Result<(polaroid_results::RunResult, polaroid_results::RunResult)> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}; choose another --out-dir", dir.display()))?;
    // Each side writes its own file in `dir`; the options record the directory.
    let options = run_options(data, select, dir.to_path_buf(), resume);
    let [a, b] = sides.map(|(binary, name, inject_slowdown)| runner::Side { binary, out: dir.join(name), inject_slowdown });
    Ok(observed(select.progress, |o| runner::run_interleaved(&options, a, b, o))?)
}

fn compare_run(args: cli::CompareRunArgs) -> anyhow::Result<ExitCode> {
    let options = match gate_options(&args.gate) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let dir = args.out_dir.clone().unwrap_or_else(|| PathBuf::from(format!("polaroid-results/compare-{}", stamp())));
    let new = match &args.new {
        Some(b) => b.clone(),
        None => std::env::current_exe()?,
    };
    for (flag, bin) in [("--base", &args.base), ("--new", &new)] {
        if !bin.is_file() {
            anyhow::bail!("{flag} {} is not a file; give the path of a built polaroid-bench binary", bin.display());
        }
    }
    let (base, new) = interleaved(&args.data, &args.select, &dir, args.resume, [
        (args.base.clone(), "base.json", None),
        (new, "new.json", args.inject_slowdown.clone()),
    ])?;
    eprintln!("results: {} and {}", dir.join("base.json").display(), dir.join("new.json").display());
    let quiet = args.select.progress == cli::ProgressArg::Jsonl;
    Ok(gate(&base, &new, ("base.json", "new.json"), options, args.gate.format, Some(&dir.join("compare.md")), quiet))
}

fn noise(args: cli::NoiseArgs) -> anyhow::Result<ExitCode> {
    let dir = args.out_dir.clone().unwrap_or_else(|| PathBuf::from(format!("polaroid-results/noise-{}", stamp())));
    let binary = match &args.binary {
        Some(b) => b.clone(),
        None => std::env::current_exe()?,
    };
    let (a, b) = match &args.from {
        Some(files) => {
            std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}; choose another --out-dir", dir.display()))?;
            (polaroid_results::RunResult::load(&files[0])?, polaroid_results::RunResult::load(&files[1])?)
        }
        None => interleaved(&args.data, &args.select, &dir, false, [(binary.clone(), "a.json", None), (binary, "b.json", None)])?,
    };
    let source = match &args.from {
        Some(f) => format!("{} and {}", f[0].display(), f[1].display()),
        None => dir.display().to_string(),
    };
    let learned = polaroid_results::compare::Noise::learn(&a, &b, &source);
    let path = dir.join("noise.json");
    std::fs::write(&path, serde_json::to_string_pretty(&learned)? + "\n").map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    let c = polaroid_results::compare::compare(&a, &b, "a.json", "b.json", Default::default())?;
    std::fs::write(dir.join("compare.md"), polaroid_results::compare::markdown(&c))?;
    // stdout belongs to the events with --progress jsonl.
    let mut out: Box<dyn std::io::Write> =
        if args.select.progress == cli::ProgressArg::Jsonl { Box::new(std::io::stderr()) } else { Box::new(std::io::stdout()) };
    // What a compare-run of this selection could see: Holm over a time and a memory test per measurement.
    let tests = 2 * learned.keys.len();
    writeln!(out, "{:<72} {:>8} {:>8} {:>10} {:>12}", "measurement", "spread", "floor", "detectable", "memory floor")?;
    for (key, k) in &learned.keys {
        let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
        let detectable = k.time_spread.and_then(|s| polaroid_results::compare::Noise::detectable(s, k.processes, tests));
        writeln!(out, "{key:<72} {:>8} {:>8} {:>10} {:>12}", pct(k.time_spread), pct(k.time_floor), pct(detectable), pct(k.memory_floor))?;
    }
    writeln!(out, "spread: between processes of one build; detectable: the slowdown a compare-run with these processes catches 4 times in 5")?;
    let flagged = c.count(polaroid_results::compare::Verdict::Regressed) + c.count(polaroid_results::compare::Verdict::Improved);
    writeln!(out, "A/A comparison: {flagged} of {} measurement(s) flagged (each one a false alarm): {}", c.rows.len(), dir.join("compare.md").display())?;
    writeln!(out, "noise: {} (use with `compare --noise`)", path.display())?;
    Ok(ExitCode::SUCCESS)
}

fn file_label(p: &std::path::Path) -> String {
    p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default()
}

fn write_report(out: &std::path::Path, report: &polaroid_results::report::Report) -> anyhow::Result<()> {
    let charts = out.join("charts");
    std::fs::create_dir_all(&charts).map_err(|e| anyhow::anyhow!("cannot create {}: {e}; choose another --out", charts.display()))?;
    let write = |p: std::path::PathBuf, text: &str| std::fs::write(&p, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()));
    write(out.join("index.md"), &report.markdown)?;
    write(out.join("index.html"), &report.html)?;
    for (name, svg) in &report.charts {
        write(charts.join(name), svg)?;
        let png = polaroid_results::chart::png::from_svg(svg, 1.0)?;
        let path = charts.join(name.replace(".svg", ".png"));
        std::fs::write(&path, png).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn gate_options(args: &cli::GateArgs) -> anyhow::Result<polaroid_results::compare::CompareOptions> {
    use polaroid_results::compare::{CompareOptions, FailOn, Noise};
    let fail_on = match args.fail_on {
        cli::FailOnArg::Time => FailOn::Time,
        cli::FailOnArg::Memory => FailOn::Memory,
        cli::FailOnArg::Any => FailOn::Any,
        cli::FailOnArg::None => FailOn::None,
    };
    let noise = args.noise.as_deref().map(Noise::load).transpose()?;
    Ok(CompareOptions { noise_floor: args.noise_floor, fail_on, noise })
}

fn compare(args: cli::CompareArgs) -> ExitCode {
    let loaded = (|| -> anyhow::Result<_> {
        let options = gate_options(&args.gate)?;
        Ok((polaroid_results::RunResult::load(&args.base)?, polaroid_results::RunResult::load(&args.new)?, options))
    })();
    match loaded {
        Ok((base, new, options)) => {
            gate(&base, &new, (&file_label(&args.base), &file_label(&args.new)), options, args.gate.format, args.out.as_deref(), false)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Compares, prints (unless `quiet`: stdout belongs to `--progress jsonl`) and writes the comparison, and turns its
/// verdict into the exit code.
fn gate(
    base: &polaroid_results::RunResult,
    new: &polaroid_results::RunResult,
    labels: (&str, &str),
    options: polaroid_results::compare::CompareOptions,
    format: cli::FormatArg,
    out: Option<&std::path::Path>,
    quiet: bool,
) -> ExitCode {
    use polaroid_results::compare::{compare, markdown};
    let result = (|| -> anyhow::Result<_> {
        let c = compare(base, new, labels.0, labels.1, options)?;
        let text = match format {
            cli::FormatArg::Markdown => markdown(&c),
            cli::FormatArg::Json => serde_json::to_string_pretty(&c)? + "\n",
        };
        if let Some(out) = out {
            std::fs::write(out, &text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
        }
        Ok((c, text))
    })();
    match result {
        Ok((c, text)) => {
            if !quiet {
                print!("{text}");
            }
            for w in &c.warnings {
                eprintln!("warning: {w}");
            }
            eprintln!("gate: {}", c.gate_line());
            ExitCode::from(c.exit_code())
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn feed(args: cli::FeedArgs) -> anyhow::Result<ExitCode> {
    let files = if args.input.is_empty() {
        let dir = match &args.data_dir {
            Some(dir) => dir.clone(),
            None => runner::default_data_dir(),
        };
        std::fs::create_dir_all(&dir)?;
        let recipe = (workloads::streaming::WORKLOAD.recipe)(args.suite.into(), args.seed);
        data::ensure(&recipe, &dir)?.0.files
    } else {
        let mut files = Vec::new();
        for path in &args.input {
            files.extend(data::user_dataset(path)?.files);
        }
        files
    };
    let options = FeedOptions {
        files,
        ticks: args.ticks,
        config: FeedConfig {
            rate_per_s: args.rate,
            connections: args.connections,
            sessions: args.sessions,
            faults: Faults::default(),
        },
        port: args.port,
    };
    let pace = args.rate.map_or("unpaced".to_string(), |r| format!("at {r} ticks/s"));
    let usage = process::feed_main(&options, |url| {
        println!("feed: {url} ({pace}, {} connection(s); Ctrl-C stops it)", args.connections);
        println!("try:  cargo run --release -p polaroid-bench --example feed_client -- {url}");
    })?;
    eprintln!("served {} session(s); feed CPU {:.2} s", usage.sessions, usage.cpu_s);
    Ok(ExitCode::SUCCESS)
}

fn data_dir(args: &cli::DataArgs) -> anyhow::Result<PathBuf> {
    match &args.data_dir {
        Some(dir) if !dir.is_dir() => Err(polaroid_bench::Error::MissingDataDir { path: dir.clone() }.into()),
        Some(dir) => Ok(dir.clone()),
        None => {
            let dir = runner::default_data_dir();
            std::fs::create_dir_all(&dir)?;
            Ok(dir)
        }
    }
}

fn recipes(args: &cli::DataArgs) -> anyhow::Result<Vec<(data::Recipe, &'static str)>> {
    let selected: Vec<&workloads::Workload> = if args.workloads.is_empty() {
        WORKLOADS.to_vec()
    } else {
        args.workloads.iter().map(|w| workloads::find(w)).collect::<Result<_, _>>()?
    };
    let mut out: Vec<(data::Recipe, &'static str)> = Vec::new();
    for w in selected {
        let r = (w.recipe)(args.suite.into(), args.seed);
        if !out.iter().any(|(o, _)| *o == r) {
            out.push((r, w.name));
        }
    }
    Ok(out)
}

