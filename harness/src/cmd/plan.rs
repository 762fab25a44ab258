//! `hsbench plan`: cores per stage (and GPUs for signature verification) for a target rate, from measured
//! per-stage costs; a table on stdout and a `kind: "plan"` JSON.

use crate::config::ConfigError;
use crate::plan::{self, GpuCapacity, PlanError, StageCosts};
use crate::result::read::{self, ResultDoc};
use crate::result::{self, Fingerprint, ResultHeader};
use anyhow::Context;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Folder searched for the newest ceiling result when `--results` is not given.
pub const RESULTS_DIR: &str = "results";

/// Arguments of `hsbench plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Target rate the validator must commit (tx/s).
    #[arg(long, value_name = "N")]
    pub target_tps: f64,
    /// Ceiling or node-mode results whose `metrics.stages` give the cost per transaction of each stage (several:
    /// the mean per stage). Default: the newest ceiling result under results/.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub results: Vec<PathBuf>,
    /// A crypto result with gpu ed25519-verify cells: also plan signature verification on GPUs of that kind.
    #[arg(long, value_name = "FILE")]
    pub gpu_results: Option<PathBuf>,
    /// Highest planned busy fraction of any core (0 < U ≤ 1); headroom keeps queues and latency short.
    #[arg(long, value_name = "U", default_value_t = 0.8)]
    pub utilisation: f64,
    /// Folder the plan JSON is written to.
    #[arg(long, value_name = "DIR", default_value = result::DEFAULT_OUT_DIR)]
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

fn invalid(key: &'static str, message: String) -> anyhow::Error {
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

/// The stage-cost sources: the given files, or the newest ceiling under `results_dir`.
fn sources(args: &PlanArgs, results_dir: &Path) -> anyhow::Result<(Vec<ResultDoc>, String)> {
    if !args.results.is_empty() {
        let docs = read::load_all(&args.results).map_err(ConfigError::from)?;
        let note = if docs.len() > 1 { format!("mean of {} files", docs.len()) } else { "given".to_string() };
        return Ok((docs, note));
    }
    match read::newest_of_kind(results_dir, "ceiling") {
        Some(doc) => Ok((vec![doc], format!("the newest ceiling result under {}/", results_dir.display()))),
        None => Err(invalid(
            "--results",
            format!("no ceiling result under {}/; run `hsbench ceiling` or pass --results FILE", results_dir.display()),
        )),
    }
}

/// Runs `hsbench plan`.
pub fn execute(args: PlanArgs) -> anyhow::Result<()> {
    if !(args.target_tps.is_finite() && args.target_tps > 0.0) {
        return Err(invalid("--target-tps", format!("must be a positive rate (got {})", args.target_tps)));
    }
    if !(args.utilisation > 0.0 && args.utilisation <= 1.0) {
        return Err(invalid("--utilisation", format!("must be in (0, 1] (got {})", args.utilisation)));
    }
    let started_unix_s = result::unix_now();
    let (docs, note) = sources(&args, Path::new(RESULTS_DIR))?;
    let costs = StageCosts::from_docs(&docs).map_err(usage)?;
    let gpu = match &args.gpu_results {
        Some(path) => {
            let doc = ResultDoc::load(path).map_err(ConfigError::from)?;
            Some(GpuCapacity::from_doc(&doc).map_err(usage)?)
        }
        None => None,
    };
    let metrics = plan::plan(args.target_tps, args.utilisation, &costs, gpu, note);
    print!("{}", plan::render(&metrics));
    let config = PlanConfig {
        target_tps: args.target_tps,
        utilisation: args.utilisation,
        results: &costs.files,
        gpu_results: args.gpu_results.as_ref().map(|p| p.display().to_string()),
    };
    let config_json = serde_json::to_string(&config).context("cannot encode the plan's settings")?;
    let source_backend = docs.first().map(|d| d.fingerprint.crypto_backend.clone()).unwrap_or_default();
    let header = ResultHeader { kind: "plan", mode: None, started_unix_s, config_origin: "command line".to_string() };
    let fingerprint = Fingerprint::collect(&config_json, 0, &source_backend);
    let path = result::write_result(&args.out, header, fingerprint, &config, &metrics)?;
    println!("  result: {}", path.display());
    Ok(())
}
