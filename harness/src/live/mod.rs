//! `--live`: a terminal view of a node-mode run while it runs (ratatui + crossterm) — per-stage busy %, queue
//! depth and back-pressure stalls, committed tx/s and p99 of the last second, the generator's lag, and what the
//! command is doing (the current probe of a ceiling search, the tune candidate) — refreshed once a second from
//! the pipeline's one-second series ([`figures`]). It replaces the progress bar while it runs.
//!
//! The terminal is one per process, so the view is too: [`Session::start`] takes it over (raw mode, alternate
//! screen) from a thread of its own, which redraws and reads keys; dropping the session gives it back and prints
//! the lines the command sent through [`println`] while the view covered the screen (the probe rows of a ceiling
//! search), so they stay in the scrollback. `q` or Ctrl-C restores the terminal and ends the process (exit code
//! 130, no result written). When stdout or stdin is not a terminal there is no view: the command says so and
//! keeps its progress bar.

pub mod figures;
pub mod view;

use crate::measure::Snapshot;
use figures::Figures;
use hsbench_engine::runtime::pipeline::PipelineSnapshot;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use view::Context;

/// How often the view redraws.
pub const REFRESH: Duration = Duration::from_secs(1);

/// Exit code when the user quits from the view.
pub const EXIT_QUIT: i32 = 130;

/// Lines kept for the view's output pane and the scrollback after it.
const LOG_LINES: usize = 2000;

/// What the drawing thread reads.
#[derive(Debug, Default)]
struct Shared {
    figures: Option<Figures>,
    context: Context,
    /// When the figures were last taken (they are taken at most once per [`REFRESH`]).
    taken: Option<Instant>,
}

static ACTIVE: Mutex<Option<Arc<Mutex<Shared>>>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn shared() -> Option<Arc<Mutex<Shared>>> {
    lock(&ACTIVE).clone()
}

/// Whether a live view covers the terminal now (progress bars stay off then).
pub fn is_active() -> bool {
    lock(&ACTIVE).is_some()
}

/// The live view of one command; dropping it gives the terminal back.
pub struct Session {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    shared: Arc<Mutex<Shared>>,
}

impl Session {
    /// Takes over the terminal for `command`'s live view; `None` (after saying why on stderr) when stdout or
    /// stdin is not a terminal, or the terminal refuses raw mode — the command then shows its progress bar.
    pub fn start(command: &str) -> Option<Session> {
        if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
            eprintln!("--live: stdout is not a terminal; showing the progress bar instead");
            return None;
        }
        let shared = Arc::new(Mutex::new(Shared {
            context: Context { command: command.into(), ..Context::default() },
            ..Shared::default()
        }));
        let mut terminal = match ratatui::try_init() {
            Ok(t) => t,
            Err(e) => {
                ratatui::restore();
                eprintln!("--live: cannot take over the terminal ({e}); showing the progress bar instead");
                return None;
            }
        };
        *lock(&ACTIVE) = Some(shared.clone());
        tracing::info!(command, "live view started");
        let stop = Arc::new(AtomicBool::new(false));
        let (stop_flag, state) = (stop.clone(), shared.clone());
        let thread = std::thread::Builder::new().name("live-view".into()).spawn(move || {
            let mut last_draw: Option<Instant> = None;
            while !stop_flag.load(Ordering::Relaxed) {
                if last_draw.is_none_or(|t| t.elapsed() >= REFRESH) {
                    last_draw = Some(Instant::now());
                    let (figures, context) = {
                        let s = lock(&state);
                        (s.figures.clone(), s.context.clone())
                    };
                    // Clear first: anything printed straight to stdout meanwhile must not linger on screen.
                    let drawn = terminal
                        .clear()
                        .and_then(|()| terminal.draw(|f| view::draw(f, figures.as_ref(), &context)).map(|_| ()));
                    if let Err(e) = drawn {
                        tracing::warn!(error = %e, "live view: cannot draw");
                    }
                }
                if let Ok(true) = event::poll(Duration::from_millis(100))
                    && let Ok(Event::Key(key)) = event::read()
                    && key.kind == KeyEventKind::Press
                    && (key.code == KeyCode::Char('q')
                        || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)))
                {
                    ratatui::restore();
                    for line in std::mem::take(&mut lock(&state).context.log) {
                        println!("{line}");
                    }
                    tracing::info!("live view: quit by the user; no result written");
                    eprintln!("hsbench: stopped from the live view; no result written");
                    std::process::exit(EXIT_QUIT);
                }
            }
            ratatui::restore();
        });
        match thread {
            Ok(thread) => Some(Session { stop, thread: Some(thread), shared }),
            Err(e) => {
                ratatui::restore();
                *lock(&ACTIVE) = None;
                eprintln!("--live: cannot start the view's thread ({e}); showing the progress bar instead");
                None
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        *lock(&ACTIVE) = None;
        // The lines the view covered, into the scrollback.
        for line in std::mem::take(&mut lock(&self.shared).context.log) {
            println!("{line}");
        }
    }
}

/// Prints `line` on stdout, or, while a live view covers the terminal, shows it in the view and prints it when
/// the view closes.
pub fn println(line: String) {
    match shared() {
        Some(s) => {
            let log = &mut lock(&s).context.log;
            log.push(line);
            if log.len() > LOG_LINES {
                log.remove(0);
            }
        }
        None => println!("{line}"),
    }
}

/// Says what the command is doing now at `level` (0: the outer step, like a tune candidate; 1: the inner one,
/// like the probe of the search): deeper levels are cleared when an outer one changes, and a level of its own
/// replaces the previous text. Nothing without a view.
pub fn doing(level: usize, text: String) {
    if let Some(s) = shared() {
        let mut state = lock(&s);
        set_doing(&mut state.context.doing, level, text);
        // A new step measures afresh: the previous step's last second is not this one's.
        state.figures = None;
        state.taken = None;
    }
}

fn set_doing(doing: &mut Vec<String>, level: usize, text: String) {
    doing.resize(level, String::new());
    doing.push(text);
}

/// Feeds the view from a run's progress callback: at most once per [`REFRESH`] it takes the pipeline's
/// snapshot (`pipeline`, only then) and the figures of `s`. Nothing without a view.
pub fn observe(s: &Snapshot, pipeline: impl FnOnce() -> PipelineSnapshot) {
    let Some(shared) = shared() else { return };
    let mut state = lock(&shared);
    if state.taken.is_some_and(|t| t.elapsed() < REFRESH) {
        return;
    }
    state.taken = Some(Instant::now());
    state.figures = Some(Figures::of(s, &pipeline()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outer_step_clears_the_inner_one_and_a_level_replaces_itself() {
        let mut doing = Vec::new();
        set_doing(&mut doing, 1, "probe a".into());
        set_doing(&mut doing, 1, "probe b".into());
        assert_eq!(doing, ["", "probe b"]);
        set_doing(&mut doing, 0, "candidate 2".into());
        assert_eq!(doing, ["candidate 2"]);
        set_doing(&mut doing, 1, "probe c".into());
        assert_eq!(doing, ["candidate 2", "probe c"]);
    }

    #[test]
    fn without_a_view_nothing_is_kept() {
        assert!(!is_active());
        doing(0, "x".into());
        assert!(shared().is_none());
    }
}
