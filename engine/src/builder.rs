//! [`EngineBuilder`]: the engine's settings, validated, and the engine started with them.

use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use polars::prelude::Schema;

use crate::config::Config;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ingest::{IngestHook, Tick};

impl Engine {
    /// A builder with defaults sized for this machine.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
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
    setter!(/// See [`Config::adaptive_admission`].
        adaptive_admission: bool);
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

    setter!(/// See [`Config::query_timeout`].
        query_timeout: Option<Duration>);
    setter!(/// See [`Config::memory_limit_bytes`].
        memory_limit_bytes: Option<usize>);

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
        if c.query_timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::Config("query_timeout must be longer than zero (None: no limit)".into()));
        }
        if c.memory_limit_bytes.is_some() && crate::limit::resident_bytes().is_none() {
            return Err(Error::Config("memory_limit_bytes needs the process' resident memory, which is read from /proc (Linux only)".into()));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Config("EngineBuilder::build must be called inside a Tokio runtime".into()))?;
        Ok(Engine::start(self.config, self.store, runtime))
    }
}
