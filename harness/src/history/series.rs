//! One series of the history — the entries of one machine class, configuration hash and kind, in the order they
//! were added (the commit order when `history add` runs after each merge) — and how each step is judged: like
//! `hsbench compare` of the previous entry (base) with this one (new), with the same thresholds.

use super::{Entry, HistoryError};
use crate::compare::{self, Direction, Thresholds, Verdict};
use crate::report::markdown::table;
use crate::report::num::thousands;

/// The entries of one machine class, configuration hash and kind, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Machine class.
    pub machine: String,
    /// Configuration hash.
    pub config_hash: String,
    /// Kind (and mode).
    pub label: String,
    /// The entries, in file order.
    pub entries: Vec<Entry>,
}

/// One point of a metric's series: the entry's index and value, and the previous point it is judged against.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Index of the entry in [`Series::entries`].
    pub index: usize,
    /// The value.
    pub value: f64,
    /// The value of the previous entry that has this metric, if any.
    pub previous: Option<f64>,
    /// The verdict against `previous` (`NotCompared` for the first point).
    pub verdict: Verdict,
}

impl Series {
    /// `ceiling on 2 × AMD EPYC, config 0123456789abcdef`.
    pub fn title(&self) -> String {
        let hash: String = self.config_hash.chars().take(16).collect();
        format!("{} on {}, config {hash}", self.label, self.machine)
    }

    /// The metric names of the series, in order of first appearance.
    pub fn metric_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for m in self.entries.iter().flat_map(|e| &e.metrics) {
            if !names.contains(&m.name) {
                names.push(m.name.clone());
            }
        }
        names
    }

    /// The points of metric `name` and its direction, each judged against the one before it under `t`; an entry
    /// (or its predecessor) that is harness-bound gets [`Verdict::HarnessBound`], as in `compare`.
    pub fn points(&self, name: &str, t: Thresholds) -> (Vec<Point>, Direction) {
        let mut points: Vec<Point> = Vec::new();
        let mut direction = Direction::Higher;
        let mut previous: Option<(f64, bool)> = None;
        for (index, e) in self.entries.iter().enumerate() {
            let Some(m) = e.metrics.iter().find(|m| m.name == name) else { continue };
            direction = m.direction;
            let bound = e.harness_bound.is_some();
            let verdict = match previous {
                None => Verdict::NotCompared,
                Some((_, prev_bound)) if prev_bound || bound => Verdict::HarnessBound,
                Some((base, _)) => compare::judge(compare::ratio(base, m.value, m.direction), t),
            };
            points.push(Point { index, value: m.value, previous: previous.map(|p| p.0), verdict });
            previous = Some((m.value, bound));
        }
        (points, direction)
    }

    /// The Markdown table of the series: one row per entry (commit, result file), one column per metric with
    /// its value and the verdict against the previous entry.
    pub fn table(&self, t: Thresholds) -> String {
        let names = self.metric_names();
        let mut header = vec!["#".to_string(), "commit".to_string(), "result".to_string()];
        header.extend(names.iter().cloned());
        let mut rows: Vec<Vec<String>> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut row = vec![(i + 1).to_string(), format!("`{}`", e.commit_label()), format!("`{}`", e.file)];
                row.resize(3 + names.len(), "—".to_string());
                row
            })
            .collect();
        for (col, name) in names.iter().enumerate() {
            for p in self.points(name, t).0 {
                let verdict = match p.verdict {
                    Verdict::NotCompared => String::new(),
                    v => format!(" ({})", v.text()),
                };
                rows[p.index][3 + col] = format!("{}{verdict}", value_text(p.value));
            }
        }
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        table(&header, &rows)
    }
}

/// A metric value as tables show it: thousands separators for large figures, one decimal for small ones.
pub fn value_text(v: f64) -> String {
    if v.abs() >= 1000.0 { thousands(v) } else { format!("{v:.1}") }
}

/// The series of `entries`, one per machine class × configuration hash × kind, in order of first appearance.
pub fn groups(entries: &[Entry]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for e in entries {
        let label = e.label();
        match out.iter_mut().find(|s| s.machine == e.machine && s.config_hash == e.config_hash && s.label == label) {
            Some(s) => s.entries.push(e.clone()),
            None => out.push(Series {
                machine: e.machine.clone(),
                config_hash: e.config_hash.clone(),
                label,
                entries: vec![e.clone()],
            }),
        }
    }
    out
}

