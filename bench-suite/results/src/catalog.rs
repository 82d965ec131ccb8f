//! What a `polaroid-bench` binary can measure: its workloads, their tasks and sizes, and the variants with their
//! roles. Built by the harness (`polaroid_bench::catalog()`), printed by `polaroid-bench list --format json`, and
//! readable here without Polars, so front ends can offer the valid names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Role;

/// Everything a binary can measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Workloads, in run order.
    pub workloads: Vec<WorkloadInfo>,
    /// Every variant a user can name, in report order.
    pub variants: Vec<VariantInfo>,
    /// What is inside the timer, for every workload.
    pub timed: String,
    /// What is outside it.
    pub not_timed: String,
}

/// One workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadInfo {
    /// Name on the command line and in results.
    pub name: String,
    /// What it measures.
    pub about: String,
    /// What could make the comparison unfair, and what the harness does about it.
    pub fairness: String,
    /// Tasks, in report order.
    pub tasks: Vec<TaskInfo>,
    /// Variants it runs by default.
    pub variants: Vec<String>,
    /// Settings per suite size.
    pub sizes: Vec<SizeInfo>,
}

/// One task of a workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// Task name.
    pub name: String,
    /// What one timed iteration (or run) covers.
    pub times: String,
}

/// A workload's settings at one suite size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeInfo {
    /// `smoke`, `default` or `large`.
    pub name: String,
    /// Parquet files of the dataset (0 for a workload file, whose data is its tables).
    pub files: usize,
    /// Rows per file.
    pub rows_per_file: usize,
    /// Measurement processes per measurement.
    pub processes: usize,
    /// Warm-up runs per process.
    pub warmup: usize,
    /// Timed runs per process.
    pub runs: usize,
    /// Seconds per closed-loop run (absent for iteration-timed workloads).
    pub run_duration_s: Option<f64>,
    /// Seconds before a measurement process is killed.
    pub timeout_s: f64,
    /// Memory cap of a measurement process.
    pub memory_cap_bytes: u64,
    /// One measurement per entry of the sweep (its parameters).
    pub sweep: Vec<BTreeMap<String, serde_json::Value>>,
}

/// One variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantInfo {
    /// Name on the command line and in results.
    pub name: String,
    /// What it does, in one line.
    pub about: String,
    /// What it is in the comparison.
    pub role: Role,
}

/// `text` on one line (runs of whitespace, newlines included, made one space), cut to `max` characters with `...`:
/// a workload file's SQL in the catalog (its whole text stays in the JSON form).
fn one_line(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let cut: String = line.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", cut.trim_end())
}

impl Catalog {
    /// The catalog for people (what `polaroid-bench list` prints).
    pub fn text(&self) -> String {
        let mut s = String::from("WORKLOADS (run in this order)\n");
        for w in &self.workloads {
            s.push_str(&format!("\n{}: {}\n  fairness: {}\n", w.name, w.about, w.fairness));
            for t in &w.tasks {
                s.push_str(&format!("  task {:<10} times: {}\n", t.name, one_line(&t.times, 160)));
            }
            s.push_str(&format!("  variants: {}\n", w.variants.join(", ")));
            for z in &w.sizes {
                let sweep = if z.sweep.len() > 1 {
                    format!("; sweep {}", z.sweep.iter().map(|p| serde_json::to_string(p).unwrap_or_default()).collect::<Vec<_>>().join(" "))
                } else {
                    String::new()
                };
                let data = if z.files == 0 { "its tables".to_string() } else { format!("{} file(s) x {} rows", z.files, z.rows_per_file) };
                s.push_str(&format!(
                    "  {:<8} {data}; {} processes x (warm-up {}, runs {}{}), timeout {}s, cap {}{sweep}\n",
                    z.name,
                    z.processes,
                    z.warmup,
                    z.runs,
                    z.run_duration_s.map_or(String::new(), |d| format!(" of {d}s")),
                    z.timeout_s,
                    crate::units::bytes(z.memory_cap_bytes),
                ));
            }
        }
        s.push_str("\nVARIANTS (role: baseline, tuned, engine, ablation, served, limit, test_double)\n");
        for v in &self.variants {
            let role = serde_json::to_value(v.role).ok().and_then(|r| r.as_str().map(String::from)).unwrap_or_default();
            s.push_str(&format!("  {:<20} {:<12} {}\n", v.name, role, v.about));
        }
        s.push_str(&format!("\nTimed: {}. Not timed: {}.\n", self.timed, self.not_timed));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn sql_is_shown_on_one_line_and_cut() {
        assert_eq!(one_line("SELECT a,\n       b\nFROM t", 160), "SELECT a, b FROM t");
        let long = "SELECT ".to_string() + &"x, ".repeat(100);
        let shown = one_line(&long, 40);
        assert!(shown.chars().count() <= 40 && shown.chars().count() > 30, "{shown}");
        assert!(shown.ends_with("...") && shown.starts_with("SELECT x, x,"), "{shown}");
    }
}
