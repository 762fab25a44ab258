//! HotStuff-2 (chained): rounds, votes, QCs, two-chain commit, view change, epochs, block sync.
//!
//! Pure: every input is a method call with the current time, every output is pushed into [`Outputs`].
//! Signatures are checked by the runtime between `check_*` (what must be verified) and `on_*` (the verified
//! message), so this module never does crypto verification itself.

use super::block_tree::BlockTree;
use super::collector::SignatureSet;
use super::committee::EpochSchedule;
use super::config::ConsensusConfig;
use super::refusal::Refusal;
use crate::crypto::{ValidatorKeyPair, VoteScheme};
use crate::node::work::{Ed25519Check, VerifyJob};
use crate::node::{Action, Timer};
use crate::storage::SafetyState;
use crate::types::{
    Block, Epoch, Hash, Height, Message, Proposal, QuorumCertificate, Round, SignerBitfield, SyncEntry,
    TimeoutCertificate, ValidatorId, Vote, proposal_message, vote_message,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

mod commit;
mod sync;
mod view_change;
mod votes;

pub use sync::SYNC_BATCH;
use sync::SYNC_RETRY;

/// Most proposals kept while their ancestors are being fetched.
const MAX_BUFFERED_PROPOSALS: usize = 64;

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
    Qc { epoch: Epoch, round: Round, height: Height, block_hash: Hash, parent_hash: Hash, signers: SignerBitfield },
    Tc { epoch: Epoch, round: Round, high_qc: QuorumCertificate, signers: SignerBitfield },
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
    proposed_round: Option<(Epoch, Round)>,
    /// Votes by round and digest of the signed vote message: a vote counts only toward a certificate over the
    /// very message it signed (every field, not just the block hash).
    votes: BTreeMap<(Round, Hash), SignatureSet>,
    /// The digest of each validator's vote message per round (a second, different one is equivocation).
    voted_for: HashMap<(Round, ValidatorId), Hash>,
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
        let (root, committed_qc, epoch, safety) = match resume {
            Some(r) => (r.committed.0, r.committed.1, r.epoch, r.safety),
            None => (p.genesis.clone(), genesis_qc.clone(), 0, None),
        };
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
            proposed_round: None,
            votes: BTreeMap::new(),
            voted_for: HashMap::new(),
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

    /// The proposal timer of the current round fired: ask the node to build this leader's block.
    fn on_propose_timer(&mut self, now: Duration, epoch: Epoch, round: Round, out: &mut Outputs) {
        if self.proposed_round == Some((epoch, round)) || !self.may_act() {
            return;
        }
        let Some(parent) = self.tree.get(&self.high_qc.block_hash).cloned() else {
            // The lock's block is missing (learned through a timeout or a TC): fetch it and try again
            // while the round lasts, rather than letting the round pass without a proposal.
            self.request_sync(now, None, out);
            out.actions.push(Action::SetTimer { timer: Timer::Propose { epoch, round }, after: SYNC_RETRY });
            return;
        };
        let tc = self.last_tc.clone().filter(|tc| tc.epoch == epoch && tc.round + 1 == round);
        let must_be_empty = self.p.schedule.last_height(epoch).is_some_and(|l| parent.header.height >= l);
        out.propose = Some(ProposeRequest { epoch, round, parent, parent_qc: self.high_qc.clone(), tc, must_be_empty });
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
    /// Committee of the current epoch.
    pub fn committee(&self) -> &[ValidatorId] {
        self.p.schedule.committee(self.epoch)
    }
    /// Whether this node votes in the current epoch.
    pub fn is_member(&self) -> bool {
        self.p.schedule.position(self.epoch, self.p.me).is_some()
    }

    // ---- proposals ---------------------------------------------------------------------------------------

    /// Structural checks of a proposal, and the signatures it needs verified (besides its transactions').
    pub fn check_proposal(
        &mut self,
        now: Duration,
        from: ValidatorId,
        p: &Proposal,
        out: &mut Outputs,
    ) -> Result<VerifyJob, Refusal> {
        let h = &p.block.header;
        if h.chain_id != self.p.chain_id
            || !p.block.body_matches_header()
            || h.parent_hash != h.parent_qc.block_hash
            || h.height != h.parent_qc.height + 1
            || h.exec_height >= h.height
        {
            return Err(Refusal::Malformed);
        }
        if h.epoch < self.epoch {
            return Err(Refusal::OldEpoch);
        }
        if h.epoch > self.epoch {
            self.request_sync(now, Some(from), out);
            return Err(Refusal::FutureEpoch);
        }
        if h.proposer != from || self.p.schedule.leader(h.epoch, h.round) != from {
            return Err(Refusal::WrongLeader);
        }
        if h.round < self.round {
            return Err(Refusal::StaleRound);
        }
        let justify_epoch_ok = h.parent_qc.epoch == h.epoch
            || (h.parent_qc.epoch + 1 == h.epoch
                && self.p.schedule.last_height(h.parent_qc.epoch) == Some(h.parent_qc.height));
        if !justify_epoch_ok && !h.parent_qc.is_epoch_start() {
            return Err(Refusal::BadCertificate);
        }
        if self.p.schedule.last_height(h.epoch).is_some_and(|last| h.height > last) && !p.block.txs.is_empty() {
            return Err(Refusal::NonEmptyTail);
        }
        let mut job = VerifyJob::default();
        let key = self.p.proposer_keys.get(from as usize).ok_or(Refusal::NonMember)?;
        job.ed25519.push(Ed25519Check {
            public_key: *key,
            message: proposal_message(self.p.chain_id, &p.block.hash()),
            signature: p.signature,
        });
        job.aggregates.extend(self.qc_check(&h.parent_qc)?);
        if let Some(tc) = &p.tc {
            if tc.epoch != h.epoch || tc.round + 1 != h.round {
                return Err(Refusal::BadCertificate);
            }
            self.tc_checks(tc, &mut job)?;
        }
        Ok(job)
    }

    /// A proposal whose signatures verified. `exec_ok` is the node's verdict on the execution root it carries.
    pub fn on_proposal(&mut self, now: Duration, p: Proposal, exec_ok: bool, out: &mut Outputs) {
        let justify = p.block.header.parent_qc.clone();
        let justify_ok = justify.rank() >= self.high_qc.rank();
        self.mark_verified_qc(&justify);
        if let Some(tc) = &p.tc {
            self.mark_verified_tc(tc);
            self.on_tc(now, tc.clone(), out);
        }
        self.process_qc(now, &justify, out);
        let block = p.block.clone();
        let hash = block.hash();
        if block.header.epoch != self.epoch {
            return; // processing the justify moved us into another epoch; the block is stale now
        }
        if !self.tree.contains(&hash) && !self.tree.insert(block.clone()) {
            if block.header.height > self.tree.root_height() {
                if self.buffered.len() < MAX_BUFFERED_PROPOSALS {
                    self.buffered.insert((block.header.height, hash), (p, exec_ok));
                }
                out.refused.push(Refusal::UnknownParent);
                self.request_sync(now, Some(block.header.proposer), out);
            }
            return;
        }
        // The block may complete a two-chain whose QC arrived before the block (sync, reordering).
        let h = &block.header;
        let may_vote = h.round == self.round
            && h.round > self.last_voted_round
            && justify_ok
            && self.is_member()
            && self.may_act();
        if may_vote && !exec_ok {
            out.refused.push(Refusal::StateRootMismatch);
            return;
        }
        if may_vote {
            self.vote(now, &block, out);
        }
    }

    fn vote(&mut self, now: Duration, block: &Block, out: &mut Outputs) {
        let h = &block.header;
        self.last_voted_round = h.round;
        self.persist_safety(out);
        let message = vote_message(self.p.chain_id, h.epoch, h.round, h.height, &block.hash(), &h.parent_hash);
        let vote = Vote {
            epoch: h.epoch,
            round: h.round,
            height: h.height,
            block_hash: block.hash(),
            parent_hash: h.parent_hash,
            voter: self.p.me,
            signature: self.p.keys.sign_vote(self.p.scheme, &message),
        };
        let next_leader = self.p.schedule.leader(h.epoch, h.round + 1);
        if next_leader == self.p.me {
            self.on_vote(now, vote, out);
        } else {
            out.actions.push(Action::Send { to: next_leader, message: Message::Vote(vote) });
        }
    }

    /// Signs and broadcasts this leader's block, then handles it like any received proposal.
    pub fn propose(&mut self, now: Duration, block: Block, tc: Option<TimeoutCertificate>, out: &mut Outputs) {
        self.stats.proposals += 1;
        self.proposed_round = Some((block.header.epoch, block.header.round));
        let sig = self.p.keys.sign_vote(VoteScheme::Ed25519, &proposal_message(self.p.chain_id, &block.hash()));
        let mut signature = [0u8; 64];
        if sig.len() == 64 {
            signature.copy_from_slice(&sig);
        }
        let proposal = Proposal { block, tc, signature };
        out.actions.push(Action::Broadcast { message: Message::Proposal(proposal.clone()) });
        self.on_proposal(now, proposal, true, out);
    }

    /// The round a node (re)starts in within its epoch: after its lock and its last vote. A lock of the
    /// previous epoch (the boundary QC) does not count: rounds restart at 1 in each epoch.
    fn first_round(&self) -> Round {
        let lock_round = if self.high_qc.epoch == self.epoch { self.high_qc.round } else { 0 };
        lock_round.max(self.last_voted_round) + 1
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
}
