//! Reference state root computed from scratch: the specification the incremental tree is tested against.
//!
//! Deliberately simple and independent of [`StateTree`](super::StateTree): sort the leaves by key, then split
//! by one key bit per level, exactly as the rule in [`tree_hash`](super::tree_hash) reads. O(n log n); use it
//! for tests, audits and recovery checks, not on the hot path.

use super::tree_hash::{KEY_BITS, account_key, inner_hash, is_absent, key_bit, leaf_hash};
use crate::types::{Account, AccountId, Hash};
use std::collections::BTreeMap;

/// State root of `accounts` (any order; default accounts are left out; a repeated id keeps its last entry).
pub fn full_root(accounts: &[(AccountId, Account)]) -> Hash {
    let mut by_key: BTreeMap<Hash, Hash> = BTreeMap::new();
    let mut last: BTreeMap<AccountId, Account> = BTreeMap::new();
    for (id, account) in accounts {
        last.insert(*id, *account);
    }
    for (id, account) in &last {
        if !is_absent(account) {
            let key = account_key(id);
            by_key.insert(key, leaf_hash(id, account));
        }
    }
    let leaves: Vec<(Hash, Hash)> = by_key.into_iter().collect();
    subtree_root(&leaves, 0)
}

/// Root of the subtree holding `leaves` (sorted by key, all sharing their first `depth` key bits).
fn subtree_root(leaves: &[(Hash, Hash)], depth: usize) -> Hash {
    match leaves {
        [] => Hash::ZERO,
        [(_, leaf)] => *leaf,
        // Distinct keys always differ before bit 256; this arm only guards the recursion bound.
        [(_, leaf), ..] if depth >= KEY_BITS => *leaf,
        _ => {
            let left: Vec<(Hash, Hash)> = leaves.iter().filter(|(k, _)| !key_bit(k, depth)).copied().collect();
            let right: Vec<(Hash, Hash)> = leaves.iter().filter(|(k, _)| key_bit(k, depth)).copied().collect();
            inner_hash(&subtree_root(&left, depth + 1), &subtree_root(&right, depth + 1))
        }
    }
}
