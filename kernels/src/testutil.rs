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
/// device, no CLI: it never skips), has a compute entry point `entry` of `workgroup` threads, and that naga's
/// SPIR-V, MSL and HLSL back ends (wgpu's Vulkan, Metal and DX12 paths) each write it. `name` and `workgroup`
/// label the failure.
pub(crate) fn assert_valid_compute_shader(name: &str, src: &str, entry: &str, workgroup: u32) {
    let label = format!("{name} (workgroup {workgroup})");
    let module = naga::front::wgsl::parse_str(src)
        .unwrap_or_else(|e| panic!("naga cannot parse {label}:\n{}", e.emit_to_string(src)));
    let info = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .unwrap_or_else(|e| panic!("naga rejects {label}:\n{}", e.emit_to_string(src)));
    let found = module.entry_points.iter().find(|e| e.name == entry);
    let found = found.unwrap_or_else(|| panic!("{name}: no entry point `{entry}`"));
    assert_eq!((found.stage, found.workgroup_size), (naga::ShaderStage::Compute, [workgroup, 1, 1]), "{name}");
    assert_backends_write(&label, &module, &info, entry);
}

/// Writes `module`'s compute entry point `entry` with naga's SPIR-V, MSL and HLSL back ends (default options:
/// SPIR-V 1.0, MSL 1.0, HLSL shader model 5.1 — the oldest each back end targets), panicking with the back end's
/// error when one cannot.
fn assert_backends_write(label: &str, module: &naga::Module, info: &naga::valid::ModuleInfo, entry: &str) {
    use naga::back::{hlsl, msl, spv};
    let stage = naga::ShaderStage::Compute;
    let spv_pipeline = spv::PipelineOptions { shader_stage: stage, entry_point: entry.to_string() };
    let words = spv::write_vec(module, info, &spv::Options::default(), Some(&spv_pipeline))
        .unwrap_or_else(|e| panic!("naga's SPIR-V back end cannot write {label}: {e}"));
    assert_eq!(words.first(), Some(&0x0723_0203), "{label}: SPIR-V magic number");
    let msl_pipeline = msl::PipelineOptions { entry_point: Some((stage, entry.to_string())), ..Default::default() };
    let (metal, _) = msl::write_string(module, info, &msl::Options::default(), &msl_pipeline)
        .unwrap_or_else(|e| panic!("naga's MSL back end cannot write {label}: {e}"));
    assert!(metal.contains("kernel"), "{label}: no Metal kernel function in the MSL");
    let mut hlsl_src = String::new();
    let hlsl_pipeline = hlsl::PipelineOptions { entry_point: Some((stage, entry.to_string())) };
    hlsl::Writer::new(&mut hlsl_src, &hlsl::Options::default(), &hlsl_pipeline)
        .write(module, info, None)
        .unwrap_or_else(|e| panic!("naga's HLSL back end cannot write {label}: {e}"));
    assert!(hlsl_src.contains("[numthreads("), "{label}: no compute entry point in the HLSL");
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
