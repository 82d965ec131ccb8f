//! The CLI's observer: an indicatif progress bar with ETA over the planned measurements, and one line per finished
//! measurement so logs (CI, no terminal) show progress too.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use polaroid_bench::observer::{Event, Observer};
use polaroid_results::units;

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
    fn on(&self, event: &Event) {
        match event {
            Event::Planned { total, skipped } => {
                self.bar.set_length(*total as u64);
                self.bar.set_position(*skipped as u64);
                self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                self.bar.enable_steady_tick(Duration::from_millis(200));
                if *skipped > 0 {
                    self.line(&format!("resuming: {skipped} of {total} measurements already done"));
                }
            }
            Event::Started { key, .. } => self.bar.set_message(key.clone()),
            Event::Finished { side, summary: s, .. } => {
                let what = match (s.median, s.unit.as_deref()) {
                    (Some(m), Some("s")) => format!("median {}", units::seconds(m)),
                    (Some(m), Some("queries/s")) => format!("median {}", units::rate(m, "q/s")),
                    (Some(m), Some(unit)) => format!("median {}", units::rate(m, unit)),
                    _ => s.outcome.clone(),
                };
                let peak = s.peak_rss_bytes.map(units::bytes).unwrap_or_else(|| "-".into());
                let check = if s.outcome == "ok" && !s.answer_ok { "  WRONG ANSWER" } else { "" };
                let prefix = side.as_ref().map(|s| format!("[{s}] ")).unwrap_or_default();
                self.line(&format!("{prefix}{:<70} {what}, peak RSS {peak}{check}", s.key));
                self.bar.inc(1);
            }
            Event::Message { text } => self.line(text),
            Event::DatasetReady { .. } | Event::RunFinished { .. } => {}
        }
    }
}

impl ProgressObserver {
    /// A line above the bar on a terminal, or on stderr in a log without one.
    fn line(&self, text: &str) {
        if self.bar.is_hidden() {
            eprintln!("{text}");
        } else {
            self.bar.println(text);
        }
    }
}
