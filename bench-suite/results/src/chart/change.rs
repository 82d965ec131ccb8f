//! A comparison at a glance: per measurement, the change of its time (or throughput) between two runs as a point
//! with its 95% interval, the noise floor as a grey band around no change, and the verdict as the colour (red
//! regressed, green improved, grey neither). Positive is worse, as in `compare`'s table.

use plotters::prelude::*;

use crate::chart::{LABEL, TITLE, num, svg};
use crate::compare::{Comparison, Verdict};
use crate::error::Result;

const REGRESSED: RGBColor = RGBColor(214, 39, 40);
const IMPROVED: RGBColor = RGBColor(44, 160, 44);
const NEITHER: RGBColor = RGBColor(127, 127, 127);

/// The time changes of `c`, one row per measurement that has one (untested ones as a point without a whisker).
pub fn render(c: &Comparison) -> Result<String> {
    let rows: Vec<(&str, f64, Option<(f64, f64)>, Verdict, f64)> = c
        .rows
        .iter()
        .filter_map(|r| {
            let t = r.time.as_ref()?;
            let pct = |x: f64| (x - 1.0) * 100.0;
            Some((r.key.as_str(), pct(t.slowdown), t.test.as_ref().map(|t| (pct(t.ci_low), pct(t.ci_high))), t.verdict, t.floor * 100.0))
        })
        .collect();
    let floor = rows.iter().map(|r| r.4).fold(0.0, f64::max);
    let reach = rows
        .iter()
        .flat_map(|r| [r.1.abs(), r.2.map_or(0.0, |(lo, hi)| lo.abs().max(hi.abs()))])
        .fold(floor.max(1.0), f64::max)
        * 1.15;
    let height = (90 + 22 * rows.len().max(1)) as u32;
    let keys: Vec<String> = rows.iter().map(|r| r.0.to_string()).collect();
    let title = format!("{} → {}: change per measurement (positive is worse)", c.base, c.new);
    svg("change chart", (1100, height), |root| {
        let n = rows.len().max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(&title, TITLE)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(430)
            .build_cartesian_2d(-reach..reach, -0.5f64..(n - 0.5))?;
        // Row 0 at the top, in the comparison's order.
        let label = |y: &f64| {
            let i = (n - 1.0 - y.round()) as usize;
            keys.get(i).filter(|_| (y - y.round()).abs() < 1e-6).cloned().unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len().max(1))
            .y_label_formatter(&label)
            .x_label_formatter(&|v| format!("{}%", num(v)))
            .x_desc("change of the median, with its 95% interval (tested measurements)")
            .label_style(LABEL)
            .draw()?;
        chart.draw_series(std::iter::once(Rectangle::new([(-floor, -0.5), (floor, n - 0.5)], NEITHER.mix(0.15).filled())))?;
        chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, -0.5), (0.0, n - 0.5)], BLACK.stroke_width(1))))?;
        for (i, (_, change, ci, verdict, _)) in rows.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let colour = match verdict {
                Verdict::Regressed => REGRESSED,
                Verdict::Improved => IMPROVED,
                _ => NEITHER,
            };
            if let Some((lo, hi)) = ci {
                chart.draw_series(std::iter::once(ErrorBar::new_horizontal(y, *lo, *change, *hi, colour.stroke_width(2), 8)))?;
            }
            chart.draw_series(std::iter::once(Circle::new((*change, y), 5, colour.filled())))?;
        }
        Ok(())
    })
}
