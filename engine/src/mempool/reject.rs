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

/// Outcome of a successful admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// Id of the admitted transaction.
    pub tx_hash: Hash,
    /// The pending transaction it replaced (same sender and nonce, lower fee), reported with reason
    /// [`RejectReason::Replaced`].
    pub replaced: Option<Rejection>,
}
