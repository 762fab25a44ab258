//! The `gpu` backend's BLS12-381 kernels against `cpu-batch` (blst): G1/G2 aggregation (n = 1, sums
//! across several GPU threads, sums that hit the identity, invalid encodings and their exact errors) and
//! G2 subgroup verdicts (in the subgroup, on the curve but not in it, the identity, undecodable input).
//! Every check also asserts from the counters that the GPU did the work (no silent CPU fallback). Skips,
//! printing why, only when there is no adapter — and fails instead under `CI=true` (`common::gpu_or_skip`).
//! Seeded; the seed is in every failure message.

use blst::min_pk::{SecretKey, Signature};
use hsbench_engine::crypto::{BlsPublicKey, CpuBackendKind, CryptoError, VerifyBackend, cpu_backend};
use hsbench_kernels::{GpuBackend, GpuBackendConfig, GpuStats};

const SEED: u64 = 0xb15_6b0;

mod common;
use common::Rng;

/// A BLS secret key from 32 random bytes of `rng`.
fn secret(rng: &mut Rng) -> SecretKey {
    let mut ikm = [0u8; 32];
    rng.fill(&mut ikm);
    SecretKey::key_gen(&ikm, &[]).expect("32 bytes of ikm")
}

/// The gpu backend, or `None` (skip) without an adapter outside CI ([`common::gpu_or_skip`]).
fn backend() -> Option<GpuBackend> {
    common::gpu_or_skip(
        "gpu backend creation",
        GpuBackend::new(&GpuBackendConfig { batch: 8, in_flight: 1, adapter: None, kernel: Default::default() }),
    )
}

/// The same compressed point with the sign bit flipped: `−P` (for `P` not the identity).
fn negate_compressed<const N: usize>(b: &[u8; N]) -> [u8; N] {
    let mut n = *b;
    n[0] ^= 0x20;
    n
}

/// Asserts the GPU handled `gpu_items` points since the last reset and nothing fell back to the CPU.
fn assert_on_gpu(stats: &GpuStats, gpu_items: u64, what: &str) {
    assert_eq!(stats.bls_cpu_fallback_items, 0, "seed {SEED:#x} {what}: fell back to the CPU: {:?}", stats.last_error);
    assert_eq!(stats.bls_gpu_items, gpu_items, "seed {SEED:#x} {what}: {stats:?}");
}

