//! Bounded waits for the GPU and readback of mapped buffers, for every kernel and the self-test.
//!
//! A kernel dispatch maps its staging buffers right after submitting ([`map_for_read`]), waits for its own
//! submission only ([`wait_for`] with `Some(index)`), then copies the mapped bytes out ([`Mapping::copy_out`]);
//! so several threads on one device each wait for their own work, not for everybody's.

use std::sync::mpsc;
use std::time::Duration;

use crate::GpuError;

/// Longest any kernel waits for the GPU at one point. Generous: lavapipe JIT-compiles a big
/// shader at its first dispatch (seconds), and a slow CI machine may be shared.
pub(crate) const WAIT: Duration = Duration::from_secs(300);

/// Waits (bounded by [`WAIT`]) for submission `index`, or for all submitted work when `None`.
pub(crate) fn wait_for(
    device: &wgpu::Device,
    index: Option<wgpu::SubmissionIndex>,
    stage: &'static str,
) -> Result<(), GpuError> {
    device.poll(wgpu::PollType::Wait { submission_index: index, timeout: Some(WAIT) }).map(|_| ()).map_err(
        |e| match e {
            wgpu::PollError::Timeout => GpuError::Timeout { stage, seconds: WAIT.as_secs() },
            other => GpuError::Readback { stage, message: other.to_string() },
        },
    )
}

/// Waits (bounded by [`WAIT`]) for all submitted work.
pub(crate) fn wait(device: &wgpu::Device, stage: &'static str) -> Result<(), GpuError> {
    wait_for(device, None, stage)
}

/// Buffers whose mapping for reading was requested ([`map_for_read`]) and whose callbacks report here.
pub(crate) struct Mapping<'a> {
    buffers: &'a [(&'a wgpu::Buffer, u64)],
    done: mpsc::Receiver<(usize, Result<(), wgpu::BufferAsyncError>)>,
}

/// Requests the mapping of the first `len` bytes of each `(buffer, len)` for reading. Call it after the
/// submission that writes them; the mapping completes when that submission has (see [`wait_for`]).
pub(crate) fn map_for_read<'a>(buffers: &'a [(&'a wgpu::Buffer, u64)]) -> Mapping<'a> {
    let (tx, done) = mpsc::channel();
    for (i, (buf, len)) in buffers.iter().enumerate() {
        let tx = tx.clone();
        buf.slice(..*len).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send((i, r));
        });
    }
    Mapping { buffers, done }
}

impl Mapping<'_> {
    /// After the writing submission completed: waits (bounded by [`WAIT`]) for each map callback — another
    /// thread's poll may be the one running it — and returns copies of the mapped bytes, unmapping the buffers
    /// so they can be reused.
    pub(crate) fn copy_out(self, stage: &'static str) -> Result<Vec<Vec<u8>>, GpuError> {
        for _ in self.buffers {
            match self.done.recv_timeout(WAIT) {
                Ok((_, Ok(()))) => {}
                Ok((i, Err(e))) => {
                    return Err(GpuError::Readback { stage, message: format!("mapping buffer {i}: {e}") });
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(GpuError::Timeout { stage, seconds: WAIT.as_secs() });
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(GpuError::Readback {
                        stage,
                        message: "a map callback was dropped without running".to_string(),
                    });
                }
            }
        }
        let mut out = Vec::with_capacity(self.buffers.len());
        for (buf, len) in self.buffers {
            let view = buf
                .slice(..*len)
                .get_mapped_range()
                .map_err(|e| GpuError::Readback { stage, message: e.to_string() })?;
            out.push(view.to_vec());
            drop(view);
            buf.unmap();
        }
        Ok(out)
    }
}

/// Maps the first `len` bytes of each `(buffer, len)` for reading, waits (bounded) for all submitted work, and
/// returns copies (the self-test's one-thread readback). Unmaps them afterwards so they can be reused.
pub(crate) fn read_back(
    device: &wgpu::Device,
    buffers: &[(&wgpu::Buffer, u64)],
    stage: &'static str,
) -> Result<Vec<Vec<u8>>, GpuError> {
    let mapping = map_for_read(buffers);
    wait(device, stage)?;
    mapping.copy_out(stage)
}

/// Decodes little-endian u32 words (mapped copies carry no alignment guarantee: decode, don't cast).
pub(crate) fn words(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}
