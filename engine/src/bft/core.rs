//! HotStuff-2 (chained): one validator's consensus state, its construction and restart, and the timer entry point.
//! The rules live in one file per role, each an `impl HotStuff` block:
//! - `proposal`: building, checking and voting on proposals;
//! - `votes`: vote collection, QC/TC checks and aggregation;
//! - `commit`: the high QC, the two-chain commit rule and epoch changes;
//! - `view_change`: rounds, the view timer, timeouts and TCs;
//! - `sync`: sync requests and answers.
//!
//! This file implements "Restart" of docs/PROTOCOL-CHOICES.md (safety state restored, or kept as a floor when it
//! is of a later epoch; the first round of an epoch follows the lock only when the lock is of that epoch) and the
//! persist-before-send part of "Voting (safety)" (`persist_safety`, whose action precedes the vote's `Send`).
//!
//! Pure: every input is a method call with the current time, every output is pushed into [`Outputs`].
//! Signatures are checked by the runtime between `check_*` (what must be verified) and `on_*` (the verified
//! message), so this module never does crypto verification itself.

use super::block_tree::BlockTree;
use super::collector::SignatureSet;
use super::committee::EpochSchedule;
use super::config::ConsensusConfig;
use super::leader::Reputation;
use super::refusal::Refusal;
use crate::crypto::{ValidatorKeyPair, VoteScheme};
use crate::protocol::{Action, Timer};
use crate::types::{
    Block, Epoch, Hash, Height, Proposal, QuorumCertificate, Round, SafetyState, SignerBitfield, SyncEntry,
    TimeoutCertificate, ValidatorId, Vote,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

mod commit;
mod proposal;
mod sync;
mod view_change;
mod votes;

pub use sync::{SYNC_BATCH, SYNC_RETRY, SYNC_SERVE_INTERVAL};
pub use votes::FUTURE_VOTE_ROUNDS;

/// Fixed parameters of one validator's consensus instance.
#[derive(Clone)]
pub struct BftParams {
    /// This validator's global id.
    pub me: ValidatorId,
    /// Chain id signed into every message.
    pub chain_id: u32,
    /// Vote signature scheme.
    pub scheme: VoteScheme,
    /// Timing and epoch knobs.
    pub config: ConsensusConfig,
    /// Committees per epoch.
    pub schedule: EpochSchedule,
    /// The genesis block (height 0), identical on every node.
    pub genesis: Block,
    /// Ed25519 public keys of every validator (proposal signatures), by global id.
    pub proposer_keys: Arc<Vec<[u8; 32]>>,
    /// This validator's signing keys.
    pub keys: Arc<ValidatorKeyPair>,
}

/// Where a node resumes from after a restart.
#[derive(Clone, Debug)]
pub struct BftResume {
    /// Last committed block and the QC certifying it.
    pub committed: (Block, QuorumCertificate),
    /// Epoch the node was in.
    pub epoch: Epoch,
    /// Persisted safety state, if any vote was ever sent.
    pub safety: Option<SafetyState>,
    /// Rounds of the committed blocks of `epoch`, ascending, from storage: leader reputation replays them
    /// ([`Reputation::replay`]) so the restarted node chooses the leaders the others do.
    pub committed_rounds: Vec<Round>,
}

/// A block that just committed, with what storage and sync need about it.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The block.
    pub block: Block,
    /// QC certifying it.
    pub qc: QuorumCertificate,
    /// For the last block of an epoch: the chain (with QCs) above it that proves the commit.
    pub commit_proof: Vec<SyncEntry>,
    /// Epoch the node is in once this block is committed.
    pub epoch_after: Epoch,
}

/// What the leader needs to build its block.
#[derive(Clone, Debug)]
pub struct ProposeRequest {
    /// Epoch of the new block.
    pub epoch: Epoch,
    /// Round of the new block.
    pub round: Round,
    /// Parent block (the high QC's block).
    pub parent: Block,
    /// The high QC, justify of the new block.
    pub parent_qc: QuorumCertificate,
    /// TC of the previous round if the round was entered by timeout.
    pub tc: Option<TimeoutCertificate>,
    /// True when the block must be empty (an epoch tail block).
    pub must_be_empty: bool,
}

/// Everything one call produced.
#[derive(Default)]
pub struct Outputs {
    /// Actions for the runtime, in order.
    pub actions: Vec<Action>,
    /// Blocks that committed, in height order.
    pub commits: Vec<Committed>,
    /// Set when this node must now build a proposal.
    pub propose: Option<ProposeRequest>,
    /// Messages refused while handling the call.
    pub refused: Vec<Refusal>,
    /// Votes whose signatures must now be checked one by one (they were in a certificate whose check failed); the
    /// node verifies each and hands the good ones back through [`HotStuff::on_vote`].
    pub verify_alone: Vec<Vote>,
}

