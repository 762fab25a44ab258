//! Point formulas as [`Prog`] builders, generic over Fp (G1) and Fp2 (G2): the complete addition and
//! doubling of Renes–Costello–Batina 2016 (Algorithms 7 and 9, `a = 0`, homogeneous projective
//! coordinates). Complete means one formula for every input pair: `P + O`, `P + P`, `P + (−P)` and
//! `O + O` all come out right with no branches; it holds because neither curve has a point of order 2
//! over its field (both cofactors are odd), which includes the non-subgroup points the subgroup check
//! sees.
//!
//! Also: ψ (the untwist-Frobenius-twist endomorphism of G2, blst's `psi`), `[|z|]P` for the BLS
//! parameter `z = −0xd201000000010000` (blst's addition chain), inversion (Fermat) and the three kernel
//! programs: G1/G2 segment sums and the G2 subgroup check.

use super::fp_cpu;
use super::program::{Const, Op, Prog, Reg};

/// A field the formulas run over: Fp (one register) or Fp2 (two).
pub(crate) trait Field: Copy {
    /// A fresh element's registers.
    fn alloc(p: &mut Prog) -> Self;
    /// `dst = a · b`.
    fn mul(p: &mut Prog, dst: Self, a: Self, b: Self);
    /// `dst = a²`.
    fn sq(p: &mut Prog, dst: Self, a: Self);
    /// `dst = a + b`.
    fn add(p: &mut Prog, dst: Self, a: Self, b: Self);
    /// `dst = a − b`.
    fn sub(p: &mut Prog, dst: Self, a: Self, b: Self);
    /// `dst = a`.
    fn copy(p: &mut Prog, dst: Self, a: Self);
    /// `dst = 3b · a` for the curve's `b` (G1: 12; G2: 12 (1 + u)).
    fn mul_b3(p: &mut Prog, dst: Self, a: Self);
    /// The constants 0 and 1 (Montgomery form) of this field.
    fn zero_one() -> (Self, Self);
    /// Every register of the element.
    fn regs(self) -> Vec<Reg>;
}

/// An Fp element (one register).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fp(pub Reg);

/// An Fp2 element `c0 + c1 u`, `u² = −1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fp2(pub Reg, pub Reg);

impl Field for Fp {
    fn alloc(p: &mut Prog) -> Self {
        Fp(p.reg())
    }
    fn mul(p: &mut Prog, d: Self, a: Self, b: Self) {
        p.emit(Op::Mul, d.0, a.0, b.0);
    }
    fn sq(p: &mut Prog, d: Self, a: Self) {
        p.emit(Op::Mul, d.0, a.0, a.0);
    }
    fn add(p: &mut Prog, d: Self, a: Self, b: Self) {
        p.emit(Op::Add, d.0, a.0, b.0);
    }
    fn sub(p: &mut Prog, d: Self, a: Self, b: Self) {
        p.emit(Op::Sub, d.0, a.0, b.0);
    }
    fn copy(p: &mut Prog, d: Self, a: Self) {
        p.emit(Op::Copy, d.0, a.0, a.0);
    }
    fn mul_b3(p: &mut Prog, d: Self, a: Self) {
        p.emit(Op::Mul, d.0, a.0, Prog::k(Const::Twelve));
    }
    fn zero_one() -> (Self, Self) {
        (Fp(Prog::k(Const::Zero)), Fp(Prog::k(Const::One)))
    }
    fn regs(self) -> Vec<Reg> {
        vec![self.0]
    }
}

