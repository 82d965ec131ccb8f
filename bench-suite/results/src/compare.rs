//! Comparing two runs: the CI gate.
//!
//! For every measurement present in both runs, time (the metric's samples) is compared with a two-sided
//! Mann-Whitney U test (rank-based, so one slow outlier run does not decide it), and the change is reported as the
//! ratio of medians with a 95% bootstrap interval. A change is *significant* only when the test rejects "same
//! distribution" at 5% **and** the ratio of medians is beyond the noise floor: small shifts that the statistics can
//! resolve but nobody should act on are `unchanged`, and so are large shifts that a handful of noisy samples cannot
//! confirm. Peak memory is one kernel high-water mark per measurement, so it has no sampling distribution: only
//! the noise floor applies to it.
//!
//! Runs with different schema versions or datasets are refused; different hardware gives a warning.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Measurement, RunResult};
use crate::stats::{BOOTSTRAP_RESAMPLES, CONFIDENCE, median_of_sorted, quantile_of_sorted};
use crate::units;

/// What fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// A significant time (or throughput) regression, or a measurement that stopped finishing.
    #[default]
    Time,
    /// A peak-memory regression beyond the noise floor, or a measurement that stopped finishing.
    Memory,
    /// Either.
    Any,
    /// Nothing: report only.
    None,
}

/// Settings of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CompareOptions {
    /// Relative change below which nothing is called a regression or an improvement (0.05 = 5%).
    pub noise_floor: f64,
    /// What fails the gate.
    pub fail_on: FailOn,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions { noise_floor: 0.05, fail_on: FailOn::Time }
    }
}

/// A verdict on one measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Significantly worse.
    Regressed,
    /// Significantly better.
    Improved,
    /// Within noise.
    Unchanged,
    /// Only in the new run.
    New,
    /// Only in the base run.
    Missing,
}

impl Verdict {
    /// Lower-case name.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
            Verdict::New => "new",
            Verdict::Missing => "missing",
        }
    }
}

/// Time (or throughput) comparison of one measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeChange {
    /// Metric unit (`s`, `queries/s`, `ticks/s`).
    pub unit: String,
    /// Whether larger is better.
    pub higher_is_better: bool,
    /// Median of the base run.
    pub base_median: f64,
    /// Median of the new run.
    pub new_median: f64,
    /// Slowdown factor: new/base for times, base/new for throughputs (above 1 is worse).
    pub slowdown: f64,
    /// 95% bootstrap interval of the slowdown factor.
    pub ci_low: f64,
    /// Upper end of the interval.
    pub ci_high: f64,
    /// Two-sided p-value of the Mann-Whitney U test (normal approximation, tie-corrected).
    pub p_value: f64,
    /// Verdict.
    pub verdict: Verdict,
}

/// Significance level of the Mann-Whitney U test.
pub const ALPHA: f64 = 0.05;

/// Peak-memory comparison of one measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryChange {
    /// Base peak RSS, bytes.
    pub base_bytes: u64,
    /// New peak RSS, bytes.
    pub new_bytes: u64,
    /// new / base.
    pub ratio: f64,
    /// Verdict (noise floor only).
    pub verdict: Verdict,
}

/// One measurement key in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Measurement key.
    pub key: String,
    /// Overall verdict: the worse of time and memory, or new / missing, or a change of outcome.
    pub verdict: Verdict,
    /// Outcome labels, base and new (`ok`, `oom`, ...).
    pub outcomes: (String, String),
    /// Time comparison, when both runs have samples.
    pub time: Option<TimeChange>,
    /// Memory comparison, when both runs have a peak.
    pub memory: Option<MemoryChange>,
    /// Why, in words.
    pub note: String,
}

