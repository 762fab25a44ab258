//! Byzantine behaviours a simulated validator can be given. Each one mutates what an otherwise honest node
//! sends, so the rest of the cluster sees exactly what a malicious validator could produce.

/// A deviation from the protocol by one validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Byzantine {
    /// Every vote and timeout it sends carries a corrupted signature.
    BadVoteSignature,
    /// It sends every vote and timeout twice.
    DuplicateVotes,
    /// As leader it signs two different blocks for one round and sends each to half of the others.
    EquivocatingLeader,
    /// Although outside the committee, it signs and sends a vote for every proposal it sees.
    NonMemberVoter,
}
