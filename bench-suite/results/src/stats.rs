//! Statistics of timing samples: median, spread and a bootstrap confidence interval of the median.
//!
//! The median is the headline figure because a few slow iterations (a page-cache miss, a scheduler hiccup) move
//! the mean but not the median. The confidence interval comes from resampling the samples with replacement
//! (percentile bootstrap), which assumes nothing about their distribution. The resampling is seeded, so the same
//! samples always give the same interval.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Bootstrap resamples drawn for a confidence interval.
pub const BOOTSTRAP_RESAMPLES: usize = 2_000;
/// Confidence level of the reported interval.
pub const CONFIDENCE: f64 = 0.95;
const BOOTSTRAP_SEED: u64 = 0x706f_6c61_726f_6964; // "polaroid"

/// Statistics of one measurement's samples.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Median of the samples.
    pub median: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one sample).
    pub stddev: f64,
    /// Lower bound of the bootstrap confidence interval of the median.
    pub ci_low: f64,
    /// Upper bound of the bootstrap confidence interval of the median.
    pub ci_high: f64,
    /// Confidence level of the interval (0.95).
    pub confidence: f64,
}

impl Summary {
    /// Summarizes samples; `None` when there are none or any is not finite.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() || samples.iter().any(|s| !s.is_finite()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let stddev = if n > 1 {
            (sorted.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let (ci_low, ci_high) = bootstrap_median_ci(&sorted, CONFIDENCE);
        Some(Summary {
            n,
            median: median_of_sorted(&sorted),
            min: sorted[0],
            max: sorted[n - 1],
            mean,
            stddev,
            ci_low,
            ci_high,
            confidence: CONFIDENCE,
        })
    }
}

/// Median of an ascending slice (mean of the two middle values for even lengths).
pub fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    assert!(n > 0, "median of an empty slice: callers check for samples first");
    if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 }
}

/// Percentile-bootstrap interval of the median at `confidence`, from an ascending slice.
pub fn bootstrap_median_ci(sorted: &[f64], confidence: f64) -> (f64, f64) {
    let n = sorted.len();
    if n == 1 {
        return (sorted[0], sorted[0]);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(BOOTSTRAP_SEED);
    let mut medians = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let mut resample = vec![0.0; n];
    for _ in 0..BOOTSTRAP_RESAMPLES {
        for slot in resample.iter_mut() {
            *slot = sorted[rng.random_range(0..n)];
        }
        resample.sort_by(f64::total_cmp);
        medians.push(median_of_sorted(&resample));
    }
    medians.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    (quantile_of_sorted(&medians, tail), quantile_of_sorted(&medians, 1.0 - tail))
}

/// Quantile `q` in [0, 1] of an ascending slice, by linear interpolation between closest ranks.
pub fn quantile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn median_of_odd_and_even_lengths() {
        assert_eq!(Summary::of(&[3.0, 1.0, 2.0]).unwrap().median, 2.0);
        assert_eq!(Summary::of(&[4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
    }

    #[test]
    fn no_summary_without_finite_samples() {
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn identical_samples_have_a_zero_width_interval() {
        let s = Summary::of(&[0.5; 7]).unwrap();
        assert_eq!((s.ci_low, s.median, s.ci_high), (0.5, 0.5, 0.5));
        assert_eq!(s.stddev, 0.0);
    }

    #[test]
    fn interval_narrows_with_more_samples() {
        let noisy = |n: usize| -> Vec<f64> { (0..n).map(|i| 1.0 + ((i * 7919) % 101) as f64 / 1000.0).collect() };
        let few = Summary::of(&noisy(5)).unwrap();
        let many = Summary::of(&noisy(500)).unwrap();
        assert!(many.ci_high - many.ci_low < few.ci_high - few.ci_low);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn order_statistics_are_ordered(samples in prop::collection::vec(0.0f64..1e6, 1..60)) {
            let s = Summary::of(&samples).unwrap();
            prop_assert!(s.min <= s.ci_low && s.ci_low <= s.median && s.median <= s.ci_high && s.ci_high <= s.max);
            prop_assert!(s.min <= s.mean && s.mean <= s.max);
            prop_assert_eq!(s.n, samples.len());
        }

        #[test]
        fn summary_does_not_depend_on_sample_order(mut samples in prop::collection::vec(0.0f64..1e3, 1..40)) {
            let a = Summary::of(&samples).unwrap();
            samples.reverse();
            let b = Summary::of(&samples).unwrap();
            prop_assert_eq!(a.median, b.median);
            prop_assert_eq!((a.ci_low, a.ci_high), (b.ci_low, b.ci_high));
        }

        #[test]
        fn scaling_samples_scales_the_summary(samples in prop::collection::vec(1.0f64..1e3, 1..40), k in 1.0f64..100.0) {
            let a = Summary::of(&samples).unwrap();
            let scaled: Vec<f64> = samples.iter().map(|s| s * k).collect();
            let b = Summary::of(&scaled).unwrap();
            prop_assert!((b.median - a.median * k).abs() <= 1e-9 * b.median.abs().max(1.0));
            prop_assert!((b.ci_high - a.ci_high * k).abs() <= 1e-9 * b.ci_high.abs().max(1.0));
        }
    }
}
