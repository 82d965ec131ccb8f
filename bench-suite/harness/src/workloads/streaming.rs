//! streaming: real-time ingest of trade ticks from a WebSocket feed.
//!
//! What it measures: a feed process (`polaroid-bench feed`, tokio-tungstenite on 127.0.0.1) replays the dataset's
//! trades as exchange-style JSON messages at an offered rate (`rate_per_s`: 10k to 200k ticks/s, or `unpaced`) over
//! 1 or 8 connections. Each variant must store every tick in a frame and keep a per-symbol rolling VWAP. One sample
//! is one session: the achieved rate, ticks over the span from the first send to the last tick visible. Latency is
//! per tick, from the feed's send timestamp to the tick being visible in the VWAP (HDR histogram over the timed
//! sessions).
//!
//! What could make it unfair, and what is done about it: every variant gets the same trades in the same order on
//! the same connections; the feed runs in its own process, outside the consumer's memory cap, and its CPU time is
//! recorded next to the consumer's (no CPU pinning: both share the machine's cores, which the result states); the
//! two micro-batching variants cap batches at [`BATCH_RECORDS`](crate::feed::BATCH_RECORDS) (the sync client cuts a partial batch after
//! [`BATCH_DELAY`](crate::feed::BATCH_DELAY) without data, the engine when its queue is empty); after every
//! session a checker compares the stored ticks and the VWAP with the reference computed from the same trades, and
//! a session that lost, duplicated or mispriced anything fails the measurement. `transport-ceiling` stores nothing:
//! it is the limit of transport and parsing, and only its count is checked.

use std::path::PathBuf;

use polaroid_results::{Answer, StreamStats, Work};
use xxhash_rust::xxh3::xxh3_64;

use crate::answer;
use crate::data::Recipe;
use crate::engines::{Engine, EngineKind, FeedSession, Ingested, Input, Op, Output};
use crate::error::{Error, Result};
use crate::feed::check::{Reference, check};
use crate::feed::latency::Visibility;
use crate::feed::process::FeedOptions;
use crate::feed::server::{FeedConfig, Faults};
use crate::feed::load_ticks;
use crate::probe::own_cpu_seconds;
use crate::feed::process::FeedProcess;
use crate::workloads::{
    ChildReport, ChildSpec, Companions, Extra, Params, Rate, Settings, Setup, Size, TaskDef, Workload, keep_settings, latency_of, no_note,
    safety_cap,
};


/// The registry entry.
pub static WORKLOAD: Workload = Workload {
    name: "streaming",
    about: "a WebSocket tick feed (own process, 127.0.0.1) at 10k-200k ticks/s or unpaced, over 1 or 8 connections",
    fairness: "same trades, order and connections for all; feed in its own process (its CPU recorded); every session checked for count, gaps and VWAP",
    tasks: &[TaskDef {
        name: "ingest",
        about: "achieved ticks/s storing every tick + rolling VWAP; latency from send to visible in the VWAP",
        sql: None,
    }],
    engines: &[EngineKind::TransportCeiling, EngineKind::PolarsNaive, EngineKind::PolarsMicroBatch, EngineKind::Polaroid],
    recipe: Some(recipe),
    settings,
    drive,
    companions,
    adjust: keep_settings,
    note: no_note,
    no_instructions: Some("a paced feed: the work done depends on the clock"),
};

fn recipe(size: Size, seed: u64) -> Recipe {
    // The concurrent-query dataset: one file of trades, so the two workloads share it.
    super::concurrent_query::recipe(size, seed)
}

fn settings(size: Size) -> Settings {
    let (rates, connections, processes, runs, duration_s, timeout_s): (&[u64], &[u64], usize, usize, f64, f64) = match size {
        Size::Smoke => (&[20_000], &[1, 2], 2, 1, 0.25, 120.0),
        Size::Default => (&[10_000, 50_000, 100_000, 200_000], &[1, 8], 2, 1, 0.5, 300.0),
        Size::Large => (&[10_000, 50_000, 100_000, 200_000], &[1, 8], 3, 2, 5.0, 1800.0),
    };
    let mut sweep = Vec::new();
    for &c in connections {
        for &rate in rates.iter().map(|r| Rate::PerS(*r)).collect::<Vec<_>>().iter().chain([Rate::UNPACED].iter()) {
            sweep.push(Params { rate_per_s: Some(rate), connections: Some(c), ..Params::default() });
        }
    }
    Settings { processes, warmup: 1, runs, run_duration_s: duration_s, timeout_s, memory_cap_bytes: safety_cap(), sweep }
}

/// The offered rate of a sweep entry; `None` for unpaced.
pub fn offered_rate(params: &Params) -> Option<f64> {
    params.rate_per_s.and_then(Rate::per_s)
}

fn connections(params: &Params) -> usize {
    params.connections.unwrap_or(1).max(1) as usize
}

/// Ticks an unpaced session sends per second of `run_duration_s` (so an unpaced session is sized like a paced one
/// at this rate).
const UNPACED_TICKS_PER_S: f64 = 1_000_000.0;

/// Trades per session: `rate x run duration` (1M ticks/s x run duration when unpaced), at most the dataset.
pub fn ticks_per_session(params: &Params, settings: &Settings, dataset_rows: u64) -> u64 {
    let rate = offered_rate(params).unwrap_or(UNPACED_TICKS_PER_S);
    ((rate * settings.run_duration_s).ceil() as u64).clamp(1, dataset_rows.max(1))
}

