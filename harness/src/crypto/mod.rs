//! `hsbench crypto`: the sweep (backend × batch size × operation, warm-up call excluded, repeats with CV) and the
//! CPU/GPU crossover batch size per operation; [`command`] runs it, prints it and writes the result.

pub mod command;
mod crossover;
pub mod ops;

pub use crossover::{Crossover, crossovers};
pub use ops::Op;

use crate::backends::{BackendName, Built};
use hsbench_kernels::GpuStats;
use serde::Serialize;
use std::time::{Duration, Instant};

/// The default batch sizes: powers of 4 from 1 to 65,536.
pub fn default_batch_sizes() -> Vec<usize> {
    (0..=8).map(|k| 1usize << (2 * k)).collect()
}

/// What a sweep measures and how long.
#[derive(Clone, Debug, Serialize)]
pub struct SweepSettings {
    /// Backends, in table order.
    pub backends: Vec<BackendName>,
    /// Batch sizes (items per call).
    pub batch_sizes: Vec<usize>,
    /// Operations.
    pub ops: Vec<Op>,
    /// Timed repeats per cell (after one untimed warm-up call).
    pub repeats: u32,
    /// Each repeat calls the operation until this much time has passed (at least once), ms.
    pub min_time_ms: u64,
}

/// Whether a cell was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellStatus {
    /// Timed.
    Measured,
    /// The backend has no kernel for the operation (gpu × BLS): not timed, not faked.
    NotImplemented,
}

/// One (operation, backend, batch size) cell.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    /// The operation.
    pub op: Op,
    /// The backend.
    pub backend: BackendName,
    /// Items per call.
    pub batch: usize,
    /// Measured or not implemented.
    pub status: CellStatus,
    /// Mean items per second over the repeats.
    pub items_per_s: Option<f64>,
    /// Mean wall time of one call, ms.
    pub ms_per_call: Option<f64>,
    /// Coefficient of variation of items/s over the repeats (population stddev ÷ mean).
    pub cv: Option<f64>,
    /// Timed calls over all repeats.
    pub calls: u64,
    /// For gpu: what ran where during the cell (warm-up included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuStats>,
}

/// Times `run` (one call of `batch` items): one warm-up call, then `settings.repeats` repeats; returns items/s
/// (mean over the repeats), ms per call, CV and the timed calls.
fn measure(
    mut run: impl FnMut() -> anyhow::Result<()>,
    batch: usize,
    settings: &SweepSettings,
) -> anyhow::Result<(f64, f64, f64, u64)> {
    run()?;
    let min_time = Duration::from_millis(settings.min_time_ms);
    let mut rates = Vec::new();
    let mut total_calls = 0u64;
    let mut total_time = 0.0;
    for _ in 0..settings.repeats.max(1) {
        let start = Instant::now();
        let mut calls = 0u64;
        loop {
            run()?;
            calls += 1;
            if start.elapsed() >= min_time {
                break;
            }
        }
        let secs = start.elapsed().as_secs_f64().max(1e-9);
        rates.push(calls as f64 * batch as f64 / secs);
        total_calls += calls;
        total_time += secs;
    }
    let (mean, cv) = crate::ceiling::search::mean_cv(&rates);
    Ok((mean, total_time * 1e3 / total_calls.max(1) as f64, cv, total_calls))
}

/// ed25519-dalek's own `verify_batch` at one batch size, timed like a cell on the same fixture: the reference the
/// strict `cpu-batch` is compared with. It is not a backend — it checks the cofactorless equation and decodes
/// leniently, so its verdicts differ from the rule on edge cases (`engine/tests/crypto_vectors.rs`).
#[derive(Clone, Debug, Serialize)]
pub struct DalekReference {
    /// Items per call.
    pub batch: usize,
    /// Mean verifies per second over the repeats.
    pub items_per_s: f64,
    /// Coefficient of variation over the repeats.
    pub cv: f64,
    /// `cpu-batch` items/s at this batch size ÷ this (absent when cpu-batch was not in the sweep).
    pub cpu_batch_ratio: Option<f64>,
}

/// [`DalekReference`] rows for the sweep's Ed25519 batch sizes of at least 2 (none when Ed25519 is not swept).
pub fn dalek_reference(settings: &SweepSettings, cells: &[Cell]) -> anyhow::Result<Vec<DalekReference>> {
    if !settings.ops.contains(&Op::Ed25519Verify) {
        return Ok(Vec::new());
    }
    let max = settings.batch_sizes.iter().copied().max().unwrap_or(0);
    let fixture = ops::Fixture::new(max, true, false)?;
    let mut rows = Vec::new();
    for &batch in settings.batch_sizes.iter().filter(|&&b| b >= 2) {
        let items = &fixture.ed25519()[..batch];
        let messages: Vec<&[u8]> = items.iter().map(|(_, m, _)| m.as_slice()).collect();
        let signatures: Vec<ed25519_dalek::Signature> =
            items.iter().map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(s)).collect();
        let keys = items
            .iter()
            .map(|(k, _, _)| ed25519_dalek::VerifyingKey::from_bytes(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("fixture key: {e}"))?;
        let run = || {
            ed25519_dalek::verify_batch(&messages, &signatures, &keys)
                .map_err(|e| anyhow::anyhow!("ed25519_dalek::verify_batch refused valid signatures: {e}"))
        };
        let (rate, _, cv, _) = measure(run, batch, settings)?;
        let cpu_batch =
            cells.iter().find(|c| c.op == Op::Ed25519Verify && c.backend == BackendName::CPU_BATCH && c.batch == batch);
        let cpu_batch_ratio = cpu_batch.and_then(|c| c.items_per_s).map(|r| r / rate);
        rows.push(DalekReference { batch, items_per_s: rate, cv, cpu_batch_ratio });
    }
    Ok(rows)
}

