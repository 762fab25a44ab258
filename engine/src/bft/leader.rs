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
//! The leader of round r is then `eligible[r mod |eligible|]`, where `eligible` is the committee in position
//! order minus the members recorded in the window `(r − lag − window, r − lag]`; when fewer than f + 1 would
//! remain, the whole committee. The lag keeps the schedule of a round to what replicas have committed by the time
//! they need it (a block of round r − 2 commits when the proposal of round r arrives); a replica that has not
//! committed that far uses what it has, and may disagree for a few rounds — which costs liveness only, since
//! safety never depends on who leads. A failure leaves the window after `window` rounds, so a member that was
//! down is tried again then; if it is still down, it fails once more and is left out again.
//!
//! A byzantine next leader can withhold an honest leader's certificate and get it recorded (once per round the
//! byzantine member leads): at most f honest members are left out that way at a time, and never below f + 1
//! leaders. The record depends on the committed rounds only, so a restarted replica rebuilds it by replaying its
//! stored commits of the epoch ([`Reputation::replay`]) and chooses the leaders the others do.

use super::committee::EpochSchedule;
use crate::types::invalid_config::{InvalidConfig, invalid};
use crate::types::{Epoch, Round, ValidatorId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a round's leader is chosen (`[consensus] leader_election`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaderElection {
    /// `committee_e[round mod n]`, whatever happened before.
    RoundRobin,
    /// Round-robin over the members that failed no round in the recent window (see the module docs).
    #[default]
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

/// One replica's record of the failed rounds of its current epoch, and the leader schedule it implies.
#[derive(Clone, Debug)]
pub struct Reputation {
    params: ReputationParams,
    epoch: Epoch,
    /// Round of the newest committed block of `epoch` (0 before the first).
    last_committed: Round,
    /// Failed rounds of `epoch` that can still fall in a window, with the leader each was recorded against.
    failed: BTreeMap<Round, ValidatorId>,
    /// Rounds recorded as failed against each member since this record began (all epochs; a restarted node's
    /// count starts with the replayed epoch's), for reports.
    failures: BTreeMap<ValidatorId, u64>,
}

impl Reputation {
    /// An empty record at the start of epoch 0.
    pub fn new(params: ReputationParams) -> Self {
        Reputation { params, epoch: 0, last_committed: 0, failed: BTreeMap::new(), failures: BTreeMap::new() }
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

    /// Leader of `round` in `epoch`. Only the current epoch's record counts: an epoch starts round-robin.
    pub fn leader(&self, schedule: &EpochSchedule, epoch: Epoch, round: Round) -> ValidatorId {
        let committee = schedule.committee(epoch);
        if committee.is_empty() {
            return 0;
        }
        let pick = |members: &[ValidatorId]| members[(round % members.len() as u64) as usize];
        if self.params.election == LeaderElection::RoundRobin || epoch != self.epoch || round <= self.params.lag {
            return pick(committee);
        }
        let end = round - self.params.lag;
        let start = end.saturating_sub(self.params.window);
        let mut excluded: Vec<ValidatorId> = self.failed.range(start + 1..=end).map(|(_, &v)| v).collect();
        if excluded.is_empty() {
            return pick(committee);
        }
        excluded.sort_unstable();
        let eligible: Vec<ValidatorId> =
            committee.iter().copied().filter(|v| excluded.binary_search(v).is_err()).collect();
        if eligible.len() < schedule.weak_quorum(epoch) { pick(committee) } else { pick(&eligible) }
    }

    /// A block of `round` in `epoch` committed: if rounds since the previous committed block of the epoch failed,
    /// the last of them is recorded against the leader this rule chose for it (see the module docs).
    pub fn on_commit(&mut self, schedule: &EpochSchedule, epoch: Epoch, round: Round) {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.last_committed = 0;
            self.failed.clear();
        }
        if round <= self.last_committed {
            return;
        }
        if round - 1 > self.last_committed {
            let leader = self.leader(schedule, epoch, round - 1);
            self.failed.insert(round - 1, leader);
            *self.failures.entry(leader).or_default() += 1;
        }
        self.last_committed = round;
        let horizon = self.params.window.saturating_add(self.params.lag);
        self.failed = self.failed.split_off(&round.saturating_sub(horizon));
    }

    /// Rounds recorded as failed against each member (see the field).
    pub fn failures(&self) -> &BTreeMap<ValidatorId, u64> {
        &self.failures
    }

    /// Members that lead none of the n rounds from `round` on (n the committee size): those the schedule leaves
    /// out there.
    pub fn excluded(&self, schedule: &EpochSchedule, epoch: Epoch, round: Round) -> Vec<ValidatorId> {
        let leaders: std::collections::BTreeSet<ValidatorId> =
            (0..schedule.committee(epoch).len() as u64).map(|k| self.leader(schedule, epoch, round + k)).collect();
        schedule.committee(epoch).iter().copied().filter(|v| !leaders.contains(v)).collect()
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
        let failed = |r: &Reputation| r.failed.values().copied().collect::<std::collections::BTreeSet<_>>();
        assert_eq!(failed(&r), [3].into());
        for round in 41..60 {
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
        let mut r = Reputation::new(params(LeaderElection::Reputation));
        // Every other round fails, against whoever led it: more members are blamed than may be left out.
        for c in (2..=60).step_by(2) {
            r.on_commit(&s, 0, c);
        }
        assert!(r.failed.values().collect::<std::collections::BTreeSet<_>>().len() > 4);
        for x in 61..120 {
            assert!(r.excluded(&s, 0, x).len() <= 7 - s.weak_quorum(0), "round {x}: {:?}", r.excluded(&s, 0, x));
        }
    }

    #[test]
    fn a_new_epoch_starts_round_robin() {
        let s = EpochSchedule::new(vec![vec![0, 1, 2, 3]], 100);
        let mut r = Reputation::new(params(LeaderElection::Reputation));
        run(&mut r, &s, 1, 40, &[3]);
        assert!(!r.excluded(&s, 0, 41).is_empty());
        assert!(r.excluded(&s, 1, 41).is_empty());
        r.on_commit(&s, 1, 2);
        assert!(r.excluded(&s, 1, 41).len() <= 1);
    }

    /// The schedule as the module docs define it, over the whole record: every recorded round since the epoch began.
    fn reference_leader(
        s: &EpochSchedule,
        failed: &BTreeMap<Round, ValidatorId>,
        p: ReputationParams,
        x: Round,
    ) -> ValidatorId {
        let c = s.committee(0);
        if x <= p.lag {
            return c[(x % c.len() as u64) as usize];
        }
        let end = x - p.lag;
        let out: Vec<ValidatorId> = failed.range(end.saturating_sub(p.window) + 1..=end).map(|(_, &v)| v).collect();
        let eligible: Vec<ValidatorId> = c.iter().copied().filter(|v| !out.contains(v)).collect();
        let members = if eligible.len() < s.weak_quorum(0) { c } else { &eligible[..] };
        members[(x % members.len() as u64) as usize]
    }

    proptest! {
        /// Pruning the record to the rounds a later window can reach changes no leader: the pruned record and
        /// the whole one choose the same leaders, whichever rounds failed.
        #[test]
        fn pruning_the_record_changes_no_leader(gaps in proptest::collection::vec(1u64..12, 1..80), size in 0u16..4) {
            let s = EpochSchedule::new(vec![(0..(4 + size * 3)).collect()], 0);
            let p = params(LeaderElection::Reputation);
            let mut pruned = Reputation::new(p);
            let mut whole = BTreeMap::new();
            let mut last = 0;
            for g in gaps {
                let round = last + g;
                if round - 1 > last {
                    let l = reference_leader(&s, &whole, p, round - 1);
                    whole.insert(round - 1, l);
                }
                pruned.on_commit(&s, 0, round);
                last = round;
                for x in round + 1..round + 60 {
                    prop_assert_eq!(pruned.leader(&s, 0, x), reference_leader(&s, &whole, p, x), "round {}", x);
                }
            }
        }
    }
}
