//! `NodeStateMachine::handle(now, Event) -> Vec<Action>`: the pure core of a validator.

use super::peer_faults::PeerFaults;
use crate::bft::{BftParams, BftResume, HotStuff, Outputs, ProposeRequest, Refusal, SYNC_BATCH, SYNC_SERVE_INTERVAL};
use crate::execution::Outcome;
use crate::mempool::{AccountShards, Admitted, Mempool, MempoolConfig, PendingTx, Rejection, has_weak_key};
use crate::protocol::work::{Ed25519Check, ExecuteJob, ExecutedBlock, VerifyJob, VerifyVerdicts};
use crate::protocol::{Action, Callback, Event, RejectReason, Timer, TxSource, TxStatus};
use crate::provisioning::{ProvisioningConfig, SelectedBy, select_transactions};
use crate::types::{
    Account, AccountId, Block, BlockHeader, Hash, Height, KeyedMap, KeyedSet, Message, Proposal, SyncEntry,
    TimeoutCertificate, TimeoutVote, Transaction, ValidatorId, Vote, merkle_root,
};
use rayon::ThreadPool;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// Client transactions gathered before one verification batch and one gossip message leave.
const TX_BATCH_MAX: usize = 256;
/// Longest a client transaction waits for its batch.
const TX_BATCH_WAIT: Duration = Duration::from_millis(2);
/// Execution roots remembered for checking proposals.
const EXEC_ROOTS_KEPT: usize = 4096;
/// Most blocks whose transaction ids a node keeps for their execution jobs (see the field `tx_ids`): the
/// uncommitted blocks of a few rounds, with room for equivocating leaders; beyond it execution hashes.
const TX_IDS_KEPT: usize = 64;

/// Fixed parameters of a node.
#[derive(Clone)]
pub struct NodeParams {
    /// Consensus parameters (identity, keys, committees, timing).
    pub bft: BftParams,
    /// Mempool limits.
    pub mempool: MempoolConfig,
    /// Block building limits.
    pub provisioning: ProvisioningConfig,
    /// Check no transaction signature (the signature-free payload mode): client and gossiped transactions are
    /// admitted without a verification job, proposals' transactions are not checked.
    pub signature_free: bool,
    /// Genesis accounts (the state at height 0).
    pub genesis_accounts: Vec<(AccountId, Account)>,
    /// State root of the genesis accounts.
    pub genesis_state_root: Hash,
}

/// What a restarted node recovered from its storage.
#[derive(Clone, Debug)]
pub struct NodeResume {
    /// Consensus position.
    pub bft: BftResume,
    /// Account state at the committed height.
    pub accounts: Vec<(AccountId, Account)>,
    /// State root at the committed height.
    pub state_root: Hash,
}

/// One node's summary for reports.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct NodeReport {
    /// Node index.
    pub node: usize,
    /// Highest committed height.
    pub committed_height: Height,
    /// Highest executed height.
    pub executed_height: Height,
    /// State root at `executed_height` (hex).
    pub state_root: String,
    /// Epoch the node is in.
    pub epoch: u64,
    /// Current round.
    pub round: u64,
    /// Blocks this node proposed.
    pub proposals: u64,
    /// Of those, the ones whose transactions were selected by one walk over the whole pool on the node thread
    /// instead of the shards' merged walks (`provisioning::SelectedBy::WholePool`: a shard's senders held much more than
    /// its share of the block); 0 with one mempool shard.
    #[serde(default)]
    pub whole_pool_walks: u64,
    /// Rounds this node left through a timeout certificate.
    pub timeouts: u64,
    /// Epoch changes this node went through.
    pub epoch_changes: u64,
    /// Mempool rejections by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Consensus messages refused, by reason.
    pub refused_messages: BTreeMap<String, u64>,
    /// Faults each peer was convicted of, by reason (messages no honest validator sends; see
    /// `bft::Refusal::proves_fault`): the peers this node asked its runtime to bar.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub peer_faults: BTreeMap<ValidatorId, BTreeMap<String, u64>>,
    /// Times this node asked its runtime to throttle each peer: more than `node::WASTE_LIMIT` of its messages in a
    /// second were refused for reasons that prove no fault (stale rounds, duplicates, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub peer_throttles: BTreeMap<ValidatorId, u64>,
    /// Members the leader schedule leaves out at the end (leader reputation: they failed a recent round).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaders_left_out: Vec<ValidatorId>,
    /// Rounds recorded as failed against each member's leadership (the run of failed rounds before a commit is
    /// recorded against its last leader).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failed_leader_rounds: BTreeMap<ValidatorId, u64>,
    /// Transactions still pending in the mempool.
    pub mempool_len: usize,
    /// Transactions parked in the mempool, waiting for earlier nonces of their senders.
    pub mempool_parked: usize,
    /// Set when execution or persistence failed and the node stopped.
    pub halted: Option<String>,
}

