//! Rules checked on a single node: persist-before-vote, no double vote after a restart, epoch filtering.

mod common;

use common::*;
use hsbench_engine::bft::{BftResume, FUTURE_VOTE_ROUNDS, Refusal};
use hsbench_engine::node::{NodeResume, NodeStateMachine};
use hsbench_engine::protocol::{Action, Event, Timer};
use hsbench_engine::runtime::{ChainSetup, genesis_block};
use hsbench_engine::types::SafetyState;
use hsbench_engine::types::{Message, QuorumCertificate, Vote};
use std::time::Duration;

fn setup() -> (hsbench_engine::sim::ClusterConfig, ChainSetup) {
    let cfg = config(4, 5);
    let setup = ChainSetup::new(&cfg.chain).expect("setup");
    (cfg, setup)
}

/// Node 1 leads round 1 of epoch 0 (leader = committee[round mod n]); returns its proposal and its actions.
fn lead_round_one(node: &mut NodeStateMachine) -> (Message, Vec<Action>) {
    let _ = node.start(Duration::ZERO);
    propose_round_one(node)
}

/// A started node 1 proposes for round 1 of epoch 0; returns its proposal and its actions.
fn propose_round_one(node: &mut NodeStateMachine) -> (Message, Vec<Action>) {
    let actions = node.handle(Duration::from_millis(20), Event::Timer(Timer::Propose { epoch: 0, round: 1 }));
    let proposal = actions
        .iter()
        .find_map(|a| match a {
            Action::Broadcast { message: m @ Message::Proposal(_) } => Some(m.clone()),
            _ => None,
        })
        .expect("the leader proposes");
    (proposal, actions)
}

#[test]
fn safety_state_is_persisted_before_the_vote_leaves() {
    let (_, setup) = setup();
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let (_, actions) = lead_round_one(&mut leader);
    let persist = actions.iter().position(|a| matches!(a, Action::PersistSafety(s) if s.last_voted_round == 1));
    let vote = actions.iter().position(|a| matches!(a, Action::Send { message: Message::Vote(_), .. }));
    match (persist, vote) {
        (Some(p), Some(v)) => assert!(p < v, "vote sent before the safety state was persisted: {actions:#?}"),
        other => panic!("expected a persist and a vote, got {other:?}"),
    }
}

fn votes_in(actions: &[Action]) -> usize {
    actions.iter().filter(|a| matches!(a, Action::Send { message: Message::Vote(_), .. })).count()
}

/// Delivers `proposal` to `node` and answers its verification job as the runtime would (all signatures good).
fn deliver(node: &mut NodeStateMachine, proposal: Message) -> Vec<Action> {
    deliver_from(node, 1, proposal)
}

/// Delivers `message` from validator `from`, answering verification as [`deliver`] does.
fn deliver_from(node: &mut NodeStateMachine, from: u16, message: Message) -> Vec<Action> {
    deliver_at(node, Duration::from_millis(30), from, message)
}

/// Delivers `message` from validator `from` at `now`, answering 1 ms later as the runtime would when every
/// signature is good.
fn deliver_at(node: &mut NodeStateMachine, now: Duration, from: u16, message: Message) -> Vec<Action> {
    deliver_answered(node, now, from, message, true)
}

