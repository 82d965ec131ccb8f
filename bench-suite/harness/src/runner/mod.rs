//! The run: options are validated and resolved into a plan (what to measure, on which data, with which settings);
//! datasets are provisioned; then every planned measurement runs as several independent processes, its answer is
//! checked against the other variants of the same task, and the result file is rewritten, so a crash or Ctrl-C
//! keeps everything measured so far and `--resume` can finish the run.
//!
//! A run has one or two *sides* ([`Side`]): a binary that makes the measurement processes and a result file. With
//! two (`compare-run`, `noise`), the processes of each measurement alternate between the sides (base, new, new,
//! base, ...), so drift of the machine hits both alike and `compare` pairs them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use polaroid_results::{
    AnswerCheck, CacheMode, Instructions, Interleaving, Latency, Measurement, MemoryUsage, Metric, Outcome, RunResult, SCHEMA_VERSION,
    StreamStats,
};
use polaroid_results::stats::Summary;

use crate::calibrate;
use crate::companion::CompanionFigures;
use crate::data::{self, Dataset, Provisioned};
use crate::error::{Error, Result, io_err};
use crate::measure::cap::CapEnforcer;
use crate::engines::Output;
use crate::measure::{ChildEnd, ChildRun, instructions, run_child};
use crate::observer::{Event, FinishedSummary, Observer};
use crate::provenance;
use crate::workloads::{self, ChildSpec};

pub use crate::cancel::Cancel;

pub mod budget;
mod plan;
pub use budget::Budget;
pub use plan::{DatasetPlan, Plan, Planned, RunOptions, default_data_dir, plan, provision};

/// One side of a run: the binary whose processes make the measurements, and the result file they go to.
#[derive(Debug, Clone)]
pub struct Side {
    /// `polaroid-bench` binary that runs the measurement processes.
    pub binary: PathBuf,
    /// Result file of this side.
    pub out: PathBuf,
    /// Hidden test option: slow this variant down by this fraction (see `RunOptions::inject_slowdown`).
    pub inject_slowdown: Option<(String, f64)>,
}

impl Side {
    /// The injected slowdown of `item` on this side (0: none).
    fn busy_fraction(&self, item: &Planned) -> f64 {
        self.inject_slowdown.as_ref().filter(|(v, _)| v == item.engine.name()).map_or(0.0, |(_, f)| *f)
    }
}

/// Runs the plan for `options`, writing the result file after every measurement. Returns the final document.
pub fn run(options: &RunOptions, observer: &dyn Observer) -> Result<RunResult> {
    let binary = crate::worker::locate(options.measure_binary.as_deref())?;
    let side = Side { binary, out: options.out.clone(), inject_slowdown: options.inject_slowdown.clone() };
    let mut results = run_sides(options, &[side], None, observer)?;
    Ok(results.pop().expect("one side, one result"))
}

/// Runs the plan twice, interleaved: for every measurement, the processes of `base` and `new` alternate (base
/// first for even process numbers, new first for odd ones). Both result files are written after every
/// measurement and carry the same interleaving id, so `compare` pairs their processes. `options.out` is unused.
pub fn run_interleaved(options: &RunOptions, base: Side, new: Side, observer: &dyn Observer) -> Result<(RunResult, RunResult)> {
    if base.out == new.out {
        return Err(Error::InvalidOption(format!("the two sides would write the same file {}; give them different names", base.out.display())));
    }
    let id = format!("{}-{}", provenance::now(), std::process::id());
    let mut results = run_sides(options, &[base, new], Some(&id), observer)?;
    let new = results.pop().expect("two sides");
    Ok((results.pop().expect("two sides"), new))
}

/// Labels of the sides of an interleaved run, in order.
const SIDE_LABELS: [&str; 2] = ["base", "new"];

/// Per side: its result so far and, per task, its measurements grouped by answer.
struct SideState {
    result: RunResult,
    /// By task key: groups of equal answers, each a list of indices into `result.measurements`, in finishing order.
    answers: HashMap<String, Vec<Vec<usize>>>,
    /// The answers' files, by measurement index (SQL answers: see [`Measured`]).
    answer_files: HashMap<usize, Vec<PathBuf>>,
}

