//! The prelude of polaroid's Rust Jupyter kernel: what a notebook cell calls after `use polaroid_kernel::prelude::*`.
//!
//! A thin skin over `polaroid-results` (no Polars, so evcxr loads it in seconds): [`run`] drives the release
//! `polaroid-bench` binary with `--progress jsonl` and prints one line per finished measurement (evcxr shows a
//! cell's output as it comes but cannot update a display), [`load`], [`compare`], [`workloads`]; results, charts and
//! comparisons display themselves through evcxr's content protocol (`evcxr_display`: the report's HTML fragment, a
//! chart's SVG). Measurements never run inside evcxr's debug build: they run in processes of the release binary.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use polaroid_results::compare::{self, CompareOptions};
use polaroid_results::{RunResult, events, launch, report, rows, table};

/// What can go wrong in a cell.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// From the result library: a file that is not a result, a missing binary, a chart that cannot be drawn.
    #[error(transparent)]
    Results(#[from] polaroid_results::Error),
    /// The binary could not be started or read.
    #[error("cannot run {binary}")]
    Start {
        /// The binary.
        binary: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// Result alias of the prelude.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a notebook needs: `use polaroid_kernel::prelude::*;`.
pub mod prelude {
    pub use crate::{Chart, Comparison, Run, RunOptions, compare, load, report, run, workloads};
    pub use polaroid_results::Role;
    pub use polaroid_results::rows::Row;
}

/// What to run: `run("smoke")` is `RunOptions::new("smoke").start()`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    suite: String,
    workloads: Vec<String>,
    engines: Vec<String>,
    options: Vec<(String, Option<String>)>,
    out: Option<PathBuf>,
    binary: Option<PathBuf>,
}

impl RunOptions {
    /// A run of the suite `suite` (`smoke`, `default`, `large`).
    pub fn new(suite: &str) -> Self {
        RunOptions { suite: suite.into(), workloads: vec![], engines: vec![], options: vec![], out: None, binary: None }
    }

    /// Only these workloads.
    pub fn workloads(mut self, names: &[&str]) -> Self {
        self.workloads.extend(names.iter().map(|n| n.to_string()));
        self
    }

    /// Only these variants.
    pub fn engines(mut self, names: &[&str]) -> Self {
        self.engines.extend(names.iter().map(|n| n.to_string()));
        self
    }

    /// The result file (default: `polaroid-results/<suite>-<UTC time>.json`).
    pub fn out(mut self, path: impl Into<PathBuf>) -> Self {
        self.out = Some(path.into());
        self
    }

    /// Any other `polaroid-bench run` option, e.g. `.arg("--processes", "3")` or `.arg("--no-calibrate", "")`.
    pub fn arg(mut self, flag: &str, value: &str) -> Self {
        self.options.push((flag.into(), (!value.is_empty()).then(|| value.to_string())));
        self
    }

    /// The binary to run (default: found as every front end finds it, see `polaroid_results::binary::locate`).
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.binary = Some(path.into());
        self
    }

    /// Runs it, printing one line per finished measurement, and returns what it measured.
    pub fn start(self) -> Result<Run> {
        let binary = polaroid_results::binary::locate(self.binary.as_deref(), &[])?;
        // The command line, default result name and exit codes every front end shares.
        let mut request = launch::RunRequest::new(&self.suite, self.out, false)?;
        request.workloads.extend(self.workloads);
        request.engines = self.engines;
        request.options = self.options;
        request.prepare()?;
        let start = |source| Error::Start { binary: binary.clone(), source };
        let mut child = Command::new(&binary).args(request.argv()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(start)?;
        let mut stderr = child.stderr.take().expect("stderr was piped");
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        for line in BufReader::new(child.stdout.take().expect("stdout was piped")).lines() {
            let line = line.map_err(start)?;
            if let Some(text) = serde_json::from_str::<events::Event>(&line).ok().and_then(|e| e.line()) {
                println!("{text}");
            }
        }
        let code = child.wait().map_err(start)?.code();
        let ending = launch::classify(code, &errors.join().unwrap_or_default())?;
        let mut run = load(&request.out)?;
        run.interrupted = ending == launch::Ending::Interrupted;
        Ok(run)
    }
}

/// Runs the suite `suite` with its defaults: `run("smoke")`; or a workload file, `run("my-workload.toml")` (its
/// tables and SQL on every engine, docs/workload-files.md). See [`RunOptions`] for the rest.
pub fn run(suite: &str) -> Result<Run> {
    RunOptions::new(suite).start()
}

/// A result document.
#[derive(Debug, Clone)]
pub struct Run {
    /// Where it was read from.
    pub path: PathBuf,
    /// The document.
    pub result: RunResult,
    /// Whether the run was stopped before it finished.
    pub interrupted: bool,
}

/// Reads a result file (JSON, plain or gzip-compressed).
pub fn load(path: impl AsRef<Path>) -> Result<Run> {
    let path = path.as_ref().to_path_buf();
    Ok(Run { result: RunResult::load(&path)?, path, interrupted: false })
}

impl Run {
    fn label(&self) -> String {
        polaroid_results::label(&self.path)
    }

    /// One flat row per measurement (key, variant, role, parameters, median and interval, verdict, ...).
    pub fn rows(&self) -> Vec<rows::Row> {
        rows::rows(&self.result)
    }

    /// The summary table the CLI prints.
    pub fn summary(&self) -> String {
        table::summary_table(&self.result)
    }

    /// The charts the report shows.
    pub fn charts(&self) -> Result<Vec<Chart>> {
        let charts = report::charts(&[(self.label(), self.result.clone())])?;
        Ok(charts.into_iter().map(|c| Chart { name: c.name, caption: c.caption, svg: c.svg }).collect())
    }

    /// Writes index.md, index.html and charts/*.svg into `dir`; returns the path of index.html.
    pub fn report(&self, dir: impl AsRef<Path>) -> Result<PathBuf> {
        report(&[self], "polaroid benchmark report", dir)
    }

    /// What evcxr shows for the value of a cell: the report as an HTML fragment with its charts.
    pub fn display_text(&self) -> Result<String> {
        let title = format!("polaroid run: {}{}", self.label(), if self.interrupted { " (interrupted)" } else { "" });
        let fragment = report::build_fragment(&title, &[(self.label(), self.result.clone())], &format!("{}", self.path.display()))?;
        Ok(content("text/html", &fragment))
    }

    /// evcxr's display hook.
    pub fn evcxr_display(&self) {
        show(self.display_text());
    }
}

/// One chart: file stem, caption and the SVG document.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem.
    pub name: String,
    /// What it shows.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

impl Chart {
    /// What evcxr shows: the SVG.
    pub fn display_text(&self) -> String {
        content("image/svg+xml", &self.svg)
    }

    /// evcxr's display hook.
    pub fn evcxr_display(&self) {
        print!("{}", self.display_text());
    }
}

/// Two runs compared by the CI gate's rule.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The comparison: rows with their changes, tests and verdicts.
    pub comparison: compare::Comparison,
}

