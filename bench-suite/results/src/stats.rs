//! Statistics of timing samples, at the level that varies: the measurement process.
//!
//! A measurement is several independent processes (invocations), each with its warm-up and timed iterations.
//! Iterations inside one process are alike; whole processes are not (on a shared machine one process can run 30%
//! slower than the next, all its iterations together). So every interval and test here treats the *process* as
//! the unit of replication, as Kalibera and Jones recommend ("Rigorous Benchmarking in Reasonable Time", 2013):
//!
//! - [`Summary`]: the median of all timed iterations, with a 95% hierarchical bootstrap interval (resample
//!   processes, then iterations inside each), and the spread between processes.
//! - [`process_test`]: is `new` different from `base`? A t-test on the logarithms of the per-process medians
//!   (paired when the two sides ran interleaved, Welch otherwise), with the geometric-mean ratio and its interval.
//! - [`holm`]: Holm's step-down adjustment, so that one comparison of dozens of measurements keeps its
//!   family-wise false-alarm rate at [`ALPHA`].
//! - [`judge`]: the one rule that turns a test into `better` / `worse` / `same`, used by `compare`, the report's
//!   wins and ties, and the summary table.
//!
//! Resampling is seeded, so the same samples always give the same interval.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Bootstrap resamples drawn for a confidence interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2_000;
/// Confidence level of the reported interval.
pub const CONFIDENCE: f64 = 0.95;
/// Significance level of a whole comparison (family-wise, after [`holm`]).
pub const ALPHA: f64 = 0.05;
const BOOTSTRAP_SEED: u64 = 0x706f_6c61_726f_6964; // "polaroid"

/// Statistics of one measurement's samples.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// Number of timed iterations over all processes.
    pub n: usize,
    /// Number of measurement processes the iterations came from.
    #[serde(default = "one")]
    pub processes: usize,
    /// Median of all timed iterations.
    pub median: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation of all iterations (0 for one sample).
    pub stddev: f64,
    /// Standard deviation of the natural logarithms of the per-process medians: the relative spread between
    /// processes (0.05 is about 5%). `None` with one process.
    #[serde(default)]
    pub process_spread: Option<f64>,
    /// Lower bound of the hierarchical bootstrap confidence interval of the median.
    pub ci_low: f64,
    /// Upper bound of the hierarchical bootstrap confidence interval of the median.
    pub ci_high: f64,
    /// Confidence level of the interval (0.95).
    pub confidence: f64,
}

fn one() -> usize {
    1
}

impl Summary {
    /// Summarizes samples grouped by process (`processes[p][i]`: timed iteration `i` of process `p`); `None` when
    /// there are none or any is not finite. Empty processes are ignored.
    pub fn of(processes: &[Vec<f64>]) -> Option<Summary> {
        let groups: Vec<Vec<f64>> = processes.iter().filter(|p| !p.is_empty()).map(|p| sorted(p)).collect();
        let all: Vec<f64> = sorted(&groups.concat());
        if all.is_empty() || all.iter().any(|s| !s.is_finite()) {
            return None;
        }
        let n = all.len();
        let mean = all.iter().sum::<f64>() / n as f64;
        let stddev = if n > 1 { (all.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
        let (ci_low, ci_high) = hierarchical_median_ci(&groups, CONFIDENCE);
        let logs: Vec<f64> = groups.iter().map(|g| median_of_sorted(g).ln()).collect();
        Some(Summary {
            n,
            processes: groups.len(),
            median: median_of_sorted(&all),
            min: all[0],
            max: all[n - 1],
            mean,
            stddev,
            process_spread: (logs.len() > 1 && logs.iter().all(|x| x.is_finite())).then(|| sd(&logs)),
            ci_low,
            ci_high,
            confidence: CONFIDENCE,
        })
    }
}

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample standard deviation (0 for fewer than two values).
pub fn sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Median of an ascending slice (mean of the two middle values for even lengths).
pub fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    assert!(n > 0, "median of an empty slice: callers check for samples first");
    if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 }
}

