//! Vote and timeout counting on one node (docs/MUTANTS.md): a signer counts once toward a certificate even when
//! two copies of its vote were verified concurrently, a second, different vote of a signer in a round is refused
//! as equivocation, and one timeout (f + 1 = 2 of 4 are needed) does not make a node join a view change.

mod common;

use common::*;
use hsbench_engine::bft::{HotStuff, Outputs, Refusal};
use hsbench_engine::protocol::Action;
use hsbench_engine::runtime::ChainSetup;
use hsbench_engine::types::{Hash, Message, QuorumCertificate, TimeoutVote, Vote};
use std::time::Duration;

/// Node `id` of a fresh 4-validator committee, not started.
fn node(id: usize) -> HotStuff {
    let setup = ChainSetup::new(&config(4, 5).chain).expect("setup");
    HotStuff::new(setup.params[id].bft.clone(), None)
}

/// Node 2 (leader of round 2, so the collector of round-1 votes) of a fresh 4-validator committee.
fn collector() -> HotStuff {
    node(2)
}

/// Node 0 of a fresh 4-validator committee, started: in round 1 with the genesis QC.
fn started_node() -> HotStuff {
    let mut hs = node(0);
    hs.start(Duration::ZERO, &mut Outputs::default());
    hs
}

/// A round-1 vote of `voter` for a block the collector does not know yet (so only the signed fields count).
fn vote(voter: u16, block: u8) -> Vote {
    Vote {
        epoch: 0,
        round: 1,
        height: 1,
        block_hash: Hash([block; 32]),
        parent_hash: Hash([0; 32]),
        voter,
        signature: vec![voter as u8; 64],
    }
}

fn aggregations(out: &Outputs) -> usize {
    out.actions.iter().filter(|a| matches!(a, Action::Aggregate(_))).count()
}

#[test]
fn two_verified_copies_of_one_vote_count_once() {
    let mut hs = collector();
    let mut out = Outputs::default();
    let now = Duration::from_millis(10);
    // Both copies passed check_vote before either was counted, so both reach on_vote.
    assert!(hs.check_vote(&vote(3, 7)).is_ok());
    hs.on_vote(now, vote(3, 7), &mut out);
    hs.on_vote(now, vote(3, 7), &mut out);
    assert_eq!(out.refused, vec![Refusal::Duplicate]);
    hs.on_vote(now, vote(1, 7), &mut out);
    assert_eq!(aggregations(&out), 0, "2 distinct signers of 4 built a certificate");
    hs.on_vote(now, vote(0, 7), &mut out);
    assert_eq!(aggregations(&out), 1, "3 distinct signers of 4 make a quorum");
}

#[test]
fn a_second_different_vote_in_a_round_is_refused_as_equivocation() {
    let mut hs = collector();
    let mut out = Outputs::default();
    let now = Duration::from_millis(10);
    assert!(hs.check_vote(&vote(3, 7)).is_ok());
    hs.on_vote(now, vote(3, 7), &mut out);
    assert_eq!(hs.check_vote(&vote(3, 7)).err(), Some(Refusal::Duplicate));
    assert_eq!(hs.check_vote(&vote(3, 8)).err(), Some(Refusal::Equivocation), "checked before verification");
    // And when both were in flight at once, the second one is refused after verification too.
    hs.on_vote(now, vote(3, 8), &mut out);
    assert_eq!(out.refused, vec![Refusal::Equivocation]);
    hs.on_vote(now, vote(0, 8), &mut out);
    hs.on_vote(now, vote(1, 8), &mut out);
    assert_eq!(aggregations(&out), 0, "the equivocating vote counted toward a certificate of block 8");
}

#[test]
fn one_timeout_does_not_make_a_node_join_the_view_change_but_f_plus_one_do() {
    let mut hs = started_node();
    assert_eq!(hs.round(), 1);
    let genesis_qc = hs.high_qc().clone();
    assert!(genesis_qc.is_epoch_start());
    let timeout = |voter: u16, high_qc: QuorumCertificate| TimeoutVote {
        epoch: 0,
        round: 1,
        high_qc,
        voter,
        signature: vec![voter as u8; 64],
        last_tc: None,
    };
    let sent = |out: &Outputs| {
        out.actions.iter().filter(|a| matches!(a, Action::Broadcast { message: Message::Timeout(_) })).count()
    };
    let mut out = Outputs::default();
    hs.on_timeout(Duration::from_millis(10), timeout(3, genesis_qc.clone()), &mut out);
    assert_eq!(sent(&out), 0, "joined a view change on a single (possibly byzantine) timeout");
    hs.on_timeout(Duration::from_millis(11), timeout(2, genesis_qc), &mut out);
    assert_eq!(sent(&out), 1, "f + 1 = 2 timeouts: at least one honest node timed out, join");
}