impl Field for Fp2 {
    fn alloc(p: &mut Prog) -> Self {
        Fp2(p.reg(), p.reg())
    }
    /// Karatsuba: 3 multiplications.
    fn mul(p: &mut Prog, d: Self, a: Self, b: Self) {
        let m = p.mark();
        let (v0, v1, s, t) = (p.reg(), p.reg(), p.reg(), p.reg());
        p.emit(Op::Mul, v0, a.0, b.0);
        p.emit(Op::Mul, v1, a.1, b.1);
        p.emit(Op::Add, s, a.0, a.1);
        p.emit(Op::Add, t, b.0, b.1);
        p.emit(Op::Mul, s, s, t);
        p.emit(Op::Sub, s, s, v0);
        p.emit(Op::Sub, d.1, s, v1);
        p.emit(Op::Sub, d.0, v0, v1);
        p.release(m);
    }
    fn sq(p: &mut Prog, d: Self, a: Self) {
        fp2_sq(p, d, a);
    }
    fn add(p: &mut Prog, d: Self, a: Self, b: Self) {
        p.emit(Op::Add, d.0, a.0, b.0);
        p.emit(Op::Add, d.1, a.1, b.1);
    }
    fn sub(p: &mut Prog, d: Self, a: Self, b: Self) {
        p.emit(Op::Sub, d.0, a.0, b.0);
        p.emit(Op::Sub, d.1, a.1, b.1);
    }
    fn copy(p: &mut Prog, d: Self, a: Self) {
        p.emit(Op::Copy, d.0, a.0, a.0);
        p.emit(Op::Copy, d.1, a.1, a.1);
    }
    /// `(a0 + a1 u) · 12 (1 + u) = 12 (a0 − a1) + 12 (a0 + a1) u`.
    fn mul_b3(p: &mut Prog, d: Self, a: Self) {
        let m = p.mark();
        let (s, t) = (p.reg(), p.reg());
        p.emit(Op::Sub, s, a.0, a.1);
        p.emit(Op::Add, t, a.0, a.1);
        p.emit(Op::Mul, d.0, s, Prog::k(Const::Twelve));
        p.emit(Op::Mul, d.1, t, Prog::k(Const::Twelve));
        p.release(m);
    }
    fn zero_one() -> (Self, Self) {
        let z = Prog::k(Const::Zero);
        (Fp2(z, z), Fp2(Prog::k(Const::One), z))
    }
    fn regs(self) -> Vec<Reg> {
        vec![self.0, self.1]
    }
}

/// Fp2 squaring: `(a0 + a1)(a0 − a1) + 2 a0 a1 u` (2 multiplications).
pub(crate) fn fp2_sq(p: &mut Prog, d: Fp2, a: Fp2) {
    let m = p.mark();
    let (s, t, u) = (p.reg(), p.reg(), p.reg());
    p.emit(Op::Add, s, a.0, a.1);
    p.emit(Op::Sub, t, a.0, a.1);
    p.emit(Op::Mul, u, a.0, a.1);
    p.emit(Op::Mul, d.0, s, t);
    p.emit(Op::Add, d.1, u, u);
    p.release(m);
}

/// Fp2 conjugate `a0 − a1 u`.
pub(crate) fn fp2_conj(p: &mut Prog, d: Fp2, a: Fp2) {
    p.emit(Op::Copy, d.0, a.0, a.0);
    p.emit(Op::Sub, d.1, Prog::k(Const::Zero), a.1);
}

/// A projective point `(X : Y : Z)`, affine `(X/Z, Y/Z)`, identity `(0 : 1 : 0)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Point<F> {
    pub x: F,
    pub y: F,
    pub z: F,
}

impl<F: Field> Point<F> {
    /// Fresh registers for a point.
    pub fn alloc(p: &mut Prog) -> Self {
        Self { x: F::alloc(p), y: F::alloc(p), z: F::alloc(p) }
    }

    /// Every register, `x` then `y` then `z`.
    pub fn regs(self) -> Vec<Reg> {
        [self.x, self.y, self.z].into_iter().flat_map(F::regs).collect()
    }
}

/// `d = a + b` (RCB Algorithm 7, `a = 0`; `d` may alias `a` or `b`).
pub(crate) fn add<F: Field>(p: &mut Prog, d: Point<F>, a: Point<F>, b: Point<F>) {
    let m = p.mark();
    let [t0, t1, t2, t3, t4, x3, y3, z3] = [(); 8].map(|_| F::alloc(p));
    F::mul(p, t0, a.x, b.x);
    F::mul(p, t1, a.y, b.y);
    F::mul(p, t2, a.z, b.z);
    F::add(p, t3, a.x, a.y);
    F::add(p, t4, b.x, b.y);
    F::mul(p, t3, t3, t4);
    F::add(p, t4, t0, t1);
    F::sub(p, t3, t3, t4);
    F::add(p, t4, a.y, a.z);
    F::add(p, x3, b.y, b.z);
    F::mul(p, t4, t4, x3);
    F::add(p, x3, t1, t2);
    F::sub(p, t4, t4, x3);
    F::add(p, x3, a.x, a.z);
    F::add(p, y3, b.x, b.z);
    F::mul(p, x3, x3, y3);
    F::add(p, y3, t0, t2);
    F::sub(p, y3, x3, y3);
    F::add(p, x3, t0, t0);
    F::add(p, t0, x3, t0);
    F::mul_b3(p, t2, t2);
    F::add(p, z3, t1, t2);
    F::sub(p, t1, t1, t2);
    F::mul_b3(p, y3, y3);
    F::mul(p, x3, t4, y3);
    F::mul(p, t2, t3, t1);
    F::sub(p, x3, t2, x3);
    F::mul(p, y3, y3, t0);
    F::mul(p, t1, t1, z3);
    F::add(p, y3, t1, y3);
    F::mul(p, t0, t0, t3);
    F::mul(p, z3, z3, t4);
    F::add(p, z3, z3, t0);
    F::copy(p, d.x, x3);
    F::copy(p, d.y, y3);
    F::copy(p, d.z, z3);
    p.release(m);
}

