//! RSS over time of each variant's measurement process (sysinfo timeline), with the memory cap as a dashed line.

use plotters::prelude::*;

use crate::chart::{num, LIMIT, LABEL, SIZE, TITLE, axis_unit, colour, svg};
use crate::error::Result;
use crate::model::Measurement;

/// One line per measurement in `group` (typically the variants of one task).
pub fn render(title: &str, group: &[&Measurement]) -> Result<String> {
    let with_points: Vec<&Measurement> = group.iter().copied().filter(|m| !m.timeline.is_empty()).collect();
    let t_max = with_points.iter().flat_map(|m| m.timeline.iter().map(|p| p.t_ms)).max().unwrap_or(1).max(1) as f64 / 1e3;
    let cap = group.iter().filter_map(|m| m.memory.cap_bytes).min();
    let rss_max = with_points.iter().flat_map(|m| m.timeline.iter().map(|p| p.rss_bytes)).max().unwrap_or(1) as f64;
    // Show the cap only when it is within reach of the data (a safety cap far above would flatten every line).
    let cap_shown = cap.filter(|c| (*c as f64) < rss_max * 3.0);
    let top = rss_max.max(cap_shown.unwrap_or(0) as f64);
    let (div, axis) = axis_unit(top, "bytes");
    let caption = match (cap, cap_shown) {
        (Some(c), None) => format!("{title} (cap {}, far above)", crate::units::bytes(c)),
        _ => title.to_string(),
    };
    svg("memory timeline", SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(caption, TITLE)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..t_max, 0f64..(top / div * 1.1).max(1e-9))?;
        chart.configure_mesh().x_desc("time since the measurement process started (s)").y_desc(format!("RSS ({axis})")).x_label_formatter(&num).y_label_formatter(&num).label_style(LABEL).draw()?;
        for m in &with_points {
            let c = colour(&m.variant);
            chart
                .draw_series(LineSeries::new(m.timeline.iter().map(|p| (p.t_ms as f64 / 1e3, p.rss_bytes as f64 / div)), c.stroke_width(2)))?
                .label(format!("{} ({})", m.variant, m.outcome.label()))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        }
        if let Some(cap) = cap_shown {
            let y = cap as f64 / div;
            chart
                .draw_series(DashedLineSeries::new(vec![(0.0, y), (t_max, y)], 8, 5, LIMIT.stroke_width(2)))?
                .label("memory cap")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], LIMIT.stroke_width(2)));
        }
        chart.configure_series_labels().label_font(LABEL).background_style(WHITE.mix(0.8)).border_style(BLACK).position(SeriesLabelPosition::UpperLeft).draw()?;
        Ok(())
    })
}
