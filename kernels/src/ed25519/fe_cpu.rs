//! A tiny CPU implementation of arithmetic mod p = 2^255 - 19 (four u64 words, u128 products).
//! Used for the shader constants, the fixed-base table of B, and as the test reference for the GPU
//! field kernel. Not constant-time; only public values pass through it.

/// An element mod p, always canonical (`< p`), little-endian u64 words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fe(pub [u64; 4]);

const P: [u64; 4] = [0xffff_ffff_ffff_ffed, u64::MAX, u64::MAX, 0x7fff_ffff_ffff_ffff];

/// `a - b` with borrow out.
fn sub4(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], bool) {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        out[i] = d;
        borrow = b1 || b2;
    }
    (out, borrow)
}

/// Reduces a value `< 2^256` to canonical form.
fn reduce256(mut r: [u64; 4]) -> Fe {
    // 2^255 ≡ 19.
    let top = r[3] >> 63;
    r[3] &= P[3];
    let mut c = u128::from(top * 19);
    for w in r.iter_mut() {
        let s = u128::from(*w) + c;
        *w = s as u64;
        c = s >> 64;
    }
    // Now r < 2^255 + 19 < 2p: subtract p once if r >= p.
    let (d, borrow) = sub4(&r, &P);
    Fe(if borrow { r } else { d })
}

impl Fe {
    /// 0.
    pub const ZERO: Fe = Fe([0; 4]);
    /// 1.
    pub const ONE: Fe = Fe([1, 0, 0, 0]);

