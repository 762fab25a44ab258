//! Signature cryptography for the node: vote signatures (BLS12-381 min-pk with proofs of
//! possession, or Ed25519 multisig), transaction signatures (Ed25519), key derivation, the
//! validator key registry, and the [`VerifyBackend`] trait through which every verification
//! runs so that CPU and GPU backends are interchangeable.
//!
//! Verdict rules are fixed here and every backend must reproduce them exactly:
//! Ed25519 follows [`ED25519_RULE`] (strict decoding, cofactored equation); BLS uses the IETF
//! proof-of-possession ciphersuite ([`BLS_SIG_DST`], [`BLS_POP_DST`]) with strict 96-byte
//! compressed signatures that must be in the G2 subgroup and not the identity.

mod backend;
mod bls;
mod bls_aggregate;
mod bls_batch;
mod bls_message_point;
mod bls_subgroup_batch;
mod cpu;
mod cpu_features;
mod ed25519;
mod ed25519_batch;
mod error;
mod key_cache;
mod keys;
mod registry;
#[doc(hidden)]
pub mod test_points;
mod vote;

use serde::{Deserialize, Serialize};

pub use backend::{BlsItem, CpuBackendKind, Ed25519Item, UnknownBackendKind, VerifyBackend, cpu_backend};
pub use bls::{
    BLS_POP_DST, BLS_PUBLIC_KEY_LEN, BLS_SIG_DST, BLS_SIGNATURE_LEN, BLS_SIGNATURE_UNCOMPRESSED_LEN, BlsPublicKey,
    WHAT_SIG, bls_signature_from_bytes, bls_verify, decode_signature_unchecked,
};
pub use cpu_features::{backend_description, ed25519_backend_name};
pub use ed25519::{
    ED25519_PUBLIC_KEY_LEN, ED25519_RULE, ED25519_SIGNATURE_LEN, ed25519_public, ed25519_sign,
    ed25519_signing_key_from_seed, ed25519_verify, is_canonical_point_encoding, is_small_order_key,
};
pub use error::CryptoError;
pub use key_cache::{CAPACITY as KEY_CACHE_CAPACITY, KeyCacheStats, key_cache_stats};
pub use keys::{ValidatorKeyPair, ValidatorPublicKeys};
pub use registry::KeyRegistry;
pub use vote::VoteCrypto;

/// Which signature scheme validators vote with: BLS (one 96-byte aggregate per QC, expensive
/// verification) or Ed25519 (cheap verification, QC = concatenated signatures). Configurable
/// so the benchmark can compare both; serde names `"bls"` and `"ed25519"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VoteScheme {
    /// BLS12-381 min-pk, proof-of-possession ciphersuite.
    #[default]
    Bls,
    /// Ed25519 under [`ED25519_RULE`].
    Ed25519,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vote_scheme_serde_names() {
        assert_eq!(serde_json::to_string(&VoteScheme::Bls).unwrap(), "\"bls\"");
        assert_eq!(serde_json::from_str::<VoteScheme>("\"ed25519\"").unwrap(), VoteScheme::Ed25519);
        assert_eq!(VoteScheme::default(), VoteScheme::Bls);
    }
}
