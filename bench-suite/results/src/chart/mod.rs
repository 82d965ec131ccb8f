//! Charts: pure functions, one per file, each taking result data and returning an SVG document as a string
//! (plotters' SVG backend; text is left to the viewer's fonts, so nothing is loaded from disk). The CLI's report,
//! the Python package and the notebooks all draw with these.
//!
//! - [`bars`]: a task's median per variant with 95% CI whiskers and the calibrated limit.
//! - [`memory`]: RSS over time per variant, with the memory cap.
//! - [`scaling`]: QPS and p99 latency against concurrent clients.
//! - [`latency_cdf`]: the streaming latency distribution per variant (from its recorded percentiles).
//! - [`rate`]: achieved against offered tick rate.
//! - [`trend`]: one task's medians across many runs.
//! - [`change`]: a comparison's change per measurement with its interval and verdict.
//!
//! With the `png` feature, `png::from_svg` rasterizes any of them (resvg); the CLI writes both formats.

pub mod bars;
pub mod change;
pub mod latency_cdf;
pub mod memory;
#[cfg(feature = "png")]
pub mod png;
pub mod rate;
pub mod scaling;
pub mod trend;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

/// Default chart size, pixels.
pub const SIZE: (u32, u32) = (900, 480);
/// Title font.
pub(crate) const TITLE: (&str, u32) = ("sans-serif", 20);
/// Axis and legend font.
pub(crate) const LABEL: (&str, u32) = ("sans-serif", 14);

/// Known variants in a fixed colour order, so a variant has the same colour in every chart.
const VARIANTS: [&str; 12] = [
    "polars-eager",
    "polars-threadpool",
    "polars-lazy",
    "polars-streaming",
    "polars-reread",
    "polars-shared",
    "polaroid",
    "polaroid-limit-only",
    "polaroid-cache-only",
    "transport-ceiling",
    "polars-naive",
    "polars-microbatch",
];

const COLOURS: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(23, 190, 207),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(214, 39, 40),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(127, 127, 127),
    RGBColor(65, 68, 81),
    RGBColor(255, 187, 120),
];

/// Limits and caps: dashed black, never a variant's colour.
pub(crate) const LIMIT: RGBColor = RGBColor(0, 0, 0);

/// An axis number with at most 3 significant digits and no trailing zeros (`1`, `2.5`, `1,000` stays `1000`).
pub(crate) fn num(v: &f64) -> String {
    let a = v.abs();
    let s = if a == 0.0 {
        "0".to_string()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// The colour of a variant.
pub fn colour(variant: &str) -> RGBColor {
    VARIANTS.iter().position(|v| *v == variant).map(|i| COLOURS[i]).unwrap_or(RGBColor(90, 90, 90))
}

/// Draws into an SVG string of `size`; `what` names the chart in errors.
pub(crate) fn svg<F>(what: &str, size: (u32, u32), draw: F) -> Result<String>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), Box<dyn std::error::Error>>,
{
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| render_err(what, e))?;
        draw(&root).map_err(|e| render_err(what, e))?;
        root.present().map_err(|e| render_err(what, e))?;
    }
    Ok(out)
}

fn render_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Render { what: what.to_string(), message: e.to_string() }
}


/// Scales a value in a unit to something readable on an axis: returns the divisor and the unit label.
pub(crate) fn axis_unit(max: f64, unit: &str) -> (f64, String) {
    match unit {
        "s" if max < 1e-3 => (1e-6, "µs".into()),
        "s" if max < 1.0 => (1e-3, "ms".into()),
        "s" => (1.0, "s".into()),
        "bytes" if max >= (1u64 << 30) as f64 => ((1u64 << 30) as f64, "GiB".into()),
        "bytes" => ((1u64 << 20) as f64, "MiB".into()),
        other if max >= 1e6 => (1e6, format!("M{other}")),
        other if max >= 1e3 => (1e3, format!("k{other}")),
        other => (1.0, other.into()),
    }
}
