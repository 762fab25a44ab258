//! WGSL generation for the BLS kernels: the Fp arithmetic written straight-line (no loops over limbs,
//! FIELD-NOTES) and one interpreter loop running a [`KernelProgram`] from the kernel's table buffer.

use super::curve::KernelProgram;
use super::fp_cpu::{self, LIMBS};
use super::program::CONSTS;
use crate::gpu::Src;

/// What a kernel writes per item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    /// The output registers' limbs (`30 × registers` words).
    Registers,
    /// One word: 1 if every output register is zero, else 0.
    AllZero,
}

/// Words of the table header the shader reads its layout from (so every BLS kernel runs the same
/// shader text: one driver JIT, shared through the driver's cache).
pub(crate) const HEADER: usize = 16;
/// Registers in the shader's register file (every program must fit).
pub(crate) const REGISTERS: u16 = 64;

/// The layout of one kernel: how many points an item holds, the per-item word counts, and the table
/// (header, program, constants) the shader runs.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// Input words per item.
    pub in_words: u32,
    /// Output words per item.
    pub out_words: u32,
    /// Header (see [`shader`]), program words, then the constant registers' limbs.
    pub table: Vec<u32>,
}

impl Layout {
    /// The layout of `program` with `points` points per item and output `output`.
    pub fn new(program: &KernelProgram, points: u32, output: Output) -> Self {
        assert!(program.prog.registers() <= REGISTERS, "program needs {} registers", program.prog.registers());
        assert!(program.input.windows(2).all(|w| w[1] == w[0] + 1), "input registers must be contiguous");
        assert!(program.output.windows(2).all(|w| w[1] == w[0] + 1), "output registers must be contiguous");
        let words = LIMBS as u32;
        let nin = program.input.len() as u32;
        let nout = program.output.len() as u32;
        let in_words = points * nin * words;
        let out_words = match output {
            Output::Registers => nout * words,
            Output::AllZero => 1,
        };
        let code = program.prog.code();
        let off = HEADER as u32;
        let seg = |s: (u32, u32)| [s.0 + off, s.1 + off];
        let mut table = vec![
            points,
            nin,
            program.input.first().map_or(0, |&r| u32::from(r)),
            nout,
            program.output.first().map_or(0, |&r| u32::from(r)),
            u32::from(output == Output::AllZero),
        ];
        table.extend(seg(program.init));
        table.extend(seg(program.per_point));
        table.extend(seg(program.fin));
        table.extend([off + code.len() as u32, in_words, out_words, 0]);
        debug_assert_eq!(table.len(), HEADER);
        table.extend_from_slice(code);
        for c in super::program::const_values() {
            table.extend_from_slice(&c);
        }
        Self { in_words, out_words, table }
    }
}

fn fp_ctor(prefix: &str) -> String {
    let l: Vec<String> = (0..LIMBS).map(|i| format!("{prefix}{i}")).collect();
    format!("Fp({})", l.join(", "))
}

/// `fp_csub`: `r − p` if `r ≥ p`, else `r` (inputs < 2p with 13-bit limbs below the top one).
fn gen_csub(s: &mut Src, p: &[u32; LIMBS]) {
    s.open("fn fp_csub(r: Fp) -> Fp {");
    s.line("var d = 0u;");
    s.line("var br = 0u;");
    for (i, pi) in p.iter().enumerate() {
        s.line(format!("d = r[{i}] + {}u - br; let t{i} = d & 8191u; br = 1u - (d >> 13u);", 8192 - pi));
    }
    s.line(format!("if (br == 0u) {{ return {}; }}", fp_ctor("t")));
    s.line("return r;");
    s.close();
}