/// The feed process for one measurement: as many sessions as the measurement will consume.
pub fn feed_options(params: &Params, settings: &Settings, files: &[PathBuf], dataset_rows: u64) -> FeedOptions {
    FeedOptions {
        files: files.to_vec(),
        ticks: Some(ticks_per_session(params, settings, dataset_rows)),
        config: FeedConfig {
            rate_per_s: offered_rate(params),
            connections: connections(params),
            sessions: Some((settings.warmup.max(1) + settings.runs) as u64),
            faults: Faults::default(),
        },
        port: 0,
    }
}

fn drive(spec: &ChildSpec, engine: &dyn Engine, input: &Input) -> Result<ChildReport> {
    let Extra::Feed { url, ticks } = &spec.extra else {
        return Err(crate::error::internal("streaming: the job names no feed"));
    };
    let ticks = *ticks;
    // The reference, from the same trades the feed replays (untimed).
    let reference = Reference::of(&load_ticks(&spec.files, ticks)?);
    let op = Op::Ingest(FeedSession { url: url.to_string(), connections: connections(&spec.params), ticks });

    let mut answer = None;
    for _ in 0..spec.settings.warmup.max(1) {
        let session = ingested(engine.execute(input, &op)?)?;
        verify(&reference, &session, &spec.engine)?;
        if answer.is_none() {
            answer = digest(&session)?;
        }
    }
    let cpu_before = own_cpu_seconds();
    let mut samples = Vec::new();
    let mut visibility = Visibility::default();
    let mut stats = StreamStats {
        offered_per_s: offered_rate(&spec.params),
        connections: connections(&spec.params) as u32,
        ticks_per_session: ticks,
        cpu_pinning: "none".into(),
        ..StreamStats::default()
    };
    for _ in 0..spec.settings.runs {
        let session = ingested(engine.execute(input, &op)?)?;
        verify(&reference, &session, &spec.engine)?;
        samples.push(session.visibility.achieved_per_s());
        visibility.merge(&session.visibility);
        let c = &session.connections;
        stats.sessions_checked += 1;
        stats.gaps += c.gaps;
        stats.reconnects += c.reconnects;
        for (reason, n) in &c.malformed {
            *stats.malformed.entry(reason.clone()).or_default() += n;
        }
    }
    stats.consumer_cpu_s = Some(own_cpu_seconds() - cpu_before);
    Ok(ChildReport {
        metric_name: "throughput".into(),
        unit: "ticks/s".into(),
        higher_is_better: true,
        warmup_runs: spec.settings.warmup.max(1),
        samples,
        latency: Some(latency_of(&visibility.latency, 0)),
        work: Some(Work { input_rows: ticks, input_bytes: 0 }),
        answer,
        peak_rss_bytes: crate::workloads::own_peak_rss_bytes(),
        stream: Some(stats),
        written: None,
        engine_figures: Default::default(),
        answer_file: None,
        answer_files: Vec::new(),
    })
}

fn ingested(output: Output) -> Result<Ingested> {
    match output {
        Output::Ingested(i) => Ok(i),
        _ => Err(crate::error::internal("streaming: the engine returned something other than an ingest session")),
    }
}

/// The checker, after every session: a wrong session fails the measurement.
fn verify(reference: &Reference, session: &Ingested, variant: &str) -> Result<()> {
    let findings = match &session.stored {
        Some(df) => {
            let seqs = df.column("seq")?.cast(&polars::prelude::DataType::UInt64)?;
            let seqs = seqs.u64()?;
            check(reference, seqs.into_no_null_iter(), session.vwap.as_ref())?
        }
        None => check(reference, session.seqs.iter().copied(), None)?,
    };
    if !findings.ok() || !session.connections.ended {
        let mut what = findings.describe();
        if !session.connections.ended {
            what.push_str(if what.is_empty() { "" } else { ", " });
            what.push_str("a connection ended without the feed's end message");
        }
        return Err(Error::Check { variant: variant.to_string(), what });
    }
    Ok(())
}

/// The answer compared across variants: the stored ticks, and each symbol's trade count in its VWAP window.
/// The VWAP values themselves are left out of this digest: they are exact rationals of 2-decimal prices that
/// often sit on a rounding boundary of the digest's 6 significant digits, so equal-within-1e-9 values from two
/// summation orders can digest differently. Every variant's values are checked against the reference (relative
/// 1e-9) by [`verify`] instead. `None` for the transport ceiling.
fn digest(session: &Ingested) -> Result<Option<Answer>> {
    let (Some(stored), Some(vwap)) = (&session.stored, &session.vwap) else { return Ok(None) };
    let ticks = answer::digest(std::slice::from_ref(stored))?;
    let vwaps = answer::digest(&[vwap.select(["symbol", "trades"])?])?;
    Ok(Some(Answer {
        rows: ticks.rows,
        columns: ticks.columns.iter().chain(&vwaps.columns).cloned().collect(),
        checksum: format!("{:016x}", xxh3_64(format!("{}|{}", ticks.checksum, vwaps.checksum).as_bytes())),
        preview: vwaps.preview,
    }))
}

/// The feed, a process of its own (same binary, same allocator), serving this measurement's sessions.
fn companions(setup: &Setup<'_>) -> Result<Companions> {
    let options = feed_options(setup.params, setup.settings, &setup.dataset.files, setup.dataset.info.rows);
    let ticks = options.ticks;
    let feed = FeedProcess::spawn(setup.binary, &options)?;
    let url = feed.url.clone();
    Ok(Companions { extra: Extra::Feed { url, ticks: ticks.unwrap_or(u64::MAX) }, running: vec![Box::new(feed)] })
}
