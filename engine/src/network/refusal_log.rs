//! Logging of refusals at most once per source per interval: a hostile peer that sends a thousand bad frames or
//! dials a thousand times gets one line per interval (with how many were left out), not a thousand. Every refusal
//! is still counted where it happens; this only decides what reaches the log.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One line per source per this interval.
pub const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Most sources remembered; past it the oldest entries are forgotten (a flood of sources cannot grow it).
const MAX_SOURCES: usize = 1024;

/// When each source was last logged and how many of its refusals were left out since.
#[derive(Debug, Default)]
pub struct RefusalLog {
    seen: Mutex<HashMap<String, (Instant, u64)>>,
}

impl RefusalLog {
    /// The line to log for a refusal from `source` at `now` (`what` says why), or `None` when that source was
    /// logged less than [`LOG_INTERVAL`] ago (it is then counted as left out, and the next line says how many).
    pub fn line(&self, source: &str, what: &str, now: Instant) -> Option<String> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((last, left_out)) = seen.get_mut(source) {
            if now.saturating_duration_since(*last) < LOG_INTERVAL {
                *left_out += 1;
                return None;
            }
            let line = match *left_out {
                0 => format!("network: refused {source}: {what}"),
                n => format!("network: refused {source}: {what} ({n} more refusals from it since the last line)"),
            };
            *last = now;
            *left_out = 0;
            return Some(line);
        }
        if seen.len() >= MAX_SOURCES
            && let Some(oldest) = seen.iter().min_by_key(|(_, (t, _))| *t).map(|(k, _)| k.clone())
        {
            seen.remove(&oldest);
        }
        seen.insert(source.to_string(), (now, 0));
        Some(format!("network: refused {source}: {what}"))
    }

    /// Logs a refusal (to stderr) unless [`RefusalLog::line`] leaves it out.
    pub fn log(&self, source: &str, what: &str) {
        if let Some(line) = self.line(source, what, Instant::now()) {
            eprintln!("{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_logged_once_per_interval_and_the_next_line_counts_what_was_left_out() {
        let log = RefusalLog::default();
        let t0 = Instant::now();
        assert!(log.line("validator 3", "bad frame", t0).is_some());
        for k in 1..=999u64 {
            assert_eq!(log.line("validator 3", "bad frame", t0 + Duration::from_millis(k)), None);
        }
        assert!(log.line("10.0.0.9:5000", "handshake", t0).is_some(), "another source has its own interval");
        let later = log.line("validator 3", "bad frame", t0 + LOG_INTERVAL).expect("a new interval");
        assert!(later.contains("999 more refusals"), "{later}");
    }

    #[test]
    fn a_flood_of_sources_keeps_the_memory_bounded() {
        let log = RefusalLog::default();
        let t0 = Instant::now();
        for k in 0..5_000u64 {
            log.line(&format!("10.0.{}.{}:1", k / 250, k % 250), "handshake", t0 + Duration::from_micros(k));
        }
        assert!(log.seen.lock().expect("lock").len() <= MAX_SOURCES);
    }
}
