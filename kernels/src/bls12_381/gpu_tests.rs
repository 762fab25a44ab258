//! Device checks of the generated Fp/Fp2 arithmetic (the field test program through the real shader)
//! against blst.

use std::time::Instant;

use super::cpu_tests::{field_expected, field_inputs};
use super::curve::field_test_program;
use super::wgsl::{Layout, Output, shader};
use crate::gpu::{Kernel, ms};
use crate::testutil::test_gpu;

#[test]
fn gpu_fp_and_fp2_match_blst() {
    let Some(gpu) = test_gpu() else { return };
    let seed = 0x00f1_e1d3;
    let kp = field_test_program();
    let layout = Layout::new(&kp, 1, Output::Registers);
    let src = shader(8);
    let t = Instant::now();
    let kernel =
        Kernel::new(&gpu, "bls field test", &src, "main", 8, Some(&layout.table), layout.in_words, layout.out_words)
            .expect("field test kernel compiles");
    let pipeline_ms = ms(t.elapsed());
    let inputs = field_inputs(seed, 28);
    let words: Vec<u32> = inputs.iter().flat_map(|x| x.iter().flat_map(|l| l.iter().copied())).collect();
    let (out, timing) = kernel.run(&gpu, &words, inputs.len() as u32).expect("field test kernel runs");
    println!("bls field kernel: {} lines, pipeline {pipeline_ms:.0} ms, first run {timing:?}", src.lines().count());
    let (_, again) = kernel.run(&gpu, &words, inputs.len() as u32).expect("field test kernel runs");
    println!("second run {again:?}");
    let names = [
        "mul",
        "add",
        "sub",
        "sq",
        "inv",
        "fp2 mul.0",
        "fp2 mul.1",
        "fp2 sq.0",
        "fp2 sq.1",
        "conj.1",
        "3b.0",
        "3b.1",
        "canon",
    ];
    for (i, (inp, got)) in inputs.iter().zip(out.chunks_exact(layout.out_words as usize)).enumerate() {
        let want = field_expected(&inp[0], &inp[1], &inp[2], &inp[3]);
        for (k, (w, g)) in want.iter().zip(got.chunks_exact(30)).enumerate() {
            assert_eq!(g, w.as_slice(), "seed {seed:#x}, input {i}, {}: inputs {inp:?}", names[k]);
        }
    }
}

/// `GpuBls` with dispatches split to one item each: the partial sums of all dispatches and the verdicts
/// come back in order and equal blst's.
#[test]
fn gpu_bls_split_dispatches_match_blst() {
    use blst::min_pk::{AggregatePublicKey, AggregateSignature, PublicKey, Signature};

    use super::gpu_bls::{BlsTimings, GpuBls};
    use super::reference::{keys, non_subgroup, signatures};
    use crate::testutil::Rng;

    let Some(_) = test_gpu() else { return };
    let bls = GpuBls::new(None).expect("BLS kernels compile").with_max_dispatch_words(1);
    let seed = 0x5_0117;
    let mut rng = Rng(seed);

    let pks = keys(&mut rng, 19);
    let refs: Vec<&PublicKey> = pks.iter().collect();
    let (sum, t) = bls.aggregate_g1(&refs).expect("g1 runs");
    assert_eq!(t.dispatches, 3, "19 keys = 3 threads of 8, one per dispatch");
    let want = AggregatePublicKey::aggregate(&refs, false).expect("non-empty").to_public_key();
    assert_eq!(sum, Some(want), "seed {seed:#x} g1");

    let mut sigs = signatures(&mut rng, 10);
    sigs.extend(non_subgroup(&mut rng, 2).iter().map(|b| Signature::uncompress(b).expect("decodes")));
    let mut t = BlsTimings::default();
    let sum = bls.aggregate_g2(&sigs, &mut t).expect("g2 runs");
    let srefs: Vec<&Signature> = sigs.iter().collect();
    let want = AggregateSignature::aggregate(&srefs, false).expect("non-empty").to_signature().compress();
    assert_eq!((sum, t.dispatches), (want, 2), "seed {seed:#x} g2");

    let mut t = BlsTimings::default();
    let verdicts = bls.subgroup_check_g2(&[&sigs[0], &sigs[10], &sigs[1]], &mut t).expect("subgroup runs");
    assert_eq!((verdicts, t.dispatches), (vec![true, false, true], 3), "seed {seed:#x} subgroup");
}
