//! Figures in prose bound to result files (`polaroid-bench render`): a document names its result files and marks
//! each figure it quotes with the measurement and the statistic the figure is. [`render`] writes the figures from
//! the files, [`check`] says where a document no longer says what its files say (a hand edit, a re-run), and
//! [`unbound`] lists the figures a document types by hand.
//!
//! The marks are HTML comments, which Markdown does not show, so a rendered document is its own template:
//!
//! ```text
//! <!--results r=result.json.gz-->
//! VWAP took <!--fig r trades/vwap/default/polaroid median-->716 ms<!--/fig--> on polaroid.
//! ```
//!
//! - `<!--results NAME=PATH-->` names a result file (plain JSON or `.json.gz`), its path relative to the document.
//! - `<!--fig NAME KEY STAT-->FIGURE<!--/fig-->` holds the statistic `STAT` of the measurement whose key is `KEY`
//!   in that file (`polaroid-bench report` prints the keys), or whose key alone ends with `KEY`
//!   (`[clients=50]/polaroid`). [`STATS`] lists the statistics.
//! - `<!--text NAME=PATH-->` names any text file (a `time -v` output, a profiler's report): `<!--fig NAME PATTERN
//!   match-->` holds the first match of the regular expression `PATTERN` in it (its first group, if it has one; write
//!   spaces as `\s`).
//! - `<!--unbound REASON-->` on a line says why the figures on it are typed by hand (a machine's size, a figure from
//!   a tool that writes no result file); [`unbound`] lists them with the reason instead of as unexplained.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::compare::{self, DEFAULT_NOISE_FLOOR};
use crate::error::{Error, Result};
use crate::model::{Measurement, RunResult};
use crate::stats::{self, Judgement};
use crate::table::{self, metric_text};
use crate::units;

const RESULTS_OPEN: &str = "<!--results ";
const TEXT_OPEN: &str = "<!--text ";
const FIG_OPEN: &str = "<!--fig ";
const FIG_CLOSE: &str = "<!--/fig-->";
const UNBOUND_OPEN: &str = "<!--unbound";
const COMMENT_CLOSE: &str = "-->";

/// The statistics a figure can be, with what each writes.
pub const STATS: &[(&str, &str)] = &[
    ("median", "the headline metric's median over every timed run (`716 ms`, `1.25 kq/s`)"),
    ("ci", "the 95% interval of that median (`[675 ms, 728 ms]`)"),
    ("median-ci", "both (`716 ms [675 ms, 728 ms]`)"),
    ("min", "the smallest timed run"),
    ("max", "the largest timed run"),
    ("process-medians", "each process's median, in process order"),
    ("process-peaks", "each process's peak resident memory, in order"),
    ("figure-values=NAME", "each process's value of a recorded figure, in order"),
    ("processes", "measurement processes"),
    ("runs", "timed runs over all processes"),
    ("peak-rss", "the largest peak resident memory of its processes (`1.63 GiB`)"),
    ("peak-rss-range", "the smallest and largest peak of its processes (`1.32-1.63 GiB`)"),
    ("p50 / p95 / p99 / p999", "per-request latency percentiles, for workloads that issue requests"),
    ("figure=NAME", "a figure the measurement recorded, the median over its processes (`*_bytes` as bytes, `*_s` as time)"),
    ("figure-range=NAME", "the smallest and largest value of such a figure over its processes (`1.32-1.63 GiB`)"),
    ("cpu-per-tick", "streaming: CPU time of the consuming process per tick over the timed sessions (`764 ns`)"),
    ("cap", "the memory cap its processes ran under"),
    ("dataset-rows / dataset-file-bytes / dataset-memory-bytes", "its dataset's rows (`120 M`), Parquet bytes, and size decoded in memory"),
    ("knob=NAME", "an engine setting the measurement recorded"),
    ("outcome", "how it ended (`ok`, `error`, `timeout`, `oom`, `unsupported`)"),
    ("ratio=KEY", "how many times worse KEY is than this measurement, with the interval of the gate's process-level test (`2.69x [2.39, 3.03]`)"),
    ("verdict=KEY", "this measurement against KEY by the gate's rule, as one test: `better`, `worse`, `tie` or `untested` (one process)"),
    ("standing", "its task's verdict as the report's standings give it (``` `duckdb` wins ```, ``tie: `a`, `b` ``)"),
    ("geomean / geomean-ci", "the geometric mean of its variant's medians over the tasks of its workload that every variant finished, as the report's table gives it (with the interval)"),
    ("geomean-tasks", "how many tasks those geometric means are over"),
    ("fixed-cost", "its variant's fixed cost per query over its workload (an empty query's time, the median over every process), as the report's table gives it"),
    ("calibration-memcpy / calibration-decode", "the run's calibration: memory copy on one thread, Parquet decode on all cores"),
    ("match", "with a `<!--text NAME=PATH-->` file: the first match of the pattern KEY (its first group)"),
    ("match-bytes", "the same match, a count of bytes, written in binary units (`1.65 MiB`)"),
    ("instructions", "instructions per timed run, counted by `run --instructions` (`5,059,986,958`), or why not"),
    ("commit", "the commit the run's binary was built from (7 characters, and `-dirty` when the tree had changes)"),
    ("binary", "the binary a `compare-run` or `noise` side ran"),
    ("wall", "the run's wall time, from its start to the last rewrite of its file (`13 min 17 s`; for a `compare-run` side, the interleaved pair)"),
];

