//! `[pipeline]`: the engine's `PipelineConfig` (node mode's pinned pipeline), checked here; its `verify_backend`
//! is inherited in [`super::crypto`].
//!
//! These are the engine's own fields: their checks belong in the engine, as a `validate` on
//! `hsbench_engine::runtime::pipeline::PipelineConfig`; they live here until it has one.

use super::{Check, Section, invalid};
use hsbench_engine::runtime::pipeline::{PipelineConfig, available_cores};

impl Section for PipelineConfig {
    /// A core map naming only cores this process may use (a stage on another core would run unpinned).
    fn validate(&self) -> Check {
        if let Err(message) = self.cores.check(&available_cores()) {
            return invalid("pipeline.cores", message);
        }
        Ok(())
    }
}
