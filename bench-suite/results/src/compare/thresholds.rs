//! Per-measurement thresholds set by hand (`compare --thresholds FILE`): floors for time, memory and instructions
//! by measurement pattern, the first pattern that matches a key wins. They override the floors `noise` learned and
//! the global `--noise-floor` / `--instructions-floor`. The file (TOML):
//!
//! ```toml
//! [[threshold]]
//! measurements = "batch-read/load-all/*"   # a glob over measurement keys
//! time = "10%"                            # or 0.10
//! instructions = "1%"
//!
//! [[threshold]]
//! measurements = "streaming/*"
//! memory = "20%"
//! ```

use serde::{Deserialize, Serialize};

/// One line of a thresholds file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// Glob over measurement keys (`*`, `?`, `[...]`), e.g. `batch-read/load-all/*`.
    pub measurements: String,
    /// Floor of the time (or throughput) change, a fraction (0.10 = 10%).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "fraction")]
    pub time: Option<f64>,
    /// Floor of the peak-memory change.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "fraction")]
    pub memory: Option<f64>,
    /// Floor of the instructions-per-run change.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "fraction")]
    pub instructions: Option<f64>,
}

/// A thresholds file: its `[[threshold]]` tables, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// The thresholds, first match wins.
    #[serde(default, rename = "threshold")]
    pub thresholds: Vec<Threshold>,
}

impl Thresholds {
    /// Whether the file set nothing.
    pub fn is_empty(&self) -> bool {
        self.thresholds.is_empty()
    }

    /// Checks every pattern and floor; `source` names the file in the error.
    pub fn validate(&self, source: &str) -> Result<(), String> {
        for (i, t) in self.thresholds.iter().enumerate() {
            let at = || format!("{source}: threshold {} (`{}`)", i + 1, t.measurements);
            glob::Pattern::new(&t.measurements).map_err(|e| format!("{}: not a pattern: {e}", at()))?;
            if t.time.is_none() && t.memory.is_none() && t.instructions.is_none() {
                return Err(format!("{}: sets no floor; give time, memory or instructions", at()));
            }
        }
        Ok(())
    }

    /// The first threshold whose pattern matches `key`.
    pub fn for_key(&self, key: &str) -> Option<&Threshold> {
        self.thresholds.iter().find(|t| glob::Pattern::new(&t.measurements).is_ok_and(|p| p.matches(key)))
    }
}

/// A floor as a fraction (`0.1`) or a percentage (`"10%"`), in [0, 1).
fn fraction<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(f64),
        Text(String),
    }
    let value = match Raw::deserialize(d)? {
        Raw::Number(x) => x,
        Raw::Text(t) => t
            .trim()
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<f64>().ok())
            .map(|p| p / 100.0)
            .ok_or_else(|| serde::de::Error::custom(format!("'{t}' is not a floor; write a fraction (0.1) or a percentage (\"10%\")")))?,
    };
    if !(value.is_finite() && (0.0..1.0).contains(&value)) {
        return Err(serde::de::Error::custom(format!("{value} is not a floor in [0, 1), e.g. 0.1 or \"10%\"")));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<Thresholds, String> {
        let t: Thresholds = serde_json::from_str(text).map_err(|e| e.to_string())?;
        t.validate("t.toml")?;
        Ok(t)
    }

    #[test]
    fn the_first_matching_pattern_wins_and_percentages_are_fractions() {
        let t = parse(r#"{"threshold": [{"measurements": "batch-read/load-all/*", "time": "10%"}, {"measurements": "*", "time": 0.02, "instructions": "0.5%"}]}"#).unwrap();
        assert_eq!(t.for_key("batch-read/load-all/default[latency_ms=0]/polaroid").unwrap().time, Some(0.10));
        let other = t.for_key("streaming/vwap/default/polaroid").unwrap();
        assert_eq!((other.time, other.instructions), (Some(0.02), Some(0.005)));
    }

    #[test]
    fn bad_floors_and_patterns_are_refused_with_what_to_write() {
        assert!(parse(r#"{"threshold": [{"measurements": "*", "time": "ten"}]}"#).unwrap_err().contains("fraction (0.1) or a percentage"));
        assert!(parse(r#"{"threshold": [{"measurements": "*", "time": 1.5}]}"#).unwrap_err().contains("not a floor in [0, 1)"));
        assert!(parse(r#"{"threshold": [{"measurements": "a[", "time": 0.1}]}"#).unwrap_err().contains("not a pattern"));
        assert!(parse(r#"{"threshold": [{"measurements": "*"}]}"#).unwrap_err().contains("sets no floor"));
        assert!(parse(r#"{"threshold": [{"measurements": "*", "tme": 0.1}]}"#).unwrap_err().contains("unknown field"));
    }
}
