//! Certificate rules that no signature check can replace (docs/MUTANTS.md): the verifier checks an aggregate only
//! against the signers a certificate names, so a certificate naming fewer than a quorum, or a signature-free
//! "epoch start" certificate other than genesis, must be refused before verification; and a certificate a node
//! aggregated itself is verified like one received.

mod common;

use common::*;
use hsbench_engine::bft::{HotStuff, Outputs, Refusal};
use hsbench_engine::crypto::{CpuBackendKind, VoteCrypto, VoteScheme, cpu_backend};
use hsbench_engine::execution::ExecutionState;
use hsbench_engine::protocol::work::AggregateJob;
use hsbench_engine::runtime::ChainSetup;
use hsbench_engine::runtime::NodeServices;
use hsbench_engine::storage::MemoryStorage;
use hsbench_engine::types::{Proposal, QuorumCertificate, SignerBitfield, TimeoutCertificate};
use std::time::Duration;

fn setup() -> ChainSetup {
    ChainSetup::new(&config(4, 5).chain).expect("setup")
}

fn bits(positions: &[usize]) -> SignerBitfield {
    let mut b = SignerBitfield::new(4);
    for &p in positions {
        b.set(p);
    }
    b
}

/// The round-1 block re-headed as node 2's round-2 proposal (leader of round 2), optionally with a new justify.
fn round_two(base: &Proposal, justify: Option<QuorumCertificate>, tc: Option<TimeoutCertificate>) -> Proposal {
    let mut p = base.clone();
    let h = &mut p.block.header;
    h.round = 2;
    h.proposer = 2;
    if let Some(qc) = justify {
        h.parent_hash = qc.block_hash;
        h.height = qc.height + 1;
        h.parent_qc = qc;
    }
    p.tc = tc;
    p
}

/// What node 0 answers to `p` from node 2, before any signature is verified.
fn check(setup: &ChainSetup, p: &Proposal) -> Result<usize, Refusal> {
    let mut hs = HotStuff::new(setup.params[0].bft.clone(), None);
    let mut out = Outputs::default();
    hs.check_proposal(Duration::from_millis(30), 2, p, &p.block.tx_hashes(), &mut out).map(|job| job.aggregates.len())
}

/// A QC over the round-1 block signed by `positions` (the aggregate bytes are never looked at before the count).
fn qc_over_round_one(base: &Proposal, positions: &[usize]) -> QuorumCertificate {
    QuorumCertificate {
        epoch: 0,
        round: 1,
        height: 1,
        block_hash: base.block.hash(),
        parent_hash: base.block.header.parent_hash,
        signers: bits(positions),
        aggregate: vec![1; 96],
    }
}

#[test]
fn a_justify_signed_by_fewer_than_a_quorum_is_refused_before_verification() {
    let setup = setup();
    let base = round_one_proposal(&setup);
    let quorum = round_two(&base, Some(qc_over_round_one(&base, &[0, 1, 2])), None);
    assert_eq!(check(&setup, &quorum), Ok(1), "a justify with 3 of 4 signers goes to verification");
    for signers in [&[0usize, 1][..], &[3], &[]] {
        let short = round_two(&base, Some(qc_over_round_one(&base, signers)), None);
        assert_eq!(check(&setup, &short), Err(Refusal::BadCertificate), "a justify signed by {signers:?} of 4");
    }
}

#[test]
fn a_timeout_certificate_signed_by_fewer_than_a_quorum_is_refused_before_verification() {
    let setup = setup();
    let base = round_one_proposal(&setup);
    let tc = |positions: &[usize]| TimeoutCertificate {
        epoch: 0,
        round: 1,
        high_qc: base.block.header.parent_qc.clone(),
        signers: bits(positions),
        aggregate: vec![1; 96],
    };
    assert_eq!(check(&setup, &round_two(&base, None, Some(tc(&[1, 2, 3])))), Ok(1), "a TC of 3 of 4 is checked");
    for signers in [&[1usize, 2][..], &[0]] {
        let p = round_two(&base, None, Some(tc(signers)));
        assert_eq!(check(&setup, &p), Err(Refusal::BadCertificate), "a TC signed by {signers:?} of 4");
    }
}

#[test]
fn only_the_genesis_certificate_may_carry_no_signatures() {
    let setup = setup();
    let base = round_one_proposal(&setup);
    assert!(base.block.header.parent_qc.is_epoch_start());
    assert_eq!(check(&setup, &round_two(&base, None, None)), Ok(0), "the genesis justify needs no verification");
    // A signature-free certificate claiming the round-1 block (or any other) is certified.
    let forged = QuorumCertificate::epoch_start(0, 1, base.block.hash(), base.block.header.parent_hash);
    assert!(forged.is_epoch_start());
    assert_eq!(check(&setup, &round_two(&base, Some(forged), None)), Err(Refusal::BadCertificate));
    let forged_next = QuorumCertificate::epoch_start(1, 1, base.block.hash(), base.block.header.parent_hash);
    assert_eq!(check(&setup, &round_two(&base, Some(forged_next), None)), Err(Refusal::BadCertificate));
}

#[test]
fn an_aggregate_the_node_built_itself_is_verified_before_it_is_used() {
    let setup = setup();
    for scheme in [VoteScheme::Ed25519, VoteScheme::Bls] {
        let backend = cpu_backend(CpuBackendKind::CpuBatch);
        let votes = VoteCrypto::new(scheme, setup.registry.clone(), backend.clone());
        let mut services =
            NodeServices::new(votes, backend, ExecutionState::from_genesis(&[]), Box::new(MemoryStorage::new()));
        let signed = b"vote message A".to_vec();
        let job = |message: &[u8], signers: Vec<u16>| AggregateJob {
            id: 1,
            signatures: [0usize, 1, 2].iter().map(|&i| setup.keys[i].sign_vote(scheme, &signed)).collect(),
            message: message.to_vec(),
            signers,
        };
        let aggregate = |services: &mut NodeServices, job: AggregateJob| services.aggregate(&job).aggregate;
        assert!(aggregate(&mut services, job(&signed, vec![0, 1, 2])).is_ok(), "{scheme:?}: the honest aggregate");
        // The signatures are over another message, or by other signers than the job names: the certificate
        // would not verify at any peer, so it must not be used here either.
        assert!(aggregate(&mut services, job(b"vote message B", vec![0, 1, 2])).is_err(), "{scheme:?}: message");
        assert!(aggregate(&mut services, job(&signed, vec![1, 2, 3])).is_err(), "{scheme:?}: signers");
    }
}
