//! Reports for writers: one or more result files become a document with generated sections (environment and
//! provenance, methodology, per-workload findings with tables and charts, where each engine wins and loses,
//! failures), rendered as Markdown (`index.md`, charts as `charts/*.svg`) and as one self-contained HTML page
//! (`index.html`, charts inlined). Every number comes from the result files; nothing is typed in.
//!
//! The document is built once as [`Block`]s and rendered twice, so the two formats cannot disagree.

use std::collections::BTreeMap;

use crate::chart;
use crate::error::Result;
use crate::model::{Measurement, Outcome, RunResult};
use crate::compare::DEFAULT_NOISE_FLOOR;
use crate::table::{best_median, limit_text, metric_text, outcome_text, ratio_text, standing, tasks_in_order};
use crate::units;

mod comparison;
mod html;
mod markdown;
pub use comparison::{comparison_blocks, comparison_fragment};
pub use html::{FRAGMENT_CLASS, fragment};
use html::html;
use markdown::markdown;

/// One piece of the document.
#[derive(Debug, Clone)]
pub enum Block {
    /// A heading of level 1-3.
    Heading(u8, String),
    /// A paragraph (inline code in backticks is kept in Markdown and turned into `<code>` in HTML).
    Para(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A table: header, rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// A chart: file stem, caption, SVG.
    Chart(String, String, String),
}

/// A rendered report.
#[derive(Debug, Clone)]
pub struct Report {
    /// `index.md`.
    pub markdown: String,
    /// `index.html`, self-contained.
    pub html: String,
    /// The same content as an HTML fragment safe to embed in a notebook page (see [`fragment`]).
    pub fragment: String,
    /// `(file name, SVG)` of every chart, for `charts/`.
    pub charts: Vec<(String, String)>,
}

/// The variant of the engine under evaluation in a task, if any.
fn engine_of<'a>(competitors: &[&'a Measurement]) -> Option<&'a Measurement> {
    competitors.iter().copied().find(|m| m.role == Some(crate::model::Role::Engine))
}

/// Builds the report of `runs` (`(label, result)`, e.g. the file name), made with `command`.
pub fn build(title: &str, runs: &[(String, RunResult)], command: &str) -> Result<Report> {
    Ok(Report::from_blocks(title, &blocks(title, runs, command)?))
}

impl Report {
    /// Writes `index.md`, `index.html` and `charts/*.svg` into `out` (created when missing), and `charts/*.png` when
    /// the `png` feature is on.
    pub fn write_dir(&self, out: &std::path::Path) -> Result<()> {
        let charts = out.join("charts");
        let io = |path: &std::path::Path| {
            let path = path.to_path_buf();
            move |source| crate::Error::Io { action: "write", path, source }
        };
        std::fs::create_dir_all(&charts).map_err(io(&charts))?;
        for (name, text) in [("index.md", &self.markdown), ("index.html", &self.html)] {
            std::fs::write(out.join(name), text).map_err(io(&out.join(name)))?;
        }
        for (name, svg) in &self.charts {
            std::fs::write(charts.join(name), svg).map_err(io(&charts.join(name)))?;
            #[cfg(feature = "png")]
            {
                let path = charts.join(name.replace(".svg", ".png"));
                std::fs::write(&path, crate::chart::png::from_svg(svg, 1.0)?).map_err(io(&path))?;
            }
        }
        Ok(())
    }

    /// Renders blocks in both formats.
    pub fn from_blocks(title: &str, blocks: &[Block]) -> Report {
        let charts = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Chart(name, _, svg) => Some((format!("{name}.svg"), svg.clone())),
            _ => None,
        })
        .collect();
        Report { markdown: markdown(blocks), html: html(title, blocks), fragment: fragment(blocks), charts }
    }
}

/// A chart of a report: file stem, caption and SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem (`charts/<name>.svg`).
    pub name: String,
    /// What it shows.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

