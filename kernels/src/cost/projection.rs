//! A labelled **projection** (not a measurement) of items per second on a device from a kernel's integer
//! counts.
//!
//! [`DeviceThroughput`] holds a GPU's SM count, INT32 lanes per SM and boost clock from public specifications
//! (cited on each entry); [`project`] assumes every counted operation issues at the CUDA C Programming Guide's
//! rate for its class (compute capability 8.0–9.0: 64 results per clock per SM for 32-bit integer multiply /
//! multiply-add, add/subtract, shift, bitwise and compare), that classes do not overlap, and that nothing else
//! (memory, occupancy, register spills) limits. The result is labelled [`PROJECTION_LABEL`] everywhere.

use serde::Serialize;

use super::count::Int32Counts;
use super::devices::DeviceThroughput;

/// The label every projection carries, in the table and in JSON.
pub const PROJECTION_LABEL: &str = "projection from integer throughput, not a measurement";

/// A GPU kernel whose per-item integer work is known: what [`project`] divides a device's rates by. Implemented
/// by [`Ed25519CostModel`](super::Ed25519CostModel) and [`BlsCostModel`](super::BlsCostModel).
pub trait KernelCost {
    /// The operation, as `hsbench crypto` names it (`ed25519-verify`).
    fn operation(&self) -> &'static str;
    /// 32-bit integer operations per item (one verification).
    fn per_item(&self) -> Int32Counts;
}

/// A projected throughput: what the integer counts allow on a device if nothing else limits. Not a measurement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Projection {
    /// Always [`PROJECTION_LABEL`].
    pub label: &'static str,
    /// The operation (`ed25519-verify`).
    pub operation: &'static str,
    /// The device's marketing name.
    pub device: &'static str,
    /// Projected items (verifications) per second.
    pub verifies_per_s: f64,
    /// What the time goes to: the INT32 pipe, split by operation class.
    pub bound_by: String,
    /// The counts per item the projection divides by.
    pub per_item: Int32Counts,
    /// The device's adds/shifts/masks/compares per second used (`DeviceThroughput::int32_ops_per_s`).
    pub int32_ops_per_s: f64,
    /// The device's 32-bit multiplies per second used (`DeviceThroughput::mul32_ops_per_s`).
    pub mul32_ops_per_s: f64,
    /// The device figures used.
    pub throughput: DeviceThroughput,
}

/// Items per second of `kernel` on `device` if every counted operation issues at its class's rate and nothing
/// else limits (see the module doc), with what the time goes to.
pub fn project(kernel: &dyn KernelCost, device: &DeviceThroughput) -> Projection {
    let c = kernel.per_item();
    let int_rate = device.int32_ops_per_s().max(1.0);
    let parts = [
        ("multiplies", c.mul32 as f64 / device.mul32_ops_per_s().max(1.0)),
        ("adds", c.add32 as f64 / int_rate),
        ("shifts/masks", c.logic32 as f64 / int_rate),
        ("compares/selects", c.other as f64 / int_rate),
    ];
    let secs: f64 = parts.iter().map(|(_, s)| s).sum();
    let split: Vec<String> =
        parts.iter().map(|(n, s)| format!("{n} {:.0} %", 100.0 * s / secs.max(f64::MIN_POSITIVE))).collect();
    Projection {
        label: PROJECTION_LABEL,
        operation: kernel.operation(),
        device: device.name,
        verifies_per_s: if secs > 0.0 { 1.0 / secs } else { 0.0 },
        bound_by: format!("INT32 issue, {} per SM per clock ({})", device.int32_per_sm_clock, split.join(", ")),
        per_item: c,
        int32_ops_per_s: device.int32_ops_per_s(),
        mul32_ops_per_s: device.mul32_ops_per_s(),
        throughput: *device,
    }
}