/// One process's measurement, with the files its answer was left in when it was a SQL answer (one file; one per
/// query for a concurrent mix): kept in the run's answer directory, so that two digests that differ can be looked at
/// again with a tolerance.
#[derive(Clone)]
struct Measured {
    measurement: Measurement,
    answer_files: Vec<PathBuf>,
}

fn run_sides(options: &RunOptions, sides: &[Side], interleave_id: Option<&str>, observer: &dyn Observer) -> Result<Vec<RunResult>> {
    let plan = plan(options)?;
    // Checked before any file is written or data generated: a missing Valgrind is an error that names the package.
    let tool = if options.instructions { Some(instructions::tool()?) } else { None };
    for side in sides {
        check_writable(&side.out)?;
    }
    std::fs::create_dir_all(&plan.data_dir).map_err(io_err("creating data directory", &plan.data_dir))?;

    let datasets = provision_datasets(&plan, observer)?;
    // What a workload says about its data before measuring (once per workload).
    let mut noted = Vec::new();
    for item in &plan.items {
        if !noted.contains(&item.workload.name) {
            noted.push(item.workload.name);
            if let Some(note) = (item.workload.note)(&datasets[item.dataset], &item.settings) {
                message(observer, note);
            }
        }
    }
    let enforcer = CapEnforcer::detect();
    let mut states = open_sides(options, &plan, sides, interleave_id, &datasets, &enforcer)?;

    options.cancel.check()?;
    if options.calibrate && states.iter().any(|s| s.result.calibration.is_none()) {
        message(observer, "calibrating: memory bandwidth and Parquet decode throughput".into());
        let calibration = calibrate::calibrate(&sides[0].binary, &datasets[0])?;
        for (state, side) in states.iter_mut().zip(sides) {
            state.result.calibration.get_or_insert_with(|| calibration.clone());
            save(&mut state.result, &side.out)?;
        }
    }

    let done = |states: &[SideState], key: &str| states.iter().all(|s| s.result.measurement(key).is_some());
    let skipped = plan.items.iter().filter(|p| done(&states, &p.key)).count();
    // One tick per side's measurement.
    observer.on(&Event::Planned { total: plan.items.len() * sides.len(), skipped: skipped * sides.len() });
    let scratch_root = plan.data_dir.join("scratch");
    let answers = AnswerDir::create(&scratch_root)?;
    let measuring = Measuring { observer, options, enforcer: &enforcer, scratch_root: &scratch_root, answers: &answers };

    // compare-run --budget: each measurement's processes so far, to add to (budget.rs).
    let mut kept = BTreeMap::new();
    let measuring_started = std::time::Instant::now();
    for (index, item) in plan.items.iter().enumerate() {
        if done(&states, &item.key) {
            continue;
        }
        observer.on(&Event::Started { index, key: item.key.clone() });
        let dataset = &datasets[item.dataset];
        let todo: Vec<usize> = (0..sides.len()).filter(|&i| states[i].result.measurement(&item.key).is_none()).collect();
        let mut parts: Vec<Vec<Measured>> = (0..sides.len()).map(|_| Vec::new()).collect();
        let started = std::time::Instant::now();
        add_processes(&measuring, item, dataset, sides, &todo, &mut parts, 0..item.settings.processes.max(1))?;
        if options.budget.is_some() && todo.len() == 2 {
            kept.insert(index, budget::Kept { parts: parts.clone(), pair_s: started.elapsed().as_secs_f64() / item.settings.processes.max(1) as f64 });
        }
        for i in todo {
            let (mut m, answer_files) = merge(std::mem::take(&mut parts[i]));
            if let Some(tool) = &tool
                && matches!(m.outcome, Outcome::Ok)
            {
                m.instructions = Some(count_instructions(&measuring, item, dataset, &sides[i].binary, sides[i].busy_fraction(item), tool)?);
            }
            let state = &mut states[i];
            state.result.measurements.push(m);
            let expected = item.task.sql.and_then(|t| t.expect_answer.as_deref());
            check_answer(state.result.measurements.len() - 1, answer_files, expected, state);
            save(&mut state.result, &sides[i].out)?;
            let m = state.result.measurements.last().expect("just pushed");
            let side = (sides.len() > 1).then(|| SIDE_LABELS[i].to_string());
            observer.on(&Event::Finished { index, side, summary: FinishedSummary::of(m) });
        }
    }
    if let Some(b) = &options.budget
        && sides.len() == 2
    {
        budget::extend(&measuring, b, &plan, &datasets, sides, &mut states, kept, measuring_started)?;
    }
    observer.on(&Event::RunFinished {
        results: sides.iter().map(|s| s.out.display().to_string()).collect(),
        measurements: states.iter().map(|s| s.result.measurements.len()).sum(),
        failed: states.iter().flat_map(|s| &s.result.measurements).filter(|m| m.failed()).count(),
    });
    Ok(states.into_iter().map(|s| s.result).collect())
}