/// Counters reported at the end of a run.
#[derive(Clone, Debug, Default)]
pub struct BftStats {
    /// Proposals this node made.
    pub proposals: u64,
    /// Rounds this node left through a timeout certificate.
    pub timeouts: u64,
    /// Epoch changes seen.
    pub epoch_changes: u64,
    /// Sync requests sent.
    pub sync_requests: u64,
}

enum PendingCert {
    Qc {
        epoch: Epoch,
        round: Round,
        height: Height,
        block_hash: Hash,
        parent_hash: Hash,
        signers: SignerBitfield,
        /// Digest of the signed vote message (the key of its signature set).
        digest: Hash,
        /// The votes in the certificate that were not checked alone, with their committee positions: the
        /// certificate's check is theirs.
        unchecked: Vec<(usize, Vote)>,
    },
    Tc {
        epoch: Epoch,
        round: Round,
        high_qc: QuorumCertificate,
        signers: SignerBitfield,
    },
}

/// One validator's HotStuff-2 state.
pub struct HotStuff {
    p: BftParams,
    epoch: Epoch,
    round: Round,
    last_voted_round: Round,
    high_qc: QuorumCertificate,
    last_tc: Option<TimeoutCertificate>,
    tree: BlockTree,
    committed_qc: QuorumCertificate,
    genesis_qc: QuorumCertificate,
    failed_rounds: u32,
    /// Leader election's record of the epoch's committed and failed rounds, from the committed chain: who leads
    /// each round.
    reputation: Reputation,
    proposed_round: Option<(Epoch, Round)>,
    /// The round (with its epoch) of the newest proposal this node handled of its current round or later (its own
    /// included), and when it handled the first one of that round: a leader counts `min_block_interval_ms` from
    /// there, so the interval overlaps the round's messages. Only a round's first proposal counts, so a byzantine
    /// leader sending another block later in its round cannot push the next block back.
    last_proposal_at: Option<((Epoch, Round), Duration)>,
    /// Votes by round and digest of the signed vote message: a vote counts only toward a certificate over the
    /// very message it signed (every field, not just the block hash).
    votes: BTreeMap<(Round, Hash), SignatureSet>,
    /// The digest of each validator's vote message per round (a second, different one is equivocation).
    voted_for: HashMap<(Round, ValidatorId), Hash>,
    /// Votes not checked yet, by round and digest and committee position, waiting to complete a quorum whose
    /// certificate check covers them. At most one per voter and round, of the current round or a neighbour, and
    /// pruned with `votes`: three committees' worth at most, however many votes peers send.
    held_votes: BTreeMap<(Round, Hash), BTreeMap<usize, Vote>>,
    timeouts: BTreeMap<Round, SignatureSet>,
    sent_timeout: Option<Round>,
    pending_certs: HashMap<u64, PendingCert>,
    next_job: u64,
    /// Digests of certificates already verified, with their rank (pruned below the committed tip).
    verified_certs: HashMap<Hash, (Epoch, Round)>,
    /// Proposals waiting for their parent, with the execution-root verdict computed when they arrived.
    buffered: BTreeMap<(Height, Hash), (Proposal, bool)>,
    last_sync_request: Option<Duration>,
    epoch_proofs: BTreeMap<Epoch, Vec<SyncEntry>>,
    /// Safety state persisted in a later epoch than the committed one (the node crashed after entering that
    /// epoch, before its storage wrote the boundary block). Until the node is back in that epoch it neither
    /// votes nor times out (it already left the epochs below) nor persists; on entering it, the state is restored.
    resume_floor: Option<SafetyState>,
    stats: BftStats,
}

impl HotStuff {
    /// A fresh validator at genesis, or one resuming from storage.
    pub fn new(p: BftParams, resume: Option<BftResume>) -> Self {
        let genesis_hash = p.genesis.hash();
        let genesis_qc = QuorumCertificate::epoch_start(0, 0, genesis_hash, p.genesis.header.parent_hash);
        let (root, committed_qc, epoch, safety, rounds) = match resume {
            Some(r) => (r.committed.0, r.committed.1, r.epoch, r.safety, r.committed_rounds),
            None => (p.genesis.clone(), genesis_qc.clone(), 0, None, Vec::new()),
        };
        let reputation = Reputation::replay(p.config.reputation(), &p.schedule, epoch, &rounds);
        let mut hs = HotStuff {
            epoch,
            round: 0,
            last_voted_round: 0,
            high_qc: committed_qc.clone(),
            last_tc: None,
            tree: BlockTree::new(root),
            committed_qc,
            genesis_qc,
            failed_rounds: 0,
            reputation,
            proposed_round: None,
            last_proposal_at: None,
            votes: BTreeMap::new(),
            voted_for: HashMap::new(),
            held_votes: BTreeMap::new(),
            timeouts: BTreeMap::new(),
            sent_timeout: None,
            pending_certs: HashMap::new(),
            next_job: 0,
            verified_certs: HashMap::new(),
            buffered: BTreeMap::new(),
            last_sync_request: None,
            epoch_proofs: BTreeMap::new(),
            resume_floor: None,
            stats: BftStats::default(),
            p,
        };
        match safety {
            Some(s) if s.epoch == hs.epoch => hs.restore(s),
            Some(s) if s.epoch > hs.epoch => hs.resume_floor = Some(s),
            _ => {}
        }
        hs
    }

