//! QCs, commits and epochs: taking a QC as the high QC, the two-chain commit rule, handing committed blocks to
//! execution and storage ([`Outputs::commits`]), and entering the next epoch at the boundary.
//!
//! Implements "Commit" of docs/PROTOCOL-CHOICES.md (two-chain over consecutive rounds of one epoch, ancestors in
//! height order, each block stored with the QC certifying it) and "Epochs and committee changes" (tail blocks never
//! commit, the boundary QC becomes the lock of the new epoch at round 1, the commit proof is broadcast), with the
//! epoch-entry part of "Restart" (a persisted floor of the entered epoch is restored before anything is persisted).

use super::{Committed, HotStuff, Outputs};
use crate::protocol::Action;
use crate::types::{Block, Hash, Height, Message, QuorumCertificate, SyncEntry};
use std::time::Duration;

impl HotStuff {
    pub(super) fn process_qc(&mut self, now: Duration, qc: &QuorumCertificate, out: &mut Outputs) {
        if qc.epoch != self.epoch || qc.is_epoch_start() {
            return;
        }
        if qc.rank() > self.high_qc.rank() {
            self.high_qc = qc.clone();
        }
        let epoch_before = self.epoch;
        self.try_commit(now, qc, out);
        if self.epoch != epoch_before {
            return;
        }
        if qc.round >= self.round {
            self.failed_rounds = 0;
            self.enter_round(now, qc.round + 1, out);
        }
    }

    /// Two-chain rule: QC(b1) with b1.parent = b0 and b1.round == b0.round + 1 (same epoch) commits b0 and its
    /// uncommitted ancestors.
    fn try_commit(&mut self, now: Duration, qc: &QuorumCertificate, out: &mut Outputs) {
        let Some(b1) = self.tree.get(&qc.block_hash) else { return };
        let Some(b0) = self.tree.get(&b1.header.parent_hash) else { return };
        if b0.header.height <= self.tree.root_height()
            || b1.header.epoch != b0.header.epoch
            || b1.header.round != b0.header.round + 1
        {
            return;
        }
        let b0_hash = b0.hash();
        let b0_qc = b1.header.parent_qc.clone();
        let b1 = b1.clone();
        self.commit_chain(now, &b0_hash, b0_qc, (b1, qc.clone()), out);
    }

    fn commit_chain(
        &mut self,
        now: Duration,
        target: &Hash,
        target_qc: QuorumCertificate,
        proof: (Block, QuorumCertificate),
        out: &mut Outputs,
    ) {
        let Some(chain) = self.tree.chain_to(target) else { return };
        let chain: Vec<Block> = chain.into_iter().cloned().collect();
        // QC of chain[i] is chain[i+1]'s justify; the last one's is target_qc; above it sits the proof.
        let mut entries: Vec<SyncEntry> = Vec::with_capacity(chain.len() + 1);
        for (i, b) in chain.iter().enumerate() {
            let qc = chain.get(i + 1).map(|c| c.header.parent_qc.clone()).unwrap_or_else(|| target_qc.clone());
            entries.push(SyncEntry { block: b.clone(), qc: Some(qc) });
        }
        entries.push(SyncEntry { block: proof.0, qc: Some(proof.1) });
        let last = self.p.schedule.last_height(self.epoch);
        let mut new_root = None;
        for i in 0..chain.len() {
            let b = &chain[i];
            if last.is_some_and(|l| b.header.height > l) {
                break;
            }
            let qc = entries[i].qc.clone().unwrap_or_else(|| target_qc.clone());
            let is_last_of_epoch = last == Some(b.header.height);
            let commit_proof = if is_last_of_epoch { entries[i + 1..].to_vec() } else { Vec::new() };
            let epoch_after = if is_last_of_epoch { self.epoch + 1 } else { self.epoch };
            self.reputation.on_commit(&self.p.schedule, b.header.epoch, b.header.round);
            new_root = Some((b.hash(), qc.clone()));
            out.commits.push(Committed { block: b.clone(), qc, commit_proof: commit_proof.clone(), epoch_after });
            if is_last_of_epoch {
                self.epoch_proofs.insert(self.epoch, commit_proof);
            }
        }
        let Some((root, root_qc)) = new_root else { return };
        self.tree.advance_root(&root);
        self.committed_qc = root_qc.clone();
        let floor = self.committed_qc.rank();
        self.verified_certs.retain(|_, rank| *rank >= floor);
        let buffered: Vec<(Height, Hash)> =
            self.buffered.keys().filter(|(h, _)| *h <= self.tree.root_height()).copied().collect();
        for k in buffered {
            self.buffered.remove(&k);
        }
        if last == Some(self.tree.root_height()) {
            self.enter_next_epoch(now, root_qc, out);
        }
    }

    fn enter_next_epoch(&mut self, now: Duration, boundary_qc: QuorumCertificate, out: &mut Outputs) {
        let ended = self.epoch;
        self.epoch += 1;
        self.stats.epoch_changes += 1;
        self.round = 0;
        self.last_voted_round = 0;
        self.high_qc = boundary_qc;
        self.last_tc = None;
        self.votes.clear();
        self.voted_for.clear();
        self.held_votes.clear();
        self.timeouts.clear();
        self.sent_timeout = None;
        self.failed_rounds = 0;
        self.buffered.clear();
        if let Some(floor) = self.resume_floor.take_if(|f| f.epoch == self.epoch) {
            self.restore(floor);
        }
        self.persist_safety(out);
        // Tell everyone the epoch closed: the commit proof lets lagging nodes (incl. the next leaders) follow.
        if let Some(proof) = self.epoch_proofs.get(&ended) {
            let mut entries = vec![SyncEntry { block: self.tree.root().clone(), qc: Some(self.committed_qc.clone()) }];
            entries.extend(proof.iter().cloned());
            out.actions.push(Action::Broadcast { message: Message::SyncResponse(entries) });
        }
        self.enter_round(now, self.first_round(), out);
    }
}
