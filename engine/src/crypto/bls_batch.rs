//! Randomized same-message BLS batch verification (vote ingestion) with bisection on failure.
//!
//! For signatures `σ_i` by keys `pk_i` on one message `m`, pick random odd 64-bit `r_i` and check
//! `e(g1, Σ r_i σ_i) == e(Σ r_i pk_i, H(m))` with two multi-scalar multiplications and one pairing
//! check, instead of one pairing check per signature. Signatures are decoded and subgroup-checked
//! first — the subgroup checks batched too (`bls_subgroup_batch`) — and undecodable, non-subgroup
//! and identity signatures are `false`. A batch of valid signatures always passes; a batch containing an invalid one passes
//! with probability about 2^-63. On failure the batch is split in halves recursively, and items
//! in small sub-batches are verified singly, so a failing batch never marks a valid item false.

use blst::blst_p2_affine_is_inf;
use blst::min_pk::{AggregatePublicKey, AggregateSignature, PublicKey, Signature};
use rand::Rng;
use rayon::prelude::*;

use super::backend::BlsItem;
use super::{bls_message_point, bls_subgroup_batch};
use crate::parallel::chunk_len;

/// Smallest pairing chunk a parallel call hands to one thread: each chunk pays one pairing check (~1 ms).
const PAR_MIN_CHUNK: usize = 8;

/// Sub-batches with fewer items are verified one by one. Two votes are batched: one pairing check instead of two
/// when both are good (the common case — a leader of a 4-validator committee gets its quorum's votes one and two at
/// a time), three instead of two when one is bad.
pub(crate) const SINGLE_BELOW: usize = 2;

/// Bits of each random weight.
const WEIGHT_BITS: usize = 64;

