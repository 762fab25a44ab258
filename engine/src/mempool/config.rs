//! Mempool limits: how many transactions it holds, how large one may be, how far ahead a sender may queue.

use crate::types::invalid_config::{InvalidConfig, invalid};
use serde::{Deserialize, Serialize};

/// Admission limits of the [`super::Mempool`]. Every limit that refuses a transaction has its own
/// [`super::RejectReason`], so a run report shows which one a workload hit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    /// Most pending transactions held at once; a full pool refuses new ones (back-pressure) rather than
    /// evicting, so an overloaded node shows up as `mempool_full` rejections.
    pub capacity: usize,
    /// Largest accepted transaction, in canonical encoded bytes.
    pub max_tx_bytes: usize,
    /// A transaction's nonce must be below the sender's committed nonce plus this window, which bounds how
    /// much one sender can queue and how long a per-sender scan can be.
    pub nonce_window: u64,
    /// Chain id every admitted transaction must carry (replay protection across networks).
    pub chain_id: u32,
}

impl MempoolConfig {
    /// A positive capacity (key under `[mempool]`).
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        if self.capacity == 0 {
            return invalid("mempool.capacity", "must be > 0");
        }
        Ok(())
    }
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig { capacity: 10_000, max_tx_bytes: 2048, nonce_window: 64, chain_id: 1 }
    }
}
