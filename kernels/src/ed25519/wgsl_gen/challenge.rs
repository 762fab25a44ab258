//! WGSL for the Ed25519 challenge on the device: `k = SHA-512(R ‖ A ‖ M) mod L` and its signed radix-16 digits,
//! the host's share of a verification moved into the kernel (`[crypto] gpu_hash_on_device`).
//!
//! - SHA-512 on `vec2<u32>` (high, low) words — WGSL has no 64-bit integers without `SHADER_INT64` — over the
//!   padded stream `R ‖ A ‖ M ‖ 0x80 ‖ 0… ‖ bit length`, read word by word from the item (R and A are already
//!   there; the message follows, at most [`MAX_DEVICE_MESSAGE`] bytes). The 80 round constants follow the
//!   fixed-base table in the kernel's table (workgroup memory), read at the same index by every thread.
//! - The 512-bit digest reduced mod L by Barrett's method (Handbook of Applied Cryptography 14.42) on 16-bit limbs
//!   in u32 (a limb product is < 2^32; a column of split halves stays < 2^22), emitted straight-line — no loops over
//!   limbs (FIELD-NOTES: loop-based limb code miscompiled on lavapipe).
//! - The signed radix-16 recoding of `k` (digits in [-8, 8]), packed four per word like the host's.

use super::curve::BTAB_WORDS;
use crate::gpu::Src;

/// Longest message the device hashes; a longer one is hashed on the host and its item carries `k`'s digits.
pub(crate) const MAX_DEVICE_MESSAGE: usize = 192;
/// Words of an item's message area: the message (device hash) or `k`'s 16 digit words (host hash).
pub(crate) const MSG_WORDS: usize = MAX_DEVICE_MESSAGE / 4;
/// The item's length word when its message area holds `k`'s digits instead of a message.
pub(crate) const HOST_HASHED: u32 = u32::MAX;
/// Where the SHA-512 round constants start in the kernel's table (after the fixed-base table).
pub(crate) const SHA512_K_OFFSET: usize = BTAB_WORDS;
/// Words of the SHA-512 round constants (80 × high, low).
pub(crate) const SHA512_K_WORDS: usize = 160;

/// SHA-512's initial hash value (FIPS 180-4 5.3.5).
const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// SHA-512's round constants (FIPS 180-4 4.2.3).
const K: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

/// The group order `L = 2^252 + 27742317777372353535851937790883648493` in 17 limbs of 16 bits.
const L_LIMBS: [u32; 17] = [54253, 23797, 25370, 22546, 40150, 41719, 63966, 5342, 0, 0, 0, 0, 0, 0, 0, 4096, 0];
/// Barrett's `μ = ⌊2^512 / L⌋` (260 bits) in 17 limbs of 16 bits.
const MU_LIMBS: [u32; 17] =
    [4891, 2604, 58787, 60828, 10663, 2147, 8541, 8454, 65515, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 15];

/// The round constants as the kernel's table holds them (high, low words), after the fixed-base table.
pub(crate) fn round_constant_words() -> Vec<u32> {
    K.iter().flat_map(|k| [(k >> 32) as u32, *k as u32]).collect()
}

const SHA512: &str = "\
fn bswap(x: u32) -> u32 {
    return (x >> 24u) | ((x >> 8u) & 0xff00u) | ((x << 8u) & 0xff0000u) | (x << 24u);
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.y + b.y;
    return vec2<u32>(a.x + b.x + select(0u, 1u, lo < a.y), lo);
}

// Rotate right by n, 0 < n < 32.
fn rotr_s(x: vec2<u32>, n: u32) -> vec2<u32> {
    return vec2<u32>((x.x >> n) | (x.y << (32u - n)), (x.y >> n) | (x.x << (32u - n)));
}

// Rotate right by 32 + n, 0 < n < 32.
fn rotr_l(x: vec2<u32>, n: u32) -> vec2<u32> {
    return vec2<u32>((x.y >> n) | (x.x << (32u - n)), (x.x >> n) | (x.y << (32u - n)));
}

