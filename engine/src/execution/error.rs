//! The one error type of the execution module.

use crate::types::Height;

/// Why a block could not be executed at all (a failing transaction is not an error: see `Receipt`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutionError {
    /// Blocks must be executed strictly in height order, each exactly once.
    #[error("block at height {got} executed out of order (expected {expected})")]
    OutOfOrder {
        /// The height that would have been next (executed height + 1).
        expected: Height,
        /// The height of the block offered.
        got: Height,
    },
}
