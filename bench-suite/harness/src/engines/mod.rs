//! Engines under test: one file per variant, one narrow trait, chosen by name through [`EngineKind`].
//!
//! The contract every engine keeps, and that makes timings comparable:
//! - [`Engine::prepare`] runs once per measurement process, **outside** the timer: it may load data that the variant
//!   is designed to keep in memory (the shared-frame baseline does), open pools, and so on.
//! - [`Engine::execute`] is what the timer measures: one unit of work ([`Op`]) whose result is fully materialized
//!   when it returns (collected frames, or a file closed on disk). Nothing lazy escapes the timer.
//! - An engine that cannot do an op returns [`Error::Unsupported`]; the runner records that and goes on.
//!
//! The trait is synchronous on purpose: an async engine owns its runtime and blocks inside its own `execute`, so the
//! timing code is the same for every engine.

pub mod ballista;
mod mock;
mod polaroid;
mod polaroid_flight;
mod polars_eager;
mod polars_lazy;
mod polars_microbatch;
mod polars_naive;
mod polars_reread;
mod polars_shared;
mod polars_streaming;
mod polars_threadpool;
pub mod python;
mod transport_ceiling;

use std::path::PathBuf;
use std::sync::Arc;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::feed::client::ConnStats;
use crate::plans::Query;
use crate::remote::RemoteStore;

pub use mock::{MockBehavior, MockEngine};
pub use polaroid::{PolaroidEngine, PolaroidMode, runtime};
pub use polaroid_flight::FlightEngine;
pub use polars_eager::PolarsEagerEngine;
pub use polars_lazy::PolarsLazyEngine;
pub use polars_microbatch::PolarsMicroBatchEngine;
pub use polars_naive::PolarsNaiveEngine;
pub use polars_reread::PolarsRereadEngine;
pub use polars_shared::PolarsSharedEngine;
pub use polars_streaming::PolarsStreamingEngine;
pub use polars_threadpool::PolarsThreadPoolEngine;
pub use transport_ceiling::TransportCeilingEngine;

/// The files an engine works on.
#[derive(Debug, Clone)]
pub struct Input {
    /// The dataset's Parquet files, in order.
    pub files: Vec<PathBuf>,
    /// When set, the files are read through the measurement's S3 server (with its per-request latency) instead
    /// of from the local file system.
    pub remote: Option<Arc<RemoteStore>>,
    /// concurrent-query's networked variant: the Flight SQL server (a process of its own, started by the runner)
    /// that holds the files, `grpc://127.0.0.1:PORT`.
    pub server: Option<String>,
    /// A workload file's tables (their files are among `files`), for engines that register them before the
    /// timed runs (`prepare`): the polaroid engine loads each into its cache, the shared-frame baseline into memory.
    pub tables: Vec<crate::protocol::SqlTable>,
}

impl Input {
    /// Local files, no store.
    pub fn local(files: Vec<PathBuf>) -> Input {
        Input { files, remote: None, server: None, tables: Vec::new() }
    }

    /// A glob matching exactly the dataset's files (they share a directory and the `part-*.parquet` naming), or the
    /// single file.
    pub fn glob(&self) -> String {
        match self.files.as_slice() {
            [one] => one.display().to_string(),
            files => {
                let dir = files[0].parent().map(|d| d.display().to_string()).unwrap_or_default();
                format!("{dir}/*.parquet")
            }
        }
    }
}

/// One unit of timed work.
#[derive(Debug, Clone)]
pub enum Op {
    /// batch-read: every column of every file.
    LoadAll,
    /// batch-read: three columns, a filter and per-symbol VWAP over every file.
    Vwap,
    /// concurrent-query: one request.
    Query(Query),
    /// large-dataset: the full-scan aggregate.
    Aggregate,
    /// large-dataset: rewrite the whole dataset into one Parquet file.
    Sink {
        /// Where to write.
        out: PathBuf,
    },
    /// streaming: consume one session of the tick feed, storing every tick and keeping the rolling VWAP.
    Ingest(FeedSession),
    /// A workload file's query: SQL over its tables, the result collected.
    Sql {
        /// The tables the SQL may read, each with its files.
        tables: Vec<crate::protocol::SqlTable>,
        /// The statement.
        sql: String,
    },
}

