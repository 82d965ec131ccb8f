//! The rolling VWAP every variant maintains, and the checker that compares what a consumer stored with the
//! reference computed from the dataset the feed replays (itself generated from the seed).
//!
//! The checker runs after every session, outside the timer: a consumer that lost a tick, stored one twice or got a
//! VWAP wrong fails the measurement, whatever its speed.

use std::collections::{BTreeMap, HashMap, VecDeque};

use polars::prelude::*;

use crate::error::Result;
use crate::feed::{FeedTick, VWAP_WINDOW_NS};

/// Relative difference allowed between a consumer's VWAP and the reference (summation order may differ).
const VWAP_TOLERANCE: f64 = 1e-9;

/// One symbol's window: trades newer than `latest - window`, with running sums.
#[derive(Debug, Default, Clone)]
struct SymbolWindow {
    trades: VecDeque<(i64, f64, f64)>,
    notional: f64,
    volume: f64,
}

/// Per-symbol VWAP over the trades of the last [`VWAP_WINDOW_NS`] of each symbol's own trade time. Trades of a
/// symbol must come in time order (the feed guarantees it: a symbol's trades share one connection). Written apart
/// from the engine's window on purpose: the checker must not share a bug with what it checks.
#[derive(Debug, Default, Clone)]
pub struct RollingVwap {
    windows: HashMap<String, SymbolWindow>,
}

impl RollingVwap {
    /// Adds a trade; `ts_ns` in nanoseconds.
    pub fn push(&mut self, symbol: &str, price: f64, quantity: i64, ts_ns: i64) {
        let w = match self.windows.get_mut(symbol) {
            Some(w) => w,
            None => self.windows.entry(symbol.to_string()).or_default(),
        };
        let q = quantity as f64;
        w.trades.push_back((ts_ns, price * q, q));
        w.notional += price * q;
        w.volume += q;
        while let Some(&(ts, pq, q)) = w.trades.front() {
            if ts > ts_ns - VWAP_WINDOW_NS {
                break;
            }
            w.trades.pop_front();
            w.notional -= pq;
            w.volume -= q;
        }
    }

    /// Symbol -> (VWAP, trades in the window).
    pub fn values(&self) -> BTreeMap<String, (Option<f64>, u64)> {
        self.windows
            .iter()
            .map(|(s, w)| {
                // Recomputed from the window rather than the running sums, so long sessions do not drift.
                let (n, v) = w.trades.iter().fold((0.0, 0.0), |(n, v), &(_, pq, q)| (n + pq, v + q));
                (s.clone(), ((v > 0.0).then(|| n / v), w.trades.len() as u64))
            })
            .collect()
    }

    /// The values as a frame: `symbol`, `vwap`, `trades`, sorted by symbol (the same shape as the engine's).
    pub fn frame(&self) -> Result<DataFrame> {
        let values = self.values();
        Ok(df!(
            "symbol" => values.keys().map(|s| s.as_str()).collect::<Vec<_>>(),
            "vwap" => values.values().map(|v| v.0).collect::<Vec<_>>(),
            "trades" => values.values().map(|v| v.1).collect::<Vec<_>>(),
        )?)
    }
}

/// What a correct consumer must end a session with.
#[derive(Debug, Clone)]
pub struct Reference {
    /// Trades in the session.
    pub ticks: u64,
    /// Symbol -> (VWAP, trades in the window).
    pub vwaps: BTreeMap<String, (Option<f64>, u64)>,
}

impl Reference {
    /// The reference for a session replaying `ticks`.
    pub fn of(ticks: &[FeedTick]) -> Reference {
        let mut vwap = RollingVwap::default();
        for t in ticks {
            vwap.push(&t.symbol, t.price, t.quantity, t.ts_us * 1_000);
        }
        Reference { ticks: ticks.len() as u64, vwaps: vwap.values() }
    }
}

/// What the checker found in one session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// Trades of the session never stored.
    pub lost: u64,
    /// Trades stored more than once.
    pub duplicates: u64,
    /// Sequence numbers outside the session.
    pub unknown: u64,
    /// Symbols whose VWAP or window count differs from the reference, with both values.
    pub vwap_mismatches: Vec<String>,
}

impl Findings {
    /// Whether the session is correct.
    pub fn ok(&self) -> bool {
        self.lost == 0 && self.duplicates == 0 && self.unknown == 0 && self.vwap_mismatches.is_empty()
    }

    /// One line for an error message.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.lost > 0 {
            parts.push(format!("{} ticks lost", self.lost));
        }
        if self.duplicates > 0 {
            parts.push(format!("{} ticks stored twice", self.duplicates));
        }
        if self.unknown > 0 {
            parts.push(format!("{} ticks not in the session", self.unknown));
        }
        if !self.vwap_mismatches.is_empty() {
            let shown: Vec<&str> = self.vwap_mismatches.iter().take(3).map(|s| s.as_str()).collect();
            parts.push(format!("{} symbols with a wrong VWAP ({})", self.vwap_mismatches.len(), shown.join("; ")));
        }
        parts.join(", ")
    }
}

