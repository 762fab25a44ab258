//! Everything a node asks its runtime to do.

use super::event::Timer;
use super::work::{AggregateJob, ExecuteJob, VerifyJob};
use crate::storage::SafetyState;
use crate::types::{Hash, Height, Message, ValidatorId};
use std::time::Duration;

/// Output of [`super::NodeStateMachine::handle`]. The runtime performs actions in order; in particular a
/// [`Action::PersistSafety`] completes before any later `Send`/`Broadcast` leaves (persist-before-vote).
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // actions are moved once, never stored in bulk
pub enum Action {
    /// Send to one validator.
    Send { to: ValidatorId, message: Message },
    /// Send to every other validator.
    Broadcast { message: Message },
    /// Fire `timer` after `after` (replacing an earlier timer of the same value).
    SetTimer { timer: Timer, after: Duration },
    /// Verify signatures (sigverify stage / backend); answered by `Callback::Verified`.
    Verify(VerifyJob),
    /// Aggregate verified signatures into a certificate; answered by `Callback::Aggregated`.
    Aggregate(AggregateJob),
    /// Durably store the node's safety state before anything after it is sent.
    PersistSafety(SafetyState),
    /// Execute and persist a committed block; answered by `Callback::Executed`.
    Execute(ExecuteJob),
    /// Read committed blocks from storage for a peer; answered by `Callback::SyncLoaded`.
    LoadSync { to: ValidatorId, from_height: Height, max_blocks: usize },
    /// Report a transaction's fate to whoever watches this node (clients, the harness).
    EmitTxStatus { tx_hash: Hash, status: TxStatus },
}

/// A transaction's fate as seen by one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// Included in a committed block at `height` (executed successfully or not).
    Committed { height: Height, success: bool },
    /// Refused or dropped by the node's mempool.
    Rejected(crate::mempool::RejectReason),
}
