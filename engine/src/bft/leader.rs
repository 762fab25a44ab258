//! Leader election: which committee member proposes in a round.
//!
//! Round-robin (`committee_e[round mod n]`) gives a crashed member every n-th round, and each of its rounds costs
//! a view-change timeout; so does the round before it, because that round's votes go to the crashed member as the
//! next leader, and a commit needs two consecutive certified rounds. **Leader reputation** (after DiemBFT v4 and
//! Aptos) chooses round-robin over the members whose recent rounds did not fail.
//!
//! What every replica must agree on is the leader of each round, so the schedule is a function of the committed
//! chain only, which is the same on every honest replica (safety). When a block of round c commits and the
//! previous committed block of the epoch is of round p < c − 1, the rounds between failed; the *last* of them,
//! c − 1, is recorded as failed by the leader this very rule chose for it. Only the last: a round also fails when
//! its leader proposed but the next leader, who collects its votes, is down — so in a run of failed rounds every
//! leader but the last may be innocent, while the last one's successor evidently works (its block committed). A
//! crashed member's run is "its predecessor's round, its own round", and it is blamed alone.
//! A committed block is recorded as committed by the leader of its round. The leader of round r is then
//! `eligible[r mod |eligible|]`, where `eligible` is the committee in position order minus the members whose
//! latest round led in the window `(r − lag − window, r − lag]` failed; when fewer than f + 1 would remain, the
//! whole committee. (Counting a member's committed rounds against its failed ones instead kept a crashed member
//! that had led well in the schedule for as many failures as it had successes in the window — hundreds.)
//! The lag keeps the schedule of a round to what replicas have committed by the time they need it (a block of
//! round r − 2 commits when the proposal of round r arrives); a replica that has not committed that far uses what
//! it has, and may disagree for a few rounds — which costs liveness only, since safety never depends on who leads.
//! A failure leaves the window after `window` rounds, so a member that was down is tried again then; if it is
//! still down, it fails once more and is left out again.
//!
//! **Liveness**: a two-chain commit needs two consecutive certified rounds, and the second round's votes go to the
//! next leader, so the chain commits only where three leaders in a row are honest — which round-robin over
//! n ≥ 3f + 1 members always has, and a schedule with members left out may not (two honest members left out by
//! failures during a partition, and the byzantine one still in). Since the record only changes on a commit, such
//! a schedule would hold until its failures left the window (a long sweep found it: 6 of 1,000 ByzzFuzz runs
//! stalled). So a chain that has committed nothing for [`STALL_ROUNDS`] rounds (4) is led
//! round-robin again until it commits.
//!
//! A byzantine next leader can withhold an honest leader's certificate and get it recorded (once per round the
//! byzantine member leads); the f + 1 floor and the stall fallback bound what that does. The record depends on
//! the committed rounds only, so a restarted replica rebuilds it by replaying its stored commits of the epoch
//! ([`Reputation::replay`]) and chooses the leaders the others do.

use super::committee::EpochSchedule;
use crate::types::invalid_config::{InvalidConfig, invalid};
use crate::types::{Epoch, Round, ValidatorId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Rounds without a commit after which the schedule is plain round-robin. A schedule chosen from the record could
/// keep the chain from committing (too few honest leaders in a row), and the record only changes on a commit;
/// round-robin over n ≥ 3f + 1 members always has three honest leaders in a row. It must come soon, since each of
/// those rounds ends in a view-change timeout and the timeouts back off: with n + 2 rounds (6 for four members) 3
/// of 2,000 ByzzFuzz runs committed too slowly, with 4 none of 2,000 and 4 of 4,000 (round-robin: 2 of the same
/// 4,000; with a formed TC relayed, 1 of 12,000 and round-robin none; with the view timer's back-off restarting
/// when the fallback begins, none of 12,000). Not fewer: replicas in step check a proposal of round r holding a commit of round r − 3, so a smaller
/// value would fall back in ordinary rounds.
pub const STALL_ROUNDS: u64 = 4;

/// How a round's leader is chosen (`[consensus] leader_election`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaderElection {
    /// `committee_e[round mod n]`, whatever happened before (the default: see `Reputation`).
    #[default]
    RoundRobin,
    /// Round-robin over the members whose latest round led in the recent window did not fail (see the module
    /// docs). Not the default: with one byzantine member of four a ByzzFuzz sweep commits ~14 % fewer heights on
    /// average under it than under round-robin (a byzantine collector can get honest leaders recorded), though ~20×
    /// more with a member crashed (docs/PROTOCOL-CHOICES.md "Leader reputation").
    Reputation,
}

