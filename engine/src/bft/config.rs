//! Consensus timing and epoch configuration.

use super::leader::{LeaderElection, ReputationParams};
use crate::types::ValidatorId;
use crate::types::invalid_config::{InvalidConfig, invalid};
use serde::{Deserialize, Serialize};

/// Knobs of the HotStuff-2 core and its pacemaker. Times are milliseconds of the runtime's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusConfig {
    /// Least time between blocks: a leader proposes no sooner than this after the last proposal it handled (and
    /// never before it holds the quorum of its round), so blocks fill with transactions.
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
    /// How each round's leader is chosen: `round-robin` (the default) or `reputation` (round-robin over the members
    /// whose latest led round in the recent window did not fail, from the committed chain; docs/PROTOCOL-CHOICES.md
    /// "Leader reputation").
    pub leader_election: LeaderElection,
    /// Rounds a failed round counts against its leader (`reputation` only): a member left out is tried again
    /// after this many rounds.
    pub reputation_window_rounds: u64,
    /// Rounds between the newest round the window covers and the round whose leader it decides (`reputation`
    /// only): replicas must have committed that far to agree on the leader.
    pub reputation_lag_rounds: u64,
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
            leader_election: LeaderElection::default(),
            reputation_window_rounds: 1000,
            reputation_lag_rounds: 4,
        }
    }
}

impl ConsensusConfig {
    /// The leader-election knobs.
    pub fn reputation(&self) -> ReputationParams {
        ReputationParams {
            election: self.leader_election,
            window: self.reputation_window_rounds,
            lag: self.reputation_lag_rounds,
        }
    }

    /// A positive base timeout, a backoff of at least 1, a maximum timeout not below the base, a reputation
    /// window and lag of at least one round (keys under `[consensus]`).
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        self.reputation().validate()?;
        if self.base_timeout_ms == 0 {
            return invalid("consensus.base_timeout_ms", "must be > 0");
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