// Shift right by n, 0 < n < 32.
fn shr64(x: vec2<u32>, n: u32) -> vec2<u32> {
    return vec2<u32>(x.x >> n, (x.y >> n) | (x.x << (32u - n)));
}

fn big_sigma0(x: vec2<u32>) -> vec2<u32> {
    return rotr_s(x, 28u) ^ rotr_l(x, 2u) ^ rotr_l(x, 7u);
}

fn big_sigma1(x: vec2<u32>) -> vec2<u32> {
    return rotr_s(x, 14u) ^ rotr_s(x, 18u) ^ rotr_l(x, 9u);
}

fn small_sigma0(x: vec2<u32>) -> vec2<u32> {
    return rotr_s(x, 1u) ^ rotr_s(x, 8u) ^ shr64(x, 7u);
}

fn small_sigma1(x: vec2<u32>) -> vec2<u32> {
    return rotr_s(x, 19u) ^ rotr_l(x, 29u) ^ shr64(x, 6u);
}
";

/// `hash_word(base, q, len)`: little-endian word `q` of the padded stream `R ‖ A ‖ M ‖ 0x80 ‖ 0…` of the item at
/// `base` (`R` at words 8..16, `A` at 0..8, the message from word `msg_at`).
fn gen_hash_word(s: &mut Src, msg_at: usize) {
    s.open("fn hash_word(base: u32, q: u32, len: u32) -> u32 {");
    for l in [
        "let total = 64u + len;".to_string(),
        "let start = 4u * q;".into(),
        "if (start >= total) { return select(0u, 0x80u, start == total); }".into(),
        "var raw = 0u;".into(),
        "if (q < 8u) { raw = items[base + 8u + q]; }".into(),
        "else if (q < 16u) { raw = items[base + q - 8u]; }".into(),
        format!("else {{ raw = items[base + {msg_at}u + q - 16u]; }}"),
        "let have = total - start;".into(),
        "if (have >= 4u) { return raw; }".into(),
        "let bits = 8u * have;".into(),
        "return (raw & ((1u << bits) - 1u)) | (0x80u << bits);".into(),
    ] {
        s.line(l);
    }
    s.close();
}

/// `sha512_stream(base, len) -> array<u32, 16>`: the digest of the item's stream as 16 little-endian words (the
/// 512-bit integer the challenge reduces).
fn gen_sha512(s: &mut Src) {
    s.open("fn sha512_stream(base: u32, len: u32) -> array<u32, 16> {");
    let iv: Vec<String> = IV.iter().map(|v| format!("vec2<u32>({:#x}u, {:#x}u)", v >> 32, *v as u32)).collect();
    s.line(format!("var h = array<vec2<u32>, 8>({});", iv.join(", ")));
    s.line("let total = 64u + len;");
    s.line("let blocks = (total + 17u + 127u) / 128u;");
    s.line("var w: array<vec2<u32>, 16>;");
    s.open("for (var blk = 0u; blk < blocks; blk++) {");
    s.open("for (var t = 0u; t < 16u; t++) {");
    s.line("let q = 32u * blk + 2u * t;");
    s.line("w[t] = vec2<u32>(bswap(hash_word(base, q, len)), bswap(hash_word(base, q + 1u, len)));");
    s.close();
    s.line("if (blk + 1u == blocks) { w[14] = vec2<u32>(0u, 0u); w[15] = vec2<u32>(0u, total * 8u); }");
    let names = ["va", "vb", "vc", "vd", "ve", "vf", "vg", "vh"];
    for (i, n) in names.iter().enumerate() {
        s.line(format!("var {n} = h[{i}];"));
    }
    s.open("for (var t = 0u; t < 80u; t++) {");
    s.open("if (t >= 16u) {");
    s.line("let i = t & 15u;");
    s.line(
        "w[i] = add64(add64(small_sigma1(w[(t + 14u) & 15u]), w[(t + 9u) & 15u]), \
         add64(small_sigma0(w[(t + 1u) & 15u]), w[i]));",
    );
    s.close();
    s.line(format!("let kt = vec2<u32>(wtab[{SHA512_K_OFFSET}u + 2u * t], wtab[{SHA512_K_OFFSET}u + 2u * t + 1u]);"));
    s.line("let ch = (ve & vf) ^ (~ve & vg);");
    s.line("let t1 = add64(add64(add64(vh, big_sigma1(ve)), add64(ch, kt)), w[t & 15u]);");
    s.line("let t2 = add64(big_sigma0(va), (va & vb) ^ (va & vc) ^ (vb & vc));");
    for l in ["vh = vg;", "vg = vf;", "vf = ve;", "ve = add64(vd, t1);", "vd = vc;", "vc = vb;", "vb = va;"] {
        s.line(l);
    }
    s.line("va = add64(t1, t2);");
    s.close();
    for (i, n) in names.iter().enumerate() {
        s.line(format!("h[{i}] = add64(h[{i}], {n});"));
    }
    s.close();
    s.line("var out: array<u32, 16>;");
    s.open("for (var m = 0u; m < 8u; m++) {");
    s.line("out[2u * m] = bswap(h[m].x);");
    s.line("out[2u * m + 1u] = bswap(h[m].y);");
    s.close();
    s.line("return out;");
    s.close();
}

