//! Incremental state tree: the compact sparse Merkle tree of [`tree_hash`](super::tree_hash), kept in memory
//! with every node's hash cached, so a block's root costs O(changed accounts × log n) hashes, not O(n).
//!
//! An update takes all accounts a block changed, sorts them by key and walks the tree once, descending only
//! into subtrees that hold a change; every node on those paths is rebuilt and rehashed exactly once, on the
//! way back up. Leaves store only their key and leaf hash (the account values live in the execution state),
//! so moving a leaf deeper when a neighbour arrives costs no hash at all.
//!
//! [`StateTree::update_on`] does the same walk on a caller-given thread pool: the changes are hashed in
//! parallel, and the top levels of the walk fork (`rayon::join`) into the left and right subtrees, which hold
//! disjoint key ranges and so never share a node; each subtree is rebuilt exactly as the sequential walk would,
//! and the inner nodes above them are hashed once both sides are back. The tree after it is the same value, so
//! the root is bit-identical.

use super::tree_hash::{KEY_BITS, account_key, inner_hash, is_absent, key_bit, leaf_hash};
use crate::types::{Account, AccountId, Hash};
use rayon::ThreadPool;
use rayon::prelude::*;

/// Incremental Blake3 sparse Merkle commitment over a set of accounts; see the module docs for the rule.
#[derive(Default)]
pub struct StateTree {
    root: Node,
    len: usize,
    last_update_hashes: u64,
}

/// A node; invariant: an `Inner` subtree holds at least two leaves (otherwise it collapses).
#[derive(Default)]
enum Node {
    #[default]
    Empty,
    Leaf(Leaf),
    Inner(Box<Inner>),
}

/// A leaf: the account's key and its cached leaf hash.
#[derive(Clone, Copy)]
struct Leaf {
    key: Hash,
    hash: Hash,
}

/// An inner node with its cached hash.
struct Inner {
    left: Node,
    right: Node,
    hash: Hash,
}

/// One prepared change: the key and the new leaf hash, or `None` to remove the account.
#[derive(Clone, Copy)]
struct Change {
    key: Hash,
    leaf: Option<Hash>,
}

/// What one update did, gathered while walking the tree.
#[derive(Default, Clone, Copy)]
struct UpdateCounters {
    hashes: u64,
    added: usize,
    removed: usize,
}

impl Node {
    fn hash(&self) -> Hash {
        match self {
            Node::Empty => Hash::ZERO,
            Node::Leaf(leaf) => leaf.hash,
            Node::Inner(inner) => inner.hash,
        }
    }
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
        self.root.hash()
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
        let keys: Vec<Hash> = changes.iter().map(|(id, _)| account_key(id)).collect();
        let order = key_order(&keys);
        let leaves: Vec<Option<Hash>> = changes.iter().map(leaf_of).collect();
        self.apply_prepared(in_key_order(&order, &keys, &leaves), 0);
    }

    /// [`update`](Self::update) on `pool`'s threads: the same tree, root and counts, computed with the changes
    /// hashed in parallel and the top levels' subtrees updated concurrently (see the module docs).
    pub fn update_on(&mut self, changes: &[(AccountId, Account)], pool: &ThreadPool) {
        let threads = pool.current_num_threads();
        if threads <= 1 {
            return self.update(changes);
        }
        // Fork about 8 subtrees per thread, so an uneven key split still keeps every thread busy.
        let fork_levels = (threads * 8).next_power_of_two().trailing_zeros() as usize;
        pool.install(|| {
            let keys: Vec<Hash> = changes.par_iter().map(|(id, _)| account_key(id)).collect();
            // The sort is serial; the leaf hashes split across the other threads meanwhile.
            let (order, leaves) =
                rayon::join(|| key_order(&keys), || changes.par_iter().map(leaf_of).collect::<Vec<Option<Hash>>>());
            self.apply_prepared(in_key_order(&order, &keys, &leaves), fork_levels);
        });
    }

    /// Deduplicates prepared changes (sorted by key, equal keys in input order), then applies them, forking the
    /// first `fork_levels` levels.
    fn apply_prepared(&mut self, prepared: Vec<Change>, fork_levels: usize) {
        let mut counters = UpdateCounters::default();
        let prepared = unique_by_key(prepared, &mut counters);
        let root = std::mem::take(&mut self.root);
        self.root = apply(root, 0, &prepared, &mut counters, fork_levels);
        self.len = (self.len + counters.added).saturating_sub(counters.removed);
        self.last_update_hashes = counters.hashes;
    }
}

