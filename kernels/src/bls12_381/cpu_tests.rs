//! CPU checks (no device): the limb arithmetic mirror against blst, and the kernel programs run by the
//! CPU interpreter against blst's point arithmetic — the formulas are right before any GPU runs them.

use blst::min_pk::{AggregatePublicKey, AggregateSignature, PublicKey, Signature};

use super::curve::{KernelProgram, field_test_program, g1_sum_program, g2_subgroup_program, g2_sum_program};
use super::fp_cpu::{self, Limbs};
use super::host::{g1_words, g2_words, serialize_affine};
use super::program::{const_values, run_cpu};
use super::reference as r;
use crate::testutil::Rng;

/// Runs a kernel program on the CPU mirror: `points` input points (plain limbs, flattened), outputs.
pub(crate) fn run_kernel_cpu(kp: &KernelProgram, words: &[u32]) -> Vec<u32> {
    let mut regs = vec![[0u32; fp_cpu::LIMBS]; usize::from(kp.prog.registers())];
    for (i, c) in const_values().into_iter().enumerate() {
        regs[i] = c;
    }
    let code = kp.prog.code();
    let seg = |s: (u32, u32)| &code[s.0 as usize..s.1 as usize];
    run_cpu(seg(kp.init), &mut regs);
    for point in words.chunks_exact(kp.input.len() * fp_cpu::LIMBS) {
        for (k, &reg) in kp.input.iter().enumerate() {
            regs[usize::from(reg)].copy_from_slice(&point[k * fp_cpu::LIMBS..(k + 1) * fp_cpu::LIMBS]);
        }
        run_cpu(seg(kp.per_point), &mut regs);
    }
    run_cpu(seg(kp.fin), &mut regs);
    kp.output.iter().flat_map(|&o| regs[usize::from(o)]).collect()
}

/// Expected outputs of [`field_test_program`] for plain inputs `a0, a1, b0, b1` (blst).
pub(crate) fn field_expected(a0: &Limbs, a1: &Limbs, b0: &Limbs, b1: &Limbs) -> Vec<Limbs> {
    let (m0, m1) = r::fp2_mul((a0, a1), (b0, b1));
    let (s0, s1) = r::fp2_mul((a0, a1), (a0, a1));
    let mut twelve = [0u32; fp_cpu::LIMBS];
    twelve[0] = 12;
    let (t0, t1) = r::fp2_mul((a0, a1), (&twelve, &twelve));
    vec![
        r::mul(a0, b0),
        r::add(a0, b0),
        r::sub(a0, b0),
        r::mul(a0, a0),
        r::inv(a0),
        m0,
        m1,
        s0,
        s1,
        r::sub(&[0; fp_cpu::LIMBS], a1),
        t0,
        t1,
        *a0,
    ]
}

/// Seeded field inputs: every pair of edge values, then random ones.
pub(crate) fn field_inputs(seed: u64, random: usize) -> Vec<[Limbs; 4]> {
    let mut rng = Rng(seed);
    let edges = r::edge_fps();
    let mut out = Vec::new();
    for a in &edges {
        for b in &edges {
            out.push([*a, *b, *b, *a]);
        }
    }
    for _ in 0..random {
        out.push([r::random_fp(&mut rng), r::random_fp(&mut rng), r::random_fp(&mut rng), r::random_fp(&mut rng)]);
    }
    out
}

#[test]
fn cpu_mirror_matches_blst_fp() {
    let seed = 0xb15_f00d;
    let mut rng = Rng(seed);
    let mut vals = r::edge_fps();
    vals.extend((0..40).map(|_| r::random_fp(&mut rng)));
    for a in &vals {
        for b in &vals {
            let am = fp_cpu::to_mont(a);
            let bm = fp_cpu::to_mont(b);
            assert_eq!(fp_cpu::from_mont(&fp_cpu::mont_mul(&am, &bm)), r::mul(a, b), "seed {seed:#x} mul");
            assert_eq!(fp_cpu::add(a, b), r::add(a, b), "seed {seed:#x} add");
            assert_eq!(fp_cpu::sub(a, b), r::sub(a, b), "seed {seed:#x} sub");
        }
    }
}

