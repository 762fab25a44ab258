//! BLS12-381 signatures, min-pk variant (48-byte G1 public keys, 96-byte G2 signatures), proof of
//! possession ciphersuite: validated public keys, strict signature decoding, single verification,
//! signing and proofs of possession.
//!
//! Rogue-key safety comes from proofs of possession checked once at registration
//! ([`BlsPublicKey::from_bytes_with_pop`]), which is what lets same-message aggregates be
//! verified against a plain sum of public keys.

use std::fmt;

use blst::BLST_ERROR;
use blst::min_pk::{PublicKey, SecretKey, Signature};

use super::bls_message_point;
use super::error::CryptoError;

/// Domain separation tag for vote signatures (IETF BLS draft, proof-of-possession ciphersuite).
pub const BLS_SIG_DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/// Domain separation tag for proofs of possession (signature over the compressed public key).
pub const BLS_POP_DST: &[u8] = b"BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/// Length of a compressed BLS public key (G1).
pub const BLS_PUBLIC_KEY_LEN: usize = 48;
/// Length of a compressed BLS signature (G2): the IETF encoding, and QC / TC aggregates.
pub const BLS_SIGNATURE_LEN: usize = 96;
/// Length of an uncompressed BLS signature (G2, `x ‖ y`, the ZCash serialisation blst writes): how validators send
/// their vote and timeout signatures, so that a receiver does not pay a square root in Fp2 (~19 µs) per vote.
pub const BLS_SIGNATURE_UNCOMPRESSED_LEN: usize = 192;

const WHAT_PK: &str = "BLS public key";
/// What a signature is called in errors (`CryptoError`'s `what`).
pub const WHAT_SIG: &str = "BLS signature";
const WHAT_POP: &str = "BLS proof of possession";

/// A BLS public key that passed the subgroup check and proof of possession (cached; cheap to
/// clone), so verification never re-validates it.
#[derive(Clone, PartialEq, Eq)]
pub struct BlsPublicKey {
    key: PublicKey,
    bytes: [u8; BLS_PUBLIC_KEY_LEN],
}

impl BlsPublicKey {
    /// Decodes a compressed public key, checks it (on the curve, in the subgroup, not the
    /// identity) and verifies its proof of possession `pop` (a signature over the 48 key bytes
    /// with [`BLS_POP_DST`]). This is the registration path.
    pub fn from_bytes_with_pop(bytes: &[u8], pop: &[u8]) -> Result<Self, CryptoError> {
        let key = Self::from_bytes_without_pop(bytes)?;
        let proof = bls_signature_from_bytes_as(pop, WHAT_POP)?;
        match proof.verify(false, &key.bytes, BLS_POP_DST, &[], &key.key, false) {
            BLST_ERROR::BLST_SUCCESS => Ok(key),
            _ => Err(CryptoError::BadProofOfPossession),
        }
    }

    /// Decodes and subgroup-checks a compressed public key **without** a proof of possession.
    ///
    /// Only for keys whose possession is established elsewhere (a trusted genesis file,
    /// conformance vectors, aggregates of validated keys): same-message aggregation over keys
    /// without proofs of possession is open to rogue-key forgeries.
    pub fn from_bytes_without_pop(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; BLS_PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::BadLength {
            what: WHAT_PK,
            expected: BLS_PUBLIC_KEY_LEN,
            actual: bytes.len(),
        })?;
        let key = PublicKey::uncompress(&array).map_err(|e| CryptoError::from_blst(WHAT_PK, e))?;
        key.validate().map_err(|e| CryptoError::from_blst(WHAT_PK, e))?;
        Ok(Self { key, bytes: array })
    }

    /// Wraps a point already known to be a valid subgroup element (e.g. a sum of validated keys).
    pub(crate) fn from_validated(key: PublicKey) -> Self {
        let bytes = key.compress();
        Self { key, bytes }
    }

    /// The compressed 48-byte encoding.
    pub fn to_bytes(&self) -> [u8; BLS_PUBLIC_KEY_LEN] {
        self.bytes
    }

    /// The compressed 48-byte encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; BLS_PUBLIC_KEY_LEN] {
        &self.bytes
    }

    /// The underlying blst key, for callers that need blst operations this module lacks.
    pub fn as_blst(&self) -> &PublicKey {
        &self.key
    }
}

impl fmt::Debug for BlsPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlsPublicKey({})", hex::encode(self.bytes))
    }
}

