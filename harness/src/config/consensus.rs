//! `[consensus]`: the engine's `ConsensusConfig` (HotStuff-2 timing), checked here.
//!
//! These are the engine's own fields: their checks belong in the engine, as a `validate` on
//! `hsbench_engine::bft::ConsensusConfig`; they live here until it has one.

use super::{Check, Section, invalid};
use hsbench_engine::bft::ConsensusConfig;

impl Section for ConsensusConfig {
    /// A positive base timeout, a backoff of at least 1, a maximum timeout not below the base.
    fn validate(&self) -> Check {
        if self.base_timeout_ms == 0 {
            return invalid("consensus.base_timeout_ms", "must be > 0".to_string());
        }
        if !(self.timeout_backoff.is_finite() && self.timeout_backoff >= 1.0) {
            return invalid("consensus.timeout_backoff", format!("must be ≥ 1 (got {})", self.timeout_backoff));
        }
        if self.max_timeout_ms < self.base_timeout_ms {
            return invalid(
                "consensus.max_timeout_ms",
                format!("must be ≥ base_timeout_ms ({}), got {}", self.base_timeout_ms, self.max_timeout_ms),
            );
        }
        Ok(())
    }
}
