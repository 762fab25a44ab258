//! Stage 3: `GpuEd25519Verifier` gives exactly the engine's `ED25519_RULE` verdicts on Wycheproof,
//! the 12 ed25519-speccheck cases and random batches with corrupted items. Skips (printing why)
//! when there is no adapter, except under `CI=true`, where that fails (`common::gpu_or_skip`). Two
//! verifiers — the host and the kernel computing the challenge — are shared by all tests (one pipeline, one JIT
//! each).
//!
//! `cargo test -p hsbench-kernels --test ed25519_gpu -- --ignored --nocapture` prints lavapipe/GPU
//! numbers (pipeline creation, first dispatch, steady verifies/s); nothing there is asserted.

use std::sync::OnceLock;
use std::time::Instant;

use hsbench_kernels::{Ed25519KernelOptions, GpuEd25519Verifier, GpuError};

mod common;
use common::batch::signed_batch;
use serde_json::Value;

/// Both verifiers, built once and shared by the tests: the host computing `k = SHA-512(R ‖ A ‖ M) mod L`, and the
/// kernel computing it (messages up to 192 bytes); none when there is no adapter (outside CI).
fn verifiers() -> &'static [GpuEd25519Verifier] {
    static V: OnceLock<Vec<GpuEd25519Verifier>> = OnceLock::new();
    V.get_or_init(|| {
        [false, true]
            .into_iter()
            .map_while(|hash_on_device| {
                let options = Ed25519KernelOptions { hash_on_device, ..Default::default() };
                let v = common::gpu_or_skip("verifier creation", GpuEd25519Verifier::with_options(None, options))?;
                assert_eq!(v.hash_on_device(), hash_on_device);
                println!("adapter: {} (pipeline {:.0} ms)", v.adapter().summary(), v.pipeline_ms());
                Some(v)
            })
            .collect()
    })
}

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap_or_else(|| panic!("missing {key}"))).unwrap()
}

#[test]
fn wycheproof_ed25519_all_cases() {
    for v in verifiers() {
        wycheproof_cases_on(v);
    }
}

fn wycheproof_cases_on(v: &GpuEd25519Verifier) {
    let doc = load("wycheproof_ed25519_test.json");
    let mut owned = Vec::new();
    let mut wrong_length = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let pk: [u8; 32] = hex_field(&group["publicKey"], "pk").try_into().unwrap();
        for t in group["tests"].as_array().unwrap() {
            let result = t["result"].as_str().unwrap();
            assert!(result == "valid" || result == "invalid", "unexpected result {result:?}");
            let sig = hex_field(t, "sig");
            match <[u8; 64]>::try_from(sig.as_slice()) {
                Ok(sig) => owned.push((t["tcId"].as_u64().unwrap(), pk, hex_field(t, "msg"), sig, result == "valid")),
                Err(_) => {
                    // Cannot form an item (the type enforces 64 bytes); all "invalid" in the file.
                    assert_eq!(result, "invalid");
                    wrong_length += 1;
                }
            }
        }
    }
    assert_eq!(owned.len() + wrong_length, 151);
    let items: Vec<_> = owned.iter().map(|(_, pk, msg, sig, _)| (*pk, msg.as_slice(), *sig)).collect();
    let (verdicts, timings) = v.verify_batch(&items).unwrap();
    println!("wycheproof (k on the device: {}): {} items, {timings:?}", v.hash_on_device(), items.len());
    assert!(owned.iter().any(|(_, _, msg, ..)| msg.len() > 192), "a message the device does not hash");
    for ((id, .., valid), got) in owned.iter().zip(&verdicts) {
        assert_eq!(got, valid, "tcId {id}");
    }
}

#[test]
fn speccheck_cases_follow_the_cofactored_rule() {
    for v in verifiers() {
        speccheck_cases_on(v);
    }
}

fn speccheck_cases_on(v: &GpuEd25519Verifier) {
    let doc = load("speccheck_ed25519_cases.json");
    let cases = doc.as_array().unwrap();
    assert_eq!(cases.len(), 12);
    let owned: Vec<([u8; 32], Vec<u8>, [u8; 64])> = cases
        .iter()
        .map(|c| {
            (
                hex_field(c, "pub_key").try_into().unwrap(),
                hex_field(c, "message"),
                hex_field(c, "signature").try_into().unwrap(),
            )
        })
        .collect();
    let items: Vec<_> = owned.iter().map(|(pk, m, s)| (*pk, m.as_slice(), *s)).collect();
    let (verdicts, _) = v.verify_batch(&items).unwrap();
    // engine/tests/crypto_vectors.rs, SPECCHECK column "rule": 0–5 valid, 6–11 invalid.
    let expected: Vec<bool> = (0..12).map(|i| i < 6).collect();
    assert_eq!(verdicts, expected);
}

/// `L` little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

#[test]
fn random_batch_with_corrupted_items() {
    for v in verifiers() {
        random_batch_on(v);
    }
}