/// The charts a report of `runs` shows, in report order.
pub fn charts(runs: &[(String, RunResult)]) -> Result<Vec<Chart>> {
    Ok(blocks("", runs, "")?
        .into_iter()
        .filter_map(|b| match b {
            Block::Chart(name, caption, svg) => Some(Chart { name, caption, svg }),
            _ => None,
        })
        .collect())
}

/// The report of `runs` as an HTML fragment safe to embed in a notebook page (see [`fragment`]).
pub fn build_fragment(title: &str, runs: &[(String, RunResult)], command: &str) -> Result<String> {
    Ok(fragment(&blocks(title, runs, command)?))
}

/// The report's blocks, to render in any format.
pub fn blocks(title: &str, runs: &[(String, RunResult)], command: &str) -> Result<Vec<Block>> {
    let mut b = vec![Block::Heading(1, title.to_string())];
    b.push(Block::Para(format!(
        "Generated by `{command}` from {} result file(s). Every figure below is read from them; the commands that produced them are listed under Environment.",
        runs.len()
    )));

    let all: Vec<&Measurement> = runs.iter().flat_map(|(_, r)| r.measurements.iter()).collect();
    let owned: Vec<Measurement> = all.iter().map(|m| (*m).clone()).collect();
    let groups = tasks_in_order(&owned);
    b.push(Block::Heading(2, "Headlines".into()));
    b.push(Block::List(headlines(&groups)));

    b.extend(environment(runs));
    b.extend(methodology(runs));
    b.extend(findings(runs, &all, &groups)?);
    b.extend(standings(&groups));
    b.extend(failures(&all));
    Ok(b)
}

/// The machines, software and command of each run, and the datasets.
fn environment(runs: &[(String, RunResult)]) -> Vec<Block> {
    let mut b = Vec::new();
    b.push(Block::Heading(2, "Environment and provenance".into()));
    let mut rows = Vec::new();
    for (label, r) in runs {
        let p = &r.provenance;
        rows.push(vec![
            label.clone(),
            format!("{} ({})", p.hostname, p.cpu_model),
            format!("{} logical / {} physical", p.cores_logical, p.cores_physical.map(|c| c.to_string()).unwrap_or("?".into())),
            units::bytes(p.memory_total_bytes),
            format!("{} {}", p.os, p.kernel),
            format!("polaroid {} ({}), Polars {}, {}", p.polaroid_version, p.git_commit.as_deref().unwrap_or("no commit"), p.polars_version, p.rustc_version),
            format!("{} → {}", p.started_at, p.updated_at),
            format!("`{}`", p.command.join(" ")),
        ]);
    }
    b.push(Block::Table(
        ["file", "machine", "cores", "memory", "OS", "software", "run (UTC)", "command"].map(String::from).to_vec(),
        rows,
    ));
    let mut datasets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, r) in runs {
        for d in &r.provenance.datasets {
            datasets.entry(d.name.clone()).or_insert_with(|| {
                vec![
                    d.name.clone(),
                    d.rows.to_string(),
                    d.files.to_string(),
                    units::bytes(d.file_bytes),
                    units::bytes(d.in_memory_bytes),
                    d.compression.clone(),
                    format!("`{}`", &d.fingerprint[..d.fingerprint.len().min(16)]),
                ]
            });
        }
    }
    b.push(Block::Table(
        ["dataset", "rows", "files", "on disk", "decoded", "compression", "fingerprint"].map(String::from).to_vec(),
        datasets.into_values().collect(),
    ));
    b
}

