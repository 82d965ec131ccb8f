//! Command-line definition (clap lives here and nowhere else). Every option also reads a `POLAROID_*` variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use polaroid_bench::Size;
use polaroid_bench::runner::{Cancel, RunOptions};

/// Benchmarks dataframe engines (Polars variants and the polaroid async engine) on the same Parquet data.
///
/// Every measurement runs in its own process under a kernel-enforced memory cap; each variant's answer is checked
/// against the others before its timing counts; results go to one versioned JSON file, rewritten after every
/// measurement.
#[derive(Debug, Parser)]
#[command(name = "polaroid-bench", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 every measurement finished (oom and timeout are findings, not failures); \
1 the run could not be made (bad option, unreadable input, unwritable output); 2 bad command line; \
3 the run finished but a measurement failed with an error or a wrong answer; 130 interrupted by Ctrl-C or SIGTERM \
(finished measurements are in the result file; `run --out FILE --resume` finishes the run).";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run workloads and write a result file.
    ///
    /// Examples:
    ///   polaroid-bench run                                   # default suite, every workload and variant
    ///   polaroid-bench run --suite smoke                     # seconds: check that everything works
    ///   polaroid-bench run --workload batch-read --engine polars-lazy --engine polars-streaming
    ///   polaroid-bench run --out results.json --resume       # finish an interrupted run
    ///   polaroid-bench run my-workload.toml                  # your Parquet tables and SQL (docs/workload-files.md)
    #[command(verbatim_doc_comment)]
    Run(RunArgs),
    /// List workloads, their tasks, engine variants (with their roles) and suite sizes, and what each times.
    ///
    /// With a workload file: its queries (with their parameters), the engines that run them, and the settings.
    List {
        /// A workload file (*.toml) to list instead of the built-in workloads.
        workload_file: Option<PathBuf>,
        /// `json` for programs (the `Catalog` of crate polaroid-results).
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// Generate (or verify) the datasets of a suite without measuring.
    Datagen(DataArgs),
    /// Measure this machine's limits: memory bandwidth and Parquet decode throughput (1 core and all cores).
    Calibrate(DataArgs),
    /// Serve the streaming workload's tick feed: a WebSocket server on 127.0.0.1 replaying trades as JSON.
    ///
    /// Each session starts when --connections clients are connected (ws://127.0.0.1:PORT/feed?conn=0, ...)
    /// and replays the trades at --rate ticks per second (unpaced without it), then sends an `end` message.
    /// The message format is documented in docs/methodology.md.
    ///
    /// Examples:
    ///   polaroid-bench feed --rate 100000                  # the default dataset's trades at 100k ticks/s
    ///   cargo run --release -p polaroid-bench --example feed_client -- ws://127.0.0.1:PORT/feed
    #[command(verbatim_doc_comment)]
    Feed(FeedArgs),
    /// Write a report (index.md, a self-contained index.html, charts/*.svg and *.png) from one or more result files
    /// (JSON, plain or gzip-compressed).
    ///
    /// Sections: environment and provenance, methodology, per-workload findings with tables and charts, where
    /// each engine wins and loses, failures. Every number comes from the files.
    ///
    /// Examples:
    ///   polaroid-bench report polaroid-results/default-*.json --out reports/my-machine/
    #[command(verbatim_doc_comment)]
    Report(ReportArgs),
    /// Trend of many result files (*.json, *.json.gz) in a directory: per task, each variant's median per run, with charts.
    ///
    /// Examples:
    ///   polaroid-bench history polaroid-results/ --out reports/history/
    #[command(verbatim_doc_comment)]
    History(HistoryArgs),
    /// Fill, or check, the figures a Markdown document binds to result files.
    ///
    /// A document names its result files with <!--results NAME=PATH--> (relative to it) and holds
    /// each figure it quotes between <!--fig NAME KEY STAT--> and <!--/fig-->. Markdown does not
    /// show the comments, so a document is its own template. `render` writes every figure from
    /// its file (in place, or into --out); `render --check` changes nothing and fails where a
    /// figure no longer says what its file says, and counts the figures typed by hand (a number
    /// with a unit outside any binding; <!--unbound REASON--> on a line says why its figures are).
    /// Directories are searched for *.md. The statistics (median, ci, peak-rss, ratio=KEY,
    /// verdict=KEY, ...) are listed in docs/render.md.
    ///
    /// Exit codes: 0 every bound figure agrees with its file (or was written); 1 a figure differs
    /// (--check); 2 a binding, a document or a result file cannot be read.
    ///
    /// Examples:
    ///   polaroid-bench render reports/my-run/README.md            # fill its figures in place
    ///   polaroid-bench render TEMPLATE.md --out REPORT.md
    ///   polaroid-bench render --check README.md docs reports       # what the test command runs
    ///   polaroid-bench render --check --unbound docs               # and list every hand-typed figure
    #[command(verbatim_doc_comment)]
    Render(RenderArgs),
    /// Compare two result files: the CI regression gate.
    ///
    /// Time and peak memory of each measurement are tested with the measurement process as
    /// the unit (a t-test on per-process medians, paired when both files come from one
    /// `compare-run`), Holm-adjusted over the whole comparison. A change counts only when
    /// significant, its 95% interval excludes no change, and it is beyond the noise floor.
    /// Prints Markdown (or JSON) for a pull-request comment. See docs/ci.md.
    ///
    /// Exit codes: 0 no significant regression; 1 a time (or throughput) regression, or a
    /// measurement that stopped finishing; 3 a memory regression only; 2 the files cannot
    /// be compared or read.
    ///
    /// Examples:
    ///   polaroid-bench compare base.json new.json
    ///   polaroid-bench compare base.json new.json --noise noise.json --fail-on any --format json --out cmp.json
    #[command(verbatim_doc_comment)]
    Compare(CompareArgs),
    /// Measure two builds interleaved and compare them: the CI gate in one job.
    ///
    /// For every measurement, processes of the two binaries alternate (base, new, new,
    /// base, ...), so drift of the machine hits both alike. By default the design is
    /// sequential: 3 processes a side, then pairs added to the measurements still
    /// undecided until each is decided or --budget (15m) is spent; compare.md names those
    /// left undecided and the slowdown each could still hide. Writes base.json, new.json
    /// and compare.md into --out-dir and exits like `compare`. See docs/ci.md.
    ///
    /// Examples:
    ///   polaroid-bench compare-run --base ../base/polaroid-bench --workload batch-read
    ///   polaroid-bench compare-run --base OLD --new NEW --budget 30m --out-dir cmp
    ///   polaroid-bench compare-run --base OLD --new NEW --budget 0 --processes 10
    #[command(name = "compare-run", verbatim_doc_comment)]
    CompareRun(CompareRunArgs),
    /// Learn this machine's noise: an interleaved A/A run of one binary, per measurement.
    ///
    /// Prints each measurement's spread between processes and the slowdown a compare-run
    /// with as many processes would catch. Writes a.json, b.json, compare.md (the A/A
    /// comparison: anything flagged is a false alarm) and noise.json, which
    /// `compare --noise noise.json` uses as each measurement's floor.
    ///
    /// Examples:
    ///   polaroid-bench noise --workload batch-read --out-dir polaroid-results/noise
    ///   polaroid-bench noise --from cmp/base.json cmp/new.json --out-dir polaroid-results/noise
    #[command(verbatim_doc_comment)]
    Noise(NoiseArgs),
    /// Internal: a worker process of the runner (one job as JSON on stdin; see the library's `worker` module).
    #[command(name = "__worker", hide = true)]
    Worker,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SuiteArg {
    /// Seconds per workload; what the tests use.
    Smoke,
    /// The whole suite, sized to run in minutes rather than hours on 2 cores (the README says how long it took).
    Default,
    /// Opt-in: large-dataset's data exceeds this machine's RAM.
    Large,
}

impl From<SuiteArg> for Size {
    fn from(s: SuiteArg) -> Size {
        match s {
            SuiteArg::Smoke => Size::Smoke,
            SuiteArg::Default => Size::Default,
            SuiteArg::Large => Size::Large,
        }
    }
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// Suite size whose datasets to use.
    #[arg(long, value_enum, default_value = "default", env = "POLAROID_SUITE")]
    pub suite: SuiteArg,
    /// Workloads whose datasets to use (repeatable; default: all).
    #[arg(long = "workload", short = 'w', env = "POLAROID_WORKLOAD", value_delimiter = ',')]
    pub workloads: Vec<String>,
    /// Directory for generated datasets (must exist if given) [default: $HOME/.cache/polaroid/data].
    #[arg(long, env = "POLAROID_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42, env = "POLAROID_SEED")]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Result files (JSON written by `polaroid-bench run`).
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Directory to write index.md, index.html and charts/ into [default: reports/<first file's name>/].
    #[arg(long, short = 'o', env = "POLAROID_REPORT_OUT")]
    pub out: Option<PathBuf>,
    /// Title of the report.
    #[arg(long, default_value = "polaroid benchmark report", env = "POLAROID_REPORT_TITLE")]
    pub title: String,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Directory of result files (*.json).
    pub dir: PathBuf,
    /// Directory to write index.md, index.html and charts/ into [default: <dir>/history/].
    #[arg(long, short = 'o', env = "POLAROID_HISTORY_OUT")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Markdown documents, or directories to search for *.md.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write the rendered document here instead of over itself (one document only).
    #[arg(long, short = 'o', conflicts_with = "check")]
    pub out: Option<PathBuf>,
    /// Change nothing: fail (exit code 1) where a bound figure differs from its result file.
    #[arg(long)]
    pub check: bool,
    /// With --check: list every figure typed by hand with no <!--unbound REASON-->, not just their count.
    #[arg(long, requires = "check")]
    pub unbound: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The base result file (e.g. from the main branch).
    pub base: PathBuf,
    /// The new result file (e.g. from the pull request).
    pub new: PathBuf,
    #[command(flatten)]
    pub gate: GateArgs,
    /// Also write the output to this file.
    #[arg(long, short = 'o', env = "POLAROID_COMPARE_OUT")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// Relative change below which nothing counts as regressed or improved (where --noise has no floor).
    #[arg(long, default_value_t = 0.05, env = "POLAROID_NOISE_FLOOR")]
    pub noise_floor: f64,
    /// Per-measurement floors learned by `polaroid-bench noise` (its noise.json).
    #[arg(long, env = "POLAROID_NOISE")]
    pub noise: Option<PathBuf>,
    /// Relative change of instructions per timed run beyond which it counts (where --noise has no floor; runs made
    /// with --instructions).
    #[arg(long, default_value_t = polaroid_results::compare::DEFAULT_INSTRUCTIONS_FLOOR, env = "POLAROID_INSTRUCTIONS_FLOOR")]
    pub instructions_floor: f64,
    /// Floors set by hand per measurement: a TOML file of [[threshold]] tables, each a glob
    /// `measurements = "batch-read/load-all/*"` and any of `time`, `memory`, `instructions` ("10%" or 0.1); the
    /// first match wins over --noise and the global floors (docs/ci.md).
    #[arg(long, env = "POLAROID_THRESHOLDS")]
    pub thresholds: Option<PathBuf>,
    /// What fails the gate.
    #[arg(long, value_enum, default_value = "time", env = "POLAROID_FAIL_ON")]
    pub fail_on: FailOnArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown", env = "POLAROID_FORMAT")]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct CompareRunArgs {
    /// polaroid-bench binary of the base build (e.g. the merge base, built in a worktree).
    #[arg(long, env = "POLAROID_BASE_BIN")]
    pub base: PathBuf,
    /// polaroid-bench binary of the new build [default: this binary].
    #[arg(long, env = "POLAROID_NEW_BIN")]
    pub new: Option<PathBuf>,
    /// Directory for base.json, new.json and compare.md [default: polaroid-results/compare-<UTC time>/].
    #[arg(long, env = "POLAROID_OUT_DIR")]
    pub out_dir: Option<PathBuf>,
    /// Continue an interrupted compare-run in --out-dir (a fixed design only: with --budget 0).
    #[arg(long, requires = "out_dir")]
    pub resume: bool,
    /// Measuring time for the sequential design: after the first processes (--processes, default 3 a side), pairs
    /// of processes are added to the measurements still undecided until each is decided or the budget is spent
    /// (e.g. 15m, 90s, 1h). 0: a fixed design, --processes (or each workload's own) and no more.
    #[arg(long, default_value = "15m", value_parser = humantime::parse_duration, env = "POLAROID_BUDGET")]
    pub budget: std::time::Duration,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    /// Hidden test option: slow VARIANT down by FRACTION of its timed work in the new build only, e.g.
    /// polars-eager=0.10 (checks what the gate catches).
    #[arg(long, hide = true, value_parser = parse_slowdown)]
    pub inject_slowdown: Option<(String, f64)>,
}

#[derive(Debug, Args)]
pub struct NoiseArgs {
    /// polaroid-bench binary to measure [default: this binary].
    #[arg(long, env = "POLAROID_BIN")]
    pub binary: Option<PathBuf>,
    /// Directory for a.json, b.json, compare.md and noise.json [default: polaroid-results/noise-<UTC time>/].
    #[arg(long, env = "POLAROID_OUT_DIR")]
    pub out_dir: Option<PathBuf>,
    /// Learn from two existing result files of the same build (ideally one `compare-run --base X --new X`)
    /// instead of measuring.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub from: Option<Vec<PathBuf>>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub select: SelectArgs,
}

/// Parses `VARIANT=FRACTION`.
pub fn parse_slowdown(text: &str) -> Result<(String, f64), String> {
    let (variant, fraction) = text.split_once('=').ok_or_else(|| format!("'{text}' is not VARIANT=FRACTION, e.g. polars-eager=0.10"))?;
    let f: f64 = fraction.parse().map_err(|_| format!("'{fraction}' is not a fraction, e.g. 0.10"))?;
    Ok((variant.to_string(), f))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOnArg {
    /// A significant time or throughput regression, or a measurement that stopped finishing.
    Time,
    /// Peak memory beyond the noise floor, or a measurement that stopped finishing.
    Memory,
    /// Either.
    Any,
    /// Never fail: report only.
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    /// For people.
    Text,
    /// One JSON document.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// A Markdown summary for a pull-request comment.
    Markdown,
    /// The full comparison as JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct FeedArgs {
    /// Offered rate over all connections, ticks per second [default: unpaced, as fast as the client reads].
    #[arg(long, env = "POLAROID_FEED_RATE")]
    pub rate: Option<f64>,
    /// Connections per session; trades are split over them by symbol.
    #[arg(long, default_value_t = 1, env = "POLAROID_FEED_CONNECTIONS")]
    pub connections: usize,
    /// Trades per session (the first ones of the input) [default: all].
    #[arg(long, env = "POLAROID_FEED_TICKS")]
    pub ticks: Option<u64>,
    /// Sessions to serve before exiting [default: until stopped].
    #[arg(long, env = "POLAROID_FEED_SESSIONS")]
    pub sessions: Option<u64>,
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 0, env = "POLAROID_FEED_PORT")]
    pub port: u16,
    /// Parquet file(s) or directories to replay [default: the streaming workload's dataset of --suite].
    #[arg(long, env = "POLAROID_INPUT", value_delimiter = ',')]
    pub input: Vec<PathBuf>,
    /// Suite size whose dataset to replay when no --input is given.
    #[arg(long, value_enum, default_value = "default", env = "POLAROID_SUITE")]
    pub suite: SuiteArg,
    /// Directory for generated datasets [default: $HOME/.cache/polaroid/data].
    #[arg(long, env = "POLAROID_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42, env = "POLAROID_SEED")]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Workload files (*.toml: your Parquet tables and SQL queries, docs/workload-files.md) to run instead of the
    /// built-in workloads; `--workload FILE.toml` does the same.
    #[arg(value_name = "WORKLOAD_FILE")]
    pub workload_files: Vec<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Result file [default: polaroid-results/<suite>-<UTC time>.json].
    #[arg(long, short = 'o', env = "POLAROID_OUT")]
    pub out: Option<PathBuf>,
    /// Continue the run in --out: measurements already in it are not redone.
    #[arg(long, requires = "out", env = "POLAROID_RESUME")]
    pub resume: bool,
    /// Hidden test option: slow VARIANT down by FRACTION of its timed work, e.g. polars-eager=0.10.
    #[arg(long, hide = true, value_parser = parse_slowdown)]
    pub inject_slowdown: Option<(String, f64)>,
}

/// What to measure, how, and how to show progress: shared by `run`, `compare-run` and `noise`.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Engine variants to run (repeatable; default: each workload's own variants). See `polaroid-bench list`.
    #[arg(long = "engine", short = 'e', env = "POLAROID_ENGINE", value_delimiter = ',')]
    pub engines: Vec<String>,
    /// Use this Parquet file (or directory of Parquet files) instead of generated data, for every workload.
    #[arg(long, env = "POLAROID_INPUT")]
    pub input: Option<PathBuf>,
    /// Independent measurement processes per measurement, each with its own warm-up and timed runs; `compare`
    /// needs 2 or more [default: per workload and size, see `list`].
    #[arg(long, env = "POLAROID_PROCESSES")]
    pub processes: Option<usize>,
    /// Timed runs per process [default: per workload and size, see `list`].
    #[arg(long, env = "POLAROID_RUNS")]
    pub runs: Option<usize>,
    /// Untimed warm-up runs per process (at least one always runs: it produces the checked answer).
    #[arg(long, env = "POLAROID_WARMUP")]
    pub warmup: Option<usize>,
    /// Seconds per closed-loop run (concurrent-query).
    #[arg(long, env = "POLAROID_DURATION")]
    pub duration: Option<f64>,
    /// Seconds after which a measurement process is killed and recorded as `timeout`.
    #[arg(long, env = "POLAROID_TIMEOUT")]
    pub timeout: Option<f64>,
    /// Memory cap of large-dataset measurements, e.g. 1GiB, 512MiB [default: 1GiB at default size].
    #[arg(long, value_parser = parse_bytes, env = "POLAROID_MEMORY_CAP")]
    pub memory_cap: Option<u64>,
    /// Client counts for concurrent-query, e.g. 1,10,100.
    #[arg(long, value_delimiter = ',', env = "POLAROID_CLIENTS")]
    pub clients: Option<Vec<u64>>,
    /// Per-request latencies of the S3 server in milliseconds, e.g. 0,20 (0: local files): batch-read's sweep, and a
    /// workload file's tables read through S3 (replaces its [s3] latency_ms).
    #[arg(long, value_delimiter = ',', env = "POLAROID_LATENCY_MS")]
    pub latency_ms: Option<Vec<u64>>,
    /// Task slots per executor of the ballista-N variants (Ballista's vcores) [default: 1].
    #[arg(long, env = "POLAROID_BALLISTA_SLOTS")]
    pub ballista_slots: Option<usize>,
    /// Run the ballista-N variants against this running Ballista cluster (df://HOST:PORT, e.g. one started with
    /// `polaroid-ballista scheduler` and `polaroid-ballista executor`) instead of starting one per measurement.
    #[arg(long, value_name = "URL", env = "POLAROID_BALLISTA_SCHEDULER")]
    pub ballista_scheduler: Option<String>,
    /// Skip calibration of the machine's limits (the `of limit` column stays empty).
    #[arg(long, env = "POLAROID_NO_CALIBRATE")]
    pub no_calibrate: bool,
    /// Drop the page cache before every measurement process (root only; verified with fincore, refused if unverified).
    #[arg(long, env = "POLAROID_COLD")]
    pub cold: bool,
    /// Also count each measurement's instructions: its job runs once more under Valgrind's Cachegrind (with and
    /// without its timed runs; the difference is the timed work's), a metric that is deterministic where time is
    /// not. Needs the `valgrind` package; closed loops, paced feeds, S3 latency and work done in other processes
    /// (Python, Ballista, the Flight server) are skipped and say why.
    #[arg(long, env = "POLAROID_INSTRUCTIONS")]
    pub instructions: bool,
    /// How to show progress: a bar on stderr, or one JSON event per line on stdout for programs (docs/progress.md).
    #[arg(long, value_enum, default_value = "bar", env = "POLAROID_PROGRESS")]
    pub progress: ProgressArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// A progress bar and one line per finished measurement, on stderr.
    Bar,
    /// One JSON object per event on stdout (planned, dataset_ready, started, finished, message, run_finished);
    /// nothing else is written to stdout.
    Jsonl,
    /// Nothing.
    None,
}

