//! concurrent-query's networked variant, `polaroid-flight`: the engine behind its Flight SQL server
//! (`polaroid-server`'s library) in a process of its own, started by the runner outside the measured process (as
//! the feed is), with the dataset's file loaded at start as table `trades`. The measured process only sends SQL
//! over loopback gRPC, so the comparison with the in-process `polaroid` shows what the network layer costs.
//!
//! [`server_main`] is the process (a worker job); [`FlightProcess`] starts one and reads its URL, and its peak
//! memory (`VmHWM`) once the measurement is done.

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use crate::error::Result;

const URL_PREFIX: &str = "POLAROID-FLIGHT ";
/// How long the server may take to load the file and start listening.
const START_TIMEOUT: Duration = Duration::from_secs(300);

/// The server process: an engine configured as the in-process `polaroid` variant is (cache, adaptive admission,
/// a queue that never refuses), serving `tables` (`(name, path)`) on a free loopback port until its parent goes away.
pub fn server_main(tables: Vec<(String, String)>) -> Result<()> {
    crate::probe::die_with_parent();
    // The runtime polaroid-server's binary runs on, sized for the engine's default admission bound.
    let max_concurrent = polaroid::Config::default().max_concurrent_queries;
    let runtime = polaroid_server::runtime(polaroid_server::blocking_threads(max_concurrent))
        .map_err(crate::error::system("cannot start the Flight SQL server's runtime"))?;
    runtime.block_on(async {
        let engine = polaroid::Engine::builder()
            .queue_bound(1 << 16)
            .queue_timeout(Duration::from_secs(600))
            .cache_budget_bytes(8 << 30)
            .handle_ttl(Duration::from_secs(24 * 3600))
            .build()?;
        let options = polaroid_server::Options {
            listen: "127.0.0.1:0".parse().expect("a literal address"),
            tables,
            ..polaroid_server::Options::default()
        };
        polaroid_server::serve(engine, options, |addr| println!("{URL_PREFIX}grpc://{addr}"), std::future::pending())
            .await?;
        Ok(())
    })
}

/// A running server process.
pub struct FlightProcess {
    child: Child,
    /// `grpc://127.0.0.1:PORT`.
    pub url: String,
}

impl FlightProcess {
    /// Starts `binary __worker` with the server job for `tables` (`(name, path)`) and waits until it listens.
    pub fn spawn(binary: &Path, tables: Vec<(String, String)>) -> Result<FlightProcess> {
        let job = crate::protocol::Job::FlightServer { tables };
        let (child, _lines, url) = crate::protocol::start_announced(binary, &job, "Flight SQL server", URL_PREFIX, START_TIMEOUT)?;
        Ok(FlightProcess { child, url })
    }

    /// The kernel's high-water mark of the server's resident memory so far.
    pub fn peak_rss_bytes(&self) -> Option<u64> {
        crate::probe::vm_hwm_bytes(&format!("/proc/{}/status", self.child.id()))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl crate::companion::Companion for FlightProcess {
    /// Its peak memory over the measurement (`server_peak_rss_bytes`), then it is stopped.
    fn stop(self: Box<Self>, _finished: bool) -> crate::companion::CompanionFigures {
        let mut figures = crate::companion::CompanionFigures::default();
        if let Some(bytes) = self.peak_rss_bytes() {
            figures.figures.insert("server_peak_rss_bytes".into(), bytes as f64);
        }
        figures
    }
}

impl Drop for FlightProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
