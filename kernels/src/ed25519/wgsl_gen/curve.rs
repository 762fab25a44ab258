//! WGSL for Ed25519 points (twisted Edwards, a = -1) in extended coordinates, with the formulas of
//! curve25519-dalek (HWCD'08, complete on the whole group, small-order points included):
//! doubling from projective to "completed" coordinates, addition of a `Niels` point,
//! decompression (sqrt_ratio_i, as dalek), multiplication by the cofactor, identity test, and the
//! joint double-scalar multiplication `[s]B + [k]P` (Straus: one shared chain of 252 doublings,
//! signed radix-16 digits computed on the host, fixed-base table `[j]B, j = 0..8` uploaded to a storage
//! buffer and read from a workgroup-memory copy, per-thread table `[j]P, j = 1..8`).
//!
//! Expects the module to declare `wtab: array<u32, BTAB_WORDS>` (the fixed-base table, [`BTAB_WORDS`] words,
//! in workgroup memory, filled by the entry point) and `items: array<u32>` (the digits) in storage.

use super::field::LIMBS;
use crate::gpu::Src;

/// Entries of the fixed-base table: `[j]B` for `j = 0..=8` (`[0]B` = identity).
pub(crate) const BTAB_ENTRIES: usize = 9;
/// Words per table entry: Niels form with `Z = 1`: `y + x`, `y - x`, `1`, `2 d x y`, each 20 limbs.
pub(crate) const BTAB_ENTRY_WORDS: usize = 4 * LIMBS;
/// Words of the whole table.
pub(crate) const BTAB_WORDS: usize = BTAB_ENTRIES * BTAB_ENTRY_WORDS;

const STRUCTS: &str = "\
struct Ext { x: Fe, y: Fe, z: Fe, t: Fe }
struct Proj { x: Fe, y: Fe, z: Fe }
struct Cp { x: Fe, y: Fe, z: Fe, t: Fe }
struct Niels { ypx: Fe, ymx: Fe, z: Fe, t2d: Fe }
struct Decoded { ok: bool, p: Ext }
const EXT_ID = Ext(FE_ZERO, FE_ONE, FE_ONE, FE_ZERO);
const NIELS_ID = Niels(FE_ONE, FE_ONE, FE_ONE, FE_ZERO);
";

const FUNCTIONS: &str = "\
fn cp_to_ext(c: Cp) -> Ext {
    return Ext(fe_mul(c.x, c.t), fe_mul(c.y, c.z), fe_mul(c.z, c.t), fe_mul(c.x, c.y));
}

fn ext_to_proj(e: Ext) -> Proj {
    return Proj(e.x, e.y, e.z);
}

fn ext_to_niels(e: Ext) -> Niels {
    return Niels(fe_add(e.y, e.x), fe_sub(e.y, e.x), e.z, fe_mul(e.t, FE_D2));
}

fn ext_neg(e: Ext) -> Ext {
    return Ext(fe_neg(e.x), e.y, e.z, fe_neg(e.t));
}

fn niels_neg(n: Niels) -> Niels {
    return Niels(n.ymx, n.ypx, n.z, fe_neg(n.t2d));
}

fn proj_dbl(p: Proj) -> Cp {
    let xx = fe_sq(p.x);
    let yy = fe_sq(p.y);
    let z2 = fe_sq(p.z);
    let zz2 = fe_add(z2, z2);
    let xpy2 = fe_sq(fe_add(p.x, p.y));
    let yy_p_xx = fe_add(yy, xx);
    let yy_m_xx = fe_sub(yy, xx);
    return Cp(fe_sub(xpy2, yy_p_xx), yy_p_xx, yy_m_xx, fe_sub(zz2, yy_m_xx));
}

// [2^n]e; a loop, so one inlined copy of the doubling per call site.
fn ext_dbl_n(e: Ext, n: u32) -> Ext {
    var q = e;
    for (var k = 0u; k < n; k++) { q = cp_to_ext(proj_dbl(ext_to_proj(q))); }
    return q;
}

fn ext_add_niels(e: Ext, n: Niels) -> Cp {
    let pp = fe_mul(fe_add(e.y, e.x), n.ypx);
    let mm = fe_mul(fe_sub(e.y, e.x), n.ymx);
    let tt2d = fe_mul(e.t, n.t2d);
    let zz = fe_mul(e.z, n.z);
    let zz2 = fe_add(zz, zz);
    return Cp(fe_sub(pp, mm), fe_add(pp, mm), fe_add(zz2, tt2d), fe_sub(zz2, tt2d));
}