#[test]
fn bls_gpu_kernels_match_cpu_batch() {
    let Some(gpu) = backend() else { return };
    println!("{}", gpu.description());
    assert!(gpu.description().contains("subgroup checks on the GPU"), "{}", gpu.description());
    let cpu = cpu_backend(CpuBackendKind::CpuBatch);
    let mut rng = Rng(SEED);

    // --- G1 aggregation.
    let secrets: Vec<SecretKey> = (0..19).map(|_| secret(&mut rng)).collect();
    let keys: Vec<BlsPublicKey> = secrets
        .iter()
        .map(|s| BlsPublicKey::from_bytes_without_pop(&s.sk_to_pk().compress()).expect("valid key"))
        .collect();
    let neg0 = BlsPublicKey::from_bytes_without_pop(&negate_compressed(keys[0].as_bytes())).expect("−P is valid");
    let refs: Vec<&BlsPublicKey> = keys.iter().collect();
    let g1_cases: Vec<(&str, Vec<&BlsPublicKey>)> = vec![
        ("n=1", refs[..1].to_vec()),
        ("n=19 (3 GPU threads)", refs.clone()),
        ("P + P", vec![refs[3], refs[3]]),
        ("P + (−P)", vec![refs[0], &neg0]),
        ("P + Q + (−P)", vec![refs[0], refs[1], &neg0]),
        ("empty", vec![]),
    ];
    // Seeded random multisets (repeats and negations included) of random sizes.
    let mut random_sets: Vec<Vec<&BlsPublicKey>> = Vec::new();
    for _ in 0..3 {
        let n = 1 + (rng.next() % 20) as usize;
        random_sets.push(
            (0..n)
                .map(
                    |_| {
                        if rng.next().is_multiple_of(5) {
                            &neg0
                        } else {
                            refs[(rng.next() % refs.len() as u64) as usize]
                        }
                    },
                )
                .collect(),
        );
    }
    let g1_cases: Vec<(&str, Vec<&BlsPublicKey>)> =
        g1_cases.into_iter().chain(random_sets.into_iter().map(|set| ("random multiset", set))).collect();
    let mut on_gpu = 0;
    gpu.reset_stats();
    for (what, set) in &g1_cases {
        let want = cpu.aggregate_g1(set);
        assert_eq!(gpu.aggregate_g1(set), want, "seed {SEED:#x} g1 {what}");
        on_gpu += set.len() as u64;
        assert_on_gpu(&gpu.stats(), on_gpu, what);
    }
    assert_eq!(
        gpu.aggregate_g1(&[refs[0], &neg0]),
        Err(CryptoError::IdentityPoint { what: "BLS aggregate public key" })
    );

    // --- G2 aggregation.
    let sigs: Vec<[u8; 96]> =
        secrets.iter().enumerate().map(|(i, s)| s.sign(&[i as u8], b"hsbench-test", &[]).compress()).collect();
    let mut inf = [0u8; 96];
    inf[0] = 0xc0;
    let neg = negate_compressed(&sigs[0]);
    let mut not_on_curve = sigs[1];
    let not_on_curve = loop {
        not_on_curve[95] = not_on_curve[95].wrapping_add(1);
        if Signature::uncompress(&not_on_curve) == Err(blst::BLST_ERROR::BLST_POINT_NOT_ON_CURVE) {
            break not_on_curve;
        }
    };
    let mut bad_flag = sigs[2];
    bad_flag[0] &= 0x7f;
    // On the curve, outside the subgroup: legal aggregation inputs (no subgroup check there).
    let mut outside = Vec::new();
    while outside.len() < 5 {
        let mut b = [0u8; 96];
        rng.fill(&mut b);
        b[0] = 0x80 | (b[0] & 0x2f); // compressed, not the identity, x.c1 < p
        b[48] &= 0x0f; // x.c0 < p
        if Signature::uncompress(&b).is_ok_and(|p| !p.subgroup_check()) {
            outside.push(b);
        }
    }
    // Votes travel uncompressed (192 bytes): the same points, the flags checked against the length.
    let uncompressed = |b: &[u8; 96]| Signature::uncompress(b).expect("decodes").serialize();
    let sigs_unc: Vec<[u8; 192]> = sigs.iter().map(uncompressed).collect();
    let outside_unc: Vec<[u8; 192]> = outside.iter().map(uncompressed).collect();
    let mut inf_unc = [0u8; 192];
    inf_unc[0] = 0x40;
    let mut flagged_unc = sigs_unc[3];
    flagged_unc[0] |= 0x80; // the compressed flag on an uncompressed length
    let s: Vec<&[u8]> = sigs.iter().map(|s| s.as_slice()).collect();
    let mixed: Vec<&[u8]> =
        s[..7].iter().copied().chain(outside.iter().map(|b| b.as_slice())).chain([&inf[..]]).collect();
    let g2_cases: Vec<(&str, Vec<&[u8]>, bool)> = vec![
        ("n=1", s[..1].to_vec(), true),
        ("n=19", s.clone(), true),
        ("P + identity", vec![s[4], &inf], true),
        ("P + (−P)", vec![s[0], &neg], true),
        ("identity", vec![&inf], true),
        ("in and outside the subgroup, identity", mixed.clone(), true),
        ("short", vec![s[0], &s[1][..95]], false),
        ("not on curve", vec![s[0], &not_on_curve], false),
        ("bad flag", vec![&bad_flag, s[0]], false),
        ("empty", vec![], false),
        ("uncompressed and compressed", vec![&sigs_unc[0], s[1], &sigs_unc[2]], true),
        ("uncompressed outside the subgroup, identity", vec![&outside_unc[0], &outside_unc[1], &inf_unc], true),
        ("uncompressed with the compressed flag", vec![s[0], &flagged_unc], false),
    ];
    gpu.reset_stats();
    let mut on_gpu = 0;
    for (what, set, valid) in &g2_cases {
        let want = cpu.aggregate_g2(set);
        assert_eq!(want.is_ok(), *valid, "{what}: {want:?}");
        assert_eq!(gpu.aggregate_g2(set), want, "seed {SEED:#x} g2 {what}");
        if *valid {
            on_gpu += set.len() as u64;
        }
        assert_on_gpu(&gpu.stats(), on_gpu, what);
    }

    // --- G2 subgroup checks.
    let mut items: Vec<&[u8]> = s[..6].to_vec();
    items.extend(outside.iter().map(|b| b.as_slice()));
    items.extend([&inf[..], &neg[..], &not_on_curve[..], &bad_flag[..], &s[1][..95]]);
    items.extend([&sigs_unc[0][..], &sigs_unc[1][..], &outside_unc[0][..], &inf_unc[..], &flagged_unc[..]]);
    let want = cpu.subgroup_check_g2(&items);
    assert_eq!(want.iter().filter(|&&v| v).count(), 11, "8 signatures (2 uncompressed), 2 identities, −P");
    gpu.reset_stats();
    assert_eq!(gpu.subgroup_check_g2(&items), want, "seed {SEED:#x} subgroup verdicts");
    let stats = gpu.stats();
    assert_on_gpu(&stats, 17, "subgroup");
    assert_eq!(stats.bls_host_rejected_items, 4, "{stats:?}");
    assert!(gpu.subgroup_check_g2(&[]).is_empty());
    println!("{stats:?}");
}
