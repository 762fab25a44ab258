//! Hash maps and sets for the hot paths, hashed with a keyed NH hash instead of std's SipHash-1-3.
//!
//! **Why.** Almost every hot map is keyed by a 32-byte value (account ids, transaction ids): the mempool's sender
//! queues and committed accounts, execution's account state, a proposal's lookups, the committee's copies of them.
//! SipHash-1-3 costs ~20 ns on such a key, a large share of a probe that otherwise hits the cache; profiles of the
//! admission and execution stages at their ceiling showed SipHash at ~6–7 % of each stage's CPU.
//!
//! **Why not an unkeyed fast hash** (FxHash and the like): account ids are chosen by whoever sends a transfer, so a
//! fixed function lets a sender pick ids that all land in one bucket and turn every probe into a scan (hash
//! flooding). This hash keeps std's defence — a secret random key per process — with a cheaper function:
//!
//! **The rule.** The input is taken as 64-bit little-endian words `m₀, m₁, …` (a write of a length not a multiple of
//! 8 is zero-padded and its length is mixed in as a word of its own; the word count ends the input); with the process's random key words
//! `k₀, k₁, …` the 128-bit sum `Σ (m₂ᵢ + k₂ᵢ)(m₂ᵢ₊₁ + k₂ᵢ₊₁)` (additions mod 2⁶⁴, products and sum mod 2¹²⁸) is
//! NH, the universal hash of UMAC (RFC 4418): for two fixed distinct inputs of equal word count, the chance over the
//! key that their sums collide is at most 2⁻⁶⁴. The sum's halves are folded and mixed into the 64-bit result. An
//! attacker who never sees a hash value cannot choose ids that collide more often than chance; one that could
//! measure probe timing precisely enough to learn the key is outside what std's SipHash defends against too.
//! Inputs longer than the key ([`KEY_WORDS`] words; no map here has such keys) reuse the key words cyclically,
//! which keeps the hash well spread but voids the bound for them.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;

/// Key words of the process's hash key: inputs up to this many 64-bit words (a 32-byte id with its length prefix
/// is 5; a pair of ids 10) get the NH bound.
pub const KEY_WORDS: usize = 16;

/// The process's random hash key, drawn once from the OS's randomness through `rand`.
static KEY: LazyLock<[u64; KEY_WORDS]> = LazyLock::new(|| std::array::from_fn(|_| rand::random::<u64>()));

/// A `HashMap` hashed by [`KeyedState`].
pub type KeyedMap<K, V> = HashMap<K, V, KeyedState>;

/// A `HashSet` hashed by [`KeyedState`].
pub type KeyedSet<K> = HashSet<K, KeyedState>;

/// Builds [`KeyedHasher`]s under the process's key (see the module docs). Zero-sized: every map shares the key.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyedState;

impl BuildHasher for KeyedState {
    type Hasher = KeyedHasher;

    fn build_hasher(&self) -> KeyedHasher {
        KeyedHasher { key: &KEY, sum: 0, words: 0, half: None }
    }
}

/// The keyed NH hasher of the module docs.
#[derive(Clone, Debug)]
pub struct KeyedHasher {
    key: &'static [u64; KEY_WORDS],
    /// The NH sum so far.
    sum: u128,
    /// Words taken so far (the next word's key index, cyclically).
    words: usize,
    /// The first, keyed word of a pair waiting for its second.
    half: Option<u64>,
}

impl KeyedHasher {
    /// Takes one 64-bit word of input.
    #[inline]
    fn word(&mut self, m: u64) {
        let keyed = m.wrapping_add(self.key[self.words % KEY_WORDS]);
        self.words += 1;
        match self.half.take() {
            None => self.half = Some(keyed),
            Some(first) => self.sum = self.sum.wrapping_add(u128::from(first) * u128::from(keyed)),
        }
    }
}

impl Hasher for KeyedHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in words.by_ref() {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.word(u64::from_le_bytes(b));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut b = [0u8; 8];
            b[..tail.len()].copy_from_slice(tail);
            self.word(u64::from_le_bytes(b));
            // The tail's length, so inputs that differ only by trailing zero bytes differ.
            self.word(tail.len() as u64);
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.word(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.word(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.word(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The word count is the last word, so inputs that differ only by trailing zero words differ; an odd count
        // then leaves a keyed word unpaired, paired with the next key word (odd, so never zero).
        let mut last = self.clone();
        last.word(self.words as u64);
        let sum = match last.half {
            Some(first) => {
                let k = self.key[last.words % KEY_WORDS];
                last.sum.wrapping_add(u128::from(first) * u128::from(k | 1))
            }
            None => last.sum,
        };
        // Fold the halves, then a multiply–xorshift so every output bit (the table uses the top 7 and the low ones)
        // depends on all of them.
        let x = (sum as u64) ^ ((sum >> 64) as u64);
        let x = (x ^ (x >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x ^ (x >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn hash_of<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
        KeyedState.hash_one(value)
    }

    #[test]
    fn equal_values_hash_equal_and_a_map_finds_them() {
        let id = [7u8; 32];
        assert_eq!(hash_of(&id), hash_of(&[7u8; 32]));
        let mut map: KeyedMap<[u8; 32], u32> = KeyedMap::default();
        map.insert(id, 1);
        assert_eq!(map.get(&[7u8; 32]), Some(&1));
        assert_eq!(map.get(&[8u8; 32]), None);
    }

    #[test]
    fn one_flipped_bit_anywhere_changes_the_hash() {
        let seed = 11;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..200 {
            let mut id = [0u8; 32];
            rng.fill_bytes(&mut id);
            let base = hash_of(&id);
            for bit in 0..256 {
                let mut other = id;
                other[bit / 8] ^= 1 << (bit % 8);
                assert_ne!(base, hash_of(&other), "seed {seed}: bit {bit} of {id:?}");
            }
        }
    }

    #[test]
    fn trailing_zero_bytes_and_word_splits_are_told_apart() {
        assert_ne!(hash_of(&[1u8, 2, 3][..]), hash_of(&[1u8, 2, 3, 0][..]));
        assert_ne!(hash_of(&(1u64, 0u64)), hash_of(&(1u64,)));
        assert_ne!(hash_of(&(1u32, 2u32)), hash_of(&(2u32, 1u32)));
    }

    /// Ids an attacker could choose without the key — all equal but for one byte, or one word — still spread over a
    /// table's buckets like random ones: no bucket of 1,024 gets more than a few times its share.
    #[test]
    fn structured_ids_spread_over_buckets() {
        let buckets = 1024usize;
        for shape in 0..3 {
            let mut counts = vec![0u32; buckets];
            let mut top = vec![0u32; 128];
            for i in 0..(64 * buckets) as u64 {
                let mut id = [0u8; 32];
                match shape {
                    0 => id[..8].copy_from_slice(&i.to_le_bytes()),
                    1 => id[24..].copy_from_slice(&i.to_be_bytes()),
                    _ => {
                        id[0] = i as u8;
                        id[31] = (i >> 8) as u8;
                    }
                }
                let h = hash_of(&id);
                counts[(h as usize) % buckets] += 1;
                top[(h >> 57) as usize] += 1;
            }
            let max = counts.iter().copied().max().unwrap_or(0);
            assert!(max < 64 * 2, "shape {shape}: a bucket got {max} of an expected 64");
            let max_top = top.iter().copied().max().unwrap_or(0);
            assert!(max_top < 512 * 2, "shape {shape}: a top-7-bit value got {max_top} of an expected 512");
        }
    }
}
