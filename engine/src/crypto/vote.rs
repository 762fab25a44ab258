//! Vote-level crypto for consensus: verify individual votes, aggregate them for a quorum
//! certificate, verify QC aggregates, under either vote scheme.

use std::fmt;
use std::sync::Arc;

use super::VoteScheme;
use super::backend::{BlsItem, Ed25519Item, VerifyBackend};
use super::bls::{BLS_SIGNATURE_LEN, BLS_SIGNATURE_UNCOMPRESSED_LEN};
use super::ed25519::ED25519_SIGNATURE_LEN;
use super::error::CryptoError;
use super::registry::KeyRegistry;

/// Vote-level crypto used by consensus: verifies individual votes, aggregates them into a QC
/// aggregate, verifies QC aggregates, for either scheme. Cheap to clone (shared registry and
/// backend).
#[derive(Clone)]
pub struct VoteCrypto {
    scheme: VoteScheme,
    registry: Arc<KeyRegistry>,
    backend: Arc<dyn VerifyBackend>,
}

impl fmt::Debug for VoteCrypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VoteCrypto")
            .field("scheme", &self.scheme)
            .field("validators", &self.registry.len())
            .field("backend", &self.backend.name())
            .finish()
    }
}

impl VoteCrypto {
    /// Vote crypto for `scheme` over the keys in `registry`, verifying with `backend`.
    pub fn new(scheme: VoteScheme, registry: Arc<KeyRegistry>, backend: Arc<dyn VerifyBackend>) -> Self {
        Self { scheme, registry, backend }
    }

    /// The vote signature scheme in use.
    pub fn scheme(&self) -> VoteScheme {
        self.scheme
    }

    /// The key registry votes are checked against.
    pub fn registry(&self) -> &Arc<KeyRegistry> {
        &self.registry
    }

    /// The verification backend in use.
    pub fn backend(&self) -> &Arc<dyn VerifyBackend> {
        &self.backend
    }

    /// Per-vote verdicts for signatures by validators `signer` over one message; unknown signer
    /// or malformed signature => false. One backend call for all votes. A BLS vote signature travels in one
    /// encoding only, uncompressed ([`BLS_SIGNATURE_UNCOMPRESSED_LEN`] bytes, what [`ValidatorKeyPair::sign_vote`]
    /// writes): a compressed one is refused like any malformed signature, so no vote costs a square root.
    ///
    /// [`ValidatorKeyPair::sign_vote`]: super::ValidatorKeyPair::sign_vote
    pub fn verify_votes(&self, message: &[u8], votes: &[(u16, &[u8])]) -> Vec<bool> {
        let mut verdicts = vec![false; votes.len()];
        let mut positions = Vec::with_capacity(votes.len());
        let results = match self.scheme {
            VoteScheme::Bls => {
                let mut items = Vec::with_capacity(votes.len());
                for (i, &(signer, signature)) in votes.iter().enumerate() {
                    let uncompressed = signature.len() == BLS_SIGNATURE_UNCOMPRESSED_LEN;
                    if let Some(public_key) = self.registry.bls(signer).filter(|_| uncompressed) {
                        items.push(BlsItem { public_key, signature });
                        positions.push(i);
                    }
                }
                self.backend.verify_bls_same_message(message, &items)
            }
            VoteScheme::Ed25519 => {
                let mut items = Vec::with_capacity(votes.len());
                for (i, &(signer, signature)) in votes.iter().enumerate() {
                    let key = self.registry.ed25519(signer);
                    let sig = <&[u8; ED25519_SIGNATURE_LEN]>::try_from(signature).ok();
                    if let (Some(public_key), Some(signature)) = (key, sig) {
                        items.push(Ed25519Item { public_key, message, signature });
                        positions.push(i);
                    }
                }
                self.backend.verify_ed25519_batch(&items)
            }
        };
        for (pos, ok) in positions.into_iter().zip(results) {
            verdicts[pos] = ok;
        }
        verdicts
    }

    /// Aggregate of verified votes, ordered by the caller: BLS => 96-byte aggregate; Ed25519 =>
    /// concatenation of the 64-byte signatures in the given order (multisig).
    pub fn aggregate(&self, signatures: &[&[u8]]) -> Result<Vec<u8>, CryptoError> {
        match self.scheme {
            VoteScheme::Bls => Ok(self.backend.aggregate_g2(signatures)?.to_vec()),
            VoteScheme::Ed25519 => {
                if signatures.is_empty() {
                    return Err(CryptoError::EmptyAggregate { what: "Ed25519 signatures" });
                }
                let mut out = Vec::with_capacity(signatures.len() * ED25519_SIGNATURE_LEN);
                for sig in signatures {
                    if sig.len() != ED25519_SIGNATURE_LEN {
                        return Err(CryptoError::BadLength {
                            what: "Ed25519 signature",
                            expected: ED25519_SIGNATURE_LEN,
                            actual: sig.len(),
                        });
                    }
                    out.extend_from_slice(sig);
                }
                Ok(out)
            }
        }
    }

