//! CPU mirror of the GPU's Fp arithmetic: the same 30 × 13-bit limb layout and the same Montgomery
//! multiplication (product scanning, `R = 2^390`), in u32 with every column sum checked against
//! overflow. The host uses it to build the kernels' constants (Montgomery forms, `R² mod p`); the tests
//! use it to run the generated point programs on the CPU and to check the overflow argument of
//! [`super`] on random and edge inputs.

/// Limbs per element.
pub const LIMBS: usize = 30;
/// Bits per limb.
pub const BITS: u32 = 13;
/// `2^13 - 1`.
pub const MASK: u32 = (1 << BITS) - 1;

/// The BLS12-381 base-field prime, big-endian.
pub const P_BYTES: [u8; 48] = [
    0x1a, 0x01, 0x11, 0xea, 0x39, 0x7f, 0xe6, 0x9a, 0x4b, 0x1b, 0xa7, 0xb6, 0x43, 0x4b, 0xac, 0xd7, 0x64, 0x77, 0x4b,
    0x84, 0xf3, 0x85, 0x12, 0xbf, 0x67, 0x30, 0xd2, 0xa0, 0xf6, 0xb0, 0xf6, 0x24, 0x1e, 0xab, 0xff, 0xfe, 0xb1, 0x53,
    0xff, 0xff, 0xb9, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xaa, 0xab,
];

/// An element as 30 limbs of 13 bits, least significant first (plain or Montgomery form: the type does
/// not say which; the functions do).
pub type Limbs = [u32; LIMBS];

/// The 13-bit limbs of a 48-byte big-endian value (must be < 2^390: any 48-byte value is).
pub fn from_be_bytes(bytes: &[u8; 48]) -> Limbs {
    let mut words = [0u64; 6];
    for (i, w) in words.iter_mut().enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[48 - 8 * (i + 1)..48 - 8 * i]);
        *w = u64::from_be_bytes(b);
    }
    let mut out = [0u32; LIMBS];
    for (i, limb) in out.iter_mut().enumerate() {
        let bit = i * BITS as usize;
        let (w, off) = (bit / 64, bit % 64);
        let mut v = words.get(w).map_or(0, |x| x >> off);
        if off + BITS as usize > 64 {
            v |= words.get(w + 1).map_or(0, |x| x << (64 - off));
        }
        *limb = (v as u32) & MASK;
    }
    out
}

