//! Deterministic execution of committed blocks, in block order, over account state (balance, nonce).
//!
//! Each transaction is a transfer: if its nonce is the sender's next nonce and the sender can pay amount +
//! fee, the amount moves to the recipient, the fee is burnt and the sender's nonce advances; otherwise the
//! transaction fails with a [`FailReason`], stays in the block, and changes nothing. Every block yields a
//! [`BlockExecution`]: receipts in block order, the changed accounts (sorted) and the new state root, a
//! compact sparse Blake3 Merkle root ([`StateTree`]) whose update costs O(changed accounts × log n).
//! The hashing rule is spelled out in [`tree_hash`]; [`full_root`] recomputes it from scratch.

mod error;
mod full_root;
mod receipt;
mod state;
mod state_tree;
mod transfer;
pub mod tree_hash;

pub use crate::types::{FailReason, Outcome, Receipt};
pub use error::ExecutionError;
pub use full_root::full_root;
pub use receipt::BlockExecution;
pub use state::ExecutionState;
pub use state_tree::StateTree;

#[cfg(test)]
mod tests;
