//! What execution reports per transaction and per block.

use crate::types::{Account, AccountId, Hash, Height, Outcome, Receipt};

/// What executing one block produced: the new root, per-transaction receipts and the state delta that storage
/// persists in the same write transaction as the block.
#[derive(Clone, Debug)]
pub struct BlockExecution {
    /// Height of the executed block.
    pub height: Height,
    /// State root after the block.
    pub state_root: Hash,
    /// One receipt per transaction, in block order.
    pub receipts: Vec<Receipt>,
    /// Accounts whose state differs from before the block, sorted by id, with their final values. A default
    /// value (balance 0, nonce 0) means the account no longer exists.
    pub changed: Vec<(AccountId, Account)>,
    /// Sum of the fees of successful transactions, all burnt (saturates at u64::MAX, unreachable while the
    /// total supply fits in a u64).
    pub fees_burnt: u64,
}

impl BlockExecution {
    /// Number of transactions that succeeded.
    pub fn successes(&self) -> usize {
        self.receipts.iter().filter(|r| r.outcome == Outcome::Success).count()
    }
}
