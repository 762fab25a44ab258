//! Conformance tests of `hsbench_engine::crypto` against public vectors (copied into
//! `tests/vectors/`, see `tests/vectors/SOURCES.md`) and cross-backend agreement tests.
//!
//! Every backend must give the same verdict on every vector, and that verdict must be the one the
//! documented rule gives (`ED25519_RULE`; BLS proof-of-possession ciphersuite). Test names start
//! with `crypto_` so `cargo test -p hsbench-engine crypto` selects them.

use std::sync::Arc;

use blst::{BLST_ERROR, blst_p2_affine};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use hsbench_engine::crypto::{
    BlsItem, BlsPublicKey, CpuBackendKind, CryptoError, Ed25519Item, KeyRegistry, ValidatorKeyPair, VerifyBackend,
    VoteCrypto, VoteScheme, bls_signature_from_bytes, cpu_backend, ed25519_public, ed25519_sign,
    ed25519_signing_key_from_seed, ed25519_verify, test_points,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// DST of Wycheproof's "basic" (NUL) BLS vectors; not used by the node, only to check decoding.
const NUL_DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap_or_else(|| panic!("missing {key}"))).unwrap()
}

fn backends() -> Vec<Arc<dyn VerifyBackend>> {
    CpuBackendKind::ALL.into_iter().map(cpu_backend).collect()
}

/// One Wycheproof test flattened: (tcId, pk, msg, sig, expected valid).
type Case = (u64, Vec<u8>, Vec<u8>, Vec<u8>, bool);

fn wycheproof_cases(file: &str) -> Vec<Case> {
    let doc = load(file);
    let mut out = Vec::new();
    for group in doc["testGroups"].as_array().unwrap() {
        let pk = hex_field(&group["publicKey"], "pk");
        for t in group["tests"].as_array().unwrap() {
            let result = t["result"].as_str().unwrap();
            assert!(
                result == "valid" || result == "invalid",
                "unexpected result {result:?} (no \"acceptable\" cases expected)"
            );
            out.push((
                t["tcId"].as_u64().unwrap(),
                pk.clone(),
                hex_field(t, "msg"),
                hex_field(t, "sig"),
                result == "valid",
            ));
        }
    }
    out
}

// ---------------------------------------------------------------- Ed25519

/// Every Wycheproof Ed25519 case, in every backend, as one batch and one by one. Wycheproof has
/// no "acceptable" cases in this file; signatures that are not 64 bytes cannot form an
/// `Ed25519Item` (the type enforces the length) and are all "invalid" in the vectors.
#[test]
fn crypto_wycheproof_ed25519_all_backends() {
    let cases = wycheproof_cases("wycheproof_ed25519_test.json");
    assert_eq!(cases.len(), 151);
    let mut items = Vec::new();
    let mut expected = Vec::new();
    let mut ids = Vec::new();
    let mut wrong_length = 0;
    for (id, pk, msg, sig, valid) in &cases {
        let pk: &[u8; 32] = pk.as_slice().try_into().unwrap();
        match <&[u8; 64]>::try_from(sig.as_slice()) {
            Ok(signature) => {
                items.push(Ed25519Item { public_key: pk, message: msg, signature });
                expected.push(*valid);
                ids.push(*id);
            }
            Err(_) => {
                assert!(!valid, "tcId {id}: valid signature of length {}", sig.len());
                wrong_length += 1;
            }
        }
    }
    assert_eq!(wrong_length, 12);
    for (i, item) in items.iter().enumerate() {
        assert_eq!(ed25519_verify(item), expected[i], "reference, tcId {}", ids[i]);
    }
    for backend in backends() {
        let batch = backend.verify_ed25519_batch(&items);
        for (i, ok) in batch.iter().enumerate() {
            assert_eq!(*ok, expected[i], "{} batch, tcId {}", backend.name(), ids[i]);
        }
        for (i, item) in items.iter().enumerate() {
            let single = backend.verify_ed25519_batch(std::slice::from_ref(item));
            assert_eq!(single, vec![expected[i]], "{} single, tcId {}", backend.name(), ids[i]);
        }
    }
}

