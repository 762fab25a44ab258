//! Scheme-independent wgpu plumbing that every kernel (Ed25519, BLS12-381, the self-test) builds on. No
//! kernel logic here.
//!
//! - [`device`]: the device and queue on the selected adapter, with the adapter's own limits, and shader
//!   compilation inside error scopes;
//! - [`kernel`]: one compiled compute pipeline with its table and reusable per-item buffers;
//! - [`dispatch`]: running a kernel — upload, one thread per item, readback — split to fit the device;
//! - [`readback`]: bounded waits and mapped-buffer readback;
//! - [`timings`]: where a call's time goes (host phases, GPU timestamps);
//! - [`wgsl`]: the indented WGSL text builder the shader generators write with.

mod device;
mod dispatch;
mod kernel;
mod readback;
mod timings;
mod wgsl;

pub(crate) use device::{Gpu, scoped};
pub(crate) use kernel::Kernel;
pub(crate) use readback::{read_back, wait, words};
pub(crate) use timings::{RunTimings, ms, timestamp_ms};
pub(crate) use wgsl::Src;
