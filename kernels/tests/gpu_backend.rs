//! The `gpu` backend behind `VerifyBackend`: same verdicts as `cpu-batch`, Ed25519 really dispatched to
//! the adapter (the GPU item counter moves, nothing fell back to the CPU), BLS delegated to `cpu-batch`
//! and said so. Skips (printing why) when there is no adapter, except under `CI=true`, where that fails
//! (`common::gpu_or_skip`).

use hsbench_engine::crypto::{
    BlsItem, CpuBackendKind, Ed25519Item, ValidatorKeyPair, VerifyBackend, VoteScheme, cpu_backend, ed25519_public,
    ed25519_sign, ed25519_signing_key_from_seed,
};
use hsbench_kernels::{GpuBackend, GpuBackendConfig};

mod common;

/// The gpu backend, or `None` (skip) without an adapter outside CI ([`common::gpu_or_skip`]).
fn backend(in_flight: usize) -> Option<GpuBackend> {
    common::gpu_or_skip(
        "gpu backend creation",
        GpuBackend::new(&GpuBackendConfig { batch: 4, in_flight, adapter: None, kernel: Default::default() }),
    )
}

#[test]
fn gpu_backend_dispatches_to_the_gpu_and_matches_cpu_batch() {
    let Some(gpu) = backend(2) else { return };
    println!("{}", gpu.description());
    assert_eq!(gpu.name(), "gpu");
    assert!(gpu.description().contains("BLS on cpu-batch"), "{}", gpu.description());

    let owned: Vec<([u8; 32], Vec<u8>, [u8; 64])> = (0..11u8)
        .map(|i| {
            let key = ed25519_signing_key_from_seed([i; 32]);
            let msg = vec![i; 1 + i as usize];
            let mut sig = ed25519_sign(&key, &msg);
            if i == 3 {
                sig[0] ^= 1; // equation fails on the GPU
            }
            if i == 8 {
                sig[63] = 0xff; // S ≥ L: rejected by the host, never dispatched
            }
            (ed25519_public(&key), msg, sig)
        })
        .collect();
    let items: Vec<Ed25519Item<'_>> =
        owned.iter().map(|(pk, m, s)| Ed25519Item { public_key: pk, message: m, signature: s }).collect();
    let expected = cpu_backend(CpuBackendKind::CpuBatch).verify_ed25519_batch(&items);
    assert_eq!(expected.iter().filter(|&&v| !v).count(), 2);
    assert_eq!(gpu.verify_ed25519_batch(&items), expected);
    assert!(gpu.verify_ed25519_batch(&[]).is_empty());

    let stats = gpu.stats();
    println!("{stats:?}");
    assert_eq!(stats.cpu_fallback_items, 0, "GPU dispatch failed and fell back to the CPU: {:?}", stats.last_error);
    assert_eq!(stats.gpu_items, 10, "the GPU verified the 10 well-formed items");
    assert_eq!(stats.host_rejected_items, 1);
    assert_eq!(stats.gpu_dispatches, 3, "batch 4: 11 items in 3 dispatches");

    // BLS: delegated to cpu-batch, counted.
    let keys: Vec<ValidatorKeyPair> = (0..3u8).map(|i| ValidatorKeyPair::from_seed([i; 32])).collect();
    let pks: Vec<_> = keys
        .iter()
        .map(|k| hsbench_engine::crypto::BlsPublicKey::from_bytes_without_pop(&k.public().bls).unwrap())
        .collect();
    let sigs: Vec<Vec<u8>> = keys.iter().map(|k| k.sign_vote(VoteScheme::Bls, b"m")).collect();
    let bls: Vec<BlsItem<'_>> = pks.iter().zip(&sigs).map(|(pk, s)| BlsItem { public_key: pk, signature: s }).collect();
    assert_eq!(gpu.verify_bls_same_message(b"m", &bls), vec![true; 3]);
    assert_eq!(gpu.stats().bls_cpu_items, 3);
    gpu.reset_stats();
    assert_eq!(gpu.stats().gpu_items, 0);
}
