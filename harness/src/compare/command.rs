//! What `hsbench compare` does with two checked inputs: load, pair, compare, print (and write) the Markdown, and fail
//! on a regression.

use super::{Thresholds, Verdict};
use crate::config::ConfigError;
use crate::result::read::{self, ResultDoc};
use anyhow::Context;
use std::path::Path;

/// A usage error (exit code 2) about `key`.
pub fn invalid(key: &'static str, message: String) -> anyhow::Error {
    ConfigError::Invalid { origin: "command line".into(), key, message }.into()
}

fn load(path: &Path) -> anyhow::Result<Vec<ResultDoc>> {
    Ok(read::load_all(&[path.to_path_buf()]).map_err(ConfigError::from)?)
}

/// Compares `base` with `new` (two result files, or two folders) under thresholds `t`, prints the Markdown (and
/// writes it to `markdown`); exit code 0 on pass or warn, 1 on a regression, 2 on unusable input.
pub fn execute(base: &Path, new: &Path, t: Thresholds, markdown: Option<&Path>) -> anyhow::Result<()> {
    let (base_dir, new_dir) = (base.is_dir(), new.is_dir());
    if base_dir != new_dir {
        return Err(invalid("BASE NEW", "give two files or two folders, not one of each".into()));
    }
    let (base_docs, new_docs) = (load(base)?, load(new)?);
    let super::Pairing { pairs, notes } = if base_dir {
        super::pair(&base_docs, &new_docs)
    } else {
        let (Some(b), Some(n)) = (base_docs.first(), new_docs.first()) else {
            return Err(invalid("BASE NEW", "no result to compare".into()));
        };
        if b.label() != n.label() {
            return Err(invalid(
                "BASE NEW",
                format!("cannot compare a {} result with a {} result", b.label(), n.label()),
            ));
        }
        super::Pairing { pairs: vec![(0, 0)], notes: Vec::new() }
    };
    if pairs.is_empty() {
        return Err(invalid("BASE NEW", format!("no result in {} matches one in {}", base.display(), new.display())));
    }
    let comparisons = pairs
        .iter()
        .map(|&(i, j)| super::compare(&base_docs[i], &new_docs[j], t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ConfigError::from)?;
    let md = super::markdown(&base.display().to_string(), &new.display().to_string(), &comparisons, &notes, t);
    print!("{md}");
    if let Some(path) = markdown {
        std::fs::write(path, md.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let failed: Vec<String> = comparisons
        .iter()
        .flat_map(|c| {
            c.rows.iter().filter(|r| r.verdict == Verdict::Fail).map(move |r| format!("{} ({})", r.metric, c.new))
        })
        .collect();
    if !failed.is_empty() {
        anyhow::bail!(
            "regression: {} metric(s) below --fail-below {}: {}",
            failed.len(),
            t.fail_below,
            failed.join(", ")
        );
    }
    Ok(())
}
