//! One task: the median of each variant as a bar, its 95% bootstrap interval as a whisker, and, for timed tasks
//! that decode Parquet, the calibrated physical limit as a dashed line (no variant can be faster than it).

use plotters::prelude::*;

use crate::chart::{num, LIMIT, LABEL, SIZE, TITLE, axis_unit, colour, svg};
use crate::error::Result;
use crate::model::{Calibration, Measurement};

/// Bars for the measurements of one task (one per variant; those that did not finish are listed under the axis).
pub fn render(title: &str, group: &[&Measurement], calibration: Option<&Calibration>) -> Result<String> {
    let ok: Vec<&Measurement> = group.iter().copied().filter(|m| m.counts() && m.metric.is_some()).collect();
    let failed: Vec<String> = group
        .iter()
        .filter(|m| !m.counts())
        .map(|m| format!("{}: {}", m.variant, m.outcome.label()))
        .collect();
    let unit = ok.first().and_then(|m| m.metric.as_ref()).map(|m| m.unit.clone()).unwrap_or_else(|| "s".into());
    // The limit as a time: compressed bytes read / all-core decode throughput.
    let limit = match (unit.as_str(), calibration) {
        ("s", Some(c)) => ok
            .iter()
            .filter_map(|m| m.work.as_ref())
            .map(|w| w.input_bytes as f64 / c.decode_all_cores_bytes_per_s)
            .find(|t| *t > 0.0 && t.is_finite()),
        _ => None,
    };
    let top = ok
        .iter()
        .map(|m| m.metric.as_ref().map(|x| x.summary.ci_high.max(x.summary.median)).unwrap_or(0.0))
        .fold(limit.unwrap_or(0.0), f64::max);
    let (div, axis) = axis_unit(top, &unit);
    let names: Vec<String> = ok.iter().map(|m| m.variant.clone()).collect();
    svg("bar chart", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, TITLE)
            .margin(12)
            .x_label_area_size(if failed.is_empty() { 40 } else { 60 })
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5f64..(ok.len().max(1) as f64 - 0.5), 0f64..(top / div * 1.3).max(1e-9))?;
        let label = |x: &f64| names.get(x.round() as usize).filter(|_| (x - x.round()).abs() < 1e-6).cloned().unwrap_or_default();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(ok.len().max(1))
            .x_label_formatter(&label)
            .x_desc(if failed.is_empty() { String::new() } else { format!("did not finish: {}", failed.join(", ")) })
            .y_desc(format!("median ({axis}){}", if ok.iter().any(|m| m.metric.as_ref().is_some_and(|x| x.higher_is_better)) { ", higher is better" } else { ", lower is better" }))
            .y_label_formatter(&num).label_style(LABEL)
            .draw()?;
        for (i, m) in ok.iter().enumerate() {
            let s = &m.metric.as_ref().expect("filtered above").summary;
            let x = i as f64;
            let c = colour(&m.variant);
            chart.draw_series(std::iter::once(Rectangle::new([(x - 0.3, 0.0), (x + 0.3, s.median / div)], c.mix(0.75).filled())))?;
            chart.draw_series(std::iter::once(ErrorBar::new_vertical(x, s.ci_low / div, s.median / div, s.ci_high / div, BLACK.stroke_width(1), 12)))?;
        }
        if let Some(t) = limit {
            chart
                .draw_series(DashedLineSeries::new(vec![(-0.5, t / div), (ok.len() as f64 - 0.5, t / div)], 8, 5, LIMIT.stroke_width(2)))?
                .label("calibrated decode limit (all cores)")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], LIMIT.stroke_width(2)));
            chart.configure_series_labels().label_font(LABEL).background_style(WHITE.mix(0.8)).border_style(BLACK).position(SeriesLabelPosition::UpperRight).draw()?;
        }
        Ok(())
    })
}
