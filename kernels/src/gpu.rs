//! Shared wgpu plumbing for every kernel: device creation with the adapter's own limits, shader
//! compilation inside error scopes, bounded waits and buffer readback. No kernel logic here.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::GpuError;
use crate::probe::{AdapterReport, select};

/// Longest any kernel waits for the GPU at one point. Generous: lavapipe JIT-compiles a big
/// shader at its first dispatch (seconds), and a slow CI machine may be shared.
pub(crate) const WAIT: Duration = Duration::from_secs(300);

/// Milliseconds in `d`.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A device and queue on the selected adapter, with what the kernels need to know about it.
pub(crate) struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub report: AdapterReport,
    /// Timestamp queries were requested (the adapter has `TIMESTAMP_QUERY`).
    pub timestamps: bool,
    /// `request_device` wall time.
    pub device_ms: f64,
}

impl Gpu {
    /// Selects the adapter matching `name_filter` (see [`crate::select_adapter`]) and creates a device
    /// with the adapter's full limits (wgpu's defaults allow only 8 storage buffers and 256 MiB
    /// bindings) and timestamp queries when available.
    pub fn open(name_filter: Option<&str>, label: &'static str) -> Result<Self, GpuError> {
        let (adapter, report) = select(name_filter)?;
        let t = Instant::now();
        let timestamps = adapter.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let required_features = if timestamps { wgpu::Features::TIMESTAMP_QUERY } else { wgpu::Features::empty() };
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some(label),
            required_features,
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::RequestDevice { adapter: report.name.clone(), reason: e.to_string() })?;
        Ok(Self { device, queue, report, timestamps, device_ms: ms(t.elapsed()) })
    }

    /// Compiles `source` and builds a compute pipeline for `entry` (automatic layout).
    pub fn pipeline(&self, label: &'static str, source: &str, entry: &str) -> Result<wgpu::ComputePipeline, GpuError> {
        scoped(&self.device, "shader compilation", || {
            let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
            self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        })
    }
}

/// Runs `f`, turning any wgpu validation/internal/out-of-memory error it causes into a [`GpuError`].
pub(crate) fn scoped<T>(device: &wgpu::Device, stage: &'static str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let out = f();
    // Pop innermost first.
    let errors = [validation.pop(), internal.pop(), oom.pop()];
    for e in errors {
        if let Some(e) = pollster::block_on(e) {
            return Err(GpuError::Device { stage, message: e.to_string() });
        }
    }
    Ok(out)
}

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

/// Milliseconds between the first two timestamps in a resolved query buffer (`period_ns` per tick).
pub(crate) fn timestamp_ms(raw: &[u8], period_ns: f32) -> Option<f64> {
    let tick =
        |k: usize| raw.get(8 * k..8 * k + 8).map(|b| b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)));
    let (a, b) = (tick(0)?, tick(1)?);
    Some(b.saturating_sub(a) as f64 * f64::from(period_ns) / 1e6)
}