/// A bound figure in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// Line of the document (1-based).
    pub line: usize,
    /// The result file's name in the document.
    pub file: String,
    /// The measurement's key.
    pub key: String,
    /// The statistic.
    pub stat: String,
    /// Byte range of the figure in the document.
    pub span: std::ops::Range<usize>,
}

/// A bound figure that differs from what its result file says.
#[derive(Debug, Clone, PartialEq)]
pub struct Stale {
    /// The binding.
    pub binding: Binding,
    /// What the document says.
    pub written: String,
    /// What the result file says.
    pub computed: String,
}

/// A figure (a number with a unit) in a document's prose that no binding holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Unbound {
    /// Line of the document (1-based).
    pub line: usize,
    /// The figure as written.
    pub figure: String,
    /// Why it is typed by hand, from an `<!--unbound REASON-->` on its line.
    pub reason: Option<String>,
}

/// Fills every bound figure of `text` (the document at `path`) from its result files.
pub fn render(path: &Path, text: &str) -> Result<String> {
    let doc = Doc::parse(path, text)?;
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for b in &doc.bindings {
        out.push_str(&text[at..b.span.start]);
        out.push_str(&doc.compute(b)?);
        at = b.span.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// Every bound figure of `text` that differs from what its result file says now.
pub fn check(path: &Path, text: &str) -> Result<Vec<Stale>> {
    let doc = Doc::parse(path, text)?;
    let mut stale = Vec::new();
    for b in &doc.bindings {
        let computed = doc.compute(b)?;
        let written = &text[b.span.clone()];
        if written != computed {
            stale.push(Stale { binding: b.clone(), written: written.to_string(), computed });
        }
    }
    Ok(stale)
}

/// The bindings of `text`, in order (the result files are not read).
pub fn bindings(path: &Path, text: &str) -> Result<Vec<Binding>> {
    Ok(scan(path, text)?.1)
}

/// The figures of `text`'s prose (numbers with a unit: times, sizes, rates, percentages, ratios) that are not inside
/// a binding, a code block or span, a comment or a link target.
pub fn unbound(text: &str) -> Vec<Unbound> {
    let figure = regex::Regex::new(
        r"(?x)(?:^|[^\w.])(
            [0-9][0-9,]*(?:\.[0-9]+)?(?:\s?-\s?[0-9][0-9,]*(?:\.[0-9]+)?)?      # a number or a range
            (?:\s?(?:ns|µs|us|ms|s|min|h|B|KiB|MiB|GiB|TiB|kB|KB|MB|GB|TB|%|[kMG]?q/s|[kMG]?B/s|[kMG]?rows/s|queries/s|ticks/s)|x)
        )(?:$|[^\w/])",
    )
    .expect("a valid pattern");
    let mut found = Vec::new();
    let mut fenced = false;
    let mut in_binding = false;
    for (i, raw) in text.lines().enumerate() {
        if raw.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let reason = raw.find(UNBOUND_OPEN).map(|s| {
            let rest = &raw[s + UNBOUND_OPEN.len()..];
            rest[..rest.find(COMMENT_CLOSE).unwrap_or(rest.len())].trim().to_string()
        });
        let prose = strip(raw, &mut in_binding);
        for c in figure.captures_iter(&prose) {
            found.push(Unbound { line: i + 1, figure: c[1].trim().to_string(), reason: reason.clone() });
        }
    }
    found
}

/// Whether a program wrote the document, so its figures are output, not prose: `polaroid-bench report` and `history`
/// pages ("Generated by `...`" near the top), `compare`'s Markdown (its `### polaroid-bench compare` heading), and
/// any document that starts with `<!--generated` (an example's table, say).
pub fn generated(text: &str) -> bool {
    text.starts_with("<!--generated") || text.starts_with("### polaroid-bench compare") || text.lines().take(5).any(|l| l.starts_with("Generated by `"))
}

/// A line without what is not prose: bound figures (`in_binding` carries an open binding to the next line),
/// comments, code spans and link targets, each replaced by a space.
fn strip(line: &str, in_binding: &mut bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    loop {
        if *in_binding {
            match rest.find(FIG_CLOSE) {
                Some(e) => {
                    rest = &rest[e + FIG_CLOSE.len()..];
                    *in_binding = false;
                    out.push(' ');
                }
                None => return out,
            }
        }
        let next = [rest.find("<!--"), rest.find('`'), rest.find("](")].into_iter().flatten().min();
        let Some(s) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..s]);
        out.push(' ');
        let tail = &rest[s..];
        if let Some(fig) = tail.strip_prefix(FIG_OPEN) {
            rest = fig.find(COMMENT_CLOSE).map_or("", |e| &fig[e + COMMENT_CLOSE.len()..]);
            *in_binding = true;
        } else if let Some(comment) = tail.strip_prefix("<!--") {
            rest = comment.find(COMMENT_CLOSE).map_or("", |e| &comment[e + COMMENT_CLOSE.len()..]);
        } else if let Some(code) = tail.strip_prefix('`') {
            rest = code.find('`').map_or("", |e| &code[e + 1..]);
        } else {
            let target = &tail[2..];
            rest = target.find(')').map_or("", |e| &target[e + 1..]);
        }
    }
}

