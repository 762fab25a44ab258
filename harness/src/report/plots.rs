//! The report's figures, drawn with plotters' SVG backend into strings.
//!
//! plotters is built without its font stack (`default-features = false`, no `ttf`): text is placed with a size
//! estimate and written as SVG `<text>` that the viewer renders with its own sans-serif font, so no system fonts
//! (and no font-kit / freetype) are needed. Every figure has a title, axis labels with units and a legend, an SVG
//! `<title>` with the exact values on each data point (shown on hover) and the same values as a table
//! ([`Plot::values`]).

use crate::report::figure::{Hover, Plot, Values, with_hovers};
use crate::report::num::{ms, short, thousands};
use crate::result::view::{CryptoCellView, CurvePointView, LatencySpectrum, StageCost, TuneRank};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A figure could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the {figure} figure: {message}")]
pub struct PlotError {
    /// Which figure.
    pub figure: &'static str,
    /// plotters' message.
    pub message: String,
}

/// What a drawing closure returns.
pub(crate) type Drawn = Result<(), Box<dyn std::error::Error>>;

const SIZE: (u32, u32) = (960, 560);
pub(crate) const FONT: &str = "sans-serif";
pub(crate) const BLUE_: RGBColor = RGBColor(31, 119, 180);
pub(crate) const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN_: RGBColor = RGBColor(44, 160, 44);
pub(crate) const RED_: RGBColor = RGBColor(214, 39, 40);
pub(crate) const GREY: RGBColor = RGBColor(127, 127, 127);
const PALETTE: [RGBColor; 6] = [BLUE_, ORANGE, GREEN_, RED_, RGBColor(148, 103, 189), RGBColor(140, 86, 75)];

/// Draws one figure: `draw` paints the chart and lists its hover points; they are added on top of the SVG.
pub(crate) fn render(
    figure: &'static str,
    values: Values,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>, &mut Vec<Hover>) -> Drawn,
) -> Result<Plot, PlotError> {
    let mut svg = String::new();
    let mut hovers = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error>)
            .and_then(|()| draw(&root, &mut hovers))
            .and_then(|()| root.present().map_err(|e| Box::new(e) as Box<dyn std::error::Error>));
        drawn.map_err(|e| PlotError { figure, message: e.to_string() })?;
    }
    Ok(Plot { svg: with_hovers(svg, &hovers), values })
}

/// Column headers from string literals.
pub(crate) fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| h.to_string()).collect()
}

/// The legend every single-axis figure uses: framed, semi-opaque, 13 px text, at `position`.
pub(crate) fn draw_legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>, position: SeriesLabelPosition) -> Drawn
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 13))
        .draw()?;
    Ok(())
}

/// A legend entry drawn as a short line.
pub(crate) fn legend_line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
}

/// A legend entry drawn as a filled box.
pub(crate) fn legend_box(color: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled())
}