/// Knobs of leader election, checked by [`ConsensusConfig::validate`](super::ConsensusConfig::validate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReputationParams {
    /// Which rule.
    pub election: LeaderElection,
    /// Rounds a failure counts against its leader.
    pub window: u64,
    /// Rounds between the end of the window and the round whose leader it decides.
    pub lag: u64,
}

impl ReputationParams {
    /// A window and a lag of at least one round.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        if self.window == 0 {
            return invalid("consensus.reputation_window_rounds", "must be ≥ 1");
        }
        if self.lag == 0 {
            return invalid("consensus.reputation_lag_rounds", "must be ≥ 1");
        }
        Ok(())
    }
}

/// One replica's record of the committed and failed rounds of its current epoch, and the leader schedule it
/// implies.
#[derive(Clone, Debug)]
pub struct Reputation {
    params: ReputationParams,
    epoch: Epoch,
    /// Round of the newest committed block of `epoch` (0 before the first).
    last_committed: Round,
    /// Rounds of `epoch` that can still fall in a window, each with the leader the rule chose for it and whether
    /// its block committed (`true`) or the round failed.
    record: BTreeMap<Round, (ValidatorId, bool)>,
    /// Rounds recorded as failed against each member since this record began (all epochs; a restarted node's
    /// count starts with the replayed epoch's), for reports.
    failures: BTreeMap<ValidatorId, u64>,
}

impl Reputation {
    /// An empty record at the start of epoch 0.
    pub fn new(params: ReputationParams) -> Self {
        Reputation { params, epoch: 0, last_committed: 0, record: BTreeMap::new(), failures: BTreeMap::new() }
    }

    /// The record after the committed blocks of `epoch` at `rounds` (ascending), as a replica that committed them
    /// one by one holds it.
    pub fn replay(params: ReputationParams, schedule: &EpochSchedule, epoch: Epoch, rounds: &[Round]) -> Self {
        let mut r = Reputation::new(params);
        for &round in rounds {
            r.on_commit(schedule, epoch, round);
        }
        r
    }

    /// Leader of `round` in `epoch`. Only the current epoch's record counts: an epoch starts round-robin; so does
    /// a chain that has committed nothing for [`STALL_ROUNDS`] rounds.
    pub fn leader(&self, schedule: &EpochSchedule, epoch: Epoch, round: Round) -> ValidatorId {
        match self.eligible(schedule, epoch, round) {
            Some(members) => members[(round % members.len() as u64) as usize],
            None => schedule.leader(epoch, round),
        }
    }

    /// Whether `round` is the first round of the stall fallback — led round-robin because nothing committed for
    /// [`STALL_ROUNDS`] rounds, while the record still left members out of the round before. The failures that led
    /// here came from the schedule (too few honest leaders in a row), not from a slow network, so the view timer's
    /// back-off starts again with the fallback (at most once per commit: liveness after GST keeps its growing timer).
    pub fn stall_fallback_begins(&self, schedule: &EpochSchedule, epoch: Epoch, round: Round) -> bool {
        round == self.last_committed.saturating_add(STALL_ROUNDS + 1)
            && self.eligible(schedule, epoch, round - 1).is_some()
    }

