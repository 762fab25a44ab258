//! Byzantine behaviours a simulated validator can be given. Each one mutates what an otherwise honest node
//! sends, so the rest of the cluster sees exactly what a malicious validator could produce: messages are
//! re-signed with the validator's real keys wherever a real attacker could sign them, so they pass signature
//! checks and reach the rules behind them (ByzzFuzz's "small-scope" mutations, not random bytes).

/// A deviation from the protocol by one validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Byzantine {
    /// Every vote and timeout it sends carries a corrupted signature.
    BadVoteSignature,
    /// It sends every vote and timeout twice.
    DuplicateVotes,
    /// As leader it signs two different blocks for one round and sends each to half of the others.
    EquivocatingLeader,
    /// Although outside the committee, it signs and sends a vote for every proposal it sees.
    NonMemberVoter,
    /// Each vote names the right block hash but a wrong height or parent hash, validly signed over those fields.
    MismatchedVote,
    /// Besides its honest messages, it votes for blocks that do not exist and votes and times out in rounds
    /// ahead of the current one (validly signed).
    UnknownBlockVotes,
    /// It re-sends proposals and votes it saw earlier (old rounds, old epochs) alongside its own messages.
    Replay,
    /// ByzzFuzz small-scope mutations of its outgoing messages, re-signed: round ±1, epoch + 1, a stale justify.
    SmallScope,
    /// For each round it times out in, it sends timeouts carrying different high QCs to different peers.
    EquivocatingTimeouts,
    /// Certificates it sends (proposal justifies, timeout high QCs, TCs) carry forged signer bitfields.
    ForgedSigners,
    /// It sends every message 100 times (a flood at 100× the honest rate).
    Flood,
    /// With every message it sends, 1,500 copies of its latest vote, each moved to a random block of a round the others have
    /// left: a vote for a certified round is refused before its signature is checked, so each is legal on its own
    /// (a late vote proves nothing) and only their number, far past what an honest peer sends, gives it away.
    StaleVotes,
    /// With every message it sends, a gossip message of 256 transfers of about 1.2 KB each from senders that hold
    /// nothing (random keys, no signature): junk that costs its peers reading and admission — in full mode its
    /// signatures fail and convict it; signature-free it is refused as unaffordable, which proves nothing one by one.
    JunkGossip,
}

impl Byzantine {
    /// Every behaviour, for sweeps.
    pub const ALL: [Byzantine; 13] = [
        Byzantine::BadVoteSignature,
        Byzantine::DuplicateVotes,
        Byzantine::EquivocatingLeader,
        Byzantine::NonMemberVoter,
        Byzantine::MismatchedVote,
        Byzantine::UnknownBlockVotes,
        Byzantine::Replay,
        Byzantine::SmallScope,
        Byzantine::EquivocatingTimeouts,
        Byzantine::ForgedSigners,
        Byzantine::Flood,
        Byzantine::StaleVotes,
        Byzantine::JunkGossip,
    ];

    /// The behaviour's name on command lines and in results (kebab-case).
    pub fn name(self) -> &'static str {
        match self {
            Byzantine::BadVoteSignature => "bad-vote-signature",
            Byzantine::DuplicateVotes => "duplicate-votes",
            Byzantine::EquivocatingLeader => "equivocating-leader",
            Byzantine::NonMemberVoter => "non-member-voter",
            Byzantine::MismatchedVote => "mismatched-vote",
            Byzantine::UnknownBlockVotes => "unknown-block-votes",
            Byzantine::Replay => "replay",
            Byzantine::SmallScope => "small-scope",
            Byzantine::EquivocatingTimeouts => "equivocating-timeouts",
            Byzantine::ForgedSigners => "forged-signers",
            Byzantine::Flood => "flood",
            Byzantine::StaleVotes => "stale-votes",
            Byzantine::JunkGossip => "junk-gossip",
        }
    }

    /// The behaviour of that [`Byzantine::name`].
    pub fn from_name(name: &str) -> Option<Byzantine> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Behaviours a committee member can show, for the simulated sweeps: everything but
    /// [`Byzantine::NonMemberVoter`], and but [`Byzantine::JunkGossip`] — a cost attack whose defence is the wire's
    /// (a bar drops its gossip unread; the simulator has no connections, so every junk signature would be verified
    /// there, tripling the sweeps' time to show nothing about safety). It runs on the wire, in processes.
    pub fn member_behaviours() -> impl Iterator<Item = Byzantine> {
        Self::ALL.into_iter().filter(|b| !matches!(b, Byzantine::NonMemberVoter | Byzantine::JunkGossip))
    }
}
