//! `hsbench crypto`: the crypto sweep (backend × batch size × operation), a table on stdout, the CPU/GPU
//! crossover per operation, and a JSON result; below the table, a labelled projection (not a measurement) of the
//! GPU Ed25519 kernel on named GPUs from its counted integer operations (`hsbench_kernels::cost`).

use crate::backends::{self, BackendName, Built};
use crate::config;
use crate::cryptobench::{self, Cell, CellStatus, Crossover, Op, SweepSettings};
use crate::result::{self, Fingerprint, ResultHeader};
use crate::ui::{Ui, progress_bar};
use anyhow::Context;
use hsbench_kernels::bls12_381::bls_cost_models;
use hsbench_kernels::cost::project;
use hsbench_kernels::{
    AdapterReport, DEVICES, DeviceThroughput, Ed25519CostModel, KernelCost, Projection, device_label,
};
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `hsbench crypto`.
#[derive(Debug, clap::Args)]
pub struct CryptoArgs {
    /// Backends (comma-separated; default: cpu, cpu-batch, cpu-par, and gpu when an adapter exists).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub backends: Vec<BackendName>,
    /// Batch sizes (comma-separated; default: powers of 4 from 1 to 65536).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub batch_sizes: Vec<usize>,
    /// Operations (comma-separated; default: all): ed25519-verify, g1-aggregate, g2-aggregate,
    /// g2-subgroup-check, qc-verify, vote-ingestion.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub ops: Vec<Op>,
    /// Timed repeats per cell (CV is over these).
    #[arg(long, default_value_t = 5)]
    pub repeats: u32,
    /// Each repeat calls the operation for at least this long (ms).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub min_time_ms: u64,
    /// Configuration file whose [crypto] section sets the GPU batch, depth and adapter.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Adapter name substring for the gpu backend (overrides crypto.adapter).
    #[arg(long, value_name = "NAME")]
    pub adapter: Option<String>,
    /// Folder the result JSON is written to.
    #[arg(long, value_name = "DIR", default_value = result::DEFAULT_OUT_DIR)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// GPUs to project the GPU kernels (Ed25519 verify, BLS aggregation and subgroup check) onto from their integer
    /// operation counts (comma-separated, or
    /// `all`; default: h100-sxm): h100-sxm, h200, a100, rtx-4090, l4. A projection, never a measurement.
    #[arg(long, value_name = "GPU", value_delimiter = ',', value_parser = parse_projection_device)]
    pub project: Vec<String>,
}

/// `--project` values: `all` or a GPU that `hsbench_kernels::cost` knows (a usage error otherwise).
fn parse_projection_device(s: &str) -> Result<String, String> {
    if s.eq_ignore_ascii_case("all") || DeviceThroughput::find(s).is_some() {
        return Ok(s.to_string());
    }
    let keys: Vec<&str> = DEVICES.iter().map(|d| d.key).collect();
    Err(format!("unknown GPU {s:?} for a projection (expected all or one of {})", keys.join(", ")))
}

/// The devices `--project` names (default: H100 SXM), deduplicated, in [`DEVICES`] order for `all`.
fn projection_devices(names: &[String]) -> Vec<&'static DeviceThroughput> {
    if names.is_empty() {
        return DEVICES.iter().take(1).collect();
    }
    if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
        return DEVICES.iter().collect();
    }
    let mut out: Vec<&'static DeviceThroughput> = Vec::new();
    for d in names.iter().filter_map(|n| DeviceThroughput::find(n)) {
        if !out.iter().any(|o| o.key == d.key) {
            out.push(d);
        }
    }
    out
}

/// Projections of the GPU kernels of the operations in the sweep (Ed25519 verify; BLS G1/G2 aggregation and G2
/// subgroup check) onto the `--project` GPUs, or why there are none.
fn gpu_projections(args: &CryptoArgs, ops: &[Op]) -> (Vec<Projection>, Option<String>) {
    let mut models: Vec<Box<dyn KernelCost>> = Vec::new();
    if ops.contains(&Op::Ed25519Verify) {
        match Ed25519CostModel::from_shader() {
            Ok(m) => models.push(Box::new(m)),
            Err(e) => return (Vec::new(), Some(e.to_string())),
        }
    }
    if ops.iter().any(|o| o.on_gpu() && *o != Op::Ed25519Verify) {
        match bls_cost_models() {
            Ok(ms) => models.extend(
                ms.into_iter()
                    .filter(|m| ops.iter().any(|o| o.name() == m.operation))
                    .map(|m| Box::new(m) as Box<dyn KernelCost>),
            ),
            Err(e) => return (Vec::new(), Some(e.to_string())),
        }
    }
    let devices = projection_devices(&args.project);
    (models.iter().flat_map(|m| devices.iter().map(move |d| project(m.as_ref(), d))).collect(), None)
}