/// What checking a set of documents found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Documents read.
    pub documents: usize,
    /// Bound figures in them.
    pub bound: usize,
    /// Bound figures that differ from their result files.
    pub stale: Vec<(PathBuf, Stale)>,
    /// Figures typed by hand, explained or not.
    pub unbound: Vec<(PathBuf, Unbound)>,
    /// Documents a program wrote (see [`generated`]), whose figures are not looked for.
    pub generated: usize,
}

impl Checked {
    /// Figures typed by hand with no `<!--unbound REASON-->`.
    pub fn unexplained(&self) -> impl Iterator<Item = &(PathBuf, Unbound)> {
        self.unbound.iter().filter(|(_, u)| u.reason.is_none())
    }
}

/// Checks every Markdown document in `paths` (files, and directories searched for `*.md`).
pub fn check_paths(paths: &[PathBuf]) -> Result<Checked> {
    let mut checked = Checked::default();
    for path in markdown_files(paths)? {
        let text = read_document(&path)?;
        checked.documents += 1;
        checked.bound += bindings(&path, &text)?.len();
        checked.stale.extend(check(&path, &text)?.into_iter().map(|s| (path.clone(), s)));
        if generated(&text) {
            checked.generated += 1;
        } else {
            checked.unbound.extend(unbound(&text).into_iter().map(|u| (path.clone(), u)));
        }
    }
    Ok(checked)
}

/// Renders the document at `path` into `out` (itself when `None`; written only if a figure changed). Returns the
/// number of bound figures.
pub fn render_file(path: &Path, out: Option<&Path>) -> Result<usize> {
    let text = read_document(path)?;
    let rendered = render(path, &text)?;
    let target = out.unwrap_or(path);
    if out.is_some() || rendered != text {
        std::fs::write(target, rendered).map_err(|source| Error::Document { action: "write", path: target.to_path_buf(), source })?;
    }
    Ok(bindings(path, &text)?.len())
}

fn read_document(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Document { action: "read", path: path.to_path_buf(), source })
}

/// The `*.md` files of `paths`: files as given, directories searched (hidden ones skipped), in name order.
pub fn markdown_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Document { action: "read", path: dir.to_path_buf(), source })?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            if p.is_dir() {
                walk(&p, found)?;
            } else if p.extension().is_some_and(|e| e == "md") {
                found.push(p);
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut found)?;
        } else {
            found.push(p.clone());
        }
    }
    Ok(found)
}

/// A parsed document with its result files loaded.
struct Doc {
    path: PathBuf,
    bindings: Vec<Binding>,
    files: BTreeMap<String, (PathBuf, RunResult)>,
    /// Text files a figure is read from by a pattern (a `time -v` output, a profiler's report).
    texts: BTreeMap<String, (PathBuf, String)>,
}

impl Doc {
    fn parse(path: &Path, text: &str) -> Result<Doc> {
        let (names, bindings) = scan(path, text)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let (mut files, mut texts) = (BTreeMap::new(), BTreeMap::new());
        for (name, (line, file, kind)) in names {
            let full = dir.join(&file);
            match kind {
                Kind::Results => {
                    let result = RunResult::load(&full).map_err(|e| binding_error(path, line, format!("result file `{name}` ({}): {e}", full.display())))?;
                    files.insert(name, (full, result));
                }
                Kind::Text => {
                    let content = std::fs::read_to_string(&full).map_err(|e| binding_error(path, line, format!("text file `{name}` ({}): {e}", full.display())))?;
                    texts.insert(name, (full, content));
                }
            }
        }
        Ok(Doc { path: path.to_path_buf(), bindings, files, texts })
    }

    fn error(&self, b: &Binding, message: String) -> Error {
        binding_error(&self.path, b.line, format!("`{} {} {}`: {message}", b.file, b.key, b.stat))
    }

    /// The measurement `key` names: the one with that key, else the only one whose key ends with it (so a document
    /// about one task can write `[clients=50]/polaroid`).
    fn measurement<'a>(&'a self, b: &Binding, result: &'a RunResult, key: &str) -> Result<&'a Measurement> {
        if let Some(m) = result.measurement(key) {
            return Ok(m);
        }
        let ending: Vec<&Measurement> = result.measurements.iter().filter(|m| m.key.ends_with(key)).collect();
        match ending[..] {
            [m] => return Ok(m),
            [_, _, ..] => {
                let keys: Vec<&str> = ending.iter().take(8).map(|m| m.key.as_str()).collect();
                return Err(self.error(b, format!("`{key}` ends {} keys of the file ({}{}); write more of the key", ending.len(), keys.join(", "), if ending.len() > 8 { ", ..." } else { "" })));
            }
            [] => {}
        }
        None.ok_or_else(|| {
            let close: Vec<&str> = result.measurements.iter().map(|m| m.key.as_str()).filter(|k| shares_task(k, key)).take(8).collect();
            let hint = if close.is_empty() { "`polaroid-bench show FILE` lists its keys".to_string() } else { format!("keys of that task: {}", close.join(", ")) };
            self.error(b, format!("no measurement `{key}` in the file ({hint})"))
        })
    }

