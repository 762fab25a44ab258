//! Liveness after a leader crash and after a partition heals; byzantine validators; crash-restart recovery.

mod common;

use common::*;
use hsbench_engine::crypto::VoteScheme;
use hsbench_engine::runtime::StorageMode;
use hsbench_engine::sim::{Byzantine, Cluster};
use std::time::Duration;

fn heights(c: &Cluster) -> Vec<u64> {
    (0..c.len()).map(|i| c.node(i).bft().committed_height()).collect()
}

#[test]
fn liveness_after_the_leader_crashes() {
    let mut c = Cluster::new(config(4, 11)).expect("cluster");
    c.run_for(Duration::from_secs(1));
    let leader = c.node(0).bft().committee()[(c.node(0).bft().round() % 4) as usize] as usize;
    c.crash(leader);
    let before = c.min_committed_height();
    c.run_for(Duration::from_secs(6));
    let after: Vec<u64> = (0..4).filter(|&i| i != leader).map(|i| c.node(i).bft().committed_height()).collect();
    assert!(after.iter().all(|&h| h >= before + 5), "crashed {leader}: before {before}, after {after:?}");
    c.check_consistency().expect("consistent");
}

#[test]
fn liveness_after_a_partition_heals() {
    let mut c = Cluster::new(config(4, 12)).expect("cluster");
    c.run_for(Duration::from_secs(1));
    c.partition(&[vec![0, 1], vec![2, 3]]);
    c.run_for(Duration::from_secs(3));
    let stuck = heights(&c);
    c.run_for(Duration::from_secs(1));
    assert!(heights(&c).iter().zip(&stuck).all(|(a, b)| a <= &(b + 1)), "no quorum on either side");
    c.heal();
    c.run_for(Duration::from_secs(10));
    let healed = heights(&c);
    assert!(healed.iter().zip(&stuck).all(|(h, s)| *h >= s + 5), "stuck {stuck:?} healed {healed:?}");
    c.check_consistency().expect("consistent");
}

fn byzantine_run(behaviour: Byzantine, scheme: VoteScheme, validators: usize) -> Cluster {
    let mut cfg = config(validators, 21);
    cfg.chain.vote_scheme = scheme;
    if behaviour == Byzantine::NonMemberVoter {
        cfg.chain.consensus.committees = vec![vec![0, 1, 2, 3]];
    }
    let mut c = Cluster::new(cfg).expect("cluster");
    let bad = if behaviour == Byzantine::NonMemberVoter { 4 } else { 3 };
    c.set_byzantine(bad, behaviour);
    submit_batch(&mut c, 4, 0, 2);
    c.run_for(Duration::from_secs(4));
    c.check_consistency().unwrap_or_else(|e| panic!("{behaviour:?}: {e}"));
    assert!(c.min_committed_height() >= 5, "{behaviour:?}: heights {:?}", heights(&c));
    let checked = c.verify_commit_qcs().unwrap_or_else(|e| panic!("{behaviour:?}: {e}"));
    assert!(checked > 0);
    c
}

#[test]
fn votes_with_bad_signatures_never_count_toward_a_qc() {
    for scheme in [VoteScheme::Ed25519, VoteScheme::Bls] {
        let c = byzantine_run(Byzantine::BadVoteSignature, scheme, 4);
        // Node 3 signs its own votes correctly when it collects them itself (round r's QC is collected by the
        // leader of r + 1); every QC collected by an honest node must leave it out.
        let collected_by_honest = |qc: &&hsbench_engine::types::QuorumCertificate| (qc.round + 1) % 4 != 3;
        let honest: Vec<_> = c.commit_qcs().iter().filter(collected_by_honest).collect();
        assert!(!honest.is_empty());
        assert!(honest.iter().all(|qc| !qc.signers.get(3)), "a QC counted the byzantine voter");
        let refused = c.node(0).refusals().get("bad_signature").copied().unwrap_or(0)
            + c.node(1).refusals().get("bad_signature").copied().unwrap_or(0)
            + c.node(2).refusals().get("bad_signature").copied().unwrap_or(0);
        assert!(refused > 0, "bad votes were not counted as refused");
    }
}

#[test]
fn votes_by_a_non_member_are_refused() {
    let c = byzantine_run(Byzantine::NonMemberVoter, VoteScheme::Ed25519, 5);
    let refused: u64 = (0..4).map(|i| c.node(i).refusals().get("non_member").copied().unwrap_or(0)).sum();
    assert!(refused > 0);
}

#[test]
fn duplicate_votes_are_counted_once() {
    let c = byzantine_run(Byzantine::DuplicateVotes, VoteScheme::Ed25519, 4);
    let refused: u64 = (0..4).map(|i| c.node(i).refusals().get("duplicate").copied().unwrap_or(0)).sum();
    assert!(refused > 0);
    assert!(c.commit_qcs().iter().all(|qc| qc.signers.count() <= 4));
}

