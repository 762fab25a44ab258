//! Block sync: sync requests, the entries this node serves from memory, and checking and feeding a sync answer
//! through the normal rules.
//!
//! Implements "Block sync" of docs/PROTOCOL-CHOICES.md (request throttling, serving the uncommitted chain up to the
//! high QC, verifying every QC before blocks are fed in order, retrying buffered proposals), and the serving side
//! of "Epochs and committee changes" (the commit proof kept for each ended epoch).

use super::{HotStuff, Outputs};
use crate::bft::refusal::Refusal;
use crate::protocol::Action;
use crate::protocol::work::VerifyJob;
use crate::types::{Hash, Height, Message, SyncEntry, ValidatorId};
use std::time::Duration;

/// Least time between two sync requests (the network's repeat window stays below it, so a retried request is heard).
pub const SYNC_RETRY: Duration = Duration::from_millis(300);
/// Least time between two sync requests of one peer that this node serves: a request costs a storage read of up to
/// [`SYNC_BATCH`] blocks and a large answer, and it is a few bytes; one arriving sooner is refused (counted). A
/// third of [`SYNC_RETRY`], so an honest peer's retry is served even when the one before it was late by twice this.
pub const SYNC_SERVE_INTERVAL: Duration = Duration::from_millis(100);
/// Most blocks asked for in one sync request.
pub const SYNC_BATCH: usize = 128;

impl HotStuff {
    pub(super) fn request_sync(&mut self, now: Duration, from: Option<ValidatorId>, out: &mut Outputs) {
        if self.last_sync_request.is_some_and(|t| now < t + SYNC_RETRY) {
            return;
        }
        self.last_sync_request = Some(now);
        self.stats.sync_requests += 1;
        let message = Message::SyncRequest { from_height: self.tree.root_height() + 1 };
        match from {
            Some(to) if to != self.p.me => out.actions.push(Action::Send { to, message }),
            _ => out.actions.push(Action::Broadcast { message }),
        }
    }

    /// Blocks this node can serve above `from_height` from memory: epoch commit proofs and the uncommitted
    /// chain up to the high QC. Committed blocks come from storage.
    pub fn uncommitted_entries(&self) -> Vec<SyncEntry> {
        let Some(chain) = self.tree.chain_to(&self.high_qc.block_hash) else { return Vec::new() };
        let mut entries: Vec<SyncEntry> = Vec::with_capacity(chain.len());
        for (i, b) in chain.iter().enumerate() {
            let qc = chain.get(i + 1).map(|c| c.header.parent_qc.clone()).unwrap_or_else(|| self.high_qc.clone());
            entries.push(SyncEntry { block: (*b).clone(), qc: Some(qc) });
        }
        entries
    }

    /// The commit proof kept for the epoch that ended at `height`, if any.
    pub fn epoch_proof_at(&self, height: Height) -> Option<&Vec<SyncEntry>> {
        self.epoch_proofs.iter().find(|(e, _)| self.p.schedule.last_height(**e) == Some(height)).map(|(_, proof)| proof)
    }

    /// Certificates in a sync response that need verifying.
    pub fn check_sync(&self, entries: &[SyncEntry]) -> Result<VerifyJob, Refusal> {
        let mut job = VerifyJob::default();
        for e in entries {
            let h = &e.block.header;
            if h.chain_id != self.p.chain_id
                || !e.block.body_matches_header()
                || h.parent_qc.block_hash != h.parent_hash
            {
                return Err(Refusal::Malformed);
            }
            job.aggregates.extend(self.qc_check(&h.parent_qc)?);
            if let Some(qc) = &e.qc {
                if qc.block_hash != e.block.hash() {
                    return Err(Refusal::Malformed);
                }
                job.aggregates.extend(self.qc_check(qc)?);
            }
        }
        Ok(job)
    }

    /// A sync response whose certificates verified: feed blocks and QCs in order, then retry buffered
    /// proposals whose ancestors arrived.
    pub fn on_sync(&mut self, now: Duration, entries: Vec<SyncEntry>, out: &mut Outputs) {
        for e in entries {
            self.mark_verified_qc(&e.block.header.parent_qc);
            if e.block.header.epoch != self.epoch || e.block.header.height <= self.tree.root_height() {
                continue;
            }
            let justify = e.block.header.parent_qc.clone();
            self.process_qc(now, &justify, out);
            if e.block.header.epoch != self.epoch {
                continue;
            }
            if !self.tree.contains(&e.block.hash()) && !self.tree.insert(e.block) {
                break;
            }
            if let Some(qc) = e.qc {
                self.mark_verified_qc(&qc);
                self.process_qc(now, &qc, out);
            }
        }
        let ready: Vec<(Height, Hash)> = self
            .buffered
            .iter()
            .filter(|(_, (p, _))| self.tree.contains(&p.block.header.parent_hash))
            .map(|(k, _)| *k)
            .collect();
        for k in ready {
            if let Some((p, exec_ok)) = self.buffered.remove(&k) {
                self.on_proposal(now, p, exec_ok, out);
            }
        }
    }

    /// The node fell behind when it sees a certified height above its tree; used by the node to decide sync.
    pub fn knows_block(&self, hash: &Hash) -> bool {
        self.tree.contains(hash)
    }
}