    /// A text file's figure: the first match of the binding's pattern (its first group, if it has one).
    fn matched(&self, b: &Binding, content: &str) -> Result<String> {
        if b.stat != "match" && b.stat != "match-bytes" {
            return Err(self.error(b, format!("a text file's figure is `<!--fig {} PATTERN match-->` (or `match-bytes`), not `{}`", b.file, b.stat)));
        }
        let pattern = regex::Regex::new(&b.key).map_err(|e| self.error(b, format!("not a regular expression: {e}")))?;
        let found = pattern.captures(content).ok_or_else(|| self.error(b, format!("the pattern matches nothing in {}", self.texts[&b.file].0.display())))?;
        let text = found.get(1).or_else(|| found.get(0)).map_or(String::new(), |m| m.as_str().to_string());
        if b.stat == "match-bytes" {
            let bytes: u64 = text.replace(',', "").parse().map_err(|_| self.error(b, format!("`{text}` is not a count of bytes (match-bytes)")))?;
            return Ok(units::bytes(bytes));
        }
        Ok(text)
    }

    /// The geometric means of a workload's variants, as the report's table gives them.
    fn geomeans(&self, b: &Binding, result: &RunResult, workload: &str) -> Result<crate::report::Geomeans> {
        let (keys, groups) = by_task(result, workload);
        let in_workload: Vec<(&String, &Vec<&Measurement>)> = keys.iter().zip(&groups).collect();
        crate::report::geomean_rows(&in_workload).ok_or_else(|| self.error(b, format!("workload {workload} has fewer than two tasks every variant finished")))
    }

