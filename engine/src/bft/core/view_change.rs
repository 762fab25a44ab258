//! View change: entering rounds, the view timer with its back-off (formerly `pacemaker.rs`), timeouts, joining a
//! view change and timeout certificates.
//!
//! Implements "View change" of docs/PROTOCOL-CHOICES.md: the timer `base_timeout × backoff^k` capped at
//! `max_timeout`, a timeout signing only (chain, epoch, round) and carrying the high QC and the TC that moved its
//! sender into its round, re-broadcast at every expiry, joining on `f + 1` timeouts, a TC on `q`. Entering a round
//! arms the proposal timer of its leader (`HotStuff::leader`: round-robin, or "Leader reputation").

use super::{FUTURE_VOTE_ROUNDS, HotStuff, Outputs, PendingCert};
use crate::bft::config::ConsensusConfig;
use crate::bft::refusal::Refusal;
use crate::protocol::work::{VerifyJob, VoteCheck};
use crate::protocol::{Action, Timer};
use crate::types::{Epoch, Message, Round, TimeoutCertificate, TimeoutVote, timeout_message};
use std::time::Duration;

/// Timer length after `failed` consecutive rounds without progress: base × backoff^failed, capped.
fn view_timeout(config: &ConsensusConfig, failed: u32) -> Duration {
    let base = config.base_timeout_ms as f64;
    let factor = config.timeout_backoff.max(1.0).powi(failed.min(64) as i32);
    let ms = (base * factor).min(config.max_timeout_ms as f64).max(1.0);
    Duration::from_micros((ms * 1000.0) as u64)
}

/// The round a timeout's own certificates lead to (unverified): one past its high QC of the same epoch (an earlier
/// epoch's QC starts the epoch at round 1) or past its TC, whichever is later.
fn justified_round(t: &TimeoutVote) -> Round {
    let by_qc = if t.high_qc.epoch == t.epoch { t.high_qc.round.saturating_add(1) } else { 1 };
    let by_tc = t.last_tc.as_ref().filter(|tc| tc.epoch == t.epoch).map_or(0, |tc| tc.round.saturating_add(1));
    by_qc.max(by_tc)
}

impl HotStuff {
    pub(super) fn enter_round(&mut self, now: Duration, round: Round, out: &mut Outputs) {
        if round <= self.round && self.round != 0 {
            return;
        }
        self.round = round;
        self.votes.retain(|(r, _), _| r.saturating_add(1) >= round);
        self.voted_for.retain(|(r, _), _| r.saturating_add(1) >= round);
        self.held_votes.retain(|(r, _), _| r.saturating_add(1) >= round);
        self.timeouts.retain(|r, _| *r >= round);
        let epoch = self.epoch;
        if self.reputation.stall_fallback_begins(&self.p.schedule, epoch, round) {
            self.failed_rounds = 0;
        }
        out.actions.push(Action::SetTimer {
            timer: Timer::ViewChange { epoch, round },
            after: view_timeout(&self.p.config, self.failed_rounds),
        });
        if self.leader(epoch, round) == self.p.me && self.is_member() {
            let wait = self.propose_wait(now);
            out.actions.push(Action::SetTimer { timer: Timer::Propose { epoch, round }, after: wait });
        }
    }

    /// How long a leader entering its round waits before proposing: what is left of `min_block_interval_ms` since
    /// the first proposal of the newest round it saw one in, so blocks are at least that far apart (as this node saw
    /// them) and transactions accumulate between them, while the wait overlaps the round's own messages instead of
    /// adding to them. Before any proposal (the first round after start), the whole interval.
    fn propose_wait(&self, now: Duration) -> Duration {
        let interval = Duration::from_millis(self.p.config.min_block_interval_ms);
        match self.last_proposal_at {
            Some((_, seen)) => interval.saturating_sub(now.saturating_sub(seen)),
            None => interval,
        }
    }

    /// The view timer of the current round expired: time out (again) and re-arm it, backing off.
    pub(super) fn on_view_timer(&mut self, now: Duration, epoch: Epoch, round: Round, out: &mut Outputs) {
        self.failed_rounds = self.failed_rounds.saturating_add(1);
        self.send_timeout(now, round, out);
        out.actions.push(Action::SetTimer {
            timer: Timer::ViewChange { epoch, round },
            after: view_timeout(&self.p.config, self.failed_rounds),
        });
    }

