//! Incremental state tree: the compact sparse Merkle tree of [`tree_hash`](super::tree_hash), kept in memory
//! with every node's hash cached, so a block's root costs O(changed accounts × log n) hashes, not O(n).
//!
//! An update takes all accounts a block changed, sorts them by key and walks the tree once, descending only
//! into subtrees that hold a change; every node on those paths is rebuilt and rehashed exactly once, on the
//! way back up. Leaves store only their key and leaf hash (the account values live in the execution state),
//! so moving a leaf deeper when a neighbour arrives costs no hash at all.
//!
//! The hashes are not computed one at a time on the walk: one Blake3 compression on its own is latency-bound
//! (~70 ns here), while [`hash_many`](crate::types::hash_many) computes 16 independent ones side by side for
//! ~16 ns each. So the keys and leaf hashes of a block's changes are hashed together, and the walk only records
//! each rebuilt inner node as a pending hash whose inputs are its children's hashes or their pending hashes; the
//! pending hashes are then computed level by level from the deepest (a node's children are one level below it),
//! each level in one call, and written back into the tree.
//!
//! [`StateTree::update_on`] does the same walk on a caller-given thread pool: the changes are hashed in
//! parallel, and the top levels of the walk fork (`rayon::join`) into the left and right subtrees, which hold
//! disjoint key ranges and so never share a node; each subtree is rebuilt exactly as the sequential walk would
//! (its own pending hashes computed before it returns), and the inner nodes above them are hashed once both sides
//! are back. The tree after it is the same value, so the root is bit-identical.

use super::tree_hash::{KEY_BITS, account_keys, inner_hash, inner_hashes, is_absent, key_bit, leaf_hashes, leaf_input};
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

/// An inner node with its cached hash; while an update is under way, `pending` names the hash still to compute
/// (then `hash` is stale).
struct Inner {
    left: Node,
    right: Node,
    hash: Hash,
    pending: Option<u32>,
}

/// One input of a pending inner hash: a child's hash, known or pending.
#[derive(Clone, Copy)]
enum Input {
    Known(Hash),
    Pending(u32),
}

/// The inner hashes an update still has to compute, each with its node's depth and its children's inputs.
#[derive(Default)]
struct PendingHashes {
    depth: Vec<u16>,
    inputs: Vec<[Input; 2]>,
}

impl PendingHashes {
    /// Records the hash of an inner node at `depth` over `left` and `right`; returns its index.
    fn push(&mut self, depth: usize, left: &Node, right: &Node) -> u32 {
        let index = self.inputs.len() as u32;
        self.depth.push(depth as u16);
        self.inputs.push([left.input(), right.input()]);
        index
    }