/// The votes that `actions` send to validator `to`.
fn votes_to(actions: &[Action], to: u16) -> Vec<Message> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { to: t, message: m @ Message::Vote(_) } if *t == to => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// A byzantine leader that sends a second, different proposal for its round later must not push the next
/// leader's block back: the interval counts from the first proposal of a round the node handled.
#[test]
fn a_second_proposal_in_a_round_does_not_delay_the_next_block() {
    let (mut cfg, _) = setup();
    cfg.chain.consensus.min_block_interval_ms = 50;
    let setup = ChainSetup::new(&cfg.chain).expect("setup");
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let (proposal, _) = lead_round_one(&mut leader);
    let Message::Proposal(first) = &proposal else { unreachable!() };
    let mut second = first.clone();
    second.block.header.timestamp_ms += 1; // another block for the same round (signatures are answered as good)
    let second = Message::Proposal(second);

    // Validator 2 leads round 2. It gets the first proposal at 30 ms and the equivocating one at 45 ms.
    let mut next = NodeStateMachine::new(2, setup.params[2].clone(), None);
    let _ = next.start(Duration::ZERO);
    let _ = deliver_at(&mut next, Duration::from_millis(30), 1, proposal.clone()); // its own vote stays inside
    let _ = deliver_at(&mut next, Duration::from_millis(45), 1, second);
    let mut votes = Vec::new();
    for id in [0u16, 3] {
        let mut voter = NodeStateMachine::new(id as usize, setup.params[id as usize].clone(), None);
        let _ = voter.start(Duration::ZERO);
        let cast = votes_to(&deliver_at(&mut voter, Duration::from_millis(30), 1, proposal.clone()), 2);
        assert_eq!(cast.len(), 1, "validator {id} votes for the first proposal");
        votes.extend(cast);
    }
    assert_eq!(votes.len(), 2, "with validator 2's own vote, a quorum of 4");

    // The quorum completes at 52 ms: 22 ms after the first proposal, 7 ms after the second.
    let mut actions = Vec::new();
    for vote in votes {
        let Message::Vote(v) = &vote else { unreachable!() };
        actions.extend(deliver_at(&mut next, Duration::from_millis(52), v.voter, vote));
    }
    let wait = actions
        .iter()
        .find_map(|a| match a {
            Action::SetTimer { timer: Timer::Propose { round: 2, .. }, after } => Some(*after),
            _ => None,
        })
        .expect("validator 2 enters round 2 and arms its propose timer");
    assert_eq!(wait, Duration::from_millis(50 - 22), "the interval counts from the round's first proposal");
}

#[test]
fn a_restarted_replica_never_votes_twice_in_a_round() {
    let (cfg, setup) = setup();
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let (proposal, _) = lead_round_one(&mut leader);

    // Replica 3 (not the next leader, node 2, which would keep its own vote locally).
    let mut replica = NodeStateMachine::new(3, setup.params[3].clone(), None);
    let _ = replica.start(Duration::ZERO);
    assert_eq!(votes_in(&deliver(&mut replica, proposal.clone())), 1, "a fresh replica votes");
    assert_eq!(votes_in(&deliver(&mut replica, proposal.clone())), 0, "no second vote for a duplicate proposal");

    // Restart from the persisted safety state: the same proposal must not get a second vote.
    let genesis = genesis_block(cfg.chain.chain_id, setup.params[3].genesis_state_root);
    let genesis_qc = QuorumCertificate::epoch_start(0, 0, genesis.hash(), genesis.header.parent_hash);
    let safety = SafetyState { epoch: 0, last_voted_round: 1, high_qc: genesis_qc.clone() };
    let resume = NodeResume {
        bft: BftResume {
            committed: (genesis, genesis_qc),
            epoch: 0,
            safety: Some(safety),
            committed_rounds: Vec::new(),
        },
        accounts: cfg.chain.genesis_accounts.clone(),
        state_root: setup.params[3].genesis_state_root,
    };
    let mut restarted = NodeStateMachine::new(3, setup.params[3].clone(), Some(resume));
    let _ = restarted.start(Duration::ZERO);
    assert_eq!(votes_in(&deliver(&mut restarted, proposal)), 0, "restarted replica voted twice in round 1");
}

#[test]
fn votes_of_another_epoch_are_refused() {
    let (_, setup) = setup();
    let node = NodeStateMachine::new(0, setup.params[0].clone(), None);
    let vote = |epoch| Vote {
        epoch,
        round: 1,
        height: 1,
        block_hash: Default::default(),
        parent_hash: Default::default(),
        voter: 1,
        signature: vec![0; 64],
    };
    assert_eq!(node.bft().check_vote(&vote(1)).err(), Some(Refusal::FutureEpoch));
    assert!(node.bft().check_vote(&vote(0)).is_ok());
    let outsider = Vote { voter: 9, ..vote(0) };
    assert_eq!(node.bft().check_vote(&outsider).err(), Some(Refusal::NonMember));
}