#[test]
fn votes_naming_one_block_but_signing_other_fields_do_not_add_up() {
    // The block is unknown to the collector yet (the votes overtook the proposal), so nothing refuses the odd
    // vote up front: it must still count only toward a certificate over the message it signed (d08f06d).
    let mut hs = collector();
    let mut out = Outputs::default();
    let now = Duration::from_millis(10);
    hs.on_vote(now, Vote { height: 2, ..vote(3, 7) }, &mut out);
    hs.on_vote(now, vote(0, 7), &mut out);
    hs.on_vote(now, vote(1, 7), &mut out);
    assert_eq!(aggregations(&out), 0, "a vote over another height counted toward the certificate of block 7");
    hs.on_vote(now, vote(2, 7), &mut out);
    assert_eq!(aggregations(&out), 1, "3 votes over the same message make a quorum");
}

/// Quorum first holds votes unchecked; a held vote must not count as its voter's vote until a certificate check
/// covered it, or a forgery in an honest voter's name would make its real vote look like equivocation.
#[test]
fn a_held_vote_in_a_voters_name_does_not_make_its_real_vote_equivocation() {
    let mut hs = collector();
    let mut out = Outputs::default();
    assert_eq!(hs.offer_vote(vote(3, 8), &mut out), Ok(None), "held unchecked");
    let real = vote(3, 7);
    assert!(hs.check_vote(&real).is_ok(), "the held vote is no evidence against validator 3");
    assert_eq!(hs.offer_vote(real.clone(), &mut out), Ok(Some(real.clone())), "a second vote of 3 is checked alone");
    hs.on_vote(Duration::from_millis(10), real, &mut out);
    assert!(out.refused.is_empty(), "{:?}", out.refused);
    assert_eq!(hs.offer_vote(vote(3, 8), &mut out), Err(Refusal::Duplicate), "a copy of the held vote");
}

/// A TC naming the last round number (unverified network input) is refused, not overflowed (`tc.round + 1`
/// panicked in a debug build).
#[test]
fn a_timeout_whose_tc_names_the_last_round_number_is_a_bad_certificate() {
    use hsbench_engine::types::{SignerBitfield, TimeoutCertificate};
    let hs = started_node();
    let genesis_qc = hs.high_qc().clone();
    let tc = TimeoutCertificate {
        epoch: 0,
        round: u64::MAX,
        high_qc: genesis_qc.clone(),
        signers: SignerBitfield::new(4),
        aggregate: vec![0; 96],
    };
    let t =
        TimeoutVote { epoch: 0, round: 1, high_qc: genesis_qc, voter: 3, signature: vec![3; 64], last_tc: Some(tc) };
    assert_eq!(hs.check_timeout(&t).err(), Some(Refusal::BadCertificate));
}

/// A timeout for a round far beyond both the node's round and the round its own certificates lead to is refused
/// before its signature is checked (`future_round`): a member can sign one per round number, so kept they would
/// pile up without limit. An honest timeout is never that far ahead of its certificates — its sender entered its
/// round through the high QC or TC it carries — so one far beyond the node's round that carries them is checked:
/// it is how a lagging node catches up.
#[test]
fn a_timeout_far_beyond_its_certificates_is_refused_before_its_check() {
    use hsbench_engine::bft::FUTURE_VOTE_ROUNDS;
    use hsbench_engine::types::{SignerBitfield, TimeoutCertificate};
    let hs = started_node();
    assert_eq!(hs.round(), 1);
    let genesis_qc = hs.high_qc().clone();
    let timeout = |round: u64, last_tc: Option<TimeoutCertificate>| TimeoutVote {
        epoch: 0,
        round,
        high_qc: genesis_qc.clone(),
        voter: 3,
        signature: vec![3; 64],
        last_tc,
    };
    for round in [2 + FUTURE_VOTE_ROUNDS, 1_000_000, u64::MAX] {
        assert_eq!(hs.check_timeout(&timeout(round, None)).err(), Some(Refusal::FutureRound), "round {round}");
    }
    assert!(hs.check_timeout(&timeout(1 + FUTURE_VOTE_ROUNDS, None)).is_ok(), "inside the window");
    let mut signers = SignerBitfield::new(4);
    for i in 0..3 {
        signers.set(i);
    }
    let tc =
        TimeoutCertificate { epoch: 0, round: 999_999, high_qc: genesis_qc.clone(), signers, aggregate: vec![0; 96] };
    assert!(hs.check_timeout(&timeout(1_000_000, Some(tc))).is_ok(), "its TC leads to its round: checked");
}
