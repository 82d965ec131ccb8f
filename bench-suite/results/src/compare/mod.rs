//! Comparing two runs: the CI gate.
//!
//! For every measurement present in both runs, time (the metric) and peak memory are each tested at the level
//! that varies, the measurement process ([`crate::stats::process_test`]): per-process medians on a log scale,
//! paired when the two runs were made interleaved by one job (`compare-run`), Welch's t-test otherwise. All the
//! comparison's tests form one family: their p-values are Holm-adjusted, so the chance that a comparison of two
//! equal builds flags anything stays at most 5%. A change is `regressed` or `improved` only by the one rule of
//! [`crate::stats::judge`]: adjusted p < 0.05, a 95% interval that excludes no change, and a change beyond the
//! noise floor (one global floor, or per measurement from a [`Noise`] file learned by an A/A run).
//!
//! Runs with different schema versions or datasets are refused; different hardware gives a warning.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Measurement, RunResult};
use crate::stats::{self, ALPHA, Judgement, ProcessTest, median_of_sorted};
use crate::units;

pub(crate) mod markdown;
pub mod sequential;
pub mod thresholds;
pub use markdown::markdown;

/// What fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// A significant time (or throughput) regression, or a measurement that stopped finishing.
    #[default]
    Time,
    /// A significant peak-memory regression, or a measurement that stopped finishing.
    Memory,
    /// Either.
    Any,
    /// Nothing: report only.
    None,
}

/// Settings of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareOptions {
    /// Relative change below which nothing is called a regression or an improvement (0.05 = 5%), for
    /// measurements the noise model does not cover.
    pub noise_floor: f64,
    /// What fails the gate.
    pub fail_on: FailOn,
    /// Per-measurement floors learned from an A/A run (`polaroid-bench noise`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<Noise>,
    /// Relative change of instructions per timed run beyond which it is a regression or an improvement, for
    /// measurements the noise model does not cover (instructions are counted once per side: no test, a floor).
    #[serde(default = "default_instructions_floor")]
    pub instructions_floor: f64,
    /// Floors set by hand per measurement pattern (`--thresholds`): they win over `noise` and the global floors.
    #[serde(default, skip_serializing_if = "thresholds::Thresholds::is_empty")]
    pub thresholds: thresholds::Thresholds,
}

/// The instruction floor of `compare`, unless told otherwise or learned by `noise`.
pub const DEFAULT_INSTRUCTIONS_FLOOR: f64 = 0.005;

fn default_instructions_floor() -> f64 {
    DEFAULT_INSTRUCTIONS_FLOOR
}

/// The noise floor of `compare` and of the report's wins and ties, unless told otherwise.
pub const DEFAULT_NOISE_FLOOR: f64 = 0.05;

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            noise_floor: DEFAULT_NOISE_FLOOR,
            fail_on: FailOn::Time,
            noise: None,
            instructions_floor: DEFAULT_INSTRUCTIONS_FLOOR,
            thresholds: thresholds::Thresholds::default(),
        }
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
    /// No significant change beyond the floor.
    Unchanged,
    /// Not testable: fewer than two processes on a side.
    Untested,
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
            Verdict::Untested => "untested",
            Verdict::New => "new",
            Verdict::Missing => "missing",
        }
    }
}

/// The comparison of one quantity (time, throughput or peak memory) of one measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Unit (`s`, `queries/s`, `ticks/s`, `bytes`).
    pub unit: String,
    /// Whether larger is better.
    pub higher_is_better: bool,
    /// Median of the base run (over all its samples).
    pub base_median: f64,
    /// Median of the new run.
    pub new_median: f64,
    /// Slowdown factor, oriented so that above 1 is worse: the geometric-mean ratio of per-process medians when
    /// tested, else the ratio of medians.
    pub slowdown: f64,
    /// The process-level test (`None`: fewer than two processes on a side), oriented like `slowdown`.
    pub test: Option<ProcessTest>,
    /// Holm-adjusted p-value over every test of the comparison.
    pub adjusted_p: Option<f64>,
    /// Noise floor applied.
    pub floor: f64,
    /// Verdict.
    pub verdict: Verdict,
    /// The look of a sequential comparison (`compare-run --budget`) the test was judged at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub look: Option<Look>,
}

