//! A bounded cache of decoded Ed25519 public keys: transaction senders repeat (an account signs many transfers), and
//! strictly decoding a key — canonicity check plus point decompression, a field exponentiation — is a large share of
//! one verification. Keyed by the encoded key; only keys that decode are kept (a key that does not decode is decoded
//! again each time, so the cache cannot be filled with junk that saves nothing), and a hit returns exactly the point
//! decoding would, so verdicts cannot change.
//!
//! Sharded by the key's first byte so the sigverify threads rarely meet on a lock; each shard holds at most its share
//! of [`CAPACITY`] and makes room by dropping an arbitrary entry. Hits and misses are counted for the reports.

use crate::types::KeyedMap;
use curve25519_dalek::edwards::EdwardsPoint;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{LazyLock, Mutex};

/// Keys the cache holds at most (~200 bytes each: ~6.5 MB when full).
pub const CAPACITY: usize = 32_768;
const SHARDS: usize = 64;

/// What the cache did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyCacheStats {
    /// Lookups that found the decoded key.
    pub hits: u64,
    /// Lookups that decoded it (valid keys are then kept).
    pub misses: u64,
    /// Keys held now.
    pub held: usize,
}

struct KeyCache {
    shards: Vec<Mutex<KeyedMap<[u8; 32], EdwardsPoint>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

static CACHE: LazyLock<KeyCache> = LazyLock::new(|| KeyCache {
    shards: (0..SHARDS).map(|_| Mutex::new(KeyedMap::default())).collect(),
    hits: AtomicU64::new(0),
    misses: AtomicU64::new(0),
});

/// The decoded point of `key`, from the cache or from `decode` (kept when it decodes).
pub(crate) fn decoded_key(
    key: &[u8; 32],
    decode: impl FnOnce(&[u8; 32]) -> Option<EdwardsPoint>,
) -> Option<EdwardsPoint> {
    let cache = &*CACHE;
    let shard = &cache.shards[usize::from(key[0]) % SHARDS];
    if let Some(point) = shard.lock().unwrap_or_else(|e| e.into_inner()).get(key) {
        cache.hits.fetch_add(1, Relaxed);
        return Some(*point);
    }
    cache.misses.fetch_add(1, Relaxed);
    let point = decode(key)?;
    let mut held = shard.lock().unwrap_or_else(|e| e.into_inner());
    if held.len() >= CAPACITY / SHARDS
        && let Some(evict) = held.keys().next().copied()
    {
        held.remove(&evict);
    }
    held.insert(*key, point);
    Some(point)
}

/// The cache's counters now (process-wide).
pub fn key_cache_stats() -> KeyCacheStats {
    let cache = &*CACHE;
    KeyCacheStats {
        hits: cache.hits.load(Relaxed),
        misses: cache.misses.load(Relaxed),
        held: cache.shards.iter().map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len()).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::ed25519::{decode_point, ed25519_public, ed25519_signing_key_from_seed};

    #[test]
    fn a_key_is_decoded_once_then_found_and_the_cache_stays_bounded() {
        let key = ed25519_public(&ed25519_signing_key_from_seed([201; 32]));
        let decodes = std::cell::Cell::new(0);
        let counting = |k: &[u8; 32]| {
            decodes.set(decodes.get() + 1);
            decode_point(k)
        };
        let first = decoded_key(&key, counting).expect("a real key decodes");
        let again = decoded_key(&key, counting).expect("cached");
        assert_eq!(first.compress(), again.compress());
        assert_eq!(decodes.get(), 1, "the second lookup was a hit");
        // A key that does not decode is never kept: every lookup decodes it again.
        let junk = [0xff; 32];
        assert!(decoded_key(&junk, counting).is_none() && decoded_key(&junk, counting).is_none());
        assert_eq!(decodes.get(), 3);
        // Far more distinct keys than the capacity: the cache holds at most its capacity.
        for i in 0..(CAPACITY as u64 + 2_000) {
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&i.to_le_bytes());
            k[8] = 1; // small y values: about half decode, which is all this needs
            let _ = decoded_key(&k, decode_point);
        }
        let stats = key_cache_stats();
        assert!(stats.held <= CAPACITY, "{stats:?}");
        assert!(stats.hits >= 1 && stats.misses >= 3, "{stats:?}");
    }
}