/// `d = 2a` (RCB Algorithm 9, `a = 0`; `d` may alias `a`).
pub(crate) fn double<F: Field>(p: &mut Prog, d: Point<F>, a: Point<F>) {
    let m = p.mark();
    let [t0, t1, t2, x3, y3, z3] = [(); 6].map(|_| F::alloc(p));
    F::sq(p, t0, a.y);
    F::add(p, z3, t0, t0);
    F::add(p, z3, z3, z3);
    F::add(p, z3, z3, z3);
    F::mul(p, t1, a.y, a.z);
    F::sq(p, t2, a.z);
    F::mul_b3(p, t2, t2);
    F::mul(p, x3, t2, z3);
    F::add(p, y3, t0, t2);
    F::mul(p, z3, t1, z3);
    F::add(p, t1, t2, t2);
    F::add(p, t2, t1, t2);
    F::sub(p, t0, t0, t2);
    F::mul(p, y3, t0, y3);
    F::add(p, y3, x3, y3);
    F::mul(p, t1, a.x, a.y);
    F::mul(p, x3, t0, t1);
    F::add(p, x3, x3, x3);
    F::copy(p, d.x, x3);
    F::copy(p, d.y, y3);
    F::copy(p, d.z, z3);
    p.release(m);
}

/// In place: plain input coordinates → Montgomery form.
pub(crate) fn to_mont(p: &mut Prog, regs: &[Reg]) {
    for &r in regs {
        p.emit(Op::Mul, r, r, Prog::k(Const::R2));
    }
}

/// In place: Montgomery form → plain values.
pub(crate) fn from_mont(p: &mut Prog, regs: &[Reg]) {
    for &r in regs {
        p.emit(Op::Mul, r, r, Prog::k(Const::Raw1));
    }
}

/// `d = a^(p−2)` (= `1/a`, and 0 for 0) by left-to-right square-and-multiply over the bits of `p − 2`.
pub(crate) fn fp_inv(p: &mut Prog, d: Fp, a: Fp) {
    let mut e = fp_cpu::p();
    e[0] -= 2; // p is odd and its low limb is > 2: no borrow.
    let bits: Vec<bool> = (0..fp_cpu::LIMBS * fp_cpu::BITS as usize)
        .rev()
        .map(|i| (e[i / fp_cpu::BITS as usize] >> (i % fp_cpu::BITS as usize)) & 1 == 1)
        .skip_while(|b| !b)
        .collect();
    let m = p.mark();
    let r = p.reg();
    p.emit(Op::Copy, r, a.0, a.0);
    for &bit in &bits[1..] {
        p.emit(Op::Mul, r, r, r);
        if bit {
            p.emit(Op::Mul, r, r, a.0);
        }
    }
    p.emit(Op::Copy, d.0, r, r);
    p.release(m);
}

/// Normalisation to affine: the point's `x, y` registers get `X/Z, Y/Z` as plain values (`0, 0` for the
/// identity, which is not on either curve, so the host can tell), Fp version.
pub(crate) fn to_affine_g1(p: &mut Prog, a: Point<Fp>) {
    let m = p.mark();
    let zi = Fp(p.reg());
    fp_inv(p, zi, a.z);
    Fp::mul(p, a.x, a.x, zi);
    Fp::mul(p, a.y, a.y, zi);
    from_mont(p, &[a.x.0, a.y.0]);
    p.release(m);
}

/// Fp2 version of [`to_affine_g1`]: `1/(c0 + c1 u) = (c0 − c1 u) / (c0² + c1²)`.
pub(crate) fn to_affine_g2(p: &mut Prog, a: Point<Fp2>) {
    let m = p.mark();
    let (n, t) = (Fp(p.reg()), Fp(p.reg()));
    Fp::mul(p, n, Fp(a.z.0), Fp(a.z.0));
    Fp::mul(p, t, Fp(a.z.1), Fp(a.z.1));
    Fp::add(p, n, n, t);
    fp_inv(p, n, n);
    let zi = Fp2::alloc(p);
    Fp::mul(p, Fp(zi.0), Fp(a.z.0), n);
    Fp::mul(p, t, Fp(a.z.1), n);
    Fp::sub(p, Fp(zi.1), Fp(Prog::k(Const::Zero)), t);
    Fp2::mul(p, a.x, a.x, zi);
    Fp2::mul(p, a.y, a.y, zi);
    from_mont(p, &[a.x.0, a.x.1, a.y.0, a.y.1]);
    p.release(m);
}

