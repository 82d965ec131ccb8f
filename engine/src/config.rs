//! The engine's settings and the builder that validates them.

use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use polars::prelude::Schema;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ingest::Tick;

/// Resolved settings of an [`Engine`]. Built with [`EngineBuilder`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Queries executing at once (admission control); the rest wait in a fair queue.
    pub max_concurrent_queries: usize,
    /// Queries allowed to wait for a slot; one more gets [`Error::Overloaded`].
    pub queue_bound: usize,
    /// How long a query may wait for a slot before it gets [`Error::Overloaded`].
    pub queue_timeout: Duration,
    /// Bytes of decoded data the handle cache may hold (least recently used data is evicted first).
    pub cache_budget_bytes: usize,
    /// A handle not used (nor heartbeated) for this long expires and its data is released.
    pub handle_ttl: Duration,
    /// Files fetched and decoded at once by `batch_read` and streaming.
    pub read_concurrency: usize,
    /// Frames a stream reads ahead of its consumer.
    pub stream_prefetch: usize,
    /// Records the ingest channel holds before `append_*` waits (backpressure).
    pub ingest_capacity: usize,
    /// An ingest micro-batch holds at most this many records (whatever is queued, up to this).
    pub ingest_batch_records: usize,
    /// A batch that is not full waits this long after its oldest record for more (zero: it is applied as soon as
    /// nothing more is queued, the lowest latency; longer makes fewer, larger frames when records trickle in).
    pub ingest_batch_delay: Duration,
    /// Window of the per-symbol rolling VWAP, in the records' own timestamps.
    pub vwap_window: Duration,
    /// Columns and types every file read must have (`None`: no check beyond requested columns).
    pub expected_schema: Option<Schema>,
    /// Called with each ingest micro-batch right after it is stored and visible in the rolling VWAP.
    pub on_ingest_applied: Option<IngestHook>,
}

/// A callback on applied ingest micro-batches (see [`EngineBuilder::on_ingest_applied`]).
#[derive(Clone)]
pub struct IngestHook(pub Arc<dyn Fn(&[Tick]) + Send + Sync>);

impl std::fmt::Debug for IngestHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IngestHook(..)")
    }
}

impl Default for Config {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Config {
            max_concurrent_queries: cores,
            queue_bound: 1024,
            queue_timeout: Duration::from_secs(30),
            cache_budget_bytes: 1 << 30,
            handle_ttl: Duration::from_secs(300),
            read_concurrency: 16,
            stream_prefetch: 2,
            ingest_capacity: 65_536,
            ingest_batch_records: 4096,
            ingest_batch_delay: Duration::ZERO,
            vwap_window: Duration::from_secs(60),
            expected_schema: None,
            on_ingest_applied: None,
        }
    }
}

/// Builds an [`Engine`]. Every setting has a default sized for the machine (see [`Config::default`]).
///
/// ```no_run
/// # async fn demo() -> polaroid::Result<()> {
/// let engine = polaroid::Engine::builder().max_concurrent_queries(4).cache_budget_bytes(512 << 20).build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct EngineBuilder {
    config: Config,
    store: Option<Arc<dyn ObjectStore>>,
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.config.$name = value;
            self
        }
    };
}

impl EngineBuilder {
    setter!(/// See [`Config::max_concurrent_queries`].
        max_concurrent_queries: usize);
    setter!(/// See [`Config::queue_bound`].
        queue_bound: usize);
    setter!(/// See [`Config::queue_timeout`].
        queue_timeout: Duration);
    setter!(/// See [`Config::cache_budget_bytes`].
        cache_budget_bytes: usize);
    setter!(/// See [`Config::handle_ttl`].
        handle_ttl: Duration);
    setter!(/// See [`Config::read_concurrency`].
        read_concurrency: usize);
    setter!(/// See [`Config::stream_prefetch`].
        stream_prefetch: usize);
    setter!(/// See [`Config::ingest_capacity`].
        ingest_capacity: usize);
    setter!(/// See [`Config::ingest_batch_records`].
        ingest_batch_records: usize);
    setter!(/// See [`Config::ingest_batch_delay`].
        ingest_batch_delay: Duration);
    setter!(/// See [`Config::vwap_window`].
        vwap_window: Duration);

    /// Every file read must have these columns with these types.
    pub fn expected_schema(mut self, schema: Schema) -> Self {
        self.config.expected_schema = Some(schema);
        self
    }

    /// Calls `hook` with every ingest micro-batch once it is stored and visible in the rolling VWAP, on the
    /// blocking thread that applied it (keep it short). This is how a caller measures when a record became
    /// visible, e.g. end-to-end latency from a feed's send timestamp.
    pub fn on_ingest_applied(mut self, hook: impl Fn(&[Tick]) + Send + Sync + 'static) -> Self {
        self.config.on_ingest_applied = Some(IngestHook(Arc::new(hook)));
        self
    }

    /// Reads go through this object store instead of the local file system; paths are then object keys. Wrap a
    /// store in [`object_store::throttle::ThrottledStore`] to add per-request latency.
    pub fn object_store(mut self, store: Arc<dyn ObjectStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Validates the settings and starts the engine's background tasks. Must be called inside a Tokio runtime.
    pub fn build(self) -> Result<Engine> {
        let c = &self.config;
        for (name, value) in [
            ("max_concurrent_queries", c.max_concurrent_queries),
            ("read_concurrency", c.read_concurrency),
            ("stream_prefetch", c.stream_prefetch),
            ("ingest_capacity", c.ingest_capacity),
            ("ingest_batch_records", c.ingest_batch_records),
        ] {
            if value == 0 {
                return Err(Error::Config(format!("{name} must be at least 1")));
            }
        }
        if c.handle_ttl.is_zero() {
            return Err(Error::Config("handle_ttl must be longer than zero".into()));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Config("EngineBuilder::build must be called inside a Tokio runtime".into()))?;
        Ok(Engine::start(self.config, self.store, runtime))
    }
}