    /// The figure a binding holds, as the result file says it now.
    fn compute(&self, b: &Binding) -> Result<String> {
        if let Some((_, content)) = self.texts.get(&b.file) {
            return self.matched(b, content);
        }
        let (_, result) = self.files.get(&b.file).expect("scan checked that every binding names a declared file");
        let m = self.measurement(b, result, &b.key)?;
        let metric = || m.metric.as_ref().ok_or_else(|| self.error(b, format!("the measurement has no timings (outcome `{}`)", m.outcome.label())));
        let latency = |pick: fn(&crate::model::Latency) -> u64| {
            m.latency.as_ref().map(|l| units::seconds(pick(l) as f64 / 1e9)).ok_or_else(|| self.error(b, "the measurement recorded no per-request latency".into()))
        };
        let peaks = || {
            let p = m.process_peaks();
            (!p.is_empty()).then_some(p).ok_or_else(|| self.error(b, "the measurement recorded no peak memory".into()))
        };
        let (stat, arg) = b.stat.split_once('=').map_or((b.stat.as_str(), None), |(s, a)| (s, Some(a)));
        Ok(match (stat, arg) {
            ("median", None) => metric_text(metric()?, metric()?.summary.median),
            ("ci", None) => interval(metric()?),
            ("median-ci", None) => format!("{} {}", metric_text(metric()?, metric()?.summary.median), interval(metric()?)),
            ("min", None) => metric_text(metric()?, metric()?.summary.min),
            ("max", None) => metric_text(metric()?, metric()?.summary.max),
            ("process-medians", None) => {
                let mt = metric()?;
                let medians = stats::process_medians(&mt.samples).ok_or_else(|| self.error(b, "a process has no timed run".into()))?;
                medians.iter().map(|v| metric_text(mt, *v)).collect::<Vec<_>>().join(", ")
            }
            ("process-peaks", None) => peaks()?.into_iter().map(units::bytes).collect::<Vec<_>>().join(", "),
            ("figure-values", Some(name)) => {
                let values = m.figures.get(name).filter(|v| !v.is_empty()).ok_or_else(|| self.error(b, format!("the measurement recorded no figure `{name}`")))?;
                values.iter().map(|v| figure_text(name, *v)).collect::<Vec<_>>().join(", ")
            }
            ("processes", None) => metric()?.summary.processes.to_string(),
            ("runs", None) => metric()?.summary.n.to_string(),
            ("peak-rss", None) => units::bytes(peaks()?.into_iter().max().unwrap_or(0)),
            ("peak-rss-range", None) => {
                let p = peaks()?;
                let (lo, hi) = (p.iter().min().copied().unwrap_or(0), p.iter().max().copied().unwrap_or(0));
                range_text(&units::bytes(lo), &units::bytes(hi))
            }
            ("p50", None) => latency(|l| l.p50_ns)?,
            ("p95", None) => latency(|l| l.p95_ns)?,
            ("p99", None) => latency(|l| l.p99_ns)?,
            ("p999", None) => latency(|l| l.p999_ns)?,
            ("figure", Some(name)) => {
                let values = m.figures.get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
                    let names: Vec<&str> = m.figures.keys().map(String::as_str).collect();
                    self.error(b, format!("the measurement recorded no figure `{name}` (it has: {})", if names.is_empty() { "none".into() } else { names.join(", ") }))
                })?;
                let mut sorted = values.clone();
                sorted.sort_by(f64::total_cmp);
                figure_text(name, stats::median_of_sorted(&sorted))
            }
            ("figure-range", Some(name)) => {
                let values = m.figures.get(name).filter(|v| !v.is_empty()).ok_or_else(|| self.error(b, format!("the measurement recorded no figure `{name}`")))?;
                let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
                range_text(&figure_text(name, lo), &figure_text(name, hi))
            }
            ("cpu-per-tick", None) => {
                let stream = m.stream.as_ref().ok_or_else(|| self.error(b, "the measurement is not a streaming one (no feed figures)".into()))?;
                let cpu = stream.consumer_cpu_s.ok_or_else(|| self.error(b, "the measurement recorded no CPU time of its process".into()))?;
                units::seconds(cpu / (stream.ticks_per_session as f64 * metric()?.summary.n as f64))
            }
            ("cap", None) => m.memory.cap_bytes.map(units::bytes).ok_or_else(|| self.error(b, "the measurement ran without a memory cap".into()))?,
            ("dataset-rows", None) | ("dataset-file-bytes", None) | ("dataset-memory-bytes", None) => {
                let d = result.provenance.datasets.iter().find(|d| d.name == m.dataset).ok_or_else(|| self.error(b, format!("the run does not describe dataset `{}`", m.dataset)))?;
                match stat {
                    "dataset-rows" => units::count(d.rows as f64),
                    "dataset-file-bytes" => units::bytes(d.file_bytes),
                    _ => units::bytes(d.in_memory_bytes),
                }
            }
            ("knob", Some(name)) => m.knobs.get(name).cloned().ok_or_else(|| self.error(b, format!("the measurement recorded no knob `{name}`")))?,
            ("outcome", None) => m.outcome.label().to_string(),
            ("ratio", Some(other)) | ("verdict", Some(other)) => {
                let o = self.measurement(b, result, other)?;
                let (mine, theirs) = (metric()?, o.metric.as_ref().ok_or_else(|| self.error(b, format!("`{other}` has no timings (outcome `{}`)", o.outcome.label())))?);
                if mine.unit != theirs.unit {
                    return Err(self.error(b, format!("`{other}` is measured in {}, this one in {}", theirs.unit, mine.unit)));
                }
                let c = compare::change(&mine.samples, &theirs.samples, mine.higher_is_better, &mine.unit, DEFAULT_NOISE_FLOOR, false);
                if stat == "ratio" {
                    match c.test {
                        Some(t) => format!("{:.2}x [{:.2}, {:.2}]", c.slowdown, t.ci_low, t.ci_high),
                        None => format!("{:.2}x (untested)", c.slowdown),
                    }
                } else {
                    match c.test {
                        None => "untested".into(),
                        Some(t) => match stats::judge(t.p_value, c.slowdown, (t.ci_low, t.ci_high), c.floor) {
                            // `c` is the other against this one: the other worse is this one better.
                            Judgement::Worse => "better".into(),
                            Judgement::Better => "worse".into(),
                            Judgement::Same => "tie".into(),
                        },
                    }
                }
            }
            ("standing", None) => {
                let group: Vec<&Measurement> = result.measurements.iter().filter(|o| o.task_key() == m.task_key() && o.competes()).collect();
                let st = table::standing(&group, DEFAULT_NOISE_FLOOR).ok_or_else(|| self.error(b, "no variant of its task finished".into()))?;
                if st.leader_wins() { format!("`{}` wins", st.leader) } else { format!("tie: {}", st.tied.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")) }
            }
            ("geomean", None) | ("geomean-ci", None) => {
                let g = self.geomeans(b, result, &m.workload)?;
                let (_, gm, lo, hi) = g.rows.iter().find(|r| r.0 == m.variant).ok_or_else(|| self.error(b, format!("`{}` has no geometric mean in {}", m.variant, m.workload)))?;
                if stat == "geomean" { units::seconds(*gm) } else { format!("{} [{}, {}]", units::seconds(*gm), units::seconds(*lo), units::seconds(*hi)) }
            }
            ("geomean-tasks", None) => self.geomeans(b, result, &m.workload)?.tasks.to_string(),
            ("fixed-cost", None) => {
                let (keys, groups) = by_task(result, &m.workload);
                let in_workload: Vec<(&String, &Vec<&Measurement>)> = keys.iter().zip(&groups).collect();
                let rows = crate::report::fixed_cost_rows(&in_workload);
                let (_, median, _) = rows.iter().find(|r| r.0 == m.variant).ok_or_else(|| self.error(b, format!("`{}` recorded no fixed cost per query in {}", m.variant, m.workload)))?;
                units::seconds(*median)
            }
            ("calibration-memcpy", None) | ("calibration-decode", None) => {
                let c = result.calibration.as_ref().ok_or_else(|| self.error(b, "the run was made without calibration".into()))?;
                units::rate(if stat == "calibration-memcpy" { c.memcpy_bytes_per_s } else { c.decode_all_cores_bytes_per_s }, "B/s")
            }
            ("instructions", None) => match &m.instructions {
                Some(crate::Instructions::Counted { per_run, .. }) => thousands(per_run.round() as i64),
                Some(crate::Instructions::Skipped { reason }) => format!("not counted: {reason}"),
                Some(crate::Instructions::Failed { message }) => format!("not counted: {message}"),
                None => return Err(self.error(b, "the run did not count instructions (run --instructions)".into())),
            },
            ("commit", None) => {
                let commit = result.provenance.git_commit.as_deref().ok_or_else(|| self.error(b, "the run recorded no commit".into()))?;
                let short: String = commit.chars().take(7).collect();
                if commit.ends_with("-dirty") { format!("{short}-dirty") } else { short }
            }
            ("wall", None) => {
                let at = |s: &str| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|e| self.error(b, format!("the run's time `{s}` is not RFC 3339: {e}")));
                let s = (at(&result.provenance.updated_at)? - at(&result.provenance.started_at)?).as_seconds_f64();
                if s >= 60.0 { format!("{} min {} s", s.round() as u64 / 60, s.round() as u64 % 60) } else { units::seconds(s) }
            }
            ("binary", None) => result.provenance.interleaved.as_ref().map(|i| i.binary.clone()).ok_or_else(|| self.error(b, "the run was not made by compare-run or noise (no binary recorded)".into()))?,
            _ => {
                let names: Vec<&str> = STATS.iter().map(|(s, _)| *s).collect();
                return Err(self.error(b, format!("unknown statistic `{}` (one of: {})", b.stat, names.join(", "))));
            }
        })
    }
}

