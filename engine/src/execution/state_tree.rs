//! Incremental state tree: the compact sparse Merkle tree of [`tree_hash`](super::tree_hash), kept in memory
//! with every node's hash cached, so a block's root costs O(changed accounts × log n) hashes, not O(n).
//!
//! An update takes all accounts a block changed, sorts them by key and walks the tree once, descending only
//! into subtrees that hold a change; every node on those paths is rebuilt and rehashed exactly once. Leaves store
//! only their key and leaf hash (the account values live in the execution state), so moving a leaf deeper when a
//! neighbour arrives costs no hash at all.
//!
//! **Layout.** The tree below depth 4 is kept as 16 *parts* — the subtrees of the 16 four-bit key prefixes — each
//! with its nodes in two arenas of its own: inner nodes (two 8-byte child references and the hash, 48 bytes) and
//! leaves (key and hash), addressed by index, with free lists for the slots that deletions release. A block's walk
//! touches thousands of nodes spread over the tree; boxed nodes of ~180 bytes each missed the cache on most of them
//! (the walk was ~45 % of the execution stage's samples), the arenas pack them 3–4 times denser. The 15 nodes
//! above the parts are kept apart ([`Sub`]: empty, a lone leaf that rises, or an inner node) and recomputed above
//! the parts an update changed; the parts change nothing in the rule, only where the nodes are stored.
//!
//! **Hashing.** One Blake3 compression on its own is latency-bound (~70 ns here), while
//! [`hash_many`](crate::types::hash_many) computes 16 independent ones side by side for ~16 ns each. So the keys
//! and leaf hashes of a block's changes are hashed together, and the walk only records each rebuilt inner node
//! with its depth; the recorded nodes are then hashed level by level from the deepest (a node's children are one
//! level below it, so their hashes are ready), each level in one call, written straight into the arena.
//!
//! [`StateTree::update_on`] does the same on a caller-given thread pool: the changes' keys and leaves are hashed on
//! the pool, and the parts are cut into one group of neighbouring parts per thread; each group walks its parts and
//! hashes their rebuilt nodes level by level (across the group's parts) on a thread of its own. Without a pool the
//! parts form one group, so the levels are as wide as in one tree. Measured on the 2-core Zen 5 (3,500 changed
//! accounts of 16,384, interleaved runs of the builds before and after): on 2 threads 1.18–1.47 → 0.72–1.03 ms an
//! update, alone unchanged (1.2–1.6 ms, within the VM's noise); hashing each part on its own instead (a group per
//! part) made the update alone 11–25 % slower at 16 and 64 parts: its levels were too narrow for the 16 lanes. The
//! tree after it is the same value, so the root is bit-identical.

use super::tree_hash::{KEY_BITS, account_keys, inner_hash, inner_hashes, is_absent, key_bit, leaf_hashes, leaf_input};
use crate::types::{Account, AccountId, Hash};
use rayon::ThreadPool;
use rayon::prelude::*;

/// Key bits that pick an account's part: the tree below depth `PART_BITS` is kept as `2^PART_BITS` separate
/// subtrees, each in arenas of its own, so an update walks them side by side on a pool.
const PART_BITS: usize = 4;

/// Number of parts (subtrees at depth [`PART_BITS`]).
const PARTS: usize = 1 << PART_BITS;

/// Incremental Blake3 sparse Merkle commitment over a set of accounts; see the module docs for the rule.
pub struct StateTree {
    /// The subtrees at depth [`PART_BITS`], in key order.
    parts: Vec<Part>,
    /// The nodes above the parts as a heap (node `k` has children `2k + 1` and `2k + 2`; the parts are nodes
    /// `PARTS − 1 ..`): node 0 is the root.
    top: Vec<Sub>,
    len: usize,
    last_update_hashes: u64,
}

impl Default for StateTree {
    fn default() -> Self {
        StateTree {
            parts: (0..PARTS).map(|_| Part::default()).collect(),
            top: vec![Sub::Empty; 2 * PARTS - 1],
            len: 0,
            last_update_hashes: 0,
        }
    }
}

/// One subtree at depth [`PART_BITS`]: its root and its nodes, in two arenas with free lists.
#[derive(Default)]
struct Part {
    root: Child,
    inners: Vec<Inner>,
    free_inners: Vec<u32>,
    leaves: Vec<Leaf>,
    free_leaves: Vec<u32>,
}

/// What a subtree is seen as from above: empty, one leaf (which rises to the shallowest depth where it is alone),
/// or an inner node — with its hash.
#[derive(Clone, Copy)]
enum Sub {
    Empty,
    Leaf(Hash),
    Inner(Hash),
}

impl Sub {
    fn hash(self) -> Hash {
        match self {
            Sub::Empty => Hash::ZERO,
            Sub::Leaf(h) | Sub::Inner(h) => h,
        }
    }
}

/// A reference to a subtree within a part; invariant: an `Inner` subtree holds at least two leaves (otherwise it
/// collapses).
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

