//! The state-tree hashing rule, shared by the incremental [`StateTree`](super::StateTree) and the reference
//! [`full_root`](super::full_root).
//!
//! **Keys.** An account lives at the 256-bit path `key = blake3(account_id)`; bit `d` of the path is bit
//! `7 - d % 8` of byte `d / 8` (most significant bit first), 0 = left, 1 = right.
//!
//! **Which accounts are in the tree.** Exactly the accounts whose state differs from `Account::default()`
//! (balance 0, nonce 0). A default account reads the same as a missing one through `AccountView`, so
//! leaving it out makes the root a function of the *observable* state only, not of whether a zero-value
//! transfer ever touched an address. If the same id appears twice in an input, the later entry wins.
//!
//! **Shape (compact sparse Merkle tree).** For a set `S` of accounts whose keys share their first `d` bits:
//! - `S` empty → the empty subtree, hash [`Hash::ZERO`];
//! - `S = {a}` → the leaf of `a`, at whatever depth it is reached (a single account never gets inner nodes
//!   above it within its own subtree: it sits at the shallowest depth where its key prefix is unique);
//! - `|S| ≥ 2` → an inner node over `S₀` (bit `d` = 0) and `S₁` (bit `d` = 1), built recursively at depth
//!   `d + 1`. One side may be empty (keys sharing a longer prefix): that inner node still hashes normally,
//!   with [`Hash::ZERO`] for the empty side.
//!
//! The root is this function applied to the whole set at depth 0, so it depends only on the account set,
//! never on insertion order or history (deletions collapse the shape back to exactly this form).
//!
//! **Node hashes** (Blake3 in keyed mode, one key per node kind):
//! - leaf  = `blake3_keyed(LEAF_KEY, account_id (32 B) ‖ balance (u64 LE) ‖ nonce (u64 LE))` — the account
//!   part is the canonical `Account` encoding without the version byte;
//! - inner = `blake3_keyed(INNER_KEY, left (32 B) ‖ right (32 B))`;
//! - empty = [`Hash::ZERO`] (32 zero bytes, never hashed);
//!
//! with `LEAF_KEY = blake3_derive_key("hsbench state tree leaf v2", "")` and `INNER_KEY` likewise from
//! `"hsbench state tree inner v2"`. The two keys keep a leaf from being mistaken for an inner node. Version 1
//! separated them with a 0x00/0x01 prefix byte instead, which made an inner node 65 bytes — two Blake3
//! compressions where 64 bytes take one — and put the key (derivable from the id) in every leaf (81 bytes, two
//! compressions; now 48, one): the state-root update was ~40 % of the execution stage's time. Two distinct
//! accounts always diverge at some bit < 256 unless Blake3 collides, so the recursion is bounded by 256 levels.

use crate::types::hash_many::hash_many;
use crate::types::{Account, AccountId, Hash};
use std::sync::LazyLock;

/// Number of key bits (the tree's maximum depth).
pub(super) const KEY_BITS: usize = 256;

/// Blake3 key of leaf hashes (see the module rule).
static LEAF_KEY: LazyLock<[u8; 32]> = LazyLock::new(|| blake3::derive_key("hsbench state tree leaf v2", b""));
/// Blake3 key of inner-node hashes (see the module rule).
static INNER_KEY: LazyLock<[u8; 32]> = LazyLock::new(|| blake3::derive_key("hsbench state tree inner v2", b""));

/// Path of an account in the tree: `blake3(account_id)`.
pub fn account_key(id: &AccountId) -> Hash {
    Hash::of(id)
}

/// [`account_key`] of each id, appended to `out`, computed side by side ([`hash_many`]).
pub(super) fn account_keys(ids: &[AccountId], out: &mut Vec<Hash>) {
    hash_many(None, ids, out);
}

/// Hash of the leaf holding `account` under `id` (see the module rule).
pub fn leaf_hash(id: &AccountId, account: &Account) -> Hash {
    Hash::keyed(&LEAF_KEY, &leaf_input(id, account))
}

/// The 48 bytes a leaf hash covers (see the module rule).
pub(super) fn leaf_input(id: &AccountId, account: &Account) -> [u8; 48] {
    let mut input = [0u8; 48];
    input[..32].copy_from_slice(id);
    input[32..40].copy_from_slice(&account.balance.to_le_bytes());
    input[40..].copy_from_slice(&account.nonce.to_le_bytes());
    input
}

/// [`leaf_hash`] of each of `inputs` (from [`leaf_input`]), appended to `out`, computed side by side.
pub(super) fn leaf_hashes(inputs: &[[u8; 48]], out: &mut Vec<Hash>) {
    hash_many(Some(&LEAF_KEY), inputs, out);
}

/// Hash of an inner node from its children's hashes ([`Hash::ZERO`] for an empty child).
pub fn inner_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::keyed_pair(&INNER_KEY, left, right)
}

/// [`inner_hash`] of each `left ‖ right` of `inputs`, appended to `out`, computed side by side.
pub(super) fn inner_hashes(inputs: &[[u8; 64]], out: &mut Vec<Hash>) {
    hash_many(Some(&INNER_KEY), inputs, out);
}

/// Bit `depth` of `key`, most significant first; false past the end (never reached for distinct keys).
pub(super) fn key_bit(key: &Hash, depth: usize) -> bool {
    match key.0.get(depth / 8) {
        Some(byte) => byte & (0x80 >> (depth % 8)) != 0,
        None => false,
    }
}

/// True for the state that the tree leaves out (see the module rule).
pub(super) fn is_absent(account: &Account) -> bool {
    *account == Account::default()
}
