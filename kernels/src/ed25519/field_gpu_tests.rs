//! Stage-1 check: the generated field kernel against the CPU reference ([`super::fe_cpu`]) on
//! random and edge-case inputs (including non-canonical 255-bit values ≥ p).

use std::time::Instant;

use super::fe_cpu::Fe;
use super::wgsl_gen::entry::{FIELD_TEST_IN_WORDS, FIELD_TEST_OUT_WORDS, field_test_shader};
use crate::gpu::{Kernel, ms};
use crate::testutil::{Rng, test_gpu, to_bytes, to_words};

fn edge_values() -> Vec<[u8; 32]> {
    let p = {
        let mut b = [0xffu8; 32];
        b[0] = 0xed;
        b[31] = 0x7f;
        b
    };
    let add = |x: [u8; 32], k: u8| {
        let mut b = x;
        let mut c = u16::from(k);
        for v in b.iter_mut() {
            let s = u16::from(*v) + c;
            *v = s as u8;
            c = s >> 8;
        }
        b
    };
    let mut one = [0u8; 32];
    one[0] = 1;
    let mut pm1 = p;
    pm1[0] = 0xec;
    vec![[0; 32], one, pm1, p, add(p, 1), add(p, 18), [0xff; 32], Fe::sqrt_m1().to_bytes()]
}

fn expected(a: &[u8; 32], b: &[u8; 32]) -> Vec<u32> {
    let (x, y) = (Fe::from_bytes(a), Fe::from_bytes(b));
    let (ok, r) = Fe::sqrt_ratio_i(&x, &y);
    let mut out = Vec::with_capacity(FIELD_TEST_OUT_WORDS);
    for v in [x.mul(&y), x.square(), x.add(&y), x.sub(&y), x.invert(), x.pow_p58(), r, x] {
        out.extend_from_slice(&to_words(&v.to_bytes()));
    }
    out.push(u32::from(ok) | u32::from(x.is_negative()) << 1 | u32::from(x == Fe::ZERO) << 2 | u32::from(x == y) << 3);
    out
}

#[test]
fn gpu_field_matches_cpu_reference() {
    let Some(gpu) = test_gpu() else { return };
    let mut rng = Rng(0xf1e1d);
    let edges = edge_values();
    let mut pairs = Vec::new();
    for a in &edges {
        for b in &edges {
            pairs.push((*a, *b));
        }
    }
    // Squares over a random denominator exercise the "ok" path of sqrt_ratio_i.
    for _ in 0..16 {
        let (x, v) = (Fe::from_bytes(&rng.bytes::<32>()), Fe::from_bytes(&rng.bytes::<32>()));
        pairs.push((x.square().mul(&v).to_bytes(), v.to_bytes()));
    }
    while pairs.len() < 128 {
        pairs.push((rng.bytes::<32>(), rng.bytes::<32>()));
    }
    let mut input = Vec::with_capacity(pairs.len() * FIELD_TEST_IN_WORDS);
    for (a, b) in &pairs {
        input.extend_from_slice(&to_words(a));
        input.extend_from_slice(&to_words(b));
    }
    let t = Instant::now();
    let kernel = Kernel::new(
        &gpu,
        "field test",
        &field_test_shader(8),
        "field_test",
        8,
        None,
        FIELD_TEST_IN_WORDS as u32,
        FIELD_TEST_OUT_WORDS as u32,
    )
    .unwrap();
    let pipeline_ms = ms(t.elapsed());
    let (out, timing) = kernel.run(&gpu, &input, pairs.len() as u32).unwrap();
    println!("field kernel: pipeline {pipeline_ms:.0} ms, first run {timing:?}");
    let names = ["mul", "sq", "add", "sub", "inv", "pow_p58", "sqrt_ratio", "canon"];
    for (i, ((a, b), got)) in pairs.iter().zip(out.chunks_exact(FIELD_TEST_OUT_WORDS)).enumerate() {
        let want = expected(a, b);
        for (k, name) in names.iter().enumerate() {
            let (g, w) = (&got[8 * k..8 * k + 8], &want[8 * k..8 * k + 8]);
            assert_eq!(
                to_bytes(g),
                to_bytes(w),
                "item {i} {name}: a = {a:02x?}, b = {b:02x?}\n got {:02x?}\nwant {:02x?}",
                to_bytes(g),
                to_bytes(w)
            );
        }
        assert_eq!(got[64], want[64], "item {i} flags");
    }
    // The same call split into dispatches of 24 items (as a device with small limits would force) gives the same
    // words in the same order.
    let (split, parts) = kernel.run_split(&gpu, &input, pairs.len() as u32, 24).unwrap();
    assert_eq!(split, out, "split dispatch differs from one dispatch");
    assert!(parts.compute_ms > 0.0, "{parts:?}");
}
