//! Everything a node asks its runtime to do.

use super::event::Timer;
use super::tx_status::TxStatus;
use super::work::{AggregateJob, ExecuteJob, VerifyJob};
use crate::types::{Hash, Height, Message, SafetyState, ValidatorId};
use std::time::Duration;

/// Output of `NodeStateMachine::handle` (crate::node). The runtime performs actions in order; in particular a
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
    /// Aggregate signatures into a certificate and verify it; answered by `Callback::Aggregated`.
    Aggregate(AggregateJob),
    /// Durably store the node's safety state before anything after it is sent.
    PersistSafety(SafetyState),
    /// Execute and persist a committed block; answered by `Callback::Executed`.
    Execute(ExecuteJob),
    /// Read committed blocks from storage for a peer; answered by `Callback::SyncLoaded`.
    LoadSync { to: ValidatorId, from_height: Height, max_blocks: usize },
    /// Report transactions' fates, in order, to whoever watches this node (clients, the harness): one action per
    /// batch (a committed block's receipts and the removals it caused, an admitted batch's rejections), not one
    /// per transaction — an `Action` is large, and thousands of them per block cost more than the statuses.
    EmitTxStatuses(Vec<(Hash, TxStatus)>),
    /// Bar or throttle a peer: one that sent what no honest validator sends is barred (what it sends that would
    /// need checking is dropped), one that keeps sending what is refused without proving a fault has such messages passed only at a fraction of its rate.
    /// Runtimes without connections do nothing; the node's report counts both either way.
    SanctionPeer(PeerSanction),
}

/// What the node asks its network to do about a peer, why, and for how long ([`Action::SanctionPeer`]; the
/// pipeline hands it on to the network stage as it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerSanction {
    /// The peer.
    pub peer: ValidatorId,
    /// What it sent: a `bft::Refusal` name (for a bar, one that `Refusal::proves_fault` accepts).
    pub reason: &'static str,
    /// Bar or throttle.
    pub kind: Sanction,
    /// How long it lasts.
    pub span: Duration,
}

/// The two sanctions of a peer ([`PeerSanction`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sanction {
    /// Convicted of a fault: its votes, timeouts, gossip and sync responses are dropped unread.
    Bar,
    /// Not convicted, but it sent more refused messages than an honest peer can in a second: its votes, timeouts,
    /// gossip and sync responses pass only up to a fraction of its rate (the rest dropped as read), its proposals
    /// always, so what it makes the node check and refuse costs that fraction.
    Throttle,
}
