//! Proposals: asking the node to build this leader's block, checking a received proposal, voting on it, and
//! signing and broadcasting this leader's own block.
//!
//! Implements "Voting (safety)" of docs/PROTOCOL-CHOICES.md (vote iff current round, above `last_voted_round`, the
//! justify ranked at least the high QC before it is processed; the safety state is persisted before the vote goes
//! to the next leader), the proposal side of "Execution roots" (a proposal buffered for its parent keeps the verdict
//! it arrived with), of "Epochs and committee changes" (empty tail blocks; a future-epoch proposal asks for sync)
//! and of "View change" (a leader whose lock's block is missing retries its proposal while it syncs).

use super::sync::SYNC_RETRY;
use super::{HotStuff, Outputs, ProposeRequest};
use crate::bft::refusal::Refusal;
use crate::crypto::VoteScheme;
use crate::protocol::work::{Ed25519Check, VerifyJob};
use crate::protocol::{Action, Timer};
use crate::types::{
    Block, Epoch, Hash, Message, Proposal, Round, TimeoutCertificate, ValidatorId, Vote, proposal_message, vote_message,
};
use std::time::Duration;

/// Most proposals kept while their ancestors are being fetched.
const MAX_BUFFERED_PROPOSALS: usize = 64;

impl HotStuff {
    /// The proposal timer of the current round fired: ask the node to build this leader's block.
    pub(super) fn on_propose_timer(&mut self, now: Duration, epoch: Epoch, round: Round, out: &mut Outputs) {
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
        let tc = self.tc_entering(epoch, round);
        let must_be_empty = self.p.schedule.last_height(epoch).is_some_and(|l| parent.header.height >= l);
        out.propose = Some(ProposeRequest { epoch, round, parent, parent_qc: self.high_qc.clone(), tc, must_be_empty });
    }

    /// Structural checks of a proposal, and the signatures it needs verified (besides its transactions').
    /// `tx_hashes` are the hashes of the block's transactions in order ([`Block::tx_hashes`](crate::types::Block::tx_hashes)),
    /// computed once by the caller, which also needs them; the body is checked against them.
    pub fn check_proposal(
        &mut self,
        now: Duration,
        from: ValidatorId,
        p: &Proposal,
        tx_hashes: &[Hash],
        out: &mut Outputs,
    ) -> Result<VerifyJob, Refusal> {
        let h = &p.block.header;
        if h.chain_id != self.p.chain_id
            || !p.block.body_matches(tx_hashes)
            || h.parent_hash != h.parent_qc.block_hash
            || h.parent_qc.height.checked_add(1) != Some(h.height)
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
        if h.proposer != from || self.leader(h.epoch, h.round) != from {
            return Err(Refusal::WrongLeader);
        }
        if h.round < self.round {
            return Err(Refusal::StaleRound);
        }
        let justify_epoch_ok = h.parent_qc.epoch == h.epoch
            || (h.parent_qc.epoch.checked_add(1) == Some(h.epoch)
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
            if tc.epoch != h.epoch || tc.round.checked_add(1) != Some(h.round) {
                return Err(Refusal::BadCertificate);
            }
            self.tc_checks(tc, &mut job)?;
        }
        Ok(job)
    }

    /// A proposal whose signatures verified. `exec_ok` is the node's verdict on the execution root it carries.
    pub fn on_proposal(&mut self, now: Duration, p: Proposal, exec_ok: bool, out: &mut Outputs) {
        let round = (p.block.header.epoch, p.block.header.round);
        if round.1 >= self.round && self.last_proposal_at.is_none_or(|(seen, _)| round > seen) {
            self.last_proposal_at = Some((round, now));
        }
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
        let next_leader = self.leader(h.epoch, h.round + 1);
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
}
