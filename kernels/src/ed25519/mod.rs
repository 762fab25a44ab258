//! Ed25519 verification on the GPU under the engine's acceptance rule (`ED25519_RULE` in
//! hsbench-engine: canonical `A` and `R`, `S < L`, cofactored equation `[8]([S]B - [k]A - R) = 0`).
//!
//! Split of work: the host checks the encodings (bytes only), computes `k = SHA-512(R‖A‖M) mod L`
//! and the signed radix-16 digits of `S` and `k`; the GPU decompresses `A` and `R` (curve check)
//! and evaluates the cofactored equation per item. With `hash_on_device` the kernel computes `k` and its digits
//! too, for messages of at most 192 bytes (longer ones are still hashed on the host).

mod basetable;
pub mod fe_cpu;
mod host;
mod verifier;
pub(crate) mod wgsl_gen;

pub use verifier::{Ed25519GpuItem, Ed25519KernelOptions, GpuEd25519Verifier, GpuTimings};

#[cfg(test)]
mod challenge_gpu_tests;
#[cfg(test)]
mod field_gpu_tests;
#[cfg(test)]
mod point_gpu_tests;