/// What a document names a file for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `<!--results NAME=PATH-->`: a result document.
    Results,
    /// `<!--text NAME=PATH-->`: any text, figures read by a pattern.
    Text,
}

/// The files a document names (name -> line, path, kind) and its bindings, checked for form only.
type Names = BTreeMap<String, (usize, String, Kind)>;

fn scan(path: &Path, text: &str) -> Result<(Names, Vec<Binding>)> {
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    // Binding syntax inside code (a fenced block, an inline span) is an example of it, as docs/render.md shows it.
    let code = code_ranges(text);
    let in_code = |at: usize| code.iter().any(|r| r.contains(&at));
    let mut names = Names::new();
    for (open, kind) in [(RESULTS_OPEN, Kind::Results), (TEXT_OPEN, Kind::Text)] {
        let tag = open.trim();
        for (at, _) in text.match_indices(open).filter(|(at, _)| !in_code(*at)) {
            let body = comment_body(text, at + open.len()).ok_or_else(|| binding_error(path, line_of(at), format!("`{tag}` is not closed by `-->`")))?;
            let (name, file) = body.trim().split_once('=').ok_or_else(|| binding_error(path, line_of(at), format!("`{tag} {}-->` must read `{tag} NAME=PATH-->`", body.trim())))?;
            if names.insert(name.trim().to_string(), (line_of(at), file.trim().to_string(), kind)).is_some() {
                return Err(binding_error(path, line_of(at), format!("the file name `{}` is given twice", name.trim())));
            }
        }
    }
    let mut bindings = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(FIG_OPEN) {
        let at = from + found;
        if in_code(at) {
            from = at + FIG_OPEN.len();
            continue;
        }
        let line = line_of(at);
        let body = comment_body(text, at + FIG_OPEN.len()).ok_or_else(|| binding_error(path, line, "`<!--fig` is not closed by `-->`".into()))?;
        let start = at + FIG_OPEN.len() + body.len() + COMMENT_CLOSE.len();
        let end = start + text[start..].find(FIG_CLOSE).ok_or_else(|| binding_error(path, line, format!("`<!--fig {}-->` has no `{FIG_CLOSE}` after its figure", body.trim())))?;
        if text[start..end].contains(FIG_OPEN) {
            return Err(binding_error(path, line, format!("`<!--fig {}-->` has no `{FIG_CLOSE}` before the next `<!--fig`", body.trim())));
        }
        let words: Vec<&str> = body.split_whitespace().collect();
        let [file, key, stat] = words[..] else {
            return Err(binding_error(path, line, format!("`<!--fig {}-->` must read `<!--fig FILE KEY STAT-->` (FILE a name from `<!--results NAME=PATH-->`)", body.trim())));
        };
        if !names.contains_key(file) {
            let known: Vec<&str> = names.keys().map(String::as_str).collect();
            return Err(binding_error(path, line, format!("no result file is named `{file}` (add `<!--results {file}=PATH-->`, or `<!--text {file}=PATH-->` for a text file; named: {})", if known.is_empty() { "none".into() } else { known.join(", ") })));
        }
        bindings.push(Binding { line, file: file.into(), key: key.into(), stat: stat.into(), span: start..end });
        from = end + FIG_CLOSE.len();
    }
    Ok((names, bindings))
}

/// A workload's measurements grouped by task, in the order of the file: the task keys and each task's measurements.
fn by_task<'a>(result: &'a RunResult, workload: &str) -> (Vec<String>, Vec<Vec<&'a Measurement>>) {
    let mut keys: Vec<String> = Vec::new();
    let mut groups: Vec<Vec<&Measurement>> = Vec::new();
    for m in result.measurements.iter().filter(|m| m.workload == workload) {
        let key = m.task_key();
        match keys.iter().position(|k| *k == key) {
            Some(i) => groups[i].push(m),
            None => {
                keys.push(key);
                groups.push(vec![m]);
            }
        }
    }
    (keys, groups)
}

/// Byte ranges of `text` that are code: fenced blocks (between lines starting with three backticks) and inline spans
/// (a run of backticks up to the same run on its line).
fn code_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut at = 0;
    let mut fence: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        if line.trim_start().starts_with("```") {
            match fence.take() {
                Some(open) => ranges.push(open..at),
                None => fence = Some(start),
            }
            continue;
        }
        if fence.is_some() {
            continue;
        }
        let mut rest = 0;
        while let Some(found) = line[rest..].find('`') {
            let open = rest + found;
            // A backtick inside a comment (a binding's pattern) opens no code span: skip the comment.
            if let Some(comment) = line[rest..open].find("<!--").map(|c| rest + c) {
                match line[comment..].find(COMMENT_CLOSE) {
                    Some(close) => {
                        rest = comment + close + COMMENT_CLOSE.len();
                        continue;
                    }
                    None => break,
                }
            }
            let run = line[open..].bytes().take_while(|b| *b == b'`').count();
            let Some(close) = line[open + run..].find(&line[open..open + run]) else { break };
            let end = open + run + close + run;
            ranges.push(start + open..start + end);
            rest = end;
        }
    }
    if let Some(open) = fence {
        ranges.push(open..text.len());
    }
    ranges
}

