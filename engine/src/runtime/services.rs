//! The delegated work of one node: signature checks, certificate aggregation, execution, persistence.
//!
//! Shared by every runtime (the deterministic simulator, the wall-clock cluster, the pinned pipeline), so
//! the work is done the same way whatever schedules it.

use crate::crypto::{Ed25519Item, VerifyBackend, VoteCrypto};
use crate::execution::ExecutionState;
use crate::protocol::work::{
    AggregateJob, AggregateOutput, Ed25519Check, ExecuteJob, ExecutedBlock, VerifyJob, VerifyVerdicts, VoteCheck,
};
use crate::protocol::{Action, Callback, Event};
use crate::runtime::PersistGate;
use crate::runtime::verdict_cache::{CheckKind, VerdictCache};
use crate::storage::{CommittedBlock, Storage, StorageError};
use crate::types::{Hash, Height, SyncEntry, ValidatorId};
use std::collections::HashMap;
use std::sync::Arc;

/// One node's crypto, execution state and storage.
pub struct NodeServices {
    votes: VoteCrypto,
    backend: Arc<dyn VerifyBackend>,
    exec: ExecutionState,
    storage: Box<dyn Storage>,
    gate: PersistGate,
    cache: Option<Arc<VerdictCache>>,
}

impl NodeServices {
    /// Services over the given crypto, execution state and storage.
    pub fn new(
        votes: VoteCrypto,
        backend: Arc<dyn VerifyBackend>,
        exec: ExecutionState,
        storage: Box<dyn Storage>,
    ) -> Self {
        NodeServices { votes, backend, exec, storage, gate: PersistGate::default(), cache: None }
    }

