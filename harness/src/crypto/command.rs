//! What `hsbench crypto` does: the crypto sweep (backend × batch size × operation), a table on stdout, the CPU/GPU
//! crossover per operation, and a JSON result; below the table, a labelled projection (not a measurement) of the
//! GPU kernels on named GPUs from their counted integer operations (`hsbench_kernels::cost`).

use super::{Cell, CellStatus, Crossover, Op, SweepSettings};
use crate::backends::{self, BackendName, Built};
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

/// What to sweep, with what, and where the result goes (the command line's choices).
#[derive(Clone, Debug)]
pub struct CryptoRequest {
    /// Backends (empty: cpu, cpu-batch, cpu-par, and gpu when an adapter exists).
    pub backends: Vec<BackendName>,
    /// Batch sizes (empty: [`super::default_batch_sizes`]).
    pub batch_sizes: Vec<usize>,
    /// Operations (empty: all).
    pub ops: Vec<Op>,
    /// Timed repeats per cell.
    pub repeats: u32,
    /// Least time per repeat (ms).
    pub min_time_ms: u64,
    /// The `[crypto]` section (GPU batch, depth, adapter).
    pub crypto: backends::CryptoConfig,
    /// Where that section came from.
    pub config_origin: String,
    /// Folder the result JSON is written to.
    pub out: PathBuf,
    /// No progress bar.
    pub quiet: bool,
    /// GPUs to project the kernels onto (`all`, or keys of `hsbench_kernels::cost::DEVICES`; empty: the first).
    pub project: Vec<String>,
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
fn gpu_projections(gpus: &[String], ops: &[Op]) -> (Vec<Projection>, Option<String>) {
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
    let devices = projection_devices(gpus);
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
    /// ed25519-dalek's own `verify_batch` on the same fixture and batch sizes, for the ratio to `cpu-batch`.
    pub dalek: Vec<super::DalekReference>,
    /// The Ed25519 key cache over the sweep (CPU backends decode a sender's key once while it stays cached).
    pub key_cache: hsbench_engine::crypto::KeyCacheStats,
    /// Projected GPU Ed25519 throughput on named GPUs from the kernel's counted 32-bit integer operations —
    /// each entry's `label` says it: a projection from integer throughput, not a measurement.
    pub projections: Vec<Projection>,
}

/// Builds the backends (gpu left out of a default list, with the reason, when there is no adapter).
fn build_backends(
    asked: &[BackendName],
    crypto: &backends::CryptoConfig,
) -> anyhow::Result<(Vec<BackendName>, Vec<Built>, Option<String>)> {
    let explicit = !asked.is_empty();
    let names = if explicit { asked.to_vec() } else { BackendName::ALL.to_vec() };
    let (mut kept, mut built, mut skipped) = (Vec::new(), Vec::new(), None);
    for name in names {
        match backends::build(name, crypto) {
            Ok(b) => {
                kept.push(name);
                built.push(b);
            }
            Err(e) if !explicit && name == BackendName::Gpu => skipped = Some(crate::cmd::one_line(&e)),
            Err(e) => return Err(e),
        }
    }
    Ok((kept, built, skipped))
}

/// Runs the sweep, prints the table and crossovers, writes the JSON.
pub fn execute(req: &CryptoRequest) -> anyhow::Result<()> {
    let (names, built, gpu_skipped) = build_backends(&req.backends, &req.crypto)?;
    let settings = SweepSettings {
        backends: names,
        batch_sizes: if req.batch_sizes.is_empty() { super::default_batch_sizes() } else { req.batch_sizes.clone() },
        ops: if req.ops.is_empty() { Op::ALL.to_vec() } else { req.ops.clone() },
        repeats: req.repeats.max(1),
        min_time_ms: req.min_time_ms,
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
    let ui = Ui::detect(req.quiet);
    let bar = progress_bar(ui.progress, "crypto", "{prefix:>9} [{bar:30}] {pos}/{len} {msg}");
    bar.set_length((settings.ops.len() * settings.batch_sizes.len() * built.len()) as u64);
    let cells = super::sweep(&settings, &built, |c| {
        bar.set_message(format!("{} {} batch {}", c.op, c.backend, c.batch));
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    let crossovers = super::crossovers(&settings.ops, &cells);
    print_table(&cells);
    print_gpu_phases(&cells);
    println!();
    for x in &crossovers {
        let label = gpu.as_ref().filter(|_| x.op.on_gpu()).map(|g| format!(" ({})", g.label)).unwrap_or_default();
        println!("  crossover {:<18} {}{label}", x.op.name(), x.note);
    }
    let dalek = super::dalek_reference(&settings, &cells)?;
    for d in &dalek {
        let ratio = d.cpu_batch_ratio.map_or_else(String::new, |r| format!(" · cpu-batch ÷ it = {r:.2}×"));
        println!(
            "  reference ed25519_dalek::verify_batch (cofactorless, lenient: not the rule) batch {:>6}: {:>10.0} \
             verifies/s (cv {:.1} %){ratio}",
            d.batch,
            d.items_per_s,
            d.cv * 100.0
        );
    }
    let key_cache = hsbench_engine::crypto::key_cache_stats();
    println!(
        "  ed25519 key cache {} hits, {} misses over the sweep ({} of {} keys held): the fixture's {} keys repeat, as \
         senders do",
        key_cache.hits,
        key_cache.misses,
        key_cache.held,
        hsbench_engine::crypto::KEY_CACHE_CAPACITY,
        super::ops::DISTINCT_ED25519_KEYS
    );
    let (projections, projection_error) = gpu_projections(&req.project, &settings.ops);
    print_projections(&projections, projection_error.as_deref());
    let names: Vec<&str> = settings.backends.iter().map(|b| b.name()).collect();
    let settings_json = serde_json::to_string(&settings).context("cannot encode the sweep settings")?;
    let mut fingerprint = Fingerprint::collect(&settings_json, 0, &names.join(","));
    fingerprint.repeats = settings.repeats;
    let descriptions = built.iter().map(|b| b.description.clone()).collect();
    let header = ResultHeader { kind: "crypto", mode: None, started_unix_s, config_origin: req.config_origin.clone() };
    let metrics =
        CryptoMetrics { cells, crossovers, gpu, gpu_skipped, backends: descriptions, projections, key_cache, dalek };
    let path = result::write_result(&req.out, header, fingerprint, &settings, &metrics)?;
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

/// Under the table, for each gpu Ed25519 cell: where a dispatching call's time went per item verified on the device
/// — the host's share (byte checks and packing, and the challenge unless the kernel computes it), upload, compute
/// as the host waits for it, readback — so the host share the `gpu_hash_on_device` switch moves is in the table's
/// own output, not only in the JSON.
fn print_gpu_phases(cells: &[Cell]) {
    for line in gpu_phase_lines(cells) {
        println!("{line}");
    }
}

/// The lines of [`print_gpu_phases`].
fn gpu_phase_lines(cells: &[Cell]) -> Vec<String> {
    let mut lines = Vec::new();
    for c in cells.iter().filter(|c| c.op == Op::Ed25519Verify) {
        let Some(g) = c.gpu.as_ref() else { continue };
        let Some([host, upload, compute, readback]) = g.ed25519_phases_us_per_item() else { continue };
        lines.push(format!(
            "  gpu phases ed25519-verify batch {:>6}: host {host:.2} · upload {upload:.2} · compute {compute:.2} · \
             readback {readback:.2} µs per item ({} items on the device)",
            c.batch, g.gpu_items
        ));
    }
    lines
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
            "    ({}; counted from the generated WGSL as written, the Ed25519 kernel with the challenge from the host; \
             not counted: SHA-512 and the reduction mod L (Ed25519, on the host or with gpu_hash_on_device in the \
             kernel), decompression (BLS), and the BLS interpreter's instruction decode and register traffic)",
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
    fn gpu_phases_are_per_item_on_the_device_and_only_for_gpu_ed25519_cells() {
        let cell = |op: Op, gpu: Option<hsbench_kernels::GpuStats>| Cell {
            op,
            backend: if gpu.is_some() { BackendName::Gpu } else { BackendName::CPU_BATCH },
            batch: 256,
            status: CellStatus::Measured,
            items_per_s: Some(1.0),
            ms_per_call: Some(1.0),
            cv: Some(0.0),
            calls: 2,
            gpu,
        };
        let stats = hsbench_kernels::GpuStats {
            gpu_items: 400,
            ed25519_host_us: 150,
            ed25519_upload_us: 40,
            ed25519_compute_us: 60_000,
            ed25519_readback_us: 4,
            ..Default::default()
        };
        let idle = hsbench_kernels::GpuStats::default();
        let cells = [
            cell(Op::Ed25519Verify, Some(stats.clone())),
            cell(Op::Ed25519Verify, None),
            cell(Op::Ed25519Verify, Some(idle)),
            cell(Op::G1Aggregate, Some(stats)),
        ];
        let lines = gpu_phase_lines(&cells);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(
            lines[0],
            "  gpu phases ed25519-verify batch    256: host 0.38 · upload 0.10 · compute 150.00 · readback 0.01 µs per \
             item (400 items on the device)"
        );
    }

    #[test]
    fn projection_devices_and_numbers() {
        assert_eq!(projection_devices(&[]).iter().map(|d| d.key).collect::<Vec<_>>(), ["h100-sxm"]);
        assert_eq!(projection_devices(&["all".into()]).len(), DEVICES.len());
        let named = projection_devices(&["L4".into(), "h100".into(), "l4".into()]);
        assert_eq!(named.iter().map(|d| d.key).collect::<Vec<_>>(), ["l4", "h100-sxm"]);
        assert_eq!(group_thousands(4_994_337.4), "4,994,337");
        assert_eq!(group_thousands(999.0), "999");
    }
}