fn ext_mul8(e: Ext) -> Ext {
    return ext_dbl_n(e, 3u);
}

fn ext_is_identity(e: Ext) -> bool {
    return fe_is_zero(e.x) && fe_eq(e.y, e.z);
}

// curve25519-dalek's CompressedEdwardsY::decompress on the 255-bit y (canonicity of the bytes is
// checked on the host): ok = the point exists.
fn decompress(w: array<u32, 8>) -> Decoded {
    let y = fe_from_words(w);
    let yy = fe_sq(y);
    let u = fe_sub(yy, FE_ONE);
    let v = fe_add(fe_mul(yy, FE_D), FE_ONE);
    let s = fe_sqrt_ratio(u, v);
    let x = fe_cneg(s.r, (w[7] >> 31u) == 1u);
    return Decoded(s.ok, Ext(x, y, FE_ONE, fe_mul(x, y)));
}

// y with the sign of x in bit 255 (one inversion).
fn compress(e: Ext) -> array<u32, 8> {
    let zinv = fe_inv(e.z);
    let x = fe_mul(e.x, zinv);
    var w = fe_to_words(fe_mul(e.y, zinv));
    w[7] = w[7] | (select(0u, 1u, fe_is_neg(x)) << 31u);
    return w;
}

// Signed radix-16 digit i (in [-8, 8]) of a scalar from its packed digit word w (digits 4⌊i/4⌋..+3).
fn digit_of(w: u32, i: u32) -> i32 {
    let b = (w >> ((i & 3u) * 8u)) & 255u;
    return bitcast<i32>(b << 24u) >> 24u;
}

// [s]B + [k]P for the scalar whose digits start at items[s_base] and the one whose digits are kd. Straus: one
// shared doubling chain; per digit one table addition for B (workgroup-memory table) and one for P (private
// table of [1]P..[8]P: the identity for a zero digit is a constant, not a ninth entry of 80 words per thread), in a
// two-iteration loop so the addition is inlined once.
fn double_scalar_mul(s_base: u32, kd: array<u32, 16>, p: Ext) -> Ext {
    var tp: array<Niels, 8>;
    tp[0] = ext_to_niels(p);
    var cur = ext_dbl_n(p, 1u);
    tp[1] = ext_to_niels(cur);
    for (var j = 2u; j < 8u; j++) {
        cur = cp_to_ext(ext_add_niels(cur, tp[0]));
        tp[j] = ext_to_niels(cur);
    }
    var q = EXT_ID;
    for (var i = 63i; i >= 0i; i--) {
        q = ext_dbl_n(q, select(4u, 0u, i == 63i));
        for (var j = 0u; j < 2u; j++) {
            let w = select(kd[u32(i) >> 2u], items[s_base + (u32(i) >> 2u)], j == 0u);
            let d = digit_of(w, u32(i));
            let m = u32(abs(d));
            var n = tp[max(m, 1u) - 1u];
            if (m == 0u) { n = NIELS_ID; }
            if (j == 0u) { n = load_b(m); }
            if (d < 0i) { n = niels_neg(n); }
            q = cp_to_ext(ext_add_niels(q, n));
        }
    }
    return q;
}
";

/// `load_b(j)`: entry `j` of the fixed-base table, unrolled word by word.
fn gen_load_b(s: &mut Src) {
    s.open("fn load_b(j: u32) -> Niels {");
    s.line(format!("let o = j * {BTAB_ENTRY_WORDS}u;"));
    let fe = |part: usize| {
        let ws: Vec<String> = (0..LIMBS).map(|l| format!("wtab[o + {}u]", part * LIMBS + l)).collect();
        format!("Fe({})", ws.join(", "))
    };
    s.line(format!("return Niels({}, {}, {}, {});", fe(0), fe(1), fe(2), fe(3)));
    s.close();
}

/// Point structures and functions (needs the field functions).
pub(crate) fn curve(s: &mut Src) {
    for l in STRUCTS.lines() {
        s.line(l);
    }
    s.line("");
    gen_load_b(s);
    for l in FUNCTIONS.lines() {
        s.line(l);
    }
}
