//! A peer that sends what no honest validator sends is convicted — counted by reason in the node's report — and
//! barred (`Action::SanctionPeer`); refusals an honest peer can cause convict nobody, and throttle a peer only when
//! more of them come in a second than an honest peer sends.

mod common;

use common::*;
use hsbench_engine::node::{NodeStateMachine, PEER_BAR, PEER_THROTTLE, WASTE_LIMIT};
use hsbench_engine::protocol::work::{AggregateOutput, VerifyVerdicts};
use hsbench_engine::protocol::{Action, Callback, Event, Sanction, Timer, TxSource};
use hsbench_engine::runtime::ChainSetup;
use hsbench_engine::types::{Message, ValidatorId};
use std::collections::VecDeque;
use std::time::Duration;

fn barred(actions: &[Action]) -> Vec<(ValidatorId, &'static str)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SanctionPeer(b) if b.kind == Sanction::Bar => {
                assert!(b.span >= PEER_BAR, "{:?}", b.span);
                Some((b.peer, b.reason))
            }
            _ => None,
        })
        .collect()
}

/// Validator 2 (leader of round 2) and the round-1 proposal of validator 1, as every test here starts.
fn node_and_proposal() -> (ChainSetup, NodeStateMachine, Message) {
    let setup = ChainSetup::new(&config(4, 5).chain).expect("setup");
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let _ = leader.start(Duration::ZERO);
    let proposal = leader
        .handle(Duration::from_millis(20), Event::Timer(Timer::Propose { epoch: 0, round: 1 }))
        .into_iter()
        .find_map(|a| match a {
            Action::Broadcast { message: m @ Message::Proposal(_) } => Some(m),
            _ => None,
        })
        .expect("the leader proposes");
    let mut node = NodeStateMachine::new(2, setup.params[2].clone(), None);
    let _ = node.start(Duration::ZERO);
    (setup, node, proposal)
}

/// The vote validator `voter` casts for `proposal` (sent to validator 2, the next leader).
fn vote_of(setup: &ChainSetup, voter: usize, proposal: &Message) -> Message {
    let mut node = NodeStateMachine::new(voter, setup.params[voter].clone(), None);
    let _ = node.start(Duration::ZERO);
    deliver_answered(&mut node, Duration::from_millis(30), 1, proposal.clone(), true)
        .into_iter()
        .find_map(|a| match a {
            Action::Send { to: 2, message: m @ Message::Vote(_) } => Some(m),
            _ => None,
        })
        .expect("it votes")
}

/// A proposal whose signatures fail convicts its proposer; a vote relayed over another validator's connection
/// convicts the relayer, not the voter; the report counts each by peer and reason.
#[test]
fn a_bad_proposal_and_a_relayed_vote_convict_the_peers_that_sent_them() {
    let (setup, mut node, proposal) = node_and_proposal();
    let actions = deliver_answered(&mut node, Duration::from_millis(30), 1, proposal.clone(), false);
    assert_eq!(barred(&actions), vec![(1, "bad_signature")], "{actions:#?}");

    let vote = vote_of(&setup, 0, &proposal);
    let actions = deliver_answered(&mut node, Duration::from_millis(40), 3, vote, true);
    assert_eq!(barred(&actions), vec![(3, "not_signer")], "{actions:#?}");

    let report = node.report();
    assert_eq!(report.peer_faults.len(), 2, "{:?}", report.peer_faults);
    assert_eq!(report.peer_faults[&1]["bad_signature"], 1);
    assert_eq!(report.peer_faults[&3]["not_signer"], 1);
    assert!(!report.peer_faults.contains_key(&0), "the voter named in the relayed vote is not convicted");
    assert_eq!(report.refused_messages["not_signer"], 1);
}