#[allow(clippy::large_enum_variant)] // one per in-flight job; boxing buys nothing
enum Pending {
    /// A proposal with its transactions' ids (kept for its execution job once its signatures check out).
    Proposal {
        proposal: Proposal,
        tx_ids: Vec<Hash>,
    },
    Vote(Vote),
    Timeout(TimeoutVote),
    TimeoutCertificate(TimeoutCertificate),
    Sync(Vec<SyncEntry>),
    Txs {
        txs: Vec<Transaction>,
    },
}

/// A validator's complete state machine: consensus, mempool, provisioning, execution tracking.
pub struct NodeStateMachine {
    index: usize,
    params: NodeParams,
    bft: HotStuff,
    mempool: Mempool,
    /// Committed account state (what admission and block building check against), split like the mempool.
    accounts: AccountShards,
    executed_height: Height,
    exec_roots: BTreeMap<Height, Hash>,
    expected_roots: BTreeMap<Height, Hash>,
    awaiting_execution: VecDeque<Block>,
    /// Transaction ids of the blocks this node checked or proposed, by block hash, with the block's height: an
    /// execution job takes its block's ids from here instead of execution hashing every transaction again.
    /// Kept for the node's own proposals and for proposals whose signatures checked out; dropped once their height
    /// is committed; at most [`TX_IDS_KEPT`] blocks (a block missing here — learned by sync, or not kept because
    /// the map was full — is hashed by execution).
    tx_ids: KeyedMap<Hash, (Height, Arc<[Hash]>)>,
    /// Messages waiting for their signatures' verdicts, with the peer each came from (`None`: a client's).
    pending: HashMap<u64, (Option<ValidatorId>, Pending)>,
    next_job: u64,
    client_buffer: Vec<Transaction>,
    refused: BTreeMap<&'static str, u64>,
    /// Proposals whose selection fell back to the whole-pool walk (see `NodeReport::whole_pool_walks`).
    whole_pool_walks: u64,
    faults: PeerFaults,
    /// When each peer's last sync request was served (see [`SYNC_SERVE_INTERVAL`]).
    sync_served: HashMap<ValidatorId, Duration>,
    halted: Option<String>,
    started: bool,
}

impl NodeStateMachine {
    /// A node at genesis (`resume` None) or resuming from what its storage recovered.
    pub fn new(index: usize, params: NodeParams, resume: Option<NodeResume>) -> Self {
        let (accounts, executed_height, root) = match &resume {
            Some(r) => (r.accounts.clone(), r.bft.committed.0.header.height, r.state_root),
            None => (params.genesis_accounts.clone(), 0, params.genesis_state_root),
        };
        let mut exec_roots = BTreeMap::new();
        exec_roots.insert(executed_height, root);
        let mempool = Mempool::new(params.mempool.clone());
        NodeStateMachine {
            index,
            bft: HotStuff::new(params.bft.clone(), resume.map(|r| r.bft)),
            accounts: mempool.account_shards(accounts),
            mempool,
            executed_height,
            exec_roots,
            expected_roots: BTreeMap::new(),
            awaiting_execution: VecDeque::new(),
            tx_ids: KeyedMap::default(),
            pending: HashMap::new(),
            next_job: 0,
            client_buffer: Vec::new(),
            refused: BTreeMap::new(),
            whole_pool_walks: 0,
            faults: PeerFaults::default(),
            sync_served: HashMap::new(),
            halted: None,
            started: false,
            params,
        }
    }

