//! Batched randomized G2 subgroup checks, sound against the small factors of the G2 cofactor.
//!
//! The textbook batch — one combination `Σ r_i P_i` with long random `r_i`, checked once — is **not** sound
//! on BLS12-381's G2: the cofactor of G2 in `E'(Fp2)` is `13² · 23² · 2713 · 11953 · 262069 · q` (q a 448-bit
//! prime), so a point may carry a component of order 13, and such a component only sees `r_i mod 13`. Two
//! byzantine signatures carrying `T` and `−T` (T of order 13) cancel whenever `r_1 ≡ r_2 (mod 13)`: about one
//! batch in 13 would accept both, however long the weights are.
//!
//! What is sound instead (the shape of eprint 2025/1311 and of commonware's G1 batch): each round draws every
//! point a coefficient uniform in `-6..=6` and checks `Σ c_i P_i` with blst's exact endomorphism test
//! (Scott, eprint 2021/1130). Every non-identity element of the cofactor group has order ≥ 13, so for a point
//! outside G2 the thirteen multiples `c · T` are distinct (their differences are below 13) and at most one of them cancels the rest of the sum:
//! a round misses with probability ≤ 1/13, and [`ROUNDS`] independent rounds with ≤ 13^-18 < 2^-66.
//!
//! A round costs one pass of additions over the points (six buckets, a negative coefficient adding the negated
//! point; the buckets of several rounds summed together by batch-affine addition with one inversion per layer,
//! [`affine_buckets`]; then `Σ c · B_c` by running sums) plus one exact check, so a batch of n points costs about
//! `18 n` additions and 18 checks against n checks one at a time: it pays only once n is large, and never
//! more than the ratio of one exact check to 18 additions (measured in `hsbench crypto`, row
//! `g2-subgroup-check`). Batches below [`BATCH_FROM`] points are checked one at a time; a failing batch is split
//! in halves, so every point gets its own verdict and a valid point is never judged by a bad neighbour.

use blst::{
    blst_fp2_cneg, blst_p2, blst_p2_add_or_double, blst_p2_add_or_double_affine, blst_p2_affine, blst_p2_affine_in_g2,
    blst_p2_in_g2,
};
use rand::{Rng, RngExt};
use rayon::prelude::*;

use super::bls::{WHAT_SIG, decode_signature_unchecked};
use crate::parallel::chunk_len;

mod affine_buckets;

/// Coefficients are drawn uniformly from `-HALF_SPAN..=HALF_SPAN`: thirteen values whose differences are at most
/// 12, below 13 — the smallest prime factor of the G2 cofactor — so the multiples `c · T` of any point `T` of the
/// cofactor group are distinct. Signed, a point with a negative coefficient goes into bucket `|c|` negated: six
/// buckets instead of twelve, half the bucket sums and running sums per round.
const HALF_SPAN: i8 = 6;

/// Rounds are summed together until their points reach this many (≈ 200 KB of affine points): enough to share
/// each layer's inversion widely, few enough to stay in a core's L2 cache (all 18 rounds of 1,024 points at once,
/// 3.3 MB, ran slower than blst's bucket-by-bucket sums).
const GROUP_POINTS: usize = 512;

/// Shares of the rounds per pool thread: more than one, so that other work joined beside the rounds (the vote
/// batch's key side) can even out between threads.
const PAR_SHARES_PER_THREAD: usize = 3;

/// Independent rounds per batch: a batch holding a point outside G2 passes all of them with probability at
/// most `13^-18 < 2^-66`.
pub(crate) const ROUNDS: usize = 18;

/// Batches of fewer points are checked one at a time: 18 rounds of additions plus 18 exact checks cost more than
/// that many single checks below this size. Crossover measured with `hsbench crypto --ops
/// g2-subgroup-check,vote-ingestion --batch-sizes 16,24,32,48,64` on the Zen 5 (session 22, batch-affine buckets):
/// one at a time 35 µs a point; batched 62 µs at 16, 36 at 32, 27 at 48, 23 at 64 (it was 64 with blst's
/// per-bucket sums). 32 also lets a 64-member committee's 43-vote quorum batch through.
pub(crate) const BATCH_FROM: usize = 32;

