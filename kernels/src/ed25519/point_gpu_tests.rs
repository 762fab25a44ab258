//! Stage-2 check: decompression, `[S]B - [k]A` (joint double-scalar multiplication with the
//! fixed-base table), subtraction of `R`, multiplication by the cofactor and the identity test,
//! against curve25519-dalek on random scalars and points, mixed-order points and off-curve `y`.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;

use super::host::item_words;
use super::wgsl_gen::entry::{Challenge, ITEM_WORDS, POINT_TEST_OUT_WORDS, point_test_shader};
use crate::gpu::Kernel;
use crate::testutil::{Rng, test_gpu, to_bytes};

fn scalar(rng: &mut Rng) -> Scalar {
    let mut wide = [0u8; 64];
    wide[..32].copy_from_slice(&rng.bytes::<32>());
    wide[32..].copy_from_slice(&rng.bytes::<32>());
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// A `y` encoding (canonical) that does not decompress.
fn off_curve(rng: &mut Rng) -> [u8; 32] {
    loop {
        let mut b = rng.bytes::<32>();
        b[31] &= 0x3f;
        if CompressedEdwardsY(b).decompress().is_none() {
            return b;
        }
    }
}

#[test]
fn gpu_points_match_dalek() {
    let Some(gpu) = test_gpu() else { return };
    let mut rng = Rng(0x9017);
    // (A, R encodings, S, k)
    let mut cases: Vec<([u8; 32], [u8; 32], Scalar, Scalar)> = Vec::new();
    for i in 0..24 {
        let mut a = ED25519_BASEPOINT_POINT * scalar(&mut rng);
        if i % 3 == 1 {
            a += EIGHT_TORSION[i % 8];
        }
        let (s, k) = (scalar(&mut rng), scalar(&mut rng));
        let q = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-a, &s);
        let r = match i % 4 {
            0 => q,                              // d = identity
            1 => q + EIGHT_TORSION[(i / 4) % 8], // [8]d = identity
            _ => ED25519_BASEPOINT_POINT * scalar(&mut rng),
        };
        cases.push((a.compress().to_bytes(), r.compress().to_bytes(), s, k));
    }
    // Small-order A and zero scalars, and off-curve encodings.
    cases.push((
        EIGHT_TORSION[3].compress().to_bytes(),
        EIGHT_TORSION[5].compress().to_bytes(),
        Scalar::ZERO,
        scalar(&mut rng),
    ));
    cases.push((
        off_curve(&mut rng),
        ED25519_BASEPOINT_POINT.compress().to_bytes(),
        scalar(&mut rng),
        scalar(&mut rng),
    ));
    cases.push((
        ED25519_BASEPOINT_POINT.compress().to_bytes(),
        off_curve(&mut rng),
        scalar(&mut rng),
        scalar(&mut rng),
    ));
    let mut input = Vec::with_capacity(cases.len() * ITEM_WORDS);
    for (a, r, s, k) in &cases {
        input.extend_from_slice(&item_words(a, r, &s.to_bytes(), &k.to_bytes()));
    }
    let kernel = Kernel::new(
        &gpu,
        "point test",
        &point_test_shader(8),
        "point_test",
        8,
        Some(&Challenge::Host.table()),
        ITEM_WORDS as u32,
        POINT_TEST_OUT_WORDS as u32,
    )
    .unwrap();
    let (out, timing) = kernel.run(&gpu, &input, cases.len() as u32).unwrap();
    println!("point kernel: first run {timing:?}");
    for (i, ((a, r, s, k), got)) in cases.iter().zip(out.chunks_exact(POINT_TEST_OUT_WORDS)).enumerate() {
        let (da, dr) = (CompressedEdwardsY(*a).decompress(), CompressedEdwardsY(*r).decompress());
        let flags = got[24];
        assert_eq!(flags & 2 != 0, da.is_some(), "item {i}: A decodes");
        assert_eq!(flags & 4 != 0, dr.is_some(), "item {i}: R decodes");
        let (Some(pa), Some(pr)) = (da, dr) else { continue };
        let q = EdwardsPoint::vartime_double_scalar_mul_basepoint(k, &-pa, s);
        let d = q - pr;
        let d8 = d.mul_by_cofactor();
        assert_eq!(to_bytes(&got[0..8]), q.compress().to_bytes(), "item {i}: [S]B - [k]A");
        assert_eq!(to_bytes(&got[8..16]), d.compress().to_bytes(), "item {i}: - R");
        assert_eq!(to_bytes(&got[16..24]), d8.compress().to_bytes(), "item {i}: [8]");
        assert_eq!(flags & 1 != 0, d8.is_identity(), "item {i}: identity");
    }
}
