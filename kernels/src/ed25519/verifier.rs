//! [`GpuEd25519Verifier`]: batch Ed25519 verification with exactly the engine's verdicts.

use std::time::Instant;

use super::host::{prepare, prepare_for_device_hash};
use super::wgsl_gen::entry::{Challenge, verify_shader};
use crate::gpu::{Gpu, Kernel, ms};
use crate::{AdapterReport, GpuError};

/// One item to verify: public key `A`, message, signature `R ‖ S`.
pub type Ed25519GpuItem<'a> = ([u8; 32], &'a [u8], [u8; 64]);

/// Where the time of one [`GpuEd25519Verifier::verify_batch`] went (wall clock on the calling thread, ms). A
/// dispatch is one submission on its own slot; other threads' calls may run on the device meanwhile, so the
/// device phases of concurrent calls overlap and do not add up to wall time.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct GpuTimings {
    /// Items in the batch.
    pub items: usize,
    /// Items that passed the host's byte checks and went to the GPU.
    pub gpu_items: usize,
    /// Host share: `S < L` and canonical `A`/`R` checks, digit recoding and packing, and — unless the kernel
    /// computes it (`hash_on_device`; then only for messages over 192 bytes) — `k = SHA-512(R ‖ A ‖ M) mod L`
    /// (single thread).
    pub host_ms: f64,
    /// Waiting for a free dispatch slot (0 unless other threads' calls had taken all of the kernel's slots).
    pub slot_wait_ms: f64,
    /// Writing the item words (`queue.write_buffer`), encoding clear + dispatch + copy-to-staging in one
    /// command buffer and submitting it (a slot's first call also makes its buffers).
    pub upload_ms: f64,
    /// Submit until this call's own submission completed (a wait for it alone): device time as the host
    /// sees it, including queueing behind other calls' submissions and, on the first call, the driver's JIT
    /// (lavapipe compiles at first dispatch).
    pub compute_ms: f64,
    /// Collecting the staging buffer's map callback, copying the verdicts out and unmapping.
    pub readback_ms: f64,
    /// Kernel time on the GPU clock (timestamp queries), when the adapter has them.
    pub kernel_gpu_ms: Option<f64>,
}

/// Ed25519 batch verifier on a GPU (or lavapipe) under the engine's `ED25519_RULE`: canonical `A`
/// and `R` (`y < p`, sign bit clear when `x = 0`), `S < L`, and the cofactored equation
/// `[8]([S]B - [k]A - R) = 0` with `k = SHA-512(R ‖ A ‖ M) mod L`. Small-order and mixed-order
/// `A`/`R` are not rejected by the rule. The byte checks and `k` are done on the host, decompression
/// (the curve check) and the equation on the GPU, one thread per item.
///
/// The pipeline is compiled once in [`GpuEd25519Verifier::new`]; buffers are kept and grown as
/// needed. Calls on one verifier from several threads run concurrently, each dispatch on its own slot of
/// buffers (at most four per verifier).
pub struct GpuEd25519Verifier {
    gpu: Gpu,
    kernel: Kernel,
    workgroup: u32,
    challenge_by: Challenge,
    pipeline_ms: f64,
}

/// How a [`GpuEd25519Verifier`]'s kernel is built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ed25519KernelOptions {
    /// Threads per workgroup (`None`: the adapter's [`AdapterReport::default_workgroup`]).
    pub workgroup: Option<u32>,
    /// The kernel computes `k = SHA-512(R ‖ A ‖ M) mod L` and its digits for messages of at most 192 bytes (longer
    /// ones are hashed on the host); `false`: the host computes every `k`.
    pub hash_on_device: bool,
}

/// Kernel output values (see the verify shader): 1 accepted, 0 equation failed, bits 1/2: `A`/`R`
/// not on the curve.
fn verdict(word: u32, index: usize) -> Result<bool, GpuError> {
    match word {
        1 => Ok(true),
        0 | 2 | 4 | 6 => Ok(false),
        other => Err(GpuError::Device {
            stage: "ed25519 verdicts",
            message: format!("item {index}: kernel wrote {other:#x}, expected 0, 1, 2, 4 or 6"),
        }),
    }
}

impl GpuEd25519Verifier {
    /// Opens the adapter matching `name_filter` (case-insensitive substring; `None` falls back to
    /// `WGPU_ADAPTER_NAME`, then the most GPU-like adapter), generates and compiles the verify
    /// kernel and uploads the fixed-base table.
    ///
    /// Errors: [`GpuError::NoAdapter`] / [`GpuError::NoMatchingAdapter`] when there is no usable
    /// adapter, [`GpuError::RequestDevice`] or [`GpuError::Device`] when the driver refuses.
    pub fn new(name_filter: Option<&str>) -> Result<Self, GpuError> {
        Self::with_options(name_filter, Ed25519KernelOptions::default())
    }

