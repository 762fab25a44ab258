//! Cost model: how many 32-bit integer operations one item (an Ed25519 verification, a BLS key or signature)
//! executes in a GPU kernel, and a **projection** (not a measurement) of items per second on named GPUs from
//! their integer throughput.
//!
//! - `count.rs`: the generic counter — a small WGSL lexer (`lex.rs`), parser and walker that runs a shader
//!   function as the GPU would and counts operations by class ([`Int32Counts`]); its module doc gives the
//!   method and what the counts are not;
//! - `devices.rs`: the device table ([`DEVICES`], [`DeviceThroughput`]), with sources;
//! - `projection.rs`: [`project`] and the [`KernelCost`] trait a kernel's model implements, labelled
//!   [`PROJECTION_LABEL`];
//! - one model per scheme: `ed25519.rs` ([`Ed25519CostModel`], the verifier shader walked for one valid
//!   signature) and `bls12_381.rs` ([`BlsCostModel`], the register programs' Fp instructions weighted by the
//!   counted WGSL Fp functions).

mod bls12_381;
mod count;
mod devices;
mod ed25519;
mod lex;
mod projection;

pub use bls12_381::{BlsCostModel, bls_cost_models};
pub use count::{CostError, Int32Counts};
pub use devices::{DEVICES, DeviceThroughput};
pub use ed25519::Ed25519CostModel;
pub use projection::{KernelCost, PROJECTION_LABEL, Projection, project};