/// The GPU the gpu rows ran on.
#[derive(Clone, Debug, Serialize)]
pub struct GpuInfo {
    /// The adapter.
    pub adapter: AdapterReport,
    /// `lavapipe: CPU emulation of a GPU`, or `GPU: <name>`.
    pub label: String,
    /// What runs where (Ed25519 verification, BLS aggregation and subgroup checks on the device; BLS pairings on
    /// cpu-batch), batch and depth.
    pub description: String,
}

/// The `metrics` of a crypto result.
#[derive(Clone, Debug, Serialize)]
pub struct CryptoMetrics {
    /// Every cell, op-major, then batch size, then backend.
    pub cells: Vec<Cell>,
    /// Per operation: the batch size from which gpu beats the best CPU backend.
    pub crossovers: Vec<Crossover>,
    /// The GPU, when the gpu backend ran.
    pub gpu: Option<GpuInfo>,
    /// Why gpu was left out of a default sweep, when it was.
    pub gpu_skipped: Option<String>,
    /// Each backend's description, in sweep order.
    pub backends: Vec<String>,
    /// Projected GPU Ed25519 throughput on named GPUs from the kernel's counted 32-bit integer operations —
    /// each entry's `label` says it: a projection from integer throughput, not a measurement.
    pub projections: Vec<Projection>,
}

/// Builds the backends (gpu left out of a default list, with the reason, when there is no adapter).
fn build_backends(
    args: &CryptoArgs,
    crypto: &backends::CryptoConfig,
) -> anyhow::Result<(Vec<BackendName>, Vec<Built>, Option<String>)> {
    let explicit = !args.backends.is_empty();
    let names = if explicit { args.backends.clone() } else { BackendName::ALL.to_vec() };
    let (mut kept, mut built, mut skipped) = (Vec::new(), Vec::new(), None);
    for name in names {
        match backends::build(name, crypto) {
            Ok(b) => {
                kept.push(name);
                built.push(b);
            }
            Err(e) if !explicit && name == BackendName::Gpu => skipped = Some(super::one_line(&e)),
            Err(e) => return Err(e),
        }
    }
    Ok((kept, built, skipped))
}