#[test]
fn field_program_on_cpu_matches_blst() {
    let seed = 0x00f1_e1d2;
    let kp = field_test_program();
    for (i, [a0, a1, b0, b1]) in field_inputs(seed, 8).iter().enumerate() {
        let words: Vec<u32> = [a0, a1, b0, b1].iter().flat_map(|l| l.iter().copied()).collect();
        let got = run_kernel_cpu(&kp, &words);
        let want: Vec<u32> = field_expected(a0, a1, b0, b1).into_iter().flatten().collect();
        assert_eq!(got, want, "seed {seed:#x}, input {i}");
    }
}

/// The affine sum of `points` by the CPU-interpreted sum program, as blst's uncompressed bytes.
fn program_sum(kp: &KernelProgram, words: &[u32]) -> Vec<u8> {
    serialize_affine(&run_kernel_cpu(kp, words)).expect("limbs in range")
}

#[test]
fn g1_sum_program_matches_blst() {
    let seed = 0x61_5eed;
    let mut rng = Rng(seed);
    let keys = r::keys(&mut rng, 5);
    let neg = |k: &PublicKey| {
        // −P: same x, y → p − y.
        let s = k.serialize();
        let mut y = [0u8; 48];
        y.copy_from_slice(&s[48..]);
        let ny = fp_cpu::to_be_bytes(&fp_cpu::sub(&[0; fp_cpu::LIMBS], &fp_cpu::from_be_bytes(&y)));
        let mut b = s;
        b[48..].copy_from_slice(&ny);
        PublicKey::deserialize(&b).expect("negated key is on the curve")
    };
    let kp = g1_sum_program();
    let cases: Vec<Vec<PublicKey>> = vec![
        keys[..1].to_vec(),
        keys.clone(),
        vec![keys[0], keys[0]],                   // P + P
        vec![keys[1], neg(&keys[1])],             // P + (−P) = O
        vec![keys[2], keys[3], neg(&keys[2])],    // through O and back
        vec![keys[0], keys[0], keys[0], keys[4]], // repeated
    ];
    for (i, set) in cases.iter().enumerate() {
        let mut words = Vec::new();
        set.iter().for_each(|k| g1_words(k, &mut words));
        let refs: Vec<&PublicKey> = set.iter().collect();
        let want = AggregatePublicKey::aggregate(&refs, false).expect("non-empty").to_public_key().serialize();
        assert_eq!(program_sum(&kp, &words), want.to_vec(), "seed {seed:#x} case {i}");
    }
}

#[test]
fn g2_programs_match_blst() {
    let seed = 0x62_5eed;
    let mut rng = Rng(seed);
    let sigs = r::signatures(&mut rng, 3);
    let bad: Vec<Signature> =
        r::non_subgroup(&mut rng, 3).iter().map(|b| Signature::uncompress(b).expect("decodes")).collect();
    let kp = g2_sum_program();
    let mut all = sigs.clone();
    all.extend(bad.iter().cloned());
    let mut words = Vec::new();
    all.iter().for_each(|s| g2_words(s, &mut words));
    let refs: Vec<&Signature> = all.iter().collect();
    let want = AggregateSignature::aggregate(&refs, false).expect("non-empty").to_signature().serialize();
    assert_eq!(program_sum(&kp, &words), want.to_vec(), "seed {seed:#x} g2 sum");

    let kp = g2_subgroup_program();
    let mut inf = [0u8; 96];
    inf[0] = 0xc0;
    all.push(Signature::uncompress(&inf).expect("identity decodes"));
    for (i, s) in all.iter().enumerate() {
        let mut words = Vec::new();
        g2_words(s, &mut words);
        let out = run_kernel_cpu(&kp, &words);
        assert_eq!(out.iter().all(|&w| w == 0), s.subgroup_check(), "seed {seed:#x} point {i}");
    }
    println!(
        "program sizes: g1 sum {} / g2 sum {} / g2 subgroup {} instructions",
        g1_sum_program().prog.code().len(),
        g2_sum_program().prog.code().len(),
        kp.prog.code().len()
    );
}
