//! The feed as a process of its own (`polaroid-bench feed`), so that it and the consumer under measurement do not
//! share a runtime, a heap or a memory cap, and its CPU use is recorded rather than hidden in the consumer's.
//!
//! [`feed_main`] is the process; [`FeedProcess`] starts one for a measurement and reads back the lines it prints:
//! `POLAROID-FEED <url>` once it listens, and `POLAROID-FEED-USAGE <json>` ([`FeedUsage`]) when it is done.

use std::path::Path;
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;


use crate::error::{Error, Result};
pub use crate::protocol::{FeedOptions, FeedUsage};

use crate::feed::server::serve;
use crate::probe::own_cpu_seconds;
use crate::feed::load_ticks;

const URL_PREFIX: &str = "POLAROID-FEED ";
const USAGE_PREFIX: &str = "POLAROID-FEED-USAGE ";
/// How long the feed may take to load its trades and start listening.
const START_TIMEOUT: Duration = Duration::from_secs(120);


/// The feed process: loads the trades (untimed), listens, prints its URL, serves, prints its usage.
pub fn feed_main(options: &FeedOptions, on_listening: impl FnOnce(&str)) -> Result<FeedUsage> {
    let ticks = load_ticks(&options.files, options.ticks.unwrap_or(u64::MAX))?;
    if ticks.is_empty() {
        return Err(Error::BadData("the feed has no trades to send: the input has no rows (or --ticks 0)".into()));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(crate::error::system("cannot start the feed's runtime"))?;
    let sessions = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await.map_err(crate::error::system(format!("the feed cannot listen on 127.0.0.1:{}; pick another --port", options.port)))?;
        let addr = listener.local_addr().map_err(crate::error::system("the feed's socket has no address"))?;
        on_listening(&format!("ws://{addr}/feed"));
        serve(listener, &ticks, options.config.clone()).await
    })?;
    Ok(FeedUsage { cpu_s: own_cpu_seconds(), peak_rss_bytes: crate::probe::vm_hwm_bytes("/proc/self/status"), sessions })
}

/// The feed job of a worker process (`worker::Job::Feed`): prints the lines [`FeedProcess`] reads.
pub fn feed_machine_main(options: &FeedOptions) -> Result<()> {
    crate::probe::die_with_parent();
    let usage = feed_main(options, |url| println!("{URL_PREFIX}{url}"))?;
    println!("{USAGE_PREFIX}{}", serde_json::to_string(&usage)?);
    Ok(())
}

/// A running feed process.
pub struct FeedProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Its WebSocket URL (`ws://127.0.0.1:PORT/feed`).
    pub url: String,
}

impl FeedProcess {
    /// Starts `binary feed` for `options` and waits until it listens.
    pub fn spawn(binary: &Path, options: &FeedOptions) -> Result<FeedProcess> {
        let job = crate::protocol::Job::Feed(options.clone());
        let (child, lines, url) = crate::protocol::start_announced(binary, &job, "feed", URL_PREFIX, START_TIMEOUT)?;
        Ok(FeedProcess { child, lines, url })
    }

    /// Waits up to `wait` for the feed to finish its sessions and report its usage; kills it otherwise.
    pub fn finish(mut self, wait: Duration) -> Option<FeedUsage> {
        let deadline = std::time::Instant::now() + wait;
        let mut usage = None;
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(json) = line.strip_prefix(USAGE_PREFIX) {
                        usage = serde_json::from_str(json).ok();
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        self.kill();
        usage
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long the feed may take to finish its last session and report its usage after the consumer is done.
const FEED_EXIT_WAIT: Duration = Duration::from_secs(10);

impl crate::companion::Companion for FeedProcess {
    /// After a finished measurement the feed is done with its sessions and reports its usage; otherwise it is waiting
    /// for a consumer that will not come, and is stopped at once.
    fn stop(self: Box<Self>, finished: bool) -> crate::companion::CompanionFigures {
        let usage = self.finish(if finished { FEED_EXIT_WAIT } else { Duration::ZERO });
        crate::companion::CompanionFigures {
            feed_cpu_s: usage.map(|u| u.cpu_s),
            feed_peak_rss_bytes: usage.and_then(|u| u.peak_rss_bytes),
            ..Default::default()
        }
    }
}

impl Drop for FeedProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

