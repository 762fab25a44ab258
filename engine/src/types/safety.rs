//! The node's safety state: what it must persist before a vote or timeout leaves, so a restart never votes
//! twice in a round.

use super::codec::{Decode, DecodeError, Encode, Reader, Writer};
use super::{Epoch, QuorumCertificate, Round};

/// The node's own safety state, persisted BEFORE any vote or timeout is sent, so a restarted node never
/// votes twice in a round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafetyState {
    /// Epoch the node last voted (or timed out) in.
    pub epoch: Epoch,
    /// Highest round of `epoch` the node voted or timed out in.
    pub last_voted_round: Round,
    /// Highest QC the node has seen.
    pub high_qc: QuorumCertificate,
}

impl SafetyState {
    /// Ordering key: a node may only move its safety state forward in this order.
    pub fn rank(&self) -> (Epoch, Round) {
        (self.epoch, self.last_voted_round)
    }
}

impl Encode for SafetyState {
    fn encode_to(&self, w: &mut Writer) {
        w.u64(self.epoch).u64(self.last_voted_round).put(&self.high_qc);
    }
}

impl Decode for SafetyState {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SafetyState { epoch: r.u64()?, last_voted_round: r.u64()?, high_qc: r.get()? })
    }
}
