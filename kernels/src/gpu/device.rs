//! Device creation on the selected adapter with the adapter's own limits, and shader compilation inside
//! error scopes (so a wgpu validation error becomes a [`GpuError`], not a panic in a callback).

use std::time::Instant;

use super::driver_cpu::{DriverThreads, thread_ids};
use super::timings::ms;
use crate::GpuError;
use crate::probe::{AdapterReport, select};

/// A device and queue on the selected adapter, with what the kernels need to know about it.
pub(crate) struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub report: AdapterReport,
    /// Timestamp queries were requested (the adapter has `TIMESTAMP_QUERY`).
    pub timestamps: bool,
    /// `request_device` wall time.
    pub device_ms: f64,
    /// On a CPU-emulated adapter (lavapipe), the threads its driver started for this device, whose CPU time
    /// is the emulated GPU's work; `None` on a real GPU.
    pub driver_threads: Option<DriverThreads>,
}

impl Gpu {
    /// On a CPU-emulated adapter (lavapipe), the CPU time this device's driver threads have used so far, ms (the
    /// emulated GPU's work, on threads of its own); `None` on a real GPU.
    pub fn driver_cpu_ms(&self) -> Option<f64> {
        self.driver_threads.as_ref().map(DriverThreads::cpu_ms)
    }

    /// Selects the adapter matching `name_filter` (see [`crate::select_adapter`]) and creates a device
    /// with the adapter's full limits (wgpu's defaults allow only 8 storage buffers and 256 MiB
    /// bindings) and timestamp queries when available.
    pub fn open(name_filter: Option<&str>, label: &'static str) -> Result<Self, GpuError> {
        // Mesa's lavapipe starts its threads when the adapter is enumerated (screen creation), so the snapshot
        // comes first; it is kept only for a CPU adapter.
        let before = thread_ids();
        let (adapter, report) = select(name_filter)?;
        let t = Instant::now();
        let timestamps = adapter.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let required_features = if timestamps { wgpu::Features::TIMESTAMP_QUERY } else { wgpu::Features::empty() };
        let cpu_device = report.device_type == "Cpu";
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some(label),
            required_features,
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::RequestDevice { adapter: report.name.clone(), reason: e.to_string() })?;
        // No /proc (not Linux): nothing to measure.
        let driver_threads =
            (cpu_device && !before.is_empty()).then(|| DriverThreads::started_between(&before, &thread_ids()));
        Ok(Self { device, queue, report, timestamps, device_ms: ms(t.elapsed()), driver_threads })
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
