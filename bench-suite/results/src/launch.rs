//! Starting polaroid's processes from a front end, in one place: the argv of `polaroid-bench run`, where its result
//! goes when not told, what its exit code means, and the address a serving process announces.
//!
//! The CLI, the Jupyter kernel's prelude and the Python package (through its native module) all call this; none
//! keeps its own copy. docs/progress.md describes the exit codes and the events a run writes.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Exit code of a run that finished with a failed measurement (an error or a wrong answer); every other result is
/// kept in the file.
pub const FAILED_MEASUREMENTS: u8 = 3;
/// Exit code of a run stopped by Ctrl-C or SIGTERM; its finished measurements are kept and `--resume` finishes it.
pub const INTERRUPTED: u8 = 130;

/// Where results go when the user names no place: `polaroid-results/` under the working directory.
pub const RESULTS_DIR: &str = "polaroid-results";

/// The current UTC time as results are named: `20261130T073037Z`.
pub fn stamp() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second())
}

/// A path under [`RESULTS_DIR`] named `<stem>-<UTC time><extension>` that does not exist yet (a second run in the
/// same second gets `-2`, `-3`, ...): where `run` (`<suite>-<time>.json`), `compare-run` and `noise` (directories,
/// no extension) write when not told.
pub fn default_path(stem: &str, extension: &str) -> PathBuf {
    let base = format!("{stem}-{}", stamp());
    let mut path = Path::new(RESULTS_DIR).join(format!("{base}{extension}"));
    let mut n = 2;
    while path.exists() {
        path = Path::new(RESULTS_DIR).join(format!("{base}-{n}{extension}"));
        n += 1;
    }
    path
}

/// The result file of a run of `suite` when none is named: `polaroid-results/<suite>-<UTC time>.json`.
pub fn default_out(suite: &str) -> PathBuf {
    default_path(suite, ".json")
}

/// A `polaroid-bench run` as a front end asks for it. [`RunRequest::argv`] is its command line, with
/// `--progress jsonl` so its events can be read from stdout ([`crate::events::Event`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    /// Dataset size: `smoke`, `default` or `large`.
    pub suite: String,
    /// Only these workloads (empty: all).
    pub workloads: Vec<String>,
    /// Only these variants (empty: each workload's own).
    pub engines: Vec<String>,
    /// Timed runs per process (`None`: the workload's default).
    pub runs: Option<u32>,
    /// The result file; [`RunRequest::new`] fills in [`default_out`].
    pub out: PathBuf,
    /// Finish the stopped run in `out`.
    pub resume: bool,
    /// Any other option: its name without dashes (`processes`, `memory_cap` or `memory-cap`) and its value (`None`
    /// for a flag such as `no_calibrate`).
    pub options: Vec<(String, Option<String>)>,
}

impl RunRequest {
    /// A run of `suite` into `out`, or into [`default_out`] when `out` is `None`. A resume needs the file it finishes.
    ///
    /// `suite` may name a workload file instead (`*.toml`, docs/workload-files.md): that file's queries run, with the
    /// `default` size's settings under the file's own `[run]`, into `polaroid-results/<file name>-<UTC time>.json`.
    pub fn new(suite: &str, out: Option<PathBuf>, resume: bool) -> Result<Self> {
        let (size, workloads, stem) = match suite.strip_suffix(".toml") {
            Some(stem) => {
                let name = Path::new(stem).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "workload".into());
                ("default", vec![suite.to_string()], name)
            }
            None => (suite, vec![], suite.to_string()),
        };
        let out = match out {
            Some(out) => out,
            None if resume => return Err(Error::Launch("a resumed run needs the result file it finishes: `out=` in Python, `--out` on the command line".into())),
            None => default_out(&stem),
        };
        Ok(RunRequest { suite: size.into(), workloads, engines: vec![], runs: None, out, resume, options: vec![] })
    }

    /// The arguments after the binary: `run --suite S [--workload W]... [--engine E]... [--runs N] [--resume]
    /// [--option value]... --progress jsonl --out FILE`.
    pub fn argv(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["run".into(), "--suite".into(), self.suite.clone().into()];
        for (flag, values) in [("--workload", &self.workloads), ("--engine", &self.engines)] {
            for v in values {
                args.extend([flag.into(), v.into()]);
            }
        }
        if let Some(runs) = self.runs {
            args.extend(["--runs".into(), runs.to_string().into()]);
        }
        if self.resume {
            args.push("--resume".into());
        }
        for (name, value) in &self.options {
            args.push(format!("--{}", name.trim_start_matches('-').replace('_', "-")).into());
            if let Some(v) = value {
                args.push(v.into());
            }
        }
        args.extend(["--progress".into(), "jsonl".into(), "--out".into(), self.out.clone().into()]);
        args
    }

    /// Creates the result file's directory (the binary writes the file).
    pub fn prepare(&self) -> Result<()> {
        match self.out.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => std::fs::create_dir_all(dir).map_err(|source| Error::Io { action: "create the directory of", path: self.out.clone(), source }),
            None => Ok(()),
        }
    }
}

