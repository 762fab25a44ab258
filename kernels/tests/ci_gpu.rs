//! CI cannot skip the GPU: with `CI=true` a GPU test that finds no adapter fails ("CI=true and no Vulkan
//! adapter: ..."), without it the test skips, printing why — one decision (`common::gpu_or_skip`) that every
//! GPU test goes through. And `.ci/run` makes `scripts/setup.sh` strict under `CI=true`.
//!
//! The process-level checks run this test binary again with an environment that hides every adapter
//! (`WGPU_ADAPTER_NAME` naming none, which `select_adapter` honours), so they hold with or without a GPU.

use hsbench_kernels::{GpuError, select_adapter};
use std::process::{Command, Output};

mod common;

/// An adapter name no machine has.
const NO_SUCH_ADAPTER: &str = "hsbench-no-such-adapter-5c1e";

fn no_adapter() -> GpuError {
    GpuError::NoAdapter { backends: "vulkan".into() }
}

#[test]
fn missing_adapter_skips_outside_ci_and_fails_under_ci() {
    for err in [no_adapter(), GpuError::NoMatchingAdapter { filter: "x".into(), available: "llvmpipe".into() }] {
        assert!(common::is_missing_adapter(&err), "{err:?}");
        let skip = common::no_adapter_verdict(false, "gpu backend creation", &err).expect("skips outside CI");
        assert!(skip.starts_with("skipped: gpu backend creation: "), "{skip}");
        let fail = common::no_adapter_verdict(true, "gpu backend creation", &err).expect_err("fails under CI");
        assert!(fail.starts_with("CI=true and no Vulkan adapter: gpu backend creation: "), "{fail}");
        assert!(fail.contains(&err.to_string()), "{fail}");
    }
    let other = GpuError::Timeout { stage: "dispatch", seconds: 1 };
    assert!(!common::is_missing_adapter(&other));
}

/// Any error other than a missing adapter is a failure everywhere, CI or not: it happened on an adapter that
/// exists.
#[test]
fn an_error_on_an_existing_adapter_always_fails() {
    let failed = std::panic::catch_unwind(|| {
        common::gpu_or_skip::<()>("dispatch", Err(GpuError::Timeout { stage: "dispatch", seconds: 1 }))
    });
    let payload = failed.expect_err("a timeout is not a skip");
    let msg = payload.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.starts_with("dispatch failed on an existing adapter: "), "{msg}");
    assert_eq!(common::gpu_or_skip("made", Ok::<u8, GpuError>(7)), Some(7));
}

/// The GPU test the process-level checks run in a child process: a real adapter selection through the shared
/// helper, exactly as every GPU test does it. Ignored in a normal run (the checks below run it explicitly).
#[test]
#[ignore = "run by ci_true_without_an_adapter_fails_and_otherwise_skips in a child process"]
fn child_gpu_test() {
    let Some(adapter) = common::gpu_or_skip("select_adapter", select_adapter(None)) else { return };
    println!("adapter: {}", adapter.summary());
}

/// Runs [`child_gpu_test`] in a fresh copy of this test binary with every adapter hidden, `CI` set to `ci`.
fn run_child_without_adapter(ci: Option<&str>) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    cmd.args(["--ignored", "--exact", "child_gpu_test", "--nocapture", "--test-threads=1"])
        .env("WGPU_ADAPTER_NAME", NO_SUCH_ADAPTER)
        .env("RUST_BACKTRACE", "0");
    match ci {
        Some(v) => cmd.env("CI", v),
        None => cmd.env_remove("CI"),
    };
    cmd.output().expect("the test binary runs again")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn ci_true_without_an_adapter_fails_and_otherwise_skips() {
    let under_ci = run_child_without_adapter(Some("true"));
    let out = text(&under_ci);
    assert!(!under_ci.status.success(), "CI=true, no adapter: the GPU test passed:\n{out}");
    assert!(out.contains("CI=true and no Vulkan adapter: select_adapter: "), "{out}");
    assert!(out.contains("1 failed"), "{out}");

    for ci in [None, Some("false")] {
        let local = run_child_without_adapter(ci);
        let out = text(&local);
        assert!(local.status.success(), "CI={ci:?}, no adapter: the GPU test did not skip:\n{out}");
        assert!(out.contains("skipped: select_adapter: "), "{out}");
        assert!(out.contains("1 passed"), "{out}");
    }
}

/// No GPU test decides on its own to skip: every skip goes through `common` (so CI=true reaches it).
#[test]
fn no_gpu_test_skips_outside_the_shared_helper() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("kernels/tests exists") {
        let path = entry.expect("a readable entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("a readable test file");
        seen += 1;
        for needle in ["println!(\"skipped", "println!(\"gpu skipped"] {
            assert!(!src.contains(needle), "{} skips on its own ({needle}); use common::gpu_or_skip", path.display());
        }
    }
    assert!(seen >= 5, "only {seen} test files in {}", dir.display());
}

/// `.ci/run` exports `HSBENCH_SETUP_STRICT=1` to `scripts/setup.sh` when `CI=true`, and leaves it unset
/// otherwise. Run on a copy of `.ci/run` next to a stand-in `scripts/setup.sh` that prints what it got and
/// exits 1 (so `.ci/run` stops there, before the test command).
#[test]
#[cfg(unix)]
fn ci_run_makes_setup_strict_under_ci() {
    use std::os::unix::fs::PermissionsExt;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = std::env::temp_dir().join(format!("hsbench-ci-run-{}", std::process::id()));
    std::fs::create_dir_all(tmp.join(".ci")).expect("temp dir");
    std::fs::create_dir_all(tmp.join("scripts")).expect("temp dir");
    std::fs::copy(root.join(".ci/run"), tmp.join(".ci/run")).expect(".ci/run exists");
    let setup = tmp.join("scripts/setup.sh");
    std::fs::write(&setup, "#!/usr/bin/env bash\necho \"strict=${HSBENCH_SETUP_STRICT:-unset}\"\nexit 1\n")
        .expect("stand-in setup.sh");
    std::fs::set_permissions(&setup, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let run = |ci: Option<&str>| {
        let mut cmd = Command::new("bash");
        cmd.arg(tmp.join(".ci/run")).env_remove("HSBENCH_SETUP_STRICT");
        match ci {
            Some(v) => cmd.env("CI", v),
            None => cmd.env_remove("CI"),
        };
        let out = cmd.output().expect("bash runs .ci/run");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (ok, ci) = run(Some("true"));
    let (ok_local, local) = run(None);
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(!ok && !ok_local, "the stand-in setup.sh fails, so .ci/run must stop there");
    assert!(ci.contains("strict=1"), "CI=true: {ci}");
    assert!(local.contains("strict=unset"), "no CI: {local}");
}