/// Checks the sequence numbers a consumer stored (any order) and, when it keeps one, its VWAP frame
/// (`symbol`, `vwap`, `trades`) against the reference.
pub fn check(reference: &Reference, seqs: impl IntoIterator<Item = u64>, vwap: Option<&DataFrame>) -> Result<Findings> {
    let mut seen = vec![false; reference.ticks as usize];
    let mut findings = Findings::default();
    for seq in seqs {
        match seen.get_mut(seq as usize) {
            Some(s) if *s => findings.duplicates += 1,
            Some(s) => *s = true,
            None => findings.unknown += 1,
        }
    }
    findings.lost = seen.iter().filter(|s| !**s).count() as u64;
    if let Some(df) = vwap {
        let symbols = df.column("symbol")?.str()?;
        let values = df.column("vwap")?.f64()?;
        let trades = df.column("trades")?.cast(&DataType::UInt64)?;
        let trades = trades.u64()?;
        let mut got = BTreeMap::new();
        for i in 0..df.height() {
            if let Some(s) = symbols.get(i) {
                got.insert(s.to_string(), (values.get(i), trades.get(i).unwrap_or(0)));
            }
        }
        for (symbol, want) in &reference.vwaps {
            let have = got.remove(symbol);
            let equal = match (have, want) {
                (Some((Some(a), n)), (Some(b), m)) => n == *m && ((a - b).abs() <= VWAP_TOLERANCE * b.abs().max(1e-12)),
                (Some((None, n)), (None, m)) => n == *m,
                _ => false,
            };
            if !equal {
                findings.vwap_mismatches.push(format!("{symbol}: {have:?} vs reference {want:?}"));
            }
        }
        for (symbol, have) in got {
            findings.vwap_mismatches.push(format!("{symbol}: {have:?}, not in the reference"));
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks(n: u64) -> Vec<FeedTick> {
        (0..n)
            .map(|i| FeedTick {
                seq: i,
                symbol: format!("S{}", i % 3),
                price: 10.0 + (i % 7) as f64,
                quantity: 1 + (i % 5) as i64,
                ts_us: 1_000_000 * i as i64,
                buyer_maker: i % 2 == 0,
            })
            .collect()
    }

    fn stored(ticks: &[FeedTick]) -> (Vec<u64>, DataFrame) {
        let mut v = RollingVwap::default();
        for t in ticks {
            v.push(&t.symbol, t.price, t.quantity, t.ts_us * 1_000);
        }
        (ticks.iter().map(|t| t.seq).collect(), v.frame().unwrap())
    }

    #[test]
    fn a_complete_session_passes() {
        let all = ticks(100);
        let reference = Reference::of(&all);
        let (seqs, vwap) = stored(&all);
        let f = check(&reference, seqs, Some(&vwap)).unwrap();
        assert!(f.ok(), "{f:?}");
    }

    #[test]
    fn the_checker_catches_a_dropped_tick() {
        let all = ticks(100);
        let reference = Reference::of(&all);
        let mut some = all.clone();
        some.remove(98); // the consumer never stored trade 98
        let (seqs, vwap) = stored(&some);
        let f = check(&reference, seqs, Some(&vwap)).unwrap();
        assert_eq!(f.lost, 1);
        assert!(!f.ok());
        assert!(f.describe().contains("1 ticks lost"), "{}", f.describe());
    }

    #[test]
    fn the_checker_catches_a_wrong_vwap() {
        let all = ticks(100);
        let reference = Reference::of(&all);
        let mut wrong = all.clone();
        wrong[99].price += 0.01; // stored every trade, but one with a different price
        let (seqs, vwap) = stored(&wrong);
        let f = check(&reference, seqs, Some(&vwap)).unwrap();
        assert_eq!(f.lost, 0);
        assert_eq!(f.vwap_mismatches.len(), 1, "{f:?}");
        assert!(f.vwap_mismatches[0].starts_with(&wrong[99].symbol));
    }

    #[test]
    fn the_checker_catches_duplicates_and_strangers() {
        let all = ticks(10);
        let reference = Reference::of(&all);
        let f = check(&reference, (0..10).chain([3, 42]), None).unwrap();
        assert_eq!((f.lost, f.duplicates, f.unknown), (0, 1, 1));
    }

    #[test]
    fn the_window_drops_trades_older_than_five_seconds() {
        let mut v = RollingVwap::default();
        v.push("A", 10.0, 1, 0);
        v.push("A", 20.0, 1, 4_000_000_000);
        assert_eq!(v.values()["A"], (Some(15.0), 2));
        v.push("A", 30.0, 2, 5_000_000_000); // the trade at 0 is exactly 5 s old: out
        assert_eq!(v.values()["A"], (Some(80.0 / 3.0), 2));
    }
}
