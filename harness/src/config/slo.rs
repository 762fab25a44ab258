//! `[slo]`: what a rate must meet to count as sustained, and the checks on it.

use super::{Check, Section, invalid};
use serde::{Deserialize, Serialize};

/// `[slo]`: what a rate must meet to count as sustained (node mode and ceiling search).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SloConfig {
    /// Largest p99 commit latency, from the intended send time (ms).
    pub p99_ms: f64,
    /// Smallest committed ÷ offered (valid transactions, commits inside the window).
    pub min_committed_fraction: f64,
}

impl Default for SloConfig {
    fn default() -> Self {
        SloConfig { p99_ms: 500.0, min_committed_fraction: 0.95 }
    }
}

impl Section for SloConfig {
    /// A positive p99 limit and a committed fraction in (0, 1].
    fn validate(&self) -> Check {
        if !(self.p99_ms.is_finite() && self.p99_ms > 0.0) {
            return invalid("slo.p99_ms", format!("must be a positive number of ms (got {})", self.p99_ms));
        }
        if !(self.min_committed_fraction > 0.0 && self.min_committed_fraction <= 1.0) {
            return invalid(
                "slo.min_committed_fraction",
                format!("must be in (0, 1] (got {})", self.min_committed_fraction),
            );
        }
        Ok(())
    }
}