/// `d = ψ(a) = (conj(X) cx : conj(Y) cy : conj(Z))` with blst's coefficients (`cx = PsiX1 · u`).
pub(crate) fn psi(p: &mut Prog, d: Point<Fp2>, a: Point<Fp2>) {
    let m = p.mark();
    let (x, y, z) = (Fp2::alloc(p), Fp2::alloc(p), Fp2::alloc(p));
    // conj(X) · (PsiX1 u) = X1 PsiX1 + X0 PsiX1 u.
    p.emit(Op::Mul, x.0, a.x.1, Prog::k(Const::PsiX1));
    p.emit(Op::Mul, x.1, a.x.0, Prog::k(Const::PsiX1));
    let cy = Fp2(Prog::k(Const::PsiY0), Prog::k(Const::PsiY1));
    fp2_conj(p, y, a.y);
    Fp2::mul(p, y, y, cy);
    fp2_conj(p, z, a.z);
    Fp2::copy(p, d.x, x);
    Fp2::copy(p, d.y, y);
    Fp2::copy(p, d.z, z);
    p.release(m);
}

/// `d = [0xd201000000010000] a` by blst's chain (`POINTonE2_times_minus_z`): one doubling, then
/// add-and-double runs of 2, 3, 9, 32 and 16 doublings (63 doublings, 5 additions).
pub(crate) fn times_abs_z<F: Field>(p: &mut Prog, d: Point<F>, a: Point<F>) {
    let m = p.mark();
    let acc = Point::<F>::alloc(p);
    double(p, acc, a);
    for n in [2, 3, 9, 32, 16] {
        add(p, acc, acc, a);
        for _ in 0..n {
            double(p, acc, acc);
        }
    }
    for (dst, src) in d.regs().into_iter().zip(acc.regs()) {
        p.emit(Op::Copy, dst, src, src);
    }
    p.release(m);
}

/// A kernel program: the per-point segment runs once per input point (after the point's coordinates are
/// loaded, plain, into `input`), the init segment before the first point, the final segment after the last.
pub(crate) struct KernelProgram {
    /// Instructions: `init`, then `per_point`, then `fin`, back to back.
    pub prog: Prog,
    /// Instruction ranges.
    pub init: (u32, u32),
    pub per_point: (u32, u32),
    pub fin: (u32, u32),
    /// Where each input point's coordinates are loaded (plain values).
    pub input: Vec<Reg>,
    /// The registers written out per item (plain values), or, for a predicate kernel, the registers
    /// whose all-zero-ness is the verdict.
    pub output: Vec<Reg>,
}

/// Records the segment boundaries around three builder steps.
fn segments(
    mut prog: Prog,
    input: Vec<Reg>,
    init: impl FnOnce(&mut Prog),
    per_point: impl FnOnce(&mut Prog, &[Reg]),
    fin: impl FnOnce(&mut Prog) -> Vec<Reg>,
) -> KernelProgram {
    let a = prog.pc();
    init(&mut prog);
    let b = prog.pc();
    per_point(&mut prog, &input);
    let c = prog.pc();
    let output = fin(&mut prog);
    let d = prog.pc();
    KernelProgram { prog, init: (a, b), per_point: (b, c), fin: (c, d), input, output }
}

/// G1 segment sum: `acc = O; for each point: acc += point; out = affine(acc)`. Input `X, Y, Z` (plain),
/// output affine `x, y` (plain; `0, 0` = identity).
pub(crate) fn g1_sum_program() -> KernelProgram {
    let mut p = Prog::default();
    let acc = Point::<Fp>::alloc(&mut p);
    let input: Vec<Reg> = (0..3).map(|_| p.reg()).collect();
    let pt = Point { x: Fp(input[0]), y: Fp(input[1]), z: Fp(input[2]) };
    segments(
        p,
        input,
        |p| init_identity(p, acc),
        |p, r| {
            to_mont(p, r);
            add(p, acc, acc, pt);
        },
        |p| {
            to_affine_g1(p, acc);
            vec![acc.x.0, acc.y.0]
        },
    )
}