/// What is timed and how, each workload's settings, and the calibration.
fn methodology(runs: &[(String, RunResult)]) -> Vec<Block> {
    let mut b = Vec::new();
    b.push(Block::Heading(2, "Methodology".into()));
    let first = &runs.first().map(|r| &r.1);
    let cap_method = first.map(|r| format!("{:?}", r.provenance.memory_cap_method)).unwrap_or_default();
    let cache = first.map(|r| format!("{:?}", r.provenance.cache_mode)).unwrap_or_default();
    b.push(Block::List(vec![
        "Timed: the engine's `execute` with its result fully materialized (frames collected, files closed). Not timed: process start, data generation, `prepare`, the warm-up run whose answer is checked, freeing results.".into(),
        format!("Isolation: every measurement runs in its own process; peak memory is the kernel's high-water mark (`VmHWM`); memory cap method: {cap_method}; page cache: {cache}."),
        "Statistics: each measurement is several independent processes, each with its warm-up and timed runs; the median of all timed runs, with a 95% hierarchical bootstrap interval (2,000 resamples of processes, then of runs inside them); `vs best` is the ratio to the best variant of the same task; `of limit` is input throughput as a fraction of the calibrated all-core Parquet decode limit.".into(),
        "Answers: each variant's answer is digested and compared with the others of the same task before its timing counts; streaming sessions are checked against a reference (count, no loss, VWAP).".into(),
        "Details: docs/methodology.md in the repository.".into(),
    ]));
    let mut settings = Vec::new();
    for (_, r) in runs {
        if let Some(plan) = r.config.get("plan").and_then(|p| p.as_array()) {
            let mut seen = std::collections::BTreeSet::new();
            for item in plan {
                let key = item.get("key").and_then(|k| k.as_str()).unwrap_or_default();
                let workload = key.split('/').next().unwrap_or_default().to_string();
                let s = &item["settings"];
                if seen.insert(workload.clone()) {
                    settings.push(vec![
                        workload,
                        s["warmup"].to_string(),
                        s["runs"].to_string(),
                        s["run_duration_s"].to_string(),
                        s["timeout_s"].to_string(),
                        s["memory_cap_bytes"].as_u64().map(units::bytes).unwrap_or_default(),
                    ]);
                }
            }
        }
    }
    b.push(Block::Table(
        ["workload", "warm-up", "timed runs", "run duration (s)", "timeout (s)", "memory cap"].map(String::from).to_vec(),
        settings,
    ));
    for (label, r) in runs {
        if let Some(c) = &r.calibration {
            b.push(Block::Para(format!(
                "Calibration ({label}): memory copy {}, Parquet decode {} on one thread and {} on {} cores ({} compressed bytes).",
                units::rate(c.memcpy_bytes_per_s, "B/s"),
                units::rate(c.decode_single_thread_bytes_per_s, "B/s"),
                units::rate(c.decode_all_cores_bytes_per_s, "B/s"),
                c.cores,
                c.compression
            )));
        }
    }
    b
}

/// Per workload: every measurement's figures, and the charts.
fn findings(runs: &[(String, RunResult)], all: &[&Measurement], groups: &BTreeMap<(usize, String), Vec<&Measurement>>) -> Result<Vec<Block>> {
    let mut b = Vec::new();
    let calibration = runs.iter().find_map(|(_, r)| r.calibration.as_ref());
    let mut workloads: Vec<String> = Vec::new();
    for m in all {
        if !workloads.contains(&m.workload) {
            workloads.push(m.workload.clone());
        }
    }
    for workload in &workloads {
        b.push(Block::Heading(2, format!("Findings: {workload}")));
        let in_workload: Vec<(&String, &Vec<&Measurement>)> =
            groups.iter().filter(|((_, _), g)| g[0].workload == *workload).map(|((_, k), g)| (k, g)).collect();
        let mut rows = Vec::new();
        for (key, group) in &in_workload {
            let best = best_median(group);
            for m in group.iter() {
                let (median, ci) = match (&m.metric, m.counts()) {
                    (Some(x), true) => (
                        metric_text(x, x.summary.median),
                        format!("[{}, {}]", metric_text(x, x.summary.ci_low), metric_text(x, x.summary.ci_high)),
                    ),
                    _ => ("-".into(), "-".into()),
                };
                let p99 = m.latency.as_ref().filter(|_| m.counts()).map(|l| units::seconds(l.p99_ns as f64 / 1e9)).unwrap_or("-".into());
                rows.push(vec![
                    key.to_string(),
                    m.variant.clone(),
                    outcome_text(m),
                    median,
                    ci,
                    p99,
                    m.memory.peak_rss_bytes.map(units::bytes).unwrap_or("-".into()),
                    ratio_text(m, best),
                    limit_text(m, calibration.map(|c| c.decode_all_cores_bytes_per_s)),
                ]);
            }
        }
        b.push(Block::Table(
            ["task", "variant", "outcome", "median", "95% CI", "p99 latency", "peak RSS", "vs best", "of limit"].map(String::from).to_vec(),
            rows,
        ));
        b.extend(geomeans(&in_workload));
        b.extend(fixed_costs(&in_workload));
        b.extend(companion_memory(&in_workload));
        b.extend(charts_for(workload, &in_workload, calibration)?);
    }
    Ok(b)
}

