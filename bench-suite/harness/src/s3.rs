//! The S3-compatible server of batch-read and of workload files' `[s3]` tables: `s3s-fs` serving the dataset's
//! directory (or the tables, one prefix each) as one bucket on 127.0.0.1, every request answered after a fixed
//! latency. The latency is added in front of the S3 service, in user space (the
//! kernel here has no `netem`), so it delays each request the way a distant store does, whoever sends it.
//!
//! The runner starts one per measurement that has a latency, on a runtime of its own in the runner's process, so it
//! is outside the measured process and shared by nobody else; every variant reads the same files through it (see
//! the `remote` module for the clients). It counts the requests it answered and the most it had in flight at once,
//! which the runner records. It owns the bucket's layout ([`key`], [`table_keys`], [`table_glob`]) and says how to
//! reach it ([`S3Server::access`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use object_store::path::Path as ObjectPath;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;

use crate::error::{Error, Result, io_err};
use crate::protocol::{S3Access, SqlTable};

/// The one bucket: the dataset's directory.
pub const BUCKET: &str = "polaroid";
/// Credentials of the local server (it listens on 127.0.0.1 only; they exist because S3 clients sign requests).
pub const ACCESS_KEY: &str = "polaroid";
/// See [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "polaroid-local-only";
/// The region clients sign for (any name works; it must only be the same on both sides).
pub const REGION: &str = "us-east-1";

