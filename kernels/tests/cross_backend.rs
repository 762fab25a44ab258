//! Every backend gives every other's verdict and the expected one: `cpu`, `cpu-batch`, `cpu-par` and `gpu` (on
//! whatever adapter is there — lavapipe in CI; twice: the host and the kernel computing the challenge) over
//! - a seeded random Ed25519 corpus with every corruption class (a flipped byte in R, S, A or the message, S + L,
//!   small-order R, small-order A with and without a matching signature, mixed-order A and R signed for), built here
//!   from curve arithmetic so the expected verdict under the cofactored rule is known by construction;
//! - BLS same-message verification with valid votes, a vote on another message, the identity, a point on the curve
//!   outside the subgroup, undecodable bytes and two votes carrying opposite 13-torsion components;
//! - every Wycheproof BLS POP vector (the node's ciphersuite).
//!
//! The gpu backend must really have run on the device (its counters), never fallen back to the CPU. The seed is in
//! every failure message; the test skips the gpu backend, saying why, only when there is no adapter — and fails
//! instead under `CI=true` (`common::gpu_or_skip`).

use blst::min_pk::{SecretKey, Signature};
use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use hsbench_engine::crypto::{
    BLS_SIG_DST, BlsItem, BlsPublicKey, CpuBackendKind, Ed25519Item, VerifyBackend, cpu_backend, test_points,
};
use hsbench_kernels::{Ed25519KernelOptions, GpuBackend, GpuBackendConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha512};
use std::sync::Arc;

const SEED: u64 = 0x00c0_ffee_5eed;

mod common;
use common::Rng;

/// A scalar from 64 random bytes of `rng` (uniform mod L).
fn scalar(rng: &mut Rng) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&rng.bytes::<64>())
}

/// The backends: the three CPU kinds, then `gpu` twice — the host computing `k`, and the kernel computing it
/// (`hash_on_device`) — (no gpu ones when there is no adapter).
fn backends() -> (Vec<Arc<dyn VerifyBackend>>, Vec<Arc<GpuBackend>>) {
    let mut all: Vec<Arc<dyn VerifyBackend>> = CpuBackendKind::ALL.into_iter().map(cpu_backend).collect();
    let mut gpus = Vec::new();
    for hash_on_device in [false, true] {
        let kernel = Ed25519KernelOptions { hash_on_device, ..Default::default() };
        let config = GpuBackendConfig { batch: 64, in_flight: 2, kernel, ..GpuBackendConfig::default() };
        let Some(gpu) = common::gpu_or_skip("gpu backend creation", GpuBackend::new(&config)) else { break };
        let gpu = Arc::new(gpu);
        all.push(gpu.clone());
        gpus.push(gpu);
    }
    (all, gpus)
}

/// `s = r + H(R ‖ A ‖ M)·a` for the given encodings: a signature whose equation holds for `A = aB + T_A` and
/// `R = rB + T_R` exactly when torsion is multiplied away (the cofactored rule).
fn sign_raw(a: &Scalar, r: &Scalar, r_enc: [u8; 32], a_enc: [u8; 32], msg: &[u8]) -> [u8; 64] {
    let k = Scalar::from_hash(Sha512::new().chain_update(r_enc).chain_update(a_enc).chain_update(msg));
    let s = r + k * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r_enc);
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}

/// The corruption classes and whether the cofactored rule accepts the result.
const CLASSES: [(&str, bool); 12] = [
    ("valid", true),
    ("R byte flipped", false),
    ("S byte flipped", false),
    ("A byte flipped", false),
    ("message byte flipped", false),
    ("S + L (non-canonical S)", false),
    ("small-order R, random S", false),
    ("small-order A, random signature", false),
    ("small-order A, R = sB (any message verifies)", true),
    ("mixed-order A, signed for", true),
    ("mixed-order R, signed for", true),
    ("another key's signature", false),
];