#[test]
fn an_equivocating_leader_cannot_break_safety() {
    let _ = byzantine_run(Byzantine::EquivocatingLeader, VoteScheme::Ed25519, 4);
}

#[test]
fn crash_restart_with_durable_storage_recovers_and_keeps_committing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(4, 31);
    cfg.chain.storage = StorageMode::Redb { dir: dir.path().to_path_buf() };
    let mut c = Cluster::new(cfg).expect("cluster");
    submit_batch(&mut c, 6, 0, 3);
    c.run_for(Duration::from_secs(2));
    let victim = 2;
    let (height_at_crash, root_at_crash) = c.node(victim).executed();
    assert!(height_at_crash > 3);
    c.crash(victim);
    submit_batch(&mut c, 6, 3, 3);
    c.run_for(Duration::from_secs(2));
    c.restart(victim).expect("restart");
    // The restarted node recovered exactly its committed height and state root from disk.
    assert_eq!(c.node(victim).executed(), (height_at_crash, root_at_crash));
    c.run_for(Duration::from_secs(4));
    let h = c.node(victim).bft().committed_height();
    assert!(h > height_at_crash + 5, "restarted node stuck at {h} (crash at {height_at_crash})");
    c.check_consistency().expect("consistent");
    let roots: Vec<_> = (0..4).map(|i| c.node(i).executed()).collect();
    let min = roots.iter().map(|r| r.0).min().unwrap_or(0);
    assert!(min > height_at_crash);
}

#[test]
fn epoch_change_with_a_committee_change_keeps_committing() {
    let mut cfg = config(5, 41);
    cfg.chain.vote_scheme = VoteScheme::Bls;
    cfg.chain.consensus.epoch_length = 6;
    cfg.chain.consensus.committees = vec![vec![0, 1, 2, 3], vec![1, 2, 3, 4], vec![0, 2, 3, 4]];
    let mut c = Cluster::new(cfg).expect("cluster");
    submit_batch(&mut c, 6, 0, 4);
    c.run_for(Duration::from_secs(8));
    c.check_consistency().expect("consistent");
    let epochs: Vec<u64> = (0..5).map(|i| c.node(i).bft().epoch()).collect();
    assert!(epochs.iter().all(|&e| e >= 2), "epochs {epochs:?}, heights {:?}", heights(&c));
    assert!(c.min_committed_height() >= 14, "heights {:?}", heights(&c));
    c.verify_commit_qcs().expect("QCs verify against their epoch's committee");
}

/// The fault starts at 16 different moments, so it hits action lists of every shape (a vote, a timeout, a
/// proposal's own vote kept by the next leader…).
#[test]
fn no_message_leaves_a_node_once_saving_its_safety_state_failed() {
    let node = 1;
    let consensus_sent = |c: &Cluster| ["vote", "timeout"].iter().map(|k| c.sent(node, k)).sum::<u64>();
    for offset in 0..16u64 {
        let mut c = Cluster::new(config(4, 61)).expect("cluster");
        c.run_for(Duration::from_millis(1000 + 7 * offset));
        assert!(c.sent(node, "vote") > 0, "node {node} voted before the fault");
        let before = consensus_sent(&c);
        let others_before = c.node(0).bft().committed_height();
        c.fail_safety_saves(node, true);
        c.run_for(Duration::from_secs(4));
        let after = consensus_sent(&c);
        assert_eq!(
            after, before,
            "fault at +{offset}: a vote or timeout left after the safety state failed to persist"
        );
        assert!(c.node(node).report().halted.is_some(), "the node must halt and say why");
        // The other three (a quorum) keep committing.
        let others_after = c.node(0).bft().committed_height();
        assert!(others_after > others_before + 5, "fault at +{offset}: node 0 went {others_before} → {others_after}");
        c.check_consistency().expect("consistent");
    }
}

