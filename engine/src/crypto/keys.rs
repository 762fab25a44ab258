//! Validator signing keys (Ed25519 and BLS), derived deterministically from a 32-byte seed, and
//! the public keys a validator publishes.

use std::fmt;

use blst::min_pk::SecretKey;
use ed25519_dalek::SigningKey;

use super::VoteScheme;
use super::bls::{bls_prove_possession, bls_sign_uncompressed};
use super::ed25519::{ed25519_public, ed25519_sign, ed25519_signing_key_from_seed};

/// blake3 key-derivation context for the BLS key-generation input keying material.
const BLS_KEYGEN_CONTEXT: &str = "hsbench bls keygen v1";

/// A validator's signing keys: Ed25519 and BLS, derived deterministically from a 32-byte seed
/// (benchmarks/tests need reproducible committees).
#[derive(Clone)]
pub struct ValidatorKeyPair {
    ed25519: SigningKey,
    bls: SecretKey,
    public: ValidatorPublicKeys,
}

/// The public half of a validator's keys, as published to the committee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorPublicKeys {
    /// Ed25519 public key.
    pub ed25519: [u8; 32],
    /// Compressed BLS public key (G1).
    pub bls: [u8; 48],
    /// BLS proof of possession (96 bytes): signature over `bls` with the PoP DST.
    pub bls_pop: Vec<u8>,
}

impl ValidatorKeyPair {
    /// Derives both keys from `seed`: the Ed25519 key via
    /// [`super::ed25519_signing_key_from_seed`], the BLS key via blst `key_gen` (IETF KeyGen)
    /// with IKM = blake3 `derive_key("hsbench bls keygen v1", seed)`. Computes the proof of
    /// possession once (one BLS signature, ~0.4 ms).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let ed25519 = ed25519_signing_key_from_seed(seed);
        let ikm = blake3::derive_key(BLS_KEYGEN_CONTEXT, &seed);
        // key_gen fails only for IKM shorter than 32 bytes; ours is always 32.
        let Ok(bls) = SecretKey::key_gen(&ikm, &[]) else { unreachable!("blst key_gen accepts any 32-byte IKM") };
        let public = ValidatorPublicKeys {
            ed25519: ed25519_public(&ed25519),
            bls: bls.sk_to_pk().compress(),
            bls_pop: bls_prove_possession(&bls).to_vec(),
        };
        Self { ed25519, bls, public }
    }

    /// The validator's public keys (with proof of possession).
    pub fn public(&self) -> ValidatorPublicKeys {
        self.public.clone()
    }

    /// Signs `message` with the validator's Ed25519 key: what vouches for its network identity (the Noise static key
    /// of a connection, see `network`).
    pub fn sign_ed25519(&self, message: &[u8]) -> [u8; 64] {
        ed25519_sign(&self.ed25519, message)
    }

    /// Signs a vote or timeout message under `scheme`: 192 bytes (uncompressed G2: the receiver skips a square root
    /// per vote) for BLS, 64 bytes for Ed25519.
    pub fn sign_vote(&self, scheme: VoteScheme, message: &[u8]) -> Vec<u8> {
        match scheme {
            VoteScheme::Bls => bls_sign_uncompressed(&self.bls, message).to_vec(),
            VoteScheme::Ed25519 => ed25519_sign(&self.ed25519, message).to_vec(),
        }
    }
}

impl fmt::Debug for ValidatorKeyPair {
    /// Shows only the public keys; secrets never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatorKeyPair")
            .field("ed25519", &hex::encode(self.public.ed25519))
            .field("bls", &hex::encode(self.public.bls))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_distinct() {
        let a = ValidatorKeyPair::from_seed([1; 32]).public();
        let b = ValidatorKeyPair::from_seed([1; 32]).public();
        let c = ValidatorKeyPair::from_seed([2; 32]).public();
        assert_eq!(a, b);
        assert_ne!(a.ed25519, c.ed25519);
        assert_ne!(a.bls, c.bls);
        assert_eq!(a.bls_pop.len(), 96);
        let kp = ValidatorKeyPair::from_seed([1; 32]);
        assert_eq!(kp.sign_vote(VoteScheme::Bls, b"m").len(), 192);
        assert_eq!(kp.sign_vote(VoteScheme::Ed25519, b"m").len(), 64);
        assert!(!format!("{kp:?}").is_empty());
    }
}
