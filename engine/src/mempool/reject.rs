//! A mempool refusal or removal: the transaction and its [`RejectReason`].

use crate::protocol::RejectReason;
use crate::types::Hash;

/// A transaction the mempool refused or removed, and why; reported back to the client as its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("transaction {tx_hash} rejected: {reason}")]
pub struct Rejection {
    /// Id of the refused or removed transaction.
    pub tx_hash: Hash,
    /// Why.
    pub reason: RejectReason,
}

/// Outcome of a successful admission (the transaction is pending, or parked until its sender's earlier nonces
/// arrive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// Id of the admitted transaction.
    pub tx_hash: Hash,
    /// Transactions the admission removed, each reported to its client: the one it replaced (same sender and
    /// nonce, lower fee; [`RejectReason::Replaced`]) and parked successors it let through that could not become
    /// pending (the sender cannot afford them after it; [`RejectReason::Invalidated`]).
    pub dropped: Vec<Rejection>,
}
