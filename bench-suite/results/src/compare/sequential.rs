//! The sequential design of `compare-run --budget`: processes are added, a pair at a time, to the measurements that
//! are still undecided, and each is tested again after every pair (a *look*). Testing again and again at a fixed
//! level would raise the false-alarm rate with every look; a group-sequential boundary keeps it at the level.
//!
//! The method is Lan and DeMets' alpha spending ("Discrete sequential boundaries for clinical trials", Biometrika
//! 70, 1983) with the O'Brien-Fleming-type spending function (two-sided) `a(t) = 4 - 4 Phi(z(1 - a/4) / sqrt(t))`, where `t`
//! is the information fraction of a look: processes per side at that look over the most the budget allows
//! (fixed, from the measured cost of a pair, before the first look's figures are seen). The two-sided boundary of
//! each look is found by the recursive numerical integration of Armitage, McPherson and Rowe (1969) for a Brownian
//! motion observed at the looks, so the chance of crossing at *any* look, for a measurement that did not change,
//! is the level. The boundaries are for a known variance; the per-process medians' t-test is held to the nominal
//! level of its look's boundary (Jennison and Turnbull's "significance level approach" for unknown variance,
//! *Group Sequential Methods with Applications to Clinical Trials*, 2000). Each of the comparison's tests (time and
//! memory of every measurement) gets `ALPHA / tests` (Bonferroni): the family-wise rate stays at most
//! [`ALPHA`](crate::stats::ALPHA) whatever the looks did.
//!
//! A measurement is *decided* when its time regressed or improved by the boundary's rule, or when its 95% interval
//! lies inside the floor (no change worth acting on is left); else it is *undecided*, and the comparison names the
//! largest change its interval still allows.

/// The design's fields live with the result model that records them; its boundaries and looks are here.
pub use crate::model::SequentialDesign as Design;
use statrs::distribution::{ContinuousCDF, Normal};

/// Points of the grid the continuation density is integrated on.
const GRID: usize = 401;

impl Design {
    /// The budget as `--budget` takes it (`15m`, `90s`).
    pub fn budget(&self) -> String {
        let s = self.budget_s.round() as u64;
        if s >= 60 && s % 60 == 0 { format!("{}m", s / 60) } else { format!("{s}s") }
    }

    /// The nominal two-sided level of a test at the look with `processes` per side, for a test whose share of the
    /// family's error rate is `alpha`: the looks are every process count from `initial` to `max`.
    pub fn nominal_level(&self, processes: usize, alpha: f64) -> f64 {
        self.nominal_levels(alpha)[self.look(processes)]
    }

    /// The nominal level of every look, in order (computed once for a whole comparison: each costs an integration).
    pub fn nominal_levels(&self, alpha: f64) -> Vec<f64> {
        let max = self.max.max(self.initial);
        nominal_levels(&(self.initial..=max).map(|n| n as f64 / max as f64).collect::<Vec<_>>(), alpha)
    }

    /// The index of the look with `processes` per side (clamped to the design's looks).
    pub fn look(&self, processes: usize) -> usize {
        processes.clamp(self.initial, self.max.max(self.initial)) - self.initial
    }
}

/// Lan-DeMets O'Brien-Fleming-type spending for a two-sided test: the error rate spent by information fraction `t`,
/// `4 - 4 Phi(z(1 - a/4) / sqrt(t))`.
pub fn spent(t: f64, alpha: f64) -> f64 {
    let n = Normal::standard();
    if t <= 0.0 {
        return 0.0;
    }
    (4.0 - 4.0 * n.cdf(n.inverse_cdf(1.0 - alpha / 4.0) / t.min(1.0).sqrt())).min(alpha)
}

/// The two-sided z boundaries at looks with information fractions `t` (increasing, the last at most 1) that spend
/// `alpha` by [`spent`].
pub fn boundaries(t: &[f64], alpha: f64) -> Vec<f64> {
    let n = Normal::standard();
    let phi = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let mut bounds = Vec::with_capacity(t.len());
    // The sub-density of S(t) = B(t) on the continuation region of the previous look, on a grid.
    let (mut xs, mut fs): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut previous_t = 0.0;
    let mut previous_spent = 0.0;
    for (k, &tk) in t.iter().enumerate() {
        let increment = (spent(tk, alpha) - previous_spent).max(0.0);
        previous_spent += increment;
        let c = if k == 0 {
            if increment <= 0.0 { f64::INFINITY } else { n.inverse_cdf(1.0 - increment / 2.0) }
        } else {
            let sd = (tk - previous_t).sqrt();
            let w = weights(&xs);
            let exit = |c: f64| -> f64 {
                let b = c * tk.sqrt();
                xs.iter().zip(&fs).zip(&w).map(|((x, f), w)| w * f * (n.cdf((-b - x) / sd) + n.sf((b - x) / sd))).sum()
            };
            if increment <= 0.0 {
                f64::INFINITY
            } else {
                // exit() falls as c rises; bisect on [0, 40].
                let (mut lo, mut hi) = (0.0, 40.0);
                for _ in 0..100 {
                    let mid = (lo + hi) / 2.0;
                    if exit(mid) > increment { lo = mid } else { hi = mid }
                }
                (lo + hi) / 2.0
            }
        };
        bounds.push(c);
        // The density of S(t_k) on |S| < c sqrt(t_k), for the next look.
        let b = if c.is_finite() { c * tk.sqrt() } else { 10.0 * tk.sqrt() };
        let ys: Vec<f64> = (0..GRID).map(|i| -b + 2.0 * b * i as f64 / (GRID - 1) as f64).collect();
        let gs: Vec<f64> = if k == 0 {
            ys.iter().map(|y| phi(y / tk.sqrt()) / tk.sqrt()).collect()
        } else {
            let sd = (tk - previous_t).sqrt();
            let w = weights(&xs);
            ys.iter().map(|y| xs.iter().zip(&fs).zip(&w).map(|((x, f), w)| w * f * phi((y - x) / sd) / sd).sum()).collect()
        };
        (xs, fs) = (ys, gs);
        previous_t = tk;
    }
    bounds
}