/// Votes held for a certificate whose check fails are checked one by one; only the voter whose own vote fails is
/// convicted, the others' votes count.
#[test]
fn a_bad_vote_in_a_failed_certificate_convicts_its_voter_only() {
    let (setup, mut node, proposal) = node_and_proposal();
    let _ = deliver_answered(&mut node, Duration::from_millis(30), 1, proposal.clone(), true);
    let good = vote_of(&setup, 3, &proposal);
    let Message::Vote(mut bad) = vote_of(&setup, 0, &proposal) else { unreachable!() };
    bad.signature[5] ^= 1;
    let _ = deliver_answered(&mut node, Duration::from_millis(40), 3, good, true);
    // The certificate of votes 2 (its own), 3 and the bad 0 fails; each held vote is then checked alone, and only
    // validator 0's fails.
    let mut pending =
        VecDeque::from(node.handle(Duration::from_millis(41), Event::Network { from: 0, message: Message::Vote(bad) }));
    let mut actions = Vec::new();
    while let Some(a) = pending.pop_front() {
        let answer = match &a {
            Action::Aggregate(job) => {
                Callback::Aggregated(AggregateOutput { id: job.id, aggregate: Err("one vote is bad".into()) })
            }
            Action::Verify(job) => {
                let bad_vote = job.votes.iter().any(|v| v.signer == 0);
                Callback::Verified(VerifyVerdicts {
                    id: job.id,
                    ed25519: vec![true; job.ed25519.len()],
                    votes: vec![!bad_vote; job.votes.len()],
                    aggregates: vec![true; job.aggregates.len()],
                })
            }
            _ => {
                actions.push(a);
                continue;
            }
        };
        pending.extend(node.handle(Duration::from_millis(42), Event::Callback(answer)));
    }
    assert_eq!(barred(&actions), vec![(0, "bad_signature")], "{actions:#?}");
    let report = node.report();
    assert_eq!(report.peer_faults.keys().copied().collect::<Vec<_>>(), vec![0], "{:?}", report.peer_faults);
}

/// A peer's gossiped transactions with bad signatures convict it (it gossips only what it verified); the bar is
/// asked for once per half bar however many arrive; a client's bad signature convicts nobody.
#[test]
fn gossip_with_bad_signatures_convicts_the_peer_once_per_half_bar() {
    let (_, mut node, _) = node_and_proposal();
    let txs: Vec<_> = (0..4).map(|i| transfer(i, 0, 16)).collect();
    let verified = |source, verdicts: Vec<bool>| Event::VerifiedTxs { txs: txs.clone(), verdicts, source };
    let ms = Duration::from_millis;
    let mut actions = node.handle(ms(10), verified(TxSource::Client, vec![false; 4]));
    actions.extend(node.handle(ms(20), verified(TxSource::Peer(3), vec![true, false, true, false])));
    actions.extend(node.handle(ms(30), verified(TxSource::Peer(3), vec![false; 4])));
    assert_eq!(barred(&actions), vec![(3, "bad_signature")]);
    let later = node.handle(ms(20) + PEER_BAR / 2, verified(TxSource::Peer(3), vec![false; 4]));
    assert_eq!(barred(&later), vec![(3, "bad_signature")], "asked again after half a bar");
    assert_eq!(node.report().peer_faults[&3]["bad_signature"], 10);
}

/// What an honest peer can cause — a vote for a round whose certificate the node holds, a repeat — convicts
/// nobody.
#[test]
fn stale_and_repeated_votes_convict_nobody() {
    let (setup, mut node, proposal) = node_and_proposal();
    let _ = deliver_answered(&mut node, Duration::from_millis(30), 1, proposal.clone(), true);
    let mut actions = Vec::new();
    for voter in [0usize, 3, 3, 1] {
        let vote = vote_of(&setup, voter, &proposal);
        actions.extend(deliver_answered(&mut node, Duration::from_millis(40), voter as ValidatorId, vote, true));
    }
    assert!(barred(&actions).is_empty(), "{actions:#?}");
    let report = node.report();
    assert!(report.peer_faults.is_empty(), "{:?}", report.peer_faults);
    assert!(report.refused_messages.values().sum::<u64>() >= 2, "the late vote and the repeat are refused");
}

fn throttled(actions: &[Action]) -> Vec<(ValidatorId, &'static str)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SanctionPeer(b) if b.kind == Sanction::Throttle => {
                assert_eq!(b.span, PEER_THROTTLE);
                Some((b.peer, b.reason))
            }
            _ => None,
        })
        .collect()
}