/// The ed25519-speccheck cases (novifinancial/ed25519-speccheck, README condition table).
/// Columns: case, what it exercises, verdict under ED25519_RULE (what every backend must give),
/// and — recorded for reference, asserted so a dalek upgrade that changes them is noticed —
/// ed25519-dalek 3.0's `verify`, `verify_strict` and single-item `verify_batch` verdicts.
///
/// dalek's `verify_batch` rejects even cases 0–3, where the cofactorless equation holds: it
/// multiplies mixed-order points by scalars reduced mod L (`z·k mod L`), which differs from the
/// integer product by a torsion point. The cofactored batch equation used here multiplies by 8,
/// which removes exactly those torsion differences.
const SPECCHECK: [(usize, &str, bool, bool, bool, bool); 12] = [
    // (case, condition, rule, dalek verify, dalek verify_strict, dalek verify_batch)
    (0, "S = 0, small-order A and R", true, true, false, false),
    (1, "0 < S < L, small-order A, mixed-order R", true, true, false, false),
    (2, "0 < S < L, mixed-order A, small-order R", true, true, false, false),
    (3, "mixed-order A and R, both equations hold", true, true, true, false),
    (4, "mixed-order A and R, only the cofactored equation holds", true, false, false, false),
    (5, "mixed-order A, only cofactored holds unless 8h is pre-reduced", true, false, false, false),
    (6, "S > L (non-canonical S)", false, false, false, false),
    (7, "S >> L (non-canonical S)", false, false, false, false),
    (8, "non-canonical R, reduced for hash", false, false, false, false),
    (9, "non-canonical R, not reduced for hash", false, false, false, false),
    (10, "non-canonical A, reduced for hash", false, false, false, false),
    (11, "non-canonical A, not reduced for hash", false, true, false, true),
];

struct SpeccheckCase {
    pk: [u8; 32],
    msg: Vec<u8>,
    sig: [u8; 64],
}

fn speccheck_cases() -> Vec<SpeccheckCase> {
    let doc = load("speccheck_ed25519_cases.json");
    doc.as_array()
        .unwrap()
        .iter()
        .map(|c| SpeccheckCase {
            pk: hex_field(c, "pub_key").try_into().unwrap(),
            msg: hex_field(c, "message"),
            sig: hex_field(c, "signature").try_into().unwrap(),
        })
        .collect()
}

fn dalek_verify(c: &SpeccheckCase, strict: bool) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(&c.pk) else {
        return false;
    };
    let sig = Signature::from_bytes(&c.sig);
    if strict { key.verify_strict(&c.msg, &sig).is_ok() } else { key.verify(&c.msg, &sig).is_ok() }
}

#[test]
fn crypto_speccheck_table_all_backends() {
    let cases = speccheck_cases();
    assert_eq!(cases.len(), SPECCHECK.len());
    let items: Vec<Ed25519Item<'_>> =
        cases.iter().map(|c| Ed25519Item { public_key: &c.pk, message: &c.msg, signature: &c.sig }).collect();
    let rule: Vec<bool> = SPECCHECK.iter().map(|row| row.2).collect();
    let reference: Vec<bool> = items.iter().map(ed25519_verify).collect();
    assert_eq!(reference, rule, "reference predicate vs documented table");
    for backend in backends() {
        assert_eq!(backend.verify_ed25519_batch(&items), rule, "{}", backend.name());
        // Inside a large batch of valid signatures (exercises the batch equation, not only the
        // small-batch single path).
        let filler = valid_signatures(120, 99);
        let mut mixed: Vec<Ed25519Item<'_>> = filler.iter().map(Owned::item).collect();
        mixed.splice(60..60, items.iter().copied());
        let verdicts = backend.verify_ed25519_batch(&mixed);
        assert_eq!(&verdicts[60..72], rule.as_slice(), "{} mixed", backend.name());
        assert!(verdicts[..60].iter().chain(&verdicts[72..]).all(|&v| v));
    }
    for (row, case) in SPECCHECK.iter().zip(&cases) {
        assert_eq!(dalek_verify(case, false), row.3, "dalek verify, case {}", row.0);
        assert_eq!(dalek_verify(case, true), row.4, "dalek verify_strict, case {}", row.0);
    }
}

