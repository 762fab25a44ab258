//! Incremental state tree: the compact sparse Merkle tree of [`tree_hash`](super::tree_hash), kept in memory
//! with every node's hash cached, so a block's root costs O(changed accounts × log n) hashes, not O(n).
//!
//! An update takes all accounts a block changed, sorts them by key and walks the tree once, descending only
//! into subtrees that hold a change; every node on those paths is rebuilt and rehashed exactly once. Leaves store
//! only their key and leaf hash (the account values live in the execution state), so moving a leaf deeper when a
//! neighbour arrives costs no hash at all.
//!
//! **Layout.** Nodes live in two arenas — inner nodes (two 8-byte child references and the hash, 48 bytes) and
//! leaves (key and hash) — addressed by index, with free lists for the slots that deletions release. A block's walk
//! touches thousands of nodes spread over the tree; boxed nodes of ~180 bytes each missed the cache on most of them
//! (the walk was ~45 % of the execution stage's samples), the arenas pack them 3–4 times denser.
//!
//! **Hashing.** One Blake3 compression on its own is latency-bound (~70 ns here), while
//! [`hash_many`](crate::types::hash_many) computes 16 independent ones side by side for ~16 ns each. So the keys
//! and leaf hashes of a block's changes are hashed together, and the walk only records each rebuilt inner node
//! with its depth; the recorded nodes are then hashed level by level from the deepest (a node's children are one
//! level below it, so their hashes are ready), each level in one call, written straight into the arena.
//!
//! [`StateTree::update_on`] does the same on a caller-given thread pool: the changes' keys and leaves are hashed on
//! the pool, and each level's inner hashes split across it. The walk itself stays on the calling thread: one arena
//! cannot be handed to two threads without unsafe code, and on execution lanes the account map's merge runs beside
//! it. The tree after it is the same value, so the root is bit-identical.

use super::tree_hash::{KEY_BITS, account_keys, inner_hashes, is_absent, key_bit, leaf_hashes, leaf_input};
use crate::types::{Account, AccountId, Hash};
use rayon::ThreadPool;
use rayon::prelude::*;

/// Incremental Blake3 sparse Merkle commitment over a set of accounts; see the module docs for the rule.
#[derive(Default)]
pub struct StateTree {
    root: Child,
    inners: Vec<Inner>,
    free_inners: Vec<u32>,
    leaves: Vec<Leaf>,
    free_leaves: Vec<u32>,
    len: usize,
    last_update_hashes: u64,
}

/// A reference to a subtree; invariant: an `Inner` subtree holds at least two leaves (otherwise it collapses).
#[derive(Clone, Copy, Default)]
enum Child {
    #[default]
    Empty,
    Leaf(u32),
    Inner(u32),
}

/// A leaf: the account's key and its cached leaf hash.
#[derive(Clone, Copy)]
struct Leaf {
    key: Hash,
    hash: Hash,
}

/// An inner node with its cached hash (stale while an update has it recorded for hashing).
#[derive(Clone, Copy)]
struct Inner {
    left: Child,
    right: Child,
    hash: Hash,
}

/// One prepared change: the key and the new leaf hash, or `None` to remove the account.
#[derive(Clone, Copy)]
struct Change {
    key: Hash,
    leaf: Option<Hash>,
}

/// What one update did, gathered while walking the tree.
#[derive(Default)]
struct Walk {
    hashes: u64,
    added: usize,
    removed: usize,
    /// The rebuilt inner nodes, each with its depth: their hashes are still to compute.
    rebuilt: Vec<(u16, u32)>,
}

impl StateTree {
    /// An empty tree (root [`Hash::ZERO`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree holding `accounts` (default accounts left out; a repeated id keeps its last entry).
    pub fn from_accounts(accounts: &[(AccountId, Account)]) -> Self {
        let mut tree = Self::new();
        tree.update(accounts);
        tree
    }

    /// The state root: a pure function of the account set (see [`tree_hash`](super::tree_hash)).
    pub fn root(&self) -> Hash {
        self.hash_of(self.root)
    }

    /// Number of accounts in the tree.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the tree holds no account.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Blake3 invocations made by the last [`update`](Self::update) (key, leaf and inner hashes), so tests and
    /// benchmarks can check that the cost follows the number of changed accounts, not the tree size.
    pub fn last_update_hash_count(&self) -> u64 {
        self.last_update_hashes
    }

    /// Sets each account in `changes` to its new value, then rehashes every dirty path once. A default account
    /// removes the entry; a repeated id keeps its last entry.
    pub fn update(&mut self, changes: &[(AccountId, Account)]) {
        let keys = keys_of(changes);
        let order = key_order(&keys);
        let leaves = leaves_of(changes);
        self.apply_prepared(in_key_order(&order, &keys, &leaves), None);
    }

