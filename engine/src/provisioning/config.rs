//! Block size limits for transaction selection.

use crate::types::invalid_config::{InvalidConfig, invalid};
use serde::{Deserialize, Serialize};

/// Limits on one block's transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProvisioningConfig {
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Most transaction bytes in one block, as counted by [`super::block_bytes`].
    pub max_block_bytes: usize,
}

impl Default for ProvisioningConfig {
    fn default() -> Self {
        ProvisioningConfig { max_block_txs: 1024, max_block_bytes: 1 << 20 }
    }
}

impl ProvisioningConfig {
    /// Room for at least one transaction per block (key under `[provisioning]`).
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        if self.max_block_txs == 0 {
            return invalid("provisioning.max_block_txs", "must be > 0");
        }
        Ok(())
    }
}