/// Runs processes `range` of `item` for the sides `todo`, alternating which side goes first (so neither always runs
/// right after the other), and appends them to `parts`. A process that did not finish (oom, timeout, error) ends
/// that side's measurement.
fn add_processes(ctx: &Measuring<'_>, item: &Planned, dataset: &Dataset, sides: &[Side], todo: &[usize], parts: &mut [Vec<Measured>], range: std::ops::Range<usize>) -> Result<()> {
    for p in range {
        let order: Vec<usize> = if p % 2 == 0 { todo.to_vec() } else { todo.iter().rev().copied().collect() };
        for i in order {
            if parts[i].last().is_some_and(|m| !matches!(m.measurement.outcome, Outcome::Ok)) {
                continue;
            }
            ctx.options.cancel.check()?;
            if ctx.options.cold {
                calibrate::drop_page_cache(&dataset.files)?;
            }
            parts[i].push(measure_one(ctx, item, dataset, &sides[i].binary, sides[i].busy_fraction(item))?);
        }
    }
    Ok(())
}

/// The plan's datasets on disk (generated, or verified by fingerprint), each announced as it is ready.
fn provision_datasets(plan: &Plan, observer: &dyn Observer) -> Result<Vec<Dataset>> {
    let mut datasets = Vec::new();
    for d in &plan.datasets {
        datasets.push(match d {
            DatasetPlan::User(d) => {
                observer.on(&Event::DatasetReady { name: d.info.name.clone(), status: "user".into() });
                d.clone()
            }
            DatasetPlan::Generated(recipe) => {
                message(observer, format!("dataset {}: checking", recipe.name()));
                let (dataset, status) = data::ensure(recipe, &plan.data_dir)?;
                let (status, what) = match status {
                    Provisioned::Reused => ("reused", "reused (fingerprint verified)"),
                    Provisioned::Generated => ("generated", "generated"),
                    Provisioned::Regenerated => ("regenerated", "regenerated (files on disk did not match their fingerprint)"),
                };
                message(observer, format!("dataset {}: {what}", dataset.info.name));
                observer.on(&Event::DatasetReady { name: dataset.info.name.clone(), status: status.into() });
                dataset
            }
        });
    }
    Ok(datasets)
}