    /// The same node with its mempool split by sender into one shard per thread of `pool`, admitting each batch
    /// and applying each executed state update on all shards at once (results as with one shard; the capacity
    /// is split, see [`Mempool::sharded`]); the committed account state is split the same way and updated on the
    /// pool too. Call before the first event: the pool it replaces is dropped.
    pub fn with_admission_pool(mut self, pool: Arc<ThreadPool>) -> Self {
        let shards = pool.current_num_threads();
        self.mempool = Mempool::sharded(self.params.mempool.clone(), shards).with_pool(pool);
        self.accounts = self.mempool.account_shards(self.accounts.iter().map(|(id, account)| (*id, *account)));
        self
    }

    /// Arms the node's first timers; call once before any other event.
    pub fn start(&mut self, now: Duration) -> Vec<Action> {
        let mut out = Outputs::default();
        if !self.started {
            self.started = true;
            self.bft.start(now, &mut out);
        }
        self.finish(now, out)
    }

    /// Handles one event and returns what the runtime must do, in order.
    pub fn handle(&mut self, now: Duration, event: Event) -> Vec<Action> {
        let mut out = Outputs::default();
        if self.halted.is_some() {
            return Vec::new();
        }
        match event {
            Event::Network { from, message } => self.on_message(now, from, message, &mut out),
            Event::Timer(Timer::TxBatch) => self.flush_client_txs(now, &mut out),
            Event::Timer(timer) => self.bft.on_timer(now, timer, &mut out),
            Event::Client(tx) => {
                self.client_buffer.push(tx);
                if self.client_buffer.len() >= TX_BATCH_MAX {
                    self.flush_client_txs(now, &mut out);
                } else if self.client_buffer.len() == 1 {
                    out.actions.push(Action::SetTimer { timer: Timer::TxBatch, after: TX_BATCH_WAIT });
                }
            }
            Event::VerifiedTxs { txs, verdicts, source } => {
                let from = match source {
                    TxSource::Client => None,
                    TxSource::Peer(peer) => Some(peer),
                };
                self.admit(now, txs, &verdicts, from, &mut out)
            }
            Event::Callback(cb) => self.on_callback(now, cb, &mut out),
        }
        self.finish(now, out)
    }

