//! A signature-verdict cache (the idea of Bitcoin's and Ethereum clients' signature caches): every distinct
//! (scheme, key(s), message, signature) is verified for real once; a repeat is answered from the cache. The
//! simulator shares one cache across the many short scenarios of a sweep, which replay the same signed
//! messages over and over — that is what makes thousands of scenarios a minute affordable; node mode's synthetic
//! committee shares one across its members, which check the same proposals and certificates (the node under test
//! never uses one: it pays for every check). Keys are Blake3 digests of every input byte, so a cached verdict never
//! answers a different input.

use crate::types::Hash;
use crate::types::KeyedMap;
use std::sync::Mutex;

/// Entries kept before the cache is cleared (bounded memory in a long sweep).
const MAX_ENTRIES: usize = 1 << 20;

/// Verdicts by digest of their inputs; shareable between threads.
#[derive(Debug, Default)]
pub struct VerdictCache {
    verdicts: Mutex<KeyedMap<Hash, bool>>,
}

/// What kind of check a cached verdict answers (part of the key, so equal bytes of different kinds never mix).
#[derive(Clone, Copy, Debug)]
pub enum CheckKind {
    /// One Ed25519 signature.
    Ed25519,
    /// One vote-scheme signature by a validator.
    Vote,
    /// An aggregate signature by a set of validators.
    Aggregate,
}

impl VerdictCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The digest naming one check: its kind and every input, each length-prefixed.
    pub fn key(kind: CheckKind, parts: &[&[u8]]) -> Hash {
        let mut h = blake3::Hasher::new();
        h.update(&[kind as u8]);
        for p in parts {
            h.update(&(p.len() as u64).to_le_bytes());
            h.update(p);
        }
        Hash(*h.finalize().as_bytes())
    }

    /// The cached verdict for `key`, if any.
    pub fn get(&self, key: &Hash) -> Option<bool> {
        self.verdicts.lock().unwrap_or_else(|e| e.into_inner()).get(key).copied()
    }

    /// Remembers a verdict (clearing the cache first when it is full).
    pub fn put(&self, key: Hash, verdict: bool) {
        let mut v = self.verdicts.lock().unwrap_or_else(|e| e.into_inner());
        if v.len() >= MAX_ENTRIES {
            v.clear();
        }
        v.insert(key, verdict);
    }

    /// `verify()`'s verdict for `key`, from the cache or computed and remembered.
    pub fn get_or_verify(&self, key: Hash, verify: impl FnOnce() -> bool) -> bool {
        if let Some(v) = self.get(&key) {
            return v;
        }
        let verdict = verify();
        self.put(key, verdict);
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_is_computed_once_and_keys_separate_kinds_and_inputs() {
        let cache = VerdictCache::new();
        let mut calls = 0;
        let k = VerdictCache::key(CheckKind::Vote, &[b"msg", b"sig"]);
        assert!(cache.get_or_verify(k, || {
            calls += 1;
            true
        }));
        assert!(cache.get_or_verify(k, || {
            calls += 1;
            false
        }));
        assert_eq!(calls, 1);
        assert_ne!(k, VerdictCache::key(CheckKind::Aggregate, &[b"msg", b"sig"]));
        assert_ne!(k, VerdictCache::key(CheckKind::Vote, &[b"ms", b"gsig"]), "parts are length-prefixed");
    }
}