/// Where a test of a sequential comparison stands ([`sequential`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Look {
    /// Processes per side at this look.
    pub processes: usize,
    /// Processes per side the budget allowed at most.
    pub max: usize,
    /// The nominal two-sided level of this look's boundary: the test's p-value is held to it (the adjusted p-value
    /// is `p * ALPHA / level`).
    pub level: f64,
    /// Whether the test is decided: changed by the rule, or its 95% interval inside the floor. An undecided test's
    /// interval bounds the change it could still have missed.
    pub decided: bool,
}

/// The comparison of one measurement's instructions per timed run (`run --instructions`): a count, deterministic to
/// a small fraction of a percent, so one process per side and a floor instead of a test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InstructionChange {
    /// Instructions per timed run, base.
    pub base: f64,
    /// Instructions per timed run, new.
    pub new: f64,
    /// new / base - 1: positive is more instructions (worse).
    pub change: f64,
    /// The floor applied: learned by `noise` for this measurement, else `--instructions-floor`.
    pub floor: f64,
    /// `regressed` beyond +floor, `improved` beyond -floor, else `unchanged`.
    pub verdict: Verdict,
}

impl InstructionChange {
    /// Judges `new` against `base` with `floor`.
    pub fn new(base: f64, new: f64, floor: f64) -> InstructionChange {
        let change = new / base - 1.0;
        let verdict = if !change.is_finite() {
            Verdict::Untested
        } else if change > floor {
            Verdict::Regressed
        } else if change < -floor {
            Verdict::Improved
        } else {
            Verdict::Unchanged
        };
        InstructionChange { base, new, change, floor, verdict }
    }
}

/// One measurement key in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Measurement key.
    pub key: String,
    /// Overall verdict: regressed if time or memory regressed (or it stopped finishing), improved if either
    /// improved and neither regressed, else unchanged / untested / new / missing.
    pub verdict: Verdict,
    /// Outcome labels, base and new (`ok`, `oom`, ...).
    pub outcomes: (String, String),
    /// Time (or throughput) comparison, when both runs have samples.
    pub time: Option<Change>,
    /// Peak-memory comparison, when both runs have peaks.
    pub memory: Option<Change>,
    /// Instructions per timed run, when both runs counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<InstructionChange>,
    /// Why, in words.
    pub note: String,
}

impl Row {
    fn stopped_finishing(&self) -> bool {
        self.verdict == Verdict::Regressed && self.time.is_none() && self.memory.is_none()
    }
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
    /// Whether processes were paired (both runs from one interleaved job).
    pub paired: bool,
    /// Number of tests in the family the Holm adjustment (or, sequentially, Bonferroni's split) covered.
    pub tests: usize,
    /// The design of a sequential comparison (`compare-run --budget`), from the result files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<sequential::Design>,
    /// Warnings (e.g. different hardware, untestable measurements).
    pub warnings: Vec<String>,
    /// One row per measurement key, in the base run's order then new keys.
    pub rows: Vec<Row>,
}

/// What failed the gate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failures {
    /// Measurements whose time (or throughput) regressed.
    pub time: usize,
    /// Measurements whose peak memory regressed.
    pub memory: usize,
    /// Measurements that finished in the base and not in the new run.
    pub stopped: usize,
    /// Measurements whose instructions per timed run rose beyond their floor.
    #[serde(default)]
    pub instructions: usize,
}

impl Comparison {
    /// Rows with this overall verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }

    /// Every regression, by kind, whatever `fail_on` says.
    pub fn regressions(&self) -> Failures {
        let regressed = |c: &Option<Change>| c.as_ref().is_some_and(|c| c.verdict == Verdict::Regressed);
        Failures {
            time: self.rows.iter().filter(|r| regressed(&r.time)).count(),
            memory: self.rows.iter().filter(|r| regressed(&r.memory)).count(),
            stopped: self.rows.iter().filter(|r| r.stopped_finishing()).count(),
            instructions: self.rows.iter().filter(|r| r.instructions.is_some_and(|i| i.verdict == Verdict::Regressed)).count(),
        }
    }