/// A proposal that arrives before its parent is kept and handled once sync brings the parent; the execution-root
/// verdict computed on arrival must still apply then (it used to be replaced by "ok").
#[test]
fn a_buffered_proposal_with_a_wrong_execution_root_gets_no_vote() {
    use hsbench_engine::types::{Hash, SyncEntry};
    let (_, setup) = setup();
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let (Message::Proposal(p1), _) = lead_round_one(&mut leader) else { panic!("a proposal") };
    let b1 = p1.block.clone();
    // The replica's verification is answered "valid" by `deliver_from`, so the aggregate bytes are not checked.
    let (qc1, p2) = certified_child(&setup, &b1, 2, 2, Hash::of(b"not the genesis state root"));
    let b2 = p2.block.clone();

    // Node 0: its vote for round 2 would go to node 3, the leader of round 3 (a Send we can see).
    let mut replica = NodeStateMachine::new(0, setup.params[0].clone(), None);
    let _ = replica.start(Duration::ZERO);
    let first = deliver_from(&mut replica, 2, Message::Proposal(p2));
    assert_eq!(votes_in(&first), 0, "no vote before the parent is known");
    let synced = deliver_from(&mut replica, 1, Message::SyncResponse(vec![SyncEntry { block: b1, qc: Some(qc1) }]));
    assert!(replica.bft().knows_block(&b2.hash()), "the buffered proposal was handled after sync");
    let voted_b2 =
        synced.iter().any(|a| matches!(a, Action::Send { message: Message::Vote(v), .. } if v.block_hash == b2.hash()));
    assert!(!voted_b2, "voted for a block whose execution root disagrees with ours");
    assert!(replica.refusals().get("state_root_mismatch").copied().unwrap_or(0) > 0);
}

/// A vote for a round whose QC the node already holds can add nothing (one block per round gets a quorum), so it is
/// refused before its signature is verified: the leader of a 4-validator committee used to pay a pairing check for
/// the fourth vote of every round.
#[test]
fn a_vote_for_a_round_the_node_holds_a_qc_for_is_not_verified() {
    let (_, setup) = setup();
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let (proposal, leader_actions) = lead_round_one(&mut leader);
    let late = votes_to(&leader_actions, 2);
    assert_eq!(late.len(), 1, "the round-1 leader votes for its own block, to the next leader");

    let mut next = NodeStateMachine::new(2, setup.params[2].clone(), None);
    let _ = next.start(Duration::ZERO);
    let _ = deliver_at(&mut next, Duration::from_millis(30), 1, proposal.clone());
    for id in [0u16, 3] {
        let mut voter = NodeStateMachine::new(id as usize, setup.params[id as usize].clone(), None);
        let _ = voter.start(Duration::ZERO);
        for vote in votes_to(&deliver_at(&mut voter, Duration::from_millis(30), 1, proposal.clone()), 2) {
            let _ = deliver_at(&mut next, Duration::from_millis(40), id, vote);
        }
    }
    assert_eq!(next.bft().high_qc().round, 1, "validator 2 formed the round-1 QC from 3 of 4 votes");

    let Message::Vote(v) = &late[0] else { unreachable!() };
    assert_eq!(next.bft().check_vote(v).err(), Some(Refusal::StaleRound));
    let actions = next.handle(Duration::from_millis(41), Event::Network { from: 1, message: late[0].clone() });
    assert!(!actions.iter().any(|a| matches!(a, Action::Verify(_))), "a surplus vote was verified: {actions:#?}");
}

/// The collector of round 1 (validator 2) with its own vote inside, and the round-1 votes of validators 0 and 3
/// to it; also the round-1 leader's (validator 1's) vote to it.
fn collector_and_votes() -> (NodeStateMachine, Vec<(u16, Message)>, Message) {
    let (_, setup) = setup();
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let (proposal, leader_actions) = lead_round_one(&mut leader);
    let leaders_vote = votes_to(&leader_actions, 2).pop().expect("the leader votes for its block");
    let mut next = NodeStateMachine::new(2, setup.params[2].clone(), None);
    let _ = next.start(Duration::ZERO);
    let _ = deliver_at(&mut next, Duration::from_millis(30), 1, proposal.clone());
    let mut votes = Vec::new();
    for id in [0u16, 3] {
        let mut voter = NodeStateMachine::new(id as usize, setup.params[id as usize].clone(), None);
        let _ = voter.start(Duration::ZERO);
        for vote in votes_to(&deliver_at(&mut voter, Duration::from_millis(30), 1, proposal.clone()), 2) {
            votes.push((id, vote));
        }
    }
    assert_eq!(votes.len(), 2);
    (next, votes, leaders_vote)
}

fn vote_checks(actions: &[Action]) -> Vec<(u64, Vec<u16>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Verify(job) if !job.votes.is_empty() => {
                Some((job.id, job.votes.iter().map(|v| v.signer).collect()))
            }
            _ => None,
        })
        .collect()
}

