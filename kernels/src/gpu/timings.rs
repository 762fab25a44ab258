//! Where a kernel call's time goes: host wall-clock phases and, where the adapter has timestamp queries,
//! the kernel's own GPU time.

use std::time::Duration;

/// Milliseconds in `d`.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Wall-clock phases of one [`Kernel::run`], in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunTimings {
    pub upload_ms: f64,
    pub compute_ms: f64,
    pub readback_ms: f64,
    pub kernel_gpu_ms: Option<f64>,
}

/// Milliseconds between the first two timestamps in a resolved query buffer (`period_ns` per tick).
pub(crate) fn timestamp_ms(raw: &[u8], period_ns: f32) -> Option<f64> {
    let tick =
        |k: usize| raw.get(8 * k..8 * k + 8).map(|b| b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)));
    let (a, b) = (tick(0)?, tick(1)?);
    Some(b.saturating_sub(a) as f64 * f64::from(period_ns) / 1e6)
}