    /// [`update`](Self::update) on `pool`'s threads: the same tree, root and counts, with the changes and each
    /// level's inner nodes hashed in parallel (see the module docs).
    pub fn update_on(&mut self, changes: &[(AccountId, Account)], pool: &ThreadPool) {
        if pool.current_num_threads() <= 1 {
            return self.update(changes);
        }
        pool.install(|| {
            let keys: Vec<Hash> = changes.par_chunks(PAR_CHUNK).flat_map_iter(keys_of).collect();
            // The sort is serial; the leaf hashes split across the other threads meanwhile.
            let (order, leaves) = rayon::join(
                || key_order(&keys),
                || changes.par_chunks(PAR_CHUNK).flat_map_iter(leaves_of).collect::<Vec<Option<Hash>>>(),
            );
            self.apply_prepared(in_key_order(&order, &keys, &leaves), Some(pool));
        });
    }

    /// Deduplicates prepared changes (sorted by key, equal keys in input order), applies them, then hashes the
    /// rebuilt inner nodes (each level split across `pool` when given, called inside it).
    fn apply_prepared(&mut self, prepared: Vec<Change>, pool: Option<&ThreadPool>) {
        let mut walk = Walk::default();
        let prepared = unique_by_key(prepared, &mut walk);
        self.root = self.apply(self.root, 0, &prepared, &mut walk);
        self.hash_rebuilt(&mut walk.rebuilt, pool);
        self.len = (self.len + walk.added).saturating_sub(walk.removed);
        self.last_update_hashes = walk.hashes;
    }

    /// The hash of a subtree (stale for an inner node recorded for hashing).
    fn hash_of(&self, child: Child) -> Hash {
        match child {
            Child::Empty => Hash::ZERO,
            Child::Leaf(i) => self.leaves[i as usize].hash,
            Child::Inner(i) => self.inners[i as usize].hash,
        }
    }

    /// A new leaf's slot.
    fn new_leaf(&mut self, leaf: Leaf) -> Child {
        match self.free_leaves.pop() {
            Some(i) => {
                self.leaves[i as usize] = leaf;
                Child::Leaf(i)
            }
            None => {
                self.leaves.push(leaf);
                Child::Leaf((self.leaves.len() - 1) as u32)
            }
        }
    }

    /// A new inner node's slot, recorded for hashing at `depth`.
    fn new_inner(&mut self, depth: usize, left: Child, right: Child, walk: &mut Walk) -> Child {
        let inner = Inner { left, right, hash: Hash::ZERO };
        let i = match self.free_inners.pop() {
            Some(i) => {
                self.inners[i as usize] = inner;
                i
            }
            None => {
                self.inners.push(inner);
                (self.inners.len() - 1) as u32
            }
        };
        walk.hashes += 1;
        walk.rebuilt.push((depth as u16, i));
        Child::Inner(i)
    }

    /// Applies `changes` (sorted, unique keys, all under this subtree's `depth`-bit prefix) to `child`; returns the
    /// new subtree, every rebuilt inner node recorded in `walk`.
    fn apply(&mut self, child: Child, depth: usize, changes: &[Change], walk: &mut Walk) -> Child {
        if changes.is_empty() {
            return child;
        }
        match child {
            Child::Empty => {
                let leaves: Vec<Leaf> =
                    changes.iter().filter_map(|c| c.leaf.map(|hash| Leaf { key: c.key, hash })).collect();
                walk.added += leaves.len();
                self.build(&leaves, depth, walk)
            }
            Child::Leaf(i) => {
                let leaves = merge_into_leaf(self.leaves[i as usize], changes, walk);
                self.free_leaves.push(i);
                self.build(&leaves, depth, walk)
            }
            Child::Inner(i) => {
                let Inner { left, right, .. } = self.inners[i as usize];
                let (lc, rc) = changes.split_at(changes.partition_point(|c| !key_bit(&c.key, depth)));
                let left = self.apply(left, depth + 1, lc, walk);
                let right = self.apply(right, depth + 1, rc, walk);
                match (left, right) {
                    (Child::Empty, Child::Empty) => {
                        self.free_inners.push(i);
                        Child::Empty
                    }
                    (Child::Empty, Child::Leaf(leaf)) | (Child::Leaf(leaf), Child::Empty) => {
                        self.free_inners.push(i);
                        Child::Leaf(leaf)
                    }
                    (left, right) => {
                        self.inners[i as usize].left = left;
                        self.inners[i as usize].right = right;
                        walk.hashes += 1;
                        walk.rebuilt.push((depth as u16, i));
                        Child::Inner(i)
                    }
                }
            }
        }
    }

    /// Builds the canonical subtree for `leaves` (sorted by key, sharing their first `depth` bits).
    fn build(&mut self, leaves: &[Leaf], depth: usize, walk: &mut Walk) -> Child {
        match leaves {
            [] => Child::Empty,
            [leaf] => self.new_leaf(*leaf),
            // Distinct keys always differ before bit 256; this arm only guards the recursion bound.
            [leaf, ..] if depth >= KEY_BITS => self.new_leaf(*leaf),
            _ => {
                let split = leaves.partition_point(|l| !key_bit(&l.key, depth));
                let left = self.build(&leaves[..split], depth + 1, walk);
                let right = self.build(&leaves[split..], depth + 1, walk);
                self.new_inner(depth, left, right, walk)
            }
        }
    }

