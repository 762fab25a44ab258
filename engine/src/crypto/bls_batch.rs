//! Randomized same-message BLS batch verification (vote ingestion) with bisection on failure.
//!
//! For signatures `σ_i` by keys `pk_i` on one message `m`, pick random odd 64-bit `r_i` and check
//! `e(g1, Σ r_i σ_i) == e(Σ r_i pk_i, H(m))` with two multi-scalar multiplications and one pairing
//! check, instead of one pairing check per signature. Signatures are decoded and subgroup-checked
//! first — the subgroup checks batched too (`bls_subgroup_batch`) — and undecodable, non-subgroup
//! and identity signatures are `false`. A batch of valid signatures always passes; a batch containing an invalid one passes
//! with probability about 2^-63. On failure the batch is split in halves recursively, and items
//! in small sub-batches are verified singly, so a failing batch never marks a valid item false.
//!
//! A batch of at least `bls_subgroup_batch::BATCH_FROM` decodable signatures first tries one pass
//! ([`one_pass`]): the subgroup rounds' own sums, recombined with random 64-bit weights, stand in for
//! `Σ r_i σ_i`, so the G2 side costs an 18-point multiplication instead of an n-point one. Only when that pass
//! fails (or the batch is small) does the path above run.

use blst::min_pk::{AggregatePublicKey, AggregateSignature, PublicKey, Signature};
use blst::{
    MultiPoint, blst_fp_cneg, blst_p1, blst_p1_affine, blst_p1_to_affine, blst_p2, blst_p2_add_or_double,
    blst_p2_affine, blst_p2_affine_is_inf, blst_p2_to_affine, p2_affines,
};
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

/// Bytes of a combined weight `|w_i| = |Σ_k d_k c_ki| ≤ 18 · 6 · 2^64 < 2^71`.
const COMBINED_WEIGHT_BYTES: usize = 9;

