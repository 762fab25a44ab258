//! Test reference: blst's own Fp/Fp2 arithmetic behind a safe wrapper on canonical big-endian bytes, and
//! seeded test points (G1 keys, G2 points in and not in the subgroup).

use blst::min_pk::{PublicKey, SecretKey, Signature};
use blst::{blst_fp, blst_fp2};

use super::fp_cpu::{self, Limbs};
use crate::testutil::Rng;
use hsbench_engine::crypto::test_points;

fn fp(l: &Limbs) -> blst_fp {
    let mut out = blst_fp::default();
    // SAFETY: blst reads 48 bytes from a 48-byte array and writes one blst_fp it owns.
    unsafe { blst::blst_fp_from_bendian(&mut out, fp_cpu::to_be_bytes(l).as_ptr()) };
    out
}

fn limbs(a: &blst_fp) -> Limbs {
    let mut b = [0u8; 48];
    // SAFETY: writes exactly 48 bytes into a 48-byte array.
    unsafe { blst::blst_bendian_from_fp(b.as_mut_ptr(), a) };
    fp_cpu::from_be_bytes(&b)
}

/// A binary blst Fp operation on plain limbs.
fn op2(a: &Limbs, b: &Limbs, f: unsafe extern "C" fn(*mut blst_fp, *const blst_fp, *const blst_fp)) -> Limbs {
    let mut r = blst_fp::default();
    // SAFETY: all pointers are to live, initialised blst_fp values.
    unsafe { f(&mut r, &fp(a), &fp(b)) };
    limbs(&r)
}

/// `a · b mod p` (blst).
pub(crate) fn mul(a: &Limbs, b: &Limbs) -> Limbs {
    op2(a, b, blst::blst_fp_mul)
}
/// `a + b mod p` (blst).
pub(crate) fn add(a: &Limbs, b: &Limbs) -> Limbs {
    op2(a, b, blst::blst_fp_add)
}
/// `a − b mod p` (blst).
pub(crate) fn sub(a: &Limbs, b: &Limbs) -> Limbs {
    op2(a, b, blst::blst_fp_sub)
}
/// `1/a` (0 for 0), blst.
pub(crate) fn inv(a: &Limbs) -> Limbs {
    let mut r = blst_fp::default();
    // SAFETY: live, initialised values.
    unsafe { blst::blst_fp_inverse(&mut r, &fp(a)) };
    limbs(&r)
}

/// Fp2 product `(a0 + a1 u)(b0 + b1 u)` (blst).
pub(crate) fn fp2_mul(a: (&Limbs, &Limbs), b: (&Limbs, &Limbs)) -> (Limbs, Limbs) {
    let x = blst_fp2 { fp: [fp(a.0), fp(a.1)] };
    let y = blst_fp2 { fp: [fp(b.0), fp(b.1)] };
    let mut r = blst_fp2::default();
    // SAFETY: live, initialised values.
    unsafe { blst::blst_fp2_mul(&mut r, &x, &y) };
    (limbs(&r.fp[0]), limbs(&r.fp[1]))
}

/// A uniformly random-ish canonical element (`< p`).
pub(crate) fn random_fp(rng: &mut Rng) -> Limbs {
    let mut b = [0u8; 48];
    for c in b.chunks_exact_mut(8) {
        c.copy_from_slice(&rng.next().to_le_bytes());
    }
    b[0] &= 0x0f; // < 2^380 < p
    fp_cpu::from_be_bytes(&b)
}

/// Edge elements: 0, 1, 2, p − 1, p − 2, 2^380.
pub(crate) fn edge_fps() -> Vec<Limbs> {
    let small = |v: u32| {
        let mut l = [0u32; fp_cpu::LIMBS];
        l[0] = v;
        l
    };
    let pm = |k: u32| fp_cpu::sub(&[0; fp_cpu::LIMBS], &small(k));
    vec![small(0), small(1), small(2), pm(1), pm(2), fp_cpu::pow2(380)]
}

/// `n` validated public keys from seeded secret keys.
pub(crate) fn keys(rng: &mut Rng, n: usize) -> Vec<PublicKey> {
    (0..n)
        .map(|_| {
            let mut ikm = [0u8; 32];
            for c in ikm.chunks_exact_mut(8) {
                c.copy_from_slice(&rng.next().to_le_bytes());
            }
            SecretKey::key_gen(&ikm, &[]).map(|sk| sk.sk_to_pk()).expect("key_gen with 32 bytes of ikm")
        })
        .collect()
}

/// `n` signatures (G2 subgroup points) from seeded keys over distinct messages.
pub(crate) fn signatures(rng: &mut Rng, n: usize) -> Vec<Signature> {
    (0..n)
        .map(|i| {
            let mut ikm = [0u8; 32];
            for c in ikm.chunks_exact_mut(8) {
                c.copy_from_slice(&rng.next().to_le_bytes());
            }
            let sk = SecretKey::key_gen(&ikm, &[]).expect("key_gen with 32 bytes of ikm");
            sk.sign(&(i as u64).to_le_bytes(), b"hsbench-test", &[])
        })
        .collect()
}

/// `n` compressed G2 points that decompress (on the curve) but are not in the subgroup (the engine's
/// `test_points::outside_g2`, from a generator seeded by `rng`).
pub(crate) fn non_subgroup(rng: &mut Rng, n: usize) -> Vec<[u8; 96]> {
    use rand::SeedableRng;
    let mut seeded = rand_chacha::ChaCha8Rng::seed_from_u64(rng.next());
    (0..n).map(|_| test_points::compress(&test_points::outside_g2(&mut seeded))).collect()
}
