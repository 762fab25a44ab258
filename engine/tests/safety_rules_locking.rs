//! The voting rule's lock on one replica (docs/MUTANTS.md): after seeing QC(b1) a replica votes only for a block
//! whose justify ranks at least as high, even in a later round entered through a timeout certificate whose
//! high QC is lower (a TC carries the highest QC of its signers, not necessarily the replica's own lock).

mod common;

use common::*;
use hsbench_engine::bft::{HotStuff, Outputs};
use hsbench_engine::protocol::{Action, Timer};
use hsbench_engine::runtime::ChainSetup;
use hsbench_engine::types::{Message, Proposal, QuorumCertificate, SignerBitfield, TimeoutCertificate};
use std::time::Duration;

fn quorum_bits() -> SignerBitfield {
    let mut b = SignerBitfield::new(4);
    for p in [1, 2, 3] {
        b.set(p);
    }
    b
}

/// A QC over `p`'s block (its signatures count as verified: HotStuff sees only verified messages).
fn qc_of(p: &Proposal) -> QuorumCertificate {
    let h = &p.block.header;
    QuorumCertificate {
        epoch: 0,
        round: h.round,
        height: h.height,
        block_hash: p.block.hash(),
        parent_hash: h.parent_hash,
        signers: quorum_bits(),
        aggregate: vec![1; 96],
    }
}

/// `base`'s block re-headed: round, proposer (the round's leader, round mod 4), justify, optional TC.
fn reheaded(base: &Proposal, round: u64, justify: QuorumCertificate, tc: Option<TimeoutCertificate>) -> Proposal {
    let mut p = base.clone();
    let h = &mut p.block.header;
    h.round = round;
    h.proposer = (round % 4) as u16;
    h.parent_hash = justify.block_hash;
    h.height = justify.height + 1;
    h.parent_qc = justify;
    p.tc = tc;
    p
}

fn votes_in_round(out: &Outputs, round: u64) -> usize {
    out.actions
        .iter()
        .filter(|a| matches!(a, Action::Send { message: Message::Vote(v), .. } if v.round == round))
        .count()
}

/// Replica 0 votes for b1 (round 1) and b2 (round 2, justify QC(b1)), so its lock is QC(b1); then round 4 times
/// out (TC with high QC `tc_high`) and the round-5 leader proposes with justify `justify`. Returns replica 0's
/// votes in round 5.
fn round_five_votes(pick_justify: impl Fn(&QuorumCertificate, &QuorumCertificate) -> QuorumCertificate) -> usize {
    let setup = ChainSetup::new(&config(4, 5).chain).expect("setup");
    let b1 = round_one_proposal(&setup);
    let genesis_qc = b1.block.header.parent_qc.clone();
    let mut hs = HotStuff::new(setup.params[0].bft.clone(), None);
    let mut out = Outputs::default();
    let now = Duration::from_millis(30);
    hs.start(Duration::ZERO, &mut out);
    hs.on_proposal(now, b1.clone(), true, &mut out);
    assert_eq!(votes_in_round(&out, 1), 1, "votes for b1");
    let b2 = reheaded(&b1, 2, qc_of(&b1), None);
    hs.on_proposal(now, b2, true, &mut out);
    assert_eq!(votes_in_round(&out, 2), 1, "votes for b2");
    assert_eq!(hs.high_qc().round, 1, "locked on QC(b1)");
    let justify = pick_justify(&genesis_qc, &qc_of(&b1));
    let tc = TimeoutCertificate {
        epoch: 0,
        round: 4,
        high_qc: justify.clone(),
        signers: quorum_bits(),
        aggregate: vec![1; 96],
    };
    let b5 = reheaded(&b1, 5, justify, Some(tc));
    let mut out = Outputs::default();
    hs.on_proposal(now, b5, true, &mut out);
    assert_eq!(hs.round(), 5, "the TC moved the replica to round 5");
    votes_in_round(&out, 5)
}

#[test]
fn a_locked_replica_votes_for_a_block_justified_by_its_lock() {
    assert_eq!(round_five_votes(|_, lock| lock.clone()), 1);
}

#[test]
fn a_locked_replica_refuses_a_block_justified_below_its_lock() {
    // b5 extends genesis beside b1: voting for it could certify a fork of a block that may be committed.
    assert_eq!(round_five_votes(|genesis, _| genesis.clone()), 0, "voted below its lock");
}

/// Replica 0 times out in round 1 (or not), then the round-1 proposal arrives late; returns its round-1 votes.
fn votes_after(time_out_first: bool) -> (usize, usize) {
    let setup = ChainSetup::new(&config(4, 5).chain).expect("setup");
    let b1 = round_one_proposal(&setup);
    let mut hs = HotStuff::new(setup.params[0].bft.clone(), None);
    let mut out = Outputs::default();
    hs.start(Duration::ZERO, &mut out);
    if time_out_first {
        hs.on_timer(Duration::from_millis(300), Timer::ViewChange { epoch: 0, round: 1 }, &mut out);
    }
    let timeouts = out
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Broadcast { message: Message::Timeout(t) } if t.round == 1))
        .count();
    hs.on_proposal(Duration::from_millis(310), b1, true, &mut out);
    (timeouts, votes_in_round(&out, 1))
}

#[test]
fn a_replica_never_votes_in_a_round_it_timed_out_in() {
    assert_eq!(votes_after(false), (0, 1), "a replica that did not time out votes for the late proposal");
    // Its timeout may already count toward a TC whose high QC does not include this block.
    assert_eq!(votes_after(true), (1, 0), "voted in round 1 after timing out in it");
}