/// Per-item verdicts for signatures over one shared `message`. `parallel` decodes, subgroup-checks and verifies
/// chunks on the rayon pool.
pub(crate) fn verify_same_message(message: &[u8], items: &[BlsItem<'_>], parallel: bool) -> Vec<bool> {
    let signatures: Vec<&[u8]> = items.iter().map(|item| item.signature).collect();
    let mut positions = Vec::with_capacity(items.len());
    let mut keys = Vec::with_capacity(items.len());
    let mut points = Vec::with_capacity(items.len());
    for (i, (item, point)) in items.iter().zip(bls_subgroup_batch::decode_all(&signatures, parallel)).enumerate() {
        // SAFETY: `p` is an initialised affine point.
        if let Some(point) = point.filter(|p| !unsafe { blst_p2_affine_is_inf(p) }) {
            positions.push(i);
            keys.push(*item.public_key.as_blst());
            points.push(point);
        }
    }
    let mut verdicts = vec![false; items.len()];
    let in_g2 = match one_pass(message, &keys, &points, parallel) {
        OnePass::AllValid => {
            positions.into_iter().for_each(|pos| verdicts[pos] = true);
            return verdicts;
        }
        // The rounds passed, so every point is in G2; only the pairing equation needs bisecting.
        OnePass::AllInG2 => vec![true; points.len()],
        OnePass::Undecided => bls_subgroup_batch::subgroup_verdicts(&points, parallel),
    };
    let mut kept_keys = Vec::with_capacity(points.len());
    let mut sigs = Vec::with_capacity(points.len());
    let mut kept_positions = Vec::with_capacity(points.len());
    for (((pos, key), point), ok) in positions.into_iter().zip(keys).zip(points).zip(in_g2) {
        if ok {
            kept_positions.push(pos);
            kept_keys.push(key);
            sigs.push(Signature::from(point));
        }
    }
    let mut ok = vec![false; sigs.len()];
    if parallel {
        let chunk = chunk_len(sigs.len(), PAR_MIN_CHUNK);
        ok.par_chunks_mut(chunk)
            .zip(kept_keys.par_chunks(chunk).zip(sigs.par_chunks(chunk)))
            .for_each(|(out, (keys, sigs))| bisect(message, keys, sigs, out));
    } else {
        bisect(message, &kept_keys, &sigs, &mut ok);
    }
    for (pos, v) in kept_positions.into_iter().zip(ok) {
        verdicts[pos] = v;
    }
    verdicts
}

/// What the one-pass check learned about a batch.
#[derive(Debug, PartialEq, Eq)]
enum OnePass {
    /// Every signature is in G2 and valid.
    AllValid,
    /// Every signature is in G2 (all rounds passed), but the pairing equation failed: some signature is invalid.
    AllInG2,
    /// Nothing: the batch was too small, or a round's sum was outside G2.
    Undecided,
}

/// The common case in one pass: whether every signature is in G2 **and** valid, reusing the subgroup batch's
/// rounds for the pairing equation. With `S_k = Σ_i c_ki σ_i` the rounds' sums (each checked in G2) and fresh
/// random 64-bit `d_k`, it checks `e(g1, Σ_k d_k S_k) == e(Σ_i w_i pk_i, H(m))` with `w_i = Σ_k d_k c_ki` — the
/// randomized batch equation with weights `w_i`, at the cost of an 18-point multiplication in G2 instead of an
/// n-point one. Sound: for signatures off by `Δ_i` (in G2, order r prime), the check passes only if
/// `Σ_k d_k E_k = 0` with `E_k = Σ_i c_ki Δ_i`; some `E_k ≠ 0` except with probability ≤ 13^-18 (each round's
/// coefficients vanish on a nonzero Δ with probability ≤ 1/13, as for the subgroup rounds), and then the random
/// `d_k` hit zero with probability ≤ 2^-64. Never a wrong `AllValid`; when the batch is small, a point is outside
/// G2 or a signature is bad, the caller finds each verdict by bisection, told whether the subgroup rounds passed
/// so that it does not run them again.
fn one_pass(message: &[u8], keys: &[PublicKey], points: &[blst_p2_affine], parallel: bool) -> OnePass {
    if points.len() < bls_subgroup_batch::BATCH_FROM || keys.len() != points.len() {
        return OnePass::Undecided;
    }
    let mut rng = rand::rng();
    let coefficients = bls_subgroup_batch::coefficients(points.len(), bls_subgroup_batch::ROUNDS, &mut rng);
    let d: Vec<u64> = coefficients.iter().map(|_| rng.next_u64()).collect();
    // The key side needs only the coefficients and `d`: on the pool, its sum and its Miller loop run beside the
    // subgroup rounds.
    let key_side = || {
        let mut key = blst_p1_affine::default();
        // SAFETY: an initialised point; the output is a distinct local.
        unsafe { blst_p1_to_affine(&mut key, &weighted_key_sum(keys, &coefficients, &d)) };
        bls_message_point::key_side(message, &key)
    };
    let rounds = || bls_subgroup_batch::sums_in_g2(points, &coefficients, parallel);
    let (sums, key_side) = if parallel { rayon::join(rounds, key_side) } else { (rounds(), key_side()) };
    let Some(sums) = sums else {
        return OnePass::Undecided;
    };
    let signature_side = weighted_g2_sum(&sums, &d, parallel);
    let mut signature = blst_p2_affine::default();
    // SAFETY: an initialised point; the output is a distinct local.
    unsafe { blst_p2_to_affine(&mut signature, &signature_side) };
    if bls_message_point::finish(key_side, &signature) { OnePass::AllValid } else { OnePass::AllInG2 }
}

/// `Σ_k d_k S_k` (64-bit `d_k`); `parallel` splits the multiplication in two halves on the pool.
fn weighted_g2_sum(sums: &[blst_p2], d: &[u64], parallel: bool) -> blst_p2 {
    let product = |sums: &[blst_p2], d: &[u64]| {
        let bytes: Vec<u8> = d.iter().flat_map(|v| v.to_le_bytes()).collect();
        p2_affines::from(sums).mult(&bytes, WEIGHT_BITS)
    };
    if !parallel || sums.len() < 2 {
        return product(sums, d);
    }
    let half = sums.len() / 2;
    let (a, b) = rayon::join(|| product(&sums[..half], &d[..half]), || product(&sums[half..], &d[half..]));
    let mut total = blst_p2::default();
    // SAFETY: initialised points; the output is a distinct local.
    unsafe { blst_p2_add_or_double(&mut total, &a, &b) };
    total
}

/// `Σ_i w_i pk_i` with `w_i = Σ_k d_k c_ki` (signed: a negative weight multiplies the negated key).
fn weighted_key_sum(keys: &[PublicKey], coefficients: &[Vec<i8>], d: &[u64]) -> blst_p1 {
    let mut signed_keys = Vec::with_capacity(keys.len());
    let mut w_bytes = Vec::with_capacity(keys.len() * COMBINED_WEIGHT_BYTES);
    for (i, key) in keys.iter().enumerate() {
        let key: &blst_p1_affine = key.into();
        let w: i128 = coefficients.iter().zip(d).map(|(c, &d)| i128::from(c[i]) * i128::from(d)).sum();
        signed_keys.push(if w < 0 { negate_g1(key) } else { *key });
        w_bytes.extend_from_slice(&w.unsigned_abs().to_le_bytes()[..COMBINED_WEIGHT_BYTES]);
    }
    signed_keys.as_slice().mult(&w_bytes, COMBINED_WEIGHT_BYTES * 8)
}

/// `−P` in G1.
fn negate_g1(point: &blst_p1_affine) -> blst_p1_affine {
    let mut out = *point;
    // SAFETY: initialised field elements; blst allows the output and input to be distinct or equal.
    unsafe { blst_fp_cneg(&mut out.y, &point.y, true) };
    out
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

    /// Batches large enough for the one-pass check (`one_pass`): all good passes it; a wrong message, a wrong
    /// key and a cancelling pair of G2 errors (`σ_a + Δ`, `σ_b − Δ`, which a plain sum accepts) fail it with every
    /// point in G2; a point outside G2 and a cancelling pair of 13-torsion components fail its rounds; and the
    /// verdicts are the one-at-a-time ones either way.
    #[test]
    fn one_pass_batches_accept_good_votes_and_never_bad_ones() {
        use crate::crypto::bls::{bls_sign_uncompressed, bls_verify};
        use crate::crypto::test_points::{add, neg, outside_g2, torsion_13};
        use blst::blst_p2_affine;
        use rand::SeedableRng;
        let seed = 0xb17c_0001;
        eprintln!("bls_batch test seed {seed}");
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = bls_subgroup_batch::BATCH_FROM + 16;
        let sks: Vec<SecretKey> = (0..n).map(|i| SecretKey::key_gen(&[i as u8 ^ 0x5a; 32], &[]).unwrap()).collect();
        let pks: Vec<BlsPublicKey> = sks.iter().map(|s| BlsPublicKey::from_validated(s.sk_to_pk())).collect();
        let good: Vec<Vec<u8>> = sks.iter().map(|s| bls_sign_uncompressed(s, b"m").to_vec()).collect();
        let point = |s: &[u8]| blst_p2_affine::from(Signature::deserialize(s).unwrap());
        let encode = |p: &blst_p2_affine| Signature::from(*p).serialize().to_vec();
        let delta = point(&bls_sign_uncompressed(&sks[0], b"delta"));
        let torsion = torsion_13(&mut rng);
        type Changes = Vec<(usize, Vec<u8>)>;
        let cases: Vec<(&str, Changes, OnePass)> = vec![
            ("all good", vec![], OnePass::AllValid),
            ("wrong message", vec![(5, bls_sign_uncompressed(&sks[5], b"other").to_vec())], OnePass::AllInG2),
            ("wrong key", vec![(9, good[10].clone())], OnePass::AllInG2),
            ("outside G2", vec![(12, encode(&outside_g2(&mut rng)))], OnePass::Undecided),
            (
                "cancelling G2 pair",
                vec![
                    (20, encode(&add(&point(&good[20]), &delta))),
                    (33, encode(&add(&point(&good[33]), &neg(&delta)))),
                ],
                OnePass::AllInG2,
            ),
            (
                "cancelling torsion pair",
                vec![
                    (40, encode(&add(&point(&good[40]), &torsion))),
                    (41, encode(&add(&point(&good[41]), &neg(&torsion)))),
                ],
                OnePass::Undecided,
            ),
        ];
        for (what, changes, pass) in cases {
            let mut sigs = good.clone();
            for (at, sig) in &changes {
                sigs[*at] = sig.clone();
            }
            let keys: Vec<PublicKey> = pks.iter().map(|k| *k.as_blst()).collect();
            let points: Vec<blst_p2_affine> = sigs.iter().map(|s| point(s)).collect();
            for _ in 0..8 {
                let got = one_pass(b"m", &keys, &points, false);
                assert_eq!(got == OnePass::AllValid, changes.is_empty(), "{what}");
                assert_eq!(got, pass, "{what}");
            }
            let items: Vec<BlsItem<'_>> =
                pks.iter().zip(&sigs).map(|(k, s)| BlsItem { public_key: k, signature: s }).collect();
            let expected: Vec<bool> = items.iter().map(|it| bls_verify(b"m", it.public_key, it.signature)).collect();
            assert_eq!(expected.iter().filter(|v| !**v).count(), changes.len(), "{what}");
            for parallel in [false, true] {
                assert_eq!(verify_same_message(b"m", &items, parallel), expected, "{what} parallel {parallel}");
            }
        }
    }
}
