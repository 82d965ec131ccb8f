//! streaming: achieved against offered tick rate per variant (paced sessions), with the line where achieved
//! equals offered; unpaced results are given in the legend.

use std::collections::BTreeMap;

use plotters::prelude::*;

use crate::chart::{num, LABEL, SIZE, TITLE, colour, svg};
use crate::error::Result;
use crate::model::Measurement;
use crate::units;

/// `group`: the streaming measurements for one connection count, every offered rate and variant.
pub fn render(title: &str, group: &[&Measurement]) -> Result<String> {
    let mut lines: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    let mut unpaced: BTreeMap<&str, f64> = BTreeMap::new();
    for m in group.iter().filter(|m| m.counts()) {
        let Some(metric) = &m.metric else { continue };
        match m.params.get("rate_per_s").and_then(|r| r.as_f64()) {
            Some(offered) => lines.entry(&m.variant).or_default().push((offered / 1e3, metric.summary.median / 1e3)),
            None => {
                unpaced.insert(&m.variant, metric.summary.median);
            }
        }
    }
    for points in lines.values_mut() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let top = lines.values().flatten().map(|p| p.0.max(p.1)).fold(1.0, f64::max) * 1.1;
    svg("rate chart", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, TITLE)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..top, 0f64..top)?;
        chart.configure_mesh().x_desc("offered (k ticks/s)").y_desc("achieved (k ticks/s, median)").x_label_formatter(&num).y_label_formatter(&num).label_style(LABEL).draw()?;
        chart
            .draw_series(DashedLineSeries::new(vec![(0.0, 0.0), (top, top)], 6, 4, BLACK.mix(0.5).stroke_width(1)))?
            .label("achieved = offered")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
        for (variant, points) in &lines {
            let c = colour(variant);
            let label = match unpaced.get(variant) {
                Some(u) => format!("{variant} (unpaced: {})", units::rate(*u, "ticks/s")),
                None => variant.to_string(),
            };
            chart
                .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)).point_size(4))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        chart.configure_series_labels().label_font(LABEL).background_style(WHITE.mix(0.8)).border_style(BLACK).position(SeriesLabelPosition::UpperLeft).draw()?;
        Ok(())
    })
}
