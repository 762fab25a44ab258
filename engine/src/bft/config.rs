//! Consensus timing and epoch configuration.

use crate::types::ValidatorId;
use serde::{Deserialize, Serialize};

/// Knobs of the HotStuff-2 core and its pacemaker. Times are milliseconds of the runtime's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusConfig {
    /// Least time between a leader entering a round and proposing, so blocks fill with transactions.
    pub min_block_interval_ms: u64,
    /// View-change timer of the first round after progress.
    pub base_timeout_ms: u64,
    /// Factor the timer grows by for each consecutive round without progress.
    pub timeout_backoff: f64,
    /// Cap on the view-change timer.
    pub max_timeout_ms: u64,
    /// Committed blocks per epoch; 0 keeps one epoch forever.
    pub epoch_length: u64,
    /// Committee of each epoch as global validator ids; epoch e uses entry min(e, len-1).
    /// Empty means every validator in every epoch.
    pub committees: Vec<Vec<ValidatorId>>,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        ConsensusConfig {
            min_block_interval_ms: 50,
            base_timeout_ms: 1000,
            timeout_backoff: 1.5,
            max_timeout_ms: 10_000,
            epoch_length: 0,
            committees: Vec::new(),
        }
    }
}
