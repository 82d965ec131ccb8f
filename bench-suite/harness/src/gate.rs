//! The CI gate's file handling, shared by `compare`, `compare-run` and `noise`: compare two runs and write the
//! comparison; learn noise from an A/A pair and write it. The statistics are in `polaroid_results::compare`.

use std::path::{Path, PathBuf};

use polaroid_results::RunResult;
use polaroid_results::compare::{self, CompareOptions, Comparison, Noise, Verdict};

use crate::error::{Result, io_err};

/// How a comparison is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown for a pull-request comment.
    Markdown,
    /// The whole comparison as JSON.
    Json,
}

/// Compares `new` with `base`, renders the comparison in `format`, and writes it to `out` when given.
pub fn compare_and_write(base: &RunResult, new: &RunResult, labels: (&str, &str), options: CompareOptions, format: Format, out: Option<&Path>) -> Result<(Comparison, String)> {
    let c = compare::compare(base, new, labels.0, labels.1, options)?;
    let text = match format {
        Format::Markdown => compare::markdown(&c),
        Format::Json => serde_json::to_string_pretty(&c)? + "\n",
    };
    if let Some(out) = out {
        std::fs::write(out, &text).map_err(io_err("writing", out))?;
    }
    Ok((c, text))
}

/// What `noise` learned from an A/A pair.
#[derive(Debug, Clone)]
pub struct Learned {
    /// Per-measurement noise (also written to `noise.json`).
    pub noise: Noise,
    /// The A/A comparison (also written to `compare.md`): every flagged measurement is a false alarm.
    pub aa: Comparison,
    /// Where the noise file went.
    pub noise_path: PathBuf,
    /// Where the A/A comparison went.
    pub compare_path: PathBuf,
}

impl Learned {
    /// Measurements the A/A comparison flagged.
    pub fn false_alarms(&self) -> usize {
        self.aa.count(Verdict::Regressed) + self.aa.count(Verdict::Improved)
    }

    /// The report for people: the noise table and what the A/A comparison flagged.
    pub fn text(&self) -> String {
        // What a compare-run of this selection could see: Holm over a time and a memory test per measurement.
        let mut s = self.noise.table(2 * self.noise.keys.len());
        s.push_str(&format!(
            "A/A comparison: {} of {} measurement(s) flagged (each one a false alarm): {}\nnoise: {} (use with `compare --noise`)\n",
            self.false_alarms(),
            self.aa.rows.len(),
            self.compare_path.display(),
            self.noise_path.display()
        ));
        s
    }
}

/// Learns noise from two runs of one build and writes `noise.json` and `compare.md` into `dir`.
pub fn learn_noise(a: &RunResult, b: &RunResult, source: &str, dir: &Path) -> Result<Learned> {
    std::fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
    let noise = Noise::learn(a, b, source);
    let noise_path = dir.join("noise.json");
    std::fs::write(&noise_path, serde_json::to_string_pretty(&noise)? + "\n").map_err(io_err("writing", &noise_path))?;
    let compare_path = dir.join("compare.md");
    let (aa, _) = compare_and_write(a, b, ("a.json", "b.json"), CompareOptions::default(), Format::Markdown, Some(&compare_path))?;
    Ok(Learned { noise, aa, noise_path, compare_path })
}