/// One session of the tick feed to consume.
#[derive(Debug, Clone)]
pub struct FeedSession {
    /// The feed's URL (`ws://127.0.0.1:PORT/feed`).
    pub url: String,
    /// Connections to open (`conn=0..connections`).
    pub connections: usize,
    /// Trades in the session: their `seq` runs from 0 to `ticks - 1`.
    pub ticks: u64,
}

impl Op {
    /// Name used in errors and `list`.
    pub fn name(&self) -> &'static str {
        match self {
            Op::LoadAll => "load-all",
            Op::Vwap => "vwap",
            Op::Query(_) => "query",
            Op::Aggregate => "aggregate",
            Op::Sink { .. } => "sink",
            Op::Ingest(_) => "ingest",
            Op::Sql { .. } => "sql",
        }
    }
}

/// What an op produced, fully materialized.
#[derive(Debug)]
pub enum Output {
    /// Frames in memory; several frames (one per file) stand for their concatenation.
    Frames(Vec<DataFrame>),
    /// A Parquet file written and closed.
    Written(PathBuf),
    /// A feed session consumed.
    Ingested(Ingested),
}

/// What a consumer of the tick feed ends a session with.
#[derive(Debug)]
pub struct Ingested {
    /// Every tick stored (`seq`, `symbol`, `price`, `quantity`, `ts_ns`); `None` for the transport ceiling, which
    /// stores nothing (its `seqs` say what it received).
    pub stored: Option<DataFrame>,
    /// The rolling VWAP (`symbol`, `vwap`, `trades`); `None` for the transport ceiling.
    pub vwap: Option<DataFrame>,
    /// Sequence numbers received, when nothing is stored.
    pub seqs: Vec<u64>,
    /// When each tick became visible (in the VWAP, or parsed for the ceiling) against when it was sent.
    pub visibility: crate::feed::latency::Visibility,
    /// What the connections saw (gaps, malformed messages, reconnects).
    pub connections: ConnStats,
}

impl Ingested {
    /// A session's output before anything is stored: no frames, and connection totals to merge into.
    pub(crate) fn empty() -> Ingested {
        Ingested { stored: None, vwap: None, seqs: Vec::new(), visibility: Default::default(), connections: ConnStats::total() }
    }
}

/// The blocking consumers' shape: `per_connection(conn)` on one OS thread per connection of the session, and what
/// the connections saw added up.
pub(crate) fn on_connection_threads<F>(session: &FeedSession, per_connection: F) -> Result<Ingested>
where
    F: Fn(usize) -> Result<(ConnStats, crate::feed::latency::Visibility)> + Sync,
{
    let per_connection = &per_connection;
    let results: Vec<Result<_>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..session.connections).map(|conn| scope.spawn(move || per_connection(conn))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(crate::error::internal("a feed connection thread panicked")))).collect()
    });
    let mut out = Ingested::empty();
    for r in results {
        let (stats, visibility) = r?;
        out.connections.merge(&stats);
        out.visibility.merge(&visibility);
    }
    Ok(out)
}

/// An engine variant under test. See the module docs for what is inside the timer.
pub trait Engine: Send + Sync {
    /// Untimed set-up, once per measurement process.
    fn prepare(&mut self, _input: &Input) -> Result<()> {
        Ok(())
    }
    /// Timed: one unit of work, result fully materialized.
    fn execute(&self, input: &Input, op: &Op) -> Result<Output>;
    /// Untimed, after the timed runs: figures the engine reports about itself (recorded per process in the
    /// measurement's `engine_figures`), e.g. where an adaptive limit settled.
    fn figures(&self) -> std::collections::BTreeMap<String, f64> {
        std::collections::BTreeMap::new()
    }
}

/// The most executors a `ballista-N` variant starts on this host.
pub const MAX_BALLISTA_EXECUTORS: u8 = 8;
/// The names of the `ballista-N` variants (`ALL` lists the first two; the others are found by name).
const BALLISTA_NAMES: [&str; MAX_BALLISTA_EXECUTORS as usize] =
    ["ballista-1", "ballista-2", "ballista-3", "ballista-4", "ballista-5", "ballista-6", "ballista-7", "ballista-8"];

