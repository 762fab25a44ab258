//! Verification backends by name (`cpu`, `cpu-batch`, `cpu-par`, `gpu`) and the `[crypto]` config section;
//! builds an `Arc<dyn VerifyBackend>` for whatever needs one. The engine knows only the CPU kinds; the `gpu`
//! backend comes from hsbench-kernels and is constructed here.

use anyhow::Context;
use hsbench_engine::crypto::{CpuBackendKind, VerifyBackend, cpu_backend};
use hsbench_kernels::{Ed25519KernelOptions, GpuBackend, GpuBackendConfig, GpuError, GpuStats};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A backend name, the one `[crypto] backend` value: a CPU kind of the engine (`cpu`, `cpu-batch`, `cpu-par`,
/// named by [`CpuBackendKind`] itself) or `gpu` (Ed25519 on the GPU through hsbench-kernels, BLS on `cpu-batch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendName {
    /// One of the engine's CPU backends.
    OnCpu(CpuBackendKind),
    /// The wgpu backend.
    Gpu,
}

impl Default for BackendName {
    fn default() -> Self {
        BackendName::OnCpu(CpuBackendKind::default())
    }
}

impl BackendName {
    /// `cpu`: one verification at a time.
    pub const CPU: BackendName = BackendName::OnCpu(CpuBackendKind::Cpu);
    /// `cpu-batch`: randomized batch verification with bisection.
    pub const CPU_BATCH: BackendName = BackendName::OnCpu(CpuBackendKind::CpuBatch);
    /// `cpu-par`: `cpu-batch` over the rayon pool.
    pub const CPU_PAR: BackendName = BackendName::OnCpu(CpuBackendKind::CpuPar);

    /// Every backend, CPU ones first.
    pub const ALL: [BackendName; 4] = [Self::CPU, Self::CPU_BATCH, Self::CPU_PAR, Self::Gpu];

    /// The config/CLI name.
    pub fn name(self) -> &'static str {
        match self {
            BackendName::OnCpu(kind) => kind.name(),
            BackendName::Gpu => "gpu",
        }
    }

    /// The engine's CPU kind, `None` for `gpu`.
    pub fn cpu_kind(self) -> Option<CpuBackendKind> {
        match self {
            BackendName::OnCpu(kind) => Some(kind),
            BackendName::Gpu => None,
        }
    }

    /// The CPU kind that verifies what this backend leaves to the CPU: itself, or `cpu-batch` for `gpu` (the
    /// synthetic committee of node mode, the raw bound's fallback).
    pub fn cpu_side(self) -> CpuBackendKind {
        self.cpu_kind().unwrap_or_default()
    }
}

impl Serialize for BackendName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for BackendName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for BackendName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown backend name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend {0:?} (expected cpu, cpu-batch, cpu-par or gpu)")]
pub struct UnknownBackend(pub String);

impl FromStr for BackendName {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| UnknownBackend(s.to_owned()))
    }
}

/// `[crypto]`: which backend verifies, and how the `gpu` backend dispatches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CryptoConfig {
    /// `cpu`, `cpu-batch` (default), `cpu-par` or `gpu`: the one verification backend of every command. `gpu`
    /// runs the node under test's sigverify stage and its vote/certificate checks (`run --mode node`, `ceiling`),
    /// `verify` and `crypto`; the in-process cluster (`run`) takes CPU kinds only.
    pub backend: BackendName,
    /// Most Ed25519 items per GPU dispatch.
    pub gpu_batch: usize,
    /// GPU dispatches in flight (one verifier, device and pipeline each).
    pub gpu_in_flight: usize,
    /// Adapter name substring (case-insensitive); absent: `WGPU_ADAPTER_NAME`, then the most GPU-like.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// Threads per workgroup of the Ed25519 kernel; absent: chosen per adapter (one subgroup on lavapipe, two on a
    /// GPU: `AdapterReport::default_workgroup`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu_workgroup: Option<u32>,
    /// The Ed25519 kernel computes the challenge `k = SHA-512(R ‖ A ‖ M) mod L` for messages of at most 192 bytes
    /// instead of the host (default `false`: the host does, one thread per dispatching call).
    pub gpu_hash_on_device: bool,
}

impl Default for CryptoConfig {
    fn default() -> Self {
        let gpu = GpuBackendConfig::default();
        CryptoConfig {
            backend: BackendName::CPU_BATCH,
            gpu_batch: gpu.batch,
            gpu_in_flight: gpu.in_flight,
            adapter: None,
            gpu_workgroup: None,
            gpu_hash_on_device: false,
        }
    }
}

impl CryptoConfig {
    /// The `gpu` backend's settings.
    pub fn gpu(&self) -> GpuBackendConfig {
        GpuBackendConfig {
            batch: self.gpu_batch,
            in_flight: self.gpu_in_flight,
            adapter: self.adapter.clone(),
            kernel: Ed25519KernelOptions { workgroup: self.gpu_workgroup, hash_on_device: self.gpu_hash_on_device },
        }
    }
}