/// Latency–throughput curve of a ceiling search: committed vs offered (left axis) and p99 (right axis) for
/// every probe, the SLO's p99 limit and the ceiling marked.
pub fn latency_throughput(
    title: &str,
    curve: &[CurvePointView],
    ceiling_tps: Option<f64>,
    slo_p99_ms: Option<f64>,
) -> Result<Plot, PlotError> {
    let mut points: Vec<&CurvePointView> = curve.iter().collect();
    points.sort_by(|a, b| a.offered_tps.total_cmp(&b.offered_tps));
    let row = |p: &CurvePointView| {
        vec![
            p.phase.clone(),
            thousands(p.offered_tps),
            thousands(p.committed_tps),
            ms(p.latency.p50_us),
            ms(p.latency.p99_us),
            if p.pass { "pass" } else { "fail" }.to_string(),
        ]
    };
    let hover_text = |p: &CurvePointView| {
        format!(
            "{} probe: offered {} tx/s, committed {} tx/s, p50 {} ms, p99 {} ms, {}",
            p.phase,
            thousands(p.offered_tps),
            thousands(p.committed_tps),
            ms(p.latency.p50_us),
            ms(p.latency.p99_us),
            if p.pass { "met the SLO" } else { "failed the SLO" }
        )
    };
    let values = Values {
        header: header(&["phase", "offered (tx/s)", "committed (tx/s)", "p50 (ms)", "p99 (ms)", "SLO"]),
        rows: points.iter().map(|p| row(p)).collect(),
    };
    let x_max = points.iter().map(|p| p.offered_tps.max(p.committed_tps)).fold(1.0, f64::max) * 1.08;
    let p99_max =
        points.iter().map(|p| p.latency.p99_us / 1e3).fold(slo_p99_ms.unwrap_or(1.0), f64::max).max(1.0) * 1.15;
    render("latency–throughput", values, |root, hovers| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .right_y_label_area_size(72)
            .build_cartesian_2d(0f64..x_max, 0f64..x_max)?
            .set_secondary_coord(0f64..x_max, 0f64..p99_max);
        chart
            .configure_mesh()
            .x_desc("offered load (tx/s)")
            .y_desc("committed throughput (tx/s)")
            .x_label_formatter(&|x| short(*x))
            .y_label_formatter(&|y| short(*y))
            .draw()?;
        chart.configure_secondary_axes().y_desc("p99 latency (ms)").draw()?;
        chart
            .draw_series(DashedLineSeries::new(vec![(0.0, 0.0), (x_max, x_max)], 6, 4, GREY.stroke_width(1)))?
            .label("committed = offered")
            .legend(legend_line(GREY));
        // Lines join the search probes in rate order; confirmation runs (repeats at one rate) are markers only.
        let search: Vec<&&CurvePointView> = points.iter().filter(|p| p.phase != "confirm").collect();
        let confirms: Vec<&&CurvePointView> = points.iter().filter(|p| p.phase == "confirm").collect();
        chart
            .draw_series(LineSeries::new(
                search.iter().map(|p| (p.offered_tps, p.committed_tps)),
                BLUE_.stroke_width(2),
            ))?
            .label("committed (tx/s, left axis): search probes")
            .legend(legend_line(BLUE_));
        chart.draw_series(
            search.iter().filter(|p| p.pass).map(|p| Circle::new((p.offered_tps, p.committed_tps), 4, BLUE_.filled())),
        )?;
        if !confirms.is_empty() {
            chart
                .draw_series(
                    confirms.iter().map(|p| Circle::new((p.offered_tps, p.committed_tps), 6, BLUE_.stroke_width(2))),
                )?
                .label("confirmation runs (committed tx/s)")
                .legend(|(x, y)| Circle::new((x + 10, y), 5, BLUE_.stroke_width(2)));
        }
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| !p.pass)
                    .map(|p| Cross::new((p.offered_tps, p.committed_tps), 6, RED_.stroke_width(2))),
            )?
            .label("run that failed the SLO")
            .legend(|(x, y)| Cross::new((x + 10, y), 5, RED_.stroke_width(2)));
        chart
            .draw_secondary_series(LineSeries::new(
                search.iter().map(|p| (p.offered_tps, p.latency.p99_us / 1e3)),
                ORANGE.stroke_width(2),
            ))?
            .label("p99 latency (ms, right axis)")
            .legend(legend_line(ORANGE));
        chart.draw_secondary_series(
            points.iter().map(|p| TriangleMarker::new((p.offered_tps, p.latency.p99_us / 1e3), 5, ORANGE.filled())),
        )?;
        if let Some(slo) = slo_p99_ms {
            chart
                .draw_secondary_series(DashedLineSeries::new(
                    vec![(0.0, slo), (x_max, slo)],
                    8,
                    5,
                    RED_.stroke_width(1),
                ))?
                .label(format!("SLO: p99 ≤ {} ms (right axis)", thousands(slo)))
                .legend(legend_line(RED_));
        }
        for p in &points {
            let text = hover_text(p);
            hovers.push(Hover { at: chart.backend_coord(&(p.offered_tps, p.committed_tps)), text: text.clone() });
            let p99 = (p.offered_tps, p.latency.p99_us / 1e3);
            hovers.push(Hover { at: chart.borrow_secondary().backend_coord(&p99), text });
        }
        if let Some(c) = ceiling_tps {
            chart
                .draw_series(DashedLineSeries::new(vec![(c, 0.0), (c, x_max)], 8, 5, GREEN_.stroke_width(2)))?
                .label(format!("ceiling {} tx/s", thousands(c)))
                .legend(legend_line(GREEN_));
            chart.draw_series(std::iter::once(Text::new(
                format!("ceiling {} tx/s", thousands(c)),
                (c, x_max * 0.95),
                (FONT, 15).into_font().color(&GREEN_),
            )))?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// Per-stage busy % (bars; the bottleneck in red), with each stage's cost per transaction written on its bar,
/// and the synthetic committee in grey beside them.
pub fn stage_busy(
    title: &str,
    stages: &[StageCost],
    bottleneck: &str,
    committee_busy_pct: Option<f64>,
) -> Result<Plot, PlotError> {
    let mut names: Vec<String> = stages.iter().map(|s| s.name.clone()).collect();
    let mut busy: Vec<f64> = stages.iter().map(|s| s.busy_pct).collect();
    if let Some(c) = committee_busy_pct {
        names.push("committee (synthetic)".to_string());
        busy.push(c);
    }
    let n = names.len();
    let y_max = busy.iter().copied().fold(100.0, f64::max);
    let mut rows: Vec<Vec<String>> = stages
        .iter()
        .map(|s| {
            let role = if s.name == bottleneck { "bottleneck" } else { "stage" };
            vec![
                s.name.clone(),
                role.to_string(),
                format!("{:.1}", s.busy_pct),
                format!("{:.2}", s.cost_ns_per_tx / 1e3),
            ]
        })
        .collect();
    if let Some(c) = committee_busy_pct {
        rows.push(vec!["committee (synthetic)".into(), "not the node's".into(), format!("{c:.1}"), "—".into()]);
    }
    let values = Values { header: header(&["stage", "role", "busy (%)", "cost (µs/tx)"]), rows };
    let hover_texts: Vec<String> = values
        .rows
        .iter()
        .map(|r| match r[3].as_str() {
            "—" => format!("{}: busy {} % ({})", r[0], r[2], r[1]),
            cost => format!("{} ({}): busy {} %, {cost} µs/tx", r[0], r[1], r[2]),
        })
        .collect();
    render("stage busy", values, |root, hovers| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d((0..(n as i32 - 1).max(0)).into_segmented(), 0f64..y_max * 1.08)?;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                usize::try_from(*i).ok().and_then(|i| names.get(i)).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&label)
            .x_desc("pipeline stage")
            .y_desc("busy (% of its cores)")
            .draw()?;
        let kinds = [
            ("stage", BLUE_, false, false),
            ("bottleneck stage", RED_, true, false),
            ("synthetic committee (not the node's cost)", GREY, false, true),
        ];
        for (legend, color, is_bottleneck, is_committee) in kinds {
            let data: Vec<(i32, f64)> = (0..n)
                .filter(|&i| {
                    let committee = i >= stages.len();
                    committee == is_committee && (committee || (stages[i].name == bottleneck) == is_bottleneck)
                })
                .map(|i| (i as i32, busy[i]))
                .collect();
            if data.is_empty() {
                continue;
            }
            chart
                .draw_series(Histogram::vertical(&chart).style(color.filled()).margin(18).data(data))?
                .label(legend)
                .legend(legend_box(color));
        }
        chart.draw_series(stages.iter().enumerate().map(|(i, s)| {
            Text::new(
                format!("{:.1} % · {:.1} µs/tx", s.busy_pct, s.cost_ns_per_tx / 1e3),
                (SegmentValue::CenterOf(i as i32), s.busy_pct + y_max * 0.03),
                TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )
        }))?;
        for (i, text) in hover_texts.iter().enumerate() {
            let at = chart.backend_coord(&(SegmentValue::CenterOf(i as i32), busy[i]));
            hovers.push(Hover { at, text: text.clone() });
        }
        if let Some(c) = committee_busy_pct {
            chart.draw_series(std::iter::once(Text::new(
                format!("{c:.1} %"),
                (SegmentValue::CenterOf(stages.len() as i32), c + y_max * 0.03),
                TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Latency percentile spectrum (p50 … max, ms), corrected and, when recorded, uncorrected, with the SLO line.
pub fn latency_spectrum(title: &str, spectrum: &LatencySpectrum, slo_p99_ms: Option<f64>) -> Result<Plot, PlotError> {
    let corrected = spectrum.corrected.points();
    let uncorrected = spectrum.uncorrected.as_ref().map(|u| u.points());
    let rows: Vec<Vec<String>> = corrected
        .iter()
        .enumerate()
        .map(|(i, (label, us))| {
            let unc = uncorrected.as_ref().and_then(|u| u.get(i)).map_or_else(|| "—".to_string(), |(_, v)| ms(*v));
            vec![label.to_string(), ms(*us), unc]
        })
        .collect();
    let values = Values { header: header(&["percentile", "corrected (ms)", "uncorrected (ms)"]), rows };
    let labels: Vec<&str> = corrected.iter().map(|(l, _)| *l).collect();
    let mut y_max = corrected.iter().map(|(_, us)| us / 1e3).fold(slo_p99_ms.unwrap_or(0.0), f64::max);
    if let Some(u) = &spectrum.uncorrected {
        y_max = u.points().iter().map(|(_, us)| us / 1e3).fold(y_max, f64::max);
    }
    let y_max = y_max.max(1.0) * 1.12;
    let n = labels.len() as i32;
    render("latency spectrum", values, |root, hovers| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d((0..(n - 1).max(0)).into_segmented(), 0f64..y_max)?;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                usize::try_from(*i).ok().and_then(|i| labels.get(i)).map(|s| s.to_string()).unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .x_labels(labels.len() + 1)
            .x_label_formatter(&label)
            .x_desc("percentile")
            .y_desc("commit latency (ms)")
            .draw()?;
        let at = |i: usize, us: f64| (SegmentValue::CenterOf(i as i32), us / 1e3);
        chart
            .draw_series(LineSeries::new(
                corrected.iter().enumerate().map(|(i, (_, us))| at(i, *us)),
                BLUE_.stroke_width(2),
            ))?
            .label("corrected: from intended send time")
            .legend(legend_line(BLUE_));
        chart
            .draw_series(corrected.iter().enumerate().map(|(i, (_, us))| Circle::new(at(i, *us), 4, BLUE_.filled())))?;
        chart.draw_series(corrected.iter().enumerate().map(|(i, (_, us))| {
            Text::new(
                format!("{:.1}", us / 1e3),
                (SegmentValue::CenterOf(i as i32), us / 1e3 + y_max * 0.02),
                TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )
        }))?;
        for (i, (label, us)) in corrected.iter().enumerate() {
            let text = format!("{label}: {} ms (corrected)", ms(*us));
            hovers.push(Hover { at: chart.backend_coord(&at(i, *us)), text });
        }
        if let Some(u) = &spectrum.uncorrected {
            let pts = u.points();
            for (i, (label, us)) in pts.iter().enumerate() {
                let text = format!("{label}: {} ms (uncorrected)", ms(*us));
                hovers.push(Hover { at: chart.backend_coord(&at(i, *us)), text });
            }
            chart
                .draw_series(DashedLineSeries::new(
                    pts.iter().enumerate().map(|(i, (_, us))| at(i, *us)).collect::<Vec<_>>(),
                    6,
                    4,
                    GREY.stroke_width(2),
                ))?
                .label("uncorrected: from acceptance (closed-loop view)")
                .legend(legend_line(GREY));
        }
        if let Some(slo) = slo_p99_ms {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![
                        (SegmentValue::Exact(0), slo),
                        (SegmentValue::Exact(n - 1), slo),
                        (SegmentValue::CenterOf(n - 1), slo),
                    ],
                    8,
                    5,
                    RED_.stroke_width(1),
                ))?
                .label(format!("SLO: p99 ≤ {} ms", thousands(slo)))
                .legend(legend_line(RED_));
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// Items/s by batch size (log axis) per backend for one crypto operation, with the CPU/GPU crossover marked.
pub fn crypto_scaling(title: &str, cells: &[CryptoCellView], crossover: Option<u64>) -> Result<Plot, PlotError> {
    let measured: Vec<&CryptoCellView> = cells.iter().filter(|c| c.items_per_s.is_some()).collect();
    let mut backends: Vec<&str> = Vec::new();
    for c in &measured {
        if !backends.contains(&c.backend.as_str()) {
            backends.push(&c.backend);
        }
    }
    let b_min = measured.iter().map(|c| c.batch.max(1) as f64).fold(f64::INFINITY, f64::min);
    let b_max = measured.iter().map(|c| c.batch.max(1) as f64).fold(1.0, f64::max);
    let (b_min, b_max) = if b_min.is_finite() && b_min < b_max { (b_min, b_max) } else { (1.0, b_max.max(1.0) * 4.0) };
    let y_max = measured.iter().filter_map(|c| c.items_per_s).fold(1.0, f64::max) * 1.12;
    let cv = |c: &CryptoCellView| c.cv.map_or_else(|| "—".to_string(), |v| format!("{:.1} %", v * 100.0));
    let rows: Vec<Vec<String>> = measured
        .iter()
        .map(|c| vec![c.backend.clone(), thousands(c.batch as f64), thousands(c.items_per_s.unwrap_or(0.0)), cv(c)])
        .collect();
    let values = Values { header: header(&["backend", "batch", "items/s", "CV"]), rows };
    render("crypto scaling", values, |root, hovers| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d((b_min / 1.5..b_max * 1.5).log_scale(), 0f64..y_max)?;
        chart
            .configure_mesh()
            .x_desc("batch size (items per call, log scale)")
            .y_desc("throughput (items/s)")
            .x_label_formatter(&|x| short(*x))
            .y_label_formatter(&|y| short(*y))
            .draw()?;
        for (k, backend) in backends.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let mut pts: Vec<(f64, f64)> = measured
                .iter()
                .filter(|c| c.backend == *backend)
                .filter_map(|c| c.items_per_s.map(|r| (c.batch.max(1) as f64, r)))
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            for p in &pts {
                let text = format!("{backend}, batch {}: {} items/s", thousands(p.0), thousands(p.1));
                hovers.push(Hover { at: chart.backend_coord(p), text });
            }
            chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
            chart.draw_series(LineSeries::new(pts, color.stroke_width(2)))?.label(*backend).legend(legend_line(color));
        }
        if let Some(b) = crossover {
            let x = b.max(1) as f64;
            chart
                .draw_series(DashedLineSeries::new(vec![(x, 0.0), (x, y_max)], 8, 5, BLACK.stroke_width(1)))?
                .label(format!("crossover: gpu ≥ best CPU from batch {}", thousands(x)))
                .legend(legend_line(BLACK));
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// The columns of a tune ranking's table (the report's and the figure's value table).
pub const TUNE_COLUMNS: [&str; 3] = ["configuration", "ceiling (tx/s)", "bottleneck"];

/// One configuration of a tune ranking as a table row under [`TUNE_COLUMNS`].
pub fn tune_row(r: &TuneRank) -> Vec<String> {
    vec![
        format!("{}{}", r.label, if r.is_default { " (as given)" } else { "" }),
        r.ceiling_tps.map_or_else(|| "none".to_string(), thousands),
        if r.bottleneck.is_empty() { "—".to_string() } else { r.bottleneck.clone() },
    ]
}

/// A tune result's ranking: ceiling per configuration, best on top, each bar labelled with its bottleneck.
pub fn tune_ranking(title: &str, ranking: &[TuneRank]) -> Result<Plot, PlotError> {
    let mut ranks: Vec<&TuneRank> = ranking.iter().collect();
    ranks.sort_by(|a, b| b.ceiling_tps.unwrap_or(0.0).total_cmp(&a.ceiling_tps.unwrap_or(0.0)));
    let n = ranks.len() as i32;
    let x_max = ranks.iter().filter_map(|r| r.ceiling_tps).fold(1.0, f64::max) * 1.3;
    let longest = ranks.iter().map(|r| r.label.chars().count()).max().unwrap_or(8) as u32;
    let rows: Vec<Vec<String>> = ranks.iter().map(|r| tune_row(r)).collect();
    let values = Values { header: header(&TUNE_COLUMNS), rows };
    let hover_texts: Vec<String> =
        values.rows.iter().map(|r| format!("{}: ceiling {} tx/s, bottleneck {}", r[0], r[1], r[2])).collect();
    render("tune ranking", values, |root, hovers| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size((longest * 8 + 16).clamp(80, 360))
            .build_cartesian_2d(0f64..x_max, (-1..(n - 1).max(0)).into_segmented())?;
        // Row 0 is drawn at the bottom: the best configuration goes in the top row. Row −1 stays empty for the
        // legend, so it never covers a bar.
        let row = |i: usize| n - 1 - i as i32;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(y) | SegmentValue::Exact(y) => {
                usize::try_from(n - 1 - *y).ok().and_then(|i| ranks.get(i)).map(|r| r.label.clone()).unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(ranks.len() + 2)
            .y_label_formatter(&label)
            .x_label_formatter(&|x| short(*x))
            .x_desc("ceiling (tx/s offered within the SLO)")
            .y_desc("configuration")
            .draw()?;
        for (legend, color, given) in [("candidate", BLUE_, false), ("configuration as given", ORANGE, true)] {
            let data: Vec<(i32, f64)> = ranks
                .iter()
                .enumerate()
                .filter(|(_, r)| r.is_default == given)
                .map(|(i, r)| (row(i), r.ceiling_tps.unwrap_or(0.0)))
                .collect();
            if data.is_empty() {
                continue;
            }
            chart
                .draw_series(Histogram::horizontal(&chart).style(color.filled()).margin(10).data(data))?
                .label(format!("{legend}: ceiling (bottleneck stage beside the bar)"))
                .legend(legend_box(color));
        }
        for (i, r) in ranks.iter().enumerate() {
            let at = chart.backend_coord(&(r.ceiling_tps.unwrap_or(0.0), SegmentValue::CenterOf(row(i))));
            hovers.push(Hover { at, text: hover_texts[i].clone() });
        }
        chart.draw_series(ranks.iter().enumerate().map(|(i, r)| {
            let text = match r.ceiling_tps {
                Some(c) => {
                    format!("{} tx/s · {}", thousands(c), if r.bottleneck.is_empty() { "n/a" } else { &r.bottleneck })
                }
                None => "no ceiling found".to_string(),
            };
            Text::new(
                text,
                (r.ceiling_tps.unwrap_or(0.0) + x_max * 0.01, SegmentValue::CenterOf(row(i))),
                TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
            )
        }))?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::view::Percentiles;

    fn valid(plot: Result<Plot, PlotError>) -> String {
        let plot = plot.unwrap();
        let doc = roxmltree::Document::parse(&plot.svg).unwrap();
        // Every drawn point or bar has a hover title, and a row in the values table.
        let titles = doc.descendants().filter(|n| n.has_tag_name("title")).count();
        assert!(titles >= plot.values.rows.len(), "{titles} titles for {} rows", plot.values.rows.len());
        assert!(plot.values.rows.iter().all(|r| r.len() == plot.values.header.len()));
        plot.svg
    }

    /// Degenerate inputs (one point, zeros, no ceiling, one backend, an empty ranking) still draw valid SVG.
    #[test]
    fn degenerate_inputs_draw() {
        let zero = Percentiles { p50_us: 0.0, p90_us: 0.0, p99_us: 0.0, p999_us: 0.0, max_us: 0.0 };
        let point = CurvePointView {
            phase: "double".into(),
            rate_tps: 0.0,
            pass: false,
            offered_tps: 0.0,
            committed_tps: 0.0,
            latency: zero,
        };
        let svg = valid(latency_throughput("t", &[point], None, None));
        assert!(svg.contains("offered load (tx/s)"));
        let stage = StageCost { name: "sigverify".into(), cores: vec![], busy_pct: 0.0, cost_ns_per_tx: 0.0 };
        valid(stage_busy("t", &[stage], "sigverify", None));
        let spectrum = LatencySpectrum { corrected: zero, uncorrected: None, origin: "x".into() };
        valid(latency_spectrum("t", &spectrum, Some(500.0)));
        let cell = CryptoCellView {
            op: "x".into(),
            backend: "cpu".into(),
            batch: 1,
            items_per_s: Some(0.0),
            cv: None,
            gpu_phases_us: None,
        };
        valid(crypto_scaling("t", &[cell], Some(1)));
        let rank = TuneRank { label: "a".into(), ceiling_tps: None, bottleneck: String::new(), is_default: true };
        assert!(valid(tune_ranking("t", &[rank])).contains("no ceiling found"));
        valid(tune_ranking("t", &[]));
    }
}