/// One item of class `class`: (public key, message, signature).
fn item(rng: &mut Rng, class: usize) -> ([u8; 32], Vec<u8>, [u8; 64]) {
    let (a, r) = (scalar(rng), scalar(rng));
    let big_a = ED25519_BASEPOINT_POINT * a;
    let big_r = ED25519_BASEPOINT_POINT * r;
    let msg: Vec<u8> = (0..1 + rng.below(80)).map(|_| rng.next() as u8).collect();
    let t = EIGHT_TORSION[1 + rng.below(7)]; // a torsion point of order 2, 4 or 8
    let enc = |p: EdwardsPoint| p.compress().to_bytes();
    let (a_enc, r_enc) = (enc(big_a), enc(big_r));
    let valid = |m: &[u8]| sign_raw(&a, &r, r_enc, a_enc, m);
    let mut msg = msg;
    let (pk, sig) = match CLASSES[class].0 {
        "valid" => (a_enc, valid(&msg)),
        "R byte flipped" => {
            let mut s = valid(&msg);
            s[rng.below(32)] ^= 1 << rng.below(8);
            (a_enc, s)
        }
        "S byte flipped" => {
            let mut s = valid(&msg);
            s[32 + rng.below(31)] ^= 1 << rng.below(8); // below the top byte: stays < 2^253, decodable shape
            (a_enc, s)
        }
        "A byte flipped" => {
            let s = valid(&msg);
            let mut pk = a_enc;
            pk[rng.below(32)] ^= 1 << rng.below(8);
            (pk, s)
        }
        "message byte flipped" => {
            let s = valid(&msg);
            let i = rng.below(msg.len());
            msg[i] ^= 1 << rng.below(8);
            (a_enc, s)
        }
        "S + L (non-canonical S)" => {
            let mut s = valid(&msg);
            let mut carry = 0u16;
            for (i, b) in L_BYTES.iter().enumerate() {
                let v = u16::from(s[32 + i]) + u16::from(*b) + carry;
                s[32 + i] = v as u8;
                carry = v >> 8;
            }
            (a_enc, s)
        }
        "small-order R, random S" => {
            let mut s = [0u8; 64];
            s[..32].copy_from_slice(&enc(t));
            s[32..].copy_from_slice(scalar(rng).as_bytes());
            (a_enc, s)
        }
        "small-order A, random signature" => {
            let mut s = [0u8; 64];
            s[..32].copy_from_slice(&r_enc);
            s[32..].copy_from_slice(scalar(rng).as_bytes());
            (enc(t), s)
        }
        "small-order A, R = sB (any message verifies)" => {
            let s_scalar = scalar(rng);
            let mut s = [0u8; 64];
            s[..32].copy_from_slice(&enc(ED25519_BASEPOINT_POINT * s_scalar));
            s[32..].copy_from_slice(s_scalar.as_bytes());
            (enc(t), s)
        }
        "mixed-order A, signed for" => {
            let mixed = enc(big_a + t);
            (mixed, sign_raw(&a, &r, r_enc, mixed, &msg))
        }
        "mixed-order R, signed for" => {
            let mixed = enc(big_r + t);
            (a_enc, sign_raw(&a, &r, mixed, a_enc, &msg))
        }
        _ => {
            let other = ED25519_BASEPOINT_POINT * scalar(rng);
            (enc(other), valid(&msg))
        }
    };
    (pk, msg, sig)
}

/// The group order L, little-endian.
const L_BYTES: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

#[test]
fn every_backend_agrees_on_a_seeded_corpus_with_every_corruption_class() {
    let (backends, gpu) = backends();
    let mut rng = Rng(SEED);
    let n = CLASSES.len() * 10;
    let owned: Vec<_> = (0..n).map(|i| item(&mut rng, i % CLASSES.len())).collect();
    let expected: Vec<bool> = (0..n).map(|i| CLASSES[i % CLASSES.len()].1).collect();
    let items: Vec<Ed25519Item<'_>> =
        owned.iter().map(|(pk, m, s)| Ed25519Item { public_key: pk, message: m, signature: s }).collect();
    for backend in &backends {
        let got = backend.verify_ed25519_batch(&items);
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(
                g,
                e,
                "seed {SEED:#x}: {} item {i} ({}) verdict {g}, expected {e}",
                backend.name(),
                CLASSES[i % CLASSES.len()].0
            );
        }
        // One at a time gives the same verdicts as the batch (batch/single agreement).
        for (i, it) in items.iter().enumerate().step_by(7) {
            assert_eq!(backend.verify_ed25519_batch(&[*it]), vec![expected[i]], "seed {SEED:#x} item {i} alone");
        }
    }
    for g in gpu {
        let stats = g.stats();
        assert_eq!(stats.cpu_fallback_items, 0, "gpu fell back to the CPU: {:?}", stats.last_error);
        assert!(stats.gpu_items > 0 && stats.gpu_items + stats.host_rejected_items >= n as u64, "{stats:?}");
    }
}

