//! GPU (wgpu 30 / WGSL) kernels for hyperscale-bench.
//!
//! So far: the device probe ([`probe_adapters`], [`select_adapter`]) and a small end-to-end compute
//! smoke test ([`self_test`]) that every later kernel builds on: device creation with the adapter's
//! own limits, WGSL compilation, dispatch, readback, a CPU cross-check and bounded waits.
//!
//! Backends: Vulkan on Linux/Windows (a real GPU, or lavapipe — Mesa's CPU Vulkan driver, installed by
//! `scripts/setup.sh` — in CI), Metal on Apple, DX12 on Windows. The usual wgpu environment variables
//! apply: `WGPU_BACKEND` (e.g. `vulkan`) restricts the backends probed, `WGPU_ADAPTER_NAME` selects an
//! adapter by case-insensitive name substring.

mod error;
mod probe;
mod selftest;

pub use error::GpuError;
pub use probe::{AdapterReport, probe_adapters, select_adapter};
pub use selftest::{SelfTestReport, self_test, self_test_on};
