//! A simulated object store with a fixed latency per request, shared by every variant of a measurement, so that
//! what overlapping I/O buys is measured on equal terms.
//!
//! The files' bytes are loaded into `object_store`'s in-memory store before the clock starts (as a remote store
//! holds them), and `object_store`'s own `ThrottledStore` adds the wait to every GET. (`ThrottledStore` over
//! `LocalFileSystem` is not usable: in object_store 0.13 its GET panics on file payloads.) The async engine reads
//! through the store with its own runtime; synchronous Polars variants block on this module's small runtime, one
//! GET per file, as a synchronous client of an object store does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::throttle::{ThrottleConfig, ThrottledStore};
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Error, Result, io_err};

/// The in-memory, throttled store holding a dataset's files.
pub struct RemoteStore {
    latency: Duration,
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore").field("latency", &self.latency).finish_non_exhaustive()
    }
}

/// The object key of a local path (the polaroid engine derives keys the same way).
pub fn key(path: &Path) -> ObjectPath {
    ObjectPath::from(path.display().to_string().trim_start_matches('/'))
}

impl RemoteStore {
    /// Loads `files` into a store that waits `latency` before answering each GET.
    pub fn load(files: &[PathBuf], latency: Duration) -> Result<RemoteStore> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("remote-store")
            .enable_time()
            .build()
            .map_err(|e| Error::Config(format!("cannot start the simulated store's runtime: {e}")))?;
        let memory = InMemory::new();
        for file in files {
            let bytes = std::fs::read(file).map_err(io_err("reading", file))?;
            runtime
                .block_on(memory.put(&key(file), bytes.into()))
                .map_err(|e| Error::Config(format!("cannot load {} into the simulated store: {e}", file.display())))?;
        }
        let config = ThrottleConfig { wait_get_per_call: latency, ..ThrottleConfig::default() };
        Ok(RemoteStore { latency, store: Arc::new(ThrottledStore::new(memory, config)), runtime })
    }

    /// The latency added to each request.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// The store, for the async engine.
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// One GET of a whole file, blocking the calling thread (synchronous variants).
    pub fn get(&self, path: &Path) -> Result<Bytes> {
        let store = self.store.clone();
        let key = key(path);
        self.runtime
            .block_on(async move { store.get(&key).await?.bytes().await })
            .map_err(|e| Error::Config(format!("GET {} from the simulated store failed: {e}", path.display())))
    }
}