fn aggregate_jobs(actions: &[Action]) -> Vec<hsbench_engine::protocol::work::AggregateJob> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Aggregate(job) => Some(job.clone()),
            _ => None,
        })
        .collect()
}

/// Quorum first: the collector does not check the votes that complete its quorum one by one (a pairing check
/// each with BLS) and then the certificate it built (one more); the certificate's check covers them all.
#[test]
fn the_collector_checks_the_votes_of_its_quorum_with_the_one_certificate_check() {
    use hsbench_engine::protocol::Callback;
    use hsbench_engine::protocol::work::AggregateOutput;
    let (mut next, votes, _) = collector_and_votes();
    let mut actions = Vec::new();
    let (first_from, first) = votes[0].clone();
    for (from, vote) in [(first_from, first)].into_iter().chain(votes) {
        actions.extend(next.handle(Duration::from_millis(40), Event::Network { from, message: vote }));
    }
    assert_eq!(vote_checks(&actions), Vec::<(u64, Vec<u16>)>::new(), "votes checked one by one: {actions:#?}");
    assert_eq!(next.refusals().get("duplicate"), Some(&1), "a copy of a held vote: {:?}", next.refusals());
    let jobs = aggregate_jobs(&actions);
    assert_eq!(jobs.len(), 1, "{actions:#?}");
    assert_eq!(jobs[0].signers, vec![0, 2, 3], "its own vote and the two it received, in committee order");
    let answer = AggregateOutput { id: jobs[0].id, aggregate: Ok(vec![7; 96]) };
    let _ = next.handle(Duration::from_millis(41), Event::Callback(Callback::Aggregated(answer)));
    assert_eq!(next.bft().high_qc().round, 1, "the checked certificate is the round-1 QC");
}

/// When the certificate's check fails, each vote in it that was not checked alone is checked alone: the bad one is
/// refused and counted, the good one counts, and a later good vote completes the quorum.
#[test]
fn a_failed_certificate_check_checks_its_votes_one_by_one() {
    use hsbench_engine::protocol::Callback;
    use hsbench_engine::protocol::work::{AggregateOutput, VerifyVerdicts};
    let (mut next, votes, leaders_vote) = collector_and_votes();
    let mut actions = Vec::new();
    for (from, vote) in votes {
        actions.extend(next.handle(Duration::from_millis(40), Event::Network { from, message: vote }));
    }
    let jobs = aggregate_jobs(&actions);
    assert_eq!(jobs.len(), 1, "{actions:#?}");
    let failed = AggregateOutput { id: jobs[0].id, aggregate: Err("the aggregate does not verify".into()) };
    let actions = next.handle(Duration::from_millis(41), Event::Callback(Callback::Aggregated(failed)));
    let mut checks = vote_checks(&actions);
    checks.sort_by_key(|(_, signers)| signers.clone());
    assert_eq!(checks.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>(), vec![vec![0], vec![3]], "{actions:#?}");
    for (id, signers) in checks {
        let good = signers == [0];
        let verdicts = VerifyVerdicts { id, votes: vec![good], ..Default::default() };
        let _ = next.handle(Duration::from_millis(42), Event::Callback(Callback::Verified(verdicts)));
    }
    assert_eq!(next.refusals().get("bad_signature"), Some(&1), "{:?}", next.refusals());
    assert_eq!(next.bft().high_qc().round, 0, "two good votes of four are no quorum");
    let actions = next.handle(Duration::from_millis(43), Event::Network { from: 1, message: leaders_vote });
    assert_eq!(vote_checks(&actions), Vec::<(u64, Vec<u16>)>::new(), "{actions:#?}");
    let jobs = aggregate_jobs(&actions);
    assert_eq!(jobs.len(), 1, "{actions:#?}");
    assert_eq!(jobs[0].signers, vec![0, 1, 2]);
    let answer = AggregateOutput { id: jobs[0].id, aggregate: Ok(vec![7; 96]) };
    let _ = next.handle(Duration::from_millis(44), Event::Callback(Callback::Aggregated(answer)));
    assert_eq!(next.bft().high_qc().round, 1);
}

/// Only votes of the current round or a neighbour are held unchecked (so what peers can make a collector hold is
/// bounded by its committee): a vote for a far round is checked alone, as before quorum first.
#[test]
fn a_vote_for_a_far_round_is_checked_alone_not_held() {
    let (mut next, votes, _) = collector_and_votes();
    assert_eq!(next.bft().round(), 1);
    for round in [3, 1 + FUTURE_VOTE_ROUNDS] {
        let actions = next.handle(Duration::from_millis(40), vote_of_round(&votes[0], round));
        assert_eq!(vote_checks(&actions).len(), 1, "round {round}: {actions:#?}");
    }
}

