//! Validators as full pinned pipelines talking over the real network (loopback TCP + Noise), in one process: the
//! node stage's messages are encoded, sent, received and decoded, and transactions reach the other validators by
//! gossip. Runs are short and small; nothing here asserts a speed.

mod common;

use common::{config, funded, transfer};
use hsbench_engine::crypto::VoteScheme;
use hsbench_engine::network::PeerBounds;
use hsbench_engine::runtime::pipeline::{
    NodeModeConfig, NodeUnderTest, Peers, PipelineReport, WireCommittee, WireCommitteeConfig, WireConfig,
};
use hsbench_engine::sim::TxStatus;
use hsbench_engine::types::{Transaction, ValidatorId};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

const VALIDATORS: usize = 4;

/// Every validator's config, each with a listener bound to a free loopback port.
fn wire_configs(accounts: usize, scheme: VoteScheme, signature_free: bool) -> Vec<NodeModeConfig> {
    let listeners: Vec<Arc<TcpListener>> =
        (0..VALIDATORS).map(|_| Arc::new(TcpListener::bind("127.0.0.1:0").expect("bind loopback"))).collect();
    let addrs: BTreeMap<ValidatorId, _> =
        listeners.iter().enumerate().map(|(i, l)| (i as ValidatorId, l.local_addr().expect("address"))).collect();
    let mut chain = config(VALIDATORS, 21).chain;
    chain.vote_scheme = scheme;
    chain.genesis_accounts = funded(accounts, 1_000_000_000);
    chain.signature_free = signature_free;
    listeners
        .into_iter()
        .enumerate()
        .map(|(i, listener)| {
            let wire = WireConfig {
                me: i as ValidatorId,
                addrs: addrs.clone(),
                listener: Some(listener),
                byzantine: None,
                bounds: PeerBounds::default(),
            };
            NodeModeConfig { peers: Peers::Wire(wire), ..NodeModeConfig::new(chain.clone()) }
        })
        .collect()
}

/// The heights all reports executed, and whether each one's roots agree there.
fn common_roots(reports: &[PipelineReport]) -> (usize, bool) {
    let first = &reports[0].roots;
    let common: Vec<_> = first.keys().filter(|h| reports.iter().all(|r| r.roots.contains_key(h))).collect();
    let agree = common.iter().all(|h| reports.iter().all(|r| r.roots.get(h) == first.get(h)));
    (common.len(), agree)
}

#[test]
fn four_validators_over_the_wire_commit_every_transaction_and_agree_on_state_roots() {
    let (accounts, per_sender) = (40usize, 3u64);
    let nodes: Vec<NodeUnderTest> = wire_configs(accounts, VoteScheme::Bls, false)
        .into_iter()
        .map(|cfg| NodeUnderTest::start(cfg).expect("validator starts"))
        .collect();
    let txs: Vec<Transaction> =
        (0..per_sender).flat_map(|nonce| (0..accounts).map(move |s| transfer(s, nonce, accounts))).collect();
    // Every transaction goes to validator 0 only: the others learn it by gossip, and whoever proposes includes it.
    for chunk in txs.chunks(accounts) {
        nodes[0].submit(chunk.to_vec());
        std::thread::sleep(Duration::from_millis(30));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut committed = 0;
    while committed < txs.len() && Instant::now() < deadline {
        committed +=
            nodes[0].drain_tx_events().iter().filter(|e| matches!(e.status, TxStatus::Committed { .. })).count();
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300)); // let the others execute the last blocks
    let reports: Vec<PipelineReport> = nodes.into_iter().map(|n| n.stop().expect("validator stops")).collect();
    assert_eq!(committed, txs.len(), "validator 0 reported {committed} of {} committed", txs.len());
    let (heights, agree) = common_roots(&reports);
    assert!(heights >= 2, "the validators executed {heights} heights in common");
    assert!(agree, "state roots differ between validators");
    for r in &reports {
        assert!(r.committee.is_none(), "no synthetic committee on the wire");
        let net = r.network.as_ref().expect("a wire run reports its network");
        assert_eq!(net.peers.len(), VALIDATORS - 1, "validator {}: {:?}", net.me, net.peers);
        for p in &net.peers {
            let consensus = |m: &BTreeMap<String, u64>| m.get("consensus").copied().unwrap_or(0);
            assert!(consensus(&p.messages_in) > 0 && consensus(&p.messages_out) > 0, "validator {}: {p:?}", net.me);
            assert_eq!((p.refused_frames, p.dropped.values().sum::<u64>()), (0, 0), "validator {}: {p:?}", net.me);
        }
        let network = r.stages.iter().find(|s| s.name == "network").expect("network stage reported");
        assert!(network.items_in > 0, "{network:?}");
    }
    // Validators 1–3 heard the transactions only by gossip, and each executed them too.
    let gossip_in: u64 = reports[1..]
        .iter()
        .flat_map(|r| r.network.as_ref().map(|n| n.peers.clone()).unwrap_or_default())
        .filter(|p| p.peer == 0)
        .map(|p| p.messages_in.get("gossip").copied().unwrap_or(0))
        .sum();
    assert!(gossip_in >= 3, "validators 1–3 received {gossip_in} gossip messages from validator 0");
    // ... and verified it on their sigverify stage, not on the node thread.
    for r in &reports[1..] {
        let sigverify = r.stages.iter().find(|s| s.name == "sigverify").expect("sigverify stage");
        assert_eq!(sigverify.items_in, txs.len() as u64, "every gossiped transaction verified once: {sigverify:?}");
        assert_eq!(r.txs_delivered, 0, "gossip is not client load");
    }
}