/// Emits the 16-bit limbs `{out}0..{out}{count}` of the product of limbs `a` and `b` (WGSL expressions, each
/// < 2^16), columns `0..count` only: each limb product split into halves added to its column and the next, then
/// one carry pass (column sums stay < 2^22).
fn gen_product(s: &mut Src, out: &str, a: &[String], b: &[String], count: usize) {
    let mut terms: Vec<Vec<String>> = vec![Vec::new(); count + 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            if i + j >= count || y == "0u" {
                continue;
            }
            let p = format!("{out}_p{i}_{j}");
            s.line(format!("let {p} = {x} * {y};"));
            terms[i + j].push(format!("({p} & 0xffffu)"));
            terms[i + j + 1].push(format!("({p} >> 16u)"));
        }
    }
    s.line(format!("var {out}_c = 0u;"));
    for (col, t) in terms.iter().enumerate().take(count) {
        let sum = if t.is_empty() { "0u".to_string() } else { t.join(" + ") };
        s.line(format!("let {out}_s{col} = {out}_c + {sum};"));
        s.line(format!("let {out}{col} = {out}_s{col} & 0xffffu;"));
        s.line(format!("{out}_c = {out}_s{col} >> 16u;"));
    }
}

/// Emits `{out}0..{out}16 = a - b mod 2^272` (17 limbs of 16 bits) and `{out}_borrow` (1 when `a < b`).
fn gen_sub17(s: &mut Src, out: &str, a: &[String], b: &[String]) {
    s.line(format!("var {out}_borrow = 0u;"));
    for i in 0..17 {
        s.line(format!("let {out}_d{i} = {} + 0x10000u - {} - {out}_borrow;", a[i], b[i]));
        s.line(format!("let {out}{i} = {out}_d{i} & 0xffffu;"));
        s.line(format!("{out}_borrow = 1u - ({out}_d{i} >> 16u);"));
    }
}

fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

fn literals(limbs: &[u32]) -> Vec<String> {
    limbs.iter().map(|l| format!("{l}u")).collect()
}

