//! The batch gives exactly the one-at-a-time verdicts on G2 points, on-curve points of large order outside
//! G2, points carrying a small-order (13-torsion) component, the identity, duplicates and cancelling pairs —
//! and a single round really is unsound against a cancelling pair, which is why there are [`ROUNDS`].

use blst::blst_p2_affine;
use blst::min_pk::{SecretKey, Signature};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::crypto::bls::bls_sign;
use crate::crypto::test_points::{add, neg, outside_g2 as curve_point, torsion_13};

fn seeded(seed: u64) -> ChaCha8Rng {
    eprintln!("bls_subgroup_batch test seed {seed}");
    ChaCha8Rng::seed_from_u64(seed)
}

/// A signature: a point of G2.
fn g2_point(rng: &mut impl Rng) -> blst_p2_affine {
    let sk = SecretKey::key_gen(&rng.random::<[u8; 32]>(), &[]).expect("32 bytes of key material");
    let sig = Signature::uncompress(&bls_sign(&sk, b"subgroup batch")).expect("a fresh signature decodes");
    sig.into()
}

fn one_at_a_time(points: &[blst_p2_affine]) -> Vec<bool> {
    points.iter().map(in_g2).collect()
}

#[test]
fn verdicts_equal_one_at_a_time_on_mixed_corpora() {
    let mut rng = seeded(0x5b9_0001);
    let good: Vec<blst_p2_affine> = (0..8).map(|_| g2_point(&mut rng)).collect();
    let torsion = torsion_13(&mut rng);
    for n in [0usize, 1, BATCH_FROM - 1, BATCH_FROM, 150] {
        for bad in [0usize, 1, 2, 5] {
            let mut points: Vec<blst_p2_affine> = (0..n).map(|i| good[i % good.len()]).collect();
            for k in 0..bad.min(n) {
                let at = rng.random_range(0..n);
                points[at] = match k % 3 {
                    0 => curve_point(&mut rng),
                    1 => add(&points[at], &torsion),
                    _ => torsion,
                };
            }
            let expected = one_at_a_time(&points);
            assert_eq!(expected.iter().filter(|v| !**v).count() > 0, bad > 0 && n > 0, "n {n} bad {bad}");
            for parallel in [false, true] {
                assert_eq!(subgroup_verdicts_with(&points, parallel, &mut rng), expected, "n {n} bad {bad} {parallel}");
            }
        }
    }
}

#[test]
fn identity_duplicates_and_opposite_points_are_in_g2() {
    let mut rng = seeded(0x5b9_0002);
    let p = g2_point(&mut rng);
    let mut points = vec![p; BATCH_FROM];
    points[3] = neg(&p);
    points[10] = blst_p2_affine::default(); // the identity
    points[11] = blst_p2_affine::default();
    assert!(all_in_g2(&points, ROUNDS, false, &mut rng));
    assert_eq!(subgroup_verdicts_with(&points, false, &mut rng), vec![true; BATCH_FROM]);
}

/// Two points carrying opposite 13-torsion components cancel in a round whose coefficients agree mod 13: one
/// round lets such a pair through about one batch in 13 (seen here), [`ROUNDS`] rounds never over the same
/// batches.
#[test]
fn a_cancelling_torsion_pair_defeats_one_round_but_not_rounds() {
    let mut rng = seeded(0x5b9_0003);
    let torsion = torsion_13(&mut rng);
    let good: Vec<blst_p2_affine> = (0..BATCH_FROM).map(|_| g2_point(&mut rng)).collect();
    let mut points = good.clone();
    points[7] = add(&good[7], &torsion);
    points[BATCH_FROM - 2] = add(&good[BATCH_FROM - 2], &neg(&torsion));
    assert!(!in_g2(&points[7]) && !in_g2(&points[BATCH_FROM - 2]));
    let trials = 200;
    let one_round_misses = (0..trials).filter(|_| all_in_g2(&points, 1, false, &mut rng)).count();
    let full_misses = (0..trials).filter(|_| all_in_g2(&points, ROUNDS, false, &mut rng)).count();
    assert!(one_round_misses > 0, "one round should let the pair through about 1 in 13 times");
    assert!(one_round_misses < trials / 4, "one round misses {one_round_misses}/{trials}: more than 1/13");
    assert_eq!(full_misses, 0);
    let mut expected = vec![true; BATCH_FROM];
    expected[7] = false;
    expected[BATCH_FROM - 2] = false;
    assert_eq!(subgroup_verdicts_with(&points, false, &mut rng), expected);
}
