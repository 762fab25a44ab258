//! Simulated network conditions.

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
