//! streaming: the distribution of send-to-visible latency per variant, drawn through the percentiles each
//! measurement recorded (p50, p95, p99, p99.9, max), latency on a log axis.

use plotters::prelude::*;

use crate::chart::{num, LABEL, SIZE, TITLE, colour, svg};
use crate::error::Result;
use crate::model::Measurement;

/// `group`: the variants of one streaming sweep point (one offered rate and connection count).
pub fn render(title: &str, group: &[&Measurement]) -> Result<String> {
    let curves: Vec<(&str, Vec<(f64, f64)>)> = group
        .iter()
        .filter(|m| m.counts())
        .filter_map(|m| {
            let l = m.latency.as_ref()?;
            let us = |ns: u64| (ns as f64 / 1e3).max(1.0);
            Some((m.variant.as_str(), vec![(us(l.p50_ns), 0.5), (us(l.p95_ns), 0.95), (us(l.p99_ns), 0.99), (us(l.p999_ns), 0.999), (us(l.max_ns), 1.0)]))
        })
        .collect();
    let lo = curves.iter().flat_map(|c| c.1.iter().map(|p| p.0)).fold(f64::MAX, f64::min).min(1e6);
    let hi = curves.iter().flat_map(|c| c.1.iter().map(|p| p.0)).fold(1.0, f64::max);
    svg("latency CDF", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, TITLE)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((lo * 0.7..hi * 1.4).log_scale(), 0.45f64..1.02)?;
        chart.configure_mesh().x_desc("send-to-visible latency (µs, log)").y_desc("fraction of ticks at or below").x_label_formatter(&num).y_label_formatter(&num).label_style(LABEL).draw()?;
        for (variant, points) in &curves {
            let c = colour(variant);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)).point_size(4))?
                .label(*variant)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        chart.configure_series_labels().label_font(LABEL).background_style(WHITE.mix(0.8)).border_style(BLACK).position(SeriesLabelPosition::LowerRight).draw()?;
        Ok(())
    })
}