/// Every engine variant, in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// A sequential loop of eager reads (`ParquetReader`), then the plan on the loaded frame.
    PolarsEager,
    /// Eager reads spread over a thread pool with one thread per core.
    PolarsThreadPool,
    /// A lazy scan over the files, collected with Polars' in-memory engine.
    PolarsLazy,
    /// The same lazy scan collected with Polars' streaming engine.
    PolarsStreaming,
    /// The streaming scan with the read concurrency polaroid uses ([`EngineKind::env`]): what an expert sets.
    PolarsStreamingTuned,
    /// Every request scans the file again (what a naive service does).
    PolarsReread,
    /// One DataFrame loaded before the clock starts and shared by all requests (the strong baseline).
    PolarsShared,
    /// The shared frame with every request collected on Polars' streaming engine.
    PolarsSharedStreaming,
    /// The polaroid async engine with everything on (cache, admission control, concurrent reads, streaming).
    Polaroid,
    /// The polaroid engine with admission control but no cache: every query scans the file.
    PolaroidLimitOnly,
    /// The polaroid engine with the cache but no admission limit.
    PolaroidCacheOnly,
    /// The polaroid engine behind its Flight SQL server, in a process of its own, queried over loopback.
    PolaroidFlight,
    /// streaming: parse every tick and discard it (the limit of the transport and parsing).
    TransportCeiling,
    /// streaming: append each tick to a DataFrame as it arrives.
    PolarsNaive,
    /// streaming: a synchronous client building a frame of every N ticks.
    PolarsMicroBatch,
    /// Python Polars (the `polars` package) through its SQL context on lazy scans, collected on its default engine
    /// (streaming since Polars 2.0): what a notebook user runs. A Python worker process (`engines::python`).
    PyPolars,
    /// The same, collected with `engine="in-memory"`.
    PyPolarsInMemory,
    /// DuckDB (the `duckdb` package) in process, each table a view over `read_parquet`, the result as Arrow.
    DuckDb,
    /// Apache DataFusion (the `datafusion` package) in process: each table registered from its Parquet files, the
    /// result collected as an Arrow table.
    DataFusion,
    /// Apache DataFusion Ballista with this many executors (`ballista-1`, `ballista-2`, ... up to
    /// [`MAX_BALLISTA_EXECUTORS`]): a scheduler and the executors as processes of their own on this host, the measured
    /// process a Ballista client (`engines::ballista`).
    Ballista(u8),
    /// Harness test double with scripted behavior.
    Mock(MockBehavior),
}

impl EngineKind {
    /// Engines a user can name, in report order (mocks last: they test the harness, not Polars).
    pub const ALL: [EngineKind; 26] = [
        EngineKind::PolarsEager,
        EngineKind::PolarsThreadPool,
        EngineKind::PolarsLazy,
        EngineKind::PolarsStreaming,
        EngineKind::PolarsStreamingTuned,
        EngineKind::PolarsReread,
        EngineKind::PolarsShared,
        EngineKind::PolarsSharedStreaming,
        EngineKind::Polaroid,
        EngineKind::PolaroidLimitOnly,
        EngineKind::PolaroidCacheOnly,
        EngineKind::PolaroidFlight,
        EngineKind::TransportCeiling,
        EngineKind::PolarsNaive,
        EngineKind::PolarsMicroBatch,
        EngineKind::PyPolars,
        EngineKind::PyPolarsInMemory,
        EngineKind::DuckDb,
        EngineKind::DataFusion,
        EngineKind::Ballista(1),
        EngineKind::Ballista(2),
        EngineKind::Mock(MockBehavior::Correct),
        EngineKind::Mock(MockBehavior::WrongAnswer),
        EngineKind::Mock(MockBehavior::MemoryHog),
        EngineKind::Mock(MockBehavior::Hang),
        EngineKind::Mock(MockBehavior::Fail),
    ];

