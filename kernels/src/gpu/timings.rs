//! Where a kernel call's time goes: host wall-clock phases and, where the adapter has timestamp queries,
//! the kernel's own GPU time.

use std::time::Duration;

/// Milliseconds in `d`.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Wall-clock phases of one [`super::Kernel::run`] as seen by the calling thread, in milliseconds (summed
/// over the dispatches of a split call). Each dispatch is one submission: the phases follow it from taking a
/// slot to its results copied out, and other threads' dispatches on the same device may run meanwhile.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunTimings {
    /// Waiting for a free dispatch slot (0 unless all of the kernel's slots were busy).
    pub slot_wait_ms: f64,
    /// Writing the inputs (`queue.write_buffer`), encoding clear + dispatch + copies, and submitting (on the
    /// first call of a slot, also making its buffers).
    pub upload_ms: f64,
    /// From submit until our submission completed (one bounded wait for that submission only): device time
    /// as the host sees it, queueing behind other submissions and the driver's JIT on the first call included.
    pub compute_ms: f64,
    /// Collecting the map callbacks, copying the mapped results out and unmapping.
    pub readback_ms: f64,
    /// The compute pass on the GPU clock (timestamp queries), when the adapter has them.
    pub kernel_gpu_ms: Option<f64>,
}

impl RunTimings {
    /// The phases of consecutive dispatches added (the GPU time only when every part has it).
    pub fn sum(parts: &[RunTimings]) -> RunTimings {
        let sum = |f: fn(&RunTimings) -> f64| parts.iter().map(f).sum::<f64>();
        RunTimings {
            slot_wait_ms: sum(|t| t.slot_wait_ms),
            upload_ms: sum(|t| t.upload_ms),
            compute_ms: sum(|t| t.compute_ms),
            readback_ms: sum(|t| t.readback_ms),
            kernel_gpu_ms: parts.iter().map(|t| t.kernel_gpu_ms).sum::<Option<f64>>(),
        }
    }
}

/// Milliseconds between the first two timestamps in a resolved query buffer (`period_ns` per tick).
pub(crate) fn timestamp_ms(raw: &[u8], period_ns: f32) -> Option<f64> {
    let tick =
        |k: usize| raw.get(8 * k..8 * k + 8).map(|b| b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)));
    let (a, b) = (tick(0)?, tick(1)?);
    Some(b.saturating_sub(a) as f64 * f64::from(period_ns) / 1e6)
}