    /// Every pending hash, computed level by level from the deepest, each level side by side.
    fn compute(&self) -> Vec<Hash> {
        let mut results = vec![Hash::ZERO; self.inputs.len()];
        // The indices grouped by depth, deepest first (a counting sort: depths are at most 256).
        let mut starts = [0usize; KEY_BITS + 2];
        for depth in &self.depth {
            starts[KEY_BITS - usize::from(*depth) + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut order = vec![0u32; self.depth.len()];
        let mut next = starts;
        for (index, depth) in self.depth.iter().enumerate() {
            let slot = &mut next[KEY_BITS - usize::from(*depth)];
            order[*slot] = index as u32;
            *slot += 1;
        }
        let mut inputs: Vec<[u8; 64]> = Vec::new();
        let mut hashes: Vec<Hash> = Vec::new();
        for level in starts.windows(2).map(|w| &order[w[0]..w[1]]).filter(|l| !l.is_empty()) {
            let resolve = |input: Input| match input {
                Input::Known(hash) => hash,
                Input::Pending(index) => results[index as usize],
            };
            inputs.clear();
            inputs.extend(level.iter().map(|&index| {
                let [left, right] = self.inputs[index as usize];
                let mut bytes = [0u8; 64];
                bytes[..32].copy_from_slice(resolve(left).as_bytes());
                bytes[32..].copy_from_slice(resolve(right).as_bytes());
                bytes
            }));
            hashes.clear();
            inner_hashes(&inputs, &mut hashes);
            for (&index, hash) in level.iter().zip(&hashes) {
                results[index as usize] = *hash;
            }
        }
        results
    }
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
    /// The node's hash (stale for an inner node whose hash is pending).
    fn hash(&self) -> Hash {
        match self {
            Node::Empty => Hash::ZERO,
            Node::Leaf(leaf) => leaf.hash,
            Node::Inner(inner) => inner.hash,
        }
    }

    /// The node's hash as the input of its parent's hash.
    fn input(&self) -> Input {
        match self {
            Node::Inner(inner) => inner.pending.map_or(Input::Known(inner.hash), Input::Pending),
            node => Input::Known(node.hash()),
        }
    }

    /// Writes the computed `hashes` into every inner node whose hash was pending (they form a subtree at the top of
    /// this node: a node with a pending hash has pending parents only).
    fn settle(&mut self, hashes: &[Hash]) {
        if let Node::Inner(inner) = self
            && let Some(index) = inner.pending.take()
        {
            inner.left.settle(hashes);
            inner.right.settle(hashes);
            inner.hash = hashes[index as usize];
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
        let keys = keys_of(changes);
        let order = key_order(&keys);
        let leaves = leaves_of(changes);
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
            let keys: Vec<Hash> = changes.par_chunks(PAR_CHUNK).flat_map_iter(keys_of).collect();
            // The sort is serial; the leaf hashes split across the other threads meanwhile.
            let (order, leaves) = rayon::join(
                || key_order(&keys),
                || changes.par_chunks(PAR_CHUNK).flat_map_iter(leaves_of).collect::<Vec<Option<Hash>>>(),
            );
            self.apply_prepared(in_key_order(&order, &keys, &leaves), fork_levels);
        });
    }

    /// Deduplicates prepared changes (sorted by key, equal keys in input order), then applies them, forking the
    /// first `fork_levels` levels.
    fn apply_prepared(&mut self, prepared: Vec<Change>, fork_levels: usize) {
        let mut counters = UpdateCounters::default();
        let prepared = unique_by_key(prepared, &mut counters);
        let root = std::mem::take(&mut self.root);
        self.root = update_subtree(root, 0, &prepared, &mut counters, fork_levels);
        self.len = (self.len + counters.added).saturating_sub(counters.removed);
        self.last_update_hashes = counters.hashes;
    }
}

/// Changes per task when `update_on` hashes keys and leaves on the pool (each task hashes its share side by side).
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

/// Applies `changes` (sorted, unique keys, all under this node's `depth`-bit prefix) to `node` and brings every
/// hash in it up to date. While `fork_levels` > 0 an inner node's two subtrees are updated concurrently
/// (`rayon::join`, so only ever called with `fork_levels` > 0 inside the caller's pool) and the node is hashed on
/// the spot; below, the subtree's rebuilt nodes are hashed level by level ([`PendingHashes`]).
fn update_subtree(
    node: Node,
    depth: usize,
    changes: &[Change],
    counters: &mut UpdateCounters,
    fork_levels: usize,
) -> Node {
    match node {
        Node::Inner(mut inner) if fork_levels > 0 && !changes.is_empty() => {
            let (l, r) = (std::mem::take(&mut inner.left), std::mem::take(&mut inner.right));
            let (lc, rc) = changes.split_at(changes.partition_point(|c| !key_bit(&c.key, depth)));
            let ((left, lcount), (right, rcount)) = rayon::join(
                || fork_side(l, depth + 1, lc, fork_levels - 1),
                || fork_side(r, depth + 1, rc, fork_levels - 1),
            );
            counters.add(lcount);
            counters.add(rcount);
            rejoin(inner, depth, left, right, counters, None)
        }
        node => {
            let mut pending = PendingHashes::default();
            let mut node = apply(node, depth, changes, counters, &mut pending);
            node.settle(&pending.compute());
            node
        }
    }
}

/// Applies `changes` (sorted, unique keys, all under this node's `depth`-bit prefix) to `node`, recording the
/// hash of every rebuilt inner node in `pending` instead of computing it.
fn apply(
    node: Node,
    depth: usize,
    changes: &[Change],
    counters: &mut UpdateCounters,
    pending: &mut PendingHashes,
) -> Node {
    if changes.is_empty() {
        return node;
    }
    match node {
        Node::Empty => {
            let leaves: Vec<Leaf> =
                changes.iter().filter_map(|c| c.leaf.map(|hash| Leaf { key: c.key, hash })).collect();
            counters.added += leaves.len();
            build(&leaves, depth, counters, pending)
        }
        Node::Leaf(existing) => {
            let leaves = merge_into_leaf(existing, changes, counters);
            build(&leaves, depth, counters, pending)
        }
        Node::Inner(mut inner) => {
            let split = changes.partition_point(|c| !key_bit(&c.key, depth));
            let (l, r) = (std::mem::take(&mut inner.left), std::mem::take(&mut inner.right));
            let (lc, rc) = changes.split_at(split);
            let left = apply(l, depth + 1, lc, counters, pending);
            let right = apply(r, depth + 1, rc, counters, pending);
            rejoin(inner, depth, left, right, counters, Some(pending))
        }
    }
}

/// The node at `depth` over the updated `left` and `right` (reusing `inner`'s allocation): empty or a lone leaf
/// collapse; otherwise an inner node, hashed now or, with `pending`, recorded there.
fn rejoin(
    mut inner: Box<Inner>,
    depth: usize,
    left: Node,
    right: Node,
    counters: &mut UpdateCounters,
    pending: Option<&mut PendingHashes>,
) -> Node {
    match (left, right) {
        (Node::Empty, Node::Empty) => Node::Empty,
        (Node::Empty, Node::Leaf(leaf)) | (Node::Leaf(leaf), Node::Empty) => Node::Leaf(leaf),
        (left, right) => {
            counters.hashes += 1;
            match pending {
                Some(pending) => inner.pending = Some(pending.push(depth, &left, &right)),
                None => inner.hash = inner_hash(&left.hash(), &right.hash()),
            }
            inner.left = left;
            inner.right = right;
            Node::Inner(inner)
        }
    }
}

/// One side of a forked [`update_subtree`], with its own counters.
fn fork_side(node: Node, depth: usize, changes: &[Change], fork_levels: usize) -> (Node, UpdateCounters) {
    let mut counters = UpdateCounters::default();
    let node = update_subtree(node, depth, changes, &mut counters, fork_levels);
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

/// Builds the canonical subtree for `leaves` (sorted by key, sharing their first `depth` bits), its inner hashes
/// recorded in `pending`.
fn build(leaves: &[Leaf], depth: usize, counters: &mut UpdateCounters, pending: &mut PendingHashes) -> Node {
    match leaves {
        [] => Node::Empty,
        [leaf] => Node::Leaf(*leaf),
        // Distinct keys always differ before bit 256; this arm only guards the recursion bound.
        [leaf, ..] if depth >= KEY_BITS => Node::Leaf(*leaf),
        _ => {
            let split = leaves.partition_point(|l| !key_bit(&l.key, depth));
            let left = build(&leaves[..split], depth + 1, counters, pending);
            let right = build(&leaves[split..], depth + 1, counters, pending);
            counters.hashes += 1;
            let index = pending.push(depth, &left, &right);
            Node::Inner(Box::new(Inner { left, right, hash: Hash::ZERO, pending: Some(index) }))
        }
    }
}