    /// The variant's name on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::PolarsEager => "polars-eager",
            EngineKind::PolarsThreadPool => "polars-threadpool",
            EngineKind::PolarsLazy => "polars-lazy",
            EngineKind::PolarsStreaming => "polars-streaming",
            EngineKind::PolarsStreamingTuned => "polars-streaming-tuned",
            EngineKind::PolarsReread => "polars-reread",
            EngineKind::PolarsShared => "polars-shared",
            EngineKind::PolarsSharedStreaming => "polars-shared-streaming",
            EngineKind::Polaroid => "polaroid",
            EngineKind::PolaroidLimitOnly => "polaroid-limit-only",
            EngineKind::PolaroidCacheOnly => "polaroid-cache-only",
            EngineKind::PolaroidFlight => "polaroid-flight",
            EngineKind::TransportCeiling => "transport-ceiling",
            EngineKind::PolarsNaive => "polars-naive",
            EngineKind::PolarsMicroBatch => "polars-microbatch",
            EngineKind::PyPolars => "py-polars",
            EngineKind::PyPolarsInMemory => "py-polars-in-memory",
            EngineKind::DuckDb => "duckdb",
            EngineKind::DataFusion => "datafusion",
            EngineKind::Ballista(n) => BALLISTA_NAMES[(n.clamp(1, MAX_BALLISTA_EXECUTORS) - 1) as usize],
            EngineKind::Mock(b) => b.name(),
        }
    }

    /// One line on what the variant does, for `list`.
    pub fn about(self) -> &'static str {
        match self {
            EngineKind::PolarsEager => "sequential loop of eager ParquetReader reads, then the plan on the loaded frame",
            EngineKind::PolarsThreadPool => "eager reads on a thread pool (one thread per core), then the plan",
            EngineKind::PolarsLazy => "LazyFrame::scan_parquet over the files, collected with the in-memory engine",
            EngineKind::PolarsStreaming => "the same lazy scan, collected (or sunk) with Polars' streaming engine",
            EngineKind::PolarsStreamingTuned => {
                "the streaming scan with polaroid's read concurrency: POLARS_MAX_CONCURRENT_SCANS=16 files at once (Polars' default: min(pipelines, files), 2 on 2 cores) and POLARS_CONCURRENCY_BUDGET=64 requests"
            }
            EngineKind::PolarsReread => "each request scans the Parquet file again (a naive service)",
            EngineKind::PolarsShared => "one DataFrame loaded before timing, shared by every request",
            EngineKind::PolarsSharedStreaming => "the shared DataFrame, each request collected with Polars' streaming engine",
            EngineKind::Polaroid => {
                "async engine: 16 concurrent reads (per-file plans through a store); cached handles under an adaptive admission limit; plans over files streamed by Polars; micro-batched ingest"
            }
            EngineKind::PolaroidLimitOnly => "async engine, adaptive admission only: each query scans the file",
            EngineKind::PolaroidCacheOnly => "async engine, cache only: queries on a cached handle, no admission limit",
            EngineKind::PolaroidFlight => {
                "the polaroid engine behind its Flight SQL server (its own process, file loaded at start); each request is SQL over loopback gRPC"
            }
            EngineKind::TransportCeiling => "tokio-tungstenite client that parses every tick and discards it: the limit",
            EngineKind::PolarsNaive => "blocking client appending each tick to a DataFrame (vstack) and the VWAP",
            EngineKind::PolarsMicroBatch => {
                "blocking client building a DataFrame of every 1024 ticks (or 1 ms), then updating the VWAP"
            }
            EngineKind::PyPolars => {
                "Python Polars: SQLContext over pl.scan_parquet per table, collect() on its default engine (\"auto\": streaming); a Python process"
            }
            EngineKind::PyPolarsInMemory => "Python Polars as py-polars, collect(engine=\"in-memory\"); a Python process",
            EngineKind::DuckDb => "DuckDB in process: a view over read_parquet per table, the result fetched as an Arrow table; a Python process",
            EngineKind::DataFusion => {
                "Apache DataFusion in process: register_parquet per table (its file or directory), the result collected as an Arrow table; a Python process"
            }
            EngineKind::Ballista(_) => {
                "Apache DataFusion Ballista: a scheduler and N executors (ballista-N; 1 task slot each unless --ballista-slots) as processes on this host; the measured process a Ballista client, the result collected"
            }
            EngineKind::Mock(b) => b.about(),
        }
    }

    /// What the variant is in the comparison.
    pub fn role(self) -> polaroid_results::Role {
        use polaroid_results::Role;
        match self {
            EngineKind::Polaroid => Role::Engine,
            EngineKind::PolaroidLimitOnly | EngineKind::PolaroidCacheOnly => Role::Ablation,
            EngineKind::PolaroidFlight => Role::Served,
            EngineKind::TransportCeiling => Role::Limit,
            EngineKind::Mock(_) => Role::TestDouble,
            EngineKind::PolarsStreamingTuned | EngineKind::PolarsSharedStreaming | EngineKind::PyPolarsInMemory => Role::Tuned,
            _ => Role::Baseline,
        }
    }

    /// Environment variables the measurement process of this variant starts with: Polars' knobs that are read from
    /// the environment, set as an expert would for the task.
    pub fn env(self) -> Vec<(String, String)> {
        match self {
            // The files read at once and the requests in flight that polaroid's engine allows itself.
            EngineKind::PolarsStreamingTuned => vec![
                ("POLARS_MAX_CONCURRENT_SCANS".into(), ::polaroid::Config::default().read_concurrency.to_string()),
                ("POLARS_CONCURRENCY_BUDGET".into(), (4 * ::polaroid::Config::default().read_concurrency).to_string()),
            ],
            _ => Vec::new(),
        }
    }

    /// The settings of this variant that differ from Polars' defaults (recorded per measurement as `knobs`):
    /// [`EngineKind::env`] and the execution chosen through the API.
    pub fn knobs(self) -> std::collections::BTreeMap<String, String> {
        let mut knobs: std::collections::BTreeMap<String, String> = self.env().into_iter().collect();
        if self == EngineKind::PolarsSharedStreaming {
            knobs.insert("engine".into(), "streaming".into());
        }
        if self == EngineKind::PyPolarsInMemory {
            knobs.insert("engine".into(), "in-memory".into());
        }
        if let EngineKind::Ballista(n) = self {
            match ballista::external_scheduler() {
                Some(url) => {
                    knobs.insert("scheduler".into(), url);
                }
                None => {
                    knobs.insert("executors".into(), n.to_string());
                    knobs.insert("slots".into(), ballista::slots().map_or_else(|_| "?".into(), |s| s.to_string()));
                }
            }
        }
        knobs
    }

    /// Whether the variant runs in a Python worker process (`engines::python`) rather than in this binary.
    pub fn is_python(self) -> bool {
        matches!(self, EngineKind::PyPolars | EngineKind::PyPolarsInMemory | EngineKind::DuckDb | EngineKind::DataFusion)
    }

    /// Whether the variant runs in a `polaroid-ballista` client process against a Ballista cluster.
    pub fn is_ballista(self) -> bool {
        matches!(self, EngineKind::Ballista(_))
    }

    /// Whether this is a harness test double.
    pub fn is_mock(self) -> bool {
        matches!(self, EngineKind::Mock(_))
    }

    /// Looks a variant up by name; the error lists the valid names.
    pub fn from_name(name: &str) -> Result<EngineKind> {
        if let Some(n) = BALLISTA_NAMES.iter().position(|b| *b == name) {
            return Ok(EngineKind::Ballista(n as u8 + 1));
        }
        Self::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| Error::UnknownEngine {
            name: name.to_string(),
            valid: Self::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
        })
    }

    /// Builds the engine.
    pub fn create(self) -> Box<dyn Engine> {
        match self {
            EngineKind::PolarsEager => Box::new(PolarsEagerEngine),
            EngineKind::PolarsThreadPool => Box::new(PolarsThreadPoolEngine::new()),
            EngineKind::PolarsLazy => Box::new(PolarsLazyEngine),
            EngineKind::PolarsStreaming | EngineKind::PolarsStreamingTuned => Box::new(PolarsStreamingEngine(self)),
            EngineKind::PolarsReread => Box::new(PolarsRereadEngine),
            EngineKind::PolarsShared => Box::new(PolarsSharedEngine::new(self, polars::prelude::Engine::InMemory)),
            EngineKind::PolarsSharedStreaming => Box::new(PolarsSharedEngine::new(self, polars::prelude::Engine::Streaming)),
            EngineKind::Polaroid => Box::new(PolaroidEngine::new(PolaroidMode::Full)),
            EngineKind::PolaroidLimitOnly => Box::new(PolaroidEngine::new(PolaroidMode::LimitOnly)),
            EngineKind::PolaroidCacheOnly => Box::new(PolaroidEngine::new(PolaroidMode::CacheOnly)),
            EngineKind::PolaroidFlight => Box::new(FlightEngine::default()),
            EngineKind::TransportCeiling => Box::new(TransportCeilingEngine::default()),
            EngineKind::PolarsNaive => Box::new(PolarsNaiveEngine),
            EngineKind::PolarsMicroBatch => Box::new(PolarsMicroBatchEngine),
            EngineKind::Mock(b) => Box::new(MockEngine::new(b)),
            EngineKind::PyPolars | EngineKind::PyPolarsInMemory | EngineKind::DuckDb | EngineKind::DataFusion => {
                Box::new(python::NotHere(self))
            }
            EngineKind::Ballista(_) => Box::new(ballista::NotHere(self)),
        }
    }
}

