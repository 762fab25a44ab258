//! `[mempool]`: its `chain_id` is inherited from `[cluster]` (the engine's `MempoolConfig` validates its own
//! fields).

use super::{BenchConfig, ConfigError};

/// `chain_id` is set once, in `[cluster]`; `[mempool]` inherits it. Writing `mempool.chain_id` is allowed only
/// when it equals `cluster.chain_id` (so a config copied from elsewhere cannot silently reject every
/// transaction as wrong-chain).
pub(super) fn inherit_chain_id(table: &toml::Table, config: &mut BenchConfig, origin: &str) -> Result<(), ConfigError> {
    let explicit_mempool_chain = table
        .get("mempool")
        .and_then(|m| m.get("chain_id"))
        .map(|v| v.as_integer())
        .map(|v| v.and_then(|v| u32::try_from(v).ok()));
    if let Some(mempool_chain) = explicit_mempool_chain
        && mempool_chain != Some(config.cluster.chain_id)
    {
        return Err(ConfigError::Invalid {
            origin: origin.to_string(),
            key: "mempool.chain_id",
            message: format!(
                "differs from cluster.chain_id ({}); set chain_id only in [cluster], [mempool] inherits it",
                config.cluster.chain_id
            ),
        });
    }
    config.mempool.chain_id = config.cluster.chain_id;
    Ok(())
}
