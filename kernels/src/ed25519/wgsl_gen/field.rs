//! WGSL for arithmetic modulo p = 2^255 - 19, generated straight-line (no loops over limbs:
//! FIELD-NOTES measured loop-based limb code miscompiling on lavapipe).
//!
//! Layout: an element is `Fe = array<u32, 20>`, 20 limbs of 13 bits (260 bits), value
//! `sum(limb[i] * 2^(13 i))`. Only u32 arithmetic (no `SHADER_INT64`): a limb product is < 2^26 and
//! a column of the 20×20 schoolbook product is < 20 · 2^26 < 2^31, so nothing overflows.
//!
//! Invariant ("carried" form) between functions: every limb ≤ 2^13 (not necessarily < p).
//! Reduction is specialised to p: 2^260 ≡ 32 · 19 = 608 (mod p), so after carrying the 39 product
//! columns into 40 limbs of 13 bits, the high 20 limbs are folded in multiplied by 608, then carried
//! again, the carry out of limb 19 folded once more (× 608) and two carry steps finish.
//! Canonical form (for comparison, sign and output bytes) folds at bit 255 (× 19) and subtracts p
//! once when needed.

use crate::gpu::Src;

/// Limbs per element.
pub(crate) const LIMBS: usize = 20;
/// Bits per limb.
pub(crate) const BITS: usize = 13;
/// `2^260 mod p`.
const FOLD: u32 = 608;

/// `128 p` written with every limb ≥ 2^14, so `a + C - b` never underflows for carried `b`:
/// `32 p = 2^260 - 608` is limb 0 = 8191 - 607, limbs 1..19 = 8191; times 4.
fn sub_bias() -> [u32; LIMBS] {
    let mut c = [4 * 8191u32; LIMBS];
    c[0] = 4 * (8191 - 607);
    c
}

/// `let {p}0 = {src}[0]; …` for all limbs.
fn unpack(s: &mut Src, p: &str, src: &str) {
    for i in 0..LIMBS {
        s.line(format!("let {p}{i} = {src}[{i}];"));
    }
}

/// `Fe({p}0, …, {p}19)`.
fn pack(p: &str) -> String {
    let limbs: Vec<String> = (0..LIMBS).map(|i| format!("{p}{i}")).collect();
    format!("Fe({})", limbs.join(", "))
}

/// Carries `var {p}0..{p}19` (each < 2^32 - 2^19) into carried form, in place.
fn carry_fold(s: &mut Src, p: &str) {
    for i in 0..LIMBS - 1 {
        s.line(format!("{p}{} += {p}{i} >> 13u; {p}{i} &= 8191u;", i + 1));
    }
    let top = LIMBS - 1;
    s.line(format!("{p}0 += {FOLD}u * ({p}{top} >> 13u); {p}{top} &= 8191u;"));
    s.line(format!("{p}1 += {p}0 >> 13u; {p}0 &= 8191u;"));
    s.line(format!("{p}2 += {p}1 >> 13u; {p}1 &= 8191u;"));
}

/// Strict carry of `var {p}0..{p}19` through all limbs; returns nothing, leaves the carry out of
/// limb 19 in limb 19's high bits.
fn carry_chain(s: &mut Src, p: &str) {
    for i in 0..LIMBS - 1 {
        s.line(format!("{p}{} += {p}{i} >> 13u; {p}{i} &= 8191u;", i + 1));
    }
}

fn gen_mul(s: &mut Src) {
    s.open("fn fe_mul(a: Fe, b: Fe) -> Fe {");
    unpack(s, "a", "a");
    unpack(s, "b", "b");
    for k in 0..2 * LIMBS - 1 {
        let lo = k.saturating_sub(LIMBS - 1);
        let hi = k.min(LIMBS - 1);
        let terms: Vec<String> = (lo..=hi).map(|i| format!("a{i} * b{}", k - i)).collect();
        s.line(format!("var c{k} = {};", terms.join(" + ")));
    }
    reduce_columns(s);
    s.close();
}

fn gen_sq(s: &mut Src) {
    s.open("fn fe_sq(a: Fe) -> Fe {");
    unpack(s, "a", "a");
    for i in 0..LIMBS {
        s.line(format!("let d{i} = a{i} << 1u;"));
    }
    for k in 0..2 * LIMBS - 1 {
        let lo = k.saturating_sub(LIMBS - 1);
        let mut terms = Vec::new();
        let mut i = lo;
        while 2 * i < k {
            terms.push(format!("d{i} * a{}", k - i));
            i += 1;
        }
        if k % 2 == 0 {
            terms.push(format!("a{} * a{}", k / 2, k / 2));
        }
        s.line(format!("var c{k} = {};", terms.join(" + ")));
    }
    reduce_columns(s);
    s.close();
}