/// Runs the sweep, prints the table and crossovers, writes the JSON.
pub fn execute(args: CryptoArgs) -> anyhow::Result<()> {
    let mut crypto = config::load(args.config.as_deref())?.config.crypto;
    if args.adapter.is_some() {
        crypto.adapter = args.adapter.clone();
    }
    let (names, built, gpu_skipped) = build_backends(&args, &crypto)?;
    let settings = SweepSettings {
        backends: names,
        batch_sizes: if args.batch_sizes.is_empty() {
            cryptobench::default_batch_sizes()
        } else {
            args.batch_sizes.clone()
        },
        ops: if args.ops.is_empty() { Op::ALL.to_vec() } else { args.ops.clone() },
        repeats: args.repeats.max(1),
        min_time_ms: args.min_time_ms,
    };
    anyhow::ensure!(settings.batch_sizes.iter().all(|&b| b > 0), "batch sizes must be at least 1");
    let gpu = built.iter().find_map(|b| b.gpu.as_ref()).map(|g| GpuInfo {
        adapter: g.adapter().clone(),
        label: device_label(g.adapter()),
        description: g.description().to_string(),
    });
    println!(
        "hsbench crypto — {} repeats × ≥ {} ms per cell, warm-up call excluded",
        settings.repeats, settings.min_time_ms
    );
    for b in &built {
        println!("  {}", b.description);
    }
    if let Some(reason) = &gpu_skipped {
        println!("  gpu: skipped ({reason})");
    }
    let started_unix_s = result::unix_now();
    let ui = Ui::detect(args.quiet);
    let bar = progress_bar(ui.progress, "crypto", "{prefix:>9} [{bar:30}] {pos}/{len} {msg}");
    bar.set_length((settings.ops.len() * settings.batch_sizes.len() * built.len()) as u64);
    let cells = cryptobench::sweep(&settings, &built, |c| {
        bar.set_message(format!("{} {} batch {}", c.op, c.backend, c.batch));
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    let crossovers = cryptobench::crossovers(&settings.ops, &cells);
    print_table(&cells);
    println!();
    for x in &crossovers {
        let label = gpu.as_ref().filter(|_| x.op.on_gpu()).map(|g| format!(" ({})", g.label)).unwrap_or_default();
        println!("  crossover {:<18} {}{label}", x.op.name(), x.note);
    }
    let (projections, projection_error) = gpu_projections(&args, &settings.ops);
    print_projections(&projections, projection_error.as_deref());
    let names: Vec<&str> = settings.backends.iter().map(|b| b.name()).collect();
    let settings_json = serde_json::to_string(&settings).context("cannot encode the sweep settings")?;
    let mut fingerprint = Fingerprint::collect(&settings_json, 0, &names.join(","));
    fingerprint.repeats = settings.repeats;
    let descriptions = built.iter().map(|b| b.description.clone()).collect();
    let config_origin = args.config.as_ref().map_or_else(|| "command line".to_string(), |p| p.display().to_string());
    let header = ResultHeader { kind: "crypto", mode: None, started_unix_s, config_origin };
    let metrics = CryptoMetrics { cells, crossovers, gpu, gpu_skipped, backends: descriptions, projections };
    let path = result::write_result(&args.out, header, fingerprint, &settings, &metrics)?;
    println!("  result: {}", path.display());
    Ok(())
}

fn print_table(cells: &[Cell]) {
    println!();
    println!(
        "{:<18} {:<10} {:>7} {:>14} {:>12} {:>12} {:>7}",
        "operation", "backend", "batch", "items/s", "µs/item", "ms/call", "cv %"
    );
    for c in cells {
        let head = format!("{:<18} {:<10} {:>7}", c.op.name(), c.backend.name(), c.batch);
        match (c.status, c.items_per_s, c.ms_per_call, c.cv) {
            (CellStatus::Measured, Some(rate), Some(ms), Some(cv)) => println!(
                "{head} {:>14.0} {:>12.2} {:>12.3} {:>7.1}",
                rate,
                1e6 / rate.max(f64::MIN_POSITIVE),
                ms,
                cv * 100.0
            ),
            _ => println!("{head} {:>14}", "not timed (a pairing: CPU only)"),
        }
    }
}

/// The projection lines under the table: labelled as projections, with the counts they divide by.
fn print_projections(projections: &[Projection], error: Option<&str>) {
    if let Some(e) = error {
        println!("  projection: none ({e})");
    }
    if projections.is_empty() {
        return;
    }
    println!();
    for p in projections {
        let c = &p.per_item;
        println!(
            "  projection (not measured): {} on {} ≈ {} items/s from {} mul32 + {} add32 + {} shift/mask + {} \
             compare/select per item",
            p.operation,
            p.device,
            group_thousands(p.verifies_per_s),
            group_thousands(c.mul32 as f64),
            group_thousands(c.add32 as f64),
            group_thousands(c.logic32 as f64),
            group_thousands(c.other as f64)
        );
    }
    if let Some(p) = projections.first() {
        println!(
            "    ({}; counted from the generated WGSL as written; not counted: the host's SHA-512 (Ed25519) and \
             decompression (BLS), and the BLS interpreter's instruction decode and register traffic)",
            p.label
        );
    }
}

/// `1234567.8` → `1,234,568`.
fn group_thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_devices_and_numbers() {
        assert_eq!(projection_devices(&[]).iter().map(|d| d.key).collect::<Vec<_>>(), ["h100-sxm"]);
        assert_eq!(projection_devices(&["all".into()]).len(), DEVICES.len());
        let named = projection_devices(&["L4".into(), "h100".into(), "l4".into()]);
        assert_eq!(named.iter().map(|d| d.key).collect::<Vec<_>>(), ["l4", "h100-sxm"]);
        assert!(parse_projection_device("tpu-v5").is_err());
        assert!(parse_projection_device("a100").is_ok());
        assert_eq!(group_thousands(4_994_337.4), "4,994,337");
        assert_eq!(group_thousands(999.0), "999");
    }
}