/// Each side's result so far: read back from its file when resuming (refused if it was made with other data or
/// options), otherwise a new document with this run's provenance; saved at once, so the file exists.
fn open_sides(options: &RunOptions, plan: &Plan, sides: &[Side], interleave_id: Option<&str>, datasets: &[Dataset], enforcer: &CapEnforcer) -> Result<Vec<SideState>> {
    let config = serde_json::json!({
        "options": options,
        "plan": plan.items.iter().map(|i| serde_json::json!({"key": i.key, "settings": i.settings})).collect::<Vec<_>>(),
    });
    let cache_mode = if options.cold { CacheMode::Cold } else { CacheMode::Warm };
    let infos: Vec<_> = datasets.iter().map(|d| d.info.clone()).collect();
    let mut states = Vec::new();
    for (i, side) in sides.iter().enumerate() {
        let resuming = options.resume && std::fs::metadata(&side.out).is_ok_and(|m| m.len() > 0);
        let mut result = if resuming {
            let previous = RunResult::load(&side.out)?;
            let resume_err = |reason: &str| Error::ResumeMismatch { path: side.out.clone(), reason: reason.into() };
            if previous.provenance.datasets.iter().map(|d| &d.fingerprint).ne(infos.iter().map(|d| &d.fingerprint)) {
                return Err(resume_err("its datasets differ from this run's"));
            }
            if previous.config["options"] != config["options"] {
                return Err(resume_err("it was made with different options"));
            }
            previous
        } else {
            let mut provenance = provenance::collect(options.command.clone(), cache_mode, enforcer.method(), infos.clone());
            provenance.interleaved = interleave_id.map(|id| Interleaving {
                id: id.into(),
                side: SIDE_LABELS[i].into(),
                binary: side.binary.display().to_string(),
                injected_slowdown: side.inject_slowdown.clone(),
                // Set by budget.rs once the first processes have shown what a pair costs.
                sequential: None,
            });
            RunResult { schema_version: SCHEMA_VERSION, provenance, config: config.clone(), calibration: None, measurements: Vec::new() }
        };
        save(&mut result, &side.out)?;
        let mut state = SideState { result, answers: HashMap::new(), answer_files: HashMap::new() };
        // Resumed measurements join their tasks' groups; one held to an expected answer keeps the check it was given.
        let expects_answer = |key: &str| plan.items.iter().any(|p| p.key == key && p.task.sql.is_some_and(|t| t.expect_answer.is_some()));
        for i in 0..state.result.measurements.len() {
            if !expects_answer(&state.result.measurements[i].key) {
                check_answer(i, Vec::new(), None, &mut state);
            }
        }
        states.push(state);
    }

    Ok(states)
}

fn message(observer: &dyn Observer, text: String) {
    observer.on(&Event::Message { text });
}