/// Decodes each signature, compressed or not (on the curve, not yet checked), and keeps those in G2: `None` for bytes
/// that do not decode and for points outside G2 — per item what `decode + subgroup_check` gives one at a time.
/// `parallel` decodes and runs the rounds on the rayon pool.
pub(crate) fn decode_in_g2(signatures: &[&[u8]], parallel: bool) -> Vec<Option<blst_p2_affine>> {
    let decoded = decode_all(signatures, parallel);
    let points: Vec<blst_p2_affine> = decoded.iter().flatten().copied().collect();
    let mut verdicts = subgroup_verdicts(&points, parallel).into_iter();
    decoded.into_iter().map(|d| d.filter(|_| verdicts.next().unwrap_or(false))).collect()
}

/// Decodes each signature (on the curve, not yet checked for G2): `None` for bytes that do not decode. `parallel`
/// decodes on the rayon pool.
pub(crate) fn decode_all(signatures: &[&[u8]], parallel: bool) -> Vec<Option<blst_p2_affine>> {
    let decode = |s: &&[u8]| decode_signature_unchecked(s, WHAT_SIG).ok().map(blst_p2_affine::from);
    if parallel { signatures.par_iter().map(decode).collect() } else { signatures.iter().map(decode).collect() }
}

/// Per-point G2 subgroup verdicts for decoded (on-curve) points — identical to `blst_p2_affine_in_g2` on each
/// point, the identity included (it is in the subgroup). `parallel` runs a batch's rounds on the rayon pool.
pub(crate) fn subgroup_verdicts(points: &[blst_p2_affine], parallel: bool) -> Vec<bool> {
    subgroup_verdicts_with(points, parallel, &mut rand::rng())
}

/// [`subgroup_verdicts`] drawing its coefficients from `rng` (tests pass a seeded one).
pub(crate) fn subgroup_verdicts_with(points: &[blst_p2_affine], parallel: bool, rng: &mut impl Rng) -> Vec<bool> {
    let mut out = vec![false; points.len()];
    bisect(points, parallel, rng, &mut out);
    out
}

fn bisect(points: &[blst_p2_affine], parallel: bool, rng: &mut impl Rng, out: &mut [bool]) {
    if points.len() < BATCH_FROM {
        for (o, p) in out.iter_mut().zip(points) {
            *o = in_g2(p);
        }
        return;
    }
    if all_in_g2(points, ROUNDS, parallel, rng) {
        out.fill(true);
        return;
    }
    let mid = points.len() / 2;
    let (out_left, out_right) = out.split_at_mut(mid);
    bisect(&points[..mid], parallel, rng, out_left);
    bisect(&points[mid..], parallel, rng, out_right);
}

/// Whether every point is in G2, by `rounds` random combinations (false positives ≤ 13^-rounds; never a false
/// negative). `parallel` gives each thread of the rayon pool a share of the rounds.
pub(crate) fn all_in_g2(points: &[blst_p2_affine], rounds: usize, parallel: bool, rng: &mut impl Rng) -> bool {
    sums_in_g2(points, &coefficients(points.len(), rounds, rng), parallel).is_some()
}

/// Each of `rounds` rounds' coefficients for `n` points (`coefficients[k][i]`, uniform in
/// `-HALF_SPAN..=HALF_SPAN`).
pub(crate) fn coefficients(n: usize, rounds: usize, rng: &mut impl Rng) -> Vec<Vec<i8>> {
    (0..rounds).map(|_| (0..n).map(|_| rng.random_range(-HALF_SPAN..=HALF_SPAN)).collect()).collect()
}

