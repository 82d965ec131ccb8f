//! The summary table printed at the end of a run: one block per task, one row per variant, with the median, its
//! confidence interval, peak memory, the ratio to the best variant and the fraction of the calibrated limit.

use std::collections::BTreeMap;

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use crate::model::{AnswerCheck, Measurement, Metric, RunResult};
use crate::units;

/// Renders the summary table of a run as text (no I/O).
pub fn summary_table(result: &RunResult) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "task", "variant", "outcome", "median", "95% CI", "peak RSS", "vs best", "of limit",
    ]);
    let decode_limit = result.calibration.as_ref().map(|c| c.decode_all_cores_bytes_per_s);

    for group in tasks_in_order(&result.measurements).into_values() {
        let best = best_median(&group);
        for m in group {
            let mut row = vec![Cell::new(m.task_key()), Cell::new(&m.variant), Cell::new(outcome_text(m))];
            match (&m.metric, m.counts()) {
                (Some(metric), true) => {
                    row.push(Cell::new(metric_text(metric, metric.summary.median)).set_alignment(CellAlignment::Right));
                    row.push(Cell::new(format!(
                        "[{}, {}]",
                        metric_text(metric, metric.summary.ci_low),
                        metric_text(metric, metric.summary.ci_high)
                    )));
                }
                _ => row.extend([Cell::new("-"), Cell::new("-")]),
            }
            row.push(Cell::new(m.memory.peak_rss_bytes.map(units::bytes).unwrap_or_else(|| "-".into())).set_alignment(CellAlignment::Right));
            row.push(Cell::new(ratio_text(m, best)).set_alignment(CellAlignment::Right));
            row.push(Cell::new(limit_text(m, decode_limit)).set_alignment(CellAlignment::Right));
            table.add_row(row);
        }
    }
    table.to_string()
}

/// Measurements grouped by task, in the order each task first appears.
pub fn tasks_in_order(measurements: &[Measurement]) -> BTreeMap<(usize, String), Vec<&Measurement>> {
    let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: BTreeMap<(usize, String), Vec<&Measurement>> = BTreeMap::new();
    for m in measurements {
        let key = m.task_key();
        let next = first_seen.len();
        let order = *first_seen.entry(key.clone()).or_insert(next);
        groups.entry((order, key)).or_default().push(m);
    }
    groups
}

/// The best median among measurements that count, oriented by the metric's direction.
pub fn best_median(group: &[&Measurement]) -> Option<(f64, bool)> {
    group
        .iter()
        .filter(|m| m.counts())
        .filter_map(|m| m.metric.as_ref())
        .map(|metric| (metric.summary.median, metric.higher_is_better))
        .reduce(|a, b| if (b.0 > a.0) == b.1 { b } else { a })
}

/// Where the variants of one task stand, by the rule `compare` uses ([`crate::stats::judge`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    /// The variant with the best median among those that count.
    pub leader: String,
    /// Variants not significantly behind the leader, the leader first. One name: the leader wins.
    pub tied: Vec<String>,
    /// Every other variant that finished, against the leader.
    pub behind: Vec<Behind>,
}

/// A variant against the leader of its task.
#[derive(Debug, Clone, PartialEq)]
pub struct Behind {
    /// Variant name.
    pub variant: String,
    /// How many times worse than the leader.
    pub ratio: f64,
    /// 95% interval of the ratio, when tested.
    pub ci: Option<(f64, f64)>,
}

impl Standing {
    /// Whether the leader is significantly better than every other variant that finished.
    pub fn leader_wins(&self) -> bool {
        self.tied.len() == 1
    }
}

/// What a task's variants are ranked on: the headline metric, except at a paced streaming rate that every finishing
/// variant achieves (within 2%), where rates cannot differ and the p99 send-to-visible latency decides.
/// Per measurement: samples by process, and whether higher is better.
fn ranking(finished: &[&Measurement]) -> Vec<(Vec<Vec<f64>>, bool)> {
    let keeps_pace = |m: &Measurement| match (m.stream.as_ref().and_then(|s| s.offered_per_s), &m.metric) {
        (Some(offered), Some(x)) => x.summary.median >= 0.98 * offered && m.process_latency.len() == x.samples.len(),
        _ => false,
    };
    if !finished.is_empty() && finished.iter().all(|m| keeps_pace(m)) {
        finished.iter().map(|m| (m.process_latency.iter().map(|l| vec![l.p99_ns as f64]).collect(), false)).collect()
    } else {
        finished.iter().map(|m| m.metric.as_ref().map_or((Vec::new(), false), |x| (x.samples.clone(), x.higher_is_better))).collect()
    }
}

