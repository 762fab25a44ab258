//! The one error type of the crypto module.
//!
//! Every failure names what was being decoded or checked, so a rejected key or signature can be
//! diagnosed from the message alone (e.g. "BLS public key: point failed the subgroup check").

/// Why a key, signature or aggregate was rejected.
///
/// Verification *verdicts* are plain `bool`s (a bad signature is an expected outcome, not an
/// error); this type is for operations that must produce something usable: decoding and
/// registering keys, aggregating signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The input had the wrong number of bytes.
    #[error("{what}: expected {expected} bytes, got {actual}")]
    BadLength {
        /// What was being decoded.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A BLS signature of neither encoding's length (96 bytes compressed, 192 uncompressed).
    #[error("{what}: expected 96 bytes (compressed) or 192 (uncompressed), got {actual}")]
    BadSignatureLength {
        /// What was being decoded.
        what: &'static str,
        /// The length given.
        actual: usize,
    },
    /// The bytes are not a valid (canonical, compressed) encoding of a point or scalar.
    #[error("{what}: bad encoding")]
    BadEncoding {
        /// What was being decoded.
        what: &'static str,
    },
    /// The encoded coordinates do not lie on the curve.
    #[error("{what}: point is not on the curve")]
    NotOnCurve {
        /// What was being decoded.
        what: &'static str,
    },
    /// The point is on the curve but outside the prime-order subgroup.
    #[error("{what}: point failed the subgroup check")]
    NotInSubgroup {
        /// What was being decoded.
        what: &'static str,
    },
    /// The point is the identity (point at infinity), which is never a valid key or signature.
    #[error("{what}: point is the identity")]
    IdentityPoint {
        /// What was being decoded.
        what: &'static str,
    },
    /// An Ed25519 public key of small order: it would accept forged signatures for any message
    /// under the cofactored rule, so the registry refuses it.
    #[error("{what}: point has small order (weak key)")]
    SmallOrder {
        /// What was being decoded.
        what: &'static str,
    },
    /// The BLS proof of possession does not verify for its public key.
    #[error("BLS public key: bad proof of possession")]
    BadProofOfPossession,
    /// No keys are registered for this validator index.
    #[error("unknown validator {0}")]
    UnknownValidator(u16),
    /// A validator index was registered twice.
    #[error("validator {0} is already registered")]
    DuplicateValidator(u16),
    /// Aggregation needs at least one input.
    #[error("cannot aggregate an empty set of {what}")]
    EmptyAggregate {
        /// What was being aggregated.
        what: &'static str,
    },
    /// Any other failure reported by the BLS library (blst), with its error code.
    #[error("{what}: BLS library error {code}")]
    Bls {
        /// What was being processed.
        what: &'static str,
        /// blst's error code, as its debug name.
        code: String,
    },
}

impl CryptoError {
    /// Maps a blst error code to the precise variant for `what`.
    pub(crate) fn from_blst(what: &'static str, err: blst::BLST_ERROR) -> Self {
        use blst::BLST_ERROR as E;
        match err {
            E::BLST_BAD_ENCODING => Self::BadEncoding { what },
            E::BLST_POINT_NOT_ON_CURVE => Self::NotOnCurve { what },
            E::BLST_POINT_NOT_IN_GROUP => Self::NotInSubgroup { what },
            E::BLST_PK_IS_INFINITY => Self::IdentityPoint { what },
            other => Self::Bls { what, code: format!("{other:?}") },
        }
    }
}