    /// The members round `round` is led round-robin over when the record leaves some out (`None`: the whole
    /// committee, [`EpochSchedule::leader`]).
    fn eligible(&self, schedule: &EpochSchedule, epoch: Epoch, round: Round) -> Option<Vec<ValidatorId>> {
        if self.params.election == LeaderElection::RoundRobin
            || epoch != self.epoch
            || round <= self.params.lag
            || round > self.last_committed.saturating_add(STALL_ROUNDS)
        {
            return None;
        }
        let end = round - self.params.lag;
        let start = end.saturating_sub(self.params.window);
        // Per member: whether the latest round it led in the window committed (ascending, so the last one wins).
        let mut latest: BTreeMap<ValidatorId, bool> = BTreeMap::new();
        for (_, &(leader, committed)) in self.record.range(start + 1..=end) {
            latest.insert(leader, committed);
        }
        let committee = schedule.committee(epoch);
        let eligible: Vec<ValidatorId> =
            committee.iter().copied().filter(|v| latest.get(v).is_none_or(|&committed| committed)).collect();
        (eligible.len() < committee.len() && eligible.len() >= schedule.weak_quorum(epoch)).then_some(eligible)
    }

    /// A block of `round` in `epoch` committed: it is recorded as committed by the leader this rule chose for its
    /// round, and if rounds since the previous committed block of the epoch failed, the last of them as failed by
    /// its leader (see the module docs). Both leaders are the ones replicas chose then, before this commit.
    pub fn on_commit(&mut self, schedule: &EpochSchedule, epoch: Epoch, round: Round) {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.last_committed = 0;
            self.record.clear();
        }
        if round <= self.last_committed {
            return;
        }
        let led = self.leader(schedule, epoch, round);
        if round - 1 > self.last_committed {
            let leader = self.leader(schedule, epoch, round - 1);
            self.record.insert(round - 1, (leader, false));
            *self.failures.entry(leader).or_default() += 1;
        }
        self.record.insert(round, (led, true));
        self.last_committed = round;
        let horizon = self.params.window.saturating_add(self.params.lag);
        self.record = self.record.split_off(&round.saturating_sub(horizon));
    }

    /// Rounds recorded as failed against each member (see the field).
    pub fn failures(&self) -> &BTreeMap<ValidatorId, u64> {
        &self.failures
    }

    /// Members the schedule of round `round` leaves out.
    pub fn excluded(&self, schedule: &EpochSchedule, epoch: Epoch, round: Round) -> Vec<ValidatorId> {
        let Some(eligible) = self.eligible(schedule, epoch, round) else { return Vec::new() };
        schedule.committee(epoch).iter().copied().filter(|v| !eligible.contains(v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(election: LeaderElection) -> ReputationParams {
        ReputationParams { election, window: 40, lag: 4 }
    }

    fn four() -> EpochSchedule {
        EpochSchedule::new(vec![vec![0, 1, 2, 3]], 0)
    }

    /// A record under `election` in which each `(round, leader)` of `failed` failed and the newest commit was
    /// at round `last_committed`.
    fn with_failures(election: LeaderElection, failed: &[(Round, ValidatorId)], last_committed: Round) -> Reputation {
        let mut r = Reputation::new(params(election));
        for &(round, leader) in failed {
            r.record.insert(round, (leader, false));
        }
        r.last_committed = last_committed;
        r
    }

    /// Commits every round from `from` to `to` whose leader is not in `down` (and whose next leader is not, the
    /// votes going there), as a cluster with those members crashed would.
    fn run(r: &mut Reputation, s: &EpochSchedule, from: Round, to: Round, down: &[ValidatorId]) {
        for round in from..=to {
            let live = |x: Round| !down.contains(&r.leader(s, 0, x));
            if live(round) && live(round + 1) {
                r.on_commit(s, 0, round);
            }
        }
    }

    #[test]
    fn without_failures_it_is_round_robin() {
        let s = four();
        let mut r = Reputation::new(params(LeaderElection::Reputation));
        run(&mut r, &s, 1, 100, &[]);
        for round in 1..200 {
            assert_eq!(r.leader(&s, 0, round), s.leader(0, round));
        }
    }

    #[test]
    fn a_crashed_member_is_left_out_after_the_lag_and_tried_again_after_the_window() {
        let s = four();
        let mut r = Reputation::new(params(LeaderElection::Reputation));
        run(&mut r, &s, 1, 20, &[]);
        run(&mut r, &s, 21, 40, &[3]);
        // The rounds of member 3 failed and so did the rounds before them; member 3 alone is left out.
        assert_eq!(r.excluded(&s, 0, 41), vec![3]);
        let failed = |r: &Reputation| {
            r.record
                .values()
                .filter(|(_, committed)| !committed)
                .map(|(v, _)| *v)
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(failed(&r), [3].into());
        for round in 41..=40 + STALL_ROUNDS {
            assert_ne!(r.leader(&s, 0, round), 3, "round {round}");
        }
        // While it is left out nothing fails, so its failure leaves the window and it is tried again; it is still
        // down, so it fails once more and is left out again.
        run(&mut r, &s, 41, 80, &[3]);
        let tried: Vec<Round> = (81..=130).filter(|&x| r.leader(&s, 0, x) == 3).collect();
        assert!(!tried.is_empty(), "member 3 never tried again");
        run(&mut r, &s, 81, 130, &[3]);
        assert_eq!(r.excluded(&s, 0, 131), vec![3]);
    }

    #[test]
    fn round_robin_ignores_failures() {
        let s = four();
        let mut r = Reputation::new(params(LeaderElection::RoundRobin));
        run(&mut r, &s, 1, 40, &[3]);
        for round in 41..60 {
            assert_eq!(r.leader(&s, 0, round), s.leader(0, round));
        }
    }

    #[test]
    fn never_fewer_than_f_plus_one_leaders() {
        let s = EpochSchedule::new(vec![(0..7).collect()], 0);
        // Six of seven members failed a round each and committed none: more than may be left out.
        let failed: Vec<(Round, ValidatorId)> = (0..6u16).map(|v| (10 + u64::from(v), v)).collect();
        let r = with_failures(LeaderElection::Reputation, &failed, 20);
        for x in 21..30 {
            assert!(r.excluded(&s, 0, x).len() <= 7 - s.weak_quorum(0), "round {x}: {:?}", r.excluded(&s, 0, x));
        }
    }

    #[test]
    fn a_member_whose_latest_round_committed_is_back_in() {
        let s = four();
        let mut r = with_failures(LeaderElection::Reputation, &[(10, 2)], 12);
        assert_eq!(r.excluded(&s, 0, 14), vec![2]);
        r.record.insert(13, (2, true));
        r.last_committed = 13;
        assert!(r.excluded(&s, 0, 17).is_empty());
    }

    /// Who is left out is the schedule of that very round: at the last round before the stall fallback, member 3
    /// (its latest led round failed) is out, even though round-robin would follow in the rounds after.
    #[test]
    fn the_members_left_out_are_those_of_that_round() {
        let s = four();
        let r = with_failures(LeaderElection::Reputation, &[(18, 3)], 20);
        assert_eq!(r.excluded(&s, 0, 20 + STALL_ROUNDS), vec![3]);
        assert!(r.excluded(&s, 0, 21 + STALL_ROUNDS).is_empty(), "round-robin");
    }

    /// The failure the long ByzzFuzz sweep found: members 1 and 3 failed during partitions and never committed
    /// since, so the schedule alternated 0 (byzantine, withholding certificates) and 2, and nothing could commit.
    /// After STALL_ROUNDS rounds without a commit the schedule is round-robin again.
    #[test]
    fn a_chain_that_stops_committing_is_led_round_robin_again() {
        let s = four();
        let r = with_failures(LeaderElection::Reputation, &[(5, 1), (6, 3)], 9);
        assert_eq!(r.excluded(&s, 0, 10), vec![1, 3], "the record's schedule up to round {}", 9 + STALL_ROUNDS);
        assert!(
            r.excluded(&s, 0, 10 + STALL_ROUNDS).is_empty(),
            "round-robin after {STALL_ROUNDS} rounds without a commit"
        );
    }

    /// The fallback's first round is named once — the round after the last one the record's schedule led — and
    /// only where the record left someone out (a stall under the full rotation is the network's, and keeps its
    /// backed-off timer); round-robin election never names one.
    #[test]
    fn the_stall_fallback_begins_once_and_only_after_a_reduced_schedule() {
        let s = four();
        let r = with_failures(LeaderElection::Reputation, &[(18, 3)], 20);
        let begins: Vec<Round> = (21..40).filter(|&x| r.stall_fallback_begins(&s, 0, x)).collect();
        assert_eq!(begins, vec![21 + STALL_ROUNDS]);
        let nobody_out = with_failures(LeaderElection::Reputation, &[], 20);
        assert!((21..40).all(|x| !nobody_out.stall_fallback_begins(&s, 0, x)));
        let round_robin = with_failures(LeaderElection::RoundRobin, &[(18, 3)], 20);
        assert!((21..40).all(|x| !round_robin.stall_fallback_begins(&s, 0, x)));
    }

    #[test]
    fn a_new_epoch_starts_round_robin() {
        let s = EpochSchedule::new(vec![vec![0, 1, 2, 3]], 100);
        let mut r = Reputation::new(params(LeaderElection::Reputation));
        run(&mut r, &s, 1, 40, &[3]);
        assert!(!r.excluded(&s, 0, 41).is_empty());
        assert!(r.excluded(&s, 1, 41).is_empty(), "the record is of epoch 0");
        // Epoch 1's record starts empty: its first commit is of round 2, so round 1 failed, against its leader (1)
        // only; member 3, left out in epoch 0, leads again (round 5: round-robin over 0, 2, 3).
        r.on_commit(&s, 1, 2);
        assert_eq!((r.leader(&s, 1, 5), r.leader(&s, 1, 6)), (3, 0), "epoch 1 starts a record of its own");
    }

    /// The schedule as the module docs define it, over the whole record: every recorded round since the epoch
    /// began, and the round of the last commit.
    fn reference_leader(
        s: &EpochSchedule,
        record: &BTreeMap<Round, (ValidatorId, bool)>,
        last: Round,
        p: ReputationParams,
        x: Round,
    ) -> ValidatorId {
        let c = s.committee(0);
        if x <= p.lag || x > last + STALL_ROUNDS {
            return c[(x % c.len() as u64) as usize];
        }
        let end = x - p.lag;
        let window: Vec<(ValidatorId, bool)> =
            record.range(end.saturating_sub(p.window) + 1..=end).map(|(_, &e)| e).collect();
        let out = |v: ValidatorId| window.iter().rev().find(|&&(l, _)| l == v).is_some_and(|&(_, ok)| !ok);
        let eligible: Vec<ValidatorId> = c.iter().copied().filter(|&v| !out(v)).collect();
        let members = if eligible.len() < s.weak_quorum(0) { c } else { &eligible[..] };
        members[(x % members.len() as u64) as usize]
    }

    proptest! {
        /// Pruning the record to the rounds a later window can reach changes no leader: the pruned record and
        /// the whole one choose the same leaders, whichever rounds failed.
        #[test]
        fn pruning_the_record_changes_no_leader(gaps in proptest::collection::vec(1u64..30, 1..80), size in 0u16..4) {
            let s = EpochSchedule::new(vec![(0..(4 + size * 3)).collect()], 0);
            let p = params(LeaderElection::Reputation);
            let mut pruned = Reputation::new(p);
            let mut whole = BTreeMap::new();
            let mut last = 0;
            for g in gaps {
                let round = last + g;
                let led = reference_leader(&s, &whole, last, p, round);
                if round - 1 > last {
                    let l = reference_leader(&s, &whole, last, p, round - 1);
                    whole.insert(round - 1, (l, false));
                }
                whole.insert(round, (led, true));
                pruned.on_commit(&s, 0, round);
                last = round;
                for x in round + 1..round + 60 {
                    prop_assert_eq!(pruned.leader(&s, 0, x), reference_leader(&s, &whole, last, p, x), "round {}", x);
                }
            }
        }
    }
}
