//! Benchmark history: one compact JSON line per result in a JSON Lines file (`results/history.jsonl` by
//! default), appended by `hsbench history add` after each benchmark run — typically in a project's CI after
//! every merge — and read back by `hsbench history show` and `hsbench report --history`, which show each headline
//! metric over the commits of one machine class and configuration, judged like `hsbench compare` judges a pair.
//!
//! A line holds what makes results comparable (machine class, configuration hash, build profile, kind) and the
//! headline metrics exactly as [`crate::compare::metrics_of`] computes them, so a history and a `compare` of
//! two results never disagree about a figure. Lines are only appended, never rewritten: the file is the record.

pub mod plot;
pub mod series;

use crate::compare::{self, Metric};
use crate::result::read::{ResultDoc, ResultError};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The default history file, relative to the working directory.
pub const DEFAULT_FILE: &str = "results/history.jsonl";

/// One line of the history: the identity and headline metrics of one result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The result file's name (where the figures came from).
    pub file: String,
    /// Its kind (`ceiling`, `run`, `crypto`, `tune`).
    pub kind: String,
    /// `run` only: `node` or `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// When the run started (Unix seconds).
    pub started_unix_s: u64,
    /// Machine class ([`crate::result::Fingerprint::machine`]): figures are compared within one.
    pub machine: String,
    /// Hash of the effective configuration: figures are compared within one.
    pub config_hash: String,
    /// The commit the binary was built from, when the result records one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// Whether the tree had changes beyond that commit (`None`: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_dirty: Option<bool>,
    /// Cargo profile of the binary (`release`, `dist`).
    pub build_profile: String,
    /// Why the figures measure the harness rather than the node, when they do (no verdict is given on them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harness_bound: Option<String>,
    /// The headline metrics, as `compare` computes them.
    pub metrics: Vec<Metric>,
}

impl Entry {
    /// The history line of one result.
    pub fn of(doc: &ResultDoc) -> Result<Entry, ResultError> {
        let f = &doc.fingerprint;
        let commit = Some(f.git_commit.trim()).filter(|c| !c.is_empty() && *c != "unknown").map(str::to_string);
        Ok(Entry {
            file: doc.file_name(),
            kind: doc.kind.clone(),
            mode: doc.mode.clone(),
            started_unix_s: doc.started_unix_s,
            machine: f.machine(),
            config_hash: f.config_hash.clone(),
            git_commit: commit,
            git_dirty: f.git_dirty,
            build_profile: f.build_profile.clone(),
            harness_bound: compare::harness_bound(doc),
            metrics: compare::metrics_of(doc)?,
        })
    }

    /// Kind and mode, as `report` and `compare` label results (`run (node)`).
    pub fn label(&self) -> String {
        match &self.mode {
            Some(m) => format!("{} ({m})", self.kind),
            None => self.kind.clone(),
        }
    }

    /// The commit, 12 characters, `+dirty` when the tree was dirty; `unknown` when not recorded.
    pub fn commit_label(&self) -> String {
        let short: String = self.git_commit.as_deref().unwrap_or("unknown").chars().take(12).collect();
        if self.git_dirty == Some(true) { format!("{short}+dirty") } else { short }
    }
}

/// Why the history could not be read, written or shown.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The history file could not be read.
    #[error("cannot read history {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The history file could not be written.
    #[error("cannot write history {}: {error}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// A line is not a history entry.
    #[error("{}:{line}: not a history entry: {message}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A result file is unusable.
    #[error(transparent)]
    Result(#[from] ResultError),
    /// The selection matches no series, or several.
    #[error("{0}")]
    Select(String),
    /// A figure could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::report::plots::PlotError),
}

/// Appends one line per entry to `path` (created with its folder when missing).
pub fn append(path: &Path, entries: &[Entry]) -> Result<(), HistoryError> {
    let fail = |error| HistoryError::Write { path: path.to_path_buf(), error };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut text = String::new();
    for e in entries {
        let line = serde_json::to_string(e).map_err(|e| fail(std::io::Error::other(e)))?;
        text.push_str(&line);
        text.push('\n');
    }
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)
}

/// Reads every entry of `path`, in file order; blank lines are skipped, anything else that is not an entry is
/// an error naming its line.
pub fn load(path: &Path) -> Result<Vec<Entry>, HistoryError> {
    let text = std::fs::read_to_string(path).map_err(|error| HistoryError::Read { path: path.to_path_buf(), error })?;
    parse(path, &text)
}

/// The entries of `text` (the contents of `path`, named in errors).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, HistoryError> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_str(line).map_err(|e| HistoryError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn entry(commit: &str, ceiling: f64, p99_ms: f64) -> Entry {
        use crate::compare::Direction;
        Entry {
            file: format!("ceiling-{commit}.json"),
            kind: "ceiling".into(),
            mode: None,
            started_unix_s: 1,
            machine: "2 × AMD EPYC".into(),
            config_hash: "abc".into(),
            git_commit: Some(commit.into()),
            git_dirty: Some(false),
            build_profile: "dist".into(),
            harness_bound: None,
            metrics: vec![
                Metric { name: "ceiling (tx/s offered)".into(), value: ceiling, direction: Direction::Higher },
                Metric { name: "p99 latency at the ceiling (ms)".into(), value: p99_ms, direction: Direction::Lower },
            ],
        }
    }

    #[test]
    fn append_then_load_round_trips_and_bad_lines_name_their_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/history.jsonl");
        let (a, b) = (entry("aaa", 100.0, 5.0), entry("bbb", 90.0, 6.0));
        append(&path, std::slice::from_ref(&a)).unwrap();
        append(&path, std::slice::from_ref(&b)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "one compact line per entry: {text}");
        assert!(text.contains("\"direction\":\"higher\""), "{text}");
        assert_eq!(load(&path).unwrap(), vec![a, b]);
        let err = parse(Path::new("h.jsonl"), &format!("{}\n\n{{\"file\": 3}}\n", text.lines().next().unwrap()))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("h.jsonl:3: not a history entry: "), "{err}");
        let err = load(&dir.path().join("missing.jsonl")).unwrap_err().to_string();
        assert!(err.starts_with("cannot read history "), "{err}");
    }

    #[test]
    fn unknown_commits_are_not_recorded_as_commits() {
        let v = serde_json::json!({
            "schema_version": 1, "kind": "run", "mode": "node",
            "fingerprint": {"build_profile": "release", "cpu_model": "X", "cores": 2, "crypto_backend": "cpu",
                            "config_hash": "h", "git_commit": "unknown"},
            "metrics": {"committed_tps": 10.0, "latency_us": {"p50": 1000.0, "p90": 1.0, "p99": 2000.0,
                        "p999": 1.0, "max": 1.0}}
        });
        let doc = ResultDoc::from_value(Path::new("run-1.json"), v).unwrap();
        let e = Entry::of(&doc).unwrap();
        assert_eq!(e.git_commit, None);
        assert_eq!(e.commit_label(), "unknown");
        assert_eq!(e.label(), "run (node)");
        assert_eq!(e.machine, "2 × X");
        assert_eq!(e.metrics.len(), 3);
        assert_eq!(e.metrics[0].value, 10.0);
    }
}
