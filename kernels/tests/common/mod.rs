//! Helpers shared by the kernels' integration tests.

pub mod batch;
mod rng;
#[allow(unused_imports)] // not every test binary uses every helper
pub use rng::Rng;

use hsbench_kernels::GpuError;

mod no_adapter;
#[allow(unused_imports)] // not every test binary uses every helper
pub use no_adapter::{gpu_or_skip, in_ci, is_missing_adapter, no_adapter_verdict, skip_without_adapter};
