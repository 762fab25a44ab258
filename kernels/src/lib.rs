//! GPU (wgpu 30 / WGSL) kernels for hyperscale-bench.
//!
//! Ed25519 batch verification ([`GpuEd25519Verifier`], module [`ed25519`]) with the engine's exact
//! verdicts, on WGSL generated straight-line by a Rust generator. Also: the device probe
//! ([`probe_adapters`], [`select_adapter`]) and a small end-to-end compute smoke test
//! ([`self_test`]) that every later kernel builds on: device creation with the adapter's own limits,
//! WGSL compilation, dispatch, readback, a CPU cross-check and bounded waits.
//!
//! BLS12-381 ([`GpuBls`], module [`bls12_381`]): G1 and G2 aggregation and batched G2 subgroup checks
//! (ψ(P) = `[z]P`, as blst) on the GPU, on an Fp of 30 × 13-bit Montgomery limbs with u32 arithmetic only.
//! The host does what is cheap or serial: blst decompression of signatures (timed), the length and encoding
//! checks, and adding the GPU threads' partial sums. Pairings are not on the GPU.
//!
//! [`GpuBackend`] puts these behind the engine's `VerifyBackend` trait: on the GPU run Ed25519 verification,
//! `aggregate_g1`, `aggregate_g2` and `subgroup_check_g2` (same results and errors as `cpu-batch`); the
//! pairing checks `verify_bls_same_message` and `verify_bls_aggregate` are delegated to the CPU `cpu-batch`
//! backend. [`GpuStats`] counts what ran where, including every CPU fallback.
//!
//! [`cost`]: integer operations per item counted from the generated WGSL of each scheme, and a labelled
//! projection of items per second on named GPUs from their INT32 throughput (not a measurement).
//!
//! # Layout
//!
//! - `gpu/`: the scheme-independent wgpu plumbing every kernel builds on — device creation (`device`), a
//!   compiled kernel (`kernel`) with its pool of per-dispatch buffer slots (`slots`), dispatch and readback —
//!   one submission per dispatch, waiting for that submission only, so calls from several threads overlap
//!   (`dispatch`, `readback`), timings (`timings`), the CPU time of a CPU-emulated adapter's driver threads
//!   (`driver_cpu`) and the WGSL text builder both generators use (`wgsl`);
//! - [`ed25519`] and [`bls12_381`]: one folder per scheme — its WGSL generator, CPU mirror, host side and
//!   kernels — each importing the plumbing from `gpu/`, neither from the other;
//! - [`cost`]: the generic WGSL op counter (`count`, `lex`), the device table (`devices`), the projection
//!   (`projection`) and one cost model per scheme (`ed25519`, `bls12_381`);
//! - `backend`, `probe`, `selftest`, `error`: the engine-facing backend, the adapter probe, the smoke test and
//!   the error type, re-exported at the crate root;
//! - `testutil` (tests only): the unit tests' device-or-skip helper (same CI rule as the integration tests'
//!   `tests/common`), seeded randomness and naga validation of generated shaders.
//!
//! Backends: Vulkan on Linux/Windows (a real GPU, or lavapipe — Mesa's CPU Vulkan driver, installed by
//! `scripts/setup.sh` — in CI), Metal on Apple, DX12 on Windows. The usual wgpu environment variables
//! apply: `WGPU_BACKEND` (e.g. `vulkan`) restricts the backends probed, `WGPU_ADAPTER_NAME` selects an
//! adapter by case-insensitive name substring.

mod backend;
pub mod bls12_381;
pub mod cost;
pub mod ed25519;
mod error;
mod gpu;
mod probe;
mod selftest;
#[cfg(test)]
mod testutil;

pub use backend::{GpuBackend, GpuBackendConfig, GpuStats, device_label};
pub use bls12_381::{BlsTimings, GpuBls};
pub use cost::{DEVICES, DeviceThroughput, Ed25519CostModel, Int32Counts, KernelCost, PROJECTION_LABEL, Projection};
pub use ed25519::{Ed25519GpuItem, Ed25519KernelOptions, GpuEd25519Verifier, GpuTimings};
pub use error::GpuError;
pub use probe::{AdapterReport, probe_adapters, select_adapter};
pub use selftest::{SelfTestReport, self_test, self_test_on};
