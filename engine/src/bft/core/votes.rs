//! Votes and certificates: checking QCs and TCs (and remembering verified ones), collecting votes, forming a QC
//! from a quorum, and taking back the aggregates the runtime built and verified.
//!
//! Implements "Votes and certificates" of docs/PROTOCOL-CHOICES.md: votes are collected by (round, digest of the
//! signed vote message), a vote disagreeing with the known block is `vote_mismatch`, a second different vote is
//! `equivocation`, a self-built certificate becomes a QC/TC only once its aggregate verified, and verified
//! certificates are remembered by digest and rank. Also the epoch and membership checks of votes and timeouts
//! ("Rounds, leaders, quorums": quorum `q`; "Epochs and committee changes": other epochs are refused).

use super::{HotStuff, Outputs, PendingCert};
use crate::bft::collector::SignatureSet;
use crate::bft::refusal::Refusal;
use crate::protocol::Action;
use crate::protocol::work::{AggregateCheck, AggregateJob, AggregateOutput, VerifyJob, VoteCheck};
use crate::types::{
    Epoch, Hash, QuorumCertificate, SignerBitfield, TimeoutCertificate, ValidatorId, Vote, encode, timeout_message,
    vote_message,
};
use std::time::Duration;

/// How many rounds ahead of its own a node accepts votes (signature checked, then kept until their round): a
/// collector that lags more catches up by the next proposal or by sync, and the votes of the rounds it skipped
/// could not make it a certificate in time anyway. Bounds what a member can make a node keep to this many rounds'
/// worth of votes — and of timeouts, counted from the round a timeout's own certificates lead to.
pub const FUTURE_VOTE_ROUNDS: u64 = 16;

impl HotStuff {
    pub(super) fn qc_check(&self, qc: &QuorumCertificate) -> Result<Option<AggregateCheck>, Refusal> {
        if qc.is_epoch_start() {
            return if *qc == self.genesis_qc { Ok(None) } else { Err(Refusal::BadCertificate) };
        }
        if self.verified_certs.contains_key(&Hash::of(&encode(qc))) {
            return Ok(None);
        }
        let signers = self.p.schedule.signers(qc.epoch, &qc.signers).ok_or(Refusal::BadCertificate)?;
        if signers.len() < self.p.schedule.quorum(qc.epoch) {
            return Err(Refusal::BadCertificate);
        }
        let message = vote_message(self.p.chain_id, qc.epoch, qc.round, qc.height, &qc.block_hash, &qc.parent_hash);
        Ok(Some(AggregateCheck { message, signers, aggregate: qc.aggregate.clone() }))
    }

    pub(super) fn tc_checks(&self, tc: &TimeoutCertificate, job: &mut VerifyJob) -> Result<(), Refusal> {
        let signers = self.p.schedule.signers(tc.epoch, &tc.signers).ok_or(Refusal::BadCertificate)?;
        if signers.len() < self.p.schedule.quorum(tc.epoch) || tc.high_qc.epoch > tc.epoch {
            return Err(Refusal::BadCertificate);
        }
        if !self.verified_certs.contains_key(&Hash::of(&encode(tc))) {
            let message = timeout_message(self.p.chain_id, tc.epoch, tc.round);
            job.aggregates.push(AggregateCheck { message, signers, aggregate: tc.aggregate.clone() });
        }
        job.aggregates.extend(self.qc_check(&tc.high_qc)?);
        Ok(())
    }

    pub(super) fn mark_verified_qc(&mut self, qc: &QuorumCertificate) {
        if !qc.is_epoch_start() {
            self.verified_certs.insert(Hash::of(&encode(qc)), qc.rank());
        }
    }

    /// Remembers a verified TC and the high QC it carries.
    pub(super) fn mark_verified_tc(&mut self, tc: &TimeoutCertificate) {
        self.verified_certs.insert(Hash::of(&encode(tc)), (tc.epoch, tc.round));
        self.mark_verified_qc(&tc.high_qc);
    }

    /// Refuses a message of another epoch than the node's: `OldEpoch` or `FutureEpoch`.
    pub(super) fn current_epoch(&self, epoch: Epoch) -> Result<(), Refusal> {
        match epoch.cmp(&self.epoch) {
            std::cmp::Ordering::Less => Err(Refusal::OldEpoch),
            std::cmp::Ordering::Greater => Err(Refusal::FutureEpoch),
            std::cmp::Ordering::Equal => Ok(()),
        }
    }

