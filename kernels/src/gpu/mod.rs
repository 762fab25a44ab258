//! Scheme-independent wgpu plumbing that every kernel (Ed25519, BLS12-381, the self-test) builds on. No
//! kernel logic here.
//!
//! - [`device`]: the device and queue on the selected adapter, with the adapter's own limits, and shader
//!   compilation inside error scopes;
//! - [`kernel`]: one compiled compute pipeline with its table and pool of dispatch slots;
//! - [`slots`]: the pool — per-dispatch buffers taken and returned under a short lock, so calls overlap;
//! - [`dispatch`]: running a kernel — upload, one thread per item, readback, one submission each, waiting for
//!   that submission only — split to fit the device;
//! - [`readback`]: bounded waits (for one submission or all) and mapped-buffer readback;
//! - [`driver_cpu`]: CPU time of a CPU-emulated adapter's worker threads (lavapipe), from `/proc`;
//! - [`timings`]: where a call's time goes (host phases, GPU timestamps);
//! - [`wgsl`]: the indented WGSL text builder the shader generators write with.

mod device;
mod dispatch;
mod driver_cpu;
mod kernel;
mod readback;
mod slots;
mod timings;
mod wgsl;

pub(crate) use device::{Gpu, scoped};
pub(crate) use kernel::Kernel;
pub(crate) use readback::{read_back, wait, words};
pub(crate) use timings::{RunTimings, ms, timestamp_ms};
pub(crate) use wgsl::Src;
