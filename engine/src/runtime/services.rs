//! The delegated work of one node: signature checks, certificate aggregation, execution, persistence.
//!
//! Shared by every runtime (the deterministic simulator, the wall-clock cluster, the pinned pipeline), so
//! the work is done the same way whatever schedules it.

use super::verifier::Verifier;
use crate::crypto::{VerifyBackend, VoteCrypto};
use crate::execution::ExecutionState;
use crate::protocol::work::{AggregateJob, AggregateOutput, ExecuteJob, ExecutedBlock, VerifyJob, VerifyVerdicts};
use crate::protocol::{Action, Callback, Event};
use crate::runtime::PersistGate;
use crate::runtime::verdict_cache::VerdictCache;
use crate::storage::{CommittedBlock, Storage, StorageError};
use crate::types::{Height, SyncEntry};
use std::sync::Arc;

/// One node's crypto, execution state and storage.
pub struct NodeServices {
    verifier: Verifier,
    exec: ExecutionState,
    storage: Box<dyn Storage>,
    gate: PersistGate,
}

impl NodeServices {
    /// Services over the given crypto, execution state and storage.
    pub fn new(
        votes: VoteCrypto,
        backend: Arc<dyn VerifyBackend>,
        exec: ExecutionState,
        storage: Box<dyn Storage>,
    ) -> Self {
        NodeServices { verifier: Verifier::new(votes, backend), exec, storage, gate: PersistGate::default() }
    }

    /// Answers repeated signature checks from `cache` (shared by the nodes of a simulator sweep, or by node mode's
    /// committee).
    pub fn with_verdict_cache(mut self, cache: Arc<VerdictCache>) -> Self {
        self.verifier = self.verifier.with_verdict_cache(cache);
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
            .execute_block(&job.block, job.tx_ids.as_deref())
            .map_err(|e| e.to_string())
            .and_then(|done| persist_executed(self.storage.as_mut(), job, done).map_err(|e| e.to_string()));
        Event::Callback(match done {
            Ok(done) => Callback::Executed(done),
            Err(error) => Callback::ExecutionFailed { height: job.block.header.height, error },
        })
    }

    /// Verdicts for every signature in a job (see [`Verifier::verify`]).
    pub fn verify(&self, job: &VerifyJob) -> VerifyVerdicts {
        self.verifier.verify(job)
    }

    /// Verdicts for several jobs, batched across them (see [`Verifier::verify_many`]).
    pub fn verify_many(&self, jobs: &[VerifyJob]) -> Vec<VerifyVerdicts> {
        self.verifier.verify_many(jobs)
    }

    /// A certificate's aggregate, verified before it is handed back (see [`Verifier::aggregate`]).
    pub fn aggregate(&self, job: &AggregateJob) -> AggregateOutput {
        self.verifier.aggregate(job)
    }

    /// The node's signature checker (a vote-crypto stage runs copies of it).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
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