/// From product columns `var c0..c38` to a carried `Fe` (returns it).
fn reduce_columns(s: &mut Src) {
    let cols = 2 * LIMBS - 1;
    for k in 0..cols - 1 {
        s.line(format!("c{} += c{k} >> 13u; c{k} &= 8191u;", k + 1));
    }
    s.line(format!("let c{cols} = c{} >> 13u; c{} &= 8191u;", cols - 1, cols - 1));
    for i in 0..LIMBS {
        s.line(format!("var r{i} = c{i} + {FOLD}u * c{};", i + LIMBS));
    }
    carry_fold(s, "r");
    s.line(format!("return {};", pack("r")));
}

fn gen_add_sub(s: &mut Src) {
    s.open("fn fe_add(a: Fe, b: Fe) -> Fe {");
    for i in 0..LIMBS {
        s.line(format!("var r{i} = a[{i}] + b[{i}];"));
    }
    carry_fold(s, "r");
    s.line(format!("return {};", pack("r")));
    s.close();

    let bias = sub_bias();
    s.open("fn fe_sub(a: Fe, b: Fe) -> Fe {");
    for (i, c) in bias.iter().enumerate() {
        s.line(format!("var r{i} = a[{i}] + {c}u - b[{i}];"));
    }
    carry_fold(s, "r");
    s.line(format!("return {};", pack("r")));
    s.close();

    s.open("fn fe_neg(a: Fe) -> Fe {");
    s.line("return fe_sub(FE_ZERO, a);");
    s.close();
}

/// Canonical form: limbs 0..18 of 13 bits, limb 19 of 8 bits, value < p.
fn gen_canon(s: &mut Src) {
    s.open("fn fe_canon(a: Fe) -> Fe {");
    for i in 0..LIMBS {
        s.line(format!("var r{i} = a[{i}];"));
    }
    // Carried input is < 2^260 + small; two strict passes with folds at 2^260 leave every limb < 2^13.
    for _ in 0..2 {
        carry_chain(s, "r");
        s.line(format!("r0 += {FOLD}u * (r19 >> 13u); r19 &= 8191u;"));
    }
    carry_chain(s, "r");
    // Now value < 2^260 with 13-bit limbs (the last fold added < 2^13 to a small limb 0 sum).
    // Fold at bit 255: 2^255 ≡ 19.
    s.line("r0 += 19u * (r19 >> 8u); r19 &= 255u;");
    carry_chain(s, "r");
    // value < 2^255 + 2^10; subtract p iff value + 19 >= 2^255.
    for i in 0..LIMBS {
        s.line(format!("var t{i} = r{i};"));
    }
    s.line("t0 += 19u;");
    carry_chain(s, "t");
    s.line("let ge = (t19 >> 8u) != 0u;");
    s.line("t19 &= 255u;");
    let sel: Vec<String> = (0..LIMBS).map(|i| format!("select(r{i}, t{i}, ge)")).collect();
    s.line(format!("return Fe({});", sel.join(", ")));
    s.close();

    s.open("fn fe_is_zero(a: Fe) -> bool {");
    s.line("let c = fe_canon(a);");
    let ors: Vec<String> = (0..LIMBS).map(|i| format!("c[{i}]")).collect();
    s.line(format!("return ({}) == 0u;", ors.join(" | ")));
    s.close();

    s.open("fn fe_eq(a: Fe, b: Fe) -> bool {");
    s.line("return fe_is_zero(fe_sub(a, b));");
    s.close();

    s.open("fn fe_is_neg(a: Fe) -> bool {");
    s.line("return (fe_canon(a)[0] & 1u) == 1u;");
    s.close();

    s.open("fn fe_cneg(a: Fe, neg: bool) -> Fe {");
    s.line("if (neg) { return fe_neg(a); }");
    s.line("return a;");
    s.close();
}

