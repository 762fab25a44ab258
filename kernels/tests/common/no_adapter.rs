//! The one rule for a GPU test that finds no adapter: skip (printing why) outside CI, fail under `CI=true`.
//!
//! Compiled twice from this one file: into the integration tests (`tests/common/mod.rs`, `mod no_adapter`) and
//! into the crate's unit-test helpers (`src/testutil.rs`, through `#[path]`), since neither can import the
//! other's items (integration tests see only the crate's public API, unit tests are `cfg(test)`). Each
//! includer has `GpuError` in scope.

use super::GpuError;

/// Whether this run is CI: `CI=true` (GitHub Actions, GitLab and most CI systems set it; `1` is taken too).
/// There the GPU tests must run, so a missing adapter fails them instead of skipping.
#[allow(dead_code)]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Whether `e` means "no adapter here" (none at all, or none matching `WGPU_ADAPTER_NAME`) rather than a
/// failure on an adapter that exists.
#[allow(dead_code)]
pub fn is_missing_adapter(e: &GpuError) -> bool {
    matches!(e, GpuError::NoAdapter { .. } | GpuError::NoMatchingAdapter { .. })
}

/// The one skip-or-fail decision of every GPU test, for `what` finding no adapter (`err`): outside CI the line
/// to print before skipping (`Ok`), under CI (`ci`) the failure message (`Err`), which starts with
/// `CI=true and no Vulkan adapter: `.
#[allow(dead_code)]
pub fn no_adapter_verdict(ci: bool, what: &str, err: &GpuError) -> Result<String, String> {
    if ci {
        Err(format!(
            "CI=true and no Vulkan adapter: {what}: {err}. CI must run the GPU tests: install lavapipe \
             (scripts/setup.sh; .ci/run makes it strict) and set WGPU_BACKEND=vulkan, or unset CI to skip them"
        ))
    } else {
        Ok(format!("skipped: {what}: {err}"))
    }
}

/// Skips the calling GPU test (printing why) because `what` found no adapter (`err`); under CI ([`in_ci`])
/// panics instead, with [`no_adapter_verdict`]'s message.
#[allow(dead_code)]
#[track_caller]
pub fn skip_without_adapter(what: &str, err: &GpuError) {
    match no_adapter_verdict(in_ci(), what, err) {
        Ok(line) => println!("{line}"),
        Err(failure) => panic!("{failure}"),
    }
}

/// The GPU object `made` (a backend, a verifier, an adapter report) that `what` built: `None` when there is no
/// adapter and this is not CI (the test then returns early; see [`skip_without_adapter`]); a panic under CI
/// without an adapter, and always for any other error (a failure on an adapter that exists).
#[allow(dead_code)]
#[track_caller]
pub fn gpu_or_skip<T>(what: &str, made: Result<T, GpuError>) -> Option<T> {
    match made {
        Ok(v) => Some(v),
        Err(e) if is_missing_adapter(&e) => {
            skip_without_adapter(what, &e);
            None
        }
        Err(e) => panic!("{what} failed on an existing adapter: {e}"),
    }
}