    /// From 32 little-endian bytes, ignoring bit 255 and reducing mod p (like curve25519-dalek's
    /// `FieldElement::from_bytes`).
    pub fn from_bytes(b: &[u8; 32]) -> Fe {
        let mut w = [0u64; 4];
        for (i, word) in w.iter_mut().enumerate() {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[8 * i..8 * i + 8]);
            *word = u64::from_le_bytes(x);
        }
        w[3] &= P[3];
        reduce256(w)
    }

    /// Canonical little-endian bytes.
    pub fn to_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, w) in self.0.iter().enumerate() {
            out[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// A small integer.
    pub fn from_u64(x: u64) -> Fe {
        Fe([x, 0, 0, 0])
    }

    /// `self + b`.
    pub fn add(&self, b: &Fe) -> Fe {
        let mut r = [0u64; 4];
        let mut c = 0u128;
        for (i, w) in r.iter_mut().enumerate() {
            let s = u128::from(self.0[i]) + u128::from(b.0[i]) + c;
            *w = s as u64;
            c = s >> 64;
        }
        // Both < p < 2^255, so the sum < 2^256.
        reduce256(r)
    }

    /// `-self`.
    pub fn neg(&self) -> Fe {
        let (d, _) = sub4(&P, &self.0);
        reduce256(d)
    }

    /// `self - b`.
    pub fn sub(&self, b: &Fe) -> Fe {
        self.add(&b.neg())
    }

    /// `self · b`.
    pub fn mul(&self, b: &Fe) -> Fe {
        let mut w = [0u128; 8];
        for i in 0..4 {
            for j in 0..4 {
                let p = u128::from(self.0[i]) * u128::from(b.0[j]);
                w[i + j] += p & u128::from(u64::MAX);
                w[i + j + 1] += p >> 64;
            }
        }
        // Carry into 64-bit words.
        let mut words = [0u64; 8];
        let mut c = 0u128;
        for i in 0..8 {
            let s = w[i] + c;
            words[i] = s as u64;
            c = s >> 64;
        }
        // 2^256 ≡ 38.
        let mut r = [0u64; 4];
        let mut c = 0u128;
        for i in 0..4 {
            let s = u128::from(words[i]) + 38 * u128::from(words[i + 4]) + c;
            r[i] = s as u64;
            c = s >> 64;
        }
        let mut c = c * 38;
        while c != 0 {
            for w in r.iter_mut() {
                let s = u128::from(*w) + c;
                *w = s as u64;
                c = s >> 64;
            }
            c *= 38;
        }
        reduce256(r)
    }

    /// `self^2`.
    pub fn square(&self) -> Fe {
        self.mul(self)
    }

    /// `self^e` for a little-endian exponent.
    pub fn pow(&self, e: &[u64; 4]) -> Fe {
        let mut r = Fe::ONE;
        for i in (0..256).rev() {
            r = r.square();
            if (e[i / 64] >> (i % 64)) & 1 == 1 {
                r = r.mul(self);
            }
        }
        r
    }

    /// `self^(p - 2)` (0 for 0).
    pub fn invert(&self) -> Fe {
        let (e, _) = sub4(&P, &[2, 0, 0, 0]);
        self.pow(&e)
    }

    /// `self^((p - 5) / 8)`.
    pub fn pow_p58(&self) -> Fe {
        // (p - 5) / 8 = 2^252 - 3.
        self.pow(&[0xffff_ffff_ffff_fffd, u64::MAX, u64::MAX, 0x0fff_ffff_ffff_ffff])
    }

    /// Whether the canonical value is odd ("negative" in Ed25519 terms).
    pub fn is_negative(&self) -> bool {
        self.0[0] & 1 == 1
    }

    /// `sqrt(-1)` = `2^((p - 1) / 4)`, the even root.
    pub fn sqrt_m1() -> Fe {
        let r = Fe::from_u64(2).pow(&[0xffff_ffff_ffff_fffb, u64::MAX, u64::MAX, 0x1fff_ffff_ffff_ffff]);
        if r.is_negative() { r.neg() } else { r }
    }

    /// The Edwards curve constant `d = -121665 / 121666`.
    pub fn edwards_d() -> Fe {
        Fe::from_u64(121_665).neg().mul(&Fe::from_u64(121_666).invert())
    }

    /// curve25519-dalek's `sqrt_ratio_i(u, v)`: `(true, +sqrt(u/v))` when `u/v` is a square (or
    /// `u = 0`), else `(false, +sqrt(i·u/v))`; the root returned is nonnegative.
    pub fn sqrt_ratio_i(u: &Fe, v: &Fe) -> (bool, Fe) {
        let i = Fe::sqrt_m1();
        let v3 = v.square().mul(v);
        let v7 = v3.square().mul(v);
        let mut r = u.mul(&v3).mul(&u.mul(&v7).pow_p58());
        let check = v.mul(&r.square());
        let correct = check == *u;
        let flipped = check == u.neg();
        let flipped_i = check == u.neg().mul(&i);
        if flipped || flipped_i {
            r = r.mul(&i);
        }
        if r.is_negative() {
            r = r.neg();
        }
        (correct || flipped, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0);
        }
        out
    }

    #[test]
    fn constants_match_the_literature() {
        // Little-endian hex of d and sqrt(-1) (RFC 8032 / curve25519-dalek constants).
        let d = hex32("a3785913ca4deb75abd841414d0a700098e879777940c78c73fe6f2bee6c0352");
        assert_eq!(Fe::edwards_d().to_bytes(), d);
        let i = Fe::sqrt_m1();
        assert_eq!(i.square(), Fe::ONE.neg());
        let sqrt_m1 = hex32("b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b");
        assert_eq!(i.to_bytes(), sqrt_m1);
    }

    #[test]
    fn field_identities() {
        let a = Fe::from_bytes(&[0xab; 32]);
        let b = Fe::from_bytes(&[0x17; 32]);
        assert_eq!(a.mul(&a.invert()), Fe::ONE);
        assert_eq!(a.add(&b).sub(&b), a);
        assert_eq!(a.mul(&b), b.mul(&a));
        assert_eq!(Fe::from_bytes(&[0xff; 32]), Fe::from_u64(18));
        let (ok, r) = Fe::sqrt_ratio_i(&a.square(), &Fe::ONE);
        assert!(ok && (r == a || r == a.neg()) && !r.is_negative());
    }
}
