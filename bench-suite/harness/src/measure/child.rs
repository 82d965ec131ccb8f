//! The measurement process: reads its [`ChildSpec`] from stdin, caps itself when the cap is an rlimit, prepares the
//! engine (untimed), lets the workload's driver time the task, and prints one report line.
#![allow(unsafe_code)]

use std::sync::Arc;
use std::time::Duration;

use crate::engines::{EngineKind, Input};
use crate::error::{Error, Result};
use crate::remote::RemoteStore;
use crate::measure::{ChildFailure, FAILURE_PREFIX, REPORT_PREFIX};
use crate::workloads::{self, ChildReport, ChildSpec, Extra};

/// The measurement job of a worker process (`worker::Job::Measure`): prints one report line. Returns the exit code.
pub fn measure_main(spec: &ChildSpec) -> i32 {
    let line = match measure(spec) {
        Ok(report) => format!("{REPORT_PREFIX}{}", serde_json::to_string(&report).expect("reports serialize")),
        Err(e) => {
            let failure = ChildFailure { unsupported: matches!(e, Error::Unsupported { .. }), message: polaroid_results::error::chain(&e) };
            format!("{FAILURE_PREFIX}{}", serde_json::to_string(&failure).expect("failures serialize"))
        }
    };
    println!("{line}");
    0
}

fn measure(spec: &ChildSpec) -> Result<ChildReport> {
    if let Some(bytes) = spec.rlimit_bytes {
        set_address_space_limit(bytes)?;
    }
    let drive = workloads::driver(spec)?;
    let mut engine = EngineKind::from_name(&spec.engine)?.create();
    // With a latency, the files are read from the measurement's S3 server (started by the parent).
    let endpoint = match &spec.extra {
        Extra::S3 { endpoint } => Some(endpoint.as_str()),
        Extra::Sql(task) => task.s3.as_ref().map(|s3| s3.endpoint.as_str()),
        _ => None,
    };
    let remote = match endpoint {
        Some(endpoint) => {
            let latency = Duration::from_millis(spec.params.latency_ms.unwrap_or(0));
            Some(Arc::new(RemoteStore::connect(endpoint, latency)?))
        }
        None => None,
    };
    let server = match &spec.extra {
        Extra::Requests { server, .. } => server.clone(),
        Extra::Sql(task) => task.server.clone(),
        _ => None,
    };
    let tables = match &spec.extra {
        Extra::Sql(task) => task.tables.clone(),
        _ => Vec::new(),
    };
    let input = Input { files: spec.files.clone(), remote, server, tables };
    engine.prepare(&input)?;
    let mut report = drive(spec, engine.as_ref(), &input)?;
    report.engine_figures.extend(engine.figures());
    Ok(report)
}

fn set_address_space_limit(bytes: u64) -> Result<()> {
    let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
    // SAFETY: setrlimit reads a valid rlimit struct from a live local.
    let r = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    if r != 0 {
        return Err(Error::System { doing: "cannot set RLIMIT_AS".into(), source: std::io::Error::last_os_error() });
    }
    Ok(())
}
