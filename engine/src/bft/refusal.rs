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
    /// A vote or timeout signed by another validator than the peer it came from: every validator sends only its
    /// own (votes go from their signer to the next leader, timeouts from their signer to everyone), so one
    /// arriving over another validator's connection was relayed or forged by that peer.
    NotSigner,
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
            Refusal::NotSigner => "not_signer",
        }
    }

    /// Whether refusing a message for this reason proves that the peer it came from is faulty. Connections are
    /// authenticated with the validator keys, and an honest validator sends only what it made or checked itself:
    /// its own proposals, votes and timeouts, blocks and certificates it verified, client transactions whose
    /// signatures it verified. So a bad signature anywhere in what a peer sent, a structurally invalid proposal, a
    /// block carrying a weak key, a vote that contradicts the block it names or the same voter's earlier vote, or a
    /// vote or timeout not its own convicts that peer. Reasons an honest peer can cause — lagging or racing ahead
    /// (rounds, epochs, unknown parents), repeats, a certificate judged against an epoch this node has not reached,
    /// a differing execution root (nondeterminism, not malice), asking for sync too often — do not.
    pub fn proves_fault(&self) -> bool {
        matches!(
            self,
            Refusal::BadSignature
                | Refusal::Malformed
                | Refusal::WeakKey
                | Refusal::VoteMismatch
                | Refusal::Equivocation
                | Refusal::NotSigner
        )
    }
}