/// A whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Settings used.
    pub options: CompareOptions,
    /// Label of the base run (its file name or commit).
    pub base: String,
    /// Label of the new run.
    pub new: String,
    /// Warnings (e.g. different hardware).
    pub warnings: Vec<String>,
    /// One row per measurement key, in the base run's order then new keys.
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Rows with this verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }

    /// Whether the gate fails under the comparison's `fail_on`.
    pub fn fails(&self) -> bool {
        self.rows.iter().any(|r| {
            let time = r.time.as_ref().is_some_and(|t| t.verdict == Verdict::Regressed);
            let memory = r.memory.as_ref().is_some_and(|m| m.verdict == Verdict::Regressed);
            let stopped = r.verdict == Verdict::Regressed && r.time.is_none() && r.memory.is_none();
            match self.options.fail_on {
                FailOn::Time => time || stopped,
                FailOn::Memory => memory || stopped,
                FailOn::Any => r.verdict == Verdict::Regressed,
                FailOn::None => false,
            }
        })
    }
}

/// Compares `new` against `base`. Refuses runs that cannot be compared.
pub fn compare(base: &RunResult, new: &RunResult, base_label: &str, new_label: &str, options: CompareOptions) -> Result<Comparison> {
    if base.schema_version != new.schema_version {
        return Err(Error::Incomparable(format!(
            "schema versions differ ({} vs {}); re-run the base with this version of polaroid-bench",
            base.schema_version, new.schema_version
        )));
    }
    if !(options.noise_floor >= 0.0 && options.noise_floor < 1.0) {
        return Err(Error::Incomparable(format!("--noise-floor must be in [0, 1), got {}", options.noise_floor)));
    }
    let fingerprints = |r: &RunResult| -> BTreeMap<String, String> {
        r.provenance.datasets.iter().map(|d| (d.name.clone(), d.fingerprint.clone())).collect()
    };
    let (bf, nf) = (fingerprints(base), fingerprints(new));
    for (name, fp) in &bf {
        if let Some(other) = nf.get(name).filter(|o| *o != fp) {
            return Err(Error::Incomparable(format!(
                "dataset {name} differs between the runs (fingerprint {fp} vs {other}); compare runs made on the same data (same --seed and suite)"
            )));
        }
    }
    if bf.keys().all(|k| !nf.contains_key(k)) && !bf.is_empty() && !nf.is_empty() {
        return Err(Error::Incomparable("the runs share no dataset; compare runs of the same suite".into()));
    }
    let mut warnings = Vec::new();
    let (bp, np) = (&base.provenance, &new.provenance);
    if bp.cpu_model != np.cpu_model || bp.cores_logical != np.cores_logical || bp.memory_total_bytes != np.memory_total_bytes {
        warnings.push(format!(
            "different hardware: {} ({} cores, {}) vs {} ({} cores, {}); differences may come from the machine",
            bp.cpu_model,
            bp.cores_logical,
            units::bytes(bp.memory_total_bytes),
            np.cpu_model,
            np.cores_logical,
            units::bytes(np.memory_total_bytes)
        ));
    }

    let mut rows = Vec::new();
    for b in &base.measurements {
        match new.measurement(&b.key) {
            Some(n) => rows.push(compare_one(b, n, options)),
            None => rows.push(Row {
                key: b.key.clone(),
                verdict: Verdict::Missing,
                outcomes: (b.outcome.label().into(), "-".into()),
                time: None,
                memory: None,
                note: "not in the new run".into(),
            }),
        }
    }
    for n in new.measurements.iter().filter(|n| base.measurement(&n.key).is_none()) {
        rows.push(Row {
            key: n.key.clone(),
            verdict: Verdict::New,
            outcomes: ("-".into(), n.outcome.label().into()),
            time: None,
            memory: None,
            note: "not in the base run".into(),
        });
    }
    Ok(Comparison { options, base: base_label.into(), new: new_label.into(), warnings, rows })
}