/// Records what `ed25519_dalek::verify_batch` says on each speccheck case (single-item batch;
/// its weights are derived from the inputs, so the verdict is reproducible). Not the rule.
#[test]
fn crypto_speccheck_dalek_verify_batch_differs_from_the_rule() {
    for (row, c) in SPECCHECK.iter().zip(speccheck_cases()) {
        let verdict = VerifyingKey::from_bytes(&c.pk).is_ok_and(|key| {
            let msg: &[u8] = &c.msg;
            ed25519_dalek::verify_batch(&[msg], &[Signature::from_bytes(&c.sig)], &[key]).is_ok()
        });
        assert_eq!(verdict, row.5, "dalek verify_batch, case {}", row.0);
    }
}

struct Owned {
    pk: [u8; 32],
    msg: Vec<u8>,
    sig: [u8; 64],
}

impl Owned {
    fn item(&self) -> Ed25519Item<'_> {
        Ed25519Item { public_key: &self.pk, message: &self.msg, signature: &self.sig }
    }
}

fn valid_signatures(n: usize, seed: u8) -> Vec<Owned> {
    (0..n)
        .map(|i| {
            let mut key_seed = [0u8; 32];
            key_seed[0] = seed;
            key_seed[1..9].copy_from_slice(&(i as u64).to_le_bytes());
            let key = ed25519_signing_key_from_seed(key_seed);
            let msg = format!("tx {i}").into_bytes();
            Owned { pk: ed25519_public(&key), sig: ed25519_sign(&key, &msg), msg }
        })
        .collect()
}

#[test]
fn crypto_ed25519_batch_of_200_with_3_corrupted() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
    let mut signatures = valid_signatures(200, 1);
    let mut bad = Vec::new();
    while bad.len() < 3 {
        let i = rng.random_range(0..200usize);
        if !bad.contains(&i) {
            bad.push(i);
        }
    }
    // Three different corruptions: a bit of S, a bit of R, the message.
    signatures[bad[0]].sig[40] ^= 0x04;
    signatures[bad[1]].sig[3] ^= 0x80;
    signatures[bad[2]].msg.push(b'!');
    let items: Vec<Ed25519Item<'_>> = signatures.iter().map(Owned::item).collect();
    let expected: Vec<bool> = (0..200).map(|i| !bad.contains(&i)).collect();
    for backend in backends() {
        assert_eq!(backend.verify_ed25519_batch(&items), expected, "{}", backend.name());
    }
}

#[test]
fn crypto_ed25519_empty_and_single_batches() {
    let one = valid_signatures(1, 2);
    let item = one[0].item();
    let mut bad = Owned { pk: one[0].pk, msg: one[0].msg.clone(), sig: one[0].sig };
    bad.sig[0] ^= 1;
    for backend in backends() {
        assert!(backend.verify_ed25519_batch(&[]).is_empty(), "{}", backend.name());
        assert_eq!(backend.verify_ed25519_batch(&[item]), vec![true]);
        assert_eq!(backend.verify_ed25519_batch(&[bad.item()]), vec![false]);
    }
}

// ---------------------------------------------------------------- BLS