    /// The regressions that fail the gate under the comparison's `fail_on`.
    pub fn failures(&self) -> Failures {
        let all = self.regressions();
        match self.options.fail_on {
            FailOn::Time => Failures { memory: 0, ..all },
            FailOn::Memory => Failures { time: 0, instructions: 0, ..all },
            FailOn::Any => all,
            FailOn::None => Failures::default(),
        }
    }

    /// Whether the gate fails under the comparison's `fail_on`.
    pub fn fails(&self) -> bool {
        self.failures() != Failures::default()
    }

    /// Exit code of `polaroid-bench compare`: 0 passes, 1 a time or instructions regression or a measurement that
    /// stopped finishing, 3 a memory regression only (2 is kept for comparisons that cannot be made).
    pub fn exit_code(&self) -> u8 {
        let f = self.failures();
        if f.time + f.stopped + f.instructions > 0 {
            1
        } else if f.memory > 0 {
            3
        } else {
            0
        }
    }

    /// In a sequential comparison, the measurements whose time is still undecided, each with the largest slowdown
    /// its 95% interval allows (0.08 = 8%): the change the comparison could have missed.
    pub fn undecided(&self) -> Vec<(String, f64)> {
        self.rows
            .iter()
            .filter_map(|r| {
                let t = r.time.as_ref()?;
                let test = t.test?;
                t.look.filter(|l| !l.decided).map(|_| (r.key.clone(), test.ci_high - 1.0))
            })
            .collect()
    }

    /// One line naming what failed the gate, or that it passed.
    pub fn gate_line(&self) -> String {
        let f = self.failures();
        if !self.fails() {
            return "no significant regression".into();
        }
        let mut parts = Vec::new();
        if f.time > 0 {
            parts.push(format!("{} time regression(s)", f.time));
        }
        if f.instructions > 0 {
            parts.push(format!("{} instructions regression(s)", f.instructions));
        }
        if f.memory > 0 {
            parts.push(format!("{} memory regression(s)", f.memory));
        }
        if f.stopped > 0 {
            parts.push(format!("{} measurement(s) stopped finishing", f.stopped));
        }
        format!("significant regression: {}", parts.join(", "))
    }
}

/// Per-measurement noise learned from an A/A run: the spread between processes of the same build, and the floor
/// it implies. Written by `polaroid-bench noise`, read by `compare --noise`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    /// Where the noise was learned (the A/A result files).
    pub source: String,
    /// Per measurement key.
    pub keys: BTreeMap<String, KeyNoise>,
}

/// Noise of one measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KeyNoise {
    /// Processes per side in the A/A run.
    pub processes: usize,
    /// Standard deviation of ln(per-process median) between processes of one build, time metric.
    pub time_spread: Option<f64>,
    /// The same for peak memory.
    pub memory_spread: Option<f64>,
    /// Floor for time: the spread between processes (a change smaller than one process's luck is not worth
    /// acting on, however many processes confirm it), at least [`MIN_LEARNED_FLOOR`].
    pub time_floor: Option<f64>,
    /// Floor for memory, likewise.
    pub memory_floor: Option<f64>,
    /// |new / base - 1| of instructions per timed run between the two A/A runs, when both counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_change: Option<f64>,
    /// Floor for instructions: [`INSTRUCTIONS_FLOOR_MULTIPLE`] times that difference, at least
    /// [`MIN_INSTRUCTIONS_FLOOR`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_floor: Option<f64>,
}

/// Smallest floor a noise model may set.
pub const MIN_LEARNED_FLOOR: f64 = 0.01;

/// Smallest instruction floor a noise model may set.
pub const MIN_INSTRUCTIONS_FLOOR: f64 = 0.001;

