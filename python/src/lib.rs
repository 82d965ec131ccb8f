//! `polaroid._native`: the few calls the Python package makes into Rust. Everything here is a thin skin over
//! `polaroid-results` (the result model, statistics, charts, reports); the Python API, its docstrings and the
//! running of the `polaroid-bench` binary live in `python/polaroid/*.py`. No Polars is linked: measurements run
//! in processes of the `polaroid-bench` binary.
//!
//! Every error leaves through [`err`], as `polaroid.PolaroidError` with the Rust message.

use std::path::{Path, PathBuf};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use polaroid_results::compare::{self, CompareOptions, Comparison, FailOn, Noise};
use polaroid_results::{RunResult, catalog, events, history, render, report, rows, table};

create_exception!(_native, PolaroidError, PyException, "An error polaroid reports: the message says what to fix.");

/// The one place a Rust error becomes a Python exception: its message and each cause, once.
fn err(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> PyErr {
    PolaroidError::new_err(polaroid_results::error::chain(e.into().as_ref()))
}

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(err)
}

/// A loaded result document, labelled by its file name (kept as the one-run list the report functions take).
#[pyclass(frozen, module = "polaroid._native")]
struct NativeRun {
    runs: [(String, RunResult); 1],
}

impl NativeRun {
    fn result(&self) -> &RunResult {
        &self.runs[0].1
    }

    fn of(path: &Path, result: RunResult) -> NativeRun {
        NativeRun { runs: [(polaroid_results::label(path), result)] }
    }
}

#[pymethods]
impl NativeRun {
    /// The label reports use (the file name).
    #[getter]
    fn label(&self) -> &str {
        &self.runs[0].0
    }

    /// Measurements in the document.
    #[getter]
    fn measurements(&self) -> usize {
        self.result().measurements.len()
    }

    /// Measurements that failed (an error or a wrong answer).
    #[getter]
    fn failures(&self) -> usize {
        self.result().failures()
    }

    /// The document as JSON (schema 2, upgraded on load).
    fn to_json(&self) -> PyResult<String> {
        json(self.result())
    }

    /// One flat row per measurement (`polaroid_results::rows::Row`), as a JSON array.
    fn rows_json(&self) -> PyResult<String> {
        json(&rows::rows(self.result()))
    }

    /// The summary table, as the CLI prints it.
    fn summary(&self) -> String {
        table::summary_table(self.result())
    }

    /// The charts the report shows: `(name, caption, svg)` each.
    fn charts(&self) -> PyResult<Vec<(String, String, String)>> {
        let charts = report::charts(&self.runs).map_err(err)?;
        Ok(charts.into_iter().map(|c| (c.name, c.caption, c.svg)).collect())
    }

    /// The report as an HTML fragment (CSS scoped to one root class, no script).
    fn fragment(&self, title: &str, command: &str) -> PyResult<String> {
        report::build_fragment(title, &self.runs, command).map_err(err)
    }

    /// Writes the report directory (index.md, index.html, charts/*.svg); returns the number of charts.
    fn write_report(&self, out_dir: PathBuf, title: &str, command: &str) -> PyResult<usize> {
        let r = report::build(title, &self.runs, command).map_err(err)?;
        r.write_dir(&out_dir).map_err(err)?;
        Ok(r.charts.len())
    }
}

/// Reads a result file (JSON, plain or gzip-compressed).
#[pyfunction]
fn load(path: PathBuf) -> PyResult<NativeRun> {
    Ok(NativeRun::of(&path, RunResult::load(&path).map_err(err)?))
}

/// A comparison of two runs, by the rule the CI gate uses.
#[pyclass(frozen, module = "polaroid._native")]
struct NativeComparison {
    comparison: Comparison,
}

#[pymethods]
impl NativeComparison {
    /// Whether the gate fails.
    #[getter]
    fn fails(&self) -> bool {
        self.comparison.fails()
    }

