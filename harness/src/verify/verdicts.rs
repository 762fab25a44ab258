//! Verification of `hsbench verify`'s items with one backend: every well-formed Ed25519 item in one
//! `verify_ed25519_batch` call, BLS items grouped by message into `verify_bls_same_message` calls.

use crate::verify::input::{Scheme, VerifyItem};
use hsbench_engine::crypto::{BLS_SIG_DST, BlsItem, BlsPublicKey, Ed25519Item, VerifyBackend};
use std::collections::BTreeMap;

/// The verdict on one input entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Verified: valid or not.
    Verdict(bool),
    /// The entry could not be verified (malformed line, unsupported DST or test type).
    Error(String),
}

/// Verdicts for `items` in order. Wrong key/signature lengths and undecodable BLS keys are invalid
/// signatures (`Verdict(false)`), not errors; a BLS DST other than [`BLS_SIG_DST`] is an error (the
/// backends verify under the POP ciphersuite only).
pub fn verify_all(backend: &dyn VerifyBackend, items: &[Result<VerifyItem, String>]) -> Vec<Outcome> {
    let mut out: Vec<Outcome> = items
        .iter()
        .map(|i| match i {
            Err(e) => Outcome::Error(e.clone()),
            Ok(_) => Outcome::Verdict(false),
        })
        .collect();
    verify_ed25519(backend, items, &mut out);
    verify_bls(backend, items, &mut out);
    out
}

fn verify_ed25519(backend: &dyn VerifyBackend, items: &[Result<VerifyItem, String>], out: &mut [Outcome]) {
    let mut batch = Vec::new();
    let mut positions = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Ok(item) = item else { continue };
        if item.scheme != Scheme::Ed25519 {
            continue;
        }
        if let (Ok(public_key), Ok(signature)) =
            (<&[u8; 32]>::try_from(item.pk.as_slice()), <&[u8; 64]>::try_from(item.sig.as_slice()))
        {
            batch.push(Ed25519Item { public_key, message: &item.msg, signature });
            positions.push(i);
        }
    }
    if batch.is_empty() {
        return;
    }
    let verdicts = backend.verify_ed25519_batch(&batch);
    for (pos, ok) in positions.into_iter().zip(verdicts) {
        out[pos] = Outcome::Verdict(ok);
    }
}

/// A BLS entry of one message group: input position, decoded key, signature bytes.
type BlsEntry<'a> = (usize, BlsPublicKey, &'a [u8]);

fn verify_bls(backend: &dyn VerifyBackend, items: &[Result<VerifyItem, String>], out: &mut [Outcome]) {
    let sig_dst = String::from_utf8_lossy(BLS_SIG_DST);
    let mut by_message: BTreeMap<&[u8], Vec<BlsEntry<'_>>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let Ok(item) = item else { continue };
        if item.scheme != Scheme::Bls {
            continue;
        }
        if let Some(dst) = item.dst.as_deref().filter(|d| *d != sig_dst) {
            out[i] = Outcome::Error(format!(
                "unsupported dst {dst:?}: the backends verify under {sig_dst:?} (the POP ciphersuite) only"
            ));
            continue;
        }
        if let Ok(key) = BlsPublicKey::from_bytes_without_pop(&item.pk) {
            by_message.entry(&item.msg).or_default().push((i, key, &item.sig));
        }
    }
    for (message, group) in by_message {
        let batch: Vec<BlsItem<'_>> =
            group.iter().map(|(_, key, sig)| BlsItem { public_key: key, signature: sig }).collect();
        let verdicts = backend.verify_bls_same_message(message, &batch);
        for ((pos, _, _), ok) in group.iter().zip(verdicts) {
            out[*pos] = Outcome::Verdict(ok);
        }
    }
}

/// Counts over a run's outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Entries in the input.
    pub items: usize,
    /// Ed25519 entries (parsed).
    pub ed25519: usize,
    /// BLS entries (parsed).
    pub bls: usize,
    /// Valid signatures.
    pub valid: usize,
    /// Invalid signatures.
    pub invalid: usize,
    /// Entries that could not be verified.
    pub errors: usize,
    /// Entries with an expected verdict (vector files).
    pub with_expected: usize,
    /// Of those, verdicts equal to the expected one.
    pub agree: usize,
}

/// Tallies `outcomes` of `items`.
pub fn tally(items: &[Result<VerifyItem, String>], outcomes: &[Outcome]) -> Tally {
    let mut t = Tally { items: items.len(), ..Tally::default() };
    for (item, outcome) in items.iter().zip(outcomes) {
        if let Ok(item) = item {
            match item.scheme {
                Scheme::Ed25519 => t.ed25519 += 1,
                Scheme::Bls => t.bls += 1,
            }
        }
        match outcome {
            Outcome::Verdict(true) => t.valid += 1,
            Outcome::Verdict(false) => t.invalid += 1,
            Outcome::Error(_) => t.errors += 1,
        }
        if let (Ok(VerifyItem { expected: Some(e), .. }), Outcome::Verdict(v)) = (item, outcome) {
            t.with_expected += 1;
            t.agree += usize::from(e == v);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::input::parse;
    use hsbench_engine::crypto::{CpuBackendKind, cpu_backend};

    #[test]
    fn wycheproof_files_agree_with_expected_on_every_cpu_backend() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../engine/tests/vectors/");
        for (file, errors) in [("wycheproof_ed25519_test.json", 0), ("wycheproof_bls_sig_g2_pop_verify_test.json", 0)] {
            let input = parse(&std::fs::read_to_string(format!("{dir}{file}")).unwrap());
            for kind in CpuBackendKind::ALL {
                let outcomes = verify_all(cpu_backend(kind).as_ref(), &input.items);
                let t = tally(&input.items, &outcomes);
                assert_eq!(t.errors, errors, "{file} {kind}");
                assert_eq!(t.agree, t.with_expected, "{file} {kind}: {t:?}");
                assert!(t.valid > 0 && t.invalid > 0, "{file}: {t:?}");
            }
        }
        // The NUL ciphersuite is not what the backends verify: every entry is an error, none a wrong verdict.
        let input =
            parse(&std::fs::read_to_string(format!("{dir}wycheproof_bls_sig_g2_basic_verify_test.json")).unwrap());
        let outcomes = verify_all(cpu_backend(CpuBackendKind::Cpu).as_ref(), &input.items);
        assert!(outcomes.iter().all(|o| matches!(o, Outcome::Error(e) if e.contains("unsupported dst"))));
    }
}
