//! Simulated network conditions.

use crate::types::invalid_config::{InvalidConfig, invalid};
use serde::{Deserialize, Serialize};

/// Delay, jitter, loss and reordering of the simulated network between validators.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// One-way base latency (ms).
    pub latency_ms: f64,
    /// Uniform extra delay in [0, jitter_ms) per message; jitter reorders messages.
    pub jitter_ms: f64,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is held back by an extra 0–10× latency (heavy reordering).
    pub reorder: f64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig { latency_ms: 5.0, jitter_ms: 2.0, loss: 0.0, reorder: 0.0 }
    }
}

impl NetworkConfig {
    /// Non-negative latency and jitter, loss in [0, 1), reordering in [0, 1] (keys under `[network]`).
    pub fn validate(&self) -> Result<(), InvalidConfig> {
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