/// Parses a size as people write it: `1GiB` and `512MiB` are binary, `1GB` is 10^9 bytes, a bare number is bytes.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<bytesize::ByteSize>()
        .map(|b| b.as_u64())
        .map_err(|e| format!("'{text}' is not a size ({e}); write e.g. 1GiB, 512MiB or 1073741824"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_binary_and_decimal_units_as_written() {
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("3 parsecs").is_err());
    }
}

// Translation of arguments into library types: the only place that knows both.

impl SelectArgs {
    /// The run's options; `cancel` is set by Ctrl-C and SIGTERM.
    pub fn options(&self, data: &DataArgs, out: PathBuf, resume: bool, cancel: Cancel) -> RunOptions {
        // The Ballista settings reach the runner (and every process it starts) through the environment variables
        // these flags are also read from (engines::ballista).
        for (var, value) in [
            (polaroid_bench::engines::ballista::SLOTS_VAR, self.ballista_slots.map(|s| s.to_string())),
            (polaroid_bench::engines::ballista::SCHEDULER_VAR, self.ballista_scheduler.clone()),
        ] {
            if let Some(value) = value {
                // SAFETY: called while the command line is turned into options, before the run starts any thread.
                #[allow(unsafe_code)]
                unsafe {
                    std::env::set_var(var, value)
                };
            }
        }
        RunOptions {
            workloads: data.workloads.clone(),
            engines: self.engines.clone(),
            data_dir: data.data_dir.clone(),
            input: self.input.clone(),
            resume,
            seed: data.seed,
            processes: self.processes,
            runs: self.runs,
            warmup: self.warmup,
            duration_s: self.duration,
            timeout_s: self.timeout,
            memory_cap_bytes: self.memory_cap,
            clients: self.clients.clone(),
            latency_ms: self.latency_ms.clone(),
            calibrate: !self.no_calibrate,
            cold: self.cold,
            instructions: self.instructions,
            cancel,
            // This binary makes its own measurement processes; the command line is the run's provenance.
            measure_binary: std::env::current_exe().ok(),
            command: std::env::args().collect(),
            ..RunOptions::new(data.suite.into(), out)
        }
    }
}

