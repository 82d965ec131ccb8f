//! `polaroid-server`: the polaroid engine behind Arrow Flight SQL.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use polaroid::Engine;
use polaroid_server::{Options, serve};

/// The server allocates with mimalloc, as every process of `polaroid-bench` does (the benchmark's `polaroid-flight`
/// server included), so the server a user runs is the one measured: see docs/methodology.md, "The allocator".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "polaroid-server", version, about = "The polaroid async engine behind Arrow Flight SQL", long_about = "\
The polaroid async engine behind Arrow Flight SQL: SQL over Parquet tables (Polars' SQL, under the engine's \
admission control and cache), results streamed as Arrow record batches, ticks appended with Flight SQL bulk ingest.

Any Flight SQL client connects: ADBC's Flight SQL driver (Python: adbc-driver-flightsql), JDBC, or the Python \
package's polaroid.connect(\"grpc://127.0.0.1:50051\").")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve until SIGTERM or Ctrl-C, then drain: running calls finish (up to --drain-secs), acknowledged records are stored.
    #[command(after_help = "Examples:\n  polaroid-server serve --table trades=data/trades.parquet\n  polaroid-server serve --port 0 --table days=data/days/ --flush-to ticks.parquet\n  POLAROID_TOKEN=secret polaroid-server serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem")]
    Serve(ServeArgs),
}

#[derive(Parser)]
struct ServeArgs {
    /// Address to listen on; anything but loopback needs --token.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free port (printed on the first line of output).
    #[arg(long, default_value_t = 50051)]
    port: u16,
    /// A table to register at start, NAME=PATH: a Parquet file (loaded into the cache), a directory of Parquet files
    /// or a glob (scanned per query). Repeatable.
    #[arg(long = "table", value_name = "NAME=PATH", value_parser = parse_table)]
    tables: Vec<(String, String)>,
    /// Calls must send 'authorization: Bearer TOKEN'.
    #[arg(long, env = "POLAROID_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// PEM certificate chain: serve TLS (with --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Queries executing at once, at most (the adaptive limit moves below it).
    #[arg(long, default_value_t = 8 * std::thread::available_parallelism().map_or(1, |n| n.get()))]
    max_concurrent_queries: usize,
    /// Threads for the blocking part of calls (planning, conversions, Polars' runs). Default: twice
    /// --max-concurrent-queries; each thread keeps its own allocator heap, so more cost memory at many clients.
    #[arg(long)]
    blocking_threads: Option<usize>,
    /// Queries waiting for a slot, at most; more get RESOURCE_EXHAUSTED.
    #[arg(long, default_value_t = 10_000)]
    queue_bound: usize,
    /// The longest a query may run, in seconds (ClickHouse's max_execution_time); a call's own deadline
    /// (grpc-timeout) can only shorten it. Past it the query is stopped and gets DEADLINE_EXCEEDED. 0: no limit.
    #[arg(long, default_value_t = 300)]
    query_timeout_secs: u64,
    /// The server's resident memory, in MiB, above which new queries are refused and running ones stopped
    /// (newest first) with RESOURCE_EXHAUSTED (DuckDB's memory_limit). Default: 80% of the machine's memory, as
    /// DuckDB's. 0: no limit.
    #[arg(long)]
    memory_limit_mib: Option<usize>,
    /// Bytes of decoded data the cache holds, in MiB.
    #[arg(long, default_value_t = 4096)]
    cache_mib: usize,
    /// A table's handle is released after this long without a query or heartbeat.
    #[arg(long, default_value_t = 24 * 3600)]
    handle_ttl_secs: u64,
    /// Rows per record batch of a result stream.
    #[arg(long, default_value_t = 64 * 1024)]
    batch_rows: usize,
    /// The largest message a client may send (an append's batch), in MiB.
    #[arg(long, default_value_t = 64)]
    max_message_mib: usize,
    /// Seconds running calls may take to finish after SIGTERM.
    #[arg(long, default_value_t = 30)]
    drain_secs: u64,
    /// Write every ingested record to this Parquet file at shutdown.
    #[arg(long)]
    flush_to: Option<PathBuf>,
}

fn parse_table(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => Ok((name.to_string(), path.to_string())),
        _ => Err(format!("'{s}' is not NAME=PATH (e.g. trades=data/trades.parquet)")),
    }
}

fn main() -> ExitCode {
    let Command::Serve(args) = Cli::parse().command;
    let blocking = args.blocking_threads.unwrap_or_else(|| polaroid_server::blocking_threads(args.max_concurrent_queries));
    let runtime = match polaroid_server::runtime(blocking) {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the server's runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", polaroid_results::error::chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some((read(cert)?, read(key)?)),
        _ => None,
    };
    let engine = Engine::builder()
        .max_concurrent_queries(args.max_concurrent_queries)
        .queue_bound(args.queue_bound)
        .cache_budget_bytes(args.cache_mib << 20)
        .handle_ttl(Duration::from_secs(args.handle_ttl_secs.max(1)))
        .query_timeout((args.query_timeout_secs > 0).then(|| Duration::from_secs(args.query_timeout_secs)))
        .memory_limit_bytes(match args.memory_limit_mib {
            Some(0) => None,
            Some(mib) => Some(mib << 20),
            None => polaroid::limit::machine_memory_bytes().map(|b| b / 5 * 4),
        })
        .build()?;
    let scheme = if tls.is_some() { "grpc+tls" } else { "grpc" };
    let options = Options {
        listen: SocketAddr::new(args.host, args.port),
        token: args.token,
        tls,
        tables: args.tables,
        batch_rows: args.batch_rows,
        max_message_bytes: args.max_message_mib << 20,
        drain: Duration::from_secs(args.drain_secs),
        flush_to: args.flush_to,
    };
    let report = serve(engine, options, |addr| {
        // The first line says where to connect (parents started with --port 0 read it).
        println!("{}", polaroid_results::launch::announce("polaroid-server", &format!("{scheme}://{addr}")));
    }, stop_signal())
    .await?;
    eprintln!(
        "polaroid-server stopped: calls {}, ingest acknowledged {} stored {}{}",
        if report.calls_drained { "drained" } else { "cut short at the drain deadline" },
        report.engine.ingest.acknowledged,
        report.engine.ingest.stored,
        report.flushed.map(|(p, n)| format!(", {n} records written to {}", p.display())).unwrap_or_default()
    );
    Ok(())
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// SIGTERM or Ctrl-C.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM can be handled");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