#[test]
fn every_backend_agrees_on_bls_votes_and_the_wycheproof_pop_vectors() {
    let (backends, gpu) = backends();
    let mut rng = Rng(SEED ^ 0xb15);
    let message = b"vote: height 7, round 9";
    let keys: Vec<SecretKey> = (0..8).map(|_| SecretKey::key_gen(&rng.bytes::<32>(), &[]).expect("ikm")).collect();
    let pks: Vec<BlsPublicKey> = keys
        .iter()
        .map(|k| BlsPublicKey::from_bytes_without_pop(&k.sk_to_pk().compress()).expect("a fresh key is valid"))
        .collect();
    let mut sigs: Vec<Vec<u8>> = keys.iter().map(|k| k.sign(message, BLS_SIG_DST, &[]).compress().to_vec()).collect();
    sigs[1] = keys[1].sign(b"another message", BLS_SIG_DST, &[]).compress().to_vec();
    sigs[2] = {
        let mut inf = vec![0u8; 96];
        inf[0] = 0xc0;
        inf
    };
    let mut seeded = ChaCha8Rng::seed_from_u64(rng.next());
    sigs[3] = test_points::compress(&test_points::outside_g2(&mut seeded)).to_vec();
    sigs[4] = vec![0xff; 96];
    // A valid vote plus a 13-torsion point, and another minus the same point: both outside G2, and a pair that
    // cancels in any combination whose weights agree mod 13.
    let torsion = test_points::torsion_13(&mut seeded);
    let with = |s: &[u8], t: &blst::blst_p2_affine| {
        let point: blst::blst_p2_affine = Signature::uncompress(s).expect("a valid vote decodes").into();
        test_points::compress(&test_points::add(&point, t)).to_vec()
    };
    sigs[6] = with(&sigs[6], &torsion);
    sigs[7] = with(&sigs[7], &test_points::neg(&torsion));
    let expected = vec![true, false, false, false, false, true, false, false];
    // Votes travel uncompressed: the same corpus in the 192-byte encoding (the undecodable one stays undecodable).
    let uncompressed: Vec<Vec<u8>> = sigs
        .iter()
        .map(|s| Signature::uncompress(s).map_or_else(|_| vec![0xff; 192], |p| p.serialize().to_vec()))
        .collect();
    for (encoding, sigs) in [("compressed", &sigs), ("uncompressed", &uncompressed)] {
        let items: Vec<BlsItem<'_>> =
            pks.iter().zip(sigs).map(|(pk, s)| BlsItem { public_key: pk, signature: s }).collect();
        for backend in &backends {
            let name = backend.name();
            assert_eq!(backend.verify_bls_same_message(message, &items), expected, "seed {SEED:#x}: {name} {encoding}");
            let sig_refs: Vec<&[u8]> = sigs.iter().map(Vec::as_slice).collect();
            assert_eq!(
                backend.subgroup_check_g2(&sig_refs),
                vec![true, true, true, false, false, true, false, false],
                "seed {SEED:#x}: {name} {encoding} subgroup checks (the identity is in the subgroup; undecodable is not)"
            );
        }
    }

    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/wycheproof_bls_sig_g2_pop_verify_test.json"
    ))
    .expect("the vector file is in the repository");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let mut cases = 0;
    for group in doc["testGroups"].as_array().expect("testGroups") {
        let pk = hex::decode(group["publicKey"]["pk"].as_str().expect("pk")).expect("hex");
        for t in group["tests"].as_array().expect("tests") {
            let id = t["tcId"].as_u64().unwrap_or(0);
            let valid = t["result"] == "valid";
            let msg = hex::decode(t["msg"].as_str().expect("msg")).expect("hex");
            let sig = hex::decode(t["sig"].as_str().expect("sig")).expect("hex");
            cases += 1;
            let Ok(key) = BlsPublicKey::from_bytes_without_pop(&pk) else {
                assert!(!valid, "tcId {id}: a valid case with a key the engine refuses");
                continue;
            };
            let item = BlsItem { public_key: &key, signature: &sig };
            for backend in &backends {
                assert_eq!(backend.verify_bls_same_message(&msg, &[item]), vec![valid], "{} tcId {id}", backend.name());
            }
        }
    }
    assert_eq!(cases, 26, "every POP vector read");
    for g in gpu {
        let stats = g.stats();
        assert_eq!(stats.bls_cpu_fallback_items, 0, "gpu fell back to the CPU: {:?}", stats.last_error);
        assert!(stats.bls_gpu_items > 0, "the subgroup checks ran on the device: {stats:?}");
    }
}