fn random_batch_on(v: &GpuEd25519Verifier) {
    let mut batch = signed_batch(64);
    let mut expected = vec![true; batch.len()];
    // Message changed.
    batch[3].1.push(b'!');
    expected[3] = false;
    // R byte flipped.
    batch[10].2[5] ^= 0x20;
    expected[10] = false;
    // S + L (non-canonical S; same point equation).
    let mut carry = 0u16;
    for (i, l) in L.iter().enumerate() {
        let s = u16::from(batch[17].2[32 + i]) + u16::from(*l) + carry;
        batch[17].2[32 + i] = s as u8;
        carry = s >> 8;
    }
    expected[17] = false;
    // Another item's key.
    batch[29].0 = batch[30].0;
    expected[29] = false;
    // Non-canonical A (y = p + 1 ≡ 1).
    batch[41].0 = [0xff; 32];
    batch[41].0[0] = 0xee;
    batch[41].0[31] = 0x7f;
    expected[41] = false;
    // S flipped.
    batch[63].2[40] ^= 1;
    expected[63] = false;
    let items: Vec<_> = batch.iter().map(|(pk, m, s)| (*pk, m.as_slice(), *s)).collect();
    let (verdicts, timings) = v.verify_batch(&items).unwrap();
    println!("random batch: {timings:?}");
    assert_eq!(verdicts, expected);
    // Empty batch: no GPU call.
    let (empty, t) = v.verify_batch(&[]).unwrap();
    assert!(empty.is_empty() && t.gpu_items == 0);
}

/// A configured workgroup size gives the same verdicts as the adapter's own (a size that is not a multiple of the
/// subgroup, too, and a batch that leaves the last workgroup partly empty); 0 or more than the adapter allows is
/// an error naming the size, never a silent fallback.
#[test]
fn a_configured_workgroup_size_gives_the_same_verdicts_and_a_bad_one_an_error() {
    let Some(default) = common::gpu_or_skip("verifier creation", GpuEd25519Verifier::new(None)) else { return };
    let mut batch = signed_batch(45);
    batch[7].1.push(b'!');
    let items: Vec<_> = batch.iter().map(|(pk, m, s)| (*pk, m.as_slice(), *s)).collect();
    let (expected, _) = default.verify_batch(&items).unwrap();
    assert_eq!(expected.iter().filter(|&&ok| !ok).count(), 1, "{expected:?}");
    let v = GpuEd25519Verifier::with_options(None, Ed25519KernelOptions { workgroup: Some(12), ..Default::default() })
        .unwrap();
    assert_eq!(v.workgroup(), 12);
    assert_eq!(v.verify_batch(&items).unwrap().0, expected);
    for bad in [0, 1 << 20] {
        match GpuEd25519Verifier::with_options(
            None,
            Ed25519KernelOptions { workgroup: Some(bad), ..Default::default() },
        ) {
            Err(GpuError::Device { stage: "ed25519 workgroup", message }) => {
                assert!(message.contains(&format!("workgroup size {bad} ")), "{message}")
            }
            Err(e) => panic!("workgroup {bad}: unexpected error {e}"),
            Ok(_) => panic!("a verifier with workgroup {bad}"),
        }
    }
}

#[test]
fn a_filter_matching_nothing_is_an_error() {
    match GpuEd25519Verifier::new(Some("no-such-adapter-7d2e")) {
        Err(GpuError::NoAdapter { .. } | GpuError::NoMatchingAdapter { .. }) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a verifier on a nonexistent adapter"),
    }
}

/// Prints pipeline creation, first dispatch (JIT) and steady verifies/s at 64/256/1024. Not
/// asserted; lavapipe numbers are for CI sanity only, never a performance claim.
#[test]
#[ignore]
fn bench_verify_throughput() {
    let t = Instant::now();
    let Some(v) = common::gpu_or_skip("verifier creation", GpuEd25519Verifier::new(None)) else { return };
    println!("adapter: {}", v.adapter().summary());
    println!(
        "device + pipeline creation: {:.0} ms (pipeline {:.0} ms)",
        t.elapsed().as_secs_f64() * 1e3,
        v.pipeline_ms()
    );
    let all = signed_batch(1024);
    let items: Vec<_> = all.iter().map(|(pk, m, s)| (*pk, m.as_slice(), *s)).collect();
    let t = Instant::now();
    let (ok, first) = v.verify_batch(&items[..8]).unwrap();
    assert!(ok.iter().all(|&b| b));
    println!("first dispatch (8 items, incl. JIT): {:.0} ms {first:?}", t.elapsed().as_secs_f64() * 1e3);
    for n in [64usize, 256, 1024] {
        let reps = 3;
        let mut best = f64::MAX;
        let mut last = None;
        for _ in 0..reps {
            let t = Instant::now();
            let (ok, timings) = v.verify_batch(&items[..n]).unwrap();
            assert!(ok.iter().all(|&b| b));
            best = best.min(t.elapsed().as_secs_f64());
            last = Some(timings);
        }
        println!(
            "batch {n:5}: {:8.0} verifies/s (best of {reps}, {:.1} ms), last {last:?}",
            n as f64 / best,
            best * 1e3
        );
    }
}