fn gen_add_sub(s: &mut Src, p: &[u32; LIMBS]) {
    s.open("fn fp_add(a: Fp, b: Fp) -> Fp {");
    s.line("var c = 0u;");
    for i in 0..LIMBS {
        s.line(format!("c = a[{i}] + b[{i}] + (c >> 13u); let r{i} = c & 8191u;"));
    }
    s.line(format!("return fp_csub({});", fp_ctor("r")));
    s.close();

    s.open("fn fp_sub(a: Fp, b: Fp) -> Fp {");
    s.line("var d = 0u;");
    s.line("var br = 0u;");
    for i in 0..LIMBS {
        s.line(format!("d = a[{i}] + 8192u - b[{i}] - br; let t{i} = d & 8191u; br = 1u - (d >> 13u);"));
    }
    s.line(format!("if (br == 0u) {{ return {}; }}", fp_ctor("t")));
    s.line("var c = 0u;");
    for (i, pi) in p.iter().enumerate() {
        s.line(format!("c = t{i} + {pi}u + (c >> 13u); let u{i} = c & 8191u;"));
    }
    s.line(format!("return {};", fp_ctor("u")));
    s.close();
}

/// Montgomery multiplication by product scanning, exactly [`fp_cpu::mont_mul`]'s column schedule.
fn gen_mul(s: &mut Src, p: &[u32; LIMBS], pinv: u32) {
    s.open("fn fp_mul(a: Fp, b: Fp) -> Fp {");
    for i in 0..LIMBS {
        s.line(format!("let a{i} = a[{i}]; let b{i} = b[{i}];"));
    }
    s.line("var acc = 0u;");
    for k in 0..2 * LIMBS - 1 {
        let lo = k.saturating_sub(LIMBS - 1);
        let mut terms: Vec<String> = (lo..=k.min(LIMBS - 1)).map(|i| format!("a{i} * b{}", k - i)).collect();
        terms.extend((lo..k.min(LIMBS)).filter(|&i| p[k - i] != 0).map(|i| format!("m{i} * {}u", p[k - i])));
        s.line(format!("acc = acc + {};", terms.join(" + ")));
        if k < LIMBS {
            s.line(format!("let m{k} = ((acc & 8191u) * {pinv}u) & 8191u;"));
            s.line(format!("acc = (acc + m{k} * {}u) >> 13u;", p[0]));
        } else {
            s.line(format!("let r{} = acc & 8191u; acc = acc >> 13u;", k - LIMBS));
        }
    }
    s.line(format!("let r{} = acc;", LIMBS - 1));
    s.line(format!("return fp_csub({});", fp_ctor("r")));
    s.close();
}

/// `Fp(buf[o], …, buf[o + 29])`.
fn load(buf: &str) -> String {
    let l: Vec<String> = (0..LIMBS).map(|i| format!("{buf}[o + {i}u]")).collect();
    format!("Fp({})", l.join(", "))
}

