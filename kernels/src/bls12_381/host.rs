//! Host side of the BLS kernels: affine points (decompressed by blst) → the kernels' plain 13-bit limb
//! words, and the kernels' affine outputs → blst points.

use blst::min_pk::{PublicKey, Signature};

use super::fp_cpu::{self, LIMBS, Limbs};

fn be48(b: &[u8]) -> [u8; 48] {
    let mut out = [0u8; 48];
    out.copy_from_slice(&b[..48]);
    out
}

fn one() -> Limbs {
    let mut l = [0u32; LIMBS];
    l[0] = 1;
    l
}

/// A G1 point as projective `X, Y, Z` limbs (plain): `(x, y, 1)`, or `(0, 1, 0)` for the identity.
pub(crate) fn g1_words(pk: &PublicKey, out: &mut Vec<u32>) {
    let s = pk.serialize();
    if s[0] & 0x40 != 0 {
        push_identity(1, out);
        return;
    }
    let mut x = be48(&s[..48]);
    x[0] &= 0x1f;
    out.extend_from_slice(&fp_cpu::from_be_bytes(&x));
    out.extend_from_slice(&fp_cpu::from_be_bytes(&be48(&s[48..])));
    out.extend_from_slice(&one());
}

/// A G2 point as projective `X0, X1, Y0, Y1, Z0, Z1` limbs (plain); blst serialises `c1` before `c0`.
pub(crate) fn g2_words(sig: &Signature, out: &mut Vec<u32>) {
    let s = sig.serialize();
    if s[0] & 0x40 != 0 {
        push_identity(2, out);
        return;
    }
    let mut x1 = be48(&s[..48]);
    x1[0] &= 0x1f;
    out.extend_from_slice(&fp_cpu::from_be_bytes(&be48(&s[48..96])));
    out.extend_from_slice(&fp_cpu::from_be_bytes(&x1));
    out.extend_from_slice(&fp_cpu::from_be_bytes(&be48(&s[144..192])));
    out.extend_from_slice(&fp_cpu::from_be_bytes(&be48(&s[96..144])));
    out.extend_from_slice(&one());
    out.extend_from_slice(&[0u32; LIMBS]);
}

/// `(0 : 1 : 0)` with `coords` limbs-arrays per coordinate (1 for Fp, 2 for Fp2).
pub(crate) fn push_identity(coords: usize, out: &mut Vec<u32>) {
    out.extend(std::iter::repeat_n(0u32, coords * LIMBS));
    out.extend_from_slice(&one());
    out.extend(std::iter::repeat_n(0u32, (coords - 1) * LIMBS));
    out.extend(std::iter::repeat_n(0u32, coords * LIMBS));
}

fn limbs(words: &[u32]) -> Limbs {
    let mut l = [0u32; LIMBS];
    l.copy_from_slice(&words[..LIMBS]);
    l
}

/// The uncompressed serialisation (blst/ZCash: `x ‖ y`, Fp2 as `c1 ‖ c0`, identity = `0x40` then zeros)
/// of a kernel's affine output `coords` (plain limbs, `0, …, 0` = identity). `None` if a limb is out of
/// range (a kernel fault).
pub(crate) fn serialize_affine(words: &[u32]) -> Option<Vec<u8>> {
    if words.iter().any(|&w| w > fp_cpu::MASK) || !words.len().is_multiple_of(LIMBS) {
        return None;
    }
    let n = words.len() / LIMBS;
    let mut out = vec![0u8; 48 * n];
    if words.iter().all(|&w| w == 0) {
        out[0] = 0x40;
        return Some(out);
    }
    // Fp2 coordinates (n = 4) come as c0, c1 and are written c1, c0.
    let order: Vec<usize> = if n == 4 { vec![1, 0, 3, 2] } else { (0..n).collect() };
    for (slot, &k) in order.iter().enumerate() {
        let bytes = fp_cpu::to_be_bytes(&limbs(&words[k * LIMBS..]));
        out[48 * slot..48 * slot + 48].copy_from_slice(&bytes);
    }
    Some(out)
}