    fn send_timeout(&mut self, now: Duration, round: Round, out: &mut Outputs) {
        if !self.is_member() || !self.may_act() {
            return;
        }
        if self.last_voted_round < round {
            self.last_voted_round = round; // never vote in a round after timing out in it
        }
        self.sent_timeout = Some(round.max(self.sent_timeout.unwrap_or(0)));
        self.persist_safety(out);
        let signature = self.p.keys.sign_vote(self.p.scheme, &timeout_message(self.p.chain_id, self.epoch, round));
        let last_tc = self.tc_entering(self.epoch, round);
        let t = TimeoutVote {
            epoch: self.epoch,
            round,
            high_qc: self.high_qc.clone(),
            voter: self.p.me,
            signature,
            last_tc,
        };
        out.actions.push(Action::Broadcast { message: Message::Timeout(t.clone()) });
        self.on_timeout(now, t, out);
    }

    /// The TC this node holds that ended the round before `round` of `epoch`: the one a proposal or a timeout for
    /// `round` carries, so that a receiver can enter `round` through it (none when the node entered `round`
    /// through a QC).
    pub(super) fn tc_entering(&self, epoch: Epoch, round: Round) -> Option<TimeoutCertificate> {
        self.last_tc.clone().filter(|tc| tc.epoch == epoch && tc.round + 1 == round)
    }

    /// Checks of a timeout before its signatures are verified. A timeout more than [`FUTURE_VOTE_ROUNDS`] rounds
    /// beyond both the node's round and the round its own certificates lead to ([`justified_round`]) is
    /// `future_round`: an honest sender entered its round through the high QC or TC it carries, so such timeouts
    /// come from a byzantine member, one per round number — kept, they would pile up without limit — or from a
    /// restarted node (it keeps no TC) while this node lags more than the window, when the timeout could not move it
    /// anyway. One that carries its certificates is checked however far ahead: that is how a lagging node catches
    /// up.
    pub fn check_timeout(&self, t: &TimeoutVote) -> Result<VerifyJob, Refusal> {
        let pos = self.signer_position(t.epoch, t.voter)?;
        if t.round < self.round {
            return Err(Refusal::StaleRound);
        }
        if t.round > self.round.max(justified_round(t)).saturating_add(FUTURE_VOTE_ROUNDS) {
            return Err(Refusal::FutureRound);
        }
        if self.timeouts.get(&t.round).is_some_and(|s| s.has(pos)) {
            return Err(Refusal::Duplicate);
        }
        if t.high_qc.epoch > t.epoch {
            return Err(Refusal::BadCertificate);
        }
        let mut job = VerifyJob::default();
        job.votes.push(VoteCheck {
            message: timeout_message(self.p.chain_id, t.epoch, t.round),
            signer: t.voter,
            signature: t.signature.clone(),
        });
        job.aggregates.extend(self.qc_check(&t.high_qc)?);
        if let Some(tc) = &t.last_tc {
            if tc.epoch != t.epoch || tc.round.checked_add(1) != Some(t.round) {
                return Err(Refusal::BadCertificate);
            }
            self.tc_checks(tc, &mut job)?;
        }
        Ok(job)
    }