/// Each round's sum `Σ_i coefficients[k][i] · P_i`, every one checked in G2 — `None` as soon as one is outside.
/// The vote batch reuses the sums for the signatures' pairing equation (`bls_batch`). `parallel` gives each
/// thread of the rayon pool a share of the rounds.
pub(crate) fn sums_in_g2(points: &[blst_p2_affine], coefficients: &[Vec<i8>], parallel: bool) -> Option<Vec<blst_p2>> {
    let negated: Vec<blst_p2_affine> = points.iter().map(negate).collect();
    if parallel {
        let shares: Vec<Vec<blst_p2>> = coefficients
            .par_chunks(chunk_len(coefficients.len(), 1).div_ceil(PAR_SHARES_PER_THREAD))
            .map(|c| round_sums_in_g2(points, &negated, c))
            .collect::<Option<_>>()?;
        Some(shares.concat())
    } else {
        round_sums_in_g2(points, &negated, coefficients)
    }
}

/// Each round's `Σ c_i P_i`, or `None` as soon as one is outside G2: each point goes into its round's bucket
/// `|c_i|` (negated when `c_i < 0`; 0 drops out), the buckets of a group of rounds are summed at once
/// ([`affine_buckets::bucket_sums`]), and each round's `Σ k · B_k = Σ_k Σ_{j ≥ k} B_j` is formed by running
/// sums and checked exactly.
fn round_sums_in_g2(points: &[blst_p2_affine], negated: &[blst_p2_affine], rounds: &[Vec<i8>]) -> Option<Vec<blst_p2>> {
    let per_group = (GROUP_POINTS / points.len().max(1)).max(1);
    let width = HALF_SPAN.unsigned_abs() as usize;
    let mut sums = Vec::with_capacity(rounds.len());
    for group in rounds.chunks(per_group) {
        let mut buckets: Vec<Vec<blst_p2_affine>> = vec![Vec::new(); group.len() * width];
        for (round, coefficients) in group.iter().enumerate() {
            for ((p, n), &c) in points.iter().zip(negated).zip(coefficients) {
                if let Some(k) = (c.unsigned_abs() as usize).checked_sub(1) {
                    buckets[round * width + k].push(if c < 0 { *n } else { *p });
                }
            }
        }
        for bucket_sums in affine_buckets::bucket_sums(buckets).chunks(width) {
            let sum = weighted_sum(bucket_sums);
            // SAFETY: `sum` is an initialised point.
            if !unsafe { blst_p2_in_g2(&sum) } {
                return None;
            }
            sums.push(sum);
        }
    }
    Some(sums)
}

/// `Σ k · B_k`, `B_k` the sum of bucket `k` (1-based; `None` for the identity).
fn weighted_sum(bucket_sums: &[Option<blst_p2_affine>]) -> blst_p2 {
    let mut running = blst_p2::default(); // all zero: the point at infinity
    let mut total = blst_p2::default();
    for sum in bucket_sums.iter().rev() {
        if let Some(sum) = sum {
            let r = running;
            // SAFETY: initialised points; blst allows the output to alias an input.
            unsafe { blst_p2_add_or_double_affine(&mut running, &r, sum) };
        }
        let t = total;
        // SAFETY: as above.
        unsafe { blst_p2_add_or_double(&mut total, &t, &running) };
    }
    total
}

/// `−P` (the identity stays the identity).
fn negate(point: &blst_p2_affine) -> blst_p2_affine {
    let mut out = *point;
    // SAFETY: `out.y` and `point.y` are initialised field elements; blst allows them to be distinct or equal.
    unsafe { blst_fp2_cneg(&mut out.y, &point.y, true) };
    out
}

/// The exact check of one point (Scott's endomorphism test in blst).
pub(crate) fn in_g2(point: &blst_p2_affine) -> bool {
    // SAFETY: `point` is an initialised affine point.
    unsafe { blst_p2_affine_in_g2(point) }
}

#[cfg(test)]
mod tests;