/// Wycheproof "basic" BLS vectors use the NUL ciphersuite, not the node's POP one: they test our
/// strict decoding (`BlsPublicKey::from_bytes_without_pop`, `bls_signature_from_bytes`) with the
/// pairing check done by blst under the NUL DST.
#[test]
fn crypto_wycheproof_bls_basic_nul_decoding() {
    let doc = load("wycheproof_bls_sig_g2_basic_verify_test.json");
    for group in doc["testGroups"].as_array().unwrap() {
        assert_eq!(group["ciphersuite"], "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_");
    }
    let cases = wycheproof_cases("wycheproof_bls_sig_g2_basic_verify_test.json");
    assert_eq!(cases.len(), 88);
    for (id, pk, msg, sig, valid) in cases {
        let verdict = match (BlsPublicKey::from_bytes_without_pop(&pk), bls_signature_from_bytes(&sig)) {
            (Ok(key), Ok(sig)) => {
                sig.verify(false, &msg, NUL_DST, &[], key.as_blst(), false) == BLST_ERROR::BLST_SUCCESS
            }
            _ => false,
        };
        assert_eq!(verdict, valid, "tcId {id}");
    }
}

/// Wycheproof POP-ciphersuite signature vectors (signature DST `..._POP_`, the node's vote DST),
/// through every backend's same-message verification and the reference `bls_verify`.
#[test]
fn crypto_wycheproof_bls_pop_scheme_all_backends() {
    let cases = wycheproof_cases("wycheproof_bls_sig_g2_pop_verify_test.json");
    assert_eq!(cases.len(), 26);
    let backends = backends();
    for (id, pk, msg, sig, valid) in cases {
        let Ok(key) = BlsPublicKey::from_bytes_without_pop(&pk) else {
            assert!(!valid, "tcId {id}: valid case with a rejected key");
            continue;
        };
        assert_eq!(hsbench_engine::crypto::bls_verify(&msg, &key, &sig), valid, "tcId {id}");
        let item = BlsItem { public_key: &key, signature: &sig };
        for backend in &backends {
            // Alone, and among valid copies of itself? Only alone: each case has its own message.
            assert_eq!(backend.verify_bls_same_message(&msg, &[item]), vec![valid], "{} tcId {id}", backend.name());
        }
    }
}

/// Wycheproof aggregate vectors (NUL ciphersuite, distinct messages): our decoders plus blst's
/// `aggregate_verify`. Empty and mismatched inputs are invalid.
#[test]
fn crypto_wycheproof_bls_aggregate_nul() {
    let doc = load("wycheproof_bls_sig_g2_aggregate_verify_test.json");
    let mut count = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        assert_eq!(group["ciphersuite"], "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_");
        for t in group["tests"].as_array().unwrap() {
            count += 1;
            let id = t["tcId"].as_u64().unwrap();
            let valid = t["result"] == "valid";
            let keys: Result<Vec<BlsPublicKey>, CryptoError> = t["pubkeys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| BlsPublicKey::from_bytes_without_pop(&hex::decode(k.as_str().unwrap()).unwrap()))
                .collect();
            let msgs: Vec<Vec<u8>> =
                t["messages"].as_array().unwrap().iter().map(|m| hex::decode(m.as_str().unwrap()).unwrap()).collect();
            let sig = bls_signature_from_bytes(&hex_field(t, "sig"));
            let verdict = match (keys, sig) {
                (Ok(keys), Ok(sig)) if !keys.is_empty() && keys.len() == msgs.len() => {
                    let key_refs: Vec<_> = keys.iter().map(|k| k.as_blst()).collect();
                    let msg_refs: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
                    sig.aggregate_verify(false, &msg_refs, NUL_DST, &key_refs, false) == BLST_ERROR::BLST_SUCCESS
                }
                _ => false,
            };
            assert_eq!(verdict, valid, "tcId {id}: {}", t["comment"]);
        }
    }
    assert_eq!(count, 19);
}