    /// The exit code `polaroid-bench compare` would give (0 pass, 1 time regression, 3 memory only).
    #[getter]
    fn exit_code(&self) -> u8 {
        self.comparison.exit_code()
    }

    /// The gate's one line.
    #[getter]
    fn gate_line(&self) -> String {
        self.comparison.gate_line()
    }

    /// Warnings (different hardware, untestable measurements).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.comparison.warnings.clone()
    }

    /// The Markdown for a pull-request comment.
    fn markdown(&self) -> String {
        compare::markdown(&self.comparison)
    }

    /// The comparison as an HTML fragment with the chart of the change.
    fn fragment(&self) -> PyResult<String> {
        report::comparison_fragment(&self.comparison).map_err(err)
    }

    /// The chart of the change, as SVG (`None` when nothing has a time to compare).
    fn change_chart(&self) -> PyResult<Option<String>> {
        if self.comparison.rows.iter().all(|r| r.time.is_none()) {
            return Ok(None);
        }
        polaroid_results::chart::change::render(&self.comparison).map(Some).map_err(err)
    }

    /// The whole comparison as JSON (options, rows with their changes and tests).
    fn to_json(&self) -> PyResult<String> {
        json(&self.comparison)
    }
}

/// Compares `base` with `new`. `fail_on`: `time`, `memory`, `any` or `none`; `noise`: a noise.json from
/// `polaroid-bench noise`.
#[pyfunction]
#[pyo3(signature = (base, new, noise_floor, fail_on, noise=None))]
fn compare_runs(base: &NativeRun, new: &NativeRun, noise_floor: f64, fail_on: &str, noise: Option<PathBuf>) -> PyResult<NativeComparison> {
    let fail_on: FailOn = serde_json::from_value(serde_json::Value::String(fail_on.into()))
        .map_err(|_| err(format!("fail_on={fail_on:?} is not one of \"time\", \"memory\", \"any\", \"none\"")))?;
    if !(noise_floor.is_finite() && (0.0..1.0).contains(&noise_floor)) {
        return Err(err(format!("noise_floor={noise_floor} must be a fraction in [0, 1), e.g. 0.05 for 5%")));
    }
    let noise = noise.map(|p| Noise::load(&p)).transpose().map_err(err)?;
    let options = CompareOptions { noise_floor, fail_on, noise, ..CompareOptions::default() };
    let comparison = compare::compare(base.result(), new.result(), &base.runs[0].0, &new.runs[0].0, options).map_err(err)?;
    Ok(NativeComparison { comparison })
}

/// The history of the result files in `dir`: `(fragment, charts as (file name, svg), runs, skipped files)`.
#[pyfunction]
fn history_of(dir: PathBuf, command: &str) -> PyResult<(String, Vec<(String, String)>, usize, Vec<String>)> {
    let (mut runs, skipped) = history::load_dir(&dir).map_err(err)?;
    let r = history::build(&mut runs, command).map_err(err)?;
    Ok((r.fragment, r.charts, runs.len(), skipped))
}

/// Where a binary of polaroid is, `polaroid-bench` or `polaroid-server` (`explicit`, its environment variable,
/// `PATH`, `candidates`, the scripts' build); the error names every place looked at.
#[pyfunction]
#[pyo3(signature = (explicit=None, candidates=Vec::new(), name="polaroid-bench"))]
fn locate(explicit: Option<PathBuf>, candidates: Vec<PathBuf>, name: &str) -> PyResult<PathBuf> {
    use polaroid_results::binary::{BENCH, SERVER};
    let binary = [BENCH, SERVER].into_iter().find(|b| b.name == name).ok_or_else(|| err(format!("no polaroid binary is called '{name}'")))?;
    binary.locate(explicit.as_deref(), &candidates).map_err(err)
}

