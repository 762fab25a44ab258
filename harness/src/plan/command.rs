//! What `hsbench plan` does end to end: reads the stage costs (and GPU capacity), plans, prints the table and writes
//! the `kind: "plan"` result.

use super::{GpuCapacity, PlanError, StageCosts};
use crate::config::ConfigError;
use crate::result::read::{self, ResultDoc};
use crate::result::{self, Fingerprint, ResultHeader};
use anyhow::Context;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Folder searched for the newest ceiling result when no result file is given.
pub const RESULTS_DIR: &str = "results";

/// What to plan for (the command line's choices, already checked).
#[derive(Clone, Debug)]
pub struct PlanRequest {
    /// Target rate the validator must commit (tx/s).
    pub target_tps: f64,
    /// Highest planned busy fraction of any core (0 < U ≤ 1).
    pub utilisation: f64,
    /// Ceiling or node-mode results (empty: the newest ceiling result under [`RESULTS_DIR`]).
    pub results: Vec<PathBuf>,
    /// A crypto result with gpu cells, to plan GPUs too.
    pub gpu_results: Option<PathBuf>,
    /// Folder the plan JSON is written to.
    pub out: PathBuf,
}

/// What the plan was asked for (the `config` of the plan result).
#[derive(Debug, Serialize)]
struct PlanConfig<'a> {
    target_tps: f64,
    utilisation: f64,
    results: &'a [String],
    gpu_results: Option<String>,
}

/// A usage error (exit code 2) about the command-line option `key`.
pub fn invalid(key: &'static str, message: String) -> anyhow::Error {
    ConfigError::Invalid { origin: "command line".into(), key, message }.into()
}

/// Bad or unusable input files are usage errors (exit code 2).
fn usage(e: PlanError) -> anyhow::Error {
    match e {
        PlanError::Result(r) => ConfigError::from(r).into(),
        other => {
            ConfigError::Parse { origin: "hsbench plan".into(), location: String::new(), message: other.to_string() }
                .into()
        }
    }
}

/// The stage-cost sources: the given files, or the newest ceiling under `results_dir` that [`plannable`] accepts.
fn sources(results: &[PathBuf], results_dir: &Path) -> anyhow::Result<(Vec<ResultDoc>, String)> {
    if !results.is_empty() {
        let docs = read::load_all(results).map_err(ConfigError::from)?;
        let note = if docs.len() > 1 { format!("mean of {} files", docs.len()) } else { "given".to_string() };
        return Ok((docs, note));
    }
    let what = "ceiling result with stage costs from a clean build that confirmed its ceiling";
    match read::newest_of_kind(results_dir, "ceiling", plannable) {
        Some(doc) => Ok((vec![doc], format!("the newest {what} under {}/", results_dir.display()))),
        None => Err(invalid(
            "--results",
            format!("no {what} under {}/; run `hsbench ceiling` or pass --results FILE", results_dir.display()),
        )),
    }
}

/// Whether a ceiling result may be the default source of a plan: it has stage costs (a harness-bound search has
/// none), its binary was built from a clean tree of the commit it names (not a throwaway A/B build) and its search
/// confirmed the ceiling. A file that fails this can still be planned from with `--results`.
fn plannable(doc: &ResultDoc) -> bool {
    doc.stages().is_some()
        && doc.fingerprint.git_dirty == Some(false)
        && doc.ceiling().is_some_and(|c| c.confirmed != Some(false))
}