impl GateArgs {
    /// The comparison's options (reads the noise file when one is named).
    pub fn options(&self) -> anyhow::Result<polaroid_results::compare::CompareOptions> {
        use polaroid_results::compare::{CompareOptions, FailOn, Noise};
        let fail_on = match self.fail_on {
            FailOnArg::Time => FailOn::Time,
            FailOnArg::Memory => FailOn::Memory,
            FailOnArg::Any => FailOn::Any,
            FailOnArg::None => FailOn::None,
        };
        let noise = self.noise.as_deref().map(Noise::load).transpose()?;
        if !(self.instructions_floor.is_finite() && (0.0..1.0).contains(&self.instructions_floor)) {
            anyhow::bail!("--instructions-floor must be a fraction in [0, 1), e.g. 0.005 for 0.5%; got {}", self.instructions_floor);
        }
        let thresholds = match &self.thresholds {
            None => Default::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read --thresholds {}: {e}", path.display()))?;
                let t: polaroid_results::compare::thresholds::Thresholds =
                    toml::from_str(&text).map_err(|e| anyhow::anyhow!("--thresholds {}: {e}", path.display()))?;
                t.validate(&path.display().to_string()).map_err(anyhow::Error::msg)?;
                t
            }
        };
        Ok(CompareOptions { noise_floor: self.noise_floor, fail_on, noise, instructions_floor: self.instructions_floor, thresholds })
    }

    /// The output format.
    pub fn format(&self) -> polaroid_bench::gate::Format {
        match self.format {
            FormatArg::Markdown => polaroid_bench::gate::Format::Markdown,
            FormatArg::Json => polaroid_bench::gate::Format::Json,
        }
    }
}