    fn on_message(&mut self, now: Duration, from: ValidatorId, message: Message, out: &mut Outputs) {
        let mut proposal_ids = Vec::new();
        let checked = match &message {
            Message::Proposal(p) if p.block.txs.iter().any(has_weak_key) => Err(Refusal::WeakKey),
            Message::Proposal(p) => {
                // A transaction this node holds pending keeps the id admission gave it and needs no signature
                // check; only the others are hashed (for the body's root) and verified.
                let known = self.mempool.pending_ids(&p.block.txs);
                let unknown: Vec<&Transaction> =
                    p.block.txs.iter().zip(&known).filter(|(_, id)| id.is_none()).map(|(tx, _)| tx).collect();
                let mut computed = Transaction::ids(unknown.iter().copied()).into_iter();
                let hashes: Vec<Hash> =
                    known.iter().map(|id| id.or_else(|| computed.next()).unwrap_or_default()).collect();
                let checked = self.bft.check_proposal(now, from, p, &hashes, out).map(|mut job| {
                    if !self.params.signature_free {
                        job.ed25519.extend(unknown.iter().map(|tx| tx_check(tx)));
                    }
                    job
                });
                proposal_ids = hashes;
                checked
            }
            Message::Vote(v) if v.voter != from => Err(Refusal::NotSigner),
            Message::Timeout(t) if t.voter != from => Err(Refusal::NotSigner),
            Message::Vote(v) => self.bft.check_vote(v),
            Message::Timeout(t) => self.bft.check_timeout(t),
            Message::TimeoutCertificate(tc) => self.bft.check_timeout_certificate(tc),
            Message::SyncResponse(entries) => self.bft.check_sync(entries),
            Message::TxGossip(_) if self.params.signature_free => {
                if let Message::TxGossip(txs) = message {
                    let verdicts = vec![true; txs.len()];
                    self.admit(now, txs, &verdicts, Some(from), out);
                }
                return;
            }
            Message::TxGossip(txs) => {
                Ok(VerifyJob { ed25519: txs.iter().map(tx_check).collect(), ..Default::default() })
            }
            Message::SyncRequest { from_height } => {
                if self.sync_served.get(&from).is_some_and(|t| now < *t + SYNC_SERVE_INTERVAL) {
                    Err(Refusal::SyncTooSoon)
                } else {
                    self.sync_served.insert(from, now);
                    self.serve_sync(from, *from_height, out);
                    return;
                }
            }
        };
        let job = match checked {
            Ok(job) => job,
            Err(refusal) => return self.refuse(now, Some(from), refusal, out),
        };
        let pending = match message {
            Message::Proposal(proposal) => Pending::Proposal { proposal, tx_ids: proposal_ids },
            Message::Vote(v) => match self.bft.offer_vote(v, out) {
                Ok(Some(v)) => Pending::Vote(v),
                Ok(None) => return, // held: the check of the certificate it completes covers it
                Err(refusal) => return self.refuse(now, Some(from), refusal, out),
            },
            Message::Timeout(t) => Pending::Timeout(t),
            Message::TimeoutCertificate(tc) => Pending::TimeoutCertificate(tc),
            Message::SyncResponse(entries) => Pending::Sync(entries),
            Message::TxGossip(txs) => Pending::Txs { txs },
            Message::SyncRequest { .. } => return,
        };
        self.dispatch(job, Some(from), pending, out);
    }

    /// Counts `refusal` of a message from `from` (`None`: a client's), convicting the peer when it proves a fault.
    fn refuse(&mut self, now: Duration, from: Option<ValidatorId>, refusal: Refusal, out: &mut Outputs) {
        out.refused.push(refusal);
        if let Some(peer) = from {
            self.faults.record(now, self.params.bft.me, peer, refusal, &mut out.actions);
        }
    }

    fn dispatch(&mut self, mut job: VerifyJob, from: Option<ValidatorId>, pending: Pending, out: &mut Outputs) {
        self.next_job += 1;
        job.id = self.next_job;
        self.pending.insert(job.id, (from, pending));
        out.actions.push(Action::Verify(job));
    }

    fn flush_client_txs(&mut self, now: Duration, out: &mut Outputs) {
        if self.client_buffer.is_empty() {
            return;
        }
        let txs = std::mem::take(&mut self.client_buffer);
        if self.params.signature_free {
            let verdicts = vec![true; txs.len()];
            self.admit(now, txs, &verdicts, None, out);
            return;
        }
        let job = VerifyJob { ed25519: txs.iter().map(tx_check).collect(), ..Default::default() };
        self.dispatch(job, None, Pending::Txs { txs }, out);
    }

    fn serve_sync(&mut self, to: ValidatorId, from_height: Height, out: &mut Outputs) {
        if from_height <= self.bft.committed_height() {
            out.actions.push(Action::LoadSync { to, from_height, max_blocks: SYNC_BATCH });
        } else {
            let entries = self.bft.uncommitted_entries();
            if !entries.is_empty() {
                out.actions.push(Action::Send { to, message: Message::SyncResponse(entries) });
            }
        }
    }