fn compare_one(b: &Measurement, n: &Measurement, options: CompareOptions) -> Row {
    let outcomes = (outcome_label(b), outcome_label(n));
    let mut row = Row { key: b.key.clone(), verdict: Verdict::Unchanged, outcomes, time: None, memory: None, note: String::new() };
    match (b.counts(), n.counts()) {
        (true, false) => {
            row.verdict = Verdict::Regressed;
            row.note = format!("stopped finishing: {} -> {}", row.outcomes.0, row.outcomes.1);
            return row;
        }
        (false, true) => {
            row.verdict = Verdict::Improved;
            row.note = format!("finishes now: {} -> {}", row.outcomes.0, row.outcomes.1);
            return row;
        }
        (false, false) => {
            row.note = format!("{} -> {}", row.outcomes.0, row.outcomes.1);
            return row;
        }
        (true, true) => {}
    }
    if let (Some(bm), Some(nm)) = (&b.metric, &n.metric) {
        let seed = b.key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, c| (h ^ c as u64).wrapping_mul(0x100_0000_01b3));
        row.time = Some(time_change(&bm.samples, &nm.samples, bm.higher_is_better, &bm.unit, options.noise_floor, seed));
    }
    if let (Some(bb), Some(nb)) = (b.memory.peak_rss_bytes, n.memory.peak_rss_bytes) {
        let ratio = nb as f64 / bb.max(1) as f64;
        let verdict = beyond_floor(ratio, options.noise_floor);
        row.memory = Some(MemoryChange { base_bytes: bb, new_bytes: nb, ratio, verdict });
    }
    let verdicts = [row.time.as_ref().map(|t| t.verdict), row.memory.as_ref().map(|m| m.verdict)];
    row.verdict = if verdicts.contains(&Some(Verdict::Regressed)) {
        Verdict::Regressed
    } else if verdicts.contains(&Some(Verdict::Improved)) {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    };
    let mut notes = Vec::new();
    if let Some(t) = &row.time {
        notes.push(format!("time x{:.3} [{:.3}, {:.3}] p={:.3} {}", t.slowdown, t.ci_low, t.ci_high, t.p_value, t.verdict.label()));
    }
    if let Some(m) = &row.memory {
        notes.push(format!("memory x{:.3} {}", m.ratio, m.verdict.label()));
    }
    row.note = notes.join("; ");
    row
}

fn outcome_label(m: &Measurement) -> String {
    if matches!(m.answer_check, crate::model::AnswerCheck::Mismatch { .. }) {
        return "wrong answer".into();
    }
    m.outcome.label().into()
}

/// Compares two sets of samples. `slowdown` > 1 means worse whatever the metric's direction.
pub fn time_change(base: &[f64], new: &[f64], higher_is_better: bool, unit: &str, noise_floor: f64, seed: u64) -> TimeChange {
    let sorted = |v: &[f64]| {
        let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let (b, n) = (sorted(base), sorted(new));
    let slowdown_of = |bm: f64, nm: f64| if higher_is_better { bm / nm } else { nm / bm };
    let (base_median, new_median) = (median_of_sorted(&b), median_of_sorted(&n));
    let slowdown = slowdown_of(base_median, new_median);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ratios = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let mut rb = vec![0.0; b.len()];
    let mut rn = vec![0.0; n.len()];
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for x in rb.iter_mut() {
            *x = b[rng.random_range(0..b.len())];
        }
        for x in rn.iter_mut() {
            *x = n[rng.random_range(0..n.len())];
        }
        rb.sort_by(f64::total_cmp);
        rn.sort_by(f64::total_cmp);
        let r = slowdown_of(median_of_sorted(&rb), median_of_sorted(&rn));
        if r.is_finite() {
            ratios.push(r);
        }
    }
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    let (ci_low, ci_high) = if ratios.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        (quantile_of_sorted(&ratios, tail), quantile_of_sorted(&ratios, 1.0 - tail))
    };
    let p_value = mann_whitney_p(&b, &n);
    let verdict = if p_value < ALPHA { beyond_floor(slowdown, noise_floor) } else { Verdict::Unchanged };
    TimeChange { unit: unit.into(), higher_is_better, base_median, new_median, slowdown, ci_low, ci_high, p_value, verdict }
}