/// Per-item verdicts for signatures over one shared `message`. `parallel` decodes, subgroup-checks and verifies
/// chunks on the rayon pool.
pub(crate) fn verify_same_message(message: &[u8], items: &[BlsItem<'_>], parallel: bool) -> Vec<bool> {
    let mut verdicts = vec![false; items.len()];
    let mut keys = Vec::with_capacity(items.len());
    let mut sigs = Vec::with_capacity(items.len());
    let mut positions = Vec::with_capacity(items.len());
    let signatures: Vec<&[u8]> = items.iter().map(|item| item.signature).collect();
    let decoded = bls_subgroup_batch::decode_in_g2(&signatures, parallel);
    for (i, (item, point)) in items.iter().zip(decoded).enumerate() {
        // SAFETY: `p` is an initialised affine point.
        if let Some(point) = point.filter(|p| !unsafe { blst_p2_affine_is_inf(p) }) {
            keys.push(*item.public_key.as_blst());
            sigs.push(Signature::from(point));
            positions.push(i);
        }
    }
    let mut ok = vec![false; sigs.len()];
    if parallel {
        let chunk = chunk_len(sigs.len(), PAR_MIN_CHUNK);
        ok.par_chunks_mut(chunk)
            .zip(keys.par_chunks(chunk).zip(sigs.par_chunks(chunk)))
            .for_each(|(out, (keys, sigs))| bisect(message, keys, sigs, out));
    } else {
        bisect(message, &keys, &sigs, &mut ok);
    }
    for (pos, v) in positions.into_iter().zip(ok) {
        verdicts[pos] = v;
    }
    verdicts
}

/// Fills `out` with the verdict of each (key, signature) pair.
fn bisect(message: &[u8], keys: &[PublicKey], sigs: &[Signature], out: &mut [bool]) {
    if sigs.len() < SINGLE_BELOW {
        for ((o, key), sig) in out.iter_mut().zip(keys).zip(sigs) {
            *o = bls_message_point::verify(message, key, sig);
        }
        return;
    }
    if randomized_batch_holds(message, keys, sigs) {
        out.fill(true);
        return;
    }
    let mid = sigs.len() / 2;
    let (out_left, out_right) = out.split_at_mut(mid);
    bisect(message, &keys[..mid], &sigs[..mid], out_left);
    bisect(message, &keys[mid..], &sigs[mid..], out_right);
}

/// `e(g1, Σ r_i σ_i) == e(Σ r_i pk_i, H(m))` with fresh random odd 64-bit `r_i`.
pub(crate) fn randomized_batch_holds(message: &[u8], keys: &[PublicKey], sigs: &[Signature]) -> bool {
    if sigs.is_empty() || keys.len() != sigs.len() {
        return false;
    }
    let mut rng = rand::rng();
    let mut weights = Vec::with_capacity(sigs.len() * WEIGHT_BITS / 8);
    for _ in sigs {
        weights.extend_from_slice(&(rng.next_u64() | 1).to_le_bytes());
    }
    let Ok(agg_sig) = AggregateSignature::aggregate_with_randomness(sigs, &weights, WEIGHT_BITS, false) else {
        return false;
    };
    let Ok(agg_pk) = AggregatePublicKey::aggregate_with_randomness(keys, &weights, WEIGHT_BITS, false) else {
        return false;
    };
    bls_message_point::verify(message, &agg_pk.to_public_key(), &agg_sig.to_signature())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::bls::{BlsPublicKey, bls_sign};
    use blst::min_pk::SecretKey;

    #[test]
    fn batch_with_bad_items_gives_per_item_verdicts() {
        let sks: Vec<SecretKey> = (0..9u8).map(|i| SecretKey::key_gen(&[i + 10; 32], &[]).unwrap()).collect();
        let pks: Vec<BlsPublicKey> = sks.iter().map(|s| BlsPublicKey::from_validated(s.sk_to_pk())).collect();
        let mut sigs: Vec<Vec<u8>> = sks.iter().map(|s| bls_sign(s, b"m").to_vec()).collect();
        let items = |sigs: &[Vec<u8>]| -> Vec<bool> {
            let items: Vec<BlsItem<'_>> =
                pks.iter().zip(sigs).map(|(k, s)| BlsItem { public_key: k, signature: s }).collect();
            verify_same_message(b"m", &items, false)
        };
        assert!(items(&sigs).iter().all(|&v| v));
        sigs[2] = bls_sign(&sks[2], b"other").to_vec(); // wrong message
        sigs[5].truncate(40); // undecodable
        sigs[7] = bls_sign(&sks[0], b"m").to_vec(); // wrong key
        let v = items(&sigs);
        for (i, ok) in v.iter().enumerate() {
            assert_eq!(*ok, ![2, 5, 7].contains(&i), "item {i}");
        }
        assert!(verify_same_message(b"m", &[], false).is_empty());
    }

    #[test]
    fn two_votes_are_batched_and_still_judged_one_by_one() {
        let sks: Vec<SecretKey> = (0..2u8).map(|i| SecretKey::key_gen(&[i + 40; 32], &[]).unwrap()).collect();
        let pks: Vec<BlsPublicKey> = sks.iter().map(|s| BlsPublicKey::from_validated(s.sk_to_pk())).collect();
        let good: Vec<Vec<u8>> = sks.iter().map(|s| bls_sign(s, b"m").to_vec()).collect();
        let bad: Vec<Vec<u8>> = sks.iter().map(|s| bls_sign(s, b"other").to_vec()).collect();
        for pattern in [[true, true], [true, false], [false, true], [false, false]] {
            let sigs: Vec<&Vec<u8>> = (0..2).map(|i| if pattern[i] { &good[i] } else { &bad[i] }).collect();
            let items: Vec<BlsItem<'_>> =
                pks.iter().zip(&sigs).map(|(k, s)| BlsItem { public_key: k, signature: s }).collect();
            assert_eq!(verify_same_message(b"m", &items, false), pattern.to_vec(), "{pattern:?}");
        }
    }
}