/// Bytes (8 little-endian words) ↔ elements. Input bit 255 is ignored (the sign bit of an
/// encoding); the 255-bit value need not be < p.
fn gen_words(s: &mut Src) {
    s.open("fn fe_from_words(w: array<u32, 8>) -> Fe {");
    let mut limbs = Vec::new();
    for i in 0..LIMBS {
        let bit = i * BITS;
        let (word, off) = (bit / 32, bit % 32);
        let mask = if i == LIMBS - 1 { 255 } else { 8191 };
        let expr = if off + BITS <= 32 || word == 7 {
            format!("(w[{word}] >> {off}u) & {mask}u")
        } else {
            format!("((w[{word}] >> {off}u) | (w[{}] << {}u)) & {mask}u", word + 1, 32 - off)
        };
        s.line(format!("let l{i} = {expr};"));
        limbs.push(format!("l{i}"));
    }
    s.line(format!("return Fe({});", limbs.join(", ")));
    s.close();

    s.open("fn fe_to_words(a: Fe) -> array<u32, 8> {");
    s.line("let c = fe_canon(a);");
    let mut parts: Vec<Vec<String>> = vec![Vec::new(); 8];
    for i in 0..LIMBS {
        let bit = i * BITS;
        let (word, off) = (bit / 32, bit % 32);
        parts[word].push(format!("(c[{i}] << {off}u)"));
        if off + BITS > 32 && word + 1 < 8 {
            parts[word + 1].push(format!("(c[{i}] >> {}u)", 32 - off));
        }
    }
    let words: Vec<String> = parts.iter().map(|p| p.join(" | ")).collect();
    s.line(format!("return array<u32, 8>({});", words.join(", ")));
    s.close();
}

/// Exponentiation: the ref10 / curve25519-dalek addition chain for `a^(2^250 - 1)` run by a
/// table-driven loop, so the (inlined) shader contains one `fe_sq` and one `fe_mul` per call site
/// of `fe_pow_tail` instead of ~25 copies: lavapipe inlines every function, and code size is what
/// its JIT time grows with. Slots: 0 = a, 1..=6 intermediate values, 7 = one, 8 = discarded.
/// Each step is (squarings, multiply by slot, save to slot); the last step is the caller's tail:
/// `a^(p - 2)` = (5, slot 3 = a^11), `a^((p - 5) / 8)` = (2, slot 0 = a).
pub(crate) const CHAIN: [(u32, u32, u32); 11] = [
    (1, 7, 1),   // a^2
    (2, 0, 2),   // a^9
    (0, 1, 3),   // a^11
    (1, 2, 4),   // a^(2^5 - 1)
    (5, 4, 5),   // a^(2^10 - 1)
    (10, 5, 6),  // a^(2^20 - 1)
    (20, 6, 8),  // a^(2^40 - 1)
    (10, 5, 6),  // a^(2^50 - 1)
    (50, 6, 4),  // a^(2^100 - 1)
    (100, 4, 8), // a^(2^200 - 1)
    (50, 6, 8),  // a^(2^250 - 1)
];

fn gen_pow(s: &mut Src) {
    let steps: Vec<String> = CHAIN.iter().map(|(n, m, v)| format!("vec3<u32>({n}u, {m}u, {v}u)")).collect();
    s.line(format!("const POW_CHAIN = array<vec3<u32>, {}>({});", CHAIN.len(), steps.join(", ")));
    s.open("fn fe_pow_tail(a: Fe, tail_sq: u32, tail_mul: u32) -> Fe {");
    s.line("var slots: array<Fe, 9>;");
    s.line("slots[0] = a;");
    s.line("slots[7] = FE_ONE;");
    s.line("var chain = POW_CHAIN;");
    s.line("var r = a;");
    s.open(format!("for (var step = 0u; step <= {}u; step++) {{", CHAIN.len()));
    s.line("var st = vec3<u32>(tail_sq, tail_mul, 8u);");
    s.line(format!("if (step < {}u) {{ st = chain[step]; }}", CHAIN.len()));
    s.line("for (var k = 0u; k < st.x; k++) { r = fe_sq(r); }");
    s.line("r = fe_mul(r, slots[st.y]);");
    s.line("slots[st.z] = r;");
    s.close();
    s.line("return r;");
    s.close();

    s.open("fn fe_inv(a: Fe) -> Fe {");
    s.line("return fe_pow_tail(a, 5u, 3u);");
    s.close();

    s.open("fn fe_pow_p58(a: Fe) -> Fe {");
    s.line("return fe_pow_tail(a, 2u, 0u);");
    s.close();

    // curve25519-dalek's sqrt_ratio_i: (u/v is a nonzero square or u = 0, nonnegative root).
    s.line("struct SqrtRatio { ok: bool, r: Fe }");
    s.open("fn fe_sqrt_ratio(u: Fe, v: Fe) -> SqrtRatio {");
    for l in [
        "let v3 = fe_mul(fe_sq(v), v);",
        "let v7 = fe_mul(fe_sq(v3), v);",
        "var r = fe_mul(fe_mul(u, v3), fe_pow_p58(fe_mul(u, v7)));",
        "let check = fe_mul(v, fe_sq(r));",
        "let neg_u = fe_neg(u);",
        "let correct = fe_eq(check, u);",
        "let flipped = fe_eq(check, neg_u);",
        "let flipped_i = fe_eq(check, fe_mul(neg_u, FE_SQRT_M1));",
        "if (flipped || flipped_i) { r = fe_mul(r, FE_SQRT_M1); }",
        "r = fe_cneg(r, fe_is_neg(r));",
        "return SqrtRatio(correct || flipped, r);",
    ] {
        s.line(l);
    }
    s.close();
}

