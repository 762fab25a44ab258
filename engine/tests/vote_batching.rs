//! Vote signatures verified in batches — grouped by the message they sign, one same-message batch per group —
//! give exactly the verdicts of checking each signature alone: on corpora mixing good votes, bad signatures,
//! votes claimed by another signer, duplicates, unknown signers, malformed lengths and other messages.

mod common;

use common::config;
use hsbench_engine::crypto::VoteScheme;
use hsbench_engine::protocol::work::{VerifyJob, VoteCheck};
use hsbench_engine::runtime::{ChainSetup, NodeServices};
use hsbench_engine::storage::MemoryStorage;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn services(scheme: VoteScheme) -> (ChainSetup, NodeServices) {
    let mut cfg = config(7, 9);
    cfg.chain.vote_scheme = scheme;
    let setup = ChainSetup::new(&cfg.chain).expect("setup");
    let (_, services) = setup.build_node(&cfg.chain, 0, Box::new(MemoryStorage::new())).expect("node");
    (setup, services)
}

/// A corpus of vote checks over three messages, every kind of bad vote among them, in a seeded random order.
fn corpus(setup: &ChainSetup, scheme: VoteScheme, rng: &mut ChaCha8Rng) -> Vec<VoteCheck> {
    let messages: Vec<Vec<u8>> = (0..3u8).map(|m| vec![m; 40]).collect();
    let mut checks = Vec::new();
    for message in &messages {
        for signer in 0..7u16 {
            let signature = setup.keys[usize::from(signer)].sign_vote(scheme, message);
            checks.push(VoteCheck { message: message.clone(), signer, signature: signature.clone() });
            match rng.random_range(0..6) {
                // The same vote twice.
                0 => checks.push(VoteCheck { message: message.clone(), signer, signature }),
                // A flipped bit.
                1 => {
                    let mut bad = signature;
                    let at = rng.random_range(0..bad.len());
                    bad[at] ^= 1 << rng.random_range(0..8);
                    checks.push(VoteCheck { message: message.clone(), signer, signature: bad });
                }
                // Signed by this validator, claimed by the next one.
                2 => checks.push(VoteCheck { message: message.clone(), signer: (signer + 1) % 7, signature }),
                // A signature over another of the messages.
                3 => checks.push(VoteCheck {
                    message: messages[(usize::from(signer) + 1) % 3].clone(),
                    signer,
                    signature,
                }),
                // No such validator; a truncated signature.
                4 => checks.push(VoteCheck { message: message.clone(), signer: 99, signature }),
                _ => checks.push(VoteCheck { message: message.clone(), signer, signature: signature[1..].to_vec() }),
            }
        }
    }
    for i in (1..checks.len()).rev() {
        checks.swap(i, rng.random_range(0..=i));
    }
    checks
}

#[test]
fn batched_vote_verdicts_equal_one_by_one_verdicts() {
    for scheme in [VoteScheme::Bls, VoteScheme::Ed25519] {
        for seed in 0..6u64 {
            let (setup, services) = services(scheme);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let checks = corpus(&setup, scheme, &mut rng);
            let alone: Vec<bool> = checks
                .iter()
                .map(|c| services.verify(&VerifyJob { votes: vec![c.clone()], ..Default::default() }).votes[0])
                .collect();
            assert!(alone.iter().any(|&ok| ok) && alone.iter().any(|&ok| !ok), "{scheme:?} seed {seed}: mixed corpus");
            // The same checks split over jobs of random sizes, verified together.
            let mut jobs = Vec::new();
            let mut rest = checks.as_slice();
            while !rest.is_empty() {
                let take = rng.random_range(1..=rest.len().min(9));
                jobs.push(VerifyJob { id: jobs.len() as u64, votes: rest[..take].to_vec(), ..Default::default() });
                rest = &rest[take..];
            }
            let batched: Vec<bool> = services.verify_many(&jobs).into_iter().flat_map(|v| v.votes).collect();
            assert_eq!(batched, alone, "{scheme:?} seed {seed}: batched verdicts differ from one-by-one");
        }
    }
}