    /// Verdict for an aggregate produced by `aggregate` for signers (in that order) over
    /// `message`. False for no signers, an unknown or repeated signer (a repeated signer would
    /// inflate a quorum count). BLS: the aggregate is compressed ([`BLS_SIGNATURE_LEN`] bytes), the one encoding a
    /// certificate carries. Ed25519: verifies each 64-byte chunk against its signer with the
    /// batch verifier; lengths must match exactly.
    pub fn verify_aggregate(&self, message: &[u8], signers: &[u16], aggregate: &[u8]) -> bool {
        if signers.is_empty() || has_duplicates(signers) {
            return false;
        }
        match self.scheme {
            VoteScheme::Bls => {
                if aggregate.len() != BLS_SIGNATURE_LEN {
                    return false; // certificates carry the compressed encoding only
                }
                let keys: Option<Vec<_>> = signers.iter().map(|&s| self.registry.bls(s)).collect();
                keys.is_some_and(|keys| self.backend.verify_bls_aggregate(message, &keys, aggregate))
            }
            VoteScheme::Ed25519 => {
                if aggregate.len() != signers.len() * ED25519_SIGNATURE_LEN {
                    return false;
                }
                let mut items = Vec::with_capacity(signers.len());
                for (&signer, chunk) in signers.iter().zip(aggregate.chunks_exact(ED25519_SIGNATURE_LEN)) {
                    let (Some(public_key), Ok(signature)) =
                        (self.registry.ed25519(signer), <&[u8; ED25519_SIGNATURE_LEN]>::try_from(chunk))
                    else {
                        return false;
                    };
                    items.push(Ed25519Item { public_key, message, signature });
                }
                self.backend.verify_ed25519_batch(&items).iter().all(|&ok| ok)
            }
        }
    }
}

/// Whether any validator index occurs twice.
fn has_duplicates(signers: &[u16]) -> bool {
    let mut sorted = signers.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{CpuBackendKind, ValidatorKeyPair, cpu_backend};

    fn setup(scheme: VoteScheme, kind: CpuBackendKind) -> (Vec<ValidatorKeyPair>, VoteCrypto) {
        let keys: Vec<ValidatorKeyPair> = (0..4u8).map(|i| ValidatorKeyPair::from_seed([i; 32])).collect();
        let mut reg = KeyRegistry::new();
        for (i, k) in keys.iter().enumerate() {
            reg.register(i as u16, &k.public()).unwrap();
        }
        let vc = VoteCrypto::new(scheme, Arc::new(reg), cpu_backend(kind));
        (keys, vc)
    }

    #[test]
    fn shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<VoteCrypto>();
        assert_send_sync::<KeyRegistry>();
    }

    #[test]
    fn votes_and_qc_for_both_schemes_and_all_backends() {
        for scheme in [VoteScheme::Bls, VoteScheme::Ed25519] {
            for kind in CpuBackendKind::ALL {
                let (keys, vc) = setup(scheme, kind);
                assert_eq!(vc.scheme(), scheme);
                let msg = b"vote: height 7 round 0";
                let sigs: Vec<Vec<u8>> = keys.iter().map(|k| k.sign_vote(scheme, msg)).collect();
                let other = keys[3].sign_vote(scheme, b"another message");
                let votes: Vec<(u16, &[u8])> = vec![
                    (0, &sigs[0]),
                    (1, &sigs[1]),
                    (2, &sigs[2]),
                    (3, &other),
                    (9, &sigs[0]),      // unknown signer
                    (1, &sigs[1][..5]), // malformed
                    (2, &sigs[1]),      // wrong signer
                ];
                assert_eq!(
                    vc.verify_votes(msg, &votes),
                    vec![true, true, true, false, false, false, false],
                    "{scheme:?} {kind:?}"
                );

                let three: Vec<&[u8]> = sigs[..3].iter().map(|s| s.as_slice()).collect();
                let agg = vc.aggregate(&three).unwrap();
                assert!(vc.verify_aggregate(msg, &[0, 1, 2], &agg));
                assert!(!vc.verify_aggregate(b"other", &[0, 1, 2], &agg));
                assert!(!vc.verify_aggregate(msg, &[0, 1], &agg));
                assert!(!vc.verify_aggregate(msg, &[0, 1, 9], &agg));
                assert!(!vc.verify_aggregate(msg, &[], &agg));
                assert!(!vc.verify_aggregate(msg, &[0, 0, 2], &agg));

                let with_bad: Vec<&[u8]> = vec![&sigs[0], &sigs[1], &other];
                let bad_agg = vc.aggregate(&with_bad).unwrap();
                assert!(!vc.verify_aggregate(msg, &[0, 1, 3], &bad_agg));
                assert!(vc.aggregate(&[]).is_err());
            }
        }
    }

    /// BLS votes travel uncompressed and certificates compressed, one encoding each: the same valid signature in
    /// the other encoding is refused (as a vote: a false verdict; as an aggregate: a failed check), on every backend.
    #[test]
    fn bls_votes_are_uncompressed_and_aggregates_compressed_only() {
        for kind in CpuBackendKind::ALL {
            let (keys, vc) = setup(VoteScheme::Bls, kind);
            let msg = b"vote: height 3 round 1";
            let sigs: Vec<Vec<u8>> = keys.iter().map(|k| k.sign_vote(VoteScheme::Bls, msg)).collect();
            assert!(sigs.iter().all(|s| s.len() == BLS_SIGNATURE_UNCOMPRESSED_LEN));
            let compressed: Vec<Vec<u8>> = sigs
                .iter()
                .map(|s| super::super::bls_signature_from_bytes(s).expect("a fresh vote decodes").compress().to_vec())
                .collect();
            let votes: Vec<(u16, &[u8])> = vec![(0, &sigs[0]), (1, &compressed[1]), (2, &sigs[2])];
            assert_eq!(vc.verify_votes(msg, &votes), vec![true, false, true], "{kind:?}");

            let three: Vec<&[u8]> = sigs[..3].iter().map(|s| s.as_slice()).collect();
            let agg = vc.aggregate(&three).unwrap();
            assert_eq!(agg.len(), 96);
            assert!(vc.verify_aggregate(msg, &[0, 1, 2], &agg));
            let agg_uncompressed =
                super::super::bls_signature_from_bytes(&agg).expect("the aggregate decodes").serialize();
            assert!(!vc.verify_aggregate(msg, &[0, 1, 2], &agg_uncompressed), "{kind:?}");
        }
    }
}