/// PROTOCOL.md, crash recovery: a replica that entered epoch e + 1 and voted there, then crashed before its
/// storage wrote the boundary block of epoch e, restarts below the boundary with safety state of epoch e + 1.
/// It must neither stop (a save refused as a regression) nor vote again in a round of e + 1 it voted in.
#[test]
fn a_replica_that_crashed_after_voting_in_a_new_epoch_before_storing_the_boundary_rejoins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(4, 71);
    cfg.chain.storage = StorageMode::Redb { dir: dir.path().to_path_buf() };
    cfg.chain.consensus.epoch_length = 8;
    let mut c = Cluster::new(cfg).expect("cluster");
    submit_batch(&mut c, 4, 0, 3);
    let victim = 3;
    let step = Duration::from_millis(5);
    for _ in 0..2000 {
        if c.node(victim).bft().committed_height() >= 6 {
            break;
        }
        c.run_for(step);
    }
    c.lag_commits(victim, true); // the storage stage falls behind from here on
    for _ in 0..2000 {
        let bft = c.node(victim).bft();
        if bft.epoch() >= 1 && bft.round() >= 4 && c.sent(victim, "vote") > 0 {
            break;
        }
        c.run_for(step);
    }
    assert_eq!(c.node(victim).bft().epoch(), 1, "the victim reached epoch 1");
    c.crash(victim); // the held commits (the boundary among them) are lost
    c.lag_commits(victim, false);
    c.restart(victim).expect("restart");
    assert!(c.node(victim).executed().0 < 8, "the victim restarted below the boundary");
    c.run_for(Duration::from_secs(4));
    let report = c.node(victim).report();
    assert_eq!(report.halted, None, "the restarted victim stopped");
    assert!(report.committed_height > 12, "the victim did not catch up: {report:?}");
    assert_eq!(c.double_votes(), &[] as &[String]);
    c.check_consistency().expect("consistent");
}

/// Blocks all live nodes committed in `secs` virtual seconds after `crash` (if any) went down at the first second,
/// and node 0's report at the end.
fn blocks_after_a_crash(seed: u64, crash: Option<usize>, secs: u64) -> (u64, hsbench_engine::node::NodeReport) {
    let mut cfg = config(4, seed);
    cfg.chain.consensus.leader_election = hsbench_engine::bft::LeaderElection::Reputation;
    let mut c = Cluster::new(cfg).expect("cluster");
    c.run_for(Duration::from_secs(1));
    if let Some(v) = crash {
        c.crash(v);
    }
    let before = c.min_committed_height();
    c.run_for(Duration::from_secs(secs));
    c.check_consistency().expect("consistent");
    let live: Vec<u64> = (0..4).filter(|&i| Some(i) != crash).map(|i| c.node(i).bft().committed_height()).collect();
    (live.iter().min().copied().unwrap_or(0) - before, c.node(0).report())
}

/// With leader reputation, a validator that is down for good stops being chosen as leader: with one of four
/// crashed, the cluster commits most of the blocks it commits healthy. Under plain round-robin (before leader reputation) every crashed
/// member's round timed out, and so did the round before it (its votes went to the crashed next leader), while a
/// commit needs two consecutive certified rounds: the same run committed under a tenth of the healthy blocks.
#[test]
fn a_crashed_validator_stops_being_chosen_as_leader() {
    let (healthy, report) = blocks_after_a_crash(13, None, 12);
    assert!(report.leaders_left_out.is_empty() && report.failed_leader_rounds.is_empty(), "{report:?}");
    let (crashed, report) = blocks_after_a_crash(13, Some(3), 12);
    assert!(
        crashed * 10 >= healthy * 6,
        "with one of four crashed the cluster committed {crashed} blocks in 12 s, healthy {healthy}"
    );
    // The report names who is left out and what was recorded against whom.
    assert_eq!(report.leaders_left_out, vec![3], "{report:?}");
    assert!(report.failed_leader_rounds.get(&3).is_some_and(|&k| k >= 1), "{:?}", report.failed_leader_rounds);
}

/// A restarted validator chooses the leaders it chose before it stopped: leader reputation is rebuilt from the
/// rounds of the committed blocks in its storage, so it does not fall back to round-robin and disagree with the
/// others about who leads (it would refuse their proposals and send its votes to the wrong member).
#[test]
fn a_restarted_validator_keeps_the_leader_schedule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(4, 14);
    cfg.chain.storage = StorageMode::Redb { dir: dir.path().to_path_buf() };
    cfg.chain.consensus.leader_election = hsbench_engine::bft::LeaderElection::Reputation;
    let mut c = Cluster::new(cfg).expect("cluster");
    c.run_for(Duration::from_secs(1));
    c.crash(3);
    c.run_for(Duration::from_secs(4));
    let bft = c.node(0).bft();
    let (epoch, round) = (bft.epoch(), bft.round());
    // The next 4 rounds: past STALL_ROUNDS (4) rounds without a commit the schedule is round-robin anyway.
    let schedule = |c: &Cluster| (round..round + 4).map(|r| c.node(0).bft().leader(epoch, r)).collect::<Vec<_>>();
    let before = schedule(&c);
    assert!(!before.contains(&3), "the crashed member still leads: {before:?}");
    c.crash(0);
    c.restart(0).expect("restart");
    assert_eq!(schedule(&c), before, "node 0's leaders after its restart");
}
