//! Drawing one refresh of the live view with ratatui: a header (command, current probe, elapsed, how to quit),
//! the run's figures of the last second, the stage table (busy %, queue depth, back-pressure stalls, items in)
//! and the newest lines the command printed (ceiling probes, tune candidates).

use super::figures::{Figures, StageRow};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table};

/// What the view shows besides the figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// The command (`ceiling`, `tune`, `run --mode node`).
    pub command: String,
    /// What it is doing now (the current probe of a ceiling search, the tune candidate).
    pub doing: Vec<String>,
    /// Lines the command printed, oldest first.
    pub log: Vec<String>,
}

/// Width of the busy-% bar, in cells.
const BAR: usize = 20;

/// `pct` as a bar of [`BAR`] cells.
fn bar(pct: f64) -> String {
    let full = ((pct.clamp(0.0, 100.0) / 100.0) * BAR as f64).round() as usize;
    format!("{}{}", "█".repeat(full), "·".repeat(BAR - full))
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_string(), |v| v.to_string())
}

fn stage_row(s: &StageRow) -> Row<'static> {
    let busy = s.busy_pct.map_or_else(|| "—".to_string(), |b| format!("{b:5.1} %"));
    let style = if s.stalls.is_some_and(|n| n > 0) { Style::new().fg(Color::Yellow) } else { Style::new() };
    Row::new(vec![
        s.name.clone(),
        busy,
        s.busy_pct.map_or_else(String::new, bar),
        format!("{} (max {})", s.queue_depth, opt(s.queue_depth_max)),
        opt(s.stalls),
        opt(s.items_in),
    ])
    .style(style)
}

/// Draws `figures` (`None` before the first refresh) and `context` on `frame`.
pub fn draw(frame: &mut Frame<'_>, figures: Option<&Figures>, context: &Context) {
    let stages = figures.map_or(0, |f| f.stages.len()) as u16;
    let doing: Vec<&String> = context.doing.iter().filter(|d| !d.is_empty()).collect();
    let [head, numbers, table, log] = Layout::vertical([
        Constraint::Length(2 + doing.len().max(1) as u16),
        Constraint::Length(3),
        Constraint::Length(stages + 3),
        Constraint::Min(3),
    ])
    .areas(frame.area());

    let elapsed = figures.map_or_else(String::new, |f| {
        format!(" · {:.0} s into the run{}", f.elapsed_s, if f.draining { " (draining)" } else { "" })
    });
    let mut lines = vec![Line::styled(
        format!("hsbench {} — live{elapsed} · q or Ctrl-C quits", context.command),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    if doing.is_empty() {
        lines.push(Line::raw("starting…"));
    }
    lines.extend(doing.iter().map(|d| Line::raw(d.to_string())));
    frame.render_widget(Paragraph::new(lines), head);

    let text = match figures {
        Some(f) => format!(
            "committed {:.0} tx/s · p99 {:.1} ms (last second) · generator lag {:.1} ms · submitted {} · pending {}",
            f.committed_tps, f.p99_ms, f.lag_ms, f.submitted, f.pending
        ),
        None => "waiting for the first second of the run…".to_string(),
    };
    frame.render_widget(Paragraph::new(text).block(Block::bordered().title(" last second ")), numbers);

    let rows: Vec<Row<'static>> = figures.map(|f| f.stages.iter().map(stage_row).collect()).unwrap_or_default();
    let widths = [
        Constraint::Length(14),
        Constraint::Length(8),
        Constraint::Length(BAR as u16 + 1),
        Constraint::Length(16),
        Constraint::Length(8),
        Constraint::Length(10),
    ];
    let header = Row::new(["stage", "busy", "", "queue (batches)", "stalls", "items in"])
        .style(Style::new().add_modifier(Modifier::BOLD));
    let title = " stages — last second (yellow: back-pressure) ";
    frame.render_widget(Table::new(rows, widths).header(header).block(Block::bordered().title(title)), table);

    let room = log.height.saturating_sub(2) as usize;
    let tail: Vec<Line<'static>> =
        context.log.iter().skip(context.log.len().saturating_sub(room)).map(|l| Line::raw(l.clone())).collect();
    frame.render_widget(Paragraph::new(tail).block(Block::bordered().title(" output ")), log);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(figures: Option<&Figures>, context: &Context) -> String {
        let mut terminal = Terminal::new(TestBackend::new(110, 24)).unwrap();
        terminal.draw(|f| draw(f, figures, context)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                out.push_str(buffer[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn the_stage_table_and_figures_are_drawn() {
        let figures = Figures {
            draining: false,
            elapsed_s: 7.0,
            committed_tps: 4980.0,
            p99_ms: 212.5,
            lag_ms: 0.4,
            submitted: 35_000,
            pending: 900,
            stages: vec![
                StageRow {
                    name: "sigverify".into(),
                    busy_pct: Some(50.0),
                    queue_depth: 3,
                    queue_depth_max: Some(9),
                    stalls: Some(12),
                    items_in: Some(5000),
                },
                StageRow {
                    name: "storage".into(),
                    busy_pct: None,
                    queue_depth: 0,
                    queue_depth_max: None,
                    stalls: None,
                    items_in: None,
                },
            ],
        };
        let context = Context {
            command: "ceiling".into(),
            doing: vec![String::new(), "probe: bisect at 12,000 tx/s".into()],
            log: vec!["  double  8,000  pass".into()],
        };
        let text = screen(Some(&figures), &context);
        for needle in [
            "hsbench ceiling — live · 7 s into the run · q or Ctrl-C quits",
            "probe: bisect at 12,000 tx/s",
            "committed 4980 tx/s · p99 212.5 ms (last second) · generator lag 0.4 ms",
            "sigverify",
            " 50.0 %",
            "██████████··········",
            "3 (max 9)",
            "double  8,000  pass",
        ] {
            assert!(text.contains(needle), "{needle:?} not on screen:\n{text}");
        }
        assert!(screen(None, &Context::default()).contains("waiting for the first second"));
    }
}
