//! BLS work stays on the thread that asks for it. A pinned stage's busy time is the CPU the
//! stage used only if its crypto runs on the stage's own thread: blst's Rust binding, unless
//! built with `no-threads`, hands half of every pairing check (and large multi-scalar
//! multiplications) to a process-wide pool of one unpinned thread per core, whose CPU no stage
//! counts. This binary holds one test so that no other test starts threads while it counts.
//!
//! `cpu-par` is left out on purpose: it spreads work over rayon's pool by design.

#![cfg(target_os = "linux")]

use std::sync::Arc;

use hsbench_engine::crypto::{CpuBackendKind, KeyRegistry, ValidatorKeyPair, VoteCrypto, VoteScheme, cpu_backend};

/// Threads of this process now.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map(|dir| dir.count()).unwrap_or(0)
}

#[test]
fn bls_registration_votes_and_certificates_start_no_thread() {
    let before = threads();
    assert!(before > 0, "/proc/self/task is readable");
    let keys: Vec<ValidatorKeyPair> = (0..16u8).map(|i| ValidatorKeyPair::from_seed([i + 1; 32])).collect();
    let mut registry = KeyRegistry::new();
    for (i, k) in keys.iter().enumerate() {
        registry.register(i as u16, &k.public()).expect("a valid key registers"); // proof of possession checked
    }
    let registry = Arc::new(registry);
    let message = b"vote: height 3 round 1";
    let signatures: Vec<Vec<u8>> = keys.iter().map(|k| k.sign_vote(VoteScheme::Bls, message)).collect();
    let mut votes: Vec<(u16, &[u8])> = signatures.iter().enumerate().map(|(i, s)| (i as u16, s.as_slice())).collect();
    let wrong = keys[0].sign_vote(VoteScheme::Bls, b"another message");
    votes[5].1 = &wrong; // one bad vote: the batch fails and bisects
    for kind in [CpuBackendKind::Cpu, CpuBackendKind::CpuBatch] {
        let crypto = VoteCrypto::new(VoteScheme::Bls, registry.clone(), cpu_backend(kind));
        let verdicts = crypto.verify_votes(message, &votes);
        assert_eq!(verdicts.iter().filter(|&&ok| !ok).count(), 1, "{kind}: only the bad vote fails");
        let good: Vec<&[u8]> = signatures.iter().map(|s| s.as_slice()).collect();
        let aggregate = crypto.aggregate(&good).expect("aggregate of valid votes");
        let signers: Vec<u16> = (0..16).collect();
        assert!(crypto.verify_aggregate(message, &signers, &aggregate), "{kind}: the certificate verifies");
    }
    assert_eq!(
        threads(),
        before,
        "BLS work started threads: it ran off the calling thread, outside any stage's busy time"
    );
}
