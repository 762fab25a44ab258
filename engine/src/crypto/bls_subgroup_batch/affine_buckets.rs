//! Sums of many buckets of affine G2 points at once, by batch-affine addition with one shared inversion per
//! layer across **all** buckets.
//!
//! The subgroup batch needs `ROUNDS × 6` bucket sums over the same points. Summed one bucket at a time
//! (`blst_p2s_add`), a bucket below 16 points falls back to projective mixed additions (8M + 5S each) and a
//! larger one pays a field inversion per layer — with buckets of `n / 13` points both costs dominate at the batch
//! sizes votes come in (100–1,000). Here every bucket is halved together: each layer pairs neighbours in every
//! bucket, inverts all the pairs' denominators with one inversion (Montgomery's trick, 3M per pair), and adds
//! each pair in affine coordinates (λ, x₃, y₃: 2M + 1S), so a point addition costs about 6 Fp2 multiplications
//! whatever the bucket sizes. Not constant time: the points are public.

use blst::{
    blst_fp2, blst_fp2_add, blst_fp2_eucl_inverse, blst_fp2_mul, blst_fp2_mul_by_3, blst_fp2_sqr, blst_fp2_sub,
    blst_p2_affine, blst_p2_affine_is_inf,
};

/// The sum of each bucket, `None` where it is the identity (an empty bucket, a bucket of identities, or points
/// that cancel). Identity inputs are allowed and drop out. Each layer adds neighbours `(2j, 2j + 1)` of every
/// bucket into place `j`, an odd last point moving down unchanged.
pub(crate) fn bucket_sums(mut buckets: Vec<Vec<blst_p2_affine>>) -> Vec<Option<blst_p2_affine>> {
    for bucket in &mut buckets {
        // SAFETY: every point is an initialised affine point.
        bucket.retain(|p| !unsafe { blst_p2_affine_is_inf(p) });
    }
    let mut numerators: Vec<Option<blst_fp2>> = Vec::new();
    let mut denominators = Vec::new();
    while buckets.iter().any(|b| b.len() > 1) {
        numerators.clear();
        denominators.clear();
        for bucket in &buckets {
            for two in bucket.chunks_exact(2) {
                let parts = slope_parts(&two[0], &two[1]);
                numerators.push(parts.map(|(numerator, _)| numerator));
                denominators.extend(parts.map(|(_, denominator)| denominator));
            }
        }
        invert_all(&mut denominators);
        let mut numerators = numerators.iter();
        let mut inverses = denominators.iter();
        for bucket in &mut buckets {
            let len = bucket.len();
            let mut kept = 0;
            for j in 0..len / 2 {
                let Some(Some(numerator)) = numerators.next() else { continue }; // a + (−a): the identity
                let Some(inverse) = inverses.next() else { continue };
                bucket[kept] = affine_add(&bucket[2 * j], &bucket[2 * j + 1], numerator, inverse);
                kept += 1;
            }
            if len % 2 == 1 {
                bucket[kept] = bucket[len - 1];
                kept += 1;
            }
            bucket.truncate(kept);
        }
    }
    buckets.into_iter().map(|mut b| b.pop()).collect()
}

/// λ's numerator and denominator for `a + b` (neither the identity): `(y₂ − y₁, x₂ − x₁)` for distinct x,
/// `(3x², 2y)` when `a = b`; `None` when `a = −b` (the sum is the identity) or `a = b` has y = 0.
fn slope_parts(a: &blst_p2_affine, b: &blst_p2_affine) -> Option<(blst_fp2, blst_fp2)> {
    let zero = blst_fp2::default();
    let mut dx = blst_fp2::default();
    // SAFETY (all blst calls here): outputs are distinct locals, inputs initialised field elements.
    unsafe { blst_fp2_sub(&mut dx, &b.x, &a.x) };
    if dx != zero {
        let mut dy = blst_fp2::default();
        unsafe { blst_fp2_sub(&mut dy, &b.y, &a.y) };
        return Some((dy, dx));
    }
    if a.y != b.y || a.y == zero {
        return None; // b = −a (or a point of order 2 doubled): the identity
    }
    let (mut square, mut three_square, mut two_y) = (blst_fp2::default(), blst_fp2::default(), blst_fp2::default());
    unsafe {
        blst_fp2_sqr(&mut square, &a.x);
        blst_fp2_mul_by_3(&mut three_square, &square);
        blst_fp2_add(&mut two_y, &a.y, &a.y);
    }
    Some((three_square, two_y))
}