/// WGSL constant `Fe(...)` for a canonical 32-byte little-endian value.
pub(crate) fn fe_const(bytes: &[u8; 32]) -> String {
    let limbs: Vec<String> = limbs_of(bytes).iter().map(|l| format!("{l}u")).collect();
    format!("Fe({})", limbs.join(", "))
}

/// The 13-bit limbs of a 256-bit little-endian value (bit 255 ignored).
pub(crate) fn limbs_of(bytes: &[u8; 32]) -> [u32; LIMBS] {
    let mut out = [0u32; LIMBS];
    for (i, limb) in out.iter_mut().enumerate() {
        for b in 0..BITS {
            let bit = i * BITS + b;
            if bit < 255 && (bytes[bit / 8] >> (bit % 8)) & 1 == 1 {
                *limb |= 1 << b;
            }
        }
    }
    out
}

/// All field functions and constants (`Fe`, `FE_ZERO`, `FE_ONE`, `FE_D`, `FE_D2`, `FE_SQRT_M1`).
pub(crate) fn field(s: &mut Src) {
    use crate::ed25519::fe_cpu::Fe as Cpu;
    s.line("alias Fe = array<u32, 20>;");
    s.line(format!("const FE_ZERO = {};", fe_const(&[0; 32])));
    s.line(format!("const FE_ONE = {};", fe_const(&Cpu::ONE.to_bytes())));
    s.line(format!("const FE_D = {};", fe_const(&Cpu::edwards_d().to_bytes())));
    s.line(format!("const FE_D2 = {};", fe_const(&Cpu::edwards_d().add(&Cpu::edwards_d()).to_bytes())));
    s.line(format!("const FE_SQRT_M1 = {};", fe_const(&Cpu::sqrt_m1().to_bytes())));
    gen_mul(s);
    gen_sq(s);
    gen_add_sub(s);
    gen_canon(s);
    gen_words(s);
    gen_pow(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_bias_is_128p() {
        // Σ c_i 2^(13 i) == 128 p, checked with u128 limbs of the CPU field (2^255 - 19 = p).
        let c = sub_bias();
        let mut acc = [0u64; 5];
        for (i, &l) in c.iter().enumerate() {
            let bit = 13 * i;
            let v = u128::from(l) << (bit % 64);
            let w = bit / 64;
            let mut carry = v;
            let mut j = w;
            while carry != 0 && j < 5 {
                let s = u128::from(acc[j]) + (carry & u128::from(u64::MAX));
                acc[j] = s as u64;
                carry = (carry >> 64) + (s >> 64);
                j += 1;
            }
        }
        // 128 p = 2^262 - 2432.
        let mut expect = [u64::MAX; 5];
        expect[0] = u64::MAX - 2431;
        expect[4] = (1u64 << 6) - 1;
        assert_eq!(acc, expect);
        assert!(c.iter().all(|&l| l >= 1 << 14));
    }

    #[test]
    fn limbs_round_trip() {
        let mut b = [0u8; 32];
        for (i, x) in b.iter_mut().enumerate() {
            *x = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        b[31] &= 0x7f;
        let l = limbs_of(&b);
        let mut back = [0u8; 32];
        for (i, &limb) in l.iter().enumerate() {
            for bit in 0..BITS {
                let pos = i * BITS + bit;
                if (limb >> bit) & 1 == 1 {
                    back[pos / 8] |= 1 << (pos % 8);
                }
            }
        }
        assert_eq!(back, b);
    }
}