    /// A timeout whose signatures verified.
    pub fn on_timeout(&mut self, now: Duration, t: TimeoutVote, out: &mut Outputs) {
        if t.epoch != self.epoch || t.round < self.round {
            return;
        }
        let Some(pos) = self.p.schedule.position(t.epoch, t.voter) else { return };
        self.mark_verified_qc(&t.high_qc);
        self.process_qc(now, &t.high_qc, out);
        if let Some(tc) = t.last_tc.clone() {
            self.mark_verified_tc(&tc);
            self.on_tc(now, tc, out);
        }
        if t.epoch != self.epoch || t.round < self.round {
            return;
        }
        let (epoch, round) = (t.epoch, t.round);
        let quorum = self.p.schedule.quorum(epoch);
        let weak = self.p.schedule.weak_quorum(epoch);
        let set = self.timeouts.entry(round).or_default();
        if set.add(pos, t.voter, t.signature).is_err() {
            out.refused.push(Refusal::Duplicate);
            return;
        }
        if set.high_qc.as_ref().is_none_or(|q| t.high_qc.rank() > q.rank()) {
            set.high_qc = Some(t.high_qc);
        }
        let count = set.len();
        if count >= weak && self.sent_timeout.is_none_or(|r| r < round) {
            self.send_timeout(now, round, out); // join: f+1 timed out, so at least one honest node did
            return;
        }
        let Some(set) = self.timeouts.get_mut(&round) else { return };
        if count >= quorum && !set.aggregating {
            set.aggregating = true;
            let set = set.clone();
            let message = timeout_message(self.p.chain_id, epoch, round);
            let (signers, job) = self.aggregation_job(epoch, &set, message);
            let high_qc = set.high_qc.clone().unwrap_or_else(|| self.high_qc.clone());
            self.pending_certs.insert(job.id, PendingCert::Tc { epoch, round, high_qc, signers });
            out.actions.push(Action::Aggregate(job));
        }
    }

    /// Checks of a relayed timeout certificate (`Message::TimeoutCertificate`) before its signatures are verified:
    /// only one that moves this node into a later round is worth a pairing, an older one is `StaleRound`.
    pub fn check_timeout_certificate(&self, tc: &TimeoutCertificate) -> Result<VerifyJob, Refusal> {
        self.current_epoch(tc.epoch)?;
        if tc.round < self.round {
            return Err(Refusal::StaleRound);
        }
        let mut job = VerifyJob::default();
        self.tc_checks(tc, &mut job)?;
        Ok(job)
    }

    /// A relayed timeout certificate whose signatures verified: enter the round after it.
    pub fn on_timeout_certificate(&mut self, now: Duration, tc: TimeoutCertificate, out: &mut Outputs) {
        self.mark_verified_tc(&tc);
        self.on_tc(now, tc, out);
    }

    /// A TC this node aggregated itself: enter the round after it and, when it did, broadcast the TC once. The
    /// round's timeouts may not all have reached every peer (a lossy link, a byzantine member whose timeout only
    /// some got), and a peer without the TC stays in the old round and cannot vote in the new one; the next
    /// leader's proposal carries the TC, but that leader may be faulty, and the others' next timeouts carry it
    /// only a backed-off timer later. Found by the ByzzFuzz sweep (seeds
    /// 2277 and 3141, docs/PROTOCOL-CHOICES.md "View change").
    pub(super) fn on_own_tc(&mut self, now: Duration, tc: TimeoutCertificate, out: &mut Outputs) {
        self.mark_verified_tc(&tc);
        if self.on_tc(now, tc.clone(), out) {
            out.actions.push(Action::Broadcast { message: Message::TimeoutCertificate(tc) });
        }
    }

    /// Enters the round after `tc` when it is of this epoch and not behind; says whether it did.
    pub(super) fn on_tc(&mut self, now: Duration, tc: TimeoutCertificate, out: &mut Outputs) -> bool {
        if tc.epoch != self.epoch || tc.round < self.round {
            return false;
        }
        self.process_qc(now, &tc.high_qc, out);
        if tc.epoch != self.epoch || tc.round < self.round {
            return false;
        }
        self.stats.timeouts += 1;
        let next = tc.round + 1;
        self.last_tc = Some(tc);
        self.enter_round(now, next, out);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_and_caps() {
        let c =
            ConsensusConfig { base_timeout_ms: 1000, timeout_backoff: 2.0, max_timeout_ms: 5000, ..Default::default() };
        assert_eq!(view_timeout(&c, 0), Duration::from_millis(1000));
        assert_eq!(view_timeout(&c, 1), Duration::from_millis(2000));
        assert_eq!(view_timeout(&c, 2), Duration::from_millis(4000));
        assert_eq!(view_timeout(&c, 3), Duration::from_millis(5000));
        assert_eq!(view_timeout(&c, 1000), Duration::from_millis(5000));
    }
}
