//! What execution records per transaction: the receipt every node reports for a committed transaction.

use super::Hash;

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
