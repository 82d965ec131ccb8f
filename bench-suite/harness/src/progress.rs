//! The CLI's observer: an indicatif progress bar with ETA over the planned measurements, and one line per finished
//! measurement so logs (CI, no terminal) show progress too.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use polaroid_bench::Observer;
use polaroid_results::{Measurement, Outcome, units};

pub struct ProgressObserver {
    bar: ProgressBar,
}

impl ProgressObserver {
    pub fn new() -> Self {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30.cyan/blue}] {pos}/{len} ETA {eta} {wide_msg}")
                .expect("constant template is valid")
                .progress_chars("=> "),
        );
        ProgressObserver { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for ProgressObserver {
    fn planned(&self, total: usize, skipped: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(skipped as u64);
        self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.bar.enable_steady_tick(Duration::from_millis(200));
        if skipped > 0 {
            self.message(&format!("resuming: {skipped} of {total} measurements already done"));
        }
    }

    fn started(&self, _index: usize, key: &str) {
        self.bar.set_message(key.to_string());
    }

    fn finished(&self, _index: usize, m: &Measurement) {
        self.line("", m);
    }

    fn finished_side(&self, _index: usize, side: &str, m: &Measurement) {
        self.line(&format!("[{side}] "), m);
    }

    fn message(&self, text: &str) {
        if self.bar.is_hidden() {
            eprintln!("{text}");
        } else {
            self.bar.println(text);
        }
    }
}

impl ProgressObserver {
    /// One line per finished measurement, on the terminal above the bar or in the log without one.
    fn line(&self, prefix: &str, m: &Measurement) {
        let what = match (&m.outcome, &m.metric) {
            (Outcome::Ok, Some(metric)) if metric.unit == "s" => format!("median {}", units::seconds(metric.summary.median)),
            (Outcome::Ok, Some(metric)) => format!("median {}", units::rate(metric.summary.median, "q/s")),
            (outcome, _) => outcome.label().to_string(),
        };
        let peak = m.memory.peak_rss_bytes.map(units::bytes).unwrap_or_else(|| "-".into());
        let check = if m.counts() || !matches!(m.outcome, Outcome::Ok) { "" } else { "  WRONG ANSWER" };
        self.message(&format!("{prefix}{:<70} {what}, peak RSS {peak}{check}", m.key));
        self.bar.inc(1);
    }
}
