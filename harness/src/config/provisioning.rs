//! `[provisioning]`: the engine's `ProvisioningConfig` (block building limits), checked here.
//!
//! These are the engine's own fields: their checks belong in the engine, as a `validate` on
//! `hsbench_engine::provisioning::ProvisioningConfig`; they live here until it has one.

use super::{Check, Section, invalid};
use hsbench_engine::provisioning::ProvisioningConfig;

impl Section for ProvisioningConfig {
    /// Room for at least one transaction per block.
    fn validate(&self) -> Check {
        if self.max_block_txs == 0 {
            return invalid("provisioning.max_block_txs", "must be > 0".to_string());
        }
        Ok(())
    }
}