/// `votes[i]` moved to `round`, naming a block of that round the collector has not seen.
fn vote_of_round(vote: &(u16, Message), round: u64) -> Event {
    let (from, Message::Vote(mut v)) = vote.clone() else { unreachable!() };
    v.round = round;
    v.block_hash = hsbench_engine::types::Hash::of(&round.to_le_bytes());
    Event::Network { from, message: Message::Vote(v) }
}

/// A vote more than FUTURE_VOTE_ROUNDS ahead is refused before its signature is checked: kept, a member's votes for
/// every round number would pile up until their rounds (one per round, each a pairing check to verify).
#[test]
fn a_vote_too_far_ahead_is_refused_before_its_check() {
    let (mut next, votes, _) = collector_and_votes();
    for round in [2 + FUTURE_VOTE_ROUNDS, 1_000_000, u64::MAX] {
        let actions = next.handle(Duration::from_millis(40), vote_of_round(&votes[0], round));
        assert_eq!(vote_checks(&actions).len(), 0, "round {round}: {actions:#?}");
    }
    assert_eq!(next.refusals().get("future_round"), Some(&3), "{:?}", next.refusals());
}

/// A member can sign a vote for round `u64::MAX`; the collector refuses it (too far ahead) and goes on to its next
/// round without overflowing round arithmetic (before votes that far ahead were refused, pruning them on entering a
/// round panicked on `r + 1` in a debug build).
#[test]
fn a_vote_for_the_last_round_number_does_not_overflow_round_arithmetic() {
    let (mut next, votes, _) = collector_and_votes();
    let (from, Message::Vote(mut last)) = votes[0].clone() else { unreachable!() };
    last.round = u64::MAX;
    last.block_hash = hsbench_engine::types::Hash::of(b"a block of the last round number");
    let _ = deliver_at(&mut next, Duration::from_millis(40), from, Message::Vote(last));
    for (from, vote) in votes {
        let _ = deliver_at(&mut next, Duration::from_millis(41), from, vote);
    }
    assert_eq!(next.bft().high_qc().round, 1, "the round-1 QC formed and the collector entered round 2");
}

/// A proposal whose TC names the last round number, or whose justify names the last height or epoch number, is
/// refused, not overflowed (`+ 1` on these unverified fields panicked in a debug build).
#[test]
fn a_proposal_naming_the_last_round_height_or_epoch_number_is_refused() {
    use hsbench_engine::types::{SignerBitfield, TimeoutCertificate};
    let (_, setup) = setup();
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let (Message::Proposal(proposal), _) = lead_round_one(&mut leader) else { unreachable!() };
    let mut tc_of_last_round = proposal.clone();
    tc_of_last_round.tc = Some(TimeoutCertificate {
        epoch: 0,
        round: u64::MAX,
        high_qc: proposal.block.header.parent_qc.clone(),
        signers: SignerBitfield::new(4),
        aggregate: vec![0; 96],
    });
    let mut justify_of_last_height = proposal.clone();
    justify_of_last_height.block.header.parent_qc.height = u64::MAX;
    let mut justify_of_last_epoch = proposal.clone();
    justify_of_last_epoch.block.header.parent_qc.epoch = u64::MAX;
    for (bad, refusal) in [
        (tc_of_last_round, "bad_certificate"),
        (justify_of_last_height, "malformed"),
        (justify_of_last_epoch, "bad_certificate"),
    ] {
        let mut replica = NodeStateMachine::new(2, setup.params[2].clone(), None);
        let _ = replica.start(Duration::ZERO);
        let _ = replica.handle(Duration::from_millis(30), Event::Network { from: 1, message: Message::Proposal(bad) });
        assert_eq!(replica.refusals().get(refusal), Some(&1), "{:?}", replica.refusals());
    }
}

