//! The committee's validated public keys, by global validator index.

use super::bls::BlsPublicKey;
use super::ed25519::decode_point;
use super::error::CryptoError;
use super::keys::ValidatorPublicKeys;

/// One registered validator's keys.
#[derive(Clone, Debug)]
struct Entry {
    ed25519: [u8; 32],
    bls: BlsPublicKey,
}

/// Validated validator keys by global validator index: PoP + subgroup check once at
/// registration, then cached, so vote verification never re-validates keys.
#[derive(Clone, Debug, Default)]
pub struct KeyRegistry {
    entries: Vec<Option<Entry>>,
    count: usize,
}

impl KeyRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates and stores validator `index`'s keys. Rejects, with a precise error: a BLS key
    /// that is malformed, not in the subgroup or the identity, a bad proof of possession, an
    /// Ed25519 key that is non-canonical, off the curve or of small order (a small-order key
    /// would accept forged signatures under the cofactored rule), and an index already taken.
    pub fn register(&mut self, index: u16, keys: &ValidatorPublicKeys) -> Result<(), CryptoError> {
        let slot = usize::from(index);
        if self.entries.get(slot).is_some_and(Option::is_some) {
            return Err(CryptoError::DuplicateValidator(index));
        }
        let what = "Ed25519 public key";
        let point = decode_point(&keys.ed25519).ok_or(CryptoError::BadEncoding { what })?;
        if point.is_small_order() {
            return Err(CryptoError::SmallOrder { what });
        }
        let bls = BlsPublicKey::from_bytes_with_pop(&keys.bls, &keys.bls_pop)?;
        if self.entries.len() <= slot {
            self.entries.resize(slot + 1, None);
        }
        self.entries[slot] = Some(Entry { ed25519: keys.ed25519, bls });
        self.count += 1;
        Ok(())
    }

    /// Validator `index`'s validated BLS key, if registered.
    pub fn bls(&self, index: u16) -> Option<&BlsPublicKey> {
        self.entry(index).map(|e| &e.bls)
    }

    /// Validator `index`'s validated BLS key, or [`CryptoError::UnknownValidator`].
    pub fn require_bls(&self, index: u16) -> Result<&BlsPublicKey, CryptoError> {
        self.bls(index).ok_or(CryptoError::UnknownValidator(index))
    }

    /// Validator `index`'s Ed25519 key (canonical, not small order), if registered.
    pub fn ed25519(&self, index: u16) -> Option<&[u8; 32]> {
        self.entry(index).map(|e| &e.ed25519)
    }

    /// Number of registered validators.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no validator is registered.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn entry(&self, index: u16) -> Option<&Entry> {
        self.entries.get(usize::from(index)).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::ValidatorKeyPair;

    #[test]
    fn register_and_reject() {
        let a = ValidatorKeyPair::from_seed([1; 32]).public();
        let b = ValidatorKeyPair::from_seed([2; 32]).public();
        let mut reg = KeyRegistry::new();
        assert!(reg.is_empty());
        reg.register(5, &a).unwrap();
        assert_eq!(reg.len(), 1);
        assert_eq!(reg.ed25519(5), Some(&a.ed25519));
        assert_eq!(reg.bls(5).map(|k| k.to_bytes()), Some(a.bls));
        assert!(reg.bls(4).is_none() && reg.bls(6).is_none() && reg.ed25519(0).is_none());
        assert_eq!(reg.require_bls(9).err(), Some(CryptoError::UnknownValidator(9)));
        assert_eq!(reg.register(5, &b), Err(CryptoError::DuplicateValidator(5)));

        // Wrong PoP (b's PoP for a's key).
        let mut wrong_pop = a.clone();
        wrong_pop.bls_pop = b.bls_pop.clone();
        assert_eq!(reg.register(1, &wrong_pop), Err(CryptoError::BadProofOfPossession));
        // Garbage BLS key.
        let mut garbage = a.clone();
        garbage.bls = [0x9a; 48];
        assert!(reg.register(1, &garbage).is_err());
        // Small-order Ed25519 key (the identity, y = 1).
        let mut weak = b.clone();
        weak.ed25519 = [0; 32];
        weak.ed25519[0] = 1;
        assert!(matches!(reg.register(1, &weak), Err(CryptoError::SmallOrder { .. })));
        // Non-canonical Ed25519 key (y = p).
        let mut noncanon = b.clone();
        noncanon.ed25519 = [0xff; 32];
        noncanon.ed25519[0] = 0xed;
        noncanon.ed25519[31] = 0x7f;
        assert!(matches!(reg.register(1, &noncanon), Err(CryptoError::BadEncoding { .. })));
        assert_eq!(reg.len(), 1);
        reg.register(0, &b).unwrap();
        assert_eq!(reg.len(), 2);
    }
}
