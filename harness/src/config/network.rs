//! `[network]`: the engine's `NetworkConfig` (simulated network between validators), checked here.
//!
//! These are the engine's own fields: their checks belong in the engine, as a `validate` on
//! `hsbench_engine::sim::NetworkConfig`; they live here until it has one.

use super::{Check, Section, invalid};
use hsbench_engine::sim::NetworkConfig;

impl Section for NetworkConfig {
    /// Non-negative latency and jitter, loss in [0, 1), reordering in [0, 1].
    fn validate(&self) -> Check {
        for (key, value) in [("network.latency_ms", self.latency_ms), ("network.jitter_ms", self.jitter_ms)] {
            if !(value.is_finite() && value >= 0.0) {
                return invalid(key, format!("must be ≥ 0 ms (got {value})"));
            }
        }
        if !(0.0..1.0).contains(&self.loss) {
            return invalid("network.loss", format!("must be a probability in [0, 1) (got {})", self.loss));
        }
        if !(0.0..=1.0).contains(&self.reorder) {
            return invalid("network.reorder", format!("must be a probability in [0, 1] (got {})", self.reorder));
        }
        Ok(())
    }
}