/// The shader every BLS kernel runs: field functions, the interpreter, and entry `main`, which reads its
/// layout from the table header: `[0]` points per item, `[1]` input registers per point, `[2]` first input
/// register, `[3]` output registers, `[4]` first output register, `[5]` output mode (0: registers, 1: one
/// all-zero word), `[6..8]` init segment, `[8..10]` per-point segment, `[10..12]` final segment, `[12]`
/// constants offset, `[13]` input words per item, `[14]` output words per item.
pub(crate) fn shader(workgroup: u32) -> String {
    let (p, pinv) = (fp_cpu::p(), fp_cpu::pinv());
    let mut s = Src::default();
    s.line("// Generated by hsbench-kernels (src/bls12_381/wgsl.rs). Do not edit.");
    s.line(format!("alias Fp = array<u32, {LIMBS}>;"));
    s.line("@group(0) @binding(0) var<storage, read> table: array<u32>;");
    s.line("@group(0) @binding(1) var<storage, read> items: array<u32>;");
    s.line("@group(0) @binding(2) var<storage, read_write> out: array<u32>;");
    s.line("@group(0) @binding(3) var<uniform> params: vec4<u32>;");
    s.line(format!("var<private> R: array<Fp, {REGISTERS}>;"));
    s.line("");
    gen_csub(&mut s, &p);
    gen_add_sub(&mut s, &p);
    gen_mul(&mut s, &p, pinv);

    s.open("fn table_fp(o: u32) -> Fp {");
    s.line(format!("return {};", load("table")));
    s.close();
    s.open("fn item_fp(o: u32) -> Fp {");
    s.line(format!("return {};", load("items")));
    s.close();

    s.open("fn exec(start: u32, end: u32) {");
    s.open("for (var pc = start; pc < end; pc++) {");
    for l in [
        "let w = table[pc];",
        "let x = R[(w >> 10u) & 1023u];",
        "let y = R[w & 1023u];",
        "var z = x;",
        "switch (w >> 30u) {",
        "    case 0u: { z = fp_mul(x, y); }",
        "    case 1u: { z = fp_add(x, y); }",
        "    case 2u: { z = fp_sub(x, y); }",
        "    default: {}",
        "}",
        "R[(w >> 20u) & 1023u] = z;",
    ] {
        s.line(l);
    }
    s.close();
    s.close();

    s.line(format!("@compute @workgroup_size({workgroup})"));
    s.open("fn main(@builtin(global_invocation_id) gid: vec3<u32>) {");
    for l in [
        "let i = gid.x;",
        "if (i >= params.x) { return; }",
        "let points = table[0];",
        "let nin = table[1];",
        "let in0 = table[2];",
        "let nout = table[3];",
        "let out0 = table[4];",
        "let const_off = table[12];",
    ] {
        s.line(l);
    }
    s.open(format!("for (var c = 0u; c < {CONSTS}u; c++) {{"));
    s.line(format!("R[c] = table_fp(const_off + {LIMBS}u * c);"));
    s.close();
    s.line("let base = i * table[13];");
    s.open("for (var step = 0u; step < points + 2u; step++) {");
    s.line("var seg = vec2<u32>(table[6], table[7]);");
    s.open("if (step > 0u && step <= points) {");
    s.line(format!("let pb = base + (step - 1u) * nin * {LIMBS}u;"));
    s.open("for (var q = 0u; q < nin; q++) {");
    s.line(format!("R[in0 + q] = item_fp(pb + {LIMBS}u * q);"));
    s.close();
    s.line("seg = vec2<u32>(table[8], table[9]);");
    s.close();
    s.line("if (step > points) { seg = vec2<u32>(table[10], table[11]); }");
    s.line("exec(seg.x, seg.y);");
    s.close();
    s.open("if (table[5] == 0u) {");
    s.line("let ob = i * table[14];");
    s.open("for (var k = 0u; k < nout; k++) {");
    s.line("let v = R[out0 + k];");
    for l in 0..LIMBS {
        s.line(format!("out[ob + {LIMBS}u * k + {l}u] = v[{l}];"));
    }
    s.close();
    s.close();
    s.open("else {");
    s.line("var any = 0u;");
    s.open("for (var k = 0u; k < nout; k++) {");
    s.line("let v = R[out0 + k];");
    let ors: Vec<String> = (0..LIMBS).map(|l| format!("v[{l}]")).collect();
    s.line(format!("any = any | {};", ors.join(" | ")));
    s.close();
    s.line("out[i] = select(0u, 1u, any == 0u);");
    s.close();
    s.close();
    s.finish()
}

#[cfg(test)]
mod tests {
    use crate::testutil::assert_valid_compute_shader;

    /// The generated shader passes naga's WGSL front end and validator, with the entry point the backend
    /// dispatches (`main`), at the workgroup sizes the tests and the backend dispatch.
    #[test]
    fn bls_shader_validates_with_naga() {
        for workgroup in [8, 64, 256] {
            assert_valid_compute_shader("the BLS shader", &super::shader(workgroup), "main", workgroup);
        }
    }
}
