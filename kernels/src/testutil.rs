//! Unit-test helpers shared by both schemes' tests: a device (or a skip under the integration tests' rule),
//! deterministic pseudo-random words, byte/word conversions, and naga validation of generated WGSL.

use crate::GpuError;
use crate::gpu::Gpu;

/// The skip-or-fail rule for a missing adapter, the same file the integration tests use.
#[path = "../tests/common/no_adapter.rs"]
mod no_adapter;

/// The seeded generator, the same file the integration tests use.
#[path = "../tests/common/rng.rs"]
mod rng;
pub(crate) use rng::Rng;

/// A device on the default adapter (its summary printed), or `None` when this machine has no adapter (or none
/// matching `WGPU_ADAPTER_NAME`): the test then returns early after printing why — except under `CI=true`, where
/// that panics, as in the integration tests (`tests/common/no_adapter.rs`). Any other failure is a test failure.
pub(crate) fn test_gpu() -> Option<Gpu> {
    let gpu = no_adapter::gpu_or_skip("device creation", Gpu::open(None, "hsbench kernels test"))?;
    println!("adapter: {}", gpu.report.summary());
    Some(gpu)
}

/// Asserts that `src` passes naga's WGSL front end and validator, in-process (the naga wgpu builds on; no
/// device, no CLI: it never skips), and has a compute entry point `entry` of `workgroup` threads. `name` and
/// `workgroup` label the failure.
pub(crate) fn assert_valid_compute_shader(name: &str, src: &str, entry: &str, workgroup: u32) {
    let module = naga::front::wgsl::parse_str(src)
        .unwrap_or_else(|e| panic!("naga cannot parse {name} (workgroup {workgroup}):\n{}", e.emit_to_string(src)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .unwrap_or_else(|e| panic!("naga rejects {name} (workgroup {workgroup}):\n{}", e.emit_to_string(src)));
    let found = module.entry_points.iter().find(|e| e.name == entry);
    let found = found.unwrap_or_else(|| panic!("{name}: no entry point `{entry}`"));
    assert_eq!((found.stage, found.workgroup_size), (naga::ShaderStage::Compute, [workgroup, 1, 1]), "{name}");
}

/// 32 little-endian bytes as 8 words.
pub(crate) fn to_words(b: &[u8; 32]) -> [u32; 8] {
    let mut w = [0u32; 8];
    for (i, x) in w.iter_mut().enumerate() {
        *x = u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    }
    w
}

/// 8 words as 32 little-endian bytes.
pub(crate) fn to_bytes(w: &[u32]) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, x) in w.iter().take(8).enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&x.to_le_bytes());
    }
    b
}