/// A workload of several timed tasks (a workload file's queries): each variant's geometric mean of its medians over
/// the tasks every competing variant finished, the summary PDS-H reports give, with its bootstrap interval.
fn geomeans(in_workload: &[(&String, &Vec<&Measurement>)]) -> Vec<Block> {
    let Some(g) = geomean_rows(in_workload) else { return Vec::new() };
    let note = if g.left_out > 0 { format!(" ({} task(s) left out: a variant did not finish them)", g.left_out) } else { String::new() };
    vec![
        Block::Para(format!(
            "Geometric mean of each variant's median over the {} tasks every variant finished{note}, as PDS-H summarizes \
             a run; its 95% interval resamples processes and runs in every task. Overlapping intervals are no ranking: \
             the standings below say per task who is ahead beyond the noise.",
            g.tasks
        )),
        Block::Table(
            ["variant", "geometric mean", "95% CI"].map(String::from).to_vec(),
            g.rows.iter().map(|(v, gm, lo, hi)| vec![v.clone(), units::seconds(*gm), format!("[{}, {}]", units::seconds(*lo), units::seconds(*hi))]).collect(),
        ),
    ]
}

/// Geometric means of a workload's variants (see [`geomean_rows`]).
pub(crate) struct Geomeans {
    /// Tasks every competing variant finished: the ones the means are over.
    pub tasks: usize,
    /// Tasks left out because a variant did not finish them.
    pub left_out: usize,
    /// Per variant, fastest first: name, geometric mean of its medians (seconds), and the 95% interval.
    pub rows: Vec<(String, f64, f64, f64)>,
}

/// Each competing variant's geometric mean of its medians over the tasks of a workload (its measurements grouped by
/// task) that every competing variant finished, with a bootstrap interval; `None` below two such tasks or two
/// variants. The report's table and `render`'s `geomean` statistic.
pub(crate) fn geomean_rows(in_workload: &[(&String, &Vec<&Measurement>)]) -> Option<Geomeans> {
    let timed = |m: &Measurement| m.counts() && m.metric.as_ref().is_some_and(|x| !x.higher_is_better && x.unit == "s");
    let mut variants: Vec<&str> = Vec::new();
    for (_, group) in in_workload {
        for m in group.iter().filter(|m| m.competes()) {
            if !variants.contains(&m.variant.as_str()) {
                variants.push(&m.variant);
            }
        }
    }
    let common: Vec<&Vec<&Measurement>> = in_workload
        .iter()
        .map(|(_, g)| *g)
        .filter(|g| variants.iter().all(|v| g.iter().any(|m| m.variant == *v && timed(m))))
        .collect();
    if common.len() < 2 || variants.len() < 2 {
        return None;
    }
    let mut rows = Vec::new();
    for v in &variants {
        let samples: Vec<&[Vec<f64>]> = common
            .iter()
            .filter_map(|g| g.iter().find(|m| m.variant == *v).and_then(|m| m.metric.as_ref()).map(|x| x.samples.as_slice()))
            .collect();
        if let Some((gm, (lo, hi))) = crate::stats::geomean_ci(&samples, 0.95) {
            rows.push((v.to_string(), gm, lo, hi));
        }
    }
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    Some(Geomeans { tasks: common.len(), left_out: in_workload.len() - common.len(), rows })
}