/// What a walk did: of one group of parts while it runs, summed over the groups after.
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
        self.top[0].hash()
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

    /// [`update`](Self::update) on `pool`'s threads: the same tree, root and counts, with the changes hashed,
    /// the parts walked and each level's inner nodes hashed in parallel (see the module docs).
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

    /// Deduplicates prepared changes (sorted by key, equal keys in input order) and updates the parts holding a
    /// change in groups of neighbouring parts — one group per thread of `pool` (called inside it), all parts in one
    /// group without — then the nodes above the changed parts.
    fn apply_prepared(&mut self, prepared: Vec<Change>, pool: Option<&ThreadPool>) {
        let mut walk = Walk::default();
        let prepared = unique_by_key(prepared, &mut walk.hashes);
        let slices = part_slices(&prepared);
        let groups = pool.map_or(1, ThreadPool::current_num_threads).clamp(1, PARTS);
        let group_len = PARTS.div_ceil(groups);
        let work = self.parts.chunks_mut(group_len).zip(slices.chunks(group_len));
        let walks: Vec<Walk> = match pool {
            Some(_) => work.collect::<Vec<_>>().into_par_iter().map(|(p, c)| update_group(p, c)).collect(),
            None => work.map(|(p, c)| update_group(p, c)).collect(),
        };
        for w in walks {
            walk.hashes += w.hashes;
            walk.added += w.added;
            walk.removed += w.removed;
        }
        walk.hashes += self.update_top(&slices);
        self.len = (self.len + walk.added).saturating_sub(walk.removed);
        self.last_update_hashes = walk.hashes;
    }

    /// Recomputes the nodes above the parts that `slices` changed (bottom up); returns the inner hashes taken.
    fn update_top(&mut self, slices: &[&[Change]]) -> u64 {
        let mut dirty = vec![false; self.top.len()];
        for (k, (part, changes)) in self.parts.iter().zip(slices).enumerate() {
            if !changes.is_empty() {
                let node = PARTS - 1 + k;
                self.top[node] = part.sub();
                dirty[node] = true;
            }
        }
        let mut hashes = 0;
        for node in (0..PARTS - 1).rev() {
            let (l, r) = (2 * node + 1, 2 * node + 2);
            if !(dirty[l] || dirty[r]) {
                continue;
            }
            dirty[node] = true;
            self.top[node] = match (self.top[l], self.top[r]) {
                (Sub::Empty, Sub::Empty) => Sub::Empty,
                (Sub::Empty, Sub::Leaf(h)) | (Sub::Leaf(h), Sub::Empty) => Sub::Leaf(h),
                (left, right) => {
                    hashes += 1;
                    Sub::Inner(inner_hash(&left.hash(), &right.hash()))
                }
            };
        }
        hashes
    }
}

impl Part {
    /// How the part's subtree is seen from above.
    fn sub(&self) -> Sub {
        match self.root {
            Child::Empty => Sub::Empty,
            Child::Leaf(i) => Sub::Leaf(self.leaves[i as usize].hash),
            Child::Inner(i) => Sub::Inner(self.inners[i as usize].hash),
        }
    }

    /// The hash of a subtree (stale for an inner node recorded for hashing).
    fn hash_of(&self, child: Child) -> Hash {
        match child {
            Child::Empty => Hash::ZERO,
            Child::Leaf(i) => self.leaves[i as usize].hash,
            Child::Inner(i) => self.inners[i as usize].hash,
        }
    }

    /// What inner node `i`'s hash covers: its children's hashes.
    fn inner_input(&self, i: u32) -> [u8; 64] {
        let Inner { left, right, .. } = self.inners[i as usize];
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(self.hash_of(left).as_bytes());
        bytes[32..].copy_from_slice(self.hash_of(right).as_bytes());
        bytes
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
}

/// Applies `slices[k]` (sorted, unique keys) to `parts[k]` for each part of a group, then hashes the group's rebuilt
/// inner nodes level by level from the deepest (a node's children are one level below it, so their hashes are
/// ready), each level across the group's parts side by side, writing each hash into its node. Returns the counts;
/// its `rebuilt` is left empty.
fn update_group(parts: &mut [Part], slices: &[&[Change]]) -> Walk {
    let mut walk = Walk::default();
    let mut rebuilt: Vec<(u16, u16, u32)> = Vec::new();
    for (k, (part, changes)) in parts.iter_mut().zip(slices).enumerate() {
        if changes.is_empty() {
            continue;
        }
        part.root = part.apply(part.root, PART_BITS, changes, &mut walk);
        rebuilt.extend(walk.rebuilt.drain(..).map(|(depth, i)| (depth, k as u16, i)));
    }
    rebuilt.sort_unstable_by_key(|&(depth, _, _)| std::cmp::Reverse(depth));
    let mut inputs: Vec<[u8; 64]> = Vec::new();
    let mut hashes: Vec<Hash> = Vec::new();
    for level in rebuilt.chunk_by(|a, b| a.0 == b.0) {
        inputs.clear();
        inputs.extend(level.iter().map(|&(_, k, i)| parts[usize::from(k)].inner_input(i)));
        hashes.clear();
        inner_hashes(&inputs, &mut hashes);
        for (&(_, k, i), hash) in level.iter().zip(&hashes) {
            parts[usize::from(k)].inners[i as usize].hash = *hash;
        }
    }
    walk
}

/// The part of a key: its first [`PART_BITS`] bits.
fn part_of(key: &Hash) -> usize {
    usize::from(key.0[0] >> (8 - PART_BITS))
}

/// `changes` (sorted by key) cut into one slice per part, in part order.
fn part_slices(changes: &[Change]) -> Vec<&[Change]> {
    let mut slices = Vec::with_capacity(PARTS);
    let mut rest = changes;
    for k in 0..PARTS {
        let (here, after) = rest.split_at(rest.partition_point(|c| part_of(&c.key) == k));
        slices.push(here);
        rest = after;
    }
    slices
}

/// Changes per task when `update_on` hashes their keys and leaves on the pool (each task hashes its share
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
fn unique_by_key(prepared: Vec<Change>, hashes: &mut u64) -> Vec<Change> {
    *hashes += prepared.iter().map(|c| 1 + u64::from(c.leaf.is_some())).sum::<u64>();
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