/// Ranks a task's variants: the leader (best median of what they are ranked on, see `ranking`) against each other
/// finishing variant, tested with the process as the unit (Welch: different variants never run interleaved),
/// Holm-adjusted over those tests, judged with `noise_floor`. `None` when no variant finished.
pub fn standing(group: &[&Measurement], noise_floor: f64) -> Option<Standing> {
    let finished: Vec<&Measurement> = group.iter().copied().filter(|m| m.counts() && m.metric.is_some()).collect();
    let ranked = ranking(&finished);
    let median = |s: &[Vec<f64>]| {
        let mut all = s.concat();
        all.sort_by(f64::total_cmp);
        (!all.is_empty()).then(|| crate::stats::median_of_sorted(&all))
    };
    let leader_index = (0..finished.len())
        .filter(|&i| median(&ranked[i].0).is_some())
        .reduce(|a, b| {
            let (ma, mb) = (median(&ranked[a].0).unwrap_or(f64::NAN), median(&ranked[b].0).unwrap_or(f64::NAN));
            if (mb > ma) == ranked[b].1 && mb != ma { b } else { a }
        })?;
    let (leader, (leader_samples, _)) = (finished[leader_index], &ranked[leader_index]);
    let others: Vec<(&Measurement, crate::compare::Change)> = finished
        .iter()
        .zip(&ranked)
        .filter(|(m, _)| m.variant != leader.variant)
        .map(|(m, (samples, higher))| (*m, crate::compare::change(leader_samples, samples, *higher, "", noise_floor, false)))
        .collect();
    let adjusted = crate::stats::holm(&others.iter().filter_map(|(_, c)| c.test.map(|t| t.p_value)).collect::<Vec<_>>());
    let mut adjusted = adjusted.into_iter();
    let mut tied = vec![leader.variant.clone()];
    let mut behind = Vec::new();
    for (m, c) in &others {
        let judged = c.test.map(|t| {
            let p = adjusted.next().expect("one adjusted p-value per test");
            (crate::stats::judge(p, c.slowdown, (t.ci_low, t.ci_high), noise_floor), (t.ci_low, t.ci_high))
        });
        if !matches!(judged, Some((crate::stats::Judgement::Worse, _))) {
            tied.push(m.variant.clone());
        }
        behind.push(Behind { variant: m.variant.clone(), ratio: c.slowdown, ci: judged.map(|(_, ci)| ci) });
    }
    Some(Standing { leader: leader.variant.clone(), tied, behind })
}

/// How many times worse than the best variant (1.00 is the best).
pub fn ratio_to_best(m: &Measurement, best: Option<(f64, bool)>) -> Option<f64> {
    let metric = m.metric.as_ref().filter(|_| m.counts())?;
    let (best, higher_is_better) = best?;
    let median = metric.summary.median;
    let ratio = if higher_is_better { best / median } else { median / best };
    ratio.is_finite().then_some(ratio)
}

/// Input throughput as a fraction of the all-core decode limit, for measurements that read a known amount of data.
pub fn fraction_of_limit(m: &Measurement, decode_limit_bytes_per_s: Option<f64>) -> Option<f64> {
    let metric = m.metric.as_ref().filter(|metric| m.counts() && metric.unit == "s")?;
    let bytes = m.work.as_ref()?.input_bytes as f64;
    let limit = decode_limit_bytes_per_s?;
    let fraction = bytes / metric.summary.median / limit;
    fraction.is_finite().then_some(fraction)
}

pub(crate) fn ratio_text(m: &Measurement, best: Option<(f64, bool)>) -> String {
    ratio_to_best(m, best).map(|r| format!("{r:.2}x")).unwrap_or_else(|| "-".into())
}

pub(crate) fn limit_text(m: &Measurement, limit: Option<f64>) -> String {
    fraction_of_limit(m, limit).map(|f| format!("{:.0}%", f * 100.0)).unwrap_or_else(|| "-".into())
}

pub(crate) fn metric_text(metric: &Metric, value: f64) -> String {
    match metric.unit.as_str() {
        "s" => units::seconds(value),
        "queries/s" => units::rate(value, "q/s"),
        "ticks/s" => units::rate(value, "ticks/s"),
        unit => format!("{value:.3} {unit}"),
    }
}

pub(crate) fn outcome_text(m: &Measurement) -> String {
    match &m.answer_check {
        AnswerCheck::Mismatch { reference, .. } => format!("WRONG ANSWER (vs {reference})"),
        _ => m.outcome.label().to_string(),
    }
}
