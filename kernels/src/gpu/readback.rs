//! Bounded waits for the GPU and readback of mapped buffers, for every kernel and the self-test.

use std::sync::mpsc;
use std::time::Duration;

use crate::GpuError;

/// Longest any kernel waits for the GPU at one point. Generous: lavapipe JIT-compiles a big
/// shader at its first dispatch (seconds), and a slow CI machine may be shared.
pub(crate) const WAIT: Duration = Duration::from_secs(300);

/// Waits (bounded by [`WAIT`]) for all submitted work.
pub(crate) fn wait(device: &wgpu::Device, stage: &'static str) -> Result<(), GpuError> {
    device.poll(wgpu::PollType::Wait { submission_index: None, timeout: Some(WAIT) }).map(|_| ()).map_err(|e| match e {
        wgpu::PollError::Timeout => GpuError::Timeout { stage, seconds: WAIT.as_secs() },
        other => GpuError::Readback { stage, message: other.to_string() },
    })
}

/// Maps the first `len` bytes of each `(buffer, len)` for reading, waits (bounded), and returns
/// copies. Unmaps them afterwards so they can be reused.
pub(crate) fn read_back(
    device: &wgpu::Device,
    buffers: &[(&wgpu::Buffer, u64)],
    stage: &'static str,
) -> Result<Vec<Vec<u8>>, GpuError> {
    let (tx, rx) = mpsc::channel();
    for (i, (buf, len)) in buffers.iter().enumerate() {
        let tx = tx.clone();
        buf.slice(..*len).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send((i, r));
        });
    }
    drop(tx);
    wait(device, stage)?;
    for _ in buffers {
        match rx.try_recv() {
            Ok((_, Ok(()))) => {}
            Ok((i, Err(e))) => {
                return Err(GpuError::Readback { stage, message: format!("mapping buffer {i}: {e}") });
            }
            Err(_) => {
                return Err(GpuError::Readback {
                    stage,
                    message: "map callback did not run after the device finished".to_string(),
                });
            }
        }
    }
    let mut out = Vec::with_capacity(buffers.len());
    for (buf, len) in buffers {
        let view =
            buf.slice(..*len).get_mapped_range().map_err(|e| GpuError::Readback { stage, message: e.to_string() })?;
        out.push(view.to_vec());
        drop(view);
        buf.unmap();
    }
    Ok(out)
}

/// Decodes little-endian u32 words (mapped copies carry no alignment guarantee: decode, don't cast).
pub(crate) fn words(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}
