//! Console progress: indicatif bars on stderr (only when both stdout and stderr are terminals and `--quiet`
//! is not given), and the load bar every driver shares.

use crate::measure::{Phase, Snapshot};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::{Duration, Instant};

/// What a benchmark shows while it runs.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    /// Progress bars (on stderr).
    pub progress: bool,
    /// One-line notes on stdout (corpus size and signing time).
    pub log: bool,
}

impl Ui {
    /// Bars unless `quiet`, either stream is not a terminal, or a live view covers it; notes always.
    pub fn detect(quiet: bool) -> Self {
        use std::io::IsTerminal;
        let terminals = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        Ui { progress: !quiet && terminals && !crate::live::is_active(), log: true }
    }
}

/// A bar with `prefix` and `template`, or a hidden one when `show` is false.
pub fn progress_bar(show: bool, prefix: &'static str, template: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0).with_prefix(prefix);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A load bar of `duration` and the snapshot callback that draws it (at most every 100 ms).
pub fn load_bar(show: bool, duration: Duration) -> (ProgressBar, impl FnMut(&Snapshot)) {
    let bar = progress_bar(show, "load", "{prefix:>9} [{bar:30}] {msg}");
    bar.set_length(duration.as_millis() as u64);
    let handle = bar.clone();
    let mut last_draw: Option<Instant> = None;
    let draw = move |s: &Snapshot| {
        if last_draw.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        last_draw = Some(Instant::now());
        if s.phase == Phase::Drain {
            handle.set_prefix("drain");
        }
        handle.set_position(s.elapsed.as_millis() as u64);
        let b = s.books;
        handle.set_message(format!(
            "{:.1} s · submitted {} · committed {} · rejected {} · pending {} · lag {:.1} ms",
            s.elapsed.as_secs_f64(),
            b.submitted,
            b.committed,
            b.rejected,
            b.pending,
            s.lag.as_secs_f64() * 1e3
        ));
    };
    (bar, draw)
}
