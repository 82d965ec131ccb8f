//! Companions: what the parent starts beside one measurement process and stops after it (batch-read's S3 server,
//! concurrent-query's Flight SQL server, streaming's feed; later a Ballista cluster or a Python worker's service).
//! A workload says which it needs (its `companions` hook in the workloads module); the runner starts them through that
//! hook, hands the measurement process what they told it, and stops them when the process has ended. Each kind of
//! companion says here what it measured, so the runner names none of them.

use std::collections::BTreeMap;

/// Something running beside a measurement process.
pub trait Companion {
    /// Stops it once the measurement process has ended (`finished`: the process reported, so a companion with work
    /// of its own may be waited for briefly) and returns what it measured.
    fn stop(self: Box<Self>, finished: bool) -> CompanionFigures;
}

/// What companions measured, added to the measurement when its process reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanionFigures {
    /// Named figures (`s3_requests`, `server_peak_rss_bytes`), one value per process like the engine's own.
    pub figures: BTreeMap<String, f64>,
    /// A feed's CPU seconds over the sessions (streaming).
    pub feed_cpu_s: Option<f64>,
    /// A feed's peak resident memory.
    pub feed_peak_rss_bytes: Option<u64>,
}

impl CompanionFigures {
    /// The figures of several companions together.
    pub fn merge(parts: impl IntoIterator<Item = CompanionFigures>) -> CompanionFigures {
        let mut all = CompanionFigures::default();
        for p in parts {
            all.figures.extend(p.figures);
            all.feed_cpu_s = all.feed_cpu_s.or(p.feed_cpu_s);
            all.feed_peak_rss_bytes = all.feed_peak_rss_bytes.or(p.feed_peak_rss_bytes);
        }
        all
    }
}