/// The line a person reads for one `--progress jsonl` event (`None` for events with nothing to say).
#[pyfunction]
fn event_line(line: &str) -> PyResult<Option<String>> {
    let event: events::Event = serde_json::from_str(line).map_err(|e| err(format!("not a progress event ({e}): {line}")))?;
    Ok(event.line())
}

/// Markdown with its bound figures filled from their result files, whose paths are relative to `path`'s directory
/// (`path` need not exist: a notebook's paragraph is rendered as if it were there). See `polaroid_results::render`.
#[pyfunction]
fn render_markdown(path: PathBuf, text: &str) -> PyResult<String> {
    render::render(&path, text).map_err(err)
}

/// The bound figures of a Markdown text that differ from their result files: (line, file, key, stat, written, computed).
#[pyfunction]
fn check_markdown(path: PathBuf, text: &str) -> PyResult<Vec<(usize, String, String, String, String, String)>> {
    let stale = render::check(&path, text).map_err(err)?;
    Ok(stale.into_iter().map(|s| (s.binding.line, s.binding.file, s.binding.key, s.binding.stat, s.written, s.computed)).collect())
}

/// The URL in the first line a serving process prints (`polaroid_results::launch::announced`), if it is one.
#[pyfunction]
fn announced(line: &str) -> Option<String> {
    polaroid_results::launch::announced(line).map(str::to_string)
}

/// The command line of `polaroid-bench run` after the binary (`polaroid_results::launch::RunRequest`), and its
/// result file (`out`, or the default name). `options` are other options: (name, value or None for a flag).
#[pyfunction]
#[pyo3(signature = (suite, workloads, engines, runs, out, resume, options))]
fn run_argv(
    suite: &str, workloads: Vec<String>, engines: Vec<String>, runs: Option<u32>, out: Option<PathBuf>, resume: bool,
    options: Vec<(String, Option<String>)>,
) -> PyResult<(Vec<std::ffi::OsString>, PathBuf)> {
    let mut request = polaroid_results::launch::RunRequest::new(suite, out, resume).map_err(err)?;
    request.workloads.extend(workloads);
    request.engines = engines;
    request.runs = runs;
    request.options = options;
    request.prepare().map_err(err)?;
    Ok((request.argv(), request.out))
}

/// Whether a finished run was interrupted (`code`: its exit code, `None` if a signal ended it); raises
/// PolaroidError with the binary's own message if it failed.
#[pyfunction]
#[pyo3(signature = (code, stderr))]
fn run_interrupted(code: Option<i32>, stderr: &str) -> PyResult<bool> {
    use polaroid_results::launch::{Ending, classify};
    Ok(classify(code, stderr).map_err(err)? == Ending::Interrupted)
}

/// The catalog (`polaroid-bench list --format json`) as the text `list` prints.
#[pyfunction]
fn catalog_text(catalog_json: &str) -> PyResult<String> {
    let c: catalog::Catalog = serde_json::from_str(catalog_json).map_err(|e| err(format!("not a polaroid-bench catalog: {e}")))?;
    Ok(c.text())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("PolaroidError", m.py().get_type::<PolaroidError>())?;
    m.add_class::<NativeRun>()?;
    m.add_class::<NativeComparison>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(compare_runs, m)?)?;
    m.add_function(wrap_pyfunction!(history_of, m)?)?;
    m.add_function(wrap_pyfunction!(locate, m)?)?;
    m.add_function(wrap_pyfunction!(event_line, m)?)?;
    m.add_function(wrap_pyfunction!(catalog_text, m)?)?;
    m.add_function(wrap_pyfunction!(announced, m)?)?;
    m.add_function(wrap_pyfunction!(render_markdown, m)?)?;
    m.add_function(wrap_pyfunction!(check_markdown, m)?)?;
    m.add_function(wrap_pyfunction!(run_argv, m)?)?;
    m.add_function(wrap_pyfunction!(run_interrupted, m)?)?;
    m.add("INTERRUPTED", polaroid_results::launch::INTERRUPTED)?;
    Ok(())
}