/// Strictly decodes a signature: a valid G2 point encoding — 96 bytes compressed (the compression flag set) or 192
/// bytes uncompressed (the flag clear) —, in the prime-order subgroup, not the identity. The gate every BLS
/// signature passes before use.
pub fn bls_signature_from_bytes(bytes: &[u8]) -> Result<Signature, CryptoError> {
    bls_signature_from_bytes_as(bytes, WHAT_SIG)
}

/// [`bls_signature_from_bytes`] with the error naming `what`.
pub(crate) fn bls_signature_from_bytes_as(bytes: &[u8], what: &'static str) -> Result<Signature, CryptoError> {
    let sig = decode_signature_unchecked(bytes, what)?;
    sig.validate(true).map_err(|e| CryptoError::from_blst(what, e))?;
    Ok(sig)
}

/// Decodes a G2 point without the subgroup check: 96 bytes compressed (the on-curve check comes with the square
/// root) or 192 bytes uncompressed (coordinates below p, on the curve); the flags must match the length, as in
/// blst's `Signature::deserialize`. What every backend decodes signatures with, so their verdicts agree.
pub fn decode_signature_unchecked(bytes: &[u8], what: &'static str) -> Result<Signature, CryptoError> {
    let decoded = match bytes.len() {
        BLS_SIGNATURE_LEN => Signature::uncompress(bytes),
        BLS_SIGNATURE_UNCOMPRESSED_LEN => Signature::deserialize(bytes),
        actual => return Err(CryptoError::BadSignatureLength { what, actual }),
    };
    decoded.map_err(|e| CryptoError::from_blst(what, e))
}

/// Whether `bytes` decode to a G2 point in the prime-order subgroup (identity included: this is
/// the pure subgroup check; verification rejects the identity separately).
pub(crate) fn g2_subgroup_check(bytes: &[u8]) -> bool {
    decode_signature_unchecked(bytes, WHAT_SIG).is_ok_and(|s| s.subgroup_check())
}

/// The reference BLS predicate: `signature` (strictly decoded) is a valid signature by
/// `public_key` on `message` under [`BLS_SIG_DST`].
pub fn bls_verify(message: &[u8], public_key: &BlsPublicKey, signature: &[u8]) -> bool {
    bls_signature_from_bytes(signature).is_ok_and(|sig| verify_decoded(message, public_key, &sig))
}

/// Pairing check for an already-decoded, subgroup-checked signature (the message's point from this thread's
/// memo, `bls_message_point`).
pub(crate) fn verify_decoded(message: &[u8], public_key: &BlsPublicKey, sig: &Signature) -> bool {
    bls_message_point::verify(message, &public_key.key, sig)
}

/// Signs `message` with [`BLS_SIG_DST`]; compressed 96-byte signature (the message's point from this thread's
/// memo, `bls_message_point`). Tests and vectors use it; validators sign uncompressed ([`bls_sign_uncompressed`]).
#[cfg(test)]
pub(crate) fn bls_sign(secret: &SecretKey, message: &[u8]) -> [u8; BLS_SIGNATURE_LEN] {
    bls_message_point::sign(secret, message).compress()
}

/// [`bls_sign`] encoded uncompressed (192 bytes): how vote and timeout signatures travel.
pub(crate) fn bls_sign_uncompressed(secret: &SecretKey, message: &[u8]) -> [u8; BLS_SIGNATURE_UNCOMPRESSED_LEN] {
    bls_message_point::sign(secret, message).serialize()
}

