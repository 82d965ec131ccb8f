//! Human formatting of the units used in results: seconds, bytes, rates.

/// Formats a duration in seconds with a unit that keeps three significant figures (`812 µs`, `1.24 s`).
pub fn seconds(s: f64) -> String {
    if !s.is_finite() {
        return "-".to_string();
    }
    let (v, unit) = if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else if s >= 1e-6 {
        (s * 1e6, "µs")
    } else {
        (s * 1e9, "ns")
    };
    format!("{} {unit}", sig3(v))
}

/// Formats a byte count in binary units (`512 MiB`).
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 { format!("{b} B") } else { format!("{} {}", sig3(v), UNITS[i]) }
}

/// Formats a rate with an SI prefix (`1.25 M/s` followed by `unit`).
pub fn rate(per_s: f64, unit: &str) -> String {
    if !per_s.is_finite() {
        return "-".to_string();
    }
    let (v, p) = if per_s >= 1e9 {
        (per_s / 1e9, "G")
    } else if per_s >= 1e6 {
        (per_s / 1e6, "M")
    } else if per_s >= 1e3 {
        (per_s / 1e3, "k")
    } else {
        (per_s, "")
    };
    format!("{} {p}{unit}", sig3(v))
}

fn sig3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_readable_units() {
        assert_eq!(seconds(1.2345), "1.23 s");
        assert_eq!(seconds(0.000812), "812 µs");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.00 GiB");
        assert_eq!(rate(1_250_000.0, "rows/s"), "1.25 Mrows/s");
    }
}

/// A count with an SI prefix past a thousand (`120 M`, `4.50 k`), exact below.
pub fn count(n: f64) -> String {
    if n >= 1e3 { rate(n, "").trim_end().to_string() } else { format!("{n:.0}") }
}