/// Compares `base` with `new` as `polaroid-bench compare` does (5% noise floor, fail on time).
pub fn compare(base: &Run, new: &Run) -> Result<Comparison> {
    let comparison = compare::compare(&base.result, &new.result, &base.label(), &new.label(), CompareOptions::default())?;
    Ok(Comparison { comparison })
}

impl Comparison {
    /// Whether the gate fails; [`Comparison::exit_code`] is what `polaroid-bench compare` would exit with.
    pub fn fails(&self) -> bool {
        self.comparison.fails()
    }

    /// 0 pass, 1 time regression, 3 memory regression only.
    pub fn exit_code(&self) -> u8 {
        self.comparison.exit_code()
    }

    /// The Markdown a pull-request comment carries.
    pub fn markdown(&self) -> String {
        compare::markdown(&self.comparison)
    }

    /// The chart of the change per measurement.
    pub fn chart(&self) -> Result<Chart> {
        let svg = polaroid_results::chart::change::render(&self.comparison)?;
        Ok(Chart { name: "change".into(), caption: "change per measurement".into(), svg })
    }

    /// What evcxr shows: the comparison as an HTML fragment with the chart of the change.
    pub fn display_text(&self) -> Result<String> {
        Ok(content("text/html", &report::comparison_fragment(&self.comparison)?))
    }

    /// evcxr's display hook.
    pub fn evcxr_display(&self) {
        show(self.display_text());
    }
}

/// Writes the report of one or more runs (as `polaroid-bench report` does: index.md, index.html, charts/*.svg) into
/// `dir`; returns the path of index.html.
pub fn report(runs: &[&Run], title: &str, dir: impl AsRef<Path>) -> Result<PathBuf> {
    let labelled: Vec<(String, RunResult)> = runs.iter().map(|r| (r.label(), r.result.clone())).collect();
    let paths: Vec<String> = runs.iter().map(|r| format!("{:?}", r.path)).collect();
    let r = report::build(title, &labelled, &format!("polaroid_kernel::report of {}", paths.join(", ")))?;
    r.write_dir(dir.as_ref())?;
    Ok(dir.as_ref().join("index.html"))
}

/// The catalog of the binary (`polaroid-bench list`), as text.
pub fn workloads() -> Result<String> {
    let binary = polaroid_results::binary::locate(None, &[])?;
    let out = Command::new(&binary).arg("list").output().map_err(|source| Error::Start { binary: binary.clone(), source })?;
    if !out.status.success() {
        let message = launch::failure_message(&String::from_utf8_lossy(&out.stderr));
        return Err(polaroid_results::Error::RunFailed { command: "list", code: out.status.code().unwrap_or(-1), message }.into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One block of evcxr's content protocol.
fn content(mime: &str, body: &str) -> String {
    format!("EVCXR_BEGIN_CONTENT {mime}\n{body}\nEVCXR_END_CONTENT\n")
}

/// Prints a display, or the error instead of it (a display hook cannot return one).
fn show(text: Result<String>) {
    match text {
        Ok(t) => print!("{t}"),
        Err(e) => eprintln!("error: cannot display this value: {}", polaroid_results::error::chain(&e)),
    }
}

#[cfg(test)]
mod tests;