/// One measurement from its processes, in the order they ran (each a one-process measurement). The first process
/// that did not finish decides the outcome; otherwise samples are grouped by process, peaks kept per process,
/// latency percentiles are the median over processes, and stream counts add up. Every process must give the same
/// answer.
fn merge(measured: Vec<Measured>) -> (Measurement, Vec<PathBuf>) {
    assert!(!measured.is_empty(), "every measurement runs at least one process");
    let files: Vec<Vec<PathBuf>> = measured.iter().map(|m| m.answer_files.clone()).collect();
    let mut parts: Vec<Measurement> = measured.into_iter().map(|m| m.measurement).collect();
    if let Some(failed) = parts.iter().position(|m| !matches!(m.outcome, Outcome::Ok)) {
        let wall: f64 = parts.iter().map(|m| m.wall_time_s).sum();
        let mut m = parts.swap_remove(failed);
        m.wall_time_s = wall;
        return (m, Vec::new());
    }
    let first = parts[0].clone();
    let mut m = first.clone();
    let differs = |k: usize| !same_answer(parts[k].answer.as_ref(), &files[k], first.answer.as_ref(), &files[0]);
    if let Some(k) = (1..parts.len()).find(|&k| differs(k)) {
        m.outcome = Outcome::Error { message: format!("process {} gave a different answer from process 1 (the variant is not deterministic)", k + 1) };
        m.metric = None;
        return (m, Vec::new());
    }
    if let Some(metric) = m.metric.as_mut() {
        metric.samples = parts.iter().filter_map(|p| p.metric.as_ref()).flat_map(|x| x.samples.clone()).collect();
        metric.summary = Summary::of(&metric.samples).expect("each part had a summary");
    }
    let peaks: Vec<u64> = parts.iter().filter_map(|p| p.memory.peak_rss_bytes).collect();
    m.memory.peak_rss_bytes = peaks.iter().max().copied();
    m.memory.process_peak_rss_bytes = if peaks.len() == parts.len() { peaks } else { Vec::new() };
    m.memory.cgroup_peak_bytes = parts.iter().filter_map(|p| p.memory.cgroup_peak_bytes).max();
    m.wall_time_s = parts.iter().map(|p| p.wall_time_s).sum();
    m.figures = BTreeMap::new();
    for part in &parts {
        for (name, values) in &part.figures {
            m.figures.entry(name.clone()).or_default().extend(values);
        }
    }
    let latencies: Vec<&Latency> = parts.iter().filter_map(|p| p.latency.as_ref()).collect();
    if latencies.len() == parts.len() {
        let med = |f: fn(&Latency) -> u64| {
            let mut v: Vec<u64> = latencies.iter().map(|l| f(l)).collect();
            v.sort_unstable();
            v[(v.len() - 1) / 2]
        };
        m.latency = Some(Latency {
            count: latencies.iter().map(|l| l.count).sum(),
            errors: latencies.iter().map(|l| l.errors).sum(),
            p50_ns: med(|l| l.p50_ns),
            p95_ns: med(|l| l.p95_ns),
            p99_ns: med(|l| l.p99_ns),
            p999_ns: med(|l| l.p999_ns),
            max_ns: latencies.iter().map(|l| l.max_ns).max().unwrap_or(0),
        });
        m.process_latency = latencies.into_iter().cloned().collect();
    }
    if let Some(stream) = m.stream.as_mut() {
        let others: Vec<&StreamStats> = parts[1..].iter().filter_map(|p| p.stream.as_ref()).collect();
        for o in others {
            stream.sessions_checked += o.sessions_checked;
            stream.gaps += o.gaps;
            stream.reconnects += o.reconnects;
            for (reason, n) in &o.malformed {
                *stream.malformed.entry(reason.clone()).or_default() += n;
            }
            stream.consumer_cpu_s = stream.consumer_cpu_s.zip(o.consumer_cpu_s).map(|(a, b)| a + b);
            stream.feed_cpu_s = stream.feed_cpu_s.zip(o.feed_cpu_s).map(|(a, b)| a + b);
            stream.feed_peak_rss_bytes = stream.feed_peak_rss_bytes.max(o.feed_peak_rss_bytes);
        }
    }
    (m, files.into_iter().next().unwrap_or_default())
}

/// Whether two answers are the same: equal digests, or, when both were left as files (SQL answers), equal within
/// the tolerance of [`crate::answer::same_within_tolerance`].
fn same_answer(a: Option<&polaroid_results::Answer>, a_files: &[PathBuf], b: Option<&polaroid_results::Answer>, b_files: &[PathBuf]) -> bool {
    if a.map(|a| (&a.checksum, a.rows)) == b.map(|b| (&b.checksum, b.rows)) {
        return true;
    }
    !a_files.is_empty()
        && a_files.len() == b_files.len()
        && a_files.iter().zip(b_files).all(|(x, y)| crate::answer::same_within_tolerance(x, y).unwrap_or(false))
}

/// The run's kept answer files: a directory of the scratch area, removed when the run ends.
struct AnswerDir {
    dir: PathBuf,
    next: std::sync::atomic::AtomicUsize,
}

impl AnswerDir {
    fn create(scratch_root: &Path) -> Result<AnswerDir> {
        let dir = scratch_root.join(format!("answers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(io_err("creating scratch directory", &dir))?;
        Ok(AnswerDir { dir, next: Default::default() })
    }

    /// Moves an answer file out of a measurement's scratch directory (which is removed after it) into this one.
    fn keep(&self, file: &Path) -> Option<PathBuf> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let kept = self.dir.join(format!("answer-{n}.parquet"));
        std::fs::rename(file, &kept).ok().map(|_| kept)
    }
}

impl Drop for AnswerDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What every measurement process of a run shares.
struct Measuring<'a> {
    observer: &'a dyn Observer,
    options: &'a RunOptions,
    enforcer: &'a CapEnforcer,
    scratch_root: &'a Path,
    answers: &'a AnswerDir,
}

