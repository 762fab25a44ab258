//! The device's challenge (`wgsl_gen/challenge.rs`: SHA-512, Barrett reduction mod L, signed radix-16 digits)
//! against the host's (`sha2` + dalek's `from_bytes_mod_order_wide` + `radix16`), word for word: every message
//! length the device hashes (0 to 192 bytes: one, two and three SHA-512 blocks and each padding boundary), random
//! keys and signatures, and items whose message is too long for the device (their host digits pass through).

use super::host::{prepare, prepare_for_device_hash};
use super::wgsl_gen::challenge::MAX_DEVICE_MESSAGE;
use super::wgsl_gen::entry::{Challenge, DEVICE_HASH_ITEM_WORDS, HEAD_WORDS, ITEM_WORDS, challenge_test_shader};
use crate::gpu::Kernel;
use crate::testutil::{Rng, test_gpu};

#[test]
fn the_device_challenge_matches_the_host_for_every_message_length() {
    let Some(gpu) = test_gpu() else { return };
    let seed = 0x5eed_c0de_u64;
    println!("seed {seed:#x}");
    let mut rng = Rng(seed);
    // A and R: the base point's encoding (canonical), so the host's byte checks pass; S: small (< L).
    let mut a = [0u8; 32];
    a[0] = 0x58;
    a[1..].fill(0x66);
    let mut items = Vec::new();
    let lengths = (0..=MAX_DEVICE_MESSAGE).chain([MAX_DEVICE_MESSAGE + 1, 300, 1000]);
    for len in lengths {
        let mut message = vec![0u8; len];
        rng.fill(&mut message);
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&a);
        signature[32..48].copy_from_slice(&rng.bytes::<16>());
        let mut key = a;
        key[..8].copy_from_slice(&rng.bytes::<8>()[..]);
        key[31] &= 0x7f;
        items.push((key, message, signature));
    }
    let mut input = Vec::with_capacity(items.len() * DEVICE_HASH_ITEM_WORDS);
    let mut want = Vec::with_capacity(items.len() * 16);
    for (key, message, signature) in &items {
        let host = prepare(key, message, signature).expect("canonical test item");
        want.extend_from_slice(&host[HEAD_WORDS..ITEM_WORDS]);
        input.extend_from_slice(&prepare_for_device_hash(key, message, signature).expect("canonical test item"));
    }
    let kernel = Kernel::new(
        &gpu,
        "challenge test",
        &challenge_test_shader(8),
        "challenge_test",
        8,
        Some(&Challenge::Device.table()),
        DEVICE_HASH_ITEM_WORDS as u32,
        16,
    )
    .unwrap();
    let (got, timing) = kernel.run(&gpu, &input, items.len() as u32).unwrap();
    println!("challenge kernel: {timing:?}");
    for (i, (g, w)) in got.chunks_exact(16).zip(want.chunks_exact(16)).enumerate() {
        assert_eq!(g, w, "item {i}: message of {} bytes (seed {seed:#x})", items[i].1.len());
    }
}