/// A built backend: the trait object, and the GPU backend itself when it is one (for its counters).
#[derive(Clone)]
pub struct Built {
    /// What verifies.
    pub backend: Arc<dyn VerifyBackend>,
    /// The same object as a [`GpuBackend`], for `gpu`.
    pub gpu: Option<Arc<GpuBackend>>,
    /// What runs where, one line (the GPU backend's adapter label and the BLS delegation).
    pub description: String,
}

impl Built {
    /// The GPU counters, for `gpu`.
    pub fn gpu_stats(&self) -> Option<GpuStats> {
        self.gpu.as_ref().map(|g| g.stats())
    }
}

/// Builds `name` with `config`'s GPU settings. `gpu` without a usable adapter is an error, never a CPU backend.
pub fn build(name: BackendName, config: &CryptoConfig) -> anyhow::Result<Built> {
    match name.cpu_kind() {
        Some(kind) => Ok(Built {
            backend: cpu_backend(kind),
            gpu: None,
            description: format!("{kind}: CPU ({})", hsbench_engine::crypto::backend_description()),
        }),
        None => start_gpu(config).context("cannot start the gpu backend"),
    }
}

/// The `gpu` backend on `config`'s adapter, as a [`Built`].
fn start_gpu(config: &CryptoConfig) -> Result<Built, GpuError> {
    let gpu = Arc::new(GpuBackend::new(&config.gpu())?);
    Ok(Built { backend: gpu.clone(), description: gpu.description().to_string(), gpu: Some(gpu) })
}

/// The `gpu` backend for the node under test: `None` for a CPU kind (built per run from the name), the started
/// `gpu` backend otherwise. When there is no GPU adapter (or none matching
/// `adapter`), a warning says so and the node verifies with `cpu-batch`, labelled as a fallback in the result
/// ([`node_backend_label`]); any other GPU failure is an error.
pub fn build_node_backend(config: &CryptoConfig) -> anyhow::Result<Option<Built>> {
    if config.backend.cpu_kind().is_some() {
        return Ok(None);
    }
    match start_gpu(config) {
        Ok(built) => Ok(Some(built)),
        Err(e @ (GpuError::NoAdapter { .. } | GpuError::NoMatchingAdapter { .. })) => {
            eprintln!("warning: {e}; the node under test verifies with cpu-batch instead (labelled in the result)");
            Ok(Some(Built {
                backend: cpu_backend(CpuBackendKind::CpuBatch),
                gpu: None,
                description: format!("{GPU_FALLBACK_LABEL}: {e}"),
            }))
        }
        Err(e) => Err(anyhow::Error::new(e).context("cannot start the gpu backend")),
    }
}

/// How a result names the node's backend when `gpu` was asked for but no adapter existed.
pub const GPU_FALLBACK_LABEL: &str = "cpu-batch (gpu requested, no adapter: CPU fallback)";

/// The node's verification backend as results name it: the configured one, or [`GPU_FALLBACK_LABEL`].
pub fn node_backend_label(config: &CryptoConfig, built: Option<&Built>) -> String {
    match built {
        Some(b) if b.gpu.is_none() => GPU_FALLBACK_LABEL.to_string(),
        _ => config.backend.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `gpu` with an adapter filter that matches nothing falls back to cpu-batch, and says so.
    #[test]
    fn a_missing_gpu_falls_back_to_the_cpu_with_a_label() {
        let config = CryptoConfig {
            backend: BackendName::Gpu,
            adapter: Some("no adapter is called this".into()),
            ..CryptoConfig::default()
        };
        let built = build_node_backend(&config).unwrap().expect("a fallback backend");
        assert!(built.gpu.is_none() && built.backend.name() == "cpu-batch");
        assert!(built.description.starts_with(GPU_FALLBACK_LABEL), "{}", built.description);
        assert_eq!(node_backend_label(&config, Some(&built)), GPU_FALLBACK_LABEL);
        assert_eq!(node_backend_label(&CryptoConfig::default(), None), "cpu-batch");
        assert!(build_node_backend(&CryptoConfig::default()).unwrap().is_none());
    }

    #[test]
    fn names_round_trip() {
        for b in BackendName::ALL {
            assert_eq!(b.name().parse::<BackendName>().unwrap(), b);
            assert_eq!(serde_json::to_string(&b).unwrap(), format!("\"{b}\""));
        }
        assert!("tpu".parse::<BackendName>().is_err());
        assert_eq!(BackendName::CPU_PAR.cpu_kind(), Some(CpuBackendKind::CpuPar));
        assert_eq!(BackendName::Gpu.cpu_side(), CpuBackendKind::CpuBatch);
        let built = build(BackendName::CPU, &CryptoConfig::default()).unwrap();
        assert_eq!(built.backend.name(), "cpu");
        assert!(built.gpu_stats().is_none());
    }
}