    /// [`GpuEd25519Verifier::new`] with the kernel built as `options` say.
    ///
    /// Errors: as `new`, and [`GpuError::Device`] when the workgroup size is 0 or above the adapter's limits.
    pub fn with_options(name_filter: Option<&str>, options: Ed25519KernelOptions) -> Result<Self, GpuError> {
        let gpu = Gpu::open(name_filter, "hsbench ed25519 verifier")?;
        let report = &gpu.report;
        let limit = report.max_workgroup();
        let workgroup = options.workgroup.unwrap_or_else(|| report.default_workgroup());
        let challenge_by = if options.hash_on_device { Challenge::Device } else { Challenge::Host };
        if workgroup == 0 || workgroup > limit {
            return Err(GpuError::Device {
                stage: "ed25519 workgroup",
                message: format!("workgroup size {workgroup} is not in 1..={limit} on {}", report.summary()),
            });
        }
        let t = Instant::now();
        let kernel = Kernel::new(
            &gpu,
            "ed25519 verify",
            &verify_shader(workgroup, challenge_by),
            "verify",
            workgroup,
            Some(&challenge_by.table()),
            challenge_by.item_words() as u32,
            1,
        )?;
        Ok(Self { gpu, kernel, workgroup, challenge_by, pipeline_ms: ms(t.elapsed()) })
    }

    /// Whether the kernel computes `k` (messages of at most 192 bytes).
    pub fn hash_on_device(&self) -> bool {
        self.challenge_by == Challenge::Device
    }

    /// Threads per workgroup of the verify kernel.
    pub fn workgroup(&self) -> u32 {
        self.workgroup
    }

    /// The adapter in use.
    pub fn adapter(&self) -> &AdapterReport {
        &self.gpu.report
    }

    /// Shader generation + module + pipeline creation time in [`GpuEd25519Verifier::new`], ms
    /// (the driver's JIT may come later, at the first dispatch).
    pub fn pipeline_ms(&self) -> f64 {
        self.pipeline_ms
    }

    /// On a CPU-emulated adapter (lavapipe), the CPU time its driver threads for this verifier's device have
    /// used so far, ms (the emulated GPU's work, on threads of its own); `None` on a real GPU.
    pub fn driver_cpu_ms(&self) -> Option<f64> {
        self.gpu.driver_cpu_ms()
    }

    /// Most dispatches in flight at once on this verifier (slots taken at the same time) since it was built or
    /// [`GpuEd25519Verifier::reset_slot_high_water`]: above one, calls overlapped.
    pub fn slot_high_water(&self) -> usize {
        self.kernel.slot_high_water()
    }

    /// Restarts [`GpuEd25519Verifier::slot_high_water`] (between measurement cells).
    pub fn reset_slot_high_water(&self) {
        self.kernel.reset_slot_high_water();
    }

    /// Per-item verdicts under the rule, in input order, and where the time went. Items the host
    /// rejects on their bytes never reach the GPU; an empty batch (or one the host rejects
    /// entirely) makes no GPU call.
    pub fn verify_batch(&self, items: &[Ed25519GpuItem<'_>]) -> Result<(Vec<bool>, GpuTimings), GpuError> {
        let mut timings = GpuTimings { items: items.len(), ..Default::default() };
        let t = Instant::now();
        let mut words = Vec::with_capacity(items.len() * self.challenge_by.item_words());
        let mut positions = Vec::with_capacity(items.len());
        for (i, (pk, msg, sig)) in items.iter().enumerate() {
            let prepared = match self.challenge_by {
                Challenge::Host => prepare(pk, msg, sig).map(|w| words.extend_from_slice(&w)),
                Challenge::Device => prepare_for_device_hash(pk, msg, sig).map(|w| words.extend_from_slice(&w)),
            };
            if prepared.is_some() {
                positions.push(i);
            }
        }
        timings.host_ms = ms(t.elapsed());
        timings.gpu_items = positions.len();
        let mut verdicts = vec![false; items.len()];
        if positions.is_empty() {
            return Ok((verdicts, timings));
        }
        let n = u32::try_from(positions.len()).map_err(|_| GpuError::Device {
            stage: "ed25519 batch",
            message: format!("batch of {} items exceeds u32", positions.len()),
        })?;
        let (out, run) = self.kernel.run(&self.gpu, &words, n)?;
        timings.slot_wait_ms = run.slot_wait_ms;
        timings.upload_ms = run.upload_ms;
        timings.compute_ms = run.compute_ms;
        timings.readback_ms = run.readback_ms;
        timings.kernel_gpu_ms = run.kernel_gpu_ms;
        if out.len() != positions.len() {
            return Err(GpuError::Readback {
                stage: "ed25519 verdicts",
                message: format!("{} verdicts for {} items", out.len(), positions.len()),
            });
        }
        for (k, (&pos, &word)) in positions.iter().zip(&out).enumerate() {
            verdicts[pos] = verdict(word, k)?;
        }
        Ok((verdicts, timings))
    }
}
