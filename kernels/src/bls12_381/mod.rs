//! BLS12-381 on the GPU: G1 and G2 aggregation and batched G2 subgroup checks (pairings stay on the CPU,
//! in blst).
//!
//! # Fp layout and why nothing overflows u32
//!
//! An element of Fp (`p` = the 381-bit BLS12-381 prime) is `array<u32, 30>`: 30 limbs of 13 bits
//! (390 bits), least significant first, in Montgomery form with `R = 2^390`, and always **fully reduced**
//! (`< p`) between operations, so equality and the zero test are limb-wise. Only u32 arithmetic is used
//! (no `SHADER_INT64`):
//!
//! - multiplication is Montgomery by product scanning: column `k` accumulates `carry + Σ a_i b_(k−i) +
//!   Σ m_i p_(k−i)` and, for `k < 30`, picks `m_k = (acc · (−p⁻¹)) mod 2^13` so the low 13 bits vanish;
//!   the top 30 columns are the result. A column has at most 30 + 30 products of two 13-bit values and
//!   a carry below `2^19`: `60 · (2^13 − 1)² + 2^19 = 4 026 073 148 < 2^32`. (For inputs `< p` it is far
//!   less: `p < 2^381` makes the top limbs of `a`, `b` and `p` smaller than 16.) The result is
//!   `(ab + mp) / R < p²/R + p < 2p`; one conditional subtraction makes it canonical;
//! - addition adds limb-wise with a carry chain (sums `< 2^14 + 1`), then subtracts `p` if the sum is `≥ p`;
//!   subtraction borrows limb-wise (`a_i + 2^13 − b_i − borrow ∈ [0, 2^14)`) and adds `p` on a final borrow;
//! - conversion in and out of Montgomery form is a multiplication by `R² mod p` (plain) or by plain 1.
//!
//! Fp2 = `Fp[u]/(u² + 1)`: Karatsuba multiplication (3 Fp multiplications), squaring as
//! `(a0 + a1)(a0 − a1) + 2 a0 a1 u`, conjugation, multiplication by `3b = 12 (1 + u)`.
//!
//! # Code shape
//!
//! The Fp functions are generated straight-line in WGSL (`wgsl.rs`). Everything above them — Fp2, the
//! complete point formulas, ψ, `[|z|]P`, inversion — is a *register program* (`program.rs`, `curve.rs`):
//! a list of `dst = a op b` Fp instructions stored in the kernel's table buffer and run by one interpreter
//! loop. The shader therefore contains one copy of the multiplication however many the formulas use
//! (lavapipe inlines every call site, and its JIT time grows with code size), and the same programs run on
//! the CPU mirror (`fp_cpu.rs`) in the tests.
//!
//! # Kernels and the host's share
//!
//! - **G1 / G2 aggregation**: one thread sums [`POINTS_PER_THREAD`] points with the complete addition
//!   (identity padding), normalises to affine (inversion by Fermat) and writes `x, y`; the host parses each
//!   partial with blst (which checks it is on the curve) and adds the partials with blst. G1 keys arrive
//!   decompressed (the engine caches validated `BlsPublicKey`s); **G2 signatures are decompressed on the
//!   host by blst** (`Signature::uncompress`: a square root in Fp2 and the curve check), timed as
//!   [`BlsTimings::decompress_ms`].
//! - **G2 subgroup check**: one thread per signature computes ψ(P) and `[z]P` (`z = −0xd201000000010000`,
//!   blst's addition chain) and compares them projectively — Scott 2021, what blst's `blst_p2_in_g2`
//!   does. The identity is in the subgroup; undecodable input never reaches the GPU.
//!
//! A call is split into dispatches of at most [`MAX_DISPATCH_WORDS`] input words. All three kernels run
//! one shader (their programs and layouts live in the table buffer), so the driver compiles it once.
//!
//! The interpreter keeps a 64-register file (7.5 KiB) per thread in private memory: right for lavapipe
//! (compile time and correctness are what CI needs), but on a real GPU that is local memory and low
//! occupancy — a throughput kernel there would specialise the programs into straight-line code.

// The cost model reads the programs and the shader: `crate::cost::bls12_381`.
pub(crate) mod curve;
pub(crate) mod fp_cpu;
mod gpu_bls;
mod host;
pub(crate) mod program;
pub(crate) mod wgsl;

pub use crate::cost::{BlsCostModel, bls_cost_models};
pub use gpu_bls::{BlsTimings, Decoded, GpuBls, MAX_DISPATCH_WORDS, POINTS_PER_THREAD};

#[cfg(test)]
mod cpu_tests;
#[cfg(test)]
mod gpu_tests;
#[cfg(test)]
mod reference;