/// The one series whose machine class contains `machine` and whose configuration hash starts with
/// `config_hash` (each filter only when given); an error naming the candidates when none or several match.
pub fn select(entries: &[Entry], machine: Option<&str>, config_hash: Option<&str>) -> Result<Series, HistoryError> {
    let all = groups(entries);
    let mut matching: Vec<Series> = all
        .iter()
        .filter(|s| machine.is_none_or(|m| s.machine.contains(m)))
        .filter(|s| config_hash.is_none_or(|h| s.config_hash.starts_with(h)))
        .cloned()
        .collect();
    let list = |series: &[Series]| series.iter().map(|s| format!("`{}`", s.title())).collect::<Vec<_>>().join(", ");
    match matching.len() {
        1 => Ok(matching.remove(0)),
        0 if all.is_empty() => Err(HistoryError::Select("the history holds no entries".into())),
        0 => Err(HistoryError::Select(format!(
            "no series matches --machine {} --config-hash {}; the history holds: {}",
            machine.unwrap_or("(any)"),
            config_hash.unwrap_or("(any)"),
            list(&all)
        ))),
        n => Err(HistoryError::Select(format!(
            "{n} series match; choose one with --machine and --config-hash: {}",
            list(&matching)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::tests::entry;

    const T: Thresholds = Thresholds { fail_below: 0.8, warn_below: 0.9 };

    #[test]
    fn steps_are_judged_like_compare() {
        let entries = vec![entry("c1", 100.0, 10.0), entry("c2", 85.0, 10.5), entry("c3", 60.0, 20.0)];
        let series = select(&entries, None, None).unwrap();
        let (ceiling, dir) = series.points("ceiling (tx/s offered)", T);
        assert_eq!(dir, Direction::Higher);
        let verdicts: Vec<Verdict> = ceiling.iter().map(|p| p.verdict).collect();
        assert_eq!(verdicts, [Verdict::NotCompared, Verdict::Warn, Verdict::Fail]);
        assert_eq!(ceiling[2].previous, Some(85.0));
        let (p99, dir) = series.points("p99 latency at the ceiling (ms)", T);
        assert_eq!(dir, Direction::Lower);
        assert_eq!(
            p99.iter().map(|p| p.verdict).collect::<Vec<_>>(),
            [Verdict::NotCompared, Verdict::Pass, Verdict::Fail]
        );
        let md = series.table(T);
        assert!(md.contains("| 3 | `c3` | `ceiling-c3.json` | 60.0 (**FAIL**) | 20.0 (**FAIL**) |"), "{md}");
    }

    #[test]
    fn harness_bound_steps_get_no_ratio() {
        let mut bound = entry("c2", 10.0, 10.0);
        bound.harness_bound = Some("harness-bound at 10 tx/s".into());
        let series = select(&[entry("c1", 100.0, 10.0), bound, entry("c3", 100.0, 10.0)], None, None).unwrap();
        let verdicts: Vec<Verdict> = series.points("ceiling (tx/s offered)", T).0.iter().map(|p| p.verdict).collect();
        assert_eq!(verdicts, [Verdict::NotCompared, Verdict::HarnessBound, Verdict::HarnessBound]);
    }

    #[test]
    fn selection_names_the_candidates() {
        let mut other = entry("c1", 1.0, 1.0);
        other.config_hash = "def".into();
        let entries = vec![entry("c1", 1.0, 1.0), other];
        let err = select(&entries, None, None).unwrap_err().to_string();
        assert!(err.starts_with("2 series match; choose one with --machine and --config-hash"), "{err}");
        assert_eq!(select(&entries, Some("EPYC"), Some("de")).unwrap().config_hash, "def");
        let err = select(&entries, Some("Xeon"), None).unwrap_err().to_string();
        assert!(err.contains("no series matches --machine Xeon") && err.contains("config abc"), "{err}");
        assert!(select(&[], None, None).unwrap_err().to_string().contains("no entries"));
    }
}
