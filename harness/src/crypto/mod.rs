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

/// Times `prepared` on `built`: one warm-up call, then `settings.repeats` repeats.
fn measure(
    prepared: &ops::Prepared<'_>,
    built: &Built,
    batch: usize,
    settings: &SweepSettings,
) -> anyhow::Result<(f64, f64, f64, u64)> {
    let backend = built.backend.as_ref();
    prepared.run(backend)?;
    let min_time = Duration::from_millis(settings.min_time_ms);
    let mut rates = Vec::new();
    let mut total_calls = 0u64;
    let mut total_time = 0.0;
    for _ in 0..settings.repeats.max(1) {
        let start = Instant::now();
        let mut calls = 0u64;
        loop {
            prepared.run(backend)?;
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
                    let (rate, ms, cv, calls) = measure(&prepared, built, batch, settings)?;
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
    }
}