/// A sync request costs its server a storage read of up to `SYNC_BATCH` blocks and a large answer, and it is a
/// few bytes: a peer may have one served per `SYNC_SERVE_INTERVAL` (an honest requester asks at most once per
/// `SYNC_RETRY`, three times longer); one arriving sooner is refused and counted, not served, and the next after
/// the interval is served again. Another peer's request is its own.
#[test]
fn a_peer_is_served_one_sync_request_per_interval_and_the_rest_are_refused_and_counted() {
    use hsbench_engine::bft::{SYNC_RETRY, SYNC_SERVE_INTERVAL};
    assert!(SYNC_SERVE_INTERVAL * 2 <= SYNC_RETRY, "an honest retry must be served even when delayed in transit");
    let (_, setup) = setup();
    let mut node = NodeStateMachine::new(2, setup.params[2].clone(), None);
    let _ = node.start(Duration::ZERO);
    let serves = |actions: &[Action]| actions.iter().filter(|a| matches!(a, Action::LoadSync { .. })).count();
    let request = |h| Message::SyncRequest { from_height: h };
    let t0 = Duration::from_secs(1);
    assert_eq!(serves(&node.handle(t0, Event::Network { from: 1, message: request(0) })), 1, "the first is served");
    for k in 1..=50u64 {
        let at = t0 + Duration::from_micros(k * 100);
        assert_eq!(serves(&node.handle(at, Event::Network { from: 1, message: request(0) })), 0, "request {k}");
    }
    assert_eq!(node.refusals().get("sync_too_soon"), Some(&50));
    assert_eq!(serves(&node.handle(t0, Event::Network { from: 3, message: request(0) })), 1, "another peer's own");
    let later = t0 + SYNC_SERVE_INTERVAL;
    assert_eq!(serves(&node.handle(later, Event::Network { from: 1, message: request(0) })), 1, "served again");
}

/// The signatures of transactions (Ed25519 checks other than the proposal's own) a node asks to have checked when
/// `message` arrives from `from`; its other actions are dropped.
fn transaction_checks_for(node: &mut NodeStateMachine, from: u16, message: Message) -> Vec<[u8; 64]> {
    let Message::Proposal(p) = &message else { panic!("a proposal") };
    let proposal_signature = p.signature;
    let actions = node.handle(Duration::from_millis(30), Event::Network { from, message });
    actions
        .iter()
        .flat_map(|a| match a {
            Action::Verify(job) => job.ed25519.iter().map(|c| c.signature).collect(),
            _ => Vec::new(),
        })
        .filter(|s| *s != proposal_signature)
        .collect()
}

/// A proposal's transaction that the replica holds pending — the very same one: sender, nonce and every byte —
/// keeps the id admission gave it and is not checked again; one that differs from the pending transaction at its
/// sender and nonce, here only in its signature, is hashed and checked.
#[test]
fn a_proposal_transaction_skips_its_check_only_when_the_very_same_one_is_pending() {
    use hsbench_engine::crypto::VoteScheme;
    use hsbench_engine::protocol::TxSource;
    use hsbench_engine::types::{Block, Proposal, proposal_message, tx_root};
    let (_, setup) = setup();
    let txs = vec![transfer(0, 0, 16), transfer(1, 0, 16)];
    let admit = |node: &mut NodeStateMachine| {
        let verdicts = vec![true; txs.len()];
        let event = Event::VerifiedTxs { txs: txs.clone(), verdicts, source: TxSource::Client };
        let _ = node.handle(Duration::from_millis(10), event);
    };
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let _ = leader.start(Duration::ZERO);
    admit(&mut leader);
    let (Message::Proposal(genuine), _) = propose_round_one(&mut leader) else { panic!("a proposal") };
    assert_eq!(genuine.block.txs.len(), 2, "the leader proposes the two pending transactions");

    let replica = || {
        let mut node = NodeStateMachine::new(0, setup.params[0].clone(), None);
        let _ = node.start(Duration::ZERO);
        admit(&mut node);
        node
    };
    assert_eq!(transaction_checks_for(&mut replica(), 1, Message::Proposal(genuine.clone())), Vec::<[u8; 64]>::new());

    // The same block but the second transaction's signature changed: the leader signs that block properly.
    let mut forged_txs = genuine.block.txs.to_vec();
    forged_txs[1].signature[0] ^= 1;
    let mut header = genuine.block.header.clone();
    header.tx_root = tx_root(&forged_txs);
    let block = Block { header, txs: forged_txs.into() };
    let sig = setup.keys[1].sign_vote(VoteScheme::Ed25519, &proposal_message(CHAIN, &block.hash()));
    let mut signature = [0u8; 64];
    signature.copy_from_slice(&sig);
    let forged = Proposal { block: block.clone(), tc: None, signature };
    assert_eq!(transaction_checks_for(&mut replica(), 1, Message::Proposal(forged)), vec![block.txs[1].signature]);
}