/// Transactions whose signatures are all zeros: refused by validators that check signatures, committed by every
/// validator in the signature-free payload mode (client path on validator 0, gossip path on the others, proposals
/// everywhere).
#[test]
fn unsigned_transactions_commit_only_in_the_signature_free_mode() {
    let accounts = 16usize;
    let unsigned: Vec<Transaction> = (0..accounts)
        .map(|s| {
            let mut tx = transfer(s, 0, accounts);
            tx.signature = [0; 64];
            tx
        })
        .collect();
    for signature_free in [false, true] {
        let nodes: Vec<NodeUnderTest> = wire_configs(accounts, VoteScheme::Bls, signature_free)
            .into_iter()
            .map(|cfg| NodeUnderTest::start(cfg).expect("validator starts"))
            .collect();
        nodes[0].submit(unsigned.clone());
        let deadline = Instant::now() + Duration::from_secs(10);
        let (mut committed, mut rejected) = (0, 0);
        while committed + rejected < unsigned.len() && Instant::now() < deadline {
            for e in nodes[0].drain_tx_events() {
                match e.status {
                    TxStatus::Committed { .. } => committed += 1,
                    TxStatus::Rejected(_) => rejected += 1,
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
        let reports: Vec<PipelineReport> = nodes.into_iter().map(|n| n.stop().expect("stops")).collect();
        let expected = if signature_free { (unsigned.len(), 0) } else { (0, unsigned.len()) };
        assert_eq!((committed, rejected), expected, "signature_free = {signature_free}");
        let (heights, agree) = common_roots(&reports);
        assert!(heights >= 1 && agree, "signature_free = {signature_free}: {heights} common heights, agree {agree}");
    }
}

/// Node mode over the wire: validator 0 as the pinned pipeline on its network stage, validators 1–3 as the
/// synthetic committee behind a network per member (`WireCommittee`, in another process in `hsbench run --mode node
/// --wire`, here in this one): every transaction commits, validator 0's network stage did the work, and the
/// committee's roots agree with validator 0's.
#[test]
fn a_node_and_a_committee_on_the_wire_commit_every_transaction_and_agree() {
    let accounts = 24usize;
    let node0 = Arc::new(TcpListener::bind("127.0.0.1:0").expect("bind loopback"));
    let free = |_| TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port");
    let mut addrs: BTreeMap<ValidatorId, _> = (1..VALIDATORS as ValidatorId).map(|i| (i, free(i))).collect();
    addrs.insert(0, node0.local_addr().expect("address"));
    let mut chain = config(VALIDATORS, 23).chain;
    chain.vote_scheme = VoteScheme::Bls;
    chain.genesis_accounts = funded(accounts, 1_000_000_000);
    let committee_cfg = WireCommitteeConfig {
        chain: chain.clone(),
        addrs: addrs.clone(),
        cores: Vec::new(),
        backend: NodeModeConfig::new(chain.clone()).committee_backend,
    };
    let committee = WireCommittee::start(committee_cfg).expect("committee starts");
    let wire = WireConfig { me: 0, addrs, listener: Some(node0), byzantine: None, bounds: PeerBounds::default() };
    let node = NodeUnderTest::start(NodeModeConfig { peers: Peers::Wire(wire), ..NodeModeConfig::new(chain) })
        .expect("validator 0 starts");
    let txs: Vec<Transaction> =
        (0..2u64).flat_map(|nonce| (0..accounts).map(move |s| transfer(s, nonce, accounts))).collect();
    node.submit(txs.clone());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut committed = 0;
    while committed < txs.len() && Instant::now() < deadline {
        committed += node.drain_tx_events().iter().filter(|e| matches!(e.status, TxStatus::Committed { .. })).count();
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300)); // let the committee execute the last blocks
    let report = node.stop().expect("validator 0 stops");
    let committee = committee.stop();
    assert_eq!(committed, txs.len(), "validator 0 reported {committed} of {} committed", txs.len());
    assert_eq!(committee.members, VALIDATORS - 1);
    let compared: Vec<_> = report.roots.iter().filter(|(h, _)| committee.roots.contains_key(h)).collect();
    assert!(compared.len() >= 2, "{} heights compared", compared.len());
    assert!(compared.iter().all(|(h, r)| committee.roots.get(h) == Some(&r.to_hex())), "roots differ");
    assert_eq!(committee.internal_mismatches, 0);
    assert!(committee.messages_from_node > 0 && committee.messages_to_node > 0, "{committee:?}");
    assert_eq!(committee.links.len(), VALIDATORS - 1, "one link per member: {:?}", committee.links);
    assert!(committee.links.iter().all(|l| l.peer == 0 && l.messages_in.get("consensus").is_some_and(|&c| c > 0)));
    let network = report.stages.iter().find(|s| s.name == "network").expect("network stage reported");
    assert!(network.items_in > 0 && network.cost_ns_per_tx > 0.0, "{network:?}");
    assert!(report.committee.is_none(), "the committee is in its own process, not the pipeline's");
    assert!(
        !report.warnings.iter().any(|w| w.contains("committee")),
        "no in-process committee, so no warning about its cores: {:?}",
        report.warnings
    );
}

/// A vote and a timeout as validators sign them (BLS: 192 bytes, uncompressed) survive the codec — the in-memory
/// clusters never encode, so only this and the process clusters would see a signature the codec refuses.
#[test]
fn votes_and_timeouts_signed_by_validators_round_trip_through_the_codec() {
    use hsbench_engine::crypto::ValidatorKeyPair;
    use hsbench_engine::types::{Hash, Message, QuorumCertificate, TimeoutVote, Vote, decode, encode};
    let keys = ValidatorKeyPair::from_seed([7; 32]);
    for scheme in [VoteScheme::Bls, VoteScheme::Ed25519] {
        let signature = keys.sign_vote(scheme, b"vote message");
        let vote = Message::Vote(Vote {
            epoch: 0,
            round: 3,
            height: 2,
            block_hash: Hash::of(b"block"),
            parent_hash: Hash::of(b"parent"),
            voter: 1,
            signature: signature.clone(),
        });
        assert_eq!(decode::<Message>(&encode(&vote)).as_ref(), Ok(&vote), "{scheme:?} vote");
        let high_qc = QuorumCertificate::epoch_start(0, 0, Hash::of(b"genesis"), Hash::of(b""));
        let timeout = Message::Timeout(TimeoutVote { epoch: 0, round: 4, high_qc, voter: 2, signature, last_tc: None });
        assert_eq!(decode::<Message>(&encode(&timeout)).as_ref(), Ok(&timeout), "{scheme:?} timeout");
    }
}