/// Two-level percentile bootstrap of the median at `confidence`: each resample draws processes with replacement,
/// then iterations with replacement inside each drawn process, and takes the median of what it drew. With one
/// process this is the ordinary bootstrap of the median. `groups` are ascending, non-empty.
pub fn hierarchical_median_ci(groups: &[Vec<f64>], confidence: f64) -> (f64, f64) {
    let total: usize = groups.iter().map(Vec::len).sum();
    if total == 1 {
        return (groups[0][0], groups[0][0]);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
    let mut medians = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let mut resample = Vec::with_capacity(total);
    for _ in 0..BOOTSTRAP_RESAMPLES {
        resample.clear();
        for _ in 0..groups.len() {
            let g = &groups[rng.random_range(0..groups.len())];
            for _ in 0..g.len() {
                resample.push(g[rng.random_range(0..g.len())]);
            }
        }
        resample.sort_by(f64::total_cmp);
        medians.push(median_of_sorted(&resample));
    }
    medians.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    (quantile_of_sorted(&medians, tail), quantile_of_sorted(&medians, 1.0 - tail))
}

/// The geometric mean of several measurements' medians and its percentile-bootstrap interval at `confidence`: each
/// resample draws every measurement's processes, then runs inside each drawn process (as
/// [`hierarchical_median_ci`] does for one), and takes the geometric mean of the resampled medians. `measurements`:
/// each one's samples grouped by process, all positive. `None` when there is nothing to average.
pub fn geomean_ci(measurements: &[&[Vec<f64>]], confidence: f64) -> Option<(f64, (f64, f64))> {
    let groups: Vec<Vec<&Vec<f64>>> = measurements.iter().map(|m| m.iter().filter(|g| !g.is_empty()).collect()).collect();
    if groups.is_empty() || groups.iter().any(Vec::is_empty) {
        return None;
    }
    let geo = |medians: &[f64]| (medians.iter().map(|m| m.ln()).sum::<f64>() / medians.len() as f64).exp();
    let point: Vec<f64> = groups
        .iter()
        .map(|gs| {
            let mut all: Vec<f64> = gs.iter().flat_map(|g| g.iter().copied()).collect();
            all.sort_by(f64::total_cmp);
            median_of_sorted(&all)
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
    let mut means = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let (mut resample, mut medians) = (Vec::new(), Vec::with_capacity(groups.len()));
    for _ in 0..BOOTSTRAP_RESAMPLES {
        medians.clear();
        for gs in &groups {
            resample.clear();
            for _ in 0..gs.len() {
                let g = gs[rng.random_range(0..gs.len())];
                for _ in 0..g.len() {
                    resample.push(g[rng.random_range(0..g.len())]);
                }
            }
            resample.sort_by(f64::total_cmp);
            medians.push(median_of_sorted(&resample));
        }
        means.push(geo(&medians));
    }
    means.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Some((geo(&point), (quantile_of_sorted(&means, tail), quantile_of_sorted(&means, 1.0 - tail))))
}

/// Quantile `q` in [0, 1] of an ascending slice, by linear interpolation between closest ranks.
pub fn quantile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// How two measurements' processes compare: `new` against `base`, on the logarithms of per-process medians.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProcessTest {
    /// Geometric-mean ratio of per-process medians, new / base (above 1: new is larger).
    pub ratio: f64,
    /// Lower end of the 95% t-interval of the ratio.
    pub ci_low: f64,
    /// Upper end of the interval.
    pub ci_high: f64,
    /// Two-sided p-value of the t-test, before any adjustment for multiple comparisons.
    pub p_value: f64,
    /// Degrees of freedom of the test.
    pub df: f64,
    /// Whether processes were paired (the two sides ran interleaved, process `i` of each side next to each other).
    pub paired: bool,
    /// Processes on each side (base, new).
    pub processes: (usize, usize),
}

impl ProcessTest {
    /// The same test seen from the other side (base / new).
    pub fn inverted(self) -> ProcessTest {
        ProcessTest { ratio: 1.0 / self.ratio, ci_low: 1.0 / self.ci_high, ci_high: 1.0 / self.ci_low, ..self }
    }
}

/// Per-process medians of positive samples, in process order; `None` if any is missing or not positive.
pub fn process_medians(processes: &[Vec<f64>]) -> Option<Vec<f64>> {
    processes
        .iter()
        .map(|p| {
            let s = sorted(p);
            (!s.is_empty() && s[0] > 0.0 && s.iter().all(|x| x.is_finite())).then(|| median_of_sorted(&s))
        })
        .collect()
}

/// Tests whether `new` differs from `base`, with the process as the unit: the per-process medians are compared on
/// a log scale by a paired t-test when `paired` (both sides ran interleaved and have the same number of processes;
/// pairing removes the machine's drift), else by Welch's t-test. `None` when a side has fewer than two processes
/// (one process cannot tell a change from that process's luck) or a sample is not positive.
pub fn process_test(base: &[Vec<f64>], new: &[Vec<f64>], paired: bool) -> Option<ProcessTest> {
    let b: Vec<f64> = process_medians(base)?.iter().map(|x| x.ln()).collect();
    let n: Vec<f64> = process_medians(new)?.iter().map(|x| x.ln()).collect();
    if b.len() < 2 || n.len() < 2 {
        return None;
    }
    let paired = paired && b.len() == n.len();
    let (diff, se, df) = if paired {
        let d: Vec<f64> = n.iter().zip(&b).map(|(x, y)| x - y).collect();
        (mean(&d), sd(&d) / (d.len() as f64).sqrt(), (d.len() - 1) as f64)
    } else {
        let (vb, vn) = (sd(&b).powi(2) / b.len() as f64, sd(&n).powi(2) / n.len() as f64);
        let se2 = vb + vn;
        let df = if se2 > 0.0 {
            se2 * se2 / (vb * vb / (b.len() - 1) as f64 + vn * vn / (n.len() - 1) as f64)
        } else {
            (b.len() + n.len() - 2) as f64
        };
        (mean(&n) - mean(&b), se2.sqrt(), df)
    };
    let (p_value, half) = if se > 0.0 {
        let t = StudentsT::new(0.0, 1.0, df).expect("df >= 1 and a unit scale are valid");
        (2.0 * t.sf(diff.abs() / se), t.inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0) * se)
    } else {
        // Every process gave exactly the same figure on each side: any difference is certain, none is nothing.
        (if diff == 0.0 { 1.0 } else { 0.0 }, 0.0)
    };
    Some(ProcessTest {
        ratio: diff.exp(),
        ci_low: (diff - half).exp(),
        ci_high: (diff + half).exp(),
        p_value: p_value.clamp(0.0, 1.0),
        df,
        paired,
        processes: (b.len(), n.len()),
    })
}

/// Holm's step-down adjustment of p-values (same order as given): with them, "adjusted p < alpha" for any member
/// keeps the chance of even one false alarm in the whole family at most alpha, whatever the dependence.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![1.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Direction of a judged change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// Significantly worse.
    Worse,
    /// Significantly better.
    Better,
    /// Not distinguishable from no change.
    Same,
}