/// A block at `round` by `proposer` extending `parent`, certified by a QC whose aggregate the test's answers call
/// valid, with no transactions and the execution claim `exec_state_root` at the parent's execution height; returns
/// the parent's QC and the signed proposal.
fn certified_child(
    setup: &ChainSetup,
    parent: &hsbench_engine::types::Block,
    round: u64,
    proposer: u16,
    exec_state_root: hsbench_engine::types::Hash,
) -> (QuorumCertificate, hsbench_engine::types::Proposal) {
    use hsbench_engine::crypto::VoteScheme;
    use hsbench_engine::types::{Block, BlockHeader, Proposal, SignerBitfield, proposal_message, tx_root};
    let mut signers = SignerBitfield::new(4);
    for pos in 0..3 {
        signers.set(pos);
    }
    let qc = QuorumCertificate {
        epoch: 0,
        round: parent.header.round,
        height: parent.header.height,
        block_hash: parent.hash(),
        parent_hash: parent.header.parent_hash,
        signers,
        aggregate: vec![7; 192],
    };
    let header = BlockHeader {
        chain_id: CHAIN,
        height: parent.header.height + 1,
        epoch: 0,
        round,
        parent_hash: parent.hash(),
        parent_qc: qc.clone(),
        proposer,
        timestamp_ms: 20 * round,
        tx_root: tx_root(&[]),
        tx_count: 0,
        exec_height: parent.header.exec_height,
        exec_state_root,
    };
    let block = Block { header, txs: Vec::new().into() };
    let sig = setup.keys[proposer as usize].sign_vote(VoteScheme::Ed25519, &proposal_message(CHAIN, &block.hash()));
    let mut signature = [0u8; 64];
    signature.copy_from_slice(&sig);
    (qc, Proposal { block, tc: None, signature })
}

/// The execution job of a committed block carries the ids of its transactions, in block order — from the
/// proposal the node built (its leader) and from the proposal it checked (a replica) — so execution need not
/// hash them again; the receipts, the clients' statuses and the mempool's clean-up all key on them.
#[test]
fn a_committed_block_goes_to_execution_with_its_transaction_ids_in_order() {
    use hsbench_engine::protocol::TxSource;
    let (_, setup) = setup();
    let txs: Vec<_> = (0..5).map(|s| transfer(s, 0, 16)).collect();
    let admit = |node: &mut NodeStateMachine| {
        let event = Event::VerifiedTxs { txs: txs.clone(), verdicts: vec![true; txs.len()], source: TxSource::Client };
        let _ = node.handle(Duration::from_millis(10), event);
    };
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let _ = leader.start(Duration::ZERO);
    admit(&mut leader);
    let (proposal, _) = propose_round_one(&mut leader);
    let Message::Proposal(p1) = &proposal else { unreachable!() };
    let b1 = p1.block.clone();
    assert_eq!(b1.txs.len(), 5, "the leader proposes the pending transactions");
    // Node 0 holds two of the five pending (their ids come from admission), the others it hashes.
    let mut replica = NodeStateMachine::new(0, setup.params[0].clone(), None);
    let _ = replica.start(Duration::ZERO);
    let _ = replica.handle(
        Duration::from_millis(10),
        Event::VerifiedTxs { txs: txs[..2].to_vec(), verdicts: vec![true; 2], source: TxSource::Client },
    );
    let _ = deliver_from(&mut replica, 1, proposal.clone());
    let root = b1.header.exec_state_root;
    let (_, p2) = certified_child(&setup, &b1, 2, 2, root);
    let (_, p3) = certified_child(&setup, &p2.block, 3, 3, root);
    let (m2, m3) = (Message::Proposal(p2), Message::Proposal(p3));
    for node in [&mut leader, &mut replica] {
        let mut actions = deliver_from(node, 2, m2.clone());
        actions.extend(deliver_from(node, 3, m3.clone()));
        let job = actions
            .iter()
            .find_map(|a| match a {
                Action::Execute(job) if job.block.header.height == 1 => Some(job.clone()),
                _ => None,
            })
            .expect("block 1 commits once blocks 2 and 3 certify it");
        assert_eq!(job.tx_ids.as_deref(), Some(&b1.tx_hashes()[..]));
    }
}
