//! The fixed-base table `[j]B, j = 0..=8`, computed on the host with [`super::fe_cpu`] in affine
//! coordinates and laid out as the shader's `Niels` (`y + x`, `y - x`, `Z = 1`, `2 d x y`), 20
//! limbs of 13 bits each.

use super::fe_cpu::Fe;
use super::wgsl_gen::curve::{BTAB_ENTRIES, BTAB_WORDS};
use super::wgsl_gen::field::limbs_of;

/// The Ed25519 base point `B` in affine coordinates: `y = 4/5`, `x` the even root.
pub(crate) fn basepoint() -> (Fe, Fe) {
    let y = Fe::from_u64(4).mul(&Fe::from_u64(5).invert());
    let yy = y.square();
    let (_, x) = Fe::sqrt_ratio_i(&yy.sub(&Fe::ONE), &Fe::edwards_d().mul(&yy).add(&Fe::ONE));
    (x, y)
}

/// Affine twisted Edwards addition (a = -1): complete, since d is not a square.
pub(crate) fn affine_add(p: (Fe, Fe), q: (Fe, Fe)) -> (Fe, Fe) {
    let (x1, y1) = p;
    let (x2, y2) = q;
    let dxy = Fe::edwards_d().mul(&x1).mul(&x2).mul(&y1).mul(&y2);
    let x3 = x1.mul(&y2).add(&y1.mul(&x2)).mul(&Fe::ONE.add(&dxy).invert());
    let y3 = y1.mul(&y2).add(&x1.mul(&x2)).mul(&Fe::ONE.sub(&dxy).invert());
    (x3, y3)
}

/// `[j]B` for `j = 0..=8` (affine; `[0]B = (0, 1)`).
pub(crate) fn multiples() -> Vec<(Fe, Fe)> {
    let b = basepoint();
    let mut out = vec![(Fe::ZERO, Fe::ONE)];
    for j in 1..BTAB_ENTRIES {
        let prev = out[j - 1];
        out.push(affine_add(prev, b));
    }
    out
}

/// The table as the shader reads it (`btab`, [`BTAB_WORDS`] words).
pub(crate) fn table_words() -> Vec<u32> {
    let d2 = Fe::edwards_d().add(&Fe::edwards_d());
    let mut words = Vec::with_capacity(BTAB_WORDS);
    for (x, y) in multiples() {
        for v in [y.add(&x), y.sub(&x), Fe::ONE, d2.mul(&x).mul(&y)] {
            words.extend_from_slice(&limbs_of(&v.to_bytes()));
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use curve25519_dalek::scalar::Scalar;

    #[test]
    fn multiples_match_dalek() {
        for (j, (x, y)) in multiples().into_iter().enumerate() {
            let mut enc = y.to_bytes();
            enc[31] |= u8::from(x.is_negative()) << 7;
            let dalek = (ED25519_BASEPOINT_POINT * Scalar::from(j as u64)).compress().to_bytes();
            assert_eq!(enc, dalek, "[{j}]B");
        }
        assert_eq!(table_words().len(), BTAB_WORDS);
    }
}
