//! Provisioning: choosing the transactions of the next proposal from the mempool.
//!
//! Pure: reads the mempool, committed account state and the not-yet-executed blocks the proposal extends,
//! and returns the ordered transactions. It spawns nothing: each mempool shard's part runs on the pool the mempool
//! was given (`Mempool::map_shards`), and the result is the same with any number of shards or threads. Block assembly (header, tx root via [`crate::types::tx_root`]) is
//! done by consensus.

mod config;
mod cursor;
mod select;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use config::ProvisioningConfig;
pub use select::{SelectedBy, Selection, block_bytes, select_transactions};