    /// Answers repeated signature checks from `cache` (shared by the nodes of a simulator sweep).
    pub fn with_verdict_cache(mut self, cache: Arc<VerdictCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Whether `action` may be performed now: once saving the safety state failed, no message of this node
    /// leaves (see [`PersistGate`]). The action performer asks before every action.
    pub fn allows(&mut self, action: &Action) -> bool {
        self.gate.allows(action)
    }

    /// Records the outcome of saving the safety state; a failure closes the gate and returns the halting
    /// callback.
    pub fn record_persist(&mut self, saved: Result<(), StorageError>) -> Option<Event> {
        self.gate.record(saved)
    }

    /// Executes and persists a committed block; the callback says what became of it (a failure halts the
    /// node's commits, loudly).
    pub fn execute(&mut self, job: &ExecuteJob) -> Event {
        let done = self
            .exec
            .execute_block(&job.block)
            .map_err(|e| e.to_string())
            .and_then(|done| persist_executed(self.storage.as_mut(), job, done).map_err(|e| e.to_string()));
        Event::Callback(match done {
            Ok(done) => Callback::Executed(done),
            Err(error) => Callback::ExecutionFailed { height: job.block.header.height, error },
        })
    }

    /// Verdicts for every signature in a job, through the configured backend (and the verdict cache, if any).
    pub fn verify(&self, job: &VerifyJob) -> VerifyVerdicts {
        self.verify_many(std::slice::from_ref(job)).pop().unwrap_or_default()
    }

    /// Verdicts for every signature of several jobs, one per job in order, batched across them: every Ed25519
    /// check in one backend batch, and the vote signatures grouped by the message they sign — one same-message
    /// batch per group (BLS: aggregated public keys and one pairing, bisecting on failure) instead of one check
    /// per vote. Each verdict is the one a check of that signature alone would give.
    pub fn verify_many(&self, jobs: &[VerifyJob]) -> Vec<VerifyVerdicts> {
        let ed25519_checks: Vec<&Ed25519Check> = jobs.iter().flat_map(|j| &j.ed25519).collect();
        let mut ed25519 = self.verify_ed25519(&ed25519_checks).into_iter();
        let vote_checks: Vec<&VoteCheck> = jobs.iter().flat_map(|j| &j.votes).collect();
        let mut votes = self.verify_votes(&vote_checks).into_iter();
        jobs.iter()
            .map(|job| VerifyVerdicts {
                id: job.id,
                ed25519: ed25519.by_ref().take(job.ed25519.len()).collect(),
                votes: votes.by_ref().take(job.votes.len()).collect(),
                aggregates: job
                    .aggregates
                    .iter()
                    .map(|a| self.verify_aggregate(&a.message, &a.signers, &a.aggregate))
                    .collect(),
            })
            .collect()
    }

    /// Vote verdicts in order: those the verdict cache knows from it, the rest grouped by message, one
    /// same-message batch per group.
    fn verify_votes(&self, checks: &[&VoteCheck]) -> Vec<bool> {
        let key =
            |v: &VoteCheck| VerdictCache::key(CheckKind::Vote, &[&v.signer.to_le_bytes(), &v.message, &v.signature]);
        let keys: Vec<Option<Hash>> = checks.iter().map(|v| self.cache.as_ref().map(|_| key(v))).collect();
        let mut verdicts: Vec<Option<bool>> =
            keys.iter().map(|k| k.and_then(|k| self.cache.as_ref().and_then(|c| c.get(&k)))).collect();
        let mut groups: HashMap<&[u8], Vec<usize>> = HashMap::new();
        for (i, v) in checks.iter().enumerate().filter(|(i, _)| verdicts[*i].is_none()) {
            groups.entry(v.message.as_slice()).or_default().push(i);
        }
        for (message, members) in groups {
            let signed: Vec<(ValidatorId, &[u8])> =
                members.iter().map(|&i| (checks[i].signer, checks[i].signature.as_slice())).collect();
            let fresh = self.votes.verify_votes(message, &signed);
            for (&i, ok) in members.iter().zip(fresh) {
                if let (Some(cache), Some(k)) = (&self.cache, keys[i]) {
                    cache.put(k, ok);
                }
                verdicts[i] = Some(ok);
            }
        }
        verdicts.into_iter().map(|v| v.unwrap_or(false)).collect()
    }

    /// Ed25519 verdicts of `checks` as one batch through the backend; with a verdict cache, only the checks it has
    /// not seen go to the backend.
    fn verify_ed25519(&self, checks: &[&Ed25519Check]) -> Vec<bool> {
        let batch = |checks: &[&Ed25519Check]| -> Vec<bool> {
            if checks.is_empty() {
                return Vec::new();
            }
            let items: Vec<Ed25519Item<'_>> = checks
                .iter()
                .map(|c| Ed25519Item { public_key: &c.public_key, message: &c.message, signature: &c.signature })
                .collect();
            let mut verdicts = self.backend.verify_ed25519_batch(&items);
            verdicts.resize(checks.len(), false); // a backend answering too few fails the rest
            verdicts
        };
        let Some(cache) = &self.cache else {
            return batch(checks);
        };
        let keys: Vec<Hash> = checks
            .iter()
            .map(|c| VerdictCache::key(CheckKind::Ed25519, &[&c.public_key, &c.message, &c.signature]))
            .collect();
        let mut verdicts: Vec<Option<bool>> = keys.iter().map(|k| cache.get(k)).collect();
        let misses: Vec<usize> = (0..verdicts.len()).filter(|&i| verdicts[i].is_none()).collect();
        let fresh = batch(&misses.iter().map(|&i| checks[i]).collect::<Vec<_>>());
        for (&i, ok) in misses.iter().zip(fresh) {
            cache.put(keys[i], ok);
            verdicts[i] = Some(ok);
        }
        verdicts.into_iter().map(|v| v.unwrap_or(false)).collect()
    }

    fn verify_aggregate(&self, message: &[u8], signers: &[ValidatorId], aggregate: &[u8]) -> bool {
        let key = || {
            let ids: Vec<u8> = signers.iter().flat_map(|s| s.to_le_bytes()).collect();
            VerdictCache::key(CheckKind::Aggregate, &[&ids, message, aggregate])
        };
        self.cached(key, || self.votes.verify_aggregate(message, signers, aggregate))
    }

    /// `verify()` through the verdict cache when there is one; the cache key is only computed then, so a runtime
    /// without a cache (every production path) pays nothing for it.
    fn cached(&self, key: impl FnOnce() -> Hash, verify: impl FnOnce() -> bool) -> bool {
        match &self.cache {
            Some(cache) => cache.get_or_verify(key(), verify),
            None => verify(),
        }
    }

    /// Aggregates the job's signatures and verifies the result against its message and signers before handing
    /// it back: a certificate this node built is checked like one it received.
    pub fn aggregate(&self, job: &AggregateJob) -> AggregateOutput {
        let sigs: Vec<&[u8]> = job.signatures.iter().map(Vec::as_slice).collect();
        let aggregate = self.votes.aggregate(&sigs).map_err(|e| e.to_string()).and_then(|agg| {
            if self.verify_aggregate(&job.message, &job.signers, &agg) {
                Ok(agg)
            } else {
                Err(format!("the aggregate of {} signatures does not verify", job.signers.len()))
            }
        });
        AggregateOutput { id: job.id, aggregate }
    }

    /// The node's execution state (reports, conservation checks).
    pub fn execution(&self) -> &ExecutionState {
        &self.exec
    }

    /// The node's storage.
    pub fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    /// The node's storage, for a runtime that executes elsewhere and persists here (the synthetic committee's
    /// shared execution).
    pub fn storage_mut(&mut self) -> &mut dyn Storage {
        self.storage.as_mut()
    }

    /// Swaps in another execution state and returns the old one (the synthetic committee moves every member's
    /// state out and executes once for all of them).
    pub fn replace_execution(&mut self, exec: ExecutionState) -> ExecutionState {
        std::mem::replace(&mut self.exec, exec)
    }

    /// Gives the storage back (a simulated crash keeps it for the restart).
    pub fn into_storage(self) -> Box<dyn Storage> {
        self.storage
    }

    /// Splits off the execution state and storage, so a pipelined runtime can run them on their own stages.
    pub fn into_parts(self) -> (ExecutionState, Box<dyn Storage>) {
        (self.exec, self.storage)
    }
}

/// Writes an executed block (block, QC, changed accounts, state root, epoch) in one storage transaction and
/// turns the execution into the node's callback payload. Every runtime persists through this one function.
pub fn persist_executed(
    storage: &mut dyn Storage,
    job: &ExecuteJob,
    done: crate::execution::BlockExecution,
) -> Result<ExecutedBlock, StorageError> {
    let proof = job.commit_proof.as_ref().map(|(b, q)| (b, q));
    storage.commit_block(&CommittedBlock {
        block: &job.block,
        qc: &job.qc,
        commit_proof: proof,
        state_root: done.state_root,
        changed_accounts: &done.changed,
        epoch: job.epoch_after,
    })?;
    Ok(ExecutedBlock {
        height: done.height,
        block_hash: job.block.hash(),
        state_root: done.state_root,
        changed: done.changed,
        receipts: done.receipts,
    })
}

/// Up to `max` committed blocks from height `from` with their certifying QCs, to answer a sync request; shared
/// by every runtime that serves `Action::LoadSync`.
pub fn load_sync(storage: &dyn Storage, from: Height, max: usize) -> Result<Vec<SyncEntry>, StorageError> {
    let mut entries = Vec::new();
    let top = storage.committed_height();
    let mut h = from;
    while h <= top && entries.len() < max {
        match storage.block_at(h)? {
            Some((block, qc)) => entries.push(SyncEntry { block, qc: Some(qc) }),
            None => break,
        }
        h += 1;
    }
    Ok(entries)
}