/// `challenge_digits(base, len) -> array<u32, 16>`: `k = SHA-512(R ‖ A ‖ M) mod L` as the packed signed radix-16
/// digits the scalar multiplication reads (the host's `item_words` layout).
fn gen_challenge_digits(s: &mut Src) {
    s.open("fn challenge_digits(base: u32, len: u32) -> array<u32, 16> {");
    s.line("let d = sha512_stream(base, len);");
    for k in 0..16 {
        s.line(format!("let x{} = d[{k}] & 0xffffu;", 2 * k));
        s.line(format!("let x{} = d[{k}] >> 16u;", 2 * k + 1));
    }
    // Barrett, b = 2^16, k = 16 limbs: q1 = ⌊x / b^15⌋, q3 = ⌊q1 μ / b^17⌋, r = (x − q3 L) mod b^17, then at most
    // two subtractions of L.
    gen_product(s, "q2_", &names("x", 15..32), &literals(&MU_LIMBS), 34);
    let q3 = names("q2_", 17..34);
    gen_product(s, "r2_", &q3, &literals(&L_LIMBS), 17);
    gen_sub17(s, "ra", &names("x", 0..17), &names("r2_", 0..17));
    for (from, to) in [("ra", "rb"), ("rb", "rc")] {
        gen_sub17(s, &format!("{to}t"), &names(from, 0..17), &literals(&L_LIMBS));
        for i in 0..17 {
            s.line(format!("let {to}{i} = select({to}t{i}, {from}{i}, {to}t_borrow == 1u);"));
        }
    }
    // Signed radix-16 digits of k < L < 2^253: 64 nibbles, then carries so every digit is in [-8, 8].
    for i in 0..64 {
        s.line(format!("var g{i} = i32((rc{} >> {}u) & 15u);", i / 4, 4 * (i % 4)));
    }
    for i in 0..63 {
        s.line(format!("let c{i} = (g{i} + 8i) >> 4u;"));
        s.line(format!("g{i} = g{i} - (c{i} << 4u);"));
        s.line(format!("g{} = g{} + c{i};", i + 1, i + 1));
    }
    let words: Vec<String> = (0..16)
        .map(|w| {
            let bytes: Vec<String> =
                (0..4).map(|j| format!("((bitcast<u32>(g{}) & 255u) << {}u)", 4 * w + j, 8 * j)).collect();
            bytes.join(" | ")
        })
        .collect();
    s.line(format!("return array<u32, 16>({});", words.join(", ")));
    s.close();
}

/// The challenge functions (need `items` and `wtab` declared; `msg_at` is where an item's message starts).
pub(crate) fn challenge(s: &mut Src, msg_at: usize) {
    for l in SHA512.lines() {
        s.line(l);
    }
    s.line("");
    gen_hash_word(s, msg_at);
    gen_sha512(s);
    gen_challenge_digits(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Limbs of 16 bits → value as 64-bit words (little-endian), for the checks below.
    fn value(limbs: &[u32]) -> Vec<u64> {
        let mut words = vec![0u64; limbs.len().div_ceil(4)];
        for (i, l) in limbs.iter().enumerate() {
            words[i / 4] |= u64::from(*l) << (16 * (i % 4));
        }
        words
    }

    /// a × b for little-endian 64-bit words.
    fn mul(a: &[u64], b: &[u64]) -> Vec<u64> {
        let mut out = vec![0u64; a.len() + b.len()];
        for (i, x) in a.iter().enumerate() {
            let mut carry = 0u128;
            for (j, y) in b.iter().enumerate() {
                let t = u128::from(*x) * u128::from(*y) + u128::from(out[i + j]) + carry;
                out[i + j] = t as u64;
                carry = t >> 64;
            }
            out[i + b.len()] = carry as u64;
        }
        out
    }

    fn compare(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
        let n = a.len().max(b.len());
        let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
        (0..n).rev().map(|i| at(a, i).cmp(&at(b, i))).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
    }

    /// `L_LIMBS` is the group order (dalek reduces it to zero) and `MU_LIMBS` is ⌊2^512 / L⌋: μL ≤ 2^512 < (μ+1)L.
    #[test]
    fn barrett_constants_are_l_and_its_reciprocal() {
        let l = value(&L_LIMBS);
        let mut bytes = [0u8; 64];
        for (i, w) in l.iter().enumerate() {
            bytes[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
        }
        let reduced = curve25519_dalek::scalar::Scalar::from_bytes_mod_order_wide(&bytes);
        assert_eq!(reduced, curve25519_dalek::scalar::Scalar::ZERO, "L");
        assert_eq!(l[3] >> 60, 1, "L has bit 252 set");
        let mu = value(&MU_LIMBS);
        let two_512: Vec<u64> = [vec![0u64; 8], vec![1]].concat();
        assert_ne!(compare(&mul(&mu, &l), &two_512), std::cmp::Ordering::Greater, "μL ≤ 2^512");
        let mut mu1 = mu.clone();
        mu1[0] += 1; // no carry: μ's low limb is far from 2^64
        assert_eq!(compare(&mul(&mu1, &l), &two_512), std::cmp::Ordering::Greater, "(μ + 1)L > 2^512");
    }
}