/// What follows `from` up to the next `-->`.
fn comment_body(text: &str, from: usize) -> Option<&str> {
    text[from..].find(COMMENT_CLOSE).map(|e| &text[from..from + e])
}

fn binding_error(path: &Path, line: usize, message: String) -> Error {
    Error::Binding { path: path.to_path_buf(), line, message }
}

fn interval(metric: &crate::model::Metric) -> String {
    format!("[{}, {}]", metric_text(metric, metric.summary.ci_low), metric_text(metric, metric.summary.ci_high))
}

/// `1.32 GiB` and `1.63 GiB` as `1.32-1.63 GiB`; different units as `512 MiB-1.20 GiB`; one value once.
fn range_text(lo: &str, hi: &str) -> String {
    if lo == hi {
        return lo.to_string();
    }
    match (lo.split_once(' '), hi.split_once(' ')) {
        (Some((a, ua)), Some((b, ub))) if ua == ub => format!("{a}-{b} {ub}"),
        _ => format!("{lo}-{hi}"),
    }
}

/// An integer with thousands separators (`5,059,986,958`).
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn figure_text(name: &str, value: f64) -> String {
    if name.ends_with("_bytes") {
        units::bytes(value.max(0.0).round() as u64)
    } else if name.ends_with("_s") {
        units::seconds(value)
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

/// Whether two keys are of one task (the same workload and task: their first two parts).
fn shares_task(a: &str, b: &str) -> bool {
    fn task(k: &str) -> Vec<&str> {
        k.splitn(3, '/').take(2).collect()
    }
    task(a) == task(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_in_prose_are_found_and_bound_ones_code_and_links_are_not() {
        let text = "It took 716 ms [675, 728] and 1.35-1.67 GiB; 2.69x faster, 12% less.\n\
                    `1.5 s` in code, <!--fig r k median-->3.2 s<!--/fig--> bound, [a link](x/5 ms.md), 2 x 3 runs.\n\
                    ```\n9 ms in a block\n```\n\
                    The machine has 24 GiB <!--unbound the machine's size, from its provisioning-->\n\
                    2026-11-30 and 2 cores and q11 are not figures; 147 q/s is.\n";
        let found: Vec<(usize, &str, bool)> = unbound(text).iter().map(|u| (u.line, u.figure.as_str(), u.reason.is_some())).map(|(l, f, r)| (l, leak(f), r)).collect();
        assert_eq!(found, vec![(1, "716 ms", false), (1, "1.35-1.67 GiB", false), (1, "2.69x", false), (1, "12%", false), (6, "24 GiB", true), (7, "147 q/s", false)]);
    }

    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_string().into_boxed_str())
    }

    #[test]
    fn a_malformed_binding_is_an_error_that_names_its_line_and_what_to_write() {
        let p = Path::new("doc.md");
        let e = bindings(p, "a\n<!--fig r k-->1<!--/fig-->").unwrap_err().to_string();
        assert!(e.contains("doc.md:2") && e.contains("<!--fig FILE KEY STAT-->"), "{e}");
        let e = bindings(p, "<!--fig r k median-->1<!--/fig-->").unwrap_err().to_string();
        assert!(e.contains("no result file is named `r`") && e.contains("<!--results r=PATH-->"), "{e}");
        let e = bindings(p, "<!--results r=x.json-->\n<!--fig r k median-->1").unwrap_err().to_string();
        assert!(e.contains("doc.md:2") && e.contains("<!--/fig-->"), "{e}");
        let b = bindings(p, "<!--results r=x.json-->\nab <!--fig r w/t/v/s median-->old<!--/fig--> cd").unwrap();
        assert_eq!((b.len(), b[0].line, b[0].key.as_str(), b[0].stat.as_str()), (1, 2, "w/t/v/s", "median"));
    }

    /// A document bound to a committed result file: rendering writes its figures, the check then passes, a figure
    /// edited by hand is found with what the file says, and a key the file does not hold is an error.
    #[test]
    fn a_rendered_document_checks_and_a_figure_edited_by_hand_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let results = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/trades-ballista-2026-12-01/result.json.gz");
        std::fs::copy(&results, dir.path().join("r.json.gz")).unwrap();
        let doc = dir.path().join("README.md");
        let (df, b1, b2) = ("trades/vwap/default/datafusion", "trades/vwap/default/ballista-1", "trades/vwap/default/ballista-2");
        let template = format!(
            "<!--results r=r.json.gz-->\nVWAP: <!--fig r {df} median--><!--/fig--> on DataFusion, <!--fig r {b2} median-ci--><!--/fig--> on two \
             executors (<!--fig r {df} ratio={b2}--><!--/fig-->), <!--fig r {df} verdict={b1}--><!--/fig--> than one; the cluster's peak \
             <!--fig r {b2} figure=cluster_peak_rss_bytes--><!--/fig-->, <!--fig r {b2} processes--><!--/fig--> processes; \
             <!--fig r {b2} standing--><!--/fig-->; the run took <!--fig r {b2} wall--><!--/fig-->.\n"
        );
        std::fs::write(&doc, &template).unwrap();
        assert_eq!(check(&doc, &template).unwrap().len(), 8, "an empty template differs everywhere");
        assert_eq!(render_file(&doc, None).unwrap(), 8);
        let rendered = std::fs::read_to_string(&doc).unwrap();
        assert!(check(&doc, &rendered).unwrap().is_empty(), "{rendered}");
        let result = RunResult::load(&results).unwrap();
        let median = units::seconds(result.measurement(df).unwrap().metric.as_ref().unwrap().summary.median);
        assert!(rendered.contains(&format!("VWAP: <!--fig r {df} median-->{median}<!--/fig-->")), "{rendered}");
        assert!(["better", "worse", "tie"].iter().any(|w| rendered.contains(&format!("={b1}-->{w}<!--/fig-->"))), "{rendered}");
        assert!(rendered.contains("processes-->3<!--/fig-->") && rendered.contains("x ["), "{rendered}");
        let wall = regex::Regex::new(r"wall-->(\d+) min (\d+) s<").unwrap();
        assert!(wall.captures(&rendered).is_some_and(|c| c[2].parse::<u32>().unwrap() < 60), "the run's wall time in minutes and seconds: {rendered}");
        assert!(unbound(&rendered).is_empty(), "{:?}", unbound(&rendered));

        let edited = rendered.replacen(&format!("-->{median}<"), "-->1 ms<", 1);
        let stale = check(&doc, &edited).unwrap();
        assert_eq!(stale.len(), 1, "{stale:?}");
        assert_eq!((stale[0].binding.line, stale[0].written.as_str(), stale[0].computed.as_str()), (2, "1 ms", median.as_str()));

        let e = check(&doc, &rendered.replace(&format!("{df} median"), "trades/vwap/default/duckdb median")).unwrap_err().to_string();
        assert!(e.contains("README.md:2") && e.contains(b1), "{e}");
        let e = check(&doc, &rendered.replace(&format!("{b2} processes"), &format!("{b2} speed"))).unwrap_err().to_string();
        assert!(e.contains("unknown statistic `speed`") && e.contains("median-ci"), "{e}");
    }

    /// A figure from a text file that is not a result (here `time -v`'s output), by a pattern; a pattern that
    /// matches nothing, or another statistic, is an error.
    #[test]
    fn a_figure_is_read_from_a_text_file_by_a_pattern() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("time.txt"), "\tElapsed (wall clock) time (h:mm:ss or m:ss): 24:09.38\n").unwrap();
        let doc = dir.path().join("README.md");
        let text = r"<!--text t=time.txt-->
