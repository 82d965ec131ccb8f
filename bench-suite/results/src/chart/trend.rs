//! One task across many runs: each variant's median (with its 95% interval) per run, runs in time order.

use plotters::prelude::*;

use crate::chart::{num, LABEL, SIZE, TITLE, axis_unit, colour, svg};
use crate::error::Result;
use crate::stats::Summary;

/// A variant's values over the runs: `(run index, summary)`; runs where it did not finish are absent.
#[derive(Debug, Clone)]
pub struct TrendSeries {
    /// Variant name.
    pub variant: String,
    /// Points, by run index into the run labels.
    pub points: Vec<(usize, Summary)>,
}

/// `runs`: one label per run (e.g. date or commit), in order; `unit` of the medians.
pub fn render(title: &str, runs: &[String], unit: &str, series: &[TrendSeries]) -> Result<String> {
    let top = series.iter().flat_map(|s| s.points.iter().map(|p| p.1.ci_high.max(p.1.median))).fold(0.0, f64::max);
    let (div, axis) = axis_unit(top, unit);
    let n = runs.len().max(1);
    svg("trend chart", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, TITLE)
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..(top / div * 1.15).max(1e-9))?;
        let label = |x: &f64| runs.get(x.round() as usize).filter(|_| (x - x.round()).abs() < 1e-6).cloned().unwrap_or_default();
        chart
            .configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&label)
            .x_desc("run")
            .y_desc(format!("median ({axis})"))
            .y_label_formatter(&num).label_style(LABEL)
            .draw()?;
        for s in series {
            let c = colour(&s.variant);
            chart
                .draw_series(LineSeries::new(s.points.iter().map(|(i, m)| (*i as f64, m.median / div)), c.stroke_width(2)).point_size(4))?
                .label(s.variant.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            chart.draw_series(s.points.iter().map(|(i, m)| ErrorBar::new_vertical(*i as f64, m.ci_low / div, m.median / div, m.ci_high / div, c.stroke_width(1), 8)))?;
        }
        chart.configure_series_labels().label_font(LABEL).background_style(WHITE.mix(0.8)).border_style(BLACK).position(SeriesLabelPosition::UpperLeft).draw()?;
        Ok(())
    })
}
