//! The register programs the BLS kernels interpret: straight-line lists of Fp operations on a register
//! file, built here from the point formulas ([`super::curve`]) and run by one interpreter loop in the
//! shader, so the shader holds exactly one inlined copy of the Montgomery multiplication however many
//! multiplications the formulas need (lavapipe inlines every function call site; code size is what its
//! JIT time grows with).
//!
//! An instruction is one u32: `op << 30 | dst << 20 | a << 10 | b` with `op` 0 = `dst = a · b`
//! (Montgomery), 1 = `dst = a + b`, 2 = `dst = a - b` (all mod p, fully reduced), 3 = `dst = a`.
//! Registers `0..CONSTS` hold the constants of [`Const`], loaded before the program runs.

use super::fp_cpu::{self, Limbs};

/// Operation codes (the top two bits of an instruction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Mul = 0,
    Add = 1,
    Sub = 2,
    Copy = 3,
}

/// The constant registers, loaded from the kernel's table before any program runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Const {
    /// 0.
    Zero = 0,
    /// 1 in Montgomery form.
    One = 1,
    /// `R² mod p` as a plain value: `a · R2` turns a plain `a` into Montgomery form.
    R2 = 2,
    /// Plain 1: `a · Raw1` turns a Montgomery form back into the plain value.
    Raw1 = 3,
    /// 12 = 3b of G1 (`b = 4`), Montgomery form; G2's `3b = 12 (1 + u)` uses it too.
    Twelve = 4,
    /// Imaginary part of ψ's x coefficient `1 / (1 + u)^((p-1)/3)` (its real part is 0).
    PsiX1 = 5,
    /// Real part of ψ's y coefficient `1 / (1 + u)^((p-1)/2)`.
    PsiY0 = 6,
    /// Imaginary part of ψ's y coefficient.
    PsiY1 = 7,
}

/// Number of constant registers.
pub(crate) const CONSTS: u16 = 8;

/// ψ coefficients (plain, big-endian hex), from blst `src/e2.c` (`psi`, `frobenius_x` / `frobenius_y`).
const PSI_X1: &str = "1a0111ea397fe699ec02408663d4de85aa0d857d89759ad4897d29650fb85f9b409427eb4f49fffd8bfd00000000aaad";
const PSI_Y0: &str = "135203e60180a68ee2e9c448d77a2cd91c3dedd930b1cf60ef396489f61eb45e304466cf3e67fa0af1ee7b04121bdea2";
const PSI_Y1: &str = "06af0e0437ff400b6831e36d6bd17ffe48395dabc2d3435e77f76e17009241c5ee67992f72ec05f4c81084fbede3cc09";

/// The constant registers' values in the order of [`Const`] (each in the form its doc says).
pub(crate) fn const_values() -> Vec<Limbs> {
    let plain = |v: u32| {
        let mut l = [0u32; fp_cpu::LIMBS];
        l[0] = v;
        l
    };
    vec![
        plain(0),
        fp_cpu::to_mont(&plain(1)),
        fp_cpu::r2(),
        plain(1),
        fp_cpu::to_mont(&plain(12)),
        fp_cpu::to_mont(&fp_cpu::from_hex(PSI_X1)),
        fp_cpu::to_mont(&fp_cpu::from_hex(PSI_Y0)),
        fp_cpu::to_mont(&fp_cpu::from_hex(PSI_Y1)),
    ]
}

/// A register index.
pub(crate) type Reg = u16;

/// A program under construction: instructions and a stack allocator of registers.
pub(crate) struct Prog {
    code: Vec<u32>,
    next: Reg,
    max: Reg,
}

impl Default for Prog {
    fn default() -> Self {
        Self { code: Vec::new(), next: CONSTS, max: CONSTS }
    }
}

impl Prog {
    /// A fresh register (stack order: [`Prog::mark`] / [`Prog::release`] free everything after a mark).
    pub fn reg(&mut self) -> Reg {
        let r = self.next;
        self.next += 1;
        self.max = self.max.max(self.next);
        assert!(self.next < 1024, "register file overflow");
        r
    }

    /// The allocation point, to [`Prog::release`] to later.
    pub fn mark(&self) -> Reg {
        self.next
    }

    /// Frees every register allocated after `mark`.
    pub fn release(&mut self, mark: Reg) {
        self.next = mark;
    }

    /// Registers used so far (constants included): the shader's register file size.
    pub fn registers(&self) -> u16 {
        self.max
    }

    /// Current program counter (instruction index).
    pub fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    /// The instruction words.
    pub fn code(&self) -> &[u32] {
        &self.code
    }

    /// Appends `dst = a <op> b`.
    pub fn emit(&mut self, op: Op, dst: Reg, a: Reg, b: Reg) {
        self.code.push((op as u32) << 30 | u32::from(dst) << 20 | u32::from(a) << 10 | u32::from(b));
    }

    /// The register of constant `c`.
    pub fn k(c: Const) -> Reg {
        c as Reg
    }
}

/// Decodes an instruction word into (op, dst, a, b).
pub(crate) fn decode(word: u32) -> (u32, usize, usize, usize) {
    (word >> 30, ((word >> 20) & 1023) as usize, ((word >> 10) & 1023) as usize, (word & 1023) as usize)
}

/// Runs `code` on `regs` with the CPU mirror of the GPU arithmetic (the tests' way of checking the
/// programs without a device).
#[cfg(test)]
pub(crate) fn run_cpu(code: &[u32], regs: &mut [Limbs]) {
    for &w in code {
        let (op, d, a, b) = decode(w);
        regs[d] = match op {
            0 => fp_cpu::mont_mul(&regs[a], &regs[b]),
            1 => fp_cpu::add(&regs[a], &regs[b]),
            2 => fp_cpu::sub(&regs[a], &regs[b]),
            _ => regs[a],
        };
    }
}