    /// Committee position of the signer of a vote or timeout of `epoch`, refusing other epochs and non-members.
    pub(super) fn signer_position(&self, epoch: Epoch, voter: ValidatorId) -> Result<usize, Refusal> {
        self.current_epoch(epoch)?;
        self.p.schedule.position(epoch, voter).ok_or(Refusal::NonMember)
    }

    /// Signer bitfield of a complete signature set and the job that aggregates it (position order). The job
    /// names the signed message and the signers, so the runtime verifies the aggregate it built before the
    /// certificate is used, like any certificate received from a peer.
    pub(super) fn aggregation_job(
        &mut self,
        epoch: Epoch,
        set: &SignatureSet,
        message: Vec<u8>,
    ) -> (SignerBitfield, AggregateJob) {
        let mut signers = SignerBitfield::new(self.p.schedule.committee(epoch).len());
        let mut signer_ids = Vec::with_capacity(set.len());
        let signatures = set
            .ordered()
            .map(|(p, id, s)| {
                signers.set(p);
                signer_ids.push(id);
                s.clone()
            })
            .collect();
        let id = self.job_id();
        (signers, AggregateJob { id, signatures, message, signers: signer_ids })
    }

    /// The message a vote signed and its digest (the key its signature is collected under), refusing a vote whose
    /// height, parent or round disagree with the block it names when that block is known.
    fn signed_vote(&self, v: &Vote) -> Result<(Vec<u8>, Hash), Refusal> {
        if let Some(block) = self.tree.get(&v.block_hash)
            && (block.header.height != v.height
                || block.header.parent_hash != v.parent_hash
                || block.header.round != v.round)
        {
            return Err(Refusal::VoteMismatch);
        }
        let message = vote_message(self.p.chain_id, v.epoch, v.round, v.height, &v.block_hash, &v.parent_hash);
        let digest = Hash::of(&message);
        Ok((message, digest))
    }

    /// Checks of a vote before its signature is verified. A vote for a round whose QC the node already holds is
    /// `stale_round`: only one block of a round can gather a quorum, so the vote can add nothing and its pairing
    /// check would be wasted (the leader of a 4-validator committee got a fourth vote every round). A vote more
    /// than [`FUTURE_VOTE_ROUNDS`] rounds ahead is `future_round`: kept, such votes would pile up until their
    /// round, one per member and round number.
    pub fn check_vote(&self, v: &Vote) -> Result<VerifyJob, Refusal> {
        let pos = self.signer_position(v.epoch, v.voter)?;
        if v.round <= self.high_qc.round && self.high_qc.epoch == v.epoch {
            return Err(Refusal::StaleRound);
        }
        if v.round > self.round.saturating_add(FUTURE_VOTE_ROUNDS) {
            return Err(Refusal::FutureRound);
        }
        let (message, digest) = self.signed_vote(v)?;
        if let Some(prev) = self.voted_for.get(&(v.round, v.voter)) {
            return Err(if *prev == digest { Refusal::Duplicate } else { Refusal::Equivocation });
        }
        if self.votes.get(&(v.round, digest)).is_some_and(|s| s.has(pos)) {
            return Err(Refusal::Duplicate);
        }
        Ok(VerifyJob {
            votes: vec![VoteCheck { message, signer: v.voter, signature: v.signature.clone() }],
            ..Default::default()
        })
    }

    /// A vote whose signature verified.
    pub fn on_vote(&mut self, _now: Duration, v: Vote, out: &mut Outputs) {
        if v.epoch != self.epoch {
            out.refused.push(Refusal::OldEpoch);
            return;
        }
        let Some(pos) = self.p.schedule.position(v.epoch, v.voter) else {
            out.refused.push(Refusal::NonMember);
            return;
        };
        let (message, digest) = match self.signed_vote(&v) {
            Ok(signed) => signed,
            Err(refusal) => {
                out.refused.push(refusal);
                return;
            }
        };
        match self.voted_for.get(&(v.round, v.voter)) {
            Some(prev) if *prev != digest => {
                out.refused.push(Refusal::Equivocation);
                return;
            }
            _ => {}
        }
        self.voted_for.insert((v.round, v.voter), digest);
        let set = self.votes.entry((v.round, digest)).or_default();
        if set.add(pos, v.voter, v.signature.clone()).is_err() {
            out.refused.push(Refusal::Duplicate);
            return;
        }
        self.certify_if_quorum(&v, message, digest, out);
    }