It took <!--fig t wall\sclock\).*:\s(\S+) match-->?<!--/fig-->.";
        assert_eq!(render(&doc, text).unwrap(), text.replace(">?<", ">24:09.38<"));
        std::fs::write(dir.path().join("sizes.txt"), "wheel: 1725825 polaroid.whl\n").unwrap();
        let sizes = "<!--text s=sizes.txt-->\n<!--fig s wheel:\\s(\\d+) match-bytes-->?<!--/fig-->";
        assert_eq!(render(&doc, sizes).unwrap(), sizes.replace(">?<", ">1.65 MiB<"));
        let e = render(&doc, &text.replace("match-->", "median-->")).unwrap_err().to_string();
        assert!(e.contains("PATTERN match"), "{e}");
        let e = render(&doc, &text.replace("wall", "cpu")).unwrap_err().to_string();
        assert!(e.contains("matches nothing"), "{e}");
    }

    /// Binding syntax in code is an example (docs/render.md's), not a binding.
    #[test]
    fn bindings_in_code_are_examples() {
        let text = "Write `<!--results NAME=PATH-->` and `` <!--fig NAME KEY STAT-->x<!--/fig--> ``:\n```markdown\n<!--results r=x.json-->\nA <!--fig r k median-->1<!--/fig-->\n```\n";
        assert_eq!(bindings(Path::new("doc.md"), text).unwrap(), Vec::new());
        let real = format!("{text}<!--results r=x.json-->\nB <!--fig r k median-->2<!--/fig-->\n");
        // A pattern holding a backtick is not a code span: both bindings of the line are found.
        let ticks = "<!--text t=x.txt-->\n| <!--fig t a`\\s(\\w+) match-->x<!--/fig--> | <!--fig t b`\\s(\\w+) match-->y<!--/fig--> |\n";
        assert_eq!(bindings(Path::new("doc.md"), ticks).unwrap().len(), 2);
        let found = bindings(Path::new("doc.md"), &real).unwrap();
        assert_eq!((found.len(), found[0].line), (1, 7), "{found:?}");
    }

    #[test]
    fn ranges_share_their_unit() {
        assert_eq!(range_text("1.32 GiB", "1.63 GiB"), "1.32-1.63 GiB");
        assert_eq!(range_text("512 MiB", "1.20 GiB"), "512 MiB-1.20 GiB");
        assert_eq!(range_text("2", "2"), "2");
        assert_eq!((thousands(5_059_986_958), thousands(999), thousands(-1_000)), (String::from("5,059,986,958"), String::from("999"), String::from("-1,000")));
        assert_eq!((units::count(120e6), units::count(4500.0), units::count(30.0)), (String::from("120 M"), String::from("4.50 k"), String::from("30")));
    }
}