/// Regressed above `1 + floor`, improved below `1 - floor`.
fn beyond_floor(ratio: f64, floor: f64) -> Verdict {
    if ratio > 1.0 + floor {
        Verdict::Regressed
    } else if ratio < 1.0 - floor {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    }
}

/// Two-sided p-value of the Mann-Whitney U test of `a` against `b`: normal approximation with a continuity
/// correction and the tie correction of the variance. 1 when a side is empty or every value is tied.
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut all: Vec<(f64, bool)> = a.iter().map(|&x| (x, true)).chain(b.iter().map(|&x| (x, false))).collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let (mut rank_sum_a, mut tie_term) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        rank_sum_a += all[i..=j].iter().filter(|x| x.1).count() as f64 * average_rank;
        i = j + 1;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let nf = n as f64;
    let variance = n1 * n2 / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if variance <= 0.0 {
        return 1.0;
    }
    let z = ((u - n1 * n2 / 2.0).abs() - 0.5).max(0.0) / variance.sqrt();
    erfc(z / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// Complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t * (-z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07 + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
        .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The comparison as Markdown, ready to paste as a pull-request comment.
pub fn markdown(c: &Comparison) -> String {
    let mut s = String::new();
    let gate = if c.fails() { "❌ significant regression" } else { "✅ no significant regression" };
    s.push_str(&format!("### polaroid-bench compare: {gate}\n\n"));
    s.push_str(&format!(
        "`{}` → `{}`: {} regressed, {} improved, {} unchanged, {} new, {} missing. Significant = Mann-Whitney U at p < 0.05 and a change beyond the {:.0}% noise floor; CI = 95% bootstrap interval of the ratio of medians; gate: `{}`.\n\n",
        c.base,
        c.new,
        c.count(Verdict::Regressed),
        c.count(Verdict::Improved),
        c.count(Verdict::Unchanged),
        c.count(Verdict::New),
        c.count(Verdict::Missing),
        c.options.noise_floor * 100.0,
        serde_json::to_value(c.options.fail_on).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
    ));
    for w in &c.warnings {
        s.push_str(&format!("> ⚠️ {w}\n\n"));
    }
    let header = "| verdict | measurement | base | new | change | 95% CI | peak memory |\n| --- | --- | ---: | ---: | ---: | --- | ---: |\n";
    let line = |r: &Row| -> String {
        let (base, new, change, ci) = match &r.time {
            Some(t) => (
                value(t.base_median, &t.unit),
                value(t.new_median, &t.unit),
                format!("{:+.1}%", (t.slowdown - 1.0) * 100.0),
                format!("[{:+.1}%, {:+.1}%]", (t.ci_low - 1.0) * 100.0, (t.ci_high - 1.0) * 100.0),
            ),
            None => (r.outcomes.0.clone(), r.outcomes.1.clone(), "-".into(), "-".into()),
        };
        let memory = match &r.memory {
            Some(m) => format!("{} → {} ({:+.1}%)", units::bytes(m.base_bytes), units::bytes(m.new_bytes), (m.ratio - 1.0) * 100.0),
            None => "-".into(),
        };
        format!("| {} | `{}` | {base} | {new} | {change} | {ci} | {memory} |\n", r.verdict.label(), r.key)
    };
    let changed: Vec<&Row> = c.rows.iter().filter(|r| r.verdict != Verdict::Unchanged).collect();
    if changed.is_empty() {
        s.push_str("No measurement changed beyond the noise floor.\n");
    } else {
        s.push_str(header);
        let mut changed = changed;
        changed.sort_by_key(|r| r.verdict);
        for r in changed {
            s.push_str(&line(r));
        }
    }
    let unchanged: Vec<&Row> = c.rows.iter().filter(|r| r.verdict == Verdict::Unchanged).collect();
    if !unchanged.is_empty() {
        s.push_str(&format!("\n<details><summary>{} unchanged</summary>\n\n{header}", unchanged.len()));
        for r in unchanged {
            s.push_str(&line(r));
        }
        s.push_str("\n</details>\n");
    }
    s.push_str("\n\"change\" is the slowdown: positive is worse for times and for throughputs alike.\n");
    s
}

fn value(v: f64, unit: &str) -> String {
    match unit {
        "s" => units::seconds(v),
        "queries/s" => units::rate(v, "q/s"),
        u => units::rate(v, u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr_free::normal;

    /// Box-Muller, so the test needs no distribution crate.
    mod rand_distr_free {
        use rand::Rng;
        pub fn normal(rng: &mut impl Rng) -> f64 {
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        }
    }

    /// Timed runs per measurement in these trials: what docs/ci.md recommends for a gate (`--runs 10`). With 5
    /// runs a single slow outlier run in the base leaves too few ranks for any test to reach 95% power.
    const RUNS: usize = 10;

    /// `n` run times around `mean` with a coefficient of variation `cv`, and an occasional slow outlier, as
    /// measured runs look.
    fn samples(rng: &mut ChaCha8Rng, n: usize, mean: f64, cv: f64) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let x = mean * (1.0 + cv * normal(rng));
                if rng.random_bool(0.05) { x * 1.3 } else { x }
            })
            .collect()
    }

    /// Of 400 seeded trials comparing base runs around 1.0 with new runs around `new_mean`, how many got `verdict`.
    fn trials_with(seed: u64, new_mean: f64, verdict: Verdict) -> usize {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..TRIALS)
            .filter(|t| {
                let a = samples(&mut rng, RUNS, 1.0, 0.03);
                let b = samples(&mut rng, RUNS, new_mean, 0.03);
                time_change(&a, &b, false, "s", 0.05, *t as u64).verdict == verdict
            })
            .count()
    }

    const TRIALS: usize = 400;

    #[test]
    fn a_and_a_runs_are_unchanged_in_at_least_95_percent_of_trials() {
        let unchanged = trials_with(1, 1.0, Verdict::Unchanged);
        assert!(unchanged as f64 >= 0.95 * TRIALS as f64, "{unchanged}/{TRIALS} A/A pairs unchanged");
    }

    #[test]
    fn a_ten_percent_slowdown_is_caught_in_at_least_95_percent_of_trials() {
        let caught = trials_with(2, 1.10, Verdict::Regressed);
        assert!(caught as f64 >= 0.95 * TRIALS as f64, "{caught}/{TRIALS} slowdowns caught");
    }

    #[test]
    fn a_throughput_drop_is_a_regression_and_a_rise_an_improvement() {
        let down = time_change(&[100.0, 101.0, 99.0, 100.5], &[80.0, 81.0, 79.5, 80.2], true, "queries/s", 0.05, 7);
        assert_eq!(down.verdict, Verdict::Regressed);
        assert!(down.slowdown > 1.2);
        let up = time_change(&[80.0, 81.0, 79.5, 80.2], &[100.0, 101.0, 99.0, 100.5], true, "queries/s", 0.05, 7);
        assert_eq!(up.verdict, Verdict::Improved);
    }

    #[test]
    fn a_significant_change_inside_the_noise_floor_is_unchanged() {
        let c = time_change(&[1.00, 1.001, 0.999, 1.0, 1.002], &[1.02, 1.021, 1.019, 1.02, 1.022], false, "s", 0.05, 3);
        assert!(c.p_value < ALPHA, "the test sees the shift: {c:?}");
        assert_eq!(c.verdict, Verdict::Unchanged);
    }

    #[test]
    fn mann_whitney_matches_known_values() {
        // Complete separation of 5 vs 5: exact two-sided p = 2/252; the normal approximation gives 0.012.
        let p = mann_whitney_p(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]);
        assert!((p - 0.0122).abs() < 0.001, "{p}");
        assert_eq!(mann_whitney_p(&[1.0, 1.0], &[1.0, 1.0]), 1.0);
        assert!(mann_whitney_p(&[1.0, 3.0, 5.0], &[2.0, 4.0, 6.0]) > 0.5);
    }
}