/// The `Unsupported` error for an engine and op.
pub(crate) fn unsupported(engine: EngineKind, op: &Op) -> Error {
    Error::Unsupported { engine: engine.name().into(), task: op.name().into() }
}

/// Lazily scans Parquet files (one path or a glob) with default options.
pub(crate) fn scan(path_or_glob: &str) -> Result<LazyFrame> {
    Ok(LazyFrame::scan_parquet(PlRefPath::new(path_or_glob), ScanArgsParquet::default())?)
}

/// Lazily scans a table's files with default options (one scan over all of them, as a Polars user writes it).
pub(crate) fn scan_files(files: &[PathBuf]) -> Result<LazyFrame> {
    let paths: Vec<PlRefPath> = files.iter().map(|f| PlRefPath::new(f.display().to_string())).collect();
    Ok(LazyFrame::scan_parquet_files(paths.into_iter().collect(), ScanArgsParquet::default())?)
}

/// Reads one file of `input` eagerly: from the local file system, or with one GET from the S3 server.
pub(crate) fn read_file(input: &Input, path: &std::path::Path, columns: Option<&[&str]>) -> Result<DataFrame> {
    match &input.remote {
        None => read_eager(path, columns),
        Some(remote) => {
            let bytes = remote.get(path)?;
            let reader = ParquetReader::new(std::io::Cursor::new(bytes))
                .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()));
            Ok(reader.finish()?)
        }
    }
}