/// One measurement process of `item` run by `binary` (its side's), as a measurement of its own (one process's
/// samples). The workload's companions run beside it ([`workloads::Workload::companions`]).
fn measure_one(ctx: &Measuring<'_>, item: &Planned, dataset: &Dataset, binary: &Path, busy_fraction: f64) -> Result<Measured> {
    let started_at = provenance::now();
    let scratch = ctx.scratch_root.join(format!("m{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(io_err("creating scratch directory", &scratch))?;
    let (spec, running, cap) = child_spec(ctx, item, dataset, binary, busy_fraction, &scratch)?;
    let timeout = Duration::from_secs_f64(item.settings.timeout_s);
    let mut run = run_child(binary, &item.key, &spec, &cap, timeout, &ctx.options.cancel);
    // A file the task wrote is read back here, outside the measured process and its cap.
    if let Ok(ChildRun { end: ChildEnd::Report(report), .. }) = &mut run
        && let Some(path) = report.written.take()
    {
        match workloads::digest_output(&Output::Written(path)) {
            Ok(answer) => report.answer = Some(answer),
            Err(e) => message(ctx.observer, format!("{}: the written file could not be checked: {e}", item.key)),
        }
    }
    // An answer left as files (SQL answers) is digested here too, by column position, and the files kept.
    let mut answer_files = Vec::new();
    if let Ok(ChildRun { end: ChildEnd::Report(report), .. }) = &mut run {
        let files: Vec<PathBuf> = report.answer_file.take().into_iter().chain(std::mem::take(&mut report.answer_files)).collect();
        // A Rust measurement process digested one query's frames already; a Python worker's answer, and a
        // concurrent mix's answers, are digested here.
        if !files.is_empty() && report.answer.is_none() {
            match crate::answer::digest_files(&files) {
                Ok(answer) => report.answer = Some(answer),
                Err(e) => message(ctx.observer, format!("{}: the answer file could not be checked: {e}", item.key)),
            }
        }
        answer_files = files.iter().filter_map(|f| ctx.answers.keep(f)).collect();
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let finished = matches!(&run, Ok(r) if matches!(r.end, ChildEnd::Report(_)));
    let companions = CompanionFigures::merge(running.into_iter().map(|c| c.stop(finished)));
    Ok(Measured { measurement: measurement(item, ctx.options, dataset, started_at, cap.cap_bytes, run?, companions), answer_files })
}

/// The job of one measurement process of `item` run by `binary`, with its companions started and its cap.
fn child_spec(ctx: &Measuring<'_>, item: &Planned, dataset: &Dataset, binary: &Path, busy_fraction: f64, scratch: &Path) -> Result<(ChildSpec, Vec<Box<dyn crate::companion::Companion>>, crate::measure::cap::CapGuard)> {
    let setup = workloads::Setup {
        task: item.task,
        engine: item.engine,
        params: &item.params,
        settings: &item.settings,
        dataset,
        seed: ctx.options.seed,
        binary,
        scratch,
    };
    let workloads::Companions { extra, running } = (item.workload.companions)(&setup)?;
    let cap = ctx.enforcer.cap(item.settings.memory_cap_bytes)?;
    let spec = ChildSpec {
        workload: item.workload.name.into(),
        task: item.task.name.into(),
        engine: item.engine.name().into(),
        files: dataset.files.clone(),
        dataset_rows: dataset.info.rows,
        params: item.params.clone(),
        settings: item.settings.clone(),
        scratch_dir: scratch.to_path_buf(),
        rlimit_bytes: cap.rlimit_bytes(),
        seed: ctx.options.seed,
        extra,
        busy_fraction,
    };
    Ok((spec, running, cap))
}

/// The instructions of `item`'s timed work as `binary` runs it (`run --instructions`), or why they were not counted;
/// a count that fails is recorded as such, and the measurement kept.
fn count_instructions(ctx: &Measuring<'_>, item: &Planned, dataset: &Dataset, binary: &Path, busy_fraction: f64, tool: &str) -> Result<Instructions> {
    if let Some(reason) = instructions::skip_reason(item.workload, item.engine, &item.params) {
        return Ok(Instructions::Skipped { reason });
    }
    message(ctx.observer, format!("{}: counting instructions under Valgrind", item.key));
    let scratch = ctx.scratch_root.join(format!("i{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(io_err("creating scratch directory", &scratch))?;
    let (spec, running, _cap) = child_spec(ctx, item, dataset, binary, busy_fraction, &scratch)?;
    // The simulator runs the work many times slower than the hardware: a generous multiple of the timeout.
    let timeout = Duration::from_secs_f64(item.settings.timeout_s * 60.0);
    let counted = instructions::count(binary, &item.key, &spec, tool, timeout, &ctx.options.cancel);
    let _ = CompanionFigures::merge(running.into_iter().map(|c| c.stop(true)));
    let _ = std::fs::remove_dir_all(&scratch);
    match counted {
        Err(Error::Cancelled) => Err(Error::Cancelled),
        Err(e) => Ok(Instructions::Failed { message: polaroid_results::error::chain(&e) }),
        ok => ok,
    }
}

/// The measurement one finished process makes: its outcome, its samples and what its companions measured.
fn measurement(item: &Planned, options: &RunOptions, dataset: &Dataset, started_at: String, cap_bytes: u64, run: ChildRun, companions: CompanionFigures) -> Measurement {
    let mut m = Measurement {
        key: item.key.clone(),
        workload: item.workload.name.into(),
        task: item.task.name.into(),
        variant: item.engine.name().into(),
        role: Some(item.engine.role()),
        size: options.suite.name().into(),
        params: item.params.to_map(),
        dataset: dataset.info.name.clone(),
        outcome: Outcome::Ok,
        metric: None,
        latency: None,
        process_latency: Vec::new(),
        work: None,
        memory: MemoryUsage {
            peak_rss_bytes: run.peak_rss_bytes,
            process_peak_rss_bytes: run.peak_rss_bytes.into_iter().collect(),
            cgroup_peak_bytes: run.cgroup_peak_bytes,
            cap_bytes: Some(cap_bytes),
        },
        timeline: run.timeline,
        answer: None,
        answer_check: AnswerCheck::Unchecked,
        started_at,
        wall_time_s: run.wall.as_secs_f64(),
        stream: None,
        figures: BTreeMap::new(),
        knobs: item.engine.knobs(),
        instructions: None,
    };
    match run.end {
        ChildEnd::Report(report) => match Summary::of(std::slice::from_ref(&report.samples)) {
            Some(summary) => {
                m.metric = Some(Metric {
                    name: report.metric_name,
                    unit: report.unit,
                    higher_is_better: report.higher_is_better,
                    warmup_runs: report.warmup_runs,
                    samples: vec![report.samples],
                    summary,
                });
                m.latency = report.latency;
                m.work = report.work;
                m.answer = report.answer;
                m.figures = report.engine_figures.into_iter().map(|(k, v)| (k, vec![v])).collect();
                m.figures.extend(companions.figures.into_iter().map(|(k, v)| (k, vec![v])));
                m.stream = report.stream.map(|mut s| {
                    s.feed_cpu_s = companions.feed_cpu_s;
                    s.feed_peak_rss_bytes = companions.feed_peak_rss_bytes;
                    s
                });
            }
            None => m.outcome = Outcome::Error { message: "the measurement produced no finite samples (--runs 0?)".into() },
        },
        ChildEnd::Failure(f) if f.unsupported => m.outcome = Outcome::Unsupported { reason: f.message },
        ChildEnd::Failure(f) => m.outcome = Outcome::Error { message: f.message },
        ChildEnd::Oom(detail) => m.outcome = Outcome::Oom { detail },
        ChildEnd::Timeout => m.outcome = Outcome::Timeout { limit_s: item.settings.timeout_s },
        ChildEnd::Crashed(message) => m.outcome = Outcome::Error { message },
    }
    m
}

/// Checks measurement `index`'s answer against every other answer of its task (each engine's, in this side) and
/// settles the task's answer statuses again ([`settle`]).
fn check_answer(index: usize, answer_files: Vec<PathBuf>, expected: Option<&Path>, state: &mut SideState) {
    let m = &state.result.measurements[index];
    let Some(answer) = m.answer.as_ref() else { return };
    if let Some(expected) = expected {
        let file = match answer_files.as_slice() {
            [one] => Some(one.as_path()),
            _ => None,
        };
        state.result.measurements[index].answer_check = against_expected(file, expected);
        return;
    }
    if !answer_files.is_empty() {
        state.answer_files.insert(index, answer_files);
    }
    let groups = state.answers.entry(m.task_key()).or_default();
    let measurements = &state.result.measurements;
    let files = &state.answer_files;
    let same = |other: usize| {
        let none = Vec::new();
        same_answer(Some(answer), files.get(&index).unwrap_or(&none), measurements[other].answer.as_ref(), files.get(&other).unwrap_or(&none))
    };
    match groups.iter().position(|g| same(g[0])) {
        Some(g) => groups[g].push(index),
        None => groups.push(vec![index]),
    }
    settle(groups, &mut state.result.measurements);
}

/// The answer status of a measurement whose workload file gives the task's answer (`answer =`): that file, not the
/// other engines, is the reference, with the same tolerance as between engines.
fn against_expected(answer_file: Option<&Path>, expected: &Path) -> AnswerCheck {
    let reference = format!("the expected answer {}", expected.display());
    if answer_file.is_some_and(|f| crate::answer::same_within_tolerance(expected, f).unwrap_or(false)) {
        return AnswerCheck::Matched { reference };
    }
    match crate::answer::digest_file(expected) {
        Ok(reference_answer) => AnswerCheck::Mismatch { reference, reference_answer },
        // Read when the workload file was loaded; gone or changed since.
        Err(e) => AnswerCheck::Mismatch { reference: format!("{reference} (unreadable: {e})"), reference_answer: polaroid_results::Answer { rows: 0, columns: Vec::new(), checksum: String::new(), preview: Vec::new() } },
    }
}

/// The answer statuses of one task's measurements from its groups of equal answers. A group larger than every
/// other holds the answer taken as right: its first measurement is the reference, the rest matched it, and every
/// measurement of another group is a wrong answer shown against it (one engine that disagrees with the rest is
/// the one flagged). Without such a group (two engines that disagree, or groups of equal size) no answer can be
/// taken as right, and every measurement is a wrong answer shown against the first of another group.
fn settle(groups: &[Vec<usize>], measurements: &mut [Measurement]) {
    let largest = groups.iter().map(Vec::len).max().unwrap_or(0);
    let mut leaders = (0..groups.len()).filter(|&g| groups[g].len() == largest);
    let majority = match (leaders.next(), leaders.next()) {
        (Some(g), None) => Some(g),
        _ => None,
    };
    for (g, members) in groups.iter().enumerate() {
        for (k, &i) in members.iter().enumerate() {
            measurements[i].answer_check = if majority == Some(g) {
                if k == 0 { AnswerCheck::Reference } else { AnswerCheck::Matched { reference: measurements[members[0]].variant.clone() } }
            } else {
                let against = groups[majority.unwrap_or(if g == 0 { 1 } else { 0 })][0];
                let reference = &measurements[against];
                AnswerCheck::Mismatch {
                    reference: reference.variant.clone(),
                    reference_answer: reference.answer.clone().expect("grouped measurements have answers"),
                }
            };
        }
    }
}

fn check_writable(out: &Path) -> Result<()> {
    let unwritable = |source| Error::Unwritable { path: out.to_path_buf(), source };
    if out.is_dir() {
        return Err(unwritable(std::io::Error::new(std::io::ErrorKind::IsADirectory, "it is a directory")));
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(unwritable)?;
    }
    std::fs::OpenOptions::new().create(true).append(true).open(out).map_err(unwritable)?;
    Ok(())
}

fn save(result: &mut RunResult, out: &Path) -> Result<()> {
    result.provenance.updated_at = provenance::now();
    result.save(out)?;
    Ok(())
}