    fn on_callback(&mut self, now: Duration, cb: Callback, out: &mut Outputs) {
        match cb {
            Callback::Verified(v) => self.on_verified(now, v, out),
            Callback::Aggregated(a) => {
                self.bft.on_aggregated(now, a, out);
                for vote in std::mem::take(&mut out.verify_alone) {
                    // Held votes came over their voters' own connections (`NotSigner` refuses any other).
                    let from = Some(vote.voter);
                    match self.bft.check_vote(&vote) {
                        Ok(job) => self.dispatch(job, from, Pending::Vote(vote), out),
                        Err(refusal) => self.refuse(now, from, refusal, out),
                    }
                }
            }
            Callback::Executed(e) => self.on_executed(e, out),
            Callback::ExecutionFailed { height, error } => {
                self.halted = Some(format!("execution/persistence of height {height} failed: {error}"));
            }
            Callback::SyncLoaded { to, mut entries } => {
                // Committed blocks from storage, the epoch proofs that close epochs among them, then (when the
                // storage part reached our tip) the uncommitted chain.
                let mut with_proofs = Vec::with_capacity(entries.len());
                for e in entries.drain(..) {
                    let height = e.block.header.height;
                    with_proofs.push(e);
                    if let Some(proof) = self.bft.epoch_proof_at(height) {
                        with_proofs.extend(proof.iter().cloned());
                    }
                }
                let reached_tip =
                    with_proofs.last().is_none_or(|e| e.block.header.height >= self.bft.committed_height());
                if reached_tip {
                    with_proofs.extend(self.bft.uncommitted_entries());
                }
                if !with_proofs.is_empty() {
                    out.actions.push(Action::Send { to, message: Message::SyncResponse(with_proofs) });
                }
            }
        }
    }

    fn on_verified(&mut self, now: Duration, v: VerifyVerdicts, out: &mut Outputs) {
        let Some((from, pending)) = self.pending.remove(&v.id) else { return };
        match pending {
            Pending::Txs { txs } => self.admit(now, txs, &v.ed25519, from, out),
            _ if !v.all_ok() => self.refuse(now, from, Refusal::BadSignature, out),
            Pending::Proposal { proposal, tx_ids } => {
                // Kept only once its signatures (the certificate's included) check out, so a height it claims is
                // real and the ids leave when that height commits.
                self.remember_tx_ids(&proposal.block, tx_ids);
                let exec_ok = self.exec_root_ok(&proposal.block.header);
                self.bft.on_proposal(now, proposal, exec_ok, out);
            }
            Pending::Vote(vote) => self.bft.on_vote(now, vote, out),
            Pending::Timeout(t) => self.bft.on_timeout(now, t, out),
            Pending::TimeoutCertificate(tc) => self.bft.on_timeout_certificate(now, tc, out),
            Pending::Sync(entries) => self.bft.on_sync(now, entries, out),
        }
    }

    /// Admits `txs` with their signature verdicts: a client's (`from` None) are gossiped once admitted and their
    /// rejections reported; a peer's bad signatures convict it (it gossips only what it verified).
    fn admit(
        &mut self,
        now: Duration,
        txs: Vec<Transaction>,
        verdicts: &[bool],
        from: Option<ValidatorId>,
        out: &mut Outputs,
    ) {
        let from_client = from.is_none();
        if let Some(peer) = from {
            for _ in verdicts.iter().filter(|ok| !**ok) {
                self.faults.record(now, self.params.bft.me, peer, Refusal::BadSignature, &mut out.actions);
            }
        }
        let gossip = if from_client { txs.clone() } else { Vec::new() };
        let results = self.mempool.admit_batch(txs, verdicts, &self.accounts);
        if let Some(peer) = from
            && gossip_wasted(&results)
        {
            let weight = u32::try_from(results.len()).unwrap_or(u32::MAX).max(1);
            self.faults.record_waste(now, self.params.bft.me, peer, "gossip_refused", weight, &mut out.actions);
        }
        let mut admitted = Vec::new();
        let mut statuses = Vec::new();
        for (i, result) in results.into_iter().enumerate() {
            match result {
                Ok(a) => {
                    statuses.extend(a.dropped.into_iter().map(rejected));
                    admitted.extend(gossip.get(i).cloned());
                }
                Err(r) if from_client => statuses.push(rejected(r)),
                Err(_) => {}
            }
        }
        if !statuses.is_empty() {
            out.actions.push(Action::EmitTxStatuses(statuses));
        }
        if !admitted.is_empty() {
            out.actions.push(Action::Broadcast { message: Message::TxGossip(admitted) });
        }
    }

