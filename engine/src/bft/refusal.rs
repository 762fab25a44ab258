//! Why consensus refused a message. Every refusal is counted, none is silent.

/// A consensus message that was not accepted, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// A signature or certificate failed verification.
    BadSignature,
    /// Structurally invalid (inconsistent fields, wrong chain, body not matching header…).
    Malformed,
    /// Belongs to an epoch the node has left.
    OldEpoch,
    /// Belongs to an epoch the node has not reached (it starts catching up).
    FutureEpoch,
    /// Signed by a validator outside the epoch's committee.
    NonMember,
    /// A proposal from someone other than the round's leader.
    WrongLeader,
    /// For a round the node has already left.
    StaleRound,
    /// A vote for a round more than [`crate::bft::FUTURE_VOTE_ROUNDS`] ahead of the node's, or a timeout that far
    /// beyond both the node's round and the round its own certificates lead to: it could only pile up (a member
    /// can sign one for every round number); the node catches up by proposals, certificates and sync instead.
    FutureRound,
    /// A second vote or timeout from the same validator for the same thing.
    Duplicate,
    /// A vote for a different block than the same validator's earlier vote in that round.
    Equivocation,
    /// A certificate with too few signers, or an epoch-start certificate that is not the known one.
    BadCertificate,
    /// A proposal whose execution root disagrees with this node's (evidence of nondeterminism).
    StateRootMismatch,
    /// A block after the epoch's last height that carries transactions.
    NonEmptyTail,
    /// A proposal whose parent is unknown (kept and fetched by sync when possible).
    UnknownParent,
    /// A vote whose height, parent hash or round disagree with the block it names.
    VoteMismatch,
    /// A proposal carrying a transaction from or to a small-order Ed25519 key (spendable by anyone).
    WeakKey,
    /// A sync request from a peer served less than [`crate::bft::SYNC_SERVE_INTERVAL`] ago (each costs a storage
    /// read and a large answer; an honest peer asks at most once per [`crate::bft::SYNC_RETRY`]).
    SyncTooSoon,
}

impl Refusal {
    /// Stable snake_case name (metrics, JSON).
    pub fn as_str(&self) -> &'static str {
        match self {
            Refusal::BadSignature => "bad_signature",
            Refusal::Malformed => "malformed",
            Refusal::OldEpoch => "old_epoch",
            Refusal::FutureEpoch => "future_epoch",
            Refusal::NonMember => "non_member",
            Refusal::WrongLeader => "wrong_leader",
            Refusal::StaleRound => "stale_round",
            Refusal::FutureRound => "future_round",
            Refusal::Duplicate => "duplicate",
            Refusal::Equivocation => "equivocation",
            Refusal::BadCertificate => "bad_certificate",
            Refusal::StateRootMismatch => "state_root_mismatch",
            Refusal::NonEmptyTail => "non_empty_tail",
            Refusal::UnknownParent => "unknown_parent",
            Refusal::VoteMismatch => "vote_mismatch",
            Refusal::WeakKey => "weak_key",
            Refusal::SyncTooSoon => "sync_too_soon",
        }
    }
}
