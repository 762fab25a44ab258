//! Host side of a verification: the byte-level parts of the rule (canonical `A`/`R` encodings,
//! `S < L`), the challenge `k = SHA-512(R ‖ A ‖ M) mod L`, and the signed radix-16 digits of `S`
//! and `k` packed as the shader's item words.

use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

use super::wgsl_gen::challenge::{HOST_HASHED, MAX_DEVICE_MESSAGE};
use super::wgsl_gen::entry::{DEVICE_HASH_ITEM_WORDS, HEAD_WORDS, ITEM_WORDS, MSG_AT};

/// The rule's byte-level canonical-encoding check, shared with every CPU backend (one predicate).
pub(crate) use hsbench_engine::crypto::is_canonical_point_encoding;

/// Signed radix-16 digits of a scalar `< 2^255` (here always `< L`): 64 digits in `[-8, 8]`
/// with `a = Σ d_i 16^i`.
pub(crate) fn radix16(bytes: &[u8; 32]) -> [i8; 64] {
    let mut d = [0i8; 64];
    for (i, &b) in bytes.iter().enumerate() {
        d[2 * i] = (b & 15) as i8;
        d[2 * i + 1] = (b >> 4) as i8;
    }
    for i in 0..63 {
        let carry = (d[i] + 8) >> 4;
        d[i] -= carry << 4;
        d[i + 1] += carry;
    }
    d
}

/// Packs 64 digits, four per word (two's-complement bytes, little-endian).
fn pack_digits(d: &[i8; 64], out: &mut [u32]) {
    for (w, chunk) in out.iter_mut().zip(d.chunks_exact(4)) {
        *w = u32::from_le_bytes([chunk[0] as u8, chunk[1] as u8, chunk[2] as u8, chunk[3] as u8]);
    }
}

/// Packs bytes four per word (little-endian), the last word zero-padded.
fn push_bytes(b: &[u8], out: &mut [u32]) {
    for (w, c) in out.iter_mut().zip(b.chunks(4)) {
        let mut word = [0u8; 4];
        word[..c.len()].copy_from_slice(c);
        *w = u32::from_le_bytes(word);
    }
}

/// The words both item layouts start with ([`HEAD_WORDS`]): `A` and `R` encodings, `s`'s digits.
fn push_head(a: &[u8; 32], r: &[u8; 32], s: &[u8; 32], out: &mut [u32]) {
    push_bytes(a, &mut out[0..8]);
    push_bytes(r, &mut out[8..16]);
    pack_digits(&radix16(s), &mut out[16..HEAD_WORDS]);
}

/// The shader's item words for `A` and `R` encodings and scalars `s`, `k` (`< 2^255`).
pub(crate) fn item_words(a: &[u8; 32], r: &[u8; 32], s: &[u8; 32], k: &[u8; 32]) -> [u32; ITEM_WORDS] {
    let mut w = [0u32; ITEM_WORDS];
    push_head(a, r, s, &mut w);
    pack_digits(&radix16(k), &mut w[HEAD_WORDS..]);
    w
}

/// Rule step 1: `None` when the rule rejects the item on its bytes (`S ≥ L`, non-canonical `A` or `R`), else
/// `R` and `S`.
fn byte_checked(public_key: &[u8; 32], signature: &[u8; 64]) -> Option<([u8; 32], [u8; 32])> {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&signature[..32]);
    s.copy_from_slice(&signature[32..]);
    Option::<Scalar>::from(Scalar::from_canonical_bytes(s))?;
    if !is_canonical_point_encoding(public_key) || !is_canonical_point_encoding(&r) {
        return None;
    }
    Some((r, s))
}

/// The challenge `k = SHA-512(R ‖ A ‖ M) mod L`.
fn challenge(r: &[u8; 32], public_key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut h = Sha512::new();
    h.update(r);
    h.update(public_key);
    h.update(message);
    let digest: [u8; 64] = h.finalize().into();
    Scalar::from_bytes_mod_order_wide(&digest).to_bytes()
}

/// Rule step 1 and the challenge: `None` when the rule rejects the item on its bytes (`S ≥ L`,
/// non-canonical `A` or `R`), else the item words for the GPU.
pub(crate) fn prepare(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Option<[u32; ITEM_WORDS]> {
    let (r, s) = byte_checked(public_key, signature)?;
    Some(item_words(public_key, &r, &s, &challenge(&r, public_key, message)))
}

/// Rule step 1 for the kernel that computes `k` itself: `None` when the rule rejects the item on its bytes, else
/// the item words — `A`, `R`, `S`'s digits, then the message length and the message (little-endian words, zero
/// padded), or, for a message longer than [`MAX_DEVICE_MESSAGE`], [`HOST_HASHED`] and `k`'s digits from the host.
pub(crate) fn prepare_for_device_hash(
    public_key: &[u8; 32],
    message: &[u8],
    signature: &[u8; 64],
) -> Option<[u32; DEVICE_HASH_ITEM_WORDS]> {
    let (r, s) = byte_checked(public_key, signature)?;
    let mut w = [0u32; DEVICE_HASH_ITEM_WORDS];
    push_head(public_key, &r, &s, &mut w);
    if message.len() <= MAX_DEVICE_MESSAGE {
        w[HEAD_WORDS] = message.len() as u32; // ≤ 192
        push_bytes(message, &mut w[MSG_AT..]);
    } else {
        w[HEAD_WORDS] = HOST_HASHED;
        pack_digits(&radix16(&challenge(&r, public_key, message)), &mut w[MSG_AT..MSG_AT + 16]);
    }
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix16_recomposes() {
        let mut b = [0u8; 32];
        for (i, x) in b.iter_mut().enumerate() {
            *x = (i as u8).wrapping_mul(97).wrapping_add(200);
        }
        b[31] &= 0x1f;
        let d = radix16(&b);
        assert!(d.iter().all(|&x| (-8..=8).contains(&x)));
        // Σ d_i 16^i == b, checked with Scalar arithmetic (b < 2^253 < L·… fits; reduce both).
        let sixteen = Scalar::from(16u64);
        let mut acc = Scalar::ZERO;
        for &x in d.iter().rev() {
            acc = acc * sixteen + if x < 0 { -Scalar::from(x.unsigned_abs() as u64) } else { Scalar::from(x as u64) };
        }
        assert_eq!(acc, Scalar::from_bytes_mod_order(b));
    }
}
