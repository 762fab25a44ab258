//! Signed Ed25519 batches for the GPU tests: all valid ([`signed_batch`]) or with every few items broken in a
//! different way ([`mixed_batch`]), so verdicts are a mix of accepted, equation-failed and host-rejected.

use ed25519_dalek::{Signer, SigningKey};

/// One owned item: public key, message, signature.
#[allow(dead_code)]
pub type Owned = ([u8; 32], Vec<u8>, [u8; 64]);

/// `n` valid items, deterministic (seeded by the index).
#[allow(dead_code)]
pub fn signed_batch(n: usize) -> Vec<Owned> {
    (0..n)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            seed[8] = 0x5a;
            let key = SigningKey::from_bytes(&seed);
            let msg = format!("hsbench gpu message {i}").into_bytes();
            let sig = key.sign(&msg).to_bytes();
            (key.verifying_key().to_bytes(), msg, sig)
        })
        .collect()
}

/// `n` items of which every 3rd has a changed message (equation fails on the GPU), every 7th an `S ≥ L`
/// (rejected by the host) and every 11th a flipped `R` byte; `offset` shifts the pattern so that concurrent
/// callers send different batches.
#[allow(dead_code)]
pub fn mixed_batch(n: usize, offset: usize) -> Vec<Owned> {
    let mut batch = signed_batch(n);
    for (i, item) in batch.iter_mut().enumerate() {
        let k = i + offset;
        if k.is_multiple_of(3) {
            item.1.push(b'!');
        }
        if k.is_multiple_of(7) {
            item.2[63] = 0xff;
        }
        if k.is_multiple_of(11) {
            item.2[5] ^= 0x20;
        }
    }
    batch
}
