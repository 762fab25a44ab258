//! A transaction's fate: what a node reports about each transaction it saw, to clients and the harness.

use crate::types::{Hash, Height};
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// A transaction's fate as seen by one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// Included in a committed block at `height` (executed successfully or not).
    Committed { height: Height, success: bool },
    /// Refused or dropped by the node's mempool.
    Rejected(RejectReason),
}

/// One status change, with when and where it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxEvent {
    /// Node (index in its runtime) that reported it.
    pub node: usize,
    /// Transaction id.
    pub tx_hash: Hash,
    /// What happened.
    pub status: TxStatus,
    /// Runtime time of the event (virtual in the simulator, since start in the pipeline).
    pub at: Duration,
    /// For a commit: when this node first saw its block proposed and when it committed the block, on the clock of
    /// `at` — what splits the transaction's latency into "before its block", "proposal → commit" and "commit →
    /// reported". Only the pipeline's node stage keeps these; `None` elsewhere and for blocks it only synced.
    pub block: Option<BlockTimes>,
}

/// When one node first saw a block proposed (its own proposal or a peer's) and when it committed it (the
/// two-chain rule fired and the block went to execution), on the clock of the node's [`TxEvent::at`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockTimes {
    /// The block's proposal first reached (or left) the node.
    pub proposed: Duration,
    /// The node committed the block.
    pub committed: Duration,
}

/// Why a transaction was refused at admission or removed later — every reason has a counter
/// (`Mempool::rejections` (crate::mempool)), so no transaction leaves the pool unaccounted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The sigverify stage found the signature invalid.
    BadSignature,
    /// The sender or recipient is a small-order Ed25519 key, for which anyone can forge signatures.
    WeakKey,
    /// The transaction names another chain.
    WrongChain,
    /// The nonce was already consumed by the sender's committed state (or by a pending transaction that
    /// the pool has already seen executed).
    NonceTooLow,
    /// The nonce would leave a gap in the sender's queue, or lies beyond the nonce window.
    NonceGap,
    /// The sender's balance does not cover this transaction plus its pending predecessors.
    InsufficientBalance,
    /// The encoding is larger than the configured limit.
    TooLarge,
    /// A pending transaction with the same sender and nonce pays at least as much fee.
    Conflict,
    /// Evicted by a transaction with the same sender and nonce paying a higher fee.
    Replaced,
    /// A transaction with the same hash is already pending.
    Duplicate,
    /// The pool is at capacity.
    MempoolFull,
    /// Its nonce was consumed by another committed transaction, or it can no longer be afforded after a
    /// state update.
    Invalidated,
}

impl RejectReason {
    /// Every reason, in counter order.
    pub const ALL: [RejectReason; 12] = [
        RejectReason::BadSignature,
        RejectReason::WeakKey,
        RejectReason::WrongChain,
        RejectReason::NonceTooLow,
        RejectReason::NonceGap,
        RejectReason::InsufficientBalance,
        RejectReason::TooLarge,
        RejectReason::Conflict,
        RejectReason::Replaced,
        RejectReason::Duplicate,
        RejectReason::MempoolFull,
        RejectReason::Invalidated,
    ];

    /// The snake_case name used for the metric, the JSON field and the report column (same as serde's).
    pub fn as_str(&self) -> &'static str {
        match self {
            RejectReason::BadSignature => "bad_signature",
            RejectReason::WeakKey => "weak_key",
            RejectReason::WrongChain => "wrong_chain",
            RejectReason::NonceTooLow => "nonce_too_low",
            RejectReason::NonceGap => "nonce_gap",
            RejectReason::InsufficientBalance => "insufficient_balance",
            RejectReason::TooLarge => "too_large",
            RejectReason::Conflict => "conflict",
            RejectReason::Replaced => "replaced",
            RejectReason::Duplicate => "duplicate",
            RejectReason::MempoolFull => "mempool_full",
            RejectReason::Invalidated => "invalidated",
        }
    }

    /// True for reasons given to a transaction being admitted (as opposed to one already pending being
    /// removed: [`RejectReason::Replaced`], [`RejectReason::Invalidated`]).
    pub fn is_admission(&self) -> bool {
        !matches!(self, RejectReason::Replaced | RejectReason::Invalidated)
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
