//! Send-to-visible latency: what every consumer variant records per tick, the streaming workload's measure.

use hdrhistogram::Histogram;

/// When ticks became visible, against when the feed sent them: an HDR histogram of the difference (ns, 3
/// significant digits) and the span from the first send to the last visible tick (the achieved rate's clock).
#[derive(Debug, Clone)]
pub struct Visibility {
    /// Send-to-visible latency, nanoseconds.
    pub latency: Histogram<u64>,
    /// Ticks recorded.
    pub count: u64,
    /// Earliest send time seen, ns since the epoch.
    pub first_sent_ns: i64,
    /// Latest visibility time seen, ns since the epoch.
    pub last_visible_ns: i64,
}

impl Default for Visibility {
    fn default() -> Self {
        Visibility {
            latency: Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("constant bounds are valid"),
            count: 0,
            first_sent_ns: i64::MAX,
            last_visible_ns: i64::MIN,
        }
    }
}

impl Visibility {
    /// A tick sent at `sent_ns` became visible at `visible_ns` (both from [`crate::feed::now_ns`]).
    pub fn record(&mut self, sent_ns: i64, visible_ns: i64) {
        self.latency.saturating_record((visible_ns - sent_ns).max(1) as u64);
        self.count += 1;
        self.first_sent_ns = self.first_sent_ns.min(sent_ns);
        self.last_visible_ns = self.last_visible_ns.max(visible_ns);
    }

    /// Adds another recorder's ticks.
    pub fn merge(&mut self, other: &Visibility) {
        let _ = self.latency.add(&other.latency); // same bounds on both sides: cannot fail
        self.count += other.count;
        self.first_sent_ns = self.first_sent_ns.min(other.first_sent_ns);
        self.last_visible_ns = self.last_visible_ns.max(other.last_visible_ns);
    }

    /// Ticks per second from the first send to the last visible tick.
    pub fn achieved_per_s(&self) -> f64 {
        let span_ns = self.last_visible_ns.saturating_sub(self.first_sent_ns);
        if self.count == 0 || span_ns <= 0 { 0.0 } else { self.count as f64 * 1e9 / span_ns as f64 }
    }
}
