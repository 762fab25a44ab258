//! GPU (wgpu 30 / WGSL) kernels for hyperscale-bench.
//!
//! Ed25519 batch verification ([`GpuEd25519Verifier`], module [`ed25519`]) with the engine's exact
//! verdicts, on WGSL generated straight-line by a Rust generator. Also: the device probe
//! ([`probe_adapters`], [`select_adapter`]) and a small end-to-end compute smoke test
//! ([`self_test`]) that every later kernel builds on: device creation with the adapter's own limits,
//! WGSL compilation, dispatch, readback, a CPU cross-check and bounded waits.
//!
//! [`GpuBackend`] puts the Ed25519 verifier behind the engine's `VerifyBackend` trait (BLS delegated to the
//! CPU `cpu-batch` backend: there are no BLS GPU kernels), counting what ran where.
//!
//! Backends: Vulkan on Linux/Windows (a real GPU, or lavapipe — Mesa's CPU Vulkan driver, installed by
//! `scripts/setup.sh` — in CI), Metal on Apple, DX12 on Windows. The usual wgpu environment variables
//! apply: `WGPU_BACKEND` (e.g. `vulkan`) restricts the backends probed, `WGPU_ADAPTER_NAME` selects an
//! adapter by case-insensitive name substring.

mod backend;
pub mod ed25519;
mod error;
mod gpu;
mod probe;
mod selftest;

pub use backend::{GpuBackend, GpuBackendConfig, GpuStats, device_label};
pub use ed25519::{Ed25519GpuItem, GpuEd25519Verifier, GpuTimings};
pub use error::GpuError;
pub use probe::{AdapterReport, probe_adapters, select_adapter};
pub use selftest::{SelfTestReport, self_test, self_test_on};