/// A peer repeating a vote of a round the node has left — each refused as stale, none a fault — is throttled once more than `WASTE_LIMIT` of them
/// arrive within a second, never barred; as many spread over two seconds throttle nobody.
#[test]
fn a_peer_repeating_a_stale_vote_past_the_waste_limit_in_a_second_is_throttled_not_barred() {
    let (setup, mut node, proposal) = node_and_proposal();
    let ms = Duration::from_millis;
    let _ = deliver_answered(&mut node, ms(30), 1, proposal.clone(), true);
    let (vote0, vote3) = (vote_of(&setup, 0, &proposal), vote_of(&setup, 3, &proposal));
    let _ = deliver_answered(&mut node, ms(40), 0, vote0.clone(), true);
    let _ = deliver_answered(&mut node, ms(40), 3, vote3.clone(), true);
    let mut actions = Vec::new();
    // Validator 0: the limit's worth in its first second, the same again in the next: under the limit each second.
    let limit = u64::from(WASTE_LIMIT);
    for second in [1_000, 2_000] {
        for k in 0..limit {
            actions.extend(deliver_answered(&mut node, ms(second + k * 999 / limit), 0, vote0.clone(), true));
        }
    }
    assert!(throttled(&actions).is_empty(), "{:?}", throttled(&actions));
    // Validator 3: one past the limit within 100 ms.
    for k in 0..=limit {
        actions.extend(deliver_answered(&mut node, ms(5_000 + k / 10), 3, vote3.clone(), true));
    }
    let report = node.report();
    assert_eq!(throttled(&actions), vec![(3, "stale_round")], "{:?}", report.refused_messages);
    assert!(barred(&actions).is_empty());
    assert!(report.peer_faults.is_empty(), "{:?}", report.peer_faults);
    assert_eq!(report.peer_throttles, [(3, 1)].into());
}

/// Gossip the mempool refuses entirely as junk — here transfers from unfunded senders — counts towards the peer's
/// throttle, one per transaction: past `WASTE_LIMIT` in a second the peer is throttled. Gossip refused
/// as duplicates (the same transactions from another route) or carrying one admissible transaction counts nothing.
#[test]
fn a_peer_gossiping_only_junk_past_the_waste_limit_in_a_second_is_throttled() {
    let (_, mut node, _) = node_and_proposal();
    let ms = Duration::from_millis;
    let gossip = |txs: &[hsbench_engine::types::Transaction]| Event::VerifiedTxs {
        txs: txs.to_vec(),
        verdicts: vec![true; txs.len()],
        source: TxSource::Peer(0),
    };
    let unfunded: Vec<_> = (1_000..1_004).map(|i| transfer(i, 0, 2_000)).collect();
    let funded: Vec<_> = (0..4).map(|i| transfer(i, 0, 16)).collect();
    let mut actions = node.handle(ms(10), gossip(&funded));
    let limit = u64::from(WASTE_LIMIT);
    for k in 0..2 * limit {
        // Duplicates of what validator 0 gossiped before, and junk with one admissible transaction among it.
        actions.extend(node.handle(ms(1_000 + k / 4), gossip(&funded)));
        let mixed = [&unfunded[..3], &[transfer(4 + (k as usize % 8), k / 8, 16)]].concat();
        actions.extend(node.handle(ms(1_000 + k / 4), gossip(&mixed)));
    }
    assert!(throttled(&actions).is_empty(), "{:?}", throttled(&actions));
    for k in 0..=limit {
        actions.extend(node.handle(ms(3_000 + k / 10), gossip(&unfunded)));
    }
    assert_eq!(throttled(&actions), vec![(0, "gossip_refused")]);
    let report = node.report();
    assert!(barred(&actions).is_empty() && report.peer_faults.is_empty(), "{:?}", report.peer_faults);
    assert_eq!(report.peer_throttles, [(0, 1)].into());
    assert!(report.rejected["insufficient_balance"] > limit, "{:?}", report.rejected);
}
