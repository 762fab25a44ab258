//! Everything that can happen to a node, grouped by where it comes from.

use super::work::{AggregateOutput, ExecutedBlock, VerifyVerdicts};
use crate::types::{Epoch, Message, Round, SyncEntry, Transaction, ValidatorId};

/// Input of `NodeStateMachine::handle` (crate::node).
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // events are moved once, never stored in bulk
pub enum Event {
    /// A message from another validator.
    Network { from: ValidatorId, message: Message },
    /// A timer set earlier by a [`super::Action::SetTimer`].
    Timer(Timer),
    /// A transaction submitted by a client to this node.
    Client(Transaction),
    /// Transactions whose signatures a sigverify stage already checked (one verdict per transaction), so the node
    /// admits them without delegating verification again: a client's (statuses reported, admitted ones gossiped)
    /// or a peer's gossip (neither).
    VerifiedTxs { txs: Vec<Transaction>, verdicts: Vec<bool>, source: TxSource },
    /// The result of delegated work.
    Callback(Callback),
}

/// Where a transaction reached this node from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxSource {
    /// A client submitted it here.
    Client,
    /// Another validator gossiped it.
    Peer(ValidatorId),
}

/// Timers a node sets. A timer carries the (epoch, round) it was set for, so a stale one is recognisable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// The leader's "propose now" timer (lets the block interval pass so blocks fill).
    Propose { epoch: Epoch, round: Round },
    /// The pacemaker's view-change timer.
    ViewChange { epoch: Epoch, round: Round },
    /// Flush buffered client transactions into one verification batch and one gossip message.
    TxBatch,
    /// Retry catching up if a sync request went unanswered.
    Sync,
}

/// Results of work the node delegated through an [`super::Action`].
#[derive(Clone, Debug)]
pub enum Callback {
    /// Signature verdicts of a [`super::work::VerifyJob`].
    Verified(VerifyVerdicts),
    /// Result of an [`super::work::AggregateJob`].
    Aggregated(AggregateOutput),
    /// A committed block was executed and persisted.
    Executed(ExecutedBlock),
    /// Execution or persistence failed: the node stops committing (a loud error, never silent).
    ExecutionFailed { height: u64, error: String },
    /// Committed blocks read from storage to answer a sync request.
    SyncLoaded { to: ValidatorId, entries: Vec<SyncEntry> },
}