    /// Takes over persisted safety state of the current epoch: the last voted round, and the lock if higher
    /// (its block is fetched by sync when needed).
    fn restore(&mut self, s: SafetyState) {
        self.last_voted_round = self.last_voted_round.max(s.last_voted_round);
        self.round = self.round.max(s.last_voted_round);
        if s.high_qc.rank() > self.high_qc.rank() {
            self.high_qc = s.high_qc;
        }
    }

    /// False while the node is below the epoch of safety state it persisted before a crash: it has left this
    /// epoch already, so it must not vote or time out in it again.
    fn may_act(&self) -> bool {
        self.resume_floor.as_ref().is_none_or(|f| f.epoch <= self.epoch)
    }

    fn persist_safety(&self, out: &mut Outputs) {
        if !self.may_act() {
            return; // the persisted state of a later epoch stays; nothing was voted here
        }
        out.actions.push(Action::PersistSafety(SafetyState {
            epoch: self.epoch,
            last_voted_round: self.last_voted_round,
            high_qc: self.high_qc.clone(),
        }));
    }

    /// The round a node (re)starts in within its epoch: after its lock and its last vote. A lock of the
    /// previous epoch (the boundary QC) does not count: rounds restart at 1 in each epoch.
    fn first_round(&self) -> Round {
        let lock_round = if self.high_qc.epoch == self.epoch { self.high_qc.round } else { 0 };
        lock_round.max(self.last_voted_round) + 1
    }

    /// Arms the first round; a resumed node also asks its peers for what it missed.
    pub fn start(&mut self, now: Duration, out: &mut Outputs) {
        self.enter_round(now, self.first_round(), out);
        if self.tree.root_height() > 0 || self.last_voted_round > 0 || self.resume_floor.is_some() {
            self.request_sync(now, None, out);
        }
    }

    /// A timer fired.
    pub fn on_timer(&mut self, now: Duration, timer: Timer, out: &mut Outputs) {
        match timer {
            Timer::Propose { epoch, round } if epoch == self.epoch && round == self.round => {
                self.on_propose_timer(now, epoch, round, out);
            }
            Timer::ViewChange { epoch, round } if epoch == self.epoch && round == self.round => {
                self.on_view_timer(now, epoch, round, out);
            }
            Timer::Sync => {}
            _ => {}
        }
    }

    // ---- accessors ---------------------------------------------------------------------------------------

    /// Current epoch.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }
    /// Current round.
    pub fn round(&self) -> Round {
        self.round
    }
    /// Highest QC known (the lock).
    pub fn high_qc(&self) -> &QuorumCertificate {
        &self.high_qc
    }
    /// Height of the committed tip.
    pub fn committed_height(&self) -> Height {
        self.tree.root_height()
    }
    /// The committed tip and its QC.
    pub fn committed_tip(&self) -> (&Block, &QuorumCertificate) {
        (self.tree.root(), &self.committed_qc)
    }
    /// Uncommitted blocks from the committed tip (exclusive) up to `tip`, oldest first.
    pub fn chain_to(&self, tip: &Hash) -> Option<Vec<&Block>> {
        self.tree.chain_to(tip)
    }
    /// Certificates remembered as verified (pruned below the committed tip, so bounded in a long run).
    pub fn verified_certificate_count(&self) -> usize {
        self.verified_certs.len()
    }
    /// Counters.
    pub fn stats(&self) -> &BftStats {
        &self.stats
    }
    /// Leader of `round` in `epoch` as this node sees it ([`crate::bft::leader`]).
    pub fn leader(&self, epoch: Epoch, round: Round) -> ValidatorId {
        self.reputation.leader(&self.p.schedule, epoch, round)
    }
    /// Members the current round's leader schedule leaves out (their latest led round in the window failed).
    pub fn leaders_left_out(&self) -> Vec<ValidatorId> {
        self.reputation.excluded(&self.p.schedule, self.epoch, self.round)
    }
    /// Rounds recorded as failed against each member (leader reputation's record; see [`crate::bft::leader`]).
    pub fn failed_leader_rounds(&self) -> &std::collections::BTreeMap<ValidatorId, u64> {
        self.reputation.failures()
    }
    /// Committee of the current epoch.
    pub fn committee(&self) -> &[ValidatorId] {
        self.p.schedule.committee(self.epoch)
    }
    /// Whether this node votes in the current epoch.
    pub fn is_member(&self) -> bool {
        self.p.schedule.position(self.epoch, self.p.me).is_some()
    }
}