/// Runs every cell of `settings` with `backends` (built in the same order as `settings.backends`), calling
/// `progress` after each. A gpu cell whose dispatches fell back to the CPU is an error.
pub fn sweep(
    settings: &SweepSettings,
    backends: &[Built],
    mut progress: impl FnMut(&Cell),
) -> anyhow::Result<Vec<Cell>> {
    let max = settings.batch_sizes.iter().copied().max().unwrap_or(0);
    let need_ed = settings.ops.contains(&Op::Ed25519Verify);
    let need_bls = settings.ops.iter().any(|o| o.is_bls());
    let fixture = ops::Fixture::new(max, need_ed, need_bls)?;
    let mut cells = Vec::new();
    for &op in &settings.ops {
        for &batch in &settings.batch_sizes {
            let prepared = ops::Prepared::new(op, batch, &fixture)?;
            for (name, built) in settings.backends.iter().zip(backends) {
                let mut cell = Cell {
                    op,
                    backend: *name,
                    batch,
                    status: CellStatus::NotImplemented,
                    items_per_s: None,
                    ms_per_call: None,
                    cv: None,
                    calls: 0,
                    gpu: None,
                };
                if *name != BackendName::Gpu || op.on_gpu() {
                    if let Some(gpu) = &built.gpu {
                        gpu.reset_stats();
                    }
                    let (rate, ms, cv, calls) = measure(|| prepared.run(built.backend.as_ref()), batch, settings)?;
                    cell.status = CellStatus::Measured;
                    (cell.items_per_s, cell.ms_per_call, cell.cv, cell.calls) = (Some(rate), Some(ms), Some(cv), calls);
                    cell.gpu = built.gpu_stats();
                    if let Some(stats) = &cell.gpu {
                        let (on_device, fell_back) = if op.is_bls() {
                            (stats.bls_gpu_items, stats.bls_cpu_fallback_items)
                        } else {
                            (stats.gpu_items, stats.cpu_fallback_items)
                        };
                        if fell_back > 0 || on_device == 0 {
                            anyhow::bail!(
                                "{op} batch {batch}: the gpu backend did not run on the GPU ({on_device} items on the \
                                 device, {fell_back} fell back to the CPU: {})",
                                stats.last_error.clone().unwrap_or_default()
                            );
                        }
                    }
                }
                progress(&cell);
                cells.push(cell);
            }
        }
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::{CryptoConfig, build};

    /// Tiny sweep on cpu-batch and, when an adapter exists, gpu: cells are measured, gpu × pairing (QC verify)
    /// is "not implemented", and the gpu's Ed25519 and BLS-aggregation cells really ran on the device (no silent
    /// CPU fallback).
    #[test]
    fn tiny_sweep_measures_and_gpu_runs_on_the_device() {
        let mut backends = vec![BackendName::CPU_BATCH];
        let mut built = vec![build(BackendName::CPU_BATCH, &CryptoConfig::default()).unwrap()];
        match build(BackendName::Gpu, &CryptoConfig::default()) {
            Ok(gpu) => {
                backends.push(BackendName::Gpu);
                built.push(gpu);
            }
            Err(e) => println!("gpu skipped: {}", crate::cmd::one_line(&e)),
        }
        let settings = SweepSettings {
            backends: backends.clone(),
            batch_sizes: vec![1, 4],
            ops: vec![Op::Ed25519Verify, Op::G1Aggregate, Op::QcVerify],
            repeats: 2,
            min_time_ms: 1,
        };
        let mut seen = 0;
        let cells = sweep(&settings, &built, |_| seen += 1).unwrap();
        assert_eq!((cells.len(), seen), (3 * 2 * backends.len(), cells.len()));
        for c in &cells {
            let expect_measured = c.backend != BackendName::Gpu || c.op.on_gpu();
            assert_eq!(c.status == CellStatus::Measured, expect_measured, "{c:?}");
            if expect_measured {
                assert!(c.items_per_s.is_some_and(|r| r > 0.0) && c.calls >= 2, "{c:?}");
            }
            if c.backend == BackendName::Gpu && c.op.on_gpu() {
                let stats = c.gpu.as_ref().unwrap();
                let (on_device, fell_back) = if c.op.is_bls() {
                    (stats.bls_gpu_items, stats.bls_cpu_fallback_items)
                } else {
                    (stats.gpu_items, stats.cpu_fallback_items)
                };
                assert!(on_device >= c.batch as u64, "gpu cell did not run on the device: {stats:?}");
                assert_eq!(fell_back, 0, "{stats:?}");
            }
        }
        let x = crossovers(&settings.ops, &cells);
        assert_eq!(x.len(), 3);
        assert!(!x[1].note.starts_with("n/a"), "{}", x[1].note);
        assert!(x[2].note.starts_with("n/a"), "{}", x[2].note);
        assert_eq!(default_batch_sizes().first(), Some(&1));
        assert_eq!(default_batch_sizes().last(), Some(&65_536));
        // The dalek reference: one row per Ed25519 batch size ≥ 2, its ratio to cpu-batch from the same cells.
        let reference = dalek_reference(&settings, &cells).unwrap();
        assert_eq!(reference.len(), 1, "{reference:?}");
        let r = &reference[0];
        assert_eq!(r.batch, 4);
        assert!(r.items_per_s > 0.0 && r.cpu_batch_ratio.is_some_and(|x| x > 0.0), "{r:?}");
        let no_ed = SweepSettings { ops: vec![Op::G1Aggregate], ..settings };
        assert!(dalek_reference(&no_ed, &cells).unwrap().is_empty());
    }
}
