//! `hsbench history`: `add` appends the headline metrics of result files to a history file; `show` prints one
//! series (machine class × configuration × kind) as a table and writes a figure per metric with compare's bands.

use crate::cmd::compare::ThresholdArgs;
use crate::compare::Verdict;
use crate::config::ConfigError;
use crate::history::{self, DEFAULT_FILE, Entry, series};
use crate::result::read;
use anyhow::Context;
use std::path::PathBuf;

/// Arguments of `hsbench history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// What to do with the history.
    #[command(subcommand)]
    pub action: HistoryAction,
}

/// The actions of `hsbench history`.
#[derive(Debug, clap::Subcommand)]
pub enum HistoryAction {
    /// Append one line per result (fingerprint's machine class and config hash, git commit, headline metrics);
    /// results without headline metrics (plans) are skipped, saying so.
    Add {
        /// Result files (JSON) or folders of them.
        #[arg(value_name = "RESULT", required = true)]
        results: Vec<PathBuf>,
        /// The history file (JSON Lines; created when missing).
        #[arg(long, value_name = "FILE", default_value = DEFAULT_FILE)]
        file: PathBuf,
    },
    /// Print one series as a table (each entry judged against the previous one) and write an SVG per headline
    /// metric; exit code 1 when the newest entry fails a metric against the one before it.
    Show {
        /// The history file.
        #[arg(long, value_name = "FILE", default_value = DEFAULT_FILE)]
        file: PathBuf,
        /// Only the machine class containing this text (as `report` shows it: `2 × AMD EPYC`).
        #[arg(long, value_name = "TEXT")]
        machine: Option<String>,
        /// Only the configuration hash starting with this.
        #[arg(long, value_name = "HEX")]
        config_hash: Option<String>,
        /// Folder for the figures (created).
        #[arg(long, value_name = "DIR", default_value = "results/tmp/history")]
        out: PathBuf,
        /// The fail and warn thresholds.
        #[command(flatten)]
        thresholds: ThresholdArgs,
    },
}

/// The entries of the history file `path`; a malformed line is a usage error (exit code 2) naming its line.
pub fn load(path: &std::path::Path) -> anyhow::Result<Vec<Entry>> {
    history::load(path).map_err(|e| match e {
        history::HistoryError::Line { path, line, message } => anyhow::Error::new(ConfigError::Parse {
            origin: path.display().to_string(),
            location: format!(":{line}"),
            message: format!("not a history entry: {message}"),
        }),
        other => anyhow::Error::new(other),
    })
}

/// Runs `hsbench history`. Unusable result files and a malformed history are usage errors (exit code 2).
pub fn execute(args: HistoryArgs) -> anyhow::Result<()> {
    match args.action {
        HistoryAction::Add { results, file } => {
            let docs = read::load_all(&results).map_err(ConfigError::from)?;
            let all: Vec<Entry> = docs.iter().map(Entry::of).collect::<Result<_, _>>().map_err(ConfigError::from)?;
            let (entries, skipped): (Vec<Entry>, Vec<Entry>) = all.into_iter().partition(|e| !e.metrics.is_empty());
            for e in &skipped {
                println!("history: skipped {} (kind {}: no headline metrics to follow)", e.file, e.label());
            }
            history::append(&file, &entries)?;
            for e in &entries {
                println!("history: added {} ({}, {}) to {}", e.file, e.commit_label(), e.label(), file.display());
            }
            Ok(())
        }
        HistoryAction::Show { file, machine, config_hash, out, thresholds } => {
            let t = thresholds.thresholds()?;
            let entries = load(&file)?;
            let series = series::select(&entries, machine.as_deref(), config_hash.as_deref())?;
            println!("## {}\n", series.title());
            print!("{}", series.table(t));
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            for (name, plot) in history::plot::figures(&series, t, "")? {
                let path = out.join(name);
                std::fs::write(&path, plot.svg.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("  figure  {}", path.display());
            }
            let newest = series.entries.len().saturating_sub(1);
            let failed: Vec<String> = series
                .metric_names()
                .into_iter()
                .filter(|name| series.points(name, t).0.iter().any(|p| p.index == newest && p.verdict == Verdict::Fail))
                .collect();
            if !failed.is_empty() {
                anyhow::bail!(
                    "regression: the newest entry falls below --fail-below {} against the one before it: {}",
                    t.fail_below,
                    failed.join(", ")
                );
            }
            Ok(())
        }
    }
}
