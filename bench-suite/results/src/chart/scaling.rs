//! concurrent-query: throughput (left) and p99 latency (right) against the number of concurrent clients, one
//! line per variant, clients on a log axis.

use std::collections::BTreeMap;

use plotters::prelude::*;

use crate::chart::{num, LABEL, TITLE, colour, svg};
use crate::error::Result;
use crate::model::Measurement;

/// `group`: the measurements of one closed-loop task, every client count and variant.
pub fn render(title: &str, group: &[&Measurement]) -> Result<String> {
    // variant -> [(clients, qps, p99 ms)]
    let mut lines: BTreeMap<&str, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for m in group.iter().filter(|m| m.counts()) {
        let (Some(metric), Some(clients)) = (&m.metric, m.params.get("clients").and_then(|c| c.as_f64())) else { continue };
        let p99 = m.latency.as_ref().map(|l| l.p99_ns as f64 / 1e6).unwrap_or(f64::NAN);
        lines.entry(&m.variant).or_default().push((clients, metric.summary.median, p99));
    }
    for points in lines.values_mut() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let all = || lines.values().flatten();
    let c_max = all().map(|p| p.0).fold(1.0, f64::max);
    let q_max = all().map(|p| p.1).fold(1.0, f64::max);
    let (l_min, l_max) = all().map(|p| p.2).filter(|v| v.is_finite() && *v > 0.0).fold((f64::MAX, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (l_min, l_max) = if l_max > 0.0 { (l_min * 0.8, l_max * 1.25) } else { (0.1, 1.0) };
    svg("scaling chart", (1100, 480), |root| {
        let root = root.titled(title, TITLE)?;
        let (left, right) = root.split_horizontally(550);
        let mut qps = ChartBuilder::on(&left)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((0.8f64..c_max * 1.25).log_scale(), 0f64..q_max * 1.15)?;
        qps.configure_mesh().x_desc("concurrent clients").y_desc("throughput (queries/s, median)").x_label_formatter(&num).y_label_formatter(&num).label_style(LABEL).draw()?;
        let mut lat = ChartBuilder::on(&right)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((0.8f64..c_max * 1.25).log_scale(), (l_min..l_max).log_scale())?;
        lat.configure_mesh().x_desc("concurrent clients").y_desc("p99 latency (ms, log)").x_label_formatter(&num).y_label_formatter(&num).label_style(LABEL).draw()?;
        for (variant, points) in &lines {
            let c = colour(variant);
            qps.draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), c.stroke_width(2)).point_size(4))?
                .label(*variant)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            lat.draw_series(LineSeries::new(points.iter().filter(|p| p.2.is_finite() && p.2 > 0.0).map(|p| (p.0, p.2)), c.stroke_width(2)).point_size(4))?;
        }
        qps.configure_series_labels().label_font(LABEL).background_style(WHITE.mix(0.8)).border_style(BLACK).position(SeriesLabelPosition::UpperLeft).draw()?;
        Ok(())
    })
}
