//! Device probe and compute smoke test. Passes on machines with and without a Vulkan adapter, except under
//! `CI=true`, where no adapter is a failure (`common::skip_without_adapter`):
//! - no adapter: `select_adapter`/`self_test` return `GpuError::NoAdapter` with its message (no panic);
//! - an adapter (a GPU, or lavapipe after `scripts/setup.sh`, with `WGPU_BACKEND=vulkan`): the self-test
//!   runs a real kernel and checks it against the CPU.
//!
//! Run with `--nocapture` to see which path ran and what was found.

use hsbench_kernels::{GpuError, probe_adapters, select_adapter, self_test};

mod common;

#[test]
fn select_adapter_reports_no_adapter_or_a_probed_one() {
    let adapters = probe_adapters();
    match select_adapter(None) {
        Err(err @ GpuError::NoAdapter { .. }) => {
            println!("path: no adapter ({err})");
            assert!(adapters.is_empty(), "probe found {adapters:?} but selection did not");
            let msg = err.to_string();
            assert!(msg.starts_with("no GPU adapter found (backends: "), "{msg}");
            assert!(msg.contains("install a Vulkan driver (lavapipe: scripts/setup.sh)"), "{msg}");
            common::skip_without_adapter("select_adapter", &err);
        }
        Err(err @ GpuError::NoMatchingAdapter { .. }) => {
            // Only possible when WGPU_ADAPTER_NAME names something absent.
            println!("path: {err}");
            assert!(!adapters.is_empty());
            common::skip_without_adapter("select_adapter", &err);
        }
        Err(other) => panic!("unexpected error: {other}"),
        Ok(chosen) => {
            println!("path: adapter found; {} adapter(s):", adapters.len());
            for a in &adapters {
                println!("  {a:?}");
            }
            println!("selected: {}", chosen.summary());
            assert!(
                adapters.iter().any(|a| a.name == chosen.name && a.backend == chosen.backend),
                "selected adapter is not among the probed ones"
            );
            assert!(!chosen.name.is_empty());
            assert!(chosen.max_compute_workgroup_size_x >= 64);
            assert!(chosen.max_storage_buffers_per_shader_stage >= 3);
        }
    }
}

#[test]
fn a_filter_matching_nothing_is_an_error_not_a_panic() {
    let err = select_adapter(Some("no-such-adapter-4f1c9e")).unwrap_err();
    println!("{err}");
    if probe_adapters().is_empty() {
        assert!(matches!(err, GpuError::NoAdapter { .. }), "{err:?}");
    } else {
        match &err {
            GpuError::NoMatchingAdapter { filter, available } => {
                assert_eq!(filter, "no-such-adapter-4f1c9e");
                assert!(!available.is_empty());
            }
            other => panic!("expected NoMatchingAdapter, got {other:?}"),
        }
    }
}

#[test]
fn self_test_runs_a_kernel_when_an_adapter_exists() {
    let adapters = probe_adapters();
    match self_test() {
        Ok(r) => {
            println!("path: adapter; self-test passed on {}", r.adapter.summary());
            println!(
                "  {} elements: device {:.1} ms, pipeline {:.1} ms, first dispatch+readback {:.1} ms, \
                 warm dispatch+readback {:.1} ms, kernel (GPU clock) {:?} ms",
                r.elements,
                r.device_ms,
                r.pipeline_ms,
                r.first_dispatch_readback_ms,
                r.dispatch_readback_ms,
                r.kernel_gpu_ms
            );
            assert!(!adapters.is_empty());
            assert!(r.elements > 0);
            assert!(r.pipeline_ms >= 0.0 && r.dispatch_readback_ms >= 0.0);
            if let Some(k) = r.kernel_gpu_ms {
                assert!(k >= 0.0, "negative kernel time {k}");
            }
        }
        Err(err @ GpuError::NoAdapter { .. }) => {
            assert!(adapters.is_empty(), "probe found {adapters:?} but self_test did not");
            common::skip_without_adapter("self-test", &err);
        }
        Err(err @ GpuError::NoMatchingAdapter { .. }) => common::skip_without_adapter("self-test", &err),
        Err(err) => panic!("self-test failed on an existing adapter: {err}"),
    }
}