    /// Checks a proposal's execution root against ours; a root for a height not executed yet is remembered and
    /// checked when we get there (we vote meanwhile: the rule in PROTOCOL.md lets a replica defer the check).
    fn exec_root_ok(&mut self, h: &BlockHeader) -> bool {
        if h.exec_height <= self.executed_height {
            return self.exec_roots.get(&h.exec_height).is_none_or(|r| *r == h.exec_state_root);
        }
        self.expected_roots.entry(h.exec_height).or_insert(h.exec_state_root);
        true
    }

    fn on_executed(&mut self, e: ExecutedBlock, out: &mut Outputs) {
        self.awaiting_execution.retain(|b| b.header.height > e.height);
        self.executed_height = e.height;
        self.exec_roots.insert(e.height, e.state_root);
        while self.exec_roots.len() > EXEC_ROOTS_KEPT {
            self.exec_roots.pop_first();
        }
        if let Some(expected) = self.expected_roots.remove(&e.height)
            && expected != e.state_root
        {
            out.refused.push(Refusal::StateRootMismatch);
        }
        self.expected_roots.retain(|h, _| *h > e.height);
        let committed: KeyedSet<Hash> = e.receipts.iter().map(|r| r.tx_hash).collect();
        let mut statuses: Vec<(Hash, TxStatus)> = e
            .receipts
            .iter()
            .map(|r| {
                (r.tx_hash, TxStatus::Committed { height: e.height, success: matches!(r.outcome, Outcome::Success) })
            })
            .collect();
        let removed = self.mempool.on_executed_state(&mut self.accounts, &committed, &e.changed);
        statuses.extend(removed.into_iter().map(rejected));
        if !statuses.is_empty() {
            out.actions.push(Action::EmitTxStatuses(statuses));
        }
    }

    fn finish(&mut self, now: Duration, mut out: Outputs) -> Vec<Action> {
        for r in out.refused.drain(..) {
            *self.refused.entry(r.as_str()).or_default() += 1;
        }
        let commits = std::mem::take(&mut out.commits);
        let committed_height = commits.last().map(|c| c.block.header.height);
        for c in commits {
            self.awaiting_execution.push_back(c.block.clone());
            let tx_ids = self.tx_ids.remove(&c.block.hash()).map(|(_, ids)| ids);
            let commit_proof = c.commit_proof.first().and_then(|e| e.qc.clone().map(|qc| (e.block.clone(), qc)));
            out.actions.push(Action::Execute(ExecuteJob {
                block: c.block,
                qc: c.qc,
                commit_proof,
                epoch_after: c.epoch_after,
                tx_ids,
            }));
        }
        if let Some(height) = committed_height {
            self.tx_ids.retain(|_, (h, _)| *h > height);
        }
        if let Some(req) = out.propose.take() {
            self.build_proposal(now, req, &mut out);
            return self.finish(now, out);
        }
        out.actions
    }