    /// Hashes the `rebuilt` inner nodes level by level from the deepest, each level side by side (split across
    /// `pool` when given), writing each hash into its node.
    fn hash_rebuilt(&mut self, rebuilt: &mut [(u16, u32)], pool: Option<&ThreadPool>) {
        rebuilt.sort_unstable_by_key(|&(depth, _)| std::cmp::Reverse(depth));
        let mut inputs: Vec<[u8; 64]> = Vec::new();
        let mut hashes: Vec<Hash> = Vec::new();
        for level in rebuilt.chunk_by(|a, b| a.0 == b.0) {
            inputs.clear();
            inputs.extend(level.iter().map(|&(_, i)| {
                let Inner { left, right, .. } = self.inners[i as usize];
                let mut bytes = [0u8; 64];
                bytes[..32].copy_from_slice(self.hash_of(left).as_bytes());
                bytes[32..].copy_from_slice(self.hash_of(right).as_bytes());
                bytes
            }));
            hashes.clear();
            match pool {
                Some(_) if inputs.len() >= 2 * PAR_CHUNK => {
                    hashes.par_extend(inputs.par_chunks(PAR_CHUNK).flat_map_iter(|chunk| {
                        let mut out = Vec::with_capacity(chunk.len());
                        inner_hashes(chunk, &mut out);
                        out
                    }))
                }
                _ => inner_hashes(&inputs, &mut hashes),
            }
            for (&(_, i), hash) in level.iter().zip(&hashes) {
                self.inners[i as usize].hash = *hash;
            }
        }
    }
}

/// Changes (or inner nodes of one level) per task when `update_on` hashes on the pool (each task hashes its share
/// side by side).
const PAR_CHUNK: usize = 256;

/// The tree key of each change's account, computed side by side.
fn keys_of(changes: &[(AccountId, Account)]) -> Vec<Hash> {
    let ids: Vec<AccountId> = changes.iter().map(|(id, _)| *id).collect();
    let mut keys = Vec::with_capacity(ids.len());
    account_keys(&ids, &mut keys);
    keys
}

/// The leaf hash of each change (`None` removes the account), computed side by side.
fn leaves_of(changes: &[(AccountId, Account)]) -> Vec<Option<Hash>> {
    let inputs: Vec<[u8; 48]> =
        changes.iter().filter(|(_, a)| !is_absent(a)).map(|(id, account)| leaf_input(id, account)).collect();
    let mut computed = Vec::with_capacity(inputs.len());
    leaf_hashes(&inputs, &mut computed);
    let mut hashes = computed.into_iter();
    changes.iter().map(|(_, a)| if is_absent(a) { None } else { hashes.next() }).collect()
}

/// The indices of `keys` in the tree's path order, equal keys in input order (so the last change per key can
/// win). Sorts 12-byte entries — a key's first 8 bytes as one big-endian integer and the index — and looks at
/// the full keys only when two prefixes tie.
fn key_order(keys: &[Hash]) -> Vec<u32> {
    let prefix = |k: &Hash| u64::from_be_bytes(k.0[..8].try_into().unwrap_or_default());
    let mut order: Vec<(u64, u32)> = keys.iter().enumerate().map(|(i, k)| (prefix(k), i as u32)).collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| keys[a.1 as usize].cmp(&keys[b.1 as usize])).then(a.1.cmp(&b.1))
    });
    order.into_iter().map(|(_, i)| i).collect()
}

/// The changes in `order` (from [`key_order`]).
fn in_key_order(order: &[u32], keys: &[Hash], leaves: &[Option<Hash>]) -> Vec<Change> {
    order.iter().map(|&i| Change { key: keys[i as usize], leaf: leaves[i as usize] }).collect()
}

/// Counts the hashes the changes took (a key each, a leaf each for an existing account) and keeps the last
/// change per key of `prepared` (in path order, equal keys in input order).
fn unique_by_key(prepared: Vec<Change>, walk: &mut Walk) -> Vec<Change> {
    walk.hashes += prepared.iter().map(|c| 1 + u64::from(c.leaf.is_some())).sum::<u64>();
    let mut unique: Vec<Change> = Vec::with_capacity(prepared.len());
    for change in prepared {
        match unique.last_mut() {
            Some(last) if last.key == change.key => *last = change,
            _ => unique.push(change),
        }
    }
    unique
}

/// The sorted leaf set that results from applying `changes` to a subtree holding only `existing`.
fn merge_into_leaf(existing: Leaf, changes: &[Change], walk: &mut Walk) -> Vec<Leaf> {
    let mut leaves = Vec::with_capacity(changes.len() + 1);
    let mut existing = Some(existing);
    for change in changes {
        if let Some(old) = existing {
            if old.key < change.key {
                leaves.push(old);
                existing = None;
            } else if old.key == change.key {
                existing = None;
                match change.leaf {
                    Some(hash) => leaves.push(Leaf { key: change.key, hash }),
                    None => walk.removed += 1,
                }
                continue;
            }
        }
        if let Some(hash) = change.leaf {
            leaves.push(Leaf { key: change.key, hash });
            walk.added += 1;
        }
    }
    leaves.extend(existing);
    leaves
}