    /// A vote that passed [`HotStuff::check_vote`], before its signature is checked: quorum first. When it is of
    /// the current round or a neighbour and its voter has no other vote held in that round, it is held unchecked
    /// (`Ok(None)`), and once the checked and held votes for its message reach a quorum, the certificate built
    /// from all of them is checked instead of each vote — one pairing check with BLS instead of one per vote plus
    /// one for the certificate. Otherwise it is handed back to be checked alone (`Ok(Some)`, then
    /// [`HotStuff::on_vote`]). A copy of a held vote is `duplicate`. See docs/PROTOCOL-CHOICES.md "Votes and
    /// certificates".
    pub fn offer_vote(&mut self, v: Vote, out: &mut Outputs) -> Result<Option<Vote>, Refusal> {
        let rounds = self.round.saturating_sub(1)..=self.round.saturating_add(1);
        if v.epoch != self.epoch || !rounds.contains(&v.round) {
            return Ok(Some(v));
        }
        let Some(pos) = self.p.schedule.position(v.epoch, v.voter) else { return Ok(Some(v)) };
        let Ok((message, digest)) = self.signed_vote(&v) else { return Ok(Some(v)) };
        let mut held_in_round = self.held_votes.range((v.round, Hash::ZERO)..).take_while(|((r, _), _)| *r == v.round);
        if let Some(same) = held_in_round.find_map(|(_, by_pos)| by_pos.get(&pos)) {
            return if *same == v { Err(Refusal::Duplicate) } else { Ok(Some(v)) };
        }
        self.held_votes.entry((v.round, digest)).or_default().insert(pos, v.clone());
        self.certify_if_quorum(&v, message, digest, out);
        Ok(None)
    }

    /// Starts the certificate of `v`'s message when its checked and held votes reach a quorum and none is being
    /// built: the held votes move into the job as unchecked, and the runtime's check of the certificate covers them.
    fn certify_if_quorum(&mut self, v: &Vote, message: Vec<u8>, digest: Hash, out: &mut Outputs) {
        let quorum = self.p.schedule.quorum(v.epoch);
        let set = self.votes.entry((v.round, digest)).or_default();
        let held = self.held_votes.get(&(v.round, digest));
        let fresh_held = held.map_or(0, |h| h.keys().filter(|p| !set.has(**p)).count());
        if set.aggregating || set.len() + fresh_held < quorum {
            return;
        }
        set.aggregating = true;
        let mut combined = set.clone();
        let mut unchecked = Vec::new();
        for (pos, vote) in self.held_votes.remove(&(v.round, digest)).unwrap_or_default() {
            if combined.add(pos, vote.voter, vote.signature.clone()).is_ok() {
                unchecked.push((pos, vote));
            }
        }
        let (signers, job) = self.aggregation_job(v.epoch, &combined, message);
        self.pending_certs.insert(
            job.id,
            PendingCert::Qc {
                epoch: v.epoch,
                round: v.round,
                height: v.height,
                block_hash: v.block_hash,
                parent_hash: v.parent_hash,
                signers,
                digest,
                unchecked,
            },
        );
        out.actions.push(Action::Aggregate(job));
    }

    fn job_id(&mut self) -> u64 {
        self.next_job += 1;
        self.next_job
    }

    /// A certificate aggregate came back.
    pub fn on_aggregated(&mut self, now: Duration, output: AggregateOutput, out: &mut Outputs) {
        let Some(pending) = self.pending_certs.remove(&output.id) else { return };
        let Ok(aggregate) = output.aggregate else {
            match pending {
                PendingCert::Qc { round, digest, unchecked, .. } if !unchecked.is_empty() => {
                    // Some vote in it was never checked alone: check each alone now (the bad ones are refused
                    // there); the good ones come back through `on_vote` and may form the certificate again.
                    if let Some(set) = self.votes.get_mut(&(round, digest)) {
                        set.aggregating = false;
                    }
                    out.verify_alone.extend(unchecked.into_iter().map(|(_, vote)| vote));
                }
                _ => out.refused.push(Refusal::BadSignature),
            }
            return;
        };
        match pending {
            PendingCert::Qc { epoch, round, height, block_hash, parent_hash, signers, digest, unchecked } => {
                for (pos, vote) in unchecked {
                    self.voted_for.entry((round, vote.voter)).or_insert(digest);
                    if let Some(set) = self.votes.get_mut(&(round, digest)) {
                        let _ = set.add(pos, vote.voter, vote.signature);
                    }
                }
                let qc = QuorumCertificate { epoch, round, height, block_hash, parent_hash, signers, aggregate };
                self.mark_verified_qc(&qc);
                self.process_qc(now, &qc, out);
            }
            PendingCert::Tc { epoch, round, high_qc, signers } => {
                let tc = TimeoutCertificate { epoch, round, high_qc, signers, aggregate };
                self.on_own_tc(now, tc, out);
            }
        }
    }
}
