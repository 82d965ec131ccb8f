//! The streaming workload's feed and clients, against the real feed process: malformed messages are counted and
//! skipped, a dropped connection is re-established and its gap recorded, and the checker sees the lost ticks.

use std::path::PathBuf;

use polaroid_bench::data;
use polaroid_bench::feed::check::{Reference, check};
use polaroid_bench::feed::client::{ConnStats, consume, consume_blocking};
use polaroid_bench::feed::load_ticks;
use polaroid_bench::feed::process::{FeedOptions, FeedProcess};
use polaroid_bench::feed::server::{Faults, FeedConfig};
use polaroid_bench::workloads::{Size, streaming};

use crate::util::{BIN, Sandbox};

fn smoke_files(s: &Sandbox) -> Vec<PathBuf> {
    let recipe = streaming::WORKLOAD.recipe.expect("streaming generates its data")(Size::Smoke, 42);
    data::ensure(&recipe, &s.data()).expect("smoke data").0.files
}

fn feed(files: Vec<PathBuf>, ticks: u64, connections: usize, faults: Faults) -> FeedProcess {
    let options = FeedOptions {
        files,
        ticks: Some(ticks),
        config: FeedConfig { rate_per_s: None, connections, sessions: Some(1), faults },
        port: 0,
    };
    FeedProcess::spawn(BIN.as_ref(), &options).expect("the feed starts")
}

#[test]
fn malformed_messages_are_counted_and_skipped() {
    let s = Sandbox::new();
    let f = feed(smoke_files(&s), 500, 1, Faults { malformed_every: Some(10), ..Faults::default() });
    let mut seqs = Vec::new();
    let stats = consume_blocking(&f.url, 0, None, |r| {
        seqs.push(r.tick.seq);
        Ok(())
    }, || Ok(())).expect("the session completes");
    assert_eq!(stats.received, 500, "{stats:?}");
    assert_eq!(stats.malformed.get("invalid JSON"), Some(&50), "{stats:?}");
    assert_eq!((stats.gaps, stats.reconnects), (0, 0));
    assert!(stats.ended);
    assert_eq!(seqs, (0..500).collect::<Vec<_>>(), "every trade, in order");
    let usage = f.finish(std::time::Duration::from_secs(10)).expect("the feed reports its usage");
    assert_eq!(usage.sessions, 1);
    assert!(usage.cpu_s > 0.0);
}

#[test]
fn a_dropped_connection_is_reconnected_and_its_gap_recorded() {
    let s = Sandbox::new();
    let files = smoke_files(&s);
    let f = feed(files.clone(), 1000, 2, Faults { drop_after: Some(100), drop_skip: 25, ..Faults::default() });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (stats, seqs): (Vec<ConnStats>, Vec<u64>) = runtime.block_on(async {
        let mut all_stats = Vec::new();
        let mut all_seqs = Vec::new();
        for conn in 0..2 {
            let url = f.url.clone();
            all_stats.push(tokio::spawn(async move {
                let mut seqs = Vec::new();
                let stats = consume(&url, conn, |trades: Vec<polaroid_bench::feed::wire::Received>| {
                    seqs.extend(trades.into_iter().map(|r| r.tick.seq));
                    std::future::ready(Ok(()))
                })
                .await
                .expect("the session completes");
                (stats, seqs)
            }));
        }
        let mut stats = Vec::new();
        for h in all_stats {
            let (st, sq) = h.await.unwrap();
            stats.push(st);
            all_seqs.extend(sq);
        }
        (stats, all_seqs)
    });
    for st in &stats {
        assert_eq!((st.reconnects, st.gaps, st.gap_ticks), (1, 1, 25), "{st:?}");
        assert!(st.ended);
    }
    // The checker sees exactly the skipped trades as lost.
    let reference = Reference::of(&load_ticks(&files, 1000).unwrap());
    let findings = check(&reference, seqs, None).unwrap();
    assert_eq!(findings.lost, 50, "{findings:?}");
    assert!(!findings.ok() && findings.describe().contains("50 ticks lost"));
}

#[test]
fn the_feed_refuses_a_bad_rate_with_a_message() {
    let s = Sandbox::new();
    let o = s.command().args(["feed", "--rate", "0", "--suite", "smoke", "--data-dir"]).arg(s.data()).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--rate must be a positive number"), "{err}");
}
