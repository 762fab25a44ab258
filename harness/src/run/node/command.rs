//! `hsbench run --mode node`: one validator's pinned pipeline with a synthetic committee at one rate (or
//! profile), measured and written as a `kind: "run"`, `mode: "node"` result.

use super::probe::NodeProbe;
use super::rate::RateResult;
use super::table::{mark_harness_bound, print_books, print_stages, rate_header, rate_row};
use crate::config::BenchConfig;
use crate::loadgen::schedule::intended_offsets;
use crate::result::{self, Fingerprint, ResultHeader};
use crate::run::{name, plan};
use crate::ui::Ui;
use anyhow::Context;
use hsbench_engine::runtime::pipeline::PipelineReport;
use serde::Serialize;
use std::path::Path;

/// The `metrics` object of a node-mode run.
#[derive(Debug, Serialize)]
pub struct NodeRunMetrics {
    /// The measured rate (throughput, latency, books, queue growth, stages, generator).
    #[serde(flatten)]
    pub rate: RateResult,
    /// Whether the rate met `[slo]`, and why not.
    pub slo_pass: bool,
    /// SLO failures.
    pub slo_failures: Vec<String>,
    /// The engine's full pipeline report (per-stage series, committee, node summary).
    pub pipeline: Option<PipelineReport>,
    /// What the `gpu` backend did (items on the device, CPU fallbacks); `null` for CPU backends.
    pub gpu: Option<hsbench_kernels::GpuStats>,
}

/// Runs one node-mode measurement of a validated `config` (from `origin`) at its rate or profile, with the corpus
/// cache in `cache`; writes the result into `out` and prints the tables. Fails when the generator fell behind; a
/// harness-bound run (the synthetic committee saturated) is written and reported as such, not failed: what the
/// node did is still measured, only its limit is not.
pub fn execute(
    config: &BenchConfig,
    origin: String,
    cache: &Path,
    out: &Path,
    quiet: bool,
    live: bool,
    started_unix_s: u64,
) -> anyhow::Result<()> {
    let config_toml = config.to_toml().context("cannot render the effective configuration as TOML")?;
    let live = if live { crate::live::Session::start("run --mode node") } else { None };
    let ui = Ui::detect(quiet);
    let c = &config.cluster;
    println!("hsbench run --mode node — {origin}");
    println!(
        "  node under test + {} committee members · {} votes · {} · {} storage · {} for {} s (window {:.1} s)",
        c.validators - 1,
        name(&c.vote_scheme),
        config.verification_label(),
        name(&c.storage),
        config.run.profile.describe(config.run.rate_tps),
        config.run.duration_s,
        config.window().as_secs_f64(),
    );
    let offsets = intended_offsets(&config.run.profile, config.run.rate_tps, config.run.duration_s, u64::MAX);
    let plan = plan(config);
    let backend = crate::backends::build_node_backend(&config.crypto)?;
    if let Some(b) = &backend {
        println!("  backend: {}", b.description);
    }
    let mut probe = NodeProbe::new(config, Some(cache.to_path_buf()), ui).with_backend(backend);
    let rate = probe.run_schedule(offsets, &plan);
    drop(live);
    let rate = rate?;
    let gpu = probe.backend.as_ref().and_then(crate::backends::Built::gpu_stats);
    let failures = rate.slo_failures(&config.slo);
    let pipeline = probe.last_report.take();
    let fingerprint = Fingerprint::collect(
        &config_toml,
        config.run.seed,
        &crate::backends::node_backend_label(&config.crypto, probe.backend.as_ref()),
    )
    .with_core_map(pipeline.as_ref().map(|p| &p.core_map))
    .with_signature_free(!config.workload.signatures);
    let m = NodeRunMetrics { slo_pass: failures.is_empty(), slo_failures: failures, rate, pipeline, gpu };
    let header = ResultHeader { kind: "run", mode: Some("node"), started_unix_s, config_origin: origin };
    let path = result::write_result(out, header, fingerprint, config, &m)?;
    println!();
    println!("{}", rate_header());
    let verdict = if m.slo_pass { "meets SLO".to_string() } else { m.slo_failures.join("; ") };
    let verdict = mark_harness_bound(&m.rate, verdict);
    println!("{}", rate_row("run", &m.rate, &verdict));
    println!();
    print_books(&m.rate);
    if let Some(b) = super::blocks::BlockFill::of_rate(&m.rate, config.provisioning.max_block_txs) {
        println!("{}", b.line("blocks"));
    }
    println!();
    print_stages(&m.rate);
    println!();
    if let Some(why) = &m.rate.harness_bound {
        println!(
            "  harness-bound: {why}. The synthetic committee, not the node, set this run's limit; its SLO verdict \
             is not the node's."
        );
    }
    println!("result: {}", path.display());
    if !m.rate.generator.valid {
        anyhow::bail!("the generator fell behind: the run is invalid (see {})", path.display());
    }
    Ok(())
}