/// The instruction floor as a multiple of one A/A difference: with counting noise of standard deviation s, one
/// A/A difference |d| is about 0.8 s on average, so four of them is about three standard deviations.
pub const INSTRUCTIONS_FLOOR_MULTIPLE: f64 = 4.0;

impl Noise {
    /// Learns noise from two runs of the same build (ideally interleaved): per key, the spread of ln per-process
    /// medians, pooled over both runs.
    pub fn learn(a: &RunResult, b: &RunResult, source: &str) -> Noise {
        let mut keys = BTreeMap::new();
        for ma in &a.measurements {
            let Some(mb) = b.measurement(&ma.key) else { continue };
            if !(ma.counts() && mb.counts()) {
                continue;
            }
            let time = |m: &Measurement| m.metric.as_ref().map(|x| x.samples.clone()).unwrap_or_default();
            let memory = |m: &Measurement| m.process_peaks().iter().map(|&p| vec![p as f64]).collect::<Vec<_>>();
            let processes = time(ma).len().min(time(mb).len());
            let (ts, ms) = (pooled_spread(&time(ma), &time(mb)), pooled_spread(&memory(ma), &memory(mb)));
            let floor = |s: Option<f64>| s.map(|s| s.max(MIN_LEARNED_FLOOR));
            let instructions_change = ma.instructions_per_run().zip(mb.instructions_per_run()).map(|(a, b)| (b / a - 1.0).abs()).filter(|d| d.is_finite());
            keys.insert(
                ma.key.clone(),
                KeyNoise {
                    processes,
                    time_spread: ts,
                    memory_spread: ms,
                    time_floor: floor(ts),
                    memory_floor: floor(ms),
                    instructions_change,
                    instructions_floor: instructions_change.map(|d| (d * INSTRUCTIONS_FLOOR_MULTIPLE).max(MIN_INSTRUCTIONS_FLOOR)),
                },
            );
        }
        Noise { source: source.into(), keys }
    }

    /// The smallest slowdown (as a fraction: 0.10 = 10%) that a paired `compare-run` with `processes` per side
    /// catches with 80% power in a comparison of `tests` tests, for a measurement whose processes spread by
    /// `spread` (normal approximation of the paired t-test at the Holm threshold of its first step, `ALPHA / tests`).
    pub fn detectable(spread: f64, processes: usize, tests: usize) -> Option<f64> {
        use statrs::distribution::{ContinuousCDF, StudentsT};
        if processes < 2 || tests == 0 {
            return None;
        }
        let t = StudentsT::new(0.0, 1.0, (processes - 1) as f64).ok()?;
        let z = t.inverse_cdf(1.0 - ALPHA / tests as f64 / 2.0) + t.inverse_cdf(0.8);
        Some((z * spread * 2f64.sqrt() / (processes as f64).sqrt()).exp() - 1.0)
    }

    /// The noise as a table for people: per measurement its spread, floor, what a `compare-run` with as many
    /// processes detects in a comparison of `tests` tests, and the memory floor.
    pub fn table(&self, tests: usize) -> String {
        let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.1}%", v * 100.0));
        let pct3 = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.3}%", v * 100.0));
        let instructions = self.keys.values().any(|k| k.instructions_change.is_some());
        let mut s = format!("{:<72} {:>8} {:>8} {:>10} {:>12}", "measurement", "spread", "floor", "detectable", "memory floor");
        if instructions {
            s.push_str(&format!(" {:>14} {:>14}", "instr. change", "instr. floor"));
        }
        s.push('\n');
        for (key, k) in &self.keys {
            let detectable = k.time_spread.and_then(|x| Noise::detectable(x, k.processes, tests));
            // Past 10x the number says only that these processes cannot see a change of any useful size.
            let detectable = match detectable {
                Some(d) if d > 10.0 => ">1000%".to_string(),
                d => pct(d),
            };
            s.push_str(&format!("{key:<72} {:>8} {:>8} {:>10} {:>12}", pct(k.time_spread), pct(k.time_floor), detectable, pct(k.memory_floor)));
            if instructions {
                s.push_str(&format!(" {:>14} {:>14}", pct3(k.instructions_change), pct3(k.instructions_floor)));
            }
            s.push('\n');
        }
        s.push_str("spread: between processes of one build; detectable: the slowdown a compare-run with these processes catches 4 times in 5\n");
        if instructions {
            s.push_str("instr. change: instructions per timed run, one side against the other; instr. floor: four times that, at least 0.1%\n");
        }
        s
    }

    /// Reads a noise file.
    pub fn load(path: &Path) -> Result<Noise> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io { action: "read", path: path.to_path_buf(), source })?;
        serde_json::from_slice(&bytes).map_err(|source| Error::Parse { path: path.to_path_buf(), source })
    }
}

