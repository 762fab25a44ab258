//! BLS aggregation (signatures in G2, public keys in G1) and same-message aggregate
//! verification, the QC/TC check.

use blst::BLST_ERROR;
use blst::min_pk::{AggregatePublicKey, AggregateSignature, PublicKey, Signature};

use super::bls::{BLS_SIGNATURE_LEN, BlsPublicKey, WHAT_SIG, bls_signature_from_bytes_as, decode_signature_unchecked};
use super::bls_message_point;
use super::error::CryptoError;

const WHAT_AGG: &str = "BLS aggregate signature";

/// Sums signatures into one compressed signature. Each input is decoded (on-curve check) but not
/// subgroup-checked: the certificate's check decodes the sum strictly (subgroup, not the identity) and verifies
/// it, which covers inputs that were never checked alone (quorum first at the collector).
pub(crate) fn aggregate_signatures(signatures: &[&[u8]]) -> Result<[u8; BLS_SIGNATURE_LEN], CryptoError> {
    if signatures.is_empty() {
        return Err(CryptoError::EmptyAggregate { what: "BLS signatures" });
    }
    let decoded =
        signatures.iter().map(|s| decode_signature_unchecked(s, WHAT_SIG)).collect::<Result<Vec<Signature>, _>>()?;
    let refs: Vec<&Signature> = decoded.iter().collect();
    let agg = AggregateSignature::aggregate(&refs, false).map_err(|e| CryptoError::from_blst(WHAT_AGG, e))?;
    Ok(agg.to_signature().compress())
}

/// Sums validated public keys. The sum of subgroup elements is a subgroup element; the identity
/// (keys that cancel) is refused since no signature could verify against it.
pub(crate) fn aggregate_public_keys(public_keys: &[&BlsPublicKey]) -> Result<BlsPublicKey, CryptoError> {
    let refs: Vec<&PublicKey> = public_keys.iter().map(|k| k.as_blst()).collect();
    if refs.is_empty() {
        return Err(CryptoError::EmptyAggregate { what: "BLS public keys" });
    }
    let agg = AggregatePublicKey::aggregate(&refs, false)
        .map_err(|e| CryptoError::from_blst("BLS aggregate public key", e))?;
    let key = agg.to_public_key();
    if key.validate() == Err(BLST_ERROR::BLST_PK_IS_INFINITY) {
        return Err(CryptoError::IdentityPoint { what: "BLS aggregate public key" });
    }
    Ok(BlsPublicKey::from_validated(key))
}

/// Whether `aggregate` (strictly decoded: either encoding, subgroup, not identity) is a valid
/// signature on `message` by the sum of `public_keys` (which carry proofs of possession).
/// False for an empty key list.
pub(crate) fn verify_same_message_aggregate(message: &[u8], public_keys: &[&BlsPublicKey], aggregate: &[u8]) -> bool {
    if public_keys.is_empty() {
        return false;
    }
    let Ok(sig) = bls_signature_from_bytes_as(aggregate, WHAT_AGG) else {
        return false;
    };
    let refs: Vec<&PublicKey> = public_keys.iter().map(|k| k.as_blst()).collect();
    // What `fast_aggregate_verify` does (sum the keys, one pairing check), with the message's point from the memo.
    AggregatePublicKey::aggregate(&refs, false)
        .is_ok_and(|key| bls_message_point::verify(message, &key.to_public_key(), &sig))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::bls::bls_sign;
    use blst::min_pk::SecretKey;

    #[test]
    fn aggregate_of_three_verifies_and_detects_wrong_message() {
        let sks: Vec<SecretKey> = (1..=3u8).map(|i| SecretKey::key_gen(&[i; 32], &[]).unwrap()).collect();
        let pks: Vec<BlsPublicKey> = sks.iter().map(|s| BlsPublicKey::from_validated(s.sk_to_pk())).collect();
        let pk_refs: Vec<&BlsPublicKey> = pks.iter().collect();
        let sigs: Vec<[u8; 96]> = sks.iter().map(|s| bls_sign(s, b"block")).collect();
        let sig_refs: Vec<&[u8]> = sigs.iter().map(|s| s.as_slice()).collect();
        let agg = aggregate_signatures(&sig_refs).unwrap();
        assert!(verify_same_message_aggregate(b"block", &pk_refs, &agg));
        assert!(!verify_same_message_aggregate(b"other", &pk_refs, &agg));
        assert!(!verify_same_message_aggregate(b"block", &pk_refs[..2], &agg));
        assert!(!verify_same_message_aggregate(b"block", &[], &agg));

        let agg_pk = aggregate_public_keys(&pk_refs).unwrap();
        assert!(crate::crypto::bls::bls_verify(b"block", &agg_pk, &agg));

        assert_eq!(aggregate_signatures(&[]), Err(CryptoError::EmptyAggregate { what: "BLS signatures" }));
        assert!(aggregate_public_keys(&[]).is_err());
        assert!(matches!(aggregate_signatures(&[&sigs[0][..90]]), Err(CryptoError::BadSignatureLength { .. })));
    }
}
