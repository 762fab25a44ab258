//! The figure of one headline metric over a history series: its value per entry (commit), each step judged
//! against the previous entry as `hsbench compare` would, with compare's warn and fail bands drawn at every step
//! so a reader sees at once which commit fell into which band.

use super::series::{Series, value_text};
use crate::compare::{Direction, Thresholds, Verdict};
use crate::report::figure::{Hover, Plot, Values};
use crate::report::plots::{
    BLUE_, Drawn, FONT, GREY, ORANGE, PlotError, RED_, draw_legend, header, legend_box, legend_line, render,
};
use plotters::prelude::*;

/// The value ranges of a step's warn and fail zones (low, high).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bands {
    /// Values whose ratio to the previous one is below `warn_below` but not below `fail_below`.
    pub warn: (f64, f64),
    /// Values whose ratio is below `fail_below`.
    pub fail: (f64, f64),
}

/// The warn and fail bands of a step from `base` (ratio as in compare: new ÷ base for higher-is-better, base ÷
/// new for lower-is-better); `y_max` closes the open end of a lower-is-better fail zone.
pub fn bands(base: f64, direction: Direction, t: Thresholds, y_max: f64) -> Bands {
    match direction {
        Direction::Higher => {
            Bands { warn: (base * t.fail_below, base * t.warn_below), fail: (0.0, base * t.fail_below) }
        }
        Direction::Lower => {
            Bands { warn: (base / t.warn_below, base / t.fail_below), fail: (base / t.fail_below, y_max) }
        }
    }
}

fn colour(v: Verdict) -> RGBColor {
    match v {
        Verdict::Fail => RED_,
        Verdict::Warn => ORANGE,
        Verdict::HarnessBound => GREY,
        Verdict::NotCompared | Verdict::Pass => BLUE_,
    }
}

/// The figure of metric `name` over `series`, judged under `t`.
pub fn metric(series: &Series, name: &str, t: Thresholds) -> Result<Plot, PlotError> {
    let (points, direction) = series.points(name, t);
    let commits: Vec<String> = series.entries.iter().map(|e| e.commit_label().chars().take(9).collect()).collect();
    let n = series.entries.len().max(1) as f64;
    let top = points.iter().map(|p| p.value).fold(0.0, f64::max);
    let band_top = match direction {
        Direction::Higher => top,
        Direction::Lower => points.iter().filter_map(|p| p.previous).map(|b| b / t.warn_below).fold(top, f64::max),
    };
    let y_max = band_top.max(1e-9) * 1.15;
    let rows: Vec<Vec<String>> = points
        .iter()
        .map(|p| {
            vec![
                (p.index + 1).to_string(),
                series.entries[p.index].commit_label(),
                value_text(p.value),
                p.previous.map_or_else(|| "—".to_string(), value_text),
                if p.verdict == Verdict::NotCompared { "—".to_string() } else { p.verdict.text().replace('*', "") },
            ]
        })
        .collect();
    let values = Values { header: header(&["#", "commit", "value", "previous", "verdict"]), rows };
    let better = match direction {
        Direction::Higher => "higher is better",
        Direction::Lower => "lower is better",
    };
    render("history", values, |root, hovers| -> Drawn {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("{name} — {}", series.title()), (FONT, 20))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5f64..n - 0.5, 0f64..y_max)?;
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            commits.get(i as usize).cloned().unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(series.entries.len().clamp(2, 24))
            .x_label_formatter(&label)
            .x_desc("commit (oldest first)")
            .y_desc(format!("{name} — {better}"))
            .draw()?;
        let zone = |x: f64, (lo, hi): (f64, f64), c: RGBColor| {
            Rectangle::new([(x - 0.4, lo.clamp(0.0, y_max)), (x + 0.4, hi.clamp(0.0, y_max))], c.mix(0.18).filled())
        };
        let steps: Vec<(f64, Bands)> = points
            .iter()
            .filter(|p| p.verdict != Verdict::HarnessBound)
            .filter_map(|p| p.previous.map(|b| (p.index as f64, bands(b, direction, t, y_max))))
            .collect();
        if !steps.is_empty() {
            chart
                .draw_series(steps.iter().map(|(x, b)| zone(*x, b.warn, ORANGE)))?
                .label(format!("warn band: ratio to the previous entry < {}", t.warn_below))
                .legend(legend_box(ORANGE));
            chart
                .draw_series(steps.iter().map(|(x, b)| zone(*x, b.fail, RED_)))?
                .label(format!("fail band: ratio < {} (a regression)", t.fail_below))
                .legend(legend_box(RED_));
        }
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.index as f64, p.value)), BLUE_.stroke_width(2)))?
            .label(name.to_string())
            .legend(legend_line(BLUE_));
        chart.draw_series(
            points.iter().map(|p| Circle::new((p.index as f64, p.value), 5, colour(p.verdict).filled())),
        )?;
        for p in &points {
            let versus = match p.previous {
                Some(b) if p.verdict != Verdict::NotCompared => {
                    format!(" — {} against the previous {}", p.verdict.text().replace('*', ""), value_text(b))
                }
                _ => String::new(),
            };
            let text = format!("#{} {}: {}{versus}", p.index + 1, commits[p.index], value_text(p.value));
            hovers.push(Hover { at: chart.backend_coord(&(p.index as f64, p.value)), text });
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)
    })
}

/// One figure per headline metric of `series`, each with its file name (`history-<metric>.svg`, prefixed with
/// `prefix`).
pub fn figures(series: &Series, t: Thresholds, prefix: &str) -> Result<Vec<(String, Plot)>, PlotError> {
    series
        .metric_names()
        .iter()
        .map(|name| {
            let slug: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
                .collect::<String>()
                .split('-')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("-");
            Ok((format!("{prefix}history-{slug}.svg"), metric(series, name, t)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::series::select;
    use crate::history::tests::entry;

    const T: Thresholds = Thresholds { fail_below: 0.8, warn_below: 0.9 };

    #[test]
    fn bands_follow_compares_ratios() {
        assert_eq!(bands(100.0, Direction::Higher, T, 500.0), Bands { warn: (80.0, 90.0), fail: (0.0, 80.0) });
        let Bands { warn: (w0, w1), fail: (f0, f1) } = bands(10.0, Direction::Lower, T, 500.0);
        assert!((w0 - 11.111).abs() < 1e-3 && (w1 - 12.5).abs() < 1e-9 && (f0 - 12.5).abs() < 1e-9 && f1 == 500.0);
    }

    #[test]
    fn every_entry_is_drawn_with_its_verdict() {
        let series = select(&[entry("c1", 100.0, 10.0), entry("c2", 70.0, 9.0)], None, None).unwrap();
        let plot = metric(&series, "ceiling (tx/s offered)", T).unwrap();
        let doc = roxmltree::Document::parse(&plot.svg).unwrap();
        let titles: Vec<&str> =
            doc.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).collect();
        assert_eq!(titles, ["#1 c1: 100.0", "#2 c2: 70.0 — FAIL against the previous 100.0"]);
        assert_eq!(plot.values.rows[1], ["2", "c2", "70.0", "100.0", "FAIL"]);
        assert!(plot.svg.contains("fail band: ratio &lt; 0.8") || plot.svg.contains("fail band: ratio < 0.8"));
        let names: Vec<String> = figures(&series, T, "x-").unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["x-history-ceiling-tx-s-offered.svg", "x-history-p99-latency-at-the-ceiling-ms.svg"]);
    }
}