/// Reads one Parquet file eagerly, optionally only some columns.
pub(crate) fn read_eager(path: &std::path::Path, columns: Option<&[&str]>) -> Result<DataFrame> {
    let file = std::fs::File::open(path).map_err(crate::error::io_err("opening", path))?;
    let reader = ParquetReader::new(file).with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()));
    Ok(reader.finish()?)
}

/// Concatenates frames read per file into one (eager variants do this before running a plan).
pub(crate) fn concat(frames: Vec<DataFrame>) -> Result<DataFrame> {
    let mut frames = frames.into_iter();
    let mut all = frames.next().unwrap_or_default();
    for df in frames {
        all.vstack_mut_owned(df)?;
    }
    Ok(all)
}

/// Writes a frame to a Parquet file with default options.
pub(crate) fn write_parquet(df: &mut DataFrame, out: &std::path::Path) -> Result<()> {
    let file = std::fs::File::create(out).map_err(crate::error::io_err("creating", out))?;
    ParquetWriter::new(file).finish(df)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ballista_variants_are_found_by_their_executor_count_up_to_the_limit() {
        assert_eq!(EngineKind::from_name("ballista-1").unwrap(), EngineKind::Ballista(1));
        assert_eq!(EngineKind::from_name("ballista-8").unwrap(), EngineKind::Ballista(8));
        assert_eq!(EngineKind::Ballista(3).name(), "ballista-3");
        let err = EngineKind::from_name("ballista-9").unwrap_err().to_string();
        assert!(err.contains("ballista-2"), "{err}");
        assert!(EngineKind::ALL.iter().filter(|k| k.is_ballista()).count() == 2);
    }
}