/// The one rule: a change is real only when its (adjusted) p-value is below [`ALPHA`], its interval excludes no
/// change, **and** the change is beyond the noise floor. `slowdown` and its interval are oriented so that above 1
/// is worse.
pub fn judge(adjusted_p: f64, slowdown: f64, ci: (f64, f64), floor: f64) -> Judgement {
    let significant = adjusted_p < ALPHA && (ci.0 > 1.0 || ci.1 < 1.0);
    if !significant {
        Judgement::Same
    } else if slowdown > 1.0 + floor && ci.0 > 1.0 {
        Judgement::Worse
    } else if slowdown < 1.0 - floor && ci.1 < 1.0 {
        Judgement::Better
    } else {
        Judgement::Same
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_geometric_mean_of_medians_has_an_interval_around_it() {
        let fast = vec![vec![1.0, 1.1, 0.9], vec![1.05, 0.95, 1.0]];
        let slow = vec![vec![4.0, 4.4, 3.6], vec![4.2, 3.8, 4.0]];
        let (gm, (lo, hi)) = geomean_ci(&[fast.as_slice(), slow.as_slice()], 0.95).unwrap();
        assert!((gm - 2.0).abs() < 1e-9, "sqrt(1 x 4) = 2, got {gm}");
        assert!(lo < gm && gm < hi && lo > 1.7 && hi < 2.3, "[{lo}, {hi}]");
        assert!(geomean_ci(&[], 0.95).is_none());
    }

    #[test]
    fn median_of_odd_and_even_lengths() {
        assert_eq!(Summary::of(&[vec![3.0, 1.0, 2.0]]).unwrap().median, 2.0);
        assert_eq!(Summary::of(&[vec![4.0, 1.0], vec![2.0, 3.0]]).unwrap().median, 2.5);
    }

    #[test]
    fn no_summary_without_finite_samples() {
        assert!(Summary::of(&[]).is_none() && Summary::of(&[vec![]]).is_none());
        assert!(Summary::of(&[vec![1.0, f64::NAN]]).is_none());
    }

    #[test]
    fn identical_samples_have_a_zero_width_interval() {
        let s = Summary::of(&[vec![0.5; 7]]).unwrap();
        assert_eq!((s.ci_low, s.median, s.ci_high), (0.5, 0.5, 0.5));
        assert_eq!(s.stddev, 0.0);
    }

    #[test]
    fn interval_narrows_with_more_samples() {
        let noisy = |n: usize| -> Vec<f64> { (0..n).map(|i| 1.0 + ((i * 7919) % 101) as f64 / 1000.0).collect() };
        let few = Summary::of(&[noisy(5)]).unwrap();
        let many = Summary::of(&[noisy(500)]).unwrap();
        assert!(many.ci_high - many.ci_low < few.ci_high - few.ci_low);
    }

    #[test]
    fn the_interval_widens_when_processes_disagree() {
        // Same iterations, once as one process, once as four processes that each ran at their own speed.
        let within: Vec<f64> = (0..8).map(|i| 1.0 + 0.002 * i as f64).collect();
        let one = Summary::of(&[within.iter().flat_map(|x| [*x; 4]).collect()]).unwrap();
        let four = Summary::of(&[0.85, 0.95, 1.05, 1.15].map(|k| within.iter().map(|x| x * k).collect::<Vec<_>>())).unwrap();
        assert_eq!((one.processes, four.processes), (1, 4));
        assert!(one.process_spread.is_none());
        assert!(four.process_spread.unwrap() > 0.1, "{four:?}");
        assert!(four.ci_high - four.ci_low > 5.0 * (one.ci_high - one.ci_low), "{one:?} {four:?}");
    }

    #[test]
    fn one_process_per_side_cannot_be_tested() {
        assert!(process_test(&[vec![1.0, 1.1]], &[vec![2.0, 2.1], vec![2.0]], false).is_none());
        assert!(process_test(&[vec![1.0], vec![0.0]], &[vec![2.0], vec![2.0]], false).is_none(), "non-positive");
    }

    #[test]
    fn a_consistent_paired_shift_is_significant_and_its_interval_holds_it() {
        let base = [1.00, 1.20, 0.90, 1.10, 1.05].map(|x| vec![x]);
        let new = [1.10, 1.32, 0.99, 1.21, 1.155].map(|x| vec![x * 1.0 + 0.0005]);
        let paired = process_test(&base, &new, true).unwrap();
        assert!(paired.paired && paired.p_value < 1e-4, "{paired:?}");
        assert!(paired.ci_low < paired.ratio && paired.ratio < paired.ci_high, "{paired:?}");
        assert!((paired.ratio - 1.1).abs() < 0.002, "{paired:?}");
        // The same numbers unpaired: the drift between processes swamps the shift.
        let welch = process_test(&base, &new, false).unwrap();
        assert!(!welch.paired && welch.p_value > 0.05, "{welch:?}");
    }

    #[test]
    fn welch_matches_a_known_value() {
        // ln-scale groups with means 0 and 0.1, sd 0.1 each, 5 per side: t = 1.581, df = 8, two-sided p = 0.1525.
        let b: Vec<Vec<f64>> = [-0.126_49, -0.063_246, 0.0, 0.063_246, 0.126_49].iter().map(|x: &f64| vec![x.exp()]).collect();
        let n: Vec<Vec<f64>> = [-0.126_49, -0.063_246, 0.0, 0.063_246, 0.126_49].iter().map(|x: &f64| vec![(x + 0.1).exp()]).collect();
        let t = process_test(&b, &n, false).unwrap();
        assert!((t.df - 8.0).abs() < 1e-9 && (t.p_value - 0.1525).abs() < 0.002, "{t:?}");
        assert!((t.ratio - 0.1f64.exp()).abs() < 1e-9);
    }

    #[test]
    fn holm_adjusts_step_down_and_keeps_order() {
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        assert_eq!(adj, vec![0.03, 0.06, 0.06, 0.02]);
        assert_eq!(holm(&[]), Vec::<f64>::new());
        assert_eq!(holm(&[0.9, 0.2]), vec![0.9, 0.4]);
    }

    #[test]
    fn judgement_needs_significance_an_interval_clear_of_one_and_the_floor() {
        assert_eq!(judge(0.001, 1.20, (1.10, 1.30), 0.05), Judgement::Worse);
        assert_eq!(judge(0.001, 0.80, (0.70, 0.90), 0.05), Judgement::Better);
        assert_eq!(judge(0.20, 1.20, (1.10, 1.30), 0.05), Judgement::Same, "not significant");
        assert_eq!(judge(0.001, 1.20, (0.99, 1.30), 0.05), Judgement::Same, "interval holds no change");
        assert_eq!(judge(0.001, 1.03, (1.01, 1.05), 0.05), Judgement::Same, "inside the floor");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn order_statistics_are_ordered(samples in prop::collection::vec(0.0f64..1e6, 1..60)) {
            let s = Summary::of(std::slice::from_ref(&samples)).unwrap();
            prop_assert!(s.min <= s.ci_low && s.ci_low <= s.median && s.median <= s.ci_high && s.ci_high <= s.max);
            prop_assert!(s.min <= s.mean && s.mean <= s.max);
            prop_assert_eq!(s.n, samples.len());
        }

        #[test]
        fn summary_does_not_depend_on_sample_order(mut samples in prop::collection::vec(0.0f64..1e3, 1..40)) {
            let a = Summary::of(std::slice::from_ref(&samples)).unwrap();
            samples.reverse();
            let b = Summary::of(std::slice::from_ref(&samples)).unwrap();
            prop_assert_eq!(a.median, b.median);
            prop_assert_eq!((a.ci_low, a.ci_high), (b.ci_low, b.ci_high));
        }

        #[test]
        fn scaling_samples_scales_the_summary(samples in prop::collection::vec(1.0f64..1e3, 1..40), k in 1.0f64..100.0) {
            let a = Summary::of(std::slice::from_ref(&samples)).unwrap();
            let scaled: Vec<f64> = samples.iter().map(|s| s * k).collect();
            let b = Summary::of(&[scaled]).unwrap();
            prop_assert!((b.median - a.median * k).abs() <= 1e-9 * b.median.abs().max(1.0));
            prop_assert!((b.ci_high - a.ci_high * k).abs() <= 1e-9 * b.ci_high.abs().max(1.0));
        }
    }
}