/// The leaf hash of one change: `None` removes the account.
fn leaf_of((id, account): &(AccountId, Account)) -> Option<Hash> {
    if is_absent(account) { None } else { Some(leaf_hash(id, account)) }
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
fn unique_by_key(prepared: Vec<Change>, counters: &mut UpdateCounters) -> Vec<Change> {
    counters.hashes += prepared.iter().map(|c| 1 + u64::from(c.leaf.is_some())).sum::<u64>();
    let mut unique: Vec<Change> = Vec::with_capacity(prepared.len());
    for change in prepared {
        match unique.last_mut() {
            Some(last) if last.key == change.key => *last = change,
            _ => unique.push(change),
        }
    }
    unique
}

/// Applies `changes` (sorted, unique keys, all under this node's `depth`-bit prefix) to `node`. While
/// `fork_levels` > 0 an inner node's two subtrees are updated concurrently (`rayon::join`, so only ever called
/// with `fork_levels` > 0 inside the caller's pool).
fn apply(node: Node, depth: usize, changes: &[Change], counters: &mut UpdateCounters, fork_levels: usize) -> Node {
    if changes.is_empty() {
        return node;
    }
    match node {
        Node::Empty => {
            let leaves: Vec<Leaf> =
                changes.iter().filter_map(|c| c.leaf.map(|hash| Leaf { key: c.key, hash })).collect();
            counters.added += leaves.len();
            build(&leaves, depth, counters)
        }
        Node::Leaf(existing) => {
            let leaves = merge_into_leaf(existing, changes, counters);
            build(&leaves, depth, counters)
        }
        Node::Inner(mut inner) => {
            let split = changes.partition_point(|c| !key_bit(&c.key, depth));
            let (l, r) = (std::mem::take(&mut inner.left), std::mem::take(&mut inner.right));
            let (lc, rc) = changes.split_at(split);
            let (left, right) = if fork_levels > 0 {
                let ((left, lcount), (right, rcount)) = rayon::join(
                    || fork_side(l, depth + 1, lc, fork_levels - 1),
                    || fork_side(r, depth + 1, rc, fork_levels - 1),
                );
                counters.add(lcount);
                counters.add(rcount);
                (left, right)
            } else {
                (apply(l, depth + 1, lc, counters, 0), apply(r, depth + 1, rc, counters, 0))
            };
            match (left, right) {
                (Node::Empty, Node::Empty) => Node::Empty,
                (Node::Empty, Node::Leaf(leaf)) | (Node::Leaf(leaf), Node::Empty) => Node::Leaf(leaf),
                (left, right) => {
                    counters.hashes += 1;
                    inner.hash = inner_hash(&left.hash(), &right.hash());
                    inner.left = left;
                    inner.right = right;
                    Node::Inner(inner)
                }
            }
        }
    }
}

/// One side of a forked [`apply`], with its own counters.
fn fork_side(node: Node, depth: usize, changes: &[Change], fork_levels: usize) -> (Node, UpdateCounters) {
    let mut counters = UpdateCounters::default();
    let node = apply(node, depth, changes, &mut counters, fork_levels);
    (node, counters)
}

impl UpdateCounters {
    /// Adds another walk's counts to these.
    fn add(&mut self, other: UpdateCounters) {
        self.hashes += other.hashes;
        self.added += other.added;
        self.removed += other.removed;
    }
}

/// The sorted leaf set that results from applying `changes` to a subtree holding only `existing`.
fn merge_into_leaf(existing: Leaf, changes: &[Change], counters: &mut UpdateCounters) -> Vec<Leaf> {
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
                    None => counters.removed += 1,
                }
                continue;
            }
        }
        if let Some(hash) = change.leaf {
            leaves.push(Leaf { key: change.key, hash });
            counters.added += 1;
        }
    }
    leaves.extend(existing);
    leaves
}

/// Builds the canonical subtree for `leaves` (sorted by key, sharing their first `depth` bits).
fn build(leaves: &[Leaf], depth: usize, counters: &mut UpdateCounters) -> Node {
    match leaves {
        [] => Node::Empty,
        [leaf] => Node::Leaf(*leaf),
        // Distinct keys always differ before bit 256; this arm only guards the recursion bound.
        [leaf, ..] if depth >= KEY_BITS => Node::Leaf(*leaf),
        _ => {
            let split = leaves.partition_point(|l| !key_bit(&l.key, depth));
            let left = build(&leaves[..split], depth + 1, counters);
            let right = build(&leaves[split..], depth + 1, counters);
            counters.hashes += 1;
            let hash = inner_hash(&left.hash(), &right.hash());
            Node::Inner(Box::new(Inner { left, right, hash }))
        }
    }
}
