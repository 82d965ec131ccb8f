//! Reading the dataset through the S3-compatible server ([`crate::s3`]) that the runner starts for measurements with
//! a per-request latency. Every variant reads the same objects from the same server:
//!
//! - Polars' lazy variants with Polars' own cloud reader: `scan_parquet("s3://polaroid/*.parquet")` with the
//!   server as `aws_endpoint_url` ([`RemoteStore::glob`], [`RemoteStore::cloud_options`]).
//! - The async engine with `object_store`'s `AmazonS3` client ([`RemoteStore::store`]), one GET per file.
//! - The eager variants with the same client, blocking on this module's small runtime, one GET per file
//!   ([`RemoteStore::get`]), as a synchronous client of an object store does.
//!
//! A workload file's tables (`[s3]`) are one bucket too, each table the prefix `<table>/` holding its files
//! ([`crate::s3::table_keys`]): every engine names a table as an S3 user does, by that prefix
//! ([`crate::s3::table_glob`] for Polars' reader), or by its objects ([`crate::s3::table_keys`] for the async
//! engine); the Python engines get [`crate::protocol::S3Access`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{ClientConfigKey, ObjectStore, ObjectStoreExt};
use polars::prelude::cloud::CloudOptions;

use crate::error::{Error, Result};
use crate::s3::{ACCESS_KEY, BUCKET, REGION, SECRET_KEY, key};

/// Clients of the measurement's S3 server.
pub struct RemoteStore {
    endpoint: String,
    latency: Duration,
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore").field("endpoint", &self.endpoint).field("latency", &self.latency).finish_non_exhaustive()
    }
}

impl RemoteStore {
    /// Clients of the server at `endpoint` (`http://127.0.0.1:PORT`), which adds `latency` to each request.
    pub fn connect(endpoint: &str, latency: Duration) -> Result<RemoteStore> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("remote-store")
            .enable_all()
            .build()
            .map_err(crate::error::system("cannot start the object store client's runtime"))?;
        let store = AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_allow_http(true)
            .with_bucket_name(BUCKET)
            .with_region(REGION)
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY)
            .build()
            .map_err(|source| Error::Remote { what: format!("cannot configure the S3 client for {endpoint}"), source })?;
        Ok(RemoteStore { endpoint: endpoint.to_string(), latency, store: Arc::new(store), runtime })
    }

    /// The latency the server adds to each request.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// The store, for the async engine (its paths are [`crate::s3::key`]s).
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// `s3://polaroid/*.parquet`: every file of the dataset, for Polars' cloud reader.
    pub fn glob(&self) -> String {
        format!("s3://{BUCKET}/*.parquet")
    }

    /// What Polars' cloud reader needs to reach the server.
    pub fn cloud_options(&self) -> CloudOptions {
        CloudOptions::default().with_aws([
            (AmazonS3ConfigKey::Endpoint, self.endpoint.clone()),
            (AmazonS3ConfigKey::Region, REGION.to_string()),
            (AmazonS3ConfigKey::AccessKeyId, ACCESS_KEY.to_string()),
            (AmazonS3ConfigKey::SecretAccessKey, SECRET_KEY.to_string()),
            (AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp), "true".to_string()),
        ])
    }

    /// One GET of a whole file, blocking the calling thread (synchronous variants).
    pub fn get(&self, path: &Path) -> Result<Bytes> {
        self.get_key(&key(path).to_string())
    }

    /// One GET of a whole object, blocking the calling thread.
    pub fn get_key(&self, key: &str) -> Result<Bytes> {
        let store = self.store.clone();
        let object = ObjectPath::from(key);
        self.runtime
            .block_on(async move { store.get(&object).await?.bytes().await })
            .map_err(|source| Error::Remote { what: format!("GET {key} from the S3 server failed"), source })
    }
}
