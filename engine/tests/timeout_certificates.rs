//! Timeout certificates on one node: a node that aggregates a TC enters the next round and broadcasts the TC once,
//! so a peer that missed some of the round's timeouts enters the round with it (found by the ByzzFuzz sweep, seeds
//! 2277 and 3141); a relayed TC moves a lagging node, and one that moves nothing is refused before any pairing.

mod common;

use common::*;
use hsbench_engine::bft::{HotStuff, Outputs, Refusal};
use hsbench_engine::protocol::Action;
use hsbench_engine::protocol::work::AggregateOutput;
use hsbench_engine::runtime::ChainSetup;
use hsbench_engine::types::{Message, SignerBitfield, TimeoutCertificate, TimeoutVote};
use std::time::Duration;

/// Node `id` of a fresh 4-validator committee, started: in round 1 with the genesis QC.
fn started(id: usize) -> HotStuff {
    let setup = ChainSetup::new(&config(4, 5).chain).expect("setup");
    let mut hs = HotStuff::new(setup.params[id].bft.clone(), None);
    hs.start(Duration::ZERO, &mut Outputs::default());
    hs
}

/// A round-1 timeout of `voter` carrying the genesis QC (signatures are not checked past `check_timeout`).
fn timeout(hs: &HotStuff, voter: u16) -> TimeoutVote {
    TimeoutVote {
        epoch: 0,
        round: 1,
        high_qc: hs.high_qc().clone(),
        voter,
        signature: vec![voter as u8; 64],
        last_tc: None,
    }
}

fn relayed(out: &Outputs) -> Vec<TimeoutCertificate> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Broadcast { message: Message::TimeoutCertificate(tc) } => Some(tc.clone()),
            _ => None,
        })
        .collect()
}

/// Node 0 joins round 1's view change on two timeouts, aggregates the TC of the three and gets it back: the TC it
/// entered round 2 through.
fn aggregate_a_tc(hs: &mut HotStuff) -> Outputs {
    let mut out = Outputs::default();
    let now = Duration::from_millis(10);
    hs.on_timeout(now, timeout(hs, 1), &mut out);
    hs.on_timeout(now, timeout(hs, 2), &mut out);
    let jobs: Vec<u64> = out
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Aggregate(job) => Some(job.id),
            _ => None,
        })
        .collect();
    assert_eq!(jobs.len(), 1, "three timeouts of four (its own joined) make one TC to aggregate");
    assert!(relayed(&out).is_empty(), "relayed a TC before it existed");
    hs.on_aggregated(now, AggregateOutput { id: jobs[0], aggregate: Ok(vec![7; 96]) }, &mut out);
    out
}

#[test]
fn a_node_that_aggregates_a_tc_enters_the_next_round_and_relays_the_tc_once() {
    let mut hs = started(0);
    let out = aggregate_a_tc(&mut hs);
    assert_eq!(hs.round(), 2);
    let tcs = relayed(&out);
    assert_eq!(tcs.len(), 1, "the TC it entered round 2 through is broadcast exactly once");
    assert_eq!((tcs[0].epoch, tcs[0].round), (0, 1));
}

#[test]
fn a_relayed_tc_moves_a_lagging_node_which_does_not_relay_it_again() {
    let mut leader = started(0);
    let tc = relayed(&aggregate_a_tc(&mut leader)).pop().expect("a relayed TC");
    let mut lagging = started(3);
    assert_eq!(lagging.round(), 1);
    let job = lagging.check_timeout_certificate(&tc).expect("a TC one round ahead is checked");
    assert_eq!(job.aggregates.len(), 1, "its aggregate signature is verified (the genesis high QC needs none)");
    let mut out = Outputs::default();
    lagging.on_timeout_certificate(Duration::from_millis(20), tc.clone(), &mut out);
    assert_eq!(lagging.round(), 2, "the relayed TC moved the lagging node into round 2");
    assert!(relayed(&out).is_empty(), "a node relays only the TCs it aggregated itself (no relay storm)");
    assert_eq!(lagging.check_timeout_certificate(&tc).err(), Some(Refusal::StaleRound), "a repeat moves nothing");
}

#[test]
fn a_relayed_tc_of_another_epoch_or_with_too_few_signers_is_refused_before_any_pairing() {
    let mut leader = started(0);
    let tc = relayed(&aggregate_a_tc(&mut leader)).pop().expect("a relayed TC");
    let hs = started(3);
    let future = TimeoutCertificate { epoch: 1, ..tc.clone() };
    assert_eq!(hs.check_timeout_certificate(&future).err(), Some(Refusal::FutureEpoch));
    let mut thin = SignerBitfield::new(tc.signers.len());
    for p in tc.signers.positions().skip(1) {
        thin.set(p);
    }
    let short = TimeoutCertificate { signers: thin, ..tc };
    assert_eq!(hs.check_timeout_certificate(&short).err(), Some(Refusal::BadCertificate));
}
