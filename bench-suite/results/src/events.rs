//! Progress of a run as typed events: what `polaroid-bench run --progress jsonl` writes to stdout, one JSON object
//! per line, and what the harness library hands to an observer. Front ends (the Python package, the Jupyter
//! kernel) parse the lines with this type or any JSON reader; docs/progress.md describes each event.

use serde::{Deserialize, Serialize};

use crate::model::Measurement;

/// One thing that happened in a run, in order: `dataset_ready` per dataset, then `planned` (once the result file is
/// read, so it knows what a resume skips), then per measurement `started` and `finished` (once per side in an
/// interleaved run), and `run_finished` last; `message` at any time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The plan is ready: `total` measurements to make (per side), `skipped` already in the result file (resume).
    Planned {
        /// Measurements in the plan, counting each side of an interleaved run.
        total: usize,
        /// Of those, already made (resume).
        skipped: usize,
    },
    /// A dataset is on disk and its fingerprint verified.
    DatasetReady {
        /// Dataset name.
        name: String,
        /// `reused`, `generated`, `regenerated` or `user`.
        status: String,
    },
    /// A measurement starts (all its processes, on every side).
    Started {
        /// Position in the plan, from 0.
        index: usize,
        /// Measurement key.
        key: String,
    },
    /// A measurement finished and was written to its result file.
    Finished {
        /// Position in the plan, from 0.
        index: usize,
        /// `base` or `new` in an interleaved run; absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        side: Option<String>,
        /// What it measured.
        summary: FinishedSummary,
    },
    /// Something a person should read (data generated, calibration, a resume skipping work).
    Message {
        /// The text.
        text: String,
    },
    /// The run ended: every planned measurement is in the result file(s).
    RunFinished {
        /// Result files written, one per side.
        results: Vec<String>,
        /// Measurements in the result file(s).
        measurements: usize,
        /// Of those, failed with an error or a wrong answer.
        failed: usize,
    },
}

impl Event {
    /// The line a person reads for this event, as every front end prints progress (`None`: nothing to say).
    pub fn line(&self) -> Option<String> {
        match self {
            Event::Finished { side, summary, .. } => Some(summary.line(side.as_deref())),
            Event::Message { text } => Some(text.clone()),
            Event::Planned { total, skipped } if *skipped > 0 => Some(format!("resuming: {skipped} of {total} measurements already done")),
            _ => None,
        }
    }
}

/// The figures of a finished measurement, enough for a progress line or a live table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedSummary {
    /// Measurement key.
    pub key: String,
    /// Outcome label: `ok`, `oom`, `timeout`, `error`, `unsupported`.
    pub outcome: String,
    /// False when the answer disagreed with another variant's (its timing does not count); true otherwise,
    /// including variants with nothing to compare (the transport ceiling).
    pub answer_ok: bool,
    /// Unit of the metric (`s`, `queries/s`, `ticks/s`), when it finished.
    pub unit: Option<String>,
    /// Median of the metric.
    pub median: Option<f64>,
    /// 95% interval of the median.
    pub ci: Option<(f64, f64)>,
    /// Measurement processes.
    pub processes: usize,
    /// Largest peak RSS over the processes, bytes.
    pub peak_rss_bytes: Option<u64>,
}

impl FinishedSummary {
    /// The summary of a measurement.
    pub fn of(m: &Measurement) -> FinishedSummary {
        let metric = m.metric.as_ref();
        FinishedSummary {
            key: m.key.clone(),
            outcome: m.outcome.label().into(),
            answer_ok: !matches!(m.answer_check, crate::model::AnswerCheck::Mismatch { .. }),
            unit: metric.map(|x| x.unit.clone()),
            median: metric.map(|x| x.summary.median),
            ci: metric.map(|x| (x.summary.ci_low, x.summary.ci_high)),
            processes: metric.map_or(0, |x| x.samples.len()),
            peak_rss_bytes: m.memory.peak_rss_bytes,
        }
    }

    /// One line for people: key, median (or outcome), peak memory, a wrong answer called out; `side` (`base` or
    /// `new`) in an interleaved run. Every front end prints progress with it.
    pub fn line(&self, side: Option<&str>) -> String {
        use crate::units;
        let what = match (self.median, self.unit.as_deref()) {
            (Some(m), Some("s")) => format!("median {}", units::seconds(m)),
            (Some(m), Some("queries/s")) => format!("median {}", units::rate(m, "q/s")),
            (Some(m), Some(unit)) => format!("median {}", units::rate(m, unit)),
            _ => self.outcome.clone(),
        };
        let peak = self.peak_rss_bytes.map(units::bytes).unwrap_or_else(|| "-".into());
        let check = if self.outcome == "ok" && !self.answer_ok { "  WRONG ANSWER" } else { "" };
        let prefix = side.map(|s| format!("[{s}] ")).unwrap_or_default();
        format!("{prefix}{:<70} {what}, peak RSS {peak}{check}", self.key)
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_one_tagged_json_object_each_and_read_back() {
        let e = Event::Planned { total: 3, skipped: 1 };
        let line = serde_json::to_string(&e).unwrap();
        assert_eq!(line, r#"{"event":"planned","total":3,"skipped":1}"#);
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), e);
        let f = Event::Finished {
            index: 0,
            side: None,
            summary: FinishedSummary { key: "k".into(), outcome: "ok".into(), answer_ok: true, unit: Some("s".into()), median: Some(1.0), ci: Some((0.9, 1.1)), processes: 2, peak_rss_bytes: Some(5) },
        };
        let Event::Finished { summary, .. } = &f else { unreachable!() };
        let text = summary.line(Some("new"));
        assert!(text.starts_with("[new] k ") && text.contains("median 1.00 s") && text.contains("peak RSS 5 B"), "{text}");
        let line = serde_json::to_string(&f).unwrap();
        assert!(line.starts_with(r#"{"event":"finished","index":0,"summary":{"#), "{line}");
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), f);
    }
}