/// G2 segment sum: input `X0, X1, Y0, Y1, Z0, Z1` (plain), output affine `x0, x1, y0, y1`.
pub(crate) fn g2_sum_program() -> KernelProgram {
    let mut p = Prog::default();
    let acc = Point::<Fp2>::alloc(&mut p);
    let input: Vec<Reg> = (0..6).map(|_| p.reg()).collect();
    let pt = g2_point(&input);
    segments(
        p,
        input,
        |p| init_identity(p, acc),
        |p, r| {
            to_mont(p, r);
            add(p, acc, acc, pt);
        },
        |p| {
            to_affine_g2(p, acc);
            vec![acc.x.0, acc.x.1, acc.y.0, acc.y.1]
        },
    )
}

fn g2_point(r: &[Reg]) -> Point<Fp2> {
    Point { x: Fp2(r[0], r[1]), y: Fp2(r[2], r[3]), z: Fp2(r[4], r[5]) }
}

/// `a = (0 : 1 : 0)`.
fn init_identity<F: Field>(p: &mut Prog, a: Point<F>) {
    let (zero, one) = F::zero_one();
    F::copy(p, a.x, zero);
    F::copy(p, a.y, one);
    F::copy(p, a.z, zero);
}

/// G2 subgroup check (Scott 2021, as blst): `P ∈ G2 ⟺ ψ(P) = [z]P = −[|z|]P`. Input `X0..Z1` (plain);
/// the verdict registers hold `Xψ·Zq − Xq·Zψ` and `Yψ·Zq + Yq·Zψ` (both Fp2, `q = [|z|]P`): all four
/// zero ⟺ the projective points are equal ⟺ `P ∈ G2` (the identity included).
pub(crate) fn g2_subgroup_program() -> KernelProgram {
    let mut p = Prog::default();
    let input: Vec<Reg> = (0..6).map(|_| p.reg()).collect();
    let a = g2_point(&input);
    let (dx, dy) = (Fp2::alloc(&mut p), Fp2::alloc(&mut p));
    segments(
        p,
        input,
        |_| {},
        |p, r| {
            to_mont(p, r);
            let m = p.mark();
            let t = Point::<Fp2>::alloc(p);
            psi(p, t, a);
            let q = Point::<Fp2>::alloc(p);
            times_abs_z(p, q, a);
            let (u, v) = (Fp2::alloc(p), Fp2::alloc(p));
            Fp2::mul(p, u, t.x, q.z);
            Fp2::mul(p, v, q.x, t.z);
            Fp2::sub(p, dx, u, v);
            Fp2::mul(p, u, t.y, q.z);
            Fp2::mul(p, v, q.y, t.z);
            Fp2::add(p, dy, u, v);
            p.release(m);
        },
        |_| vec![dx.0, dx.1, dy.0, dy.1],
    )
}

/// Field test program (tests only): inputs `a0, a1, b0, b1` (plain); outputs (plain) `a0·b0, a0+b0,
/// a0−b0, a0², 1/a0, (a·b).0, (a·b).1, (a²).0, (a²).1, conj(a).1, (3b·a).0, (3b·a).1, a0` (the last one
/// only converted in and out: canonical reduction).
#[cfg(test)]
pub(crate) fn field_test_program() -> KernelProgram {
    let mut p = Prog::default();
    let input: Vec<Reg> = (0..4).map(|_| p.reg()).collect();
    let out: Vec<Reg> = (0..13).map(|_| p.reg()).collect();
    let o = out.clone();
    segments(
        p,
        input,
        |_| {},
        |p, r| {
            to_mont(p, r);
            let (a, b) = (Fp2(r[0], r[1]), Fp2(r[2], r[3]));
            Fp::mul(p, Fp(o[0]), Fp(a.0), Fp(b.0));
            Fp::add(p, Fp(o[1]), Fp(a.0), Fp(b.0));
            Fp::sub(p, Fp(o[2]), Fp(a.0), Fp(b.0));
            Fp::mul(p, Fp(o[3]), Fp(a.0), Fp(a.0));
            fp_inv(p, Fp(o[4]), Fp(a.0));
            Fp2::mul(p, Fp2(o[5], o[6]), a, b);
            fp2_sq(p, Fp2(o[7], o[8]), a);
            let m = p.mark();
            let c = Fp2::alloc(p);
            fp2_conj(p, c, a);
            Fp::copy(p, Fp(o[9]), Fp(c.1));
            p.release(m);
            Fp2::mul_b3(p, Fp2(o[10], o[11]), a);
            Fp::copy(p, Fp(o[12]), Fp(a.0));
            from_mont(p, &o);
        },
        |_| out,
    )
}