/// The object key of a dataset file: its name (the bucket is the dataset's directory).
pub fn key(path: &Path) -> ObjectPath {
    ObjectPath::from(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
}

/// The object keys of a workload file's table, in the order of its files: `<table>/<file name>`, or, when two of
/// its files share a name (a glob over several directories), `<table>/<position>-<file name>`.
pub fn table_keys(table: &SqlTable) -> Vec<String> {
    let names: Vec<String> = table.files.iter().map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    let numbered = unique.len() != names.len();
    names
        .iter()
        .enumerate()
        .map(|(i, n)| if numbered { format!("{}/{i:05}-{n}", table.name) } else { format!("{}/{n}", table.name) })
        .collect()
}

/// `s3://polaroid/<table>/*.parquet`: every file of a workload file's table, for Polars' cloud reader.
pub fn table_glob(table: &SqlTable) -> String {
    format!("s3://{BUCKET}/{}/*.parquet", table.name)
}

/// Writes the record s3s-fs reads an object's ETag from (`.bucket-B.object-K.internal.json` in the root) for the
/// object `key`, whose bytes are `file`.
fn write_object_record(root: &Path, key: &str, file: &Path) -> Result<()> {
    use base64::Engine as _;
    let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let meta = std::fs::metadata(file).map_err(io_err("reading the metadata of", file))?;
    let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    let record = root.join(format!(".bucket-{}.object-{}.internal.json", encode(BUCKET), encode(key)));
    let body = serde_json::json!({ "e_tag": format!("{:x}-{:x}", meta.len(), modified) });
    std::fs::write(&record, body.to_string()).map_err(io_err("writing", &record))
}

/// Puts `file` into the bucket as `key` without copying its bytes when it can: a hard link (same file system), else
/// a copy (outside any timer; the server's root is removed with the measurement's scratch directory). Not a
/// symbolic link: s3s-fs lists a link's own size, not its file's, and readers that list would read wrong ranges.
fn place(file: &Path, at: &Path) -> Result<()> {
    if let Some(dir) = at.parent() {
        std::fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
    }
    if std::fs::hard_link(file, at).is_ok() {
        return Ok(());
    }
    std::fs::copy(file, at).map(|_| ()).map_err(io_err("copying into the S3 server's bucket", file))
}

/// A running server; stopped when dropped.
pub struct S3Server {
    endpoint: String,
    requests: Arc<AtomicU64>,
    /// Requests in flight now, and the most at once so far.
    in_flight: Arc<(AtomicU64, AtomicU64)>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl S3Server {
    /// Serves the directory holding `files` as bucket [`BUCKET`], each request answered after `latency`. `scratch`
    /// is an empty directory the server may use as its root.
    pub fn start(files: &[PathBuf], latency: Duration, scratch: &Path) -> Result<S3Server> {
        let dir = files
            .first()
            .and_then(|f| f.parent())
            .ok_or_else(|| Error::BadData("the S3 server needs at least one input file".into()))?;
        if let Some(other) = files.iter().find(|f| f.parent() != Some(dir)) {
            return Err(Error::BadData(format!(
                "the S3 server serves one directory, but {} is not in {}",
                other.display(),
                dir.display()
            )));
        }
        // The root holds one bucket: a link to the dataset's directory (whatever that directory is called).
        let root = scratch.join("s3-root");
        std::fs::create_dir_all(&root).map_err(io_err("creating", &root))?;
        let link = root.join(BUCKET);
        let target = std::fs::canonicalize(dir).map_err(io_err("resolving", dir))?;
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).map_err(io_err("linking", &link))?;
        // s3s-fs sends an object's MD5 as its ETag, hashing the whole file on every GET and HEAD (ranges included)
        // unless the object has a record beside it: give each one (the size and modification time, as web servers
        // do), so that no reader pays a whole-file hash per request.
        for file in files {
            write_object_record(&root, &key(file).to_string(), file)?;
        }
        S3Server::serve(&root, latency)
    }

    /// Serves a workload file's tables in bucket [`BUCKET`], each table's files under the prefix `<table>/`
    /// (keys from [`table_keys`]), each request answered after `latency`. `scratch` is an empty
    /// directory the server may use as its root.
    pub fn serve_tables(tables: &[SqlTable], latency: Duration, scratch: &Path) -> Result<S3Server> {
        let root = scratch.join("s3-root");
        let bucket = root.join(BUCKET);
        std::fs::create_dir_all(&bucket).map_err(io_err("creating", &bucket))?;
        for table in tables {
            for (file, key) in table.files.iter().zip(table_keys(table)) {
                place(file, &bucket.join(&key))?;
                write_object_record(&root, &key, file)?;
            }
        }
        S3Server::serve(&root, latency)
    }

    /// Serves `root` (a directory of buckets) on 127.0.0.1, each request answered after `latency`.
    fn serve(root: &Path, latency: Duration) -> Result<S3Server> {
        let fs = s3s_fs::FileSystem::new(root).map_err(|e| Error::Companion { what: format!("the S3 server cannot serve {}: {e:?}", root.display()), source: None })?;
        let mut builder = S3ServiceBuilder::new(Reads { fs, root: root.to_path_buf() });
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("s3-server")
            .enable_all()
            .build()
            .map_err(crate::error::system("cannot start the S3 server's runtime"))?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
            .map_err(crate::error::system("the S3 server cannot listen on 127.0.0.1"))?;
        let addr = listener.local_addr().map_err(crate::error::system("the S3 server's socket has no address"))?;
        let requests = Arc::new(AtomicU64::new(0));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let counter = requests.clone();
        let in_flight: Arc<(AtomicU64, AtomicU64)> = Arc::default();
        let gauge = in_flight.clone();
        let thread = std::thread::Builder::new()
            .name("s3-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    loop {
                        let socket = tokio::select! {
                            accepted = listener.accept() => match accepted {
                                Ok((socket, _)) => socket,
                                Err(_) => continue,
                            },
                            _ = &mut stopped => break,
                        };
                        // As web servers do for keep-alive connections (nginx's tcp_nodelay): without it a response's
                        // last small segment can wait for the client's delayed ACK (Nagle), tens of ms per request.
                        let _ = socket.set_nodelay(true);
                        let (service, counter, gauge) = (service.clone(), counter.clone(), gauge.clone());
                        tokio::spawn(async move {
                            let delayed = hyper::service::service_fn(move |request| {
                                let (service, counter, gauge) = (service.clone(), counter.clone(), gauge.clone());
                                async move {
                                    let now = gauge.0.fetch_add(1, Ordering::Relaxed) + 1;
                                    gauge.1.fetch_max(now, Ordering::Relaxed);
                                    tokio::time::sleep(latency).await;
                                    counter.fetch_add(1, Ordering::Relaxed);
                                    let response = hyper::service::Service::call(&service, request).await;
                                    gauge.0.fetch_sub(1, Ordering::Relaxed);
                                    response
                                }
                            });
                            // A client that hangs up mid-request ends its connection; the server goes on.
                            let _ = hyper::server::conn::http1::Builder::new()
                                .keep_alive(true)
                                .serve_connection(TokioIo::new(socket), delayed)
                                .await;
                        });
                    }
                });
                // Connections still open end with the runtime.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(crate::error::system("cannot start the S3 server's thread"))?;
        Ok(S3Server { endpoint: format!("http://{addr}"), requests, in_flight, stop: Some(stop), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// What a client outside this process (a Python engine) needs to read a workload file's tables from here.
    pub fn access(&self) -> S3Access {
        S3Access {
            endpoint: self.endpoint().to_string(),
            bucket: BUCKET.into(),
            region: REGION.into(),
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
        }
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The most requests that were in flight at once so far: how much concurrency a reader used.
    pub fn peak_in_flight(&self) -> u64 {
        self.in_flight.1.load(Ordering::Relaxed)
    }
}

impl crate::companion::Companion for S3Server {
    /// The requests it served (`s3_requests`) and the most it had in flight at once (`s3_peak_in_flight`).
    fn stop(self: Box<Self>, _finished: bool) -> crate::companion::CompanionFigures {
        let mut figures = crate::companion::CompanionFigures::default();
        figures.figures.insert("s3_requests".into(), self.requests() as f64);
        figures.figures.insert("s3_peak_in_flight".into(), self.peak_in_flight() as f64);
        figures
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// s3s-fs for reading, with one fix: a suffix range longer than the object (`Range: bytes=-65536` on a smaller file,
/// as Python Polars asks for a footer) is answered with the whole object, as S3 does; s3s-fs seeks before the
/// file's start and answers 500. The operations readers use are passed on; the others are not served.
struct Reads {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
}

#[async_trait::async_trait]
impl s3s::S3 for Reads {
    async fn get_object(&self, mut req: s3s::S3Request<s3s::dto::GetObjectInput>) -> s3s::S3Result<s3s::S3Response<s3s::dto::GetObjectOutput>> {
        if let Some(s3s::dto::Range::Suffix { length }) = req.input.range {
            let file = self.root.join(&req.input.bucket).join(&req.input.key);
            if let Ok(meta) = tokio::fs::metadata(&file).await
                && length > meta.len()
            {
                req.input.range = None;
            }
        }
        self.fs.get_object(req).await
    }

    async fn head_object(&self, req: s3s::S3Request<s3s::dto::HeadObjectInput>) -> s3s::S3Result<s3s::S3Response<s3s::dto::HeadObjectOutput>> {
        self.fs.head_object(req).await
    }

    async fn head_bucket(&self, req: s3s::S3Request<s3s::dto::HeadBucketInput>) -> s3s::S3Result<s3s::S3Response<s3s::dto::HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        req: s3s::S3Request<s3s::dto::GetBucketLocationInput>,
    ) -> s3s::S3Result<s3s::S3Response<s3s::dto::GetBucketLocationOutput>> {
        self.fs.get_bucket_location(req).await
    }

    async fn list_buckets(&self, req: s3s::S3Request<s3s::dto::ListBucketsInput>) -> s3s::S3Result<s3s::S3Response<s3s::dto::ListBucketsOutput>> {
        self.fs.list_buckets(req).await
    }

    async fn list_objects(&self, req: s3s::S3Request<s3s::dto::ListObjectsInput>) -> s3s::S3Result<s3s::S3Response<s3s::dto::ListObjectsOutput>> {
        self.fs.list_objects(req).await
    }

    async fn list_objects_v2(&self, req: s3s::S3Request<s3s::dto::ListObjectsV2Input>) -> s3s::S3Result<s3s::S3Response<s3s::dto::ListObjectsV2Output>> {
        self.fs.list_objects_v2(req).await
    }
}
