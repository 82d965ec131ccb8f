//! One flat row per measurement, for data frames (the Python package's `Run.to_polars()`) and CSV-like use:
//! every figure a table shows, typed, with the verdict of the task's standing.

use serde::{Deserialize, Serialize};

use crate::compare::DEFAULT_NOISE_FLOOR;
use crate::model::{Measurement, Role, RunResult};
use crate::table::{best_median, fraction_of_limit, ratio_to_best, standing, tasks_in_order};

/// One measurement, flat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Measurement key.
    pub key: String,
    /// Workload.
    pub workload: String,
    /// Task.
    pub task: String,
    /// Variant.
    pub variant: String,
    /// Role of the variant, when known.
    pub role: Option<Role>,
    /// Suite size.
    pub size: String,
    /// batch-read: the S3 server's latency per request, ms (0: local files).
    pub latency_ms: Option<u64>,
    /// concurrent-query: closed-loop clients.
    pub clients: Option<u64>,
    /// streaming: WebSocket connections.
    pub connections: Option<u64>,
    /// streaming: offered rate, ticks/s (absent when unpaced).
    pub rate_per_s: Option<f64>,
    /// streaming: whether the feed was unpaced.
    pub unpaced: Option<bool>,
    /// `ok`, `oom`, `timeout`, `error`, `unsupported`, or `wrong_answer`.
    pub outcome: String,
    /// Unit of the metric.
    pub unit: Option<String>,
    /// Median of the metric.
    pub median: Option<f64>,
    /// 95% interval of the median, low end.
    pub ci_low: Option<f64>,
    /// High end.
    pub ci_high: Option<f64>,
    /// Measurement processes.
    pub processes: usize,
    /// Median request (or tick) latency, ns.
    pub p50_ns: Option<u64>,
    /// 99th percentile latency, ns.
    pub p99_ns: Option<u64>,
    /// Largest peak RSS over the processes, bytes.
    pub peak_rss_bytes: Option<u64>,
    /// The memory cap the processes ran under, bytes (large-dataset; a guard elsewhere).
    pub memory_cap_bytes: Option<u64>,
    /// How many times worse than the best variant of the task (1.0: the best).
    pub vs_best: Option<f64>,
    /// `wins`, `tie` or `behind` (by the rule `compare` uses), `limit` for ceilings, absent when it did not finish.
    pub verdict: Option<String>,
    /// Input throughput as a fraction of the calibrated all-core decode limit.
    pub of_limit: Option<f64>,
    /// Instructions per timed run, when the run counted them (`run --instructions`).
    pub instructions: Option<f64>,
}

/// The rows of a run, in measurement order.
pub fn rows(result: &RunResult) -> Vec<Row> {
    let groups = tasks_in_order(&result.measurements);
    let limit = result.calibration.as_ref().map(|c| c.decode_all_cores_bytes_per_s);
    let mut out = Vec::new();
    for m in &result.measurements {
        let group = groups.iter().find(|((_, k), _)| *k == m.task_key()).map(|(_, g)| g.clone()).unwrap_or_default();
        let competitors: Vec<&Measurement> = group.iter().copied().filter(|x| x.competes()).collect();
        let verdict = match (m.counts(), m.role) {
            (false, _) => None,
            (true, Some(r)) if !r.competes() => Some("limit".to_string()),
            (true, _) => standing(&competitors, DEFAULT_NOISE_FLOOR).map(|st| {
                if st.leader_wins() && st.leader == m.variant {
                    "wins".into()
                } else if st.tied.contains(&m.variant) {
                    "tie".into()
                } else {
                    "behind".into()
                }
            }),
        };
        let p = |k: &str| m.params.get(k);
        let metric = m.metric.as_ref().filter(|_| m.counts());
        out.push(Row {
            key: m.key.clone(),
            workload: m.workload.clone(),
            task: m.task.clone(),
            variant: m.variant.clone(),
            role: m.role,
            size: m.size.clone(),
            latency_ms: p("latency_ms").and_then(|v| v.as_u64()),
            clients: p("clients").and_then(|v| v.as_u64()),
            connections: p("connections").and_then(|v| v.as_u64()),
            rate_per_s: p("rate_per_s").and_then(|v| v.as_f64()),
            unpaced: p("rate_per_s").map(|v| v.as_str() == Some("unpaced")),
            outcome: if m.outcome.label() == "ok" && !m.counts() { "wrong_answer".into() } else { m.outcome.label().into() },
            unit: m.metric.as_ref().map(|x| x.unit.clone()),
            median: metric.map(|x| x.summary.median),
            ci_low: metric.map(|x| x.summary.ci_low),
            ci_high: metric.map(|x| x.summary.ci_high),
            processes: m.metric.as_ref().map_or(0, |x| x.samples.len()),
            p50_ns: m.latency.as_ref().map(|l| l.p50_ns),
            p99_ns: m.latency.as_ref().map(|l| l.p99_ns),
            peak_rss_bytes: m.memory.peak_rss_bytes,
            memory_cap_bytes: m.memory.cap_bytes,
            vs_best: ratio_to_best(m, best_median(&competitors)),
            verdict,
            of_limit: fraction_of_limit(m, limit),
            instructions: m.instructions_per_run(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_of_the_fixture_are_typed_and_complete() {
        let r = crate::RunResult::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smoke.json"))).unwrap();
        let rows = super::rows(&r);
        assert_eq!(rows.len(), r.measurements.len());
        let b = rows.iter().find(|x| x.key == "batch-read/load-all/smoke[latency_ms=5]/polaroid").unwrap();
        assert_eq!((b.latency_ms, b.clients, b.unpaced), (Some(5), None, None));
        let s = rows.iter().find(|x| x.key.contains("rate_per_s=\"unpaced\"]/polaroid")).unwrap();
        assert_eq!((s.rate_per_s, s.unpaced, s.connections), (None, Some(true), Some(1)));
        let ceiling = rows.iter().find(|x| x.variant == "transport-ceiling" && x.outcome == "ok").unwrap();
        assert_eq!(ceiling.verdict.as_deref(), Some("limit"));
        // One process per measurement in the fixture: nothing can be told apart, so no variant wins over another.
        assert!(rows.iter().filter(|x| x.verdict.as_deref() == Some("wins")).all(|x| {
            rows.iter().filter(|y| y.key != x.key && r.measurement(&y.key).unwrap().task_key() == r.measurement(&x.key).unwrap().task_key() && y.verdict.as_deref() != Some("limit") && y.median.is_some()).count() == 0
        }));
        let json = serde_json::to_string(&rows[0]).unwrap();
        assert!(json.contains("\"latency_ms\":0"), "{json}");
    }
}
