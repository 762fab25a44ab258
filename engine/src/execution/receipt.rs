//! What execution reports per transaction and per block.

use crate::types::{Account, AccountId, Hash, Height};

/// Why a committed transaction failed at execution. The transaction stays in the block and its receipt
/// records the failure; a failed transaction changes no state (not even the nonce or a fee).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// The transaction's nonce is not the sender account's next nonce.
    BadNonce,
    /// The sender's balance is below amount + fee.
    InsufficientBalance,
    /// amount + fee, the recipient's new balance or the sender's next nonce does not fit in a u64.
    Overflow,
}

/// Result of executing one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The transfer was applied and the fee burnt.
    Success,
    /// Nothing was applied, for this reason.
    Failed(FailReason),
}

/// Execution record of one transaction, in block order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction's id.
    pub tx_hash: Hash,
    /// What happened.
    pub outcome: Outcome,
}

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
