//! Test helpers: a device or a clean, explained skip; deterministic pseudo-random words.

use crate::GpuError;
use crate::gpu::Gpu;

/// A device on the default adapter, or `None` (with the reason printed) when this machine has no
/// adapter (or none matching `WGPU_ADAPTER_NAME`). Any other failure is a test failure.
pub(crate) fn test_gpu() -> Option<Gpu> {
    match Gpu::open(None, "hsbench ed25519 test") {
        Ok(g) => {
            println!("adapter: {}", g.report.summary());
            Some(g)
        }
        Err(e @ (GpuError::NoAdapter { .. } | GpuError::NoMatchingAdapter { .. })) => {
            println!("skipped: {e}");
            None
        }
        Err(e) => panic!("device creation failed on an existing adapter: {e}"),
    }
}

/// splitmix64 stream, so failures reproduce.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for c in b.chunks_exact_mut(8) {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        b
    }
}

/// 32 little-endian bytes as 8 words.
pub(crate) fn to_words(b: &[u8; 32]) -> [u32; 8] {
    let mut w = [0u32; 8];
    for (i, x) in w.iter_mut().enumerate() {
        *x = u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    }
    w
}

/// 8 words as 32 little-endian bytes.
pub(crate) fn to_bytes(w: &[u32]) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, x) in w.iter().take(8).enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&x.to_le_bytes());
    }
    b
}