fn committee(n: u8) -> (Vec<ValidatorKeyPair>, Arc<KeyRegistry>) {
    let keys: Vec<ValidatorKeyPair> = (0..n).map(|i| ValidatorKeyPair::from_seed([i; 32])).collect();
    let mut registry = KeyRegistry::new();
    for (i, k) in keys.iter().enumerate() {
        registry.register(i as u16, &k.public()).unwrap();
    }
    (keys, Arc::new(registry))
}

#[test]
fn crypto_vote_round_trip_and_qc_both_schemes() {
    let (keys, registry) = committee(4);
    for scheme in [VoteScheme::Bls, VoteScheme::Ed25519] {
        for kind in CpuBackendKind::ALL {
            let vc = VoteCrypto::new(scheme, registry.clone(), cpu_backend(kind));
            let msg = b"hsbench vote: shard 0 height 12 round 1";
            let sigs: Vec<Vec<u8>> = keys[..3].iter().map(|k| k.sign_vote(scheme, msg)).collect();
            let votes: Vec<(u16, &[u8])> = sigs.iter().enumerate().map(|(i, s)| (i as u16, s.as_slice())).collect();
            assert_eq!(vc.verify_votes(msg, &votes), vec![true; 3], "{scheme:?} {kind:?}");
            let refs: Vec<&[u8]> = sigs.iter().map(|s| s.as_slice()).collect();
            let qc = vc.aggregate(&refs).unwrap();
            assert!(vc.verify_aggregate(msg, &[0, 1, 2], &qc), "{scheme:?} {kind:?}");

            // One vote signed over another message spoils the QC.
            let stray = keys[2].sign_vote(scheme, b"hsbench vote: shard 0 height 12 round 2");
            let bad_refs: Vec<&[u8]> = vec![&sigs[0], &sigs[1], &stray];
            let bad_qc = vc.aggregate(&bad_refs).unwrap();
            assert!(!vc.verify_aggregate(msg, &[0, 1, 2], &bad_qc), "{scheme:?} {kind:?}");
        }
    }
}

#[test]
fn crypto_registry_rejects_bad_pop_and_bad_keys() {
    let good = ValidatorKeyPair::from_seed([40; 32]).public();
    let other = ValidatorKeyPair::from_seed([41; 32]).public();
    let mut registry = KeyRegistry::new();

    let mut wrong_pop = good.clone();
    wrong_pop.bls_pop = other.bls_pop.clone();
    assert_eq!(registry.register(0, &wrong_pop), Err(CryptoError::BadProofOfPossession));

    // x = 0, y = 2: on the G1 curve, not in the prime-order subgroup (Wycheproof basic tcId 79).
    let mut not_in_subgroup = good.clone();
    not_in_subgroup.bls = [0; 48];
    not_in_subgroup.bls[0] = 0x80;
    assert_eq!(registry.register(0, &not_in_subgroup), Err(CryptoError::NotInSubgroup { what: "BLS public key" }));

    let mut garbage = good.clone();
    garbage.bls = [0x5a; 48];
    let err = registry.register(0, &garbage).unwrap_err();
    assert!(matches!(err, CryptoError::BadEncoding { .. } | CryptoError::NotOnCurve { .. }), "{err}");

    let mut short_pop = good.clone();
    short_pop.bls_pop.truncate(95);
    assert!(matches!(registry.register(0, &short_pop), Err(CryptoError::BadSignatureLength { actual: 95, .. })));

    assert!(registry.is_empty());
    registry.register(0, &good).unwrap();
    assert_eq!(registry.len(), 1);
}

