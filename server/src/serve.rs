//! Serving: binds (loopback unless a bearer token guards it), registers the start-up tables, serves Flight SQL
//! until told to stop, then drains: stops accepting calls, lets running ones finish until the drain deadline, shuts
//! the engine down (every acknowledged record stored) and, if asked, writes the ingested records to Parquet.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use polaroid::{Engine, ShutdownReport};
use polaroid::polars::prelude::*;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic::{Request, Status};

use crate::service::Service;

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen; port 0 picks a free port (the bound address is passed to `ready`).
    pub listen: SocketAddr,
    /// Calls must carry `authorization: Bearer <token>`. Required to listen on anything but loopback.
    pub token: Option<String>,
    /// PEM certificate chain and private key: serve TLS (`grpc+tls://`).
    pub tls: Option<(String, String)>,
    /// Tables to register at start: (name, Parquet file, directory or glob).
    pub tables: Vec<(String, String)>,
    /// Rows per record batch of a result stream.
    pub batch_rows: usize,
    /// The largest message a client may send (an append's batch); larger ones get RESOURCE_EXHAUSTED.
    pub max_message_bytes: usize,
    /// How long running calls may take to finish once a stop is asked for.
    pub drain: Duration,
    /// Write every ingested record to this Parquet file at shutdown.
    pub flush_to: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            token: None,
            tls: None,
            tables: Vec::new(),
            batch_rows: 64 * 1024,
            max_message_bytes: 64 << 20,
            drain: Duration::from_secs(30),
            flush_to: None,
        }
    }
}

/// What went wrong before or after serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Listening beyond loopback needs a token.
    #[error("refusing to listen on {0} without a token: anyone who can reach it could query and append; pass --token (or POLAROID_TOKEN), or listen on 127.0.0.1")]
    Unguarded(SocketAddr),
    /// The address could not be bound.
    #[error("cannot listen on {addr}; pick another port (0 picks a free one)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A start-up table (`--table name=path`) could not be registered; the cause names the file when it is the file.
    #[error("cannot register --table {name}")]
    Table {
        /// The table's name.
        name: String,
        /// Why.
        source: crate::Error,
    },
    /// The TLS certificate or key is not usable.
    #[error("TLS: the certificate or key is not usable; pass a PEM certificate chain and its PEM private key")]
    Tls(#[source] tonic::transport::Error),
    /// The transport failed.
    #[error("serving")]
    Transport(#[from] tonic::transport::Error),
    /// The serving task failed (a bug).
    #[error("the serving task failed: {0}")]
    Task(String),
    /// The ingested records could not be written at shutdown.
    #[error("writing the ingested records to {}", path.display())]
    Flush {
        /// The file.
        path: PathBuf,
        /// Why it could not be written.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// What serving ended with.
#[derive(Debug)]
pub struct Report {
    /// Whether the calls running at the stop finished before the drain deadline.
    pub calls_drained: bool,
    /// The engine's shutdown (ingest figures: `stored == acknowledged`).
    pub engine: ShutdownReport,
    /// The Parquet file the ingested records were written to, and how many.
    pub flushed: Option<(PathBuf, usize)>,
}

/// The Tokio runtime a server runs on, with at most `blocking_threads` threads for the work calls hand to blocking
/// threads (planning SQL, turning results into Arrow, Polars' runs). Tokio's default, 512, let 500 clients' planning
/// calls start about 220 threads, each keeping freed memory in its own allocator heap: the server's peak at 500
/// clients was 445-638 MiB with 512 threads and 278-296 MiB with 32, answering as fast
/// (reports/server-blocking-threads-2026-11-30). See [`blocking_threads`].
pub fn runtime(blocking_threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().thread_name("polaroid-server").max_blocking_threads(blocking_threads.max(1)).enable_all().build()
}

/// The blocking threads a server needs for an engine running at most `max_concurrent_queries` queries: one per
/// running query (a streamed query holds one while its client reads) and as many again for planning and
/// conversions, so a full set of running queries never waits on its own clients' conversions.
pub fn blocking_threads(max_concurrent_queries: usize) -> usize {
    2 * max_concurrent_queries.max(1)
}

/// Serves `engine` until `stop` completes, then drains. `ready` gets the bound address once calls are accepted.
pub async fn serve(engine: Engine, options: Options, ready: impl FnOnce(SocketAddr), stop: impl Future<Output = ()>) -> Result<Report, ServeError> {
    if !options.listen.ip().is_loopback() && options.token.is_none() {
        return Err(ServeError::Unguarded(options.listen));
    }
    let service = Service::new(engine.clone(), options.batch_rows);
    for (name, path) in &options.tables {
        service
            .catalog()
            .register(&engine, name, path, false)
            .await
            .map_err(|source| ServeError::Table { name: name.clone(), source })?;
    }
    let listener = tokio::net::TcpListener::bind(options.listen).await.map_err(|source| ServeError::Bind { addr: options.listen, source })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind { addr: options.listen, source })?;
    let flight = FlightServiceServer::new(service)
        .max_decoding_message_size(options.max_message_bytes)
        .max_encoding_message_size(usize::MAX);
    let token = options.token.clone().map(|t| format!("Bearer {t}"));
    let guarded = InterceptedService::new(flight, move |request: Request<()>| check_token(request, token.as_deref()));
    let mut builder = Server::builder();
    if let Some((cert, key)) = &options.tls {
        builder = builder.tls_config(ServerTlsConfig::new().identity(Identity::from_pem(cert, key))).map_err(ServeError::Tls)?;
    }
    let (stopping_tx, stopping) = tokio::sync::oneshot::channel::<()>();
    let server = builder
        .add_service(guarded)
        // TCP_NODELAY: a small response must not wait for the client's delayed ACK (Nagle), which costs ~40 ms per
        // call on loopback (tonic sets it only on listeners it binds itself).
        .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)), async {
            let _ = stopping.await;
        });
    let server = tokio::spawn(server);
    ready(addr);
    stop.await;
    // No new calls (connections get GOAWAY); engine work still queued gets UNAVAILABLE from here on.
    let _ = stopping_tx.send(());
    let (calls, report) = tokio::join!(tokio::time::timeout(options.drain, server), engine.shutdown(options.drain));
    let calls_drained = match calls {
        Ok(Ok(served)) => {
            served?;
            true
        }
        Ok(Err(join)) => return Err(ServeError::Task(join.to_string())),
        Err(_elapsed) => false,
    };
    let flushed = match &options.flush_to {
        Some(path) => Some((path.clone(), write_ingested(&engine, path)?)),
        None => None,
    };
    Ok(Report { calls_drained, engine: report, flushed })
}

fn check_token(request: Request<()>, expected: Option<&str>) -> Result<Request<()>, Status> {
    let Some(expected) = expected else { return Ok(request) };
    match request.metadata().get("authorization").and_then(|v| v.to_str().ok()) {
        Some(given) if given == expected => Ok(request),
        Some(_) => Err(Status::unauthenticated("the bearer token is wrong; pass the token the server was started with")),
        None => Err(Status::unauthenticated("this server needs a token: send the header 'authorization: Bearer <token>'")),
    }
}

fn write_ingested(engine: &Engine, path: &std::path::Path) -> Result<usize, ServeError> {
    let failed = |source: Box<dyn std::error::Error + Send + Sync>| ServeError::Flush { path: path.to_path_buf(), source };
    let mut df = engine.ingested().map_err(|e| failed(e.into()))?;
    let file = std::fs::File::create(path).map_err(|e| failed(e.into()))?;
    ParquetWriter::new(file).finish(&mut df).map_err(|e| failed(e.into()))?;
    Ok(df.height())
}