/// Pooled standard deviation of ln(per-process median) of two groups of processes; `None` without two processes
/// in some group or with a sample that is not positive.
fn pooled_spread(a: &[Vec<f64>], b: &[Vec<f64>]) -> Option<f64> {
    let logs = |g: &[Vec<f64>]| -> Option<Vec<f64>> { Some(stats::process_medians(g)?.iter().map(|x| x.ln()).collect()) };
    let (la, lb) = (logs(a)?, logs(b)?);
    let df = la.len().saturating_sub(1) + lb.len().saturating_sub(1);
    let ss = |l: &[f64]| stats::sd(l).powi(2) * l.len().saturating_sub(1) as f64;
    (df > 0).then(|| ((ss(&la) + ss(&lb)) / df as f64).sqrt())
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
    let paired = match (&bp.interleaved, &np.interleaved) {
        (Some(b), Some(n)) => b.id == n.id && b.side != n.side,
        _ => false,
    };

    let mut rows = Vec::new();
    for b in &base.measurements {
        match new.measurement(&b.key) {
            Some(n) => rows.push(compare_one(b, n, &options, paired)),
            None => rows.push(Row {
                key: b.key.clone(),
                verdict: Verdict::Missing,
                outcomes: (b.outcome.label().into(), "-".into()),
                time: None,
                memory: None,
                instructions: None,
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
            instructions: None,
            note: "not in the base run".into(),
        });
    }

    // One family: every test of the comparison, time and memory alike.
    let p_values: Vec<f64> = rows
        .iter()
        .flat_map(|r| [&r.time, &r.memory])
        .filter_map(|c| c.as_ref().and_then(|c| c.test.map(|t| t.p_value)))
        .collect();
    // Sequentially (the runs carry a design and were interleaved), each test is held to its look's boundary at an
    // equal share of ALPHA; otherwise Holm's step-down over the family.
    let design = bp.interleaved.as_ref().and_then(|i| i.sequential).filter(|_| paired);
    let levels = design.map(|d| d.nominal_levels(ALPHA / p_values.len().max(1) as f64)).unwrap_or_default();
    let mut adjusted = stats::holm(&p_values).into_iter();
    for row in &mut rows {
        for change in [&mut row.time, &mut row.memory].into_iter().flatten() {
            if let Some(t) = change.test {
                let holm = adjusted.next().expect("one adjusted p-value per test");
                let p = match design {
                    Some(d) => {
                        let processes = t.processes.0.min(t.processes.1);
                        let level = levels[d.look(processes)];
                        change.look = Some(Look { processes, max: d.max, level, decided: false });
                        (t.p_value * ALPHA / level).min(1.0)
                    }
                    None => holm,
                };
                change.adjusted_p = Some(p);
                change.verdict = match stats::judge(p, change.slowdown, (t.ci_low, t.ci_high), change.floor) {
                    Judgement::Worse => Verdict::Regressed,
                    Judgement::Better => Verdict::Improved,
                    Judgement::Same => Verdict::Unchanged,
                };
                if let Some(look) = &mut change.look {
                    let inside = t.ci_low >= 1.0 - change.floor && t.ci_high <= 1.0 + change.floor;
                    look.decided = change.verdict != Verdict::Unchanged || inside;
                }
            }
        }
        if row.time.is_some() || row.memory.is_some() || row.instructions.is_some() {
            row.verdict = overall(row);
            row.note = note(row);
        }
    }
    let untested = rows.iter().filter(|r| r.verdict == Verdict::Untested).count();
    if untested > 0 {
        warnings.push(format!(
            "{untested} measurement(s) have fewer than two processes on a side and were not tested: one process cannot tell a change from that process's luck; re-run with --processes 2 or more"
        ));
    }
    Ok(Comparison { options, base: base_label.into(), new: new_label.into(), paired, tests: p_values.len(), sequential: design, warnings, rows })
}

fn overall(row: &Row) -> Verdict {
    let verdicts: Vec<Verdict> =
        [&row.time, &row.memory].into_iter().flatten().map(|c| c.verdict).chain(row.instructions.map(|i| i.verdict)).collect();
    if verdicts.contains(&Verdict::Regressed) {
        Verdict::Regressed
    } else if verdicts.contains(&Verdict::Improved) {
        Verdict::Improved
    } else if verdicts.contains(&Verdict::Unchanged) {
        Verdict::Unchanged
    } else {
        Verdict::Untested
    }
}

fn note(row: &Row) -> String {
    let mut notes = Vec::new();
    for (what, c) in [("time", &row.time), ("memory", &row.memory)] {
        let Some(c) = c else { continue };
        match (&c.test, c.adjusted_p) {
            (Some(t), Some(p)) => notes.push(format!(
                "{what} x{:.3} [{:.3}, {:.3}] p={:.3} adj.p={:.3} floor {:.1}% {}",
                c.slowdown,
                t.ci_low,
                t.ci_high,
                t.p_value,
                p,
                c.floor * 100.0,
                c.verdict.label()
            )),
            _ => notes.push(format!("{what} x{:.3} untested (fewer than two processes on a side)", c.slowdown)),
        }
    }
    if let Some(i) = &row.instructions {
        notes.push(format!("instructions {:+.3}% floor {:.2}% {}", i.change * 100.0, i.floor * 100.0, i.verdict.label()));
    }
    notes.join("; ")
}

fn compare_one(b: &Measurement, n: &Measurement, options: &CompareOptions, paired: bool) -> Row {
    let outcomes = (outcome_label(b), outcome_label(n));
    let mut row = Row { key: b.key.clone(), verdict: Verdict::Unchanged, outcomes, time: None, memory: None, instructions: None, note: String::new() };
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
    let learned = options.noise.as_ref().and_then(|n| n.keys.get(&b.key));
    let set = options.thresholds.for_key(&b.key);
    if let (Some(bm), Some(nm)) = (&b.metric, &n.metric) {
        let floor = set.and_then(|t| t.time).or(learned.and_then(|k| k.time_floor)).unwrap_or(options.noise_floor);
        row.time = Some(change(&bm.samples, &nm.samples, bm.higher_is_better, &bm.unit, floor, paired));
    }
    let (bp, np) = (b.process_peaks(), n.process_peaks());
    if !bp.is_empty() && !np.is_empty() {
        let as_processes = |p: &[u64]| p.iter().map(|&x| vec![x as f64]).collect::<Vec<_>>();
        let floor = set.and_then(|t| t.memory).or(learned.and_then(|k| k.memory_floor)).unwrap_or(options.noise_floor);
        row.memory = Some(change(&as_processes(&bp), &as_processes(&np), false, "bytes", floor, paired));
    }
    if let (Some(bi), Some(ni)) = (b.instructions_per_run(), n.instructions_per_run()) {
        let floor = set.and_then(|t| t.instructions).or(learned.and_then(|k| k.instructions_floor)).unwrap_or(options.instructions_floor);
        row.instructions = Some(InstructionChange::new(bi, ni, floor));
    }
    row
}

fn outcome_label(m: &Measurement) -> String {
    if matches!(m.answer_check, crate::model::AnswerCheck::Mismatch { .. }) {
        return "wrong answer".into();
    }
    m.outcome.label().into()
}

/// Compares two measurements' samples, grouped by process. The verdict is left `untested` or `unchanged` here;
/// [`compare`] sets it once every test's p-value is adjusted. `slowdown` > 1 means worse whatever the direction.
pub fn change(base: &[Vec<f64>], new: &[Vec<f64>], higher_is_better: bool, unit: &str, floor: f64, paired: bool) -> Change {
    let median = |g: &[Vec<f64>]| {
        let mut all: Vec<f64> = g.concat().into_iter().filter(|x| x.is_finite()).collect();
        all.sort_by(f64::total_cmp);
        if all.is_empty() { f64::NAN } else { median_of_sorted(&all) }
    };
    let (base_median, new_median) = (median(base), median(new));
    let test = stats::process_test(base, new, paired).map(|t| if higher_is_better { t.inverted() } else { t });
    let slowdown = match &test {
        Some(t) => t.ratio,
        None if higher_is_better => base_median / new_median,
        None => new_median / base_median,
    };
    Change {
        unit: unit.into(),
        higher_is_better,
        base_median,
        new_median,
        slowdown,
        test,
        adjusted_p: None,
        floor,
        verdict: if test.is_some() { Verdict::Unchanged } else { Verdict::Untested },
        look: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Box-Muller, so the test needs no distribution crate.
    fn normal(rng: &mut impl Rng) -> f64 {
        let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// The noise of every default batch-read measurement, learned on the development machine by an interleaved
    /// A/A run (`reports/gate-2026-11-25/`, see its README for the command): the spread of ln(per-process median)
    /// between processes of one build, per measurement, with the processes per side it was learned with.
    fn measured() -> (Vec<(String, f64, f64)>, usize) {
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/gate-2026-11-25/noise.json"));
        let noise: Noise = serde_json::from_str(text).expect("the committed noise file parses");
        let processes = noise.keys.values().map(|k| k.processes).min().expect("it has measurements");
        let keys = noise.keys.iter().map(|(key, k)| (key.clone(), k.time_spread.unwrap(), k.memory_spread.unwrap_or(0.0))).collect();
        (keys, processes)
    }

    const TRIALS: usize = 200;

    /// One simulated interleaved comparison of every measured measurement: each process's median drawn around the
    /// truth with the measurement's own measured spread; `slowed` variants' time is `slowdown` times larger in the
    /// new build. Judged exactly as `compare` judges (Holm over time and memory tests). Returns, per measurement,
    /// (key, slowed, judgement of time, judgement of memory).
    fn simulate(rng: &mut ChaCha8Rng, slowed: &str, slowdown: f64) -> Vec<(String, bool, Judgement, Judgement)> {
        let (keys, processes) = measured();
        let side = |rng: &mut ChaCha8Rng, spread: f64, factor: f64| -> Vec<Vec<f64>> {
            (0..processes).map(|_| vec![(spread * normal(rng)).exp() * factor]).collect()
        };
        let mut changes = Vec::new();
        for (key, time_spread, memory_spread) in &keys {
            let is_slowed = key.ends_with(&format!("/{slowed}"));
            let factor = if is_slowed { slowdown } else { 1.0 };
            let t = change(&side(rng, *time_spread, 1.0), &side(rng, *time_spread, factor), false, "s", 0.05, true);
            let m = change(&side(rng, *memory_spread, 1.0), &side(rng, *memory_spread, 1.0), false, "bytes", 0.05, true);
            changes.push((key.clone(), is_slowed, t, m));
        }
        let p: Vec<f64> = changes.iter().flat_map(|(_, _, t, m)| [t.test.unwrap().p_value, m.test.unwrap().p_value]).collect();
        let adjusted = stats::holm(&p);
        let judge = |c: &Change, p: f64| {
            let t = c.test.unwrap();
            stats::judge(p, c.slowdown, (t.ci_low, t.ci_high), c.floor)
        };
        changes
            .iter()
            .enumerate()
            .map(|(i, (key, slowed, t, m))| (key.clone(), *slowed, judge(t, adjusted[2 * i]), judge(m, adjusted[2 * i + 1])))
            .collect()
    }

    #[test]
    fn a_and_a_comparisons_with_the_measured_noise_flag_nothing_in_at_least_95_percent_of_trials() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let alarms = (0..TRIALS)
            .filter(|_| simulate(&mut rng, "none", 1.0).iter().any(|(_, _, t, m)| *t != Judgement::Same || *m != Judgement::Same))
            .count();
        assert!(alarms as f64 <= 0.05 * TRIALS as f64, "{alarms}/{TRIALS} A/A comparisons flagged a measurement");
    }

    #[test]
    fn a_ten_percent_slowdown_of_a_quiet_variant_is_caught_in_at_least_80_percent_of_trials() {
        // polars-threadpool: the variant the real check in reports/gate-2026-11-25 slows down.
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (mut caught, mut false_alarms) = (0, 0);
        for _ in 0..TRIALS {
            let judged = simulate(&mut rng, "polars-threadpool", 1.10);
            caught += usize::from(judged.iter().any(|(_, slowed, t, _)| *slowed && *t == Judgement::Worse));
            false_alarms += usize::from(judged.iter().any(|(_, slowed, t, _)| !*slowed && *t != Judgement::Same));
        }
        assert!(caught as f64 >= 0.8 * TRIALS as f64, "{caught}/{TRIALS} slowdowns caught");
        assert!(false_alarms as f64 <= 0.05 * TRIALS as f64, "{false_alarms}/{TRIALS} flagged another measurement");
    }

    #[test]
    fn unpaired_process_drift_is_not_a_regression() {
        // The case: every iteration of the new run's one process is 30% slower. Iteration-level tests call
        // that significant; with processes as the unit, two processes per side that disagree this much are not.
        let base = vec![vec![0.27, 0.26, 0.28, 0.29, 0.27], vec![0.36, 0.35, 0.37, 0.36, 0.38]];
        let new = vec![vec![0.36, 0.37, 0.35, 0.41, 0.36], vec![0.27, 0.28, 0.26, 0.27, 0.29]];
        let c = change(&base, &new, false, "s", 0.05, false);
        let t = c.test.unwrap();
        assert!(t.p_value > 0.5 && t.ci_low < 1.0 && t.ci_high > 1.0, "{c:?}");
    }

    #[test]
    fn a_throughput_drop_is_a_regression_and_a_rise_an_improvement() {
        let procs = |x: f64| vec![vec![x, x * 1.01], vec![x * 0.99, x], vec![x * 1.005, x * 0.995]];
        let down = change(&procs(100.0), &procs(80.0), true, "queries/s", 0.05, false);
        let t = down.test.unwrap();
        assert_eq!(stats::judge(t.p_value, down.slowdown, (t.ci_low, t.ci_high), 0.05), Judgement::Worse);
        assert!((down.slowdown - 1.25).abs() < 0.01, "{down:?}");
        let up = change(&procs(80.0), &procs(100.0), true, "queries/s", 0.05, false);
        let t = up.test.unwrap();
        assert_eq!(stats::judge(t.p_value, up.slowdown, (t.ci_low, t.ci_high), 0.05), Judgement::Better);
    }

    #[test]
    fn what_is_detectable_shrinks_with_processes_and_grows_with_spread_and_tests() {
        let d = |spread, p, m| Noise::detectable(spread, p, m).unwrap();
        assert!(d(0.0, 5, 44).abs() < 1e-12);
        assert!(d(0.05, 10, 44) < d(0.05, 5, 44));
        assert!(d(0.10, 5, 44) > d(0.05, 5, 44));
        assert!(d(0.05, 5, 44) > d(0.05, 5, 1));
        assert!(Noise::detectable(0.05, 1, 44).is_none());
    }

    #[test]
    fn one_process_per_side_is_untested() {
        let c = change(&[vec![1.0, 1.1, 1.0]], &[vec![2.0, 2.1, 2.0]], false, "s", 0.05, false);
        assert_eq!(c.verdict, Verdict::Untested);
        assert!(c.test.is_none() && (c.slowdown - 2.0).abs() < 0.01);
    }
}