/// Plans for `req`.
pub fn execute(req: &PlanRequest) -> anyhow::Result<()> {
    let started_unix_s = result::unix_now();
    let (docs, note) = sources(&req.results, Path::new(RESULTS_DIR))?;
    let costs = StageCosts::from_docs(&docs).map_err(usage)?;
    let gpu = match &req.gpu_results {
        Some(path) => {
            let doc = ResultDoc::load(path).map_err(ConfigError::from)?;
            Some(GpuCapacity::from_doc(&doc).map_err(usage)?)
        }
        None => None,
    };
    let metrics = super::plan(req.target_tps, req.utilisation, &costs, gpu, note);
    print!("{}", super::render(&metrics));
    let config = PlanConfig {
        target_tps: req.target_tps,
        utilisation: req.utilisation,
        results: &costs.files,
        gpu_results: req.gpu_results.as_ref().map(|p| p.display().to_string()),
    };
    let config_json = serde_json::to_string(&config).context("cannot encode the plan's settings")?;
    let source_backend = docs.first().map(|d| d.fingerprint.crypto_backend.clone()).unwrap_or_default();
    let header = ResultHeader { kind: "plan", mode: None, started_unix_s, config_origin: "command line".to_string() };
    let fingerprint = Fingerprint::collect(&config_json, 0, &source_backend);
    let path = result::write_result(&req.out, header, fingerprint, &config, &metrics)?;
    println!("  result: {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The CLI tests' ceiling fixture (clean build, confirmed, with stage costs), started at `started`.
    fn ceiling(started: u64) -> Value {
        let text = include_str!("../../tests/fixtures/ceiling.json");
        let mut doc: Value = serde_json::from_str(text).expect("fixture parses");
        doc["started_unix_s"] = json!(started);
        doc
    }

    /// The default source is the newest ceiling a reader can plan from: a build from a clean tree whose search
    /// confirmed its ceiling. Newer A/B files (a throwaway build, a search that did not confirm) stay out.
    #[test]
    fn the_default_source_skips_dirty_builds_and_unconfirmed_ceilings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, doc: &Value| {
            std::fs::write(dir.path().join(name), serde_json::to_vec(doc).expect("encodes")).expect("writes")
        };
        write("clean.json", &ceiling(100));
        let mut dirty = ceiling(200);
        dirty["fingerprint"]["git_dirty"] = json!(true);
        write("dirty.json", &dirty);
        let mut unconfirmed = ceiling(300);
        unconfirmed["metrics"]["confirmed"] = json!(false);
        write("unconfirmed.json", &unconfirmed);
        let (docs, note) = sources(&[], dir.path()).expect("a source");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].started_unix_s, 100, "picked {} ({note})", docs[0].path.display());
    }

    /// RAM in a plan is the largest peak resident memory its sources measured (the last confirmation run of a
    /// ceiling), labelled measured and not projected; sources from before memory was recorded say so.
    #[test]
    fn the_plan_reports_the_largest_measured_memory() {
        let with_memory = |started: u64, mib: u64| {
            let mut doc = ceiling(started);
            let curve = doc["metrics"]["curve"].as_array_mut().expect("a curve");
            let last = curve.iter_mut().rev().find(|p| p["phase"] == "confirm").expect("a confirmation run");
            last["result"]["memory"] =
                json!({"rss_bytes": 1, "peak_rss_bytes": mib << 20, "peak_since_run_start": true});
            ResultDoc::from_value(Path::new(&format!("c{started}.json")), doc).expect("reads")
        };
        let plain = ResultDoc::from_value(Path::new("old.json"), ceiling(1)).expect("reads");
        let costs = StageCosts::from_docs(&[with_memory(2, 96), with_memory(3, 130), plain.clone()]).expect("costs");
        let memory = costs.memory.clone().expect("a memory figure");
        assert_eq!((memory.peak_mib.value, memory.file.as_str()), (130.0, "c3.json"));
        assert!(memory.what.starts_with("the last confirmation run"), "{memory:?}");
        let text = super::super::render(&super::super::plan(1e6, 0.8, &costs, None, "given".into()));
        assert!(text.contains("memory (M)            peak 130 MiB resident"), "{text}");
        let costs = StageCosts::from_docs(&[plain]).expect("costs");
        let text = super::super::render(&super::super::plan(1e6, 0.8, &costs, None, "given".into()));
        assert!(text.contains("memory                no figure"), "{text}");
    }

    /// Blocks a second come from each probe (blocks that committed its transactions ÷ its duration) and the block
    /// rate the plan pays per-block work at from the configuration's interval; without either, no per-block fit.
    #[test]
    fn the_plan_reads_blocks_a_second_from_probes_and_the_interval_from_the_config() {
        let mut doc = ceiling(1);
        for (i, p) in doc["metrics"]["curve"].as_array_mut().expect("a curve").iter_mut().enumerate() {
            p["result"]["blocks_with_txs"] = json!(100 + i);
        }
        let read = ResultDoc::from_value(Path::new("c.json"), doc.clone()).expect("reads");
        let samples = read.stage_samples();
        assert!(samples.iter().all(|s| s.blocks_per_s.is_some()), "{samples:?}");
        assert_eq!(samples[0].blocks_per_s, Some(100.0 / 5.0));
        let costs = StageCosts::from_docs(&[read]).expect("costs");
        let blocks = costs.blocks.clone().expect("a block rate");
        assert_eq!((blocks.blocks_per_s, blocks.max_block_txs), (1e3 / 50.0, Some(4_096)));
        assert!(blocks.why.contains("min_block_interval_ms = 50"), "{blocks:?}");
        // Without the interval: the most blocks a second a probe committed.
        doc["config"]["consensus"]["min_block_interval_ms"] = json!(0);
        let costs =
            StageCosts::from_docs(&[ResultDoc::from_value(Path::new("c.json"), doc).expect("reads")]).expect("costs");
        // The passing probes: 0–3 and 5–6 of 5 s, 9–11 of 10 s; the most is probe 6's 106 blocks in 5 s.
        assert_eq!(costs.blocks.map(|b| b.blocks_per_s), Some(106.0 / 5.0));
        // The fixture as written (no blocks recorded): no per-block fit anywhere.
        let costs = StageCosts::from_docs(&[ResultDoc::from_value(Path::new("c.json"), ceiling(1)).expect("reads")])
            .expect("costs");
        assert!(costs.stages.iter().all(|s| !matches!(s.model.basis, super::super::fit::ModelBasis::PerBlock { .. })));
    }
}
