//! Adapter discovery and selection.

use crate::GpuError;
use wgpu::{Backends, DeviceType, DownlevelFlags, Features};

/// What the probe found about one adapter: identity, driver, and the features/limits that matter to
/// the kernels.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdapterReport {
    /// Adapter name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)` or `NVIDIA H100 80GB HBM3`.
    pub name: String,
    /// `vulkan`, `metal`, `dx12`, `gl`.
    pub backend: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` (lavapipe) or `Other`.
    pub device_type: String,
    /// Driver name, e.g. `llvmpipe`.
    pub driver: String,
    /// Driver version text, e.g. `Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)`.
    pub driver_info: String,
    /// `Features::SHADER_INT64` (64-bit integers in WGSL).
    pub shader_int64: bool,
    /// `Features::TIMESTAMP_QUERY` (kernel timing on the GPU clock).
    pub timestamp_query: bool,
    /// `Features::SUBGROUP` (subgroup operations in WGSL).
    pub subgroup: bool,
    /// Largest storage buffer binding, bytes (the adapter's limit, not wgpu's default).
    pub max_storage_buffer_binding_size: u64,
    /// Storage buffers per shader stage (wgpu's default limit is only 8).
    pub max_storage_buffers_per_shader_stage: u32,
    /// Largest workgroup size in x.
    pub max_compute_workgroup_size_x: u32,
    /// Most threads in one workgroup (all dimensions together).
    pub max_compute_invocations_per_workgroup: u32,
    /// Smallest and largest subgroup (warp, wavefront, SIMD width) the driver reports: 32/32 on NVIDIA, 32–64 on
    /// AMD RDNA, 8/8 on lavapipe with AVX2 (wgpu's values; 0 when unknown).
    pub subgroup_min_size: u32,
    /// See `subgroup_min_size`.
    pub subgroup_max_size: u32,
}

impl AdapterReport {
    pub(crate) fn of(adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let features = adapter.features();
        let limits = adapter.limits();
        Self {
            name: info.name,
            backend: info.backend.to_str().to_string(),
            device_type: format!("{:?}", info.device_type),
            driver: info.driver,
            driver_info: info.driver_info,
            shader_int64: features.contains(Features::SHADER_INT64),
            timestamp_query: features.contains(Features::TIMESTAMP_QUERY),
            subgroup: features.contains(Features::SUBGROUP),
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_storage_buffers_per_shader_stage: limits.max_storage_buffers_per_shader_stage,
            max_compute_workgroup_size_x: limits.max_compute_workgroup_size_x,
            max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
            subgroup_min_size: info.subgroup_min_size,
            subgroup_max_size: info.subgroup_max_size,
        }
    }

    /// The workgroup size the kernels use on this adapter unless told otherwise: on a CPU emulation (lavapipe) one
    /// subgroup (it runs a workgroup as SIMD loops on one CPU thread, so small groups spread small batches over
    /// the cores; 8 when unknown); on a GPU two subgroups (64 threads on NVIDIA, 128 on AMD GCN), at least 32 and
    /// at most 256 and the adapter's limits — enough threads to hide latency per group while a register-heavy
    /// kernel still fits several groups per compute unit. A rule, not a measurement: `[crypto] gpu_workgroup`
    /// overrides it for the Ed25519 kernel, and `scripts/gpu-run.sh` sweeps that on the device.
    pub fn default_workgroup(&self) -> u32 {
        let limit = self.max_workgroup().max(1);
        let subgroup = self.subgroup_max_size;
        let size = if self.device_type == "Cpu" {
            if subgroup == 0 { 8 } else { subgroup }
        } else if subgroup == 0 {
            64
        } else {
            (2 * subgroup).clamp(32, 256)
        };
        size.min(limit)
    }

    /// The largest one-dimensional workgroup the adapter allows: its x-size limit and its invocation limit.
    pub fn max_workgroup(&self) -> u32 {
        self.max_compute_workgroup_size_x.min(self.max_compute_invocations_per_workgroup)
    }

    /// `name (backend, device type, driver_info)`, for logs and error messages.
    pub fn summary(&self) -> String {
        let driver = if self.driver_info.is_empty() { &self.driver } else { &self.driver_info };
        format!("{} ({}, {}, {})", self.name, self.backend, self.device_type, driver)
    }
}

/// The backends an instance built by this crate probes: `WGPU_BACKEND` if set, else all.
fn requested_backends() -> Backends {
    wgpu::InstanceDescriptor::new_without_display_handle().with_env().backends
}

/// A wgpu instance honouring the `WGPU_*` environment variables (`WGPU_BACKEND`, `WGPU_VALIDATION`, ...).
fn instance_from_env() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env())
}

fn instance_with(backends: Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle().with_env();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

/// Lowercase names of the backends in `b`, comma-separated; `none` when empty.
pub(crate) fn backend_names(b: Backends) -> String {
    let names: Vec<String> = b.iter_names().map(|(n, _)| n.to_lowercase()).collect();
    if names.is_empty() { "none".to_string() } else { names.join(", ") }
}

/// Describes what was probed, for [`GpuError::NoAdapter`]: the backends both requested and compiled
/// in, plus what was asked for when that differs.
pub(crate) fn describe_probed(requested: Backends) -> String {
    let compiled = wgpu::Instance::enabled_backend_features();
    let probed = requested & compiled;
    let mut s = backend_names(probed);
    if probed != requested && requested != Backends::all() {
        s.push_str(&format!(
            "; requested {} (WGPU_BACKEND), built with {}",
            backend_names(requested),
            backend_names(compiled)
        ));
    }
    s
}

fn enumerate(instance: &wgpu::Instance) -> Vec<wgpu::Adapter> {
    pollster::block_on(instance.enumerate_adapters(Backends::all()))
}

/// Lists the adapters wgpu finds, in enumeration order.
///
/// Honours `WGPU_BACKEND` (which backends to probe). Returns an empty list when there is no usable
/// driver — never panics for lack of a GPU.
pub fn probe_adapters() -> Vec<AdapterReport> {
    enumerate(&instance_from_env()).iter().map(AdapterReport::of).collect()
}

fn type_rank(t: DeviceType) -> u8 {
    match t {
        DeviceType::DiscreteGpu => 0,
        DeviceType::IntegratedGpu => 1,
        DeviceType::VirtualGpu => 2,
        DeviceType::Cpu => 3,
        DeviceType::Other => 4,
    }
}

/// The name filter in effect: the argument if given (and non-empty), else `WGPU_ADAPTER_NAME`.
fn effective_filter(name_filter: Option<&str>) -> Option<String> {
    name_filter
        .map(str::to_string)
        .or_else(|| std::env::var("WGPU_ADAPTER_NAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Picks among `adapters`: compute-capable, name containing the filter (case-insensitive), then the
/// most GPU-like device type (discrete > integrated > virtual > CPU > other), then enumeration order.
pub(crate) fn pick(
    adapters: Vec<wgpu::Adapter>,
    filter: Option<&str>,
    probed: Backends,
) -> Result<(wgpu::Adapter, AdapterReport), GpuError> {
    let usable: Vec<_> = adapters
        .into_iter()
        .filter(|a| a.get_downlevel_capabilities().flags.contains(DownlevelFlags::COMPUTE_SHADERS))
        .map(|a| {
            let r = AdapterReport::of(&a);
            (a, r)
        })
        .collect();
    if usable.is_empty() {
        return Err(GpuError::NoAdapter { backends: describe_probed(probed) });
    }
    let available = usable.iter().map(|(_, r)| r.summary()).collect::<Vec<_>>().join("; ");
    let needle = filter.map(str::to_lowercase);
    usable
        .into_iter()
        .enumerate()
        .filter(|(_, (_, r))| needle.as_deref().is_none_or(|n| r.name.to_lowercase().contains(n)))
        .min_by_key(|(i, (a, _))| (type_rank(a.get_info().device_type), *i))
        .map(|(_, pair)| pair)
        .ok_or_else(|| GpuError::NoMatchingAdapter { filter: filter.unwrap_or_default().to_string(), available })
}

/// The adapter the kernels would use, with its wgpu handle.
pub(crate) fn select(name_filter: Option<&str>) -> Result<(wgpu::Adapter, AdapterReport), GpuError> {
    select_on(requested_backends(), name_filter)
}

pub(crate) fn select_on(
    backends: Backends,
    name_filter: Option<&str>,
) -> Result<(wgpu::Adapter, AdapterReport), GpuError> {
    let instance = instance_with(backends);
    let filter = effective_filter(name_filter);
    pick(enumerate(&instance), filter.as_deref(), backends)
}

/// Picks the adapter the kernels would use.
///
/// `name_filter` (from a config or CLI; falls back to `WGPU_ADAPTER_NAME`) is a case-insensitive
/// substring of the adapter name. Among matches, a discrete GPU beats an integrated one, which beats
/// a virtual GPU, which beats a CPU adapter (lavapipe). Only the backends in `WGPU_BACKEND` (default:
/// all compiled in) are probed.
///
/// Errors: [`GpuError::NoAdapter`] when there is no adapter at all, [`GpuError::NoMatchingAdapter`]
/// when none matches the filter.
pub fn select_adapter(name_filter: Option<&str>) -> Result<AdapterReport, GpuError> {
    select(name_filter).map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_backends_gives_no_adapter_error() {
        let err = select_on(Backends::empty(), None).unwrap_err();
        assert!(matches!(err, GpuError::NoAdapter { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.starts_with("no GPU adapter found (backends: none"), "{msg}");
        assert!(msg.contains("scripts/setup.sh"), "{msg}");
    }

    /// One subgroup on a CPU emulation, two on a GPU (32 to 256 threads), never above the adapter's limits; the
    /// old fixed choices (8 on lavapipe, 64 on NVIDIA) are what the rule gives there.
    #[test]
    fn the_default_workgroup_follows_the_subgroup_size_within_the_limits() {
        let adapter = |device_type: &str, subgroup: u32, limit: u32| AdapterReport {
            name: "test".into(),
            backend: "vulkan".into(),
            device_type: device_type.into(),
            driver: String::new(),
            driver_info: String::new(),
            shader_int64: false,
            timestamp_query: false,
            subgroup: subgroup > 0,
            max_storage_buffer_binding_size: 1 << 27,
            max_storage_buffers_per_shader_stage: 8,
            max_compute_workgroup_size_x: limit,
            max_compute_invocations_per_workgroup: limit,
            subgroup_min_size: subgroup,
            subgroup_max_size: subgroup,
        };
        let cases = [
            (adapter("Cpu", 8, 1024), 8),            // lavapipe, AVX2
            (adapter("Cpu", 16, 1024), 16),          // lavapipe, AVX-512
            (adapter("Cpu", 0, 1024), 8),            // unknown subgroup
            (adapter("DiscreteGpu", 32, 1024), 64),  // NVIDIA
            (adapter("DiscreteGpu", 64, 1024), 128), // AMD GCN
            (adapter("DiscreteGpu", 128, 1024), 256),
            (adapter("IntegratedGpu", 8, 1024), 32), // Intel SIMD8
            (adapter("DiscreteGpu", 0, 1024), 64),
            (adapter("DiscreteGpu", 64, 96), 96), // the adapter's limit wins
        ];
        for (report, want) in cases {
            assert_eq!(
                report.default_workgroup(),
                want,
                "{} subgroup {}",
                report.device_type,
                report.subgroup_max_size
            );
        }
    }

    #[test]
    fn backend_names_are_lowercase_lists() {
        assert_eq!(backend_names(Backends::empty()), "none");
        assert_eq!(backend_names(Backends::VULKAN), "vulkan");
        assert_eq!(backend_names(Backends::VULKAN | Backends::METAL), "vulkan, metal");
    }

    #[test]
    fn describe_probed_mentions_missing_backends() {
        // Every build compiles in at least one native backend, never the browser one.
        let s = describe_probed(Backends::BROWSER_WEBGPU);
        assert!(s.starts_with("none; requested browser_webgpu"), "{s}");
    }
}