/// 48 big-endian bytes of `limbs` (each limb < 2^13, value < 2^384).
pub fn to_be_bytes(limbs: &Limbs) -> [u8; 48] {
    let mut words = [0u64; 6];
    for (i, &limb) in limbs.iter().enumerate() {
        let bit = i * BITS as usize;
        let (w, off) = (bit / 64, bit % 64);
        if let Some(x) = words.get_mut(w) {
            *x |= u64::from(limb) << off;
        }
        if off + BITS as usize > 64
            && let Some(x) = words.get_mut(w + 1)
        {
            *x |= u64::from(limb) >> (64 - off);
        }
    }
    let mut out = [0u8; 48];
    for (i, w) in words.iter().enumerate() {
        out[48 - 8 * (i + 1)..48 - 8 * i].copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// `p` in limbs.
pub fn p() -> Limbs {
    from_be_bytes(&P_BYTES)
}

/// `-p^-1 mod 2^13`, the Montgomery factor of each reduction step.
pub fn pinv() -> u32 {
    let p0 = p()[0];
    // Newton: x ← x (2 - p0 x) doubles the correct low bits (p0 odd, x = 1 is right mod 2).
    let mut x: u32 = 1;
    for _ in 0..5 {
        x = x.wrapping_mul(2u32.wrapping_sub(p0.wrapping_mul(x))) & MASK;
    }
    (1u32 << BITS).wrapping_sub(x) & MASK
}

/// Whether `a < b` (limb values < 2^13 each).
#[cfg(test)]
fn less(a: &Limbs, b: &Limbs) -> bool {
    for i in (0..LIMBS).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// `a - b` with 13-bit limbs and the borrow out (the GPU's subtraction chain).
fn sub_raw(a: &Limbs, b: &Limbs) -> (Limbs, u32) {
    let mut out = [0u32; LIMBS];
    let mut borrow = 0u32;
    for i in 0..LIMBS {
        let d = a[i] + (1 << BITS) - b[i] - borrow;
        borrow = 1 - (d >> BITS);
        out[i] = d & MASK;
    }
    (out, borrow)
}

/// `a + b` with 13-bit limbs, the carry out of the top limb dropped.
fn add_raw(a: &Limbs, b: &Limbs) -> Limbs {
    let mut out = [0u32; LIMBS];
    let mut carry = 0u32;
    for i in 0..LIMBS {
        let s = a[i] + b[i] + carry;
        carry = s >> BITS;
        out[i] = s & MASK;
    }
    out
}

/// `r - p` if `r ≥ p`, else `r` (for `r < 2p`).
fn reduce_once(r: &Limbs) -> Limbs {
    let (t, borrow) = sub_raw(r, &p());
    if borrow == 0 { t } else { *r }
}

/// `(a + b) mod p` for `a, b < p`.
pub fn add(a: &Limbs, b: &Limbs) -> Limbs {
    reduce_once(&add_raw(a, b))
}

/// `(a - b) mod p` for `a, b < p`.
#[cfg(test)]
pub fn sub(a: &Limbs, b: &Limbs) -> Limbs {
    let (d, borrow) = sub_raw(a, b);
    if borrow == 0 { d } else { add_raw(&d, &p()) }
}

/// Montgomery product `a b 2^-390 mod p` for `a, b < p`, fully reduced, by the GPU's column schedule.
///
/// Panics if a column sum would overflow u32 (it cannot for inputs < p: see the module doc of
/// [`super`]); the check is what the tests exercise.
pub fn mont_mul(a: &Limbs, b: &Limbs) -> Limbs {
    let (p, pinv) = (p(), pinv());
    let mut m = [0u32; LIMBS];
    let mut r = [0u32; LIMBS];
    let mut carry: u32 = 0;
    let acc_add = |acc: u32, x: u32| acc.checked_add(x).expect("Montgomery column sum overflowed u32");
    for k in 0..2 * LIMBS - 1 {
        let mut acc = carry;
        let lo = k.saturating_sub(LIMBS - 1);
        for i in lo..=k.min(LIMBS - 1) {
            acc = acc_add(acc, a[i] * b[k - i]);
        }
        for i in lo..k.min(LIMBS) {
            acc = acc_add(acc, m[i] * p[k - i]);
        }
        if k < LIMBS {
            m[k] = ((acc & MASK) * pinv) & MASK;
            acc = acc_add(acc, m[k] * p[0]);
            debug_assert_eq!(acc & MASK, 0);
        } else {
            r[k - LIMBS] = acc & MASK;
        }
        carry = acc >> BITS;
    }
    r[LIMBS - 1] = carry;
    reduce_once(&r)
}

/// `2^k mod p` by doubling (plain form).
pub fn pow2(k: usize) -> Limbs {
    let mut x = [0u32; LIMBS];
    x[0] = 1;
    for _ in 0..k {
        x = add(&x, &x);
    }
    x
}

/// `R² mod p = 2^780 mod p`: Montgomery-multiplying a plain value by it gives its Montgomery form.
pub fn r2() -> Limbs {
    pow2(2 * LIMBS * BITS as usize)
}

/// The Montgomery form `a 2^390 mod p` of a plain `a < p`.
pub fn to_mont(a: &Limbs) -> Limbs {
    mont_mul(a, &r2())
}

/// The plain value of a Montgomery form.
#[cfg(test)]
pub fn from_mont(a: &Limbs) -> Limbs {
    let mut one = [0u32; LIMBS];
    one[0] = 1;
    mont_mul(a, &one)
}

/// Parses a big-endian hex constant (at most 96 digits) into limbs.
pub fn from_hex(hex: &str) -> Limbs {
    let mut bytes = [0u8; 48];
    let digits: Vec<u8> = hex.bytes().filter(u8::is_ascii_hexdigit).collect();
    for (k, d) in digits.iter().rev().enumerate().take(96) {
        let v = (*d as char).to_digit(16).unwrap_or(0) as u8;
        bytes[47 - k / 2] |= v << (4 * (k % 2));
    }
    from_be_bytes(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_constants() {
        assert_eq!(to_be_bytes(&p()), P_BYTES);
        assert_eq!(p()[0].wrapping_mul(pinv()) & MASK, MASK, "p0 * pinv = -1 mod 2^13");
        assert!(less(&[0; LIMBS], &p()));
        // p < 2^381: the top limb (bits 377..390) holds 4 bits.
        assert!(p()[LIMBS - 1] < 16);
        let one = pow2(0);
        assert_eq!(from_mont(&to_mont(&one)), one);
    }
}
