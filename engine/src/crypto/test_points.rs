//! Hostile G2 points for tests and corpora: on-curve points outside G2, points of the 13-torsion, sums and
//! negations — what a byzantine signer can send and what every backend must refuse exactly as the one-at-a-time
//! check does. Not used by the node; public (hidden from the docs) so the integration tests and the kernels'
//! cross-backend tests build the same corpora.

use blst::min_pk::Signature;
use blst::{
    blst_p2, blst_p2_add_or_double, blst_p2_affine, blst_p2_affine_compress, blst_p2_affine_serialize, blst_p2_cneg,
    blst_p2_from_affine, blst_p2_is_inf, blst_p2_mult, blst_p2_to_affine,
};
use rand::{Rng, RngExt};

/// `#E'(Fp2) / 13²` little-endian (755 bits): multiplying a curve point by it leaves its component in the 13-Sylow
/// subgroup. `#E'(Fp2) = h2 · r` with `h2 = 13² · 23² · 2713 · 11953 · 262069 · q` (q a 448-bit prime).
const ORDER_OVER_169_LE: &str = "ddcf410938e3f42945918182882906a7f88ffdc3335ccab3b450c7182d8f56968ed73777901e46d6485bfcf1\
0fc1dacfb8ed7c5fd4f57736d3a75715d70739b3ca9643c8bdb9f3568370b6a61f1cba28b7650c0a446c13a731a7cd49540004";

fn to_projective(p: &blst_p2_affine) -> blst_p2 {
    let mut out = blst_p2::default();
    // SAFETY: both are initialised points.
    unsafe { blst_p2_from_affine(&mut out, p) };
    out
}

fn to_affine(p: &blst_p2) -> blst_p2_affine {
    let mut out = blst_p2_affine::default();
    // SAFETY: both are initialised points.
    unsafe { blst_p2_to_affine(&mut out, p) };
    out
}

fn mul(a: &blst_p2_affine, scalar_le: &[u8]) -> blst_p2 {
    let mut out = blst_p2::default();
    // SAFETY: `scalar_le` holds `8 * len` bits; the point is initialised.
    unsafe { blst_p2_mult(&mut out, &to_projective(a), scalar_le.as_ptr(), scalar_le.len() * 8) };
    out
}

fn is_infinity(p: &blst_p2) -> bool {
    // SAFETY: initialised point.
    unsafe { blst_p2_is_inf(p) }
}

/// `a + b`.
pub fn add(a: &blst_p2_affine, b: &blst_p2_affine) -> blst_p2_affine {
    let mut out = blst_p2::default();
    // SAFETY: initialised points.
    unsafe { blst_p2_add_or_double(&mut out, &to_projective(a), &to_projective(b)) };
    to_affine(&out)
}

/// `−a`.
pub fn neg(a: &blst_p2_affine) -> blst_p2_affine {
    let mut p = to_projective(a);
    // SAFETY: initialised point.
    unsafe { blst_p2_cneg(&mut p, true) };
    to_affine(&p)
}

/// The 96-byte compressed encoding.
pub fn compress(a: &blst_p2_affine) -> [u8; 96] {
    let mut out = [0u8; 96];
    // SAFETY: `out` has the 96 bytes blst writes; the point is initialised.
    unsafe { blst_p2_affine_compress(out.as_mut_ptr(), a) };
    out
}

/// The 192-byte uncompressed encoding (how validators send vote signatures).
pub fn serialize(a: &blst_p2_affine) -> [u8; 192] {
    let mut out = [0u8; 192];
    // SAFETY: `out` has the 192 bytes blst writes; the point is initialised.
    unsafe { blst_p2_affine_serialize(out.as_mut_ptr(), a) };
    out
}

/// Whether `a` is in G2 (blst's exact check, as the batch's one-at-a-time path runs it).
pub fn in_g2(a: &blst_p2_affine) -> bool {
    super::bls_subgroup_batch::in_g2(a)
}

/// A random point of `E'(Fp2)` outside G2 (decompressed from a random x; in G2 with probability ~2^-700, retried).
pub fn outside_g2(rng: &mut impl Rng) -> blst_p2_affine {
    loop {
        let mut bytes: [u8; 96] = rng.random();
        bytes[0] = 0x80 | (bytes[0] & 0x2f); // compressed, not infinity, x.c1 below p
        bytes[48] &= 0x0f; // x.c0 below p
        if let Ok(sig) = Signature::uncompress(&bytes) {
            let point: blst_p2_affine = sig.into();
            if !in_g2(&point) {
                return point;
            }
        }
    }
}

/// A non-zero point of the 13-Sylow subgroup (order 13 or 169): `σ + T` is refused by the exact check, and
/// `σ_1 + T`, `σ_2 − T` cancel in any combination whose coefficients agree mod 13.
pub fn torsion_13(rng: &mut impl Rng) -> blst_p2_affine {
    let scalar = hex::decode(ORDER_OVER_169_LE).expect("the constant is hex");
    loop {
        let t = mul(&outside_g2(rng), &scalar);
        if !is_infinity(&t) {
            let t = to_affine(&t);
            assert!(is_infinity(&mul(&t, &[169])), "T is in the 13-Sylow subgroup: the constant is right");
            return t;
        }
    }
}