/// How a run ended, from its exit code: every measurement made (some may have failed: exit 3, recorded in the file),
/// or stopped early with the finished ones kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Exit 0 or [`FAILED_MEASUREMENTS`].
    Finished,
    /// Exit [`INTERRUPTED`], or killed by a signal.
    Interrupted,
}

/// What a finished `polaroid-bench` process means: `code` is its exit code (`None`: killed by a signal), `stderr`
/// what it wrote there. Any other exit is an error carrying the process' own `error:` line (or its last lines).
pub fn classify(code: Option<i32>, stderr: &str) -> Result<Ending> {
    match code {
        Some(0) => Ok(Ending::Finished),
        Some(c) if c == i32::from(FAILED_MEASUREMENTS) => Ok(Ending::Finished),
        Some(c) if c == i32::from(INTERRUPTED) => Ok(Ending::Interrupted),
        None => Ok(Ending::Interrupted),
        Some(code) => Err(Error::RunFailed { command: "run", code, message: failure_message(stderr) }),
    }
}

/// The reason a process gave for failing: its `error:` lines (without the prefix), else its last five lines.
pub fn failure_message(stderr: &str) -> String {
    let errors: Vec<&str> = stderr.lines().filter_map(|l| l.strip_prefix("error: ")).collect();
    if !errors.is_empty() {
        return errors.join("\n");
    }
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

/// The first line a serving process (`polaroid-server serve`, `polaroid-bench feed`) prints on stdout, once it
/// accepts connections: `<what> listening on <url>`.
pub fn announce(what: &str, url: &str) -> String {
    format!("{what} listening on {url}")
}

/// The URL in a line [`announce`] made, if it is one.
pub fn announced(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once(" listening on ")?;
    rest.split_whitespace().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_becomes_the_run_command_line() {
        let mut r = RunRequest::new("smoke", Some("out/r.json".into()), false).unwrap();
        r.workloads = vec!["batch-read".into()];
        r.engines = vec!["polaroid".into(), "polars-lazy".into()];
        r.runs = Some(4);
        r.options = vec![("memory_cap".into(), Some("1GiB".into())), ("no-calibrate".into(), None)];
        let argv: Vec<String> = r.argv().into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(
            argv.join(" "),
            "run --suite smoke --workload batch-read --engine polaroid --engine polars-lazy --runs 4 --memory-cap 1GiB --no-calibrate --progress jsonl --out out/r.json"
        );
    }

    #[test]
    fn a_default_result_file_is_named_by_suite_and_time() {
        let r = RunRequest::new("default", None, false).unwrap();
        let name = r.out.file_name().unwrap().to_str().unwrap().to_string();
        assert!(r.out.starts_with(RESULTS_DIR), "{}", r.out.display());
        assert!(name.starts_with("default-2") && name.ends_with("Z.json") && name.len() == "default-20261130T073037Z.json".len(), "{name}");
        assert!(matches!(RunRequest::new("smoke", None, true), Err(Error::Launch(m)) if m.contains("out")));
    }

    #[test]
    fn a_workload_file_in_place_of_a_suite_runs_that_file_at_default_settings() {
        let r = RunRequest::new("work/my-shop.toml", None, false).unwrap();
        let argv: Vec<String> = r.argv().into_iter().map(|a| a.into_string().unwrap()).collect();
        assert!(argv.join(" ").starts_with("run --suite default --workload work/my-shop.toml --progress jsonl"), "{argv:?}");
        assert!(r.out.file_name().unwrap().to_str().unwrap().starts_with("my-shop-2"), "{}", r.out.display());
    }

    #[test]
    fn exit_codes_mean_one_thing_everywhere() {
        assert_eq!(classify(Some(0), "").unwrap(), Ending::Finished);
        assert_eq!(classify(Some(3), "2 measurement(s) failed").unwrap(), Ending::Finished);
        assert_eq!(classify(Some(130), "interrupted").unwrap(), Ending::Interrupted);
        assert_eq!(classify(None, "").unwrap(), Ending::Interrupted);
        let e = classify(Some(2), "warming up\nerror: unknown workload 'x'; known: batch-read\n").unwrap_err();
        assert!(matches!(&e, Error::RunFailed { code: 2, message, .. } if message == "unknown workload 'x'; known: batch-read"), "{e}");
        let e = classify(Some(101), "a\nb\nc\nd\ne\nthread 'main' panicked\n").unwrap_err();
        assert!(matches!(&e, Error::RunFailed { message, .. } if message == "b\nc\nd\ne\nthread 'main' panicked"), "{e}");
    }

    #[test]
    fn an_announced_address_is_read_back() {
        let line = announce("polaroid-server", "grpc://127.0.0.1:50051");
        assert_eq!(line, "polaroid-server listening on grpc://127.0.0.1:50051");
        assert_eq!(announced(&line), Some("grpc://127.0.0.1:50051"));
        assert_eq!(announced("polaroid-bench feed listening on ws://127.0.0.1:9/feed (paced)"), Some("ws://127.0.0.1:9/feed"));
        assert_eq!(announced("loading trades"), None);
    }
}