/// A workload file's engines' fixed cost per query: the median over every process of the time of an empty query
/// (`SELECT 1`), measured after each query's timed runs ([`crate::model::FIXED_COST_FIGURE`]).
fn fixed_costs(in_workload: &[(&String, &Vec<&Measurement>)]) -> Vec<Block> {
    let rows = fixed_cost_rows(in_workload);
    if rows.is_empty() {
        return Vec::new();
    }
    let rows: Vec<(f64, Vec<String>)> = rows.into_iter().map(|(v, median, n)| (median, vec![v, units::seconds(median), n.to_string()])).collect();
    vec![
        Block::Para(
            "Fixed cost per query: each engine's time for a query that does no work (`SELECT 1`), the median over its \
             measurement processes (5 runs each, after the query's timed runs). Every sample above includes it: \
             planning, dispatch, a Python call, a server round trip."
                .into(),
        ),
        Block::Table(["variant", "empty query", "processes"].map(String::from).to_vec(), rows.into_iter().map(|r| r.1).collect()),
    ]
}

/// Each variant's fixed cost per query over a workload ([`crate::model::FIXED_COST_FIGURE`] of every process of
/// every task): name, median (seconds) and how many processes, cheapest first. The report's table and `render`'s
/// `fixed-cost` statistic.
pub(crate) fn fixed_cost_rows(in_workload: &[(&String, &Vec<&Measurement>)]) -> Vec<(String, f64, usize)> {
    let mut by_variant: Vec<(&str, Vec<f64>)> = Vec::new();
    for (_, group) in in_workload {
        for m in group.iter() {
            let Some(values) = m.figures.get(crate::model::FIXED_COST_FIGURE) else { continue };
            match by_variant.iter_mut().find(|(v, _)| *v == m.variant) {
                Some((_, all)) => all.extend(values),
                None => by_variant.push((&m.variant, values.clone())),
            }
        }
    }
    let mut rows: Vec<(String, f64, usize)> = by_variant
        .into_iter()
        .map(|(v, mut values)| {
            values.sort_by(f64::total_cmp);
            (v.to_string(), values[values.len() / 2], values.len())
        })
        .collect();
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    rows
}

/// Memory held outside the measured process by what the runner started beside it (a Flight SQL server, a Ballista
/// cluster): the companions' `*_peak_rss_bytes` figures per variant, over every process of the workload, beside the
/// measured process's own peak, so a variant whose work happens elsewhere does not look lean.
fn companion_memory(in_workload: &[(&String, &Vec<&Measurement>)]) -> Vec<Block> {
    // (variant, figure) -> (the figure's values, the measured processes' peaks)
    let mut found: Vec<((&str, &str), Vec<f64>, Vec<u64>)> = Vec::new();
    for (_, group) in in_workload {
        for m in group.iter() {
            for (name, values) in &m.figures {
                if !name.ends_with("_peak_rss_bytes") {
                    continue;
                }
                let own = m.memory.process_peak_rss_bytes.iter().copied().chain(m.memory.peak_rss_bytes);
                match found.iter_mut().find(|(k, _, _)| *k == (m.variant.as_str(), name.as_str())) {
                    Some((_, all, peaks)) => {
                        all.extend(values);
                        peaks.extend(own);
                    }
                    None => found.push(((&m.variant, name), values.clone(), own.collect())),
                }
            }
        }
    }
    if found.is_empty() {
        return Vec::new();
    }
    let range = |lo: u64, hi: u64| if lo == hi { units::bytes(lo) } else { format!("{}-{}", units::bytes(lo), units::bytes(hi)) };
    let rows = found
        .into_iter()
        .map(|((variant, name), values, peaks)| {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min) as u64;
            let hi = values.iter().copied().fold(0.0, f64::max) as u64;
            let own = match (peaks.iter().min(), peaks.iter().max()) {
                (Some(a), Some(b)) => range(*a, *b),
                _ => "-".into(),
            };
            vec![variant.to_string(), format!("`{name}`"), range(lo, hi), own, values.len().to_string()]
        })
        .collect();
    vec![
        Block::Para(
            "Memory beside the measured process: the peak resident memory of what the runner started for it (a Flight \
             SQL server, a Ballista cluster: the sum of its processes' peaks), per process, against the measured \
             process's own peak. The peak RSS column above is the measured process's only."
                .into(),
        ),
        Block::Table(
            ["variant", "figure", "companions' peak", "measured process's peak", "processes"].map(String::from).to_vec(),
            rows,
        ),
    ]
}