/// Proof of possession for `secret`'s public key: a signature over its compressed bytes with
/// [`BLS_POP_DST`].
pub(crate) fn bls_prove_possession(secret: &SecretKey) -> [u8; BLS_SIGNATURE_LEN] {
    let public = secret.sk_to_pk().compress();
    secret.sign(&public, BLS_POP_DST, &[]).compress()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(n: u8) -> SecretKey {
        SecretKey::key_gen(&[n; 32], &[]).unwrap()
    }

    #[test]
    fn pop_registration_and_errors() {
        let sk = secret(1);
        let pk = sk.sk_to_pk().compress();
        let pop = bls_prove_possession(&sk);
        let key = BlsPublicKey::from_bytes_with_pop(&pk, &pop).unwrap();
        assert_eq!(key.to_bytes(), pk);

        // PoP of another key.
        let other_pop = bls_prove_possession(&secret(2));
        assert_eq!(BlsPublicKey::from_bytes_with_pop(&pk, &other_pop), Err(CryptoError::BadProofOfPossession));
        // A vote signature over the key bytes is not a PoP (different DST).
        let wrong_dst = bls_sign(&sk, &pk);
        assert_eq!(BlsPublicKey::from_bytes_with_pop(&pk, &wrong_dst), Err(CryptoError::BadProofOfPossession));
        // Lengths.
        assert!(matches!(
            BlsPublicKey::from_bytes_with_pop(&pk[..47], &pop),
            Err(CryptoError::BadLength { expected: 48, actual: 47, .. })
        ));
        assert!(matches!(
            BlsPublicKey::from_bytes_with_pop(&pk, &pop[..95]),
            Err(CryptoError::BadSignatureLength { what: WHAT_POP, actual: 95 })
        ));
        // Identity public key (compressed infinity: 0xc0 then zeros).
        let mut inf = [0u8; 48];
        inf[0] = 0xc0;
        assert_eq!(BlsPublicKey::from_bytes_without_pop(&inf), Err(CryptoError::IdentityPoint { what: WHAT_PK }));
        // Garbage.
        assert!(BlsPublicKey::from_bytes_without_pop(&[0xab; 48]).is_err());
    }

    #[test]
    fn sign_verify_and_identity_signature() {
        let sk = secret(3);
        let key = BlsPublicKey::from_validated(sk.sk_to_pk());
        let sig = bls_sign(&sk, b"vote");
        assert!(bls_verify(b"vote", &key, &sig));
        assert!(!bls_verify(b"votf", &key, &sig));
        assert!(!bls_verify(b"vote", &key, &sig[..95]));
        let mut inf = [0u8; 96];
        inf[0] = 0xc0;
        assert_eq!(bls_signature_from_bytes(&inf).err(), Some(CryptoError::IdentityPoint { what: WHAT_SIG }));
        assert!(g2_subgroup_check(&inf));
        assert!(g2_subgroup_check(&sig));
        assert!(!g2_subgroup_check(&sig[..10]));
    }

    /// Both encodings of a signature decode to one point; the flags must match the length (compressed flag on 96
    /// bytes, off on 192), an uncompressed identity is the identity, off-curve and out-of-range coordinates are
    /// refused, and any other length is named.
    #[test]
    fn signatures_decode_compressed_or_uncompressed_strictly() {
        let sk = secret(4);
        let key = BlsPublicKey::from_validated(sk.sk_to_pk());
        let compressed = bls_sign(&sk, b"vote");
        let uncompressed = bls_sign_uncompressed(&sk, b"vote");
        assert_eq!(bls_signature_from_bytes(&uncompressed), bls_signature_from_bytes(&compressed));
        assert!(bls_verify(b"vote", &key, &uncompressed));
        assert!(g2_subgroup_check(&uncompressed));

        let mut flagged = uncompressed;
        flagged[0] |= 0x80; // compressed flag on an uncompressed length (Wycheproof tcId 43's shape)
        assert_eq!(bls_signature_from_bytes(&flagged).err(), Some(CryptoError::BadEncoding { what: WHAT_SIG }));
        let mut unflagged = compressed;
        unflagged[0] &= 0x7f;
        assert_eq!(bls_signature_from_bytes(&unflagged).err(), Some(CryptoError::BadEncoding { what: WHAT_SIG }));
        let mut off_curve = uncompressed;
        off_curve[191] ^= 1;
        assert_eq!(bls_signature_from_bytes(&off_curve).err(), Some(CryptoError::NotOnCurve { what: WHAT_SIG }));
        let mut out_of_range = uncompressed;
        out_of_range[..48].fill(0x1f); // x.c1 above p (flags clear)
        assert!(bls_signature_from_bytes(&out_of_range).is_err());
        let mut identity = [0u8; BLS_SIGNATURE_UNCOMPRESSED_LEN];
        identity[0] = 0x40;
        assert_eq!(bls_signature_from_bytes(&identity).err(), Some(CryptoError::IdentityPoint { what: WHAT_SIG }));
        assert!(g2_subgroup_check(&identity));
        for len in [0, 95, 97, 191, 193] {
            assert_eq!(
                decode_signature_unchecked(&vec![0xc0; len], WHAT_SIG).err(),
                Some(CryptoError::BadSignatureLength { what: WHAT_SIG, actual: len })
            );
        }
    }
}
