//! The CLI's observer: an indicatif progress bar with ETA over the planned measurements, and one line per finished
//! measurement so logs (CI, no terminal) show progress too.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use polaroid_bench::observer::{Event, Observer};

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
        // The words are the library's (`Event::line`), the same every front end prints; the bar is this one's.
        match event {
            Event::Planned { total, skipped } => {
                self.bar.set_length(*total as u64);
                self.bar.set_position(*skipped as u64);
                self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                self.bar.enable_steady_tick(Duration::from_millis(200));
            }
            Event::Started { key, .. } => self.bar.set_message(key.clone()),
            Event::Finished { .. } => self.bar.inc(1),
            _ => {}
        }
        if let Some(line) = event.line() {
            self.line(&line);
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
