/// Everything that can go wrong between probing for an adapter and reading a kernel's results back.
///
/// None of these is a panic: callers (the harness, tests) decide whether "no GPU" is fatal.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter at all on the backends that were probed.
    #[error(
        "no GPU adapter found (backends: {backends}); install a Vulkan driver (lavapipe: scripts/setup.sh) or use a CPU backend"
    )]
    NoAdapter {
        /// The backends that were probed, e.g. `vulkan`, with the `WGPU_BACKEND` request when it
        /// named backends this build lacks.
        backends: String,
    },
    /// Adapters exist, but none matches the requested name substring.
    #[error("no GPU adapter matches {filter:?} (available: {available})")]
    NoMatchingAdapter {
        /// The name substring asked for (argument or `WGPU_ADAPTER_NAME`).
        filter: String,
        /// The adapters that were found, `name (backend, device type)`.
        available: String,
    },
    /// The adapter refused to create a device.
    #[error("could not create a device on {adapter}: {reason}")]
    RequestDevice {
        /// The adapter's name.
        adapter: String,
        /// wgpu's reason.
        reason: String,
    },
    /// A validation, internal or out-of-memory error reported by wgpu while doing `stage`.
    #[error("GPU error during {stage}: {message}")]
    Device {
        /// What was being done (shader compilation, dispatch, ...).
        stage: &'static str,
        /// wgpu's error text.
        message: String,
    },
    /// The GPU did not finish within the allowed time.
    #[error("GPU did not finish {stage} within {seconds} s")]
    Timeout {
        /// What was waited for.
        stage: &'static str,
        /// The timeout.
        seconds: u64,
    },
    /// Polling the device or mapping a buffer for readback failed.
    #[error("GPU readback failed during {stage}: {message}")]
    Readback {
        /// What was being read back.
        stage: &'static str,
        /// wgpu's error text.
        message: String,
    },
    /// The kernel computed something other than the CPU reference.
    #[error("GPU result mismatch at element {index}: GPU {got:#010x}, CPU {expected:#010x}")]
    Mismatch {
        /// First differing element.
        index: usize,
        /// The GPU's value.
        got: u32,
        /// The CPU reference value.
        expected: u32,
    },
}