/// Where each engine wins, ties and loses, by the rule `compare` uses.
fn standings(groups: &BTreeMap<(usize, String), Vec<&Measurement>>) -> Vec<Block> {
    let mut b = Vec::new();
    b.push(Block::Heading(2, "Where each engine wins, ties and loses".into()));
    let mut wins: BTreeMap<String, usize> = BTreeMap::new();
    let mut ties = 0;
    let mut rows = Vec::new();
    for ((_, key), group) in groups {
        let competitors: Vec<&Measurement> = group.iter().copied().filter(|m| m.competes()).collect();
        let Some(st) = standing(&competitors, DEFAULT_NOISE_FLOOR) else { continue };
        let verdict = if st.leader_wins() {
            *wins.entry(st.leader.clone()).or_default() += 1;
            format!("`{}` wins", st.leader)
        } else {
            ties += 1;
            format!("tie: {}", st.tied.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "))
        };
        let polaroid_text = match engine_of(&competitors) {
            Some(p) if !p.counts() => outcome_text(p),
            Some(p) if st.leader == p.variant && st.leader_wins() => "wins".into(),
            Some(p) if st.tied.contains(&p.variant) => "tie".into(),
            Some(p) => match st.behind.iter().find(|b| b.variant == p.variant) {
                Some(b) => match b.ci {
                    Some((lo, hi)) => format!("{:.2}x behind [{lo:.2}, {hi:.2}]", b.ratio),
                    None => format!("{:.2}x behind (untested)", b.ratio),
                },
                None => "-".into(),
            },
            None => "-".into(),
        };
        rows.push(vec![key.clone(), verdict, polaroid_text]);
    }
    b.push(Block::Para(format!(
        "Per task, limits such as the transport ceiling left out, and the engine under evaluation in the last column: a variant wins only when it is significantly better than every other that finished, by the rule `polaroid-bench compare` uses (process-level t-test, Holm-adjusted over the task's comparisons, 95% interval clear of no change, beyond a {:.0}% floor); otherwise the variants not significantly behind the leader tie. At a paced streaming rate that every variant keeps up with, the p99 send-to-visible latency decides instead of the rate. A measurement made with one process cannot be tested, so it ties.",
        DEFAULT_NOISE_FLOOR * 100.0
    )));
    b.push(Block::Table(["task", "verdict", "engine"].map(String::from).to_vec(), rows));
    let mut summary: Vec<String> = wins.iter().map(|(v, n)| format!("`{v}` wins {n} task(s)")).collect();
    summary.push(format!("{ties} task(s) are ties"));
    b.push(Block::List(summary));
    b
}

/// Measurements that did not count: errors, wrong answers, out-of-memory kills, timeouts.
fn failures(all: &[&Measurement]) -> Vec<Block> {
    let mut b = Vec::new();
    b.push(Block::Heading(2, "Failures, out-of-memory kills and timeouts".into()));
    let failures: Vec<String> = all
        .iter()
        .filter(|m| !m.counts() && !matches!(m.outcome, Outcome::Unsupported { .. }))
        .map(|m| {
            let detail = match &m.outcome {
                Outcome::Oom { detail } => format!("out of memory (cap {}): {detail}", m.memory.cap_bytes.map(units::bytes).unwrap_or("-".into())),
                Outcome::Timeout { limit_s } => format!("timed out after {limit_s} s"),
                Outcome::Error { message } => format!("error: {message}"),
                Outcome::Ok => "wrong answer (mismatch with another variant)".into(),
                Outcome::Unsupported { reason } => reason.clone(),
            };
            format!("`{}`: {detail}", m.key)
        })
        .collect();
    let unsupported = all.iter().filter(|m| matches!(m.outcome, Outcome::Unsupported { .. })).count();
    if failures.is_empty() {
        b.push(Block::Para("None.".into()));
    } else {
        b.push(Block::List(failures));
    }
    if unsupported > 0 {
        b.push(Block::Para(format!("{unsupported} measurement(s) were `unsupported` (a variant that cannot do the task).")));
    }
    b
}

/// One sentence per workload, generated from the standings of its tasks: who wins how many tasks, how many are
/// ties, and where polaroid wins (by the smallest margin, with its interval) and loses (by the largest).
fn headlines(groups: &BTreeMap<(usize, String), Vec<&Measurement>>) -> Vec<String> {
    let mut workloads: Vec<&str> = Vec::new();
    for g in groups.values() {
        if !workloads.contains(&g[0].workload.as_str()) {
            workloads.push(&g[0].workload);
        }
    }
    let interval = |ci: Option<(f64, f64)>| ci.map_or(String::new(), |(lo, hi)| format!(" [{lo:.2}, {hi:.2}]"));
    workloads
        .into_iter()
        .map(|workload| {
            let (mut tasks, mut ties) = (0, 0);
            let mut wins: BTreeMap<String, usize> = BTreeMap::new();
            let (mut polaroid_wins, mut polaroid_ties) = (Vec::new(), 0);
            let mut polaroid_behind: Vec<(String, f64, Option<(f64, f64)>)> = Vec::new();
            let mut engine_name: Option<&str> = None;
            for ((_, key), group) in groups.iter().filter(|(_, g)| g[0].workload == workload) {
                let competitors: Vec<&Measurement> = group.iter().copied().filter(|m| m.competes()).collect();
                let Some(st) = standing(&competitors, DEFAULT_NOISE_FLOOR) else { continue };
                let engine = engine_of(&competitors).map(|m| m.variant.as_str());
                if let Some(e) = engine {
                    engine_name.get_or_insert(e);
                }
                tasks += 1;
                let task = key.strip_prefix(&format!("{workload}/")).unwrap_or(key).to_string();
                if st.leader_wins() {
                    *wins.entry(st.leader.clone()).or_default() += 1;
                    if engine == Some(st.leader.as_str()) {
                        let margin = st.behind.iter().min_by(|a, b| a.ratio.total_cmp(&b.ratio));
                        polaroid_wins.push((task.clone(), margin.map(|m| (m.ratio, m.ci))));
                    }
                } else {
                    ties += 1;
                    if engine.is_some_and(|e| st.tied.iter().any(|v| v == e)) {
                        polaroid_ties += 1;
                    }
                }
                if let Some(b) = st.behind.iter().find(|b| Some(b.variant.as_str()) == engine && !st.tied.contains(&b.variant)) {
                    polaroid_behind.push((task, b.ratio, b.ci));
                }
            }
            let mut s = format!("{workload}, {tasks} task(s): ");
            let mut parts: Vec<String> = wins.iter().map(|(v, n)| format!("`{v}` wins {n}")).collect();
            if ties > 0 || parts.is_empty() {
                parts.push(format!("{ties} tie(s)"));
            }
            s.push_str(&parts.join(", "));
            let mut polaroid = Vec::new();
            if let Some((task, margin)) = polaroid_wins.iter().min_by(|a, b| a.1.map_or(f64::MAX, |m| m.0).total_cmp(&b.1.map_or(f64::MAX, |m| m.0))) {
                if let Some((r, ci)) = margin {
                    polaroid.push(format!("its narrowest win is {r:.2}x{} on {task}", interval(*ci)));
                }
            }
            if polaroid_ties > 0 {
                polaroid.push(format!("it ties in {polaroid_ties}"));
            }
            if let Some((task, r, ci)) = polaroid_behind.iter().max_by(|a, b| a.1.total_cmp(&b.1)) {
                polaroid.push(format!("it is significantly behind in {}, at worst {r:.2}x{} on {task}", polaroid_behind.len(), interval(*ci)));
            }
            if let (false, Some(e)) = (polaroid.is_empty(), engine_name) {
                s.push_str(&format!(". `{e}`: {}", polaroid.join("; ")));
            }
            // The tuned baselines it was measured against, with the knobs that were set.
            let mut tuned: BTreeMap<&str, String> = BTreeMap::new();
            for m in groups.values().flatten().filter(|m| m.workload == workload && m.role == Some(crate::model::Role::Tuned) && m.counts()) {
                let knobs: Vec<String> = m.knobs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                tuned.insert(&m.variant, knobs.join(", "));
            }
            if !tuned.is_empty() {
                let list: Vec<String> = tuned.iter().map(|(v, k)| if k.is_empty() { format!("`{v}`") } else { format!("`{v}` ({k})") }).collect();
                s.push_str(&format!(". Tuned Polars beside the defaults: {}", list.join("; ")));
            }
            s.push('.');
            s
        })
        .collect()
}

/// The file stem and HTML id of a heading or chart title: lower-case ASCII words joined by `-`.
pub fn slug(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect::<String>().split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

fn charts_for(workload: &str, groups: &[(&String, &Vec<&Measurement>)], calibration: Option<&crate::model::Calibration>) -> Result<Vec<Block>> {
    let mut out = Vec::new();
    match workload {
        "concurrent-query" => {
            let all: Vec<&Measurement> = groups.iter().flat_map(|(_, g)| g.iter().copied()).collect();
            let title = "concurrent-query: throughput and p99 against clients";
            out.push(Block::Chart(slug(title), title.into(), chart::scaling::render(title, &all)?));
        }
        "streaming" => {
            let all: Vec<&Measurement> = groups.iter().flat_map(|(_, g)| g.iter().copied()).collect();
            let mut connections: Vec<u64> = all.iter().filter_map(|m| m.params.get("connections").and_then(|c| c.as_u64())).collect();
            connections.sort_unstable();
            connections.dedup();
            for c in connections {
                let of_c: Vec<&Measurement> = all.iter().copied().filter(|m| m.params.get("connections").and_then(|x| x.as_u64()) == Some(c)).collect();
                let title = format!("streaming, {c} connection(s): achieved against offered rate");
                out.push(Block::Chart(slug(&title), title.clone(), chart::rate::render(&title, &of_c)?));
            }
            for (key, group) in groups {
                let rate = group[0].params.get("rate_per_s");
                if rate.and_then(|r| r.as_u64()) == Some(100_000) || rate.and_then(|r| r.as_str()) == Some("unpaced") {
                    let title = format!("{key}: send-to-visible latency");
                    out.push(Block::Chart(slug(&title), title.clone(), chart::latency_cdf::render(&title, group)?));
                }
            }
        }
        _ => {
            // A workload file's concurrent mix (`[concurrency]`): its client counts on one chart, as concurrent-query's.
            let swept: Vec<&Measurement> = groups.iter().flat_map(|(_, g)| g.iter().copied()).filter(|m| m.params.contains_key("clients")).collect();
            if !swept.is_empty() {
                let title = format!("{workload}: throughput and p99 against clients");
                out.push(Block::Chart(slug(&title), title.clone(), chart::scaling::render(&title, &swept)?));
            }
            for (key, group) in groups.iter().filter(|(_, g)| !g.iter().any(|m| m.params.contains_key("clients"))) {
                let title = key.to_string();
                out.push(Block::Chart(slug(&format!("{title}-bars")), title.clone(), chart::bars::render(&title, group, calibration)?));
                if workload == "large-dataset" {
                    let title = format!("{key}: memory over time");
                    out.push(Block::Chart(slug(&title), title.clone(), chart::memory::render(&title, group)?));
                }
            }
        }
    }
    Ok(out)
}