/// `a + b` in affine coordinates from λ's numerator and the inverse of its denominator.
fn affine_add(a: &blst_p2_affine, b: &blst_p2_affine, numerator: &blst_fp2, inverse: &blst_fp2) -> blst_p2_affine {
    let (mut lambda, mut lambda_sq, mut x, mut dx, mut y) =
        (blst_fp2::default(), blst_fp2::default(), blst_fp2::default(), blst_fp2::default(), blst_fp2::default());
    // SAFETY (all blst calls here): every input is an initialised field element; outputs are distinct locals.
    unsafe {
        blst_fp2_mul(&mut lambda, numerator, inverse);
        blst_fp2_sqr(&mut lambda_sq, &lambda);
        let mut partial = blst_fp2::default();
        blst_fp2_sub(&mut partial, &lambda_sq, &a.x);
        blst_fp2_sub(&mut x, &partial, &b.x); // x₃ = λ² − x₁ − x₂
        blst_fp2_sub(&mut dx, &a.x, &x);
        let mut product = blst_fp2::default();
        blst_fp2_mul(&mut product, &lambda, &dx);
        blst_fp2_sub(&mut y, &product, &a.y); // y₃ = λ(x₁ − x₃) − y₁
    }
    blst_p2_affine { x, y }
}

/// Replaces every (non-zero) element by its inverse with one field inversion: Montgomery's trick.
fn invert_all(values: &mut [blst_fp2]) {
    let Some(last) = values.len().checked_sub(1) else { return };
    let mut prefix = Vec::with_capacity(values.len());
    let mut running = values[0];
    prefix.push(running);
    for v in &values[1..] {
        let previous = running;
        // SAFETY: initialised field elements; the output is a distinct local.
        unsafe { blst_fp2_mul(&mut running, &previous, v) };
        prefix.push(running);
    }
    let mut inverse = blst_fp2::default();
    // SAFETY: `running` is the non-zero product of non-zero elements (no denominator is zero by construction).
    unsafe { blst_fp2_eucl_inverse(&mut inverse, &running) };
    for i in (1..=last).rev() {
        let (mut own, mut rest) = (blst_fp2::default(), blst_fp2::default());
        // SAFETY: initialised field elements; outputs are distinct locals.
        unsafe {
            blst_fp2_mul(&mut own, &inverse, &prefix[i - 1]); // 1/v_i = (1/∏_{≤i}) · ∏_{<i}
            blst_fp2_mul(&mut rest, &inverse, &values[i]); // 1/∏_{<i}
        }
        values[i] = own;
        inverse = rest;
    }
    values[0] = inverse;
}

#[cfg(test)]
mod tests {
    use blst::{blst_p2, blst_p2_add_or_double_affine, blst_p2_to_affine};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::crypto::test_points::{add, neg, outside_g2, torsion_13};

    fn naive_sum(points: &[blst_p2_affine]) -> Option<blst_p2_affine> {
        let mut sum = blst_p2::default();
        for p in points {
            let s = sum;
            // SAFETY: initialised points; blst allows the output to alias an input.
            unsafe { blst_p2_add_or_double_affine(&mut sum, &s, p) };
        }
        let mut out = blst_p2_affine::default();
        // SAFETY: `sum` is an initialised point.
        unsafe { blst_p2_to_affine(&mut out, &sum) };
        (out != blst_p2_affine::default()).then_some(out)
    }

    /// Random buckets of points on the curve (in G2 or not, torsion included) with repeats, opposites and
    /// identities — every bucket's sum equals the one added point by point.
    #[test]
    fn bucket_sums_equal_point_by_point_sums() {
        let seed = 0xaff1_0001;
        eprintln!("affine_buckets test seed {seed}");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let torsion = torsion_13(&mut rng);
        let base: Vec<blst_p2_affine> = (0..6).map(|_| outside_g2(&mut rng)).collect();
        let pick = |rng: &mut ChaCha8Rng| -> blst_p2_affine {
            let p = base[rng.random_range(0..base.len())];
            match rng.random_range(0..6) {
                0 => neg(&p),
                1 => blst_p2_affine::default(),
                2 => torsion,
                3 => add(&p, &torsion),
                _ => p,
            }
        };
        for round in 0..40 {
            let buckets: Vec<Vec<blst_p2_affine>> = (0..rng.random_range(1..12))
                .map(|_| {
                    let len = if rng.random_bool(0.2) { 0 } else { rng.random_range(1..40) };
                    (0..len).map(|_| pick(&mut rng)).collect()
                })
                .collect();
            let expected: Vec<Option<blst_p2_affine>> = buckets.iter().map(|b| naive_sum(b)).collect();
            assert_eq!(bucket_sums(buckets), expected, "round {round}");
        }
        let p = base[0];
        assert_eq!(bucket_sums(vec![vec![p, neg(&p)], vec![p, p], vec![]]), vec![None, naive_sum(&[p, p]), None]);
    }

    #[test]
    fn invert_all_inverts_each() {
        let mut rng = ChaCha8Rng::seed_from_u64(0xaff1_0002);
        let values: Vec<blst_fp2> = (0..9).map(|_| outside_g2(&mut rng).x).collect();
        let mut inverses = values.clone();
        invert_all(&mut inverses);
        for (v, i) in values.iter().zip(&inverses) {
            let mut expected = blst_fp2::default();
            // SAFETY: initialised field elements; the output is a distinct local.
            unsafe { blst_fp2_eucl_inverse(&mut expected, v) };
            assert_eq!(*i, expected);
        }
    }
}