#[test]
fn crypto_bls_same_message_batch_one_bad_each_backend() {
    let (keys, registry) = committee(12);
    let msg = b"block 77";
    let mut sigs: Vec<Vec<u8>> = keys.iter().map(|k| k.sign_vote(VoteScheme::Bls, msg)).collect();
    sigs[7] = keys[7].sign_vote(VoteScheme::Bls, b"block 78");
    let public: Vec<&BlsPublicKey> = (0..12).map(|i| registry.bls(i).unwrap()).collect();
    let items: Vec<BlsItem<'_>> =
        public.iter().zip(&sigs).map(|(k, s)| BlsItem { public_key: k, signature: s }).collect();
    let expected: Vec<bool> = (0..12).map(|i| i != 7).collect();
    for backend in backends() {
        assert_eq!(backend.verify_bls_same_message(msg, &items), expected, "{}", backend.name());
        assert!(backend.verify_bls_same_message(msg, &[]).is_empty());
        let sig_refs: Vec<&[u8]> = sigs.iter().map(|s| s.as_slice()).collect();
        assert_eq!(backend.subgroup_check_g2(&sig_refs), vec![true; 12]);
        assert_eq!(backend.subgroup_check_g2(&[&sigs[0][..50]]), vec![false]);
    }
}

/// Vote batches larger than the batched subgroup check's threshold, holding every kind of bad signature a
/// byzantine signer can send — wrong message, wrong key, on the curve but outside G2, a valid signature plus a
/// 13-torsion point and another minus the same point (a pair that cancels in one random combination in 13), the
/// identity, undecodable bytes — get the reference verdicts from every backend, vote by vote and subgroup check by
/// subgroup check.
#[test]
fn crypto_bls_large_batches_with_hostile_points_each_backend() {
    let seed = 0x6b1_u64;
    eprintln!("seed {seed:#x}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (keys, registry) = committee(160);
    let msg = b"block 91";
    let mut sigs: Vec<Vec<u8>> = keys.iter().map(|k| k.sign_vote(VoteScheme::Bls, msg)).collect();
    // Votes travel uncompressed (192 bytes): the hostile points are sent the same way.
    let point = |s: &[u8]| -> blst_p2_affine { blst::min_pk::Signature::deserialize(s).expect("a valid vote").into() };
    let torsion = test_points::torsion_13(&mut rng);
    sigs[3] = keys[3].sign_vote(VoteScheme::Bls, b"block 92");
    sigs[20] = test_points::serialize(&test_points::outside_g2(&mut rng)).to_vec();
    sigs[41] = test_points::serialize(&test_points::add(&point(&sigs[41]), &torsion)).to_vec();
    sigs[42] = test_points::serialize(&test_points::add(&point(&sigs[42]), &test_points::neg(&torsion))).to_vec();
    sigs[77] = test_points::serialize(&blst_p2_affine::default()).to_vec();
    sigs[100].truncate(191);
    sigs[130] = keys[0].sign_vote(VoteScheme::Bls, msg);
    let public: Vec<&BlsPublicKey> = (0..160).map(|i| registry.bls(i).unwrap()).collect();
    let items: Vec<BlsItem<'_>> =
        public.iter().zip(&sigs).map(|(k, s)| BlsItem { public_key: k, signature: s }).collect();
    let sig_refs: Vec<&[u8]> = sigs.iter().map(|s| s.as_slice()).collect();
    let verdicts: Vec<bool> =
        items.iter().map(|it| hsbench_engine::crypto::bls_verify(msg, it.public_key, it.signature)).collect();
    let in_g2: Vec<bool> =
        sigs.iter().map(|s| blst::min_pk::Signature::deserialize(s).is_ok_and(|s| s.subgroup_check())).collect();
    let refused = |v: &[bool]| -> Vec<usize> { (0..v.len()).filter(|&i| !v[i]).collect() };
    assert_eq!(refused(&verdicts), [3, 20, 41, 42, 77, 100, 130]);
    assert_eq!(refused(&in_g2), [20, 41, 42, 100]);
    for backend in backends() {
        for n in [64, 160] {
            let name = backend.name();
            assert_eq!(backend.verify_bls_same_message(msg, &items[..n]), verdicts[..n], "{name} n {n} seed {seed:#x}");
            assert_eq!(backend.subgroup_check_g2(&sig_refs[..n]), in_g2[..n], "{name} n {n} seed {seed:#x}");
        }
    }
}