    fn build_proposal(&mut self, now: Duration, req: ProposeRequest, out: &mut Outputs) {
        let selected = if req.must_be_empty {
            Vec::new()
        } else {
            let mut pending: Vec<&Block> = self.awaiting_execution.iter().collect();
            pending.extend(self.bft.chain_to(&req.parent.hash()).unwrap_or_default());
            let selection = select_transactions(&self.mempool, &self.accounts, &pending, &self.params.provisioning);
            self.whole_pool_walks += u64::from(selection.by == SelectedBy::WholePool);
            selection.txs
        };
        let tx_ids: Vec<Hash> = selected.iter().map(|p| *p.hash()).collect();
        let txs: Vec<Transaction> = selected.into_iter().map(PendingTx::into_tx).collect();
        let exec_state_root = self.exec_roots.get(&self.executed_height).copied().unwrap_or(Hash::ZERO);
        let header = BlockHeader {
            chain_id: self.params.bft.chain_id,
            height: req.parent.header.height + 1,
            epoch: req.epoch,
            round: req.round,
            parent_hash: req.parent.hash(),
            parent_qc: req.parent_qc,
            proposer: self.params.bft.me,
            timestamp_ms: now.as_millis() as u64,
            tx_root: merkle_root(&tx_ids),
            tx_count: txs.len() as u32,
            exec_height: self.executed_height,
            exec_state_root,
        };
        let block = Block { header, txs: txs.into() };
        self.remember_tx_ids(&block, tx_ids);
        self.bft.propose(now, block, req.tc, out);
    }

    /// Keeps `block`'s transaction ids for its execution job (see the field `tx_ids`).
    fn remember_tx_ids(&mut self, block: &Block, ids: Vec<Hash>) {
        if self.tx_ids.len() < TX_IDS_KEPT {
            self.tx_ids.insert(block.hash(), (block.header.height, ids.into()));
        }
    }

    /// End-of-run summary.
    pub fn report(&self) -> NodeReport {
        let stats = self.bft.stats();
        NodeReport {
            node: self.index,
            committed_height: self.bft.committed_height(),
            executed_height: self.executed_height,
            state_root: self.exec_roots.get(&self.executed_height).map(Hash::to_hex).unwrap_or_default(),
            epoch: self.bft.epoch(),
            round: self.bft.round(),
            proposals: stats.proposals,
            whole_pool_walks: self.whole_pool_walks,
            timeouts: stats.timeouts,
            epoch_changes: stats.epoch_changes,
            rejected: self.mempool.rejections().iter().map(|(r, n)| (r.as_str().to_string(), *n)).collect(),
            refused_messages: self.refused.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
            peer_faults: self.faults.report(),
            peer_throttles: self.faults.throttles(),
            leaders_left_out: self.bft.leaders_left_out(),
            failed_leader_rounds: self.bft.failed_leader_rounds().clone(),
            mempool_len: self.mempool.len(),
            mempool_parked: self.mempool.parked_len(),
            halted: self.halted.clone(),
        }
    }

    /// The consensus core (read-only), for tests and reports.
    pub fn bft(&self) -> &HotStuff {
        &self.bft
    }

    /// Executed height and its state root.
    pub fn executed(&self) -> (Height, Hash) {
        (self.executed_height, self.exec_roots.get(&self.executed_height).copied().unwrap_or(Hash::ZERO))
    }

    /// Refusal counters by reason.
    pub fn refusals(&self) -> &BTreeMap<&'static str, u64> {
        &self.refused
    }
}

fn tx_check(tx: &Transaction) -> Ed25519Check {
    Ed25519Check { public_key: tx.sender, message: tx.signing_message(), signature: tx.signature }
}

/// Whether a peer's gossip message was all waste: it carried no transaction, or the mempool refused every one as
/// junk — an unfunded sender, another chain, too large, a weak key, a bad signature. A peer gossiping only what its
/// own mempool admitted sends neither; the honest races — the same transaction from two routes, a nonce raced by a
/// commit, a gap after lost gossip, a full mempool here — count nothing. Counted towards the peer's throttle as one
/// refused message per transaction it carried (`node::WASTE_LIMIT` in a second).
fn gossip_wasted(results: &[Result<Admitted, Rejection>]) -> bool {
    use RejectReason::{BadSignature, InsufficientBalance, TooLarge, WeakKey, WrongChain};
    let junk = |r: &Result<Admitted, Rejection>| matches!(r, Err(e) if matches!(e.reason, InsufficientBalance | WrongChain | TooLarge | WeakKey | BadSignature));
    results.iter().all(junk)
}

fn rejected(r: Rejection) -> (Hash, TxStatus) {
    (r.tx_hash, TxStatus::Rejected(r.reason))
}