/// The nominal two-sided level of each look's boundary (`2 (1 - Phi(c))`).
pub fn nominal_levels(t: &[f64], alpha: f64) -> Vec<f64> {
    let n = Normal::standard();
    boundaries(t, alpha).into_iter().map(|c| 2.0 * n.sf(c)).collect()
}

/// Simpson's weights on an evenly spaced grid of odd length (trapezoid's where it is even).
fn weights(xs: &[f64]) -> Vec<f64> {
    let m = xs.len();
    let h = if m > 1 { xs[1] - xs[0] } else { 0.0 };
    (0..m)
        .map(|i| {
            if m % 2 == 0 {
                if i == 0 || i == m - 1 { h / 2.0 } else { h }
            } else if i == 0 || i == m - 1 {
                h / 3.0
            } else if i % 2 == 1 {
                4.0 * h / 3.0
            } else {
                2.0 * h / 3.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn five_equally_spaced_looks_give_the_published_obrien_fleming_type_boundaries() {
        // Lan-DeMets O'Brien-Fleming-type spending, two-sided 0.05, 5 equal looks (as tabulated by the ldbounds and
        // gsDesign packages): 4.877, 3.357, 2.680, 2.290, 2.031.
        let b = boundaries(&[0.2, 0.4, 0.6, 0.8, 1.0], 0.05);
        for (got, want) in b.iter().zip([4.877, 3.357, 2.680, 2.290, 2.031]) {
            assert!((got - want).abs() < 0.005, "{b:?}");
        }
    }

    #[test]
    fn one_look_is_the_fixed_sample_test() {
        let b = boundaries(&[1.0], 0.05);
        assert!((b[0] - 1.959964).abs() < 1e-4, "{b:?}");
        assert!((nominal_levels(&[1.0], 0.05)[0] - 0.05).abs() < 1e-9);
    }

    #[test]
    fn the_chance_of_crossing_at_any_of_many_looks_stays_at_the_level() {
        // A z-statistic observed after every one of 30 increments (as a measurement gets a pair of processes at a
        // time): simulated crossings of the boundaries, under no change.
        let t: Vec<f64> = (3..=32).map(|n| n as f64 / 32.0).collect();
        let b = boundaries(&t, 0.05);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let normal = |rng: &mut ChaCha8Rng| {
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let trials = 20_000;
        let mut crossed = 0;
        for _ in 0..trials {
            let mut s: f64 = (0..3).map(|_| normal(&mut rng)).sum();
            for (k, n) in (3..=32).enumerate() {
                if k > 0 {
                    s += normal(&mut rng);
                }
                if s.abs() / (n as f64).sqrt() >= b[k] {
                    crossed += 1;
                    break;
                }
            }
        }
        let rate = crossed as f64 / trials as f64;
        assert!((0.04..0.06).contains(&rate), "{crossed}/{trials} crossed");
    }

    #[test]
    fn t_tests_of_process_medians_held_to_the_nominal_levels_keep_the_rate_when_nothing_changed() {
        // What compare-run --budget does: paired t-tests of ln per-process medians at every look from 3 to 20
        // processes a side, each held to its look's nominal level; every process drawn from one distribution.
        let design = Design { budget_s: 0.0, initial: 3, max: 20 };
        let levels: Vec<f64> = (3..=20).map(|n| design.nominal_level(n, 0.05)).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let draw = |rng: &mut ChaCha8Rng| {
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            (0.1 * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()).exp()
        };
        let trials = 4_000;
        let mut flagged = 0;
        for _ in 0..trials {
            let (mut base, mut new) = (Vec::new(), Vec::new());
            for n in 1..=20 {
                base.push(vec![draw(&mut rng)]);
                new.push(vec![draw(&mut rng)]);
                if n >= 3 && crate::stats::process_test(&base, &new, true).is_some_and(|t| t.p_value < levels[n - 3]) {
                    flagged += 1;
                    break;
                }
            }
        }
        let rate = flagged as f64 / trials as f64;
        assert!(rate <= 0.06, "{flagged}/{trials} A/A comparisons flagged");
    }

    #[test]
    fn early_looks_are_strict_and_the_last_is_close_to_the_fixed_level() {
        let levels = nominal_levels(&(3..=20).map(|n| n as f64 / 20.0).collect::<Vec<_>>(), 0.05);
        assert!(levels[0] < 1e-4, "{levels:?}");
        assert!(levels.windows(2).all(|w| w[0] < w[1]), "{levels:?}");
        assert!(levels[levels.len() - 1] > 0.03 && levels[levels.len() - 1] < 0.05, "{levels:?}");
    }

    #[test]
    fn a_design_clamps_process_counts_to_its_looks() {
        let d = Design { budget_s: 60.0, initial: 3, max: 10 };
        assert_eq!(d.nominal_level(2, 0.05), d.nominal_level(3, 0.05));
        assert_eq!(d.nominal_level(12, 0.05), d.nominal_level(10, 0.05));
        let fixed = Design { budget_s: 0.0, initial: 5, max: 5 };
        assert!((fixed.nominal_level(5, 0.05) - 0.05).abs() < 1e-9);
    }
}
