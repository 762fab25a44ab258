//! What travels between the pipeline's stages and between the node stage and the synthetic committee.

use crate::execution::BlockExecution;
use crate::network::Held;
use crate::protocol::Callback;
use crate::protocol::work::ExecuteJob;
use crate::types::{Message, ValidatorId};
use std::time::Instant;

/// A consensus message on the simulated link between the node under test and the committee: delivered at `at`
/// (send time + the configured one-way latency). Both ends keep FIFO order, so a constant delay keeps `at`
/// non-decreasing along one link.
#[derive(Clone, Debug)]
pub(crate) struct Envelope {
    /// When the receiver may see it.
    pub at: Instant,
    /// Sender.
    pub from: ValidatorId,
    /// Receiver; `None` is every committee member (a broadcast by the node under test).
    pub to: Option<ValidatorId>,
    /// The message.
    pub message: Message,
}

/// Inputs of the node stage that must never wait behind client transactions and travel on an unbounded
/// queue: they close cycles (node → execution → storage → node, node ↔ committee) that would deadlock if every
/// edge were bounded. Their volume is bounded by the protocol (one callback per executed block, a handful of
/// consensus messages per round).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // moved once
pub(crate) enum SystemInput {
    /// A message from a committee member.
    Network(Envelope),
    /// Delegated work finished (executed and persisted, or failed).
    Callback(Callback),
    /// The bytes the peers' messages of this batch hold on their accounts (`network::held`): given back when the
    /// node stage takes the batch up and drops this — so what peers make a validator hold stays bounded in bytes
    /// up to the node stage itself.
    Release(Vec<Held>),
}

/// The node stage's inputs in `batch`: its messages and callbacks, not the release of the peers' held bytes that
/// travels with them.
pub(crate) fn input_count(batch: &[SystemInput]) -> usize {
    batch.iter().filter(|input| !matches!(input, SystemInput::Release(_))).count()
}

/// What the execution stage hands to the storage stage, in block order.
#[allow(clippy::large_enum_variant)] // moved once
pub(crate) enum Executed {
    /// The block executed; persist it, then report it to the node.
    Done { job: ExecuteJob, result: BlockExecution },
    /// Execution failed; the node must hear it after every earlier block's result.
    Failed { height: u64, error: String },
}
