//! Choosing the next block's transactions from the mempool.
//!
//! Every rule of the selection concerns one sender (its nonce, its balance, its transactions in pending blocks)
//! except the block's two limits, so each mempool shard walks its own senders at once on the pool ([`walk`]), and
//! the node thread only merges the shards' walks in the one priority order, applying the limits ([`merge`]). The
//! merge gives exactly what one walk over the whole pool gives; where it cannot know that (a shard's walk was cut at
//! its share of the block and the merge needs more of it) the whole pool is walked on the caller instead.

use super::ProvisioningConfig;
use super::cursor::Cursors;
use crate::mempool::{FeePriority, Mempool, PendingTx, ShardView};
use crate::types::{AccountId, AccountView, Block, KeyedSet, Transaction};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Transaction bytes of a block body as counted against [`ProvisioningConfig::max_block_bytes`]: the sum of
/// each transaction's canonical encoded length (the same measure the mempool's `max_tx_bytes` uses).
pub fn block_bytes(txs: &[Transaction]) -> usize {
    txs.iter().map(Transaction::encoded_len).sum()
}

/// Smallest possible transaction encoding (empty memo): once less room than this is left, stop looking.
fn min_tx_bytes() -> usize {
    Transaction::encoded_len_with_memo(0)
}

/// Picks the next block's transactions, deterministically.
///
/// Highest fee first (ties by smaller id) among ready transactions, nonce-contiguous per sender: a sender's
/// transaction at nonce n+1 becomes a candidate only once its nonce-n transaction was taken. Senders continue
/// after the transactions of theirs already in `pending_blocks` (the not-yet-executed blocks the new block
/// extends, oldest first), and those transactions are never selected again. Each sender's running balance
/// must cover amount + fee of everything taken; a sender whose next transaction cannot be taken (balance,
/// size, already included) contributes nothing further. Stops at `max_block_txs` or `max_block_bytes`.
///
/// Cost: per shard, on the mempool's pool, one sort of its senders' heads (only heads, not the whole pool), then
/// O((selected + skipped) · log); on the caller, a merge of the shards' walks, O(selected · shards). The selected
/// transactions come with the ids admission computed, so the block's transaction root needs no transaction hashed
/// again. The result does not depend on the number of shards; [`Selection::by`] says which way it was found.
pub fn select_transactions(
    mempool: &Mempool,
    accounts: &(impl AccountView + Sync),
    pending_blocks: &[&Block],
    config: &ProvisioningConfig,
) -> Selection {
    let limit = shard_limit(config.max_block_txs, mempool.shard_count());
    match by_shards(mempool, accounts, pending_blocks, config, limit) {
        Some(txs) => Selection { txs, by: SelectedBy::Shards },
        None => Selection { txs: whole_pool(mempool, accounts, pending_blocks, config), by: SelectedBy::WholePool },
    }
}

/// A block's selected transactions (each with the id admission computed) and how they were found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The transactions, in block order.
    pub txs: Vec<PendingTx>,
    /// Which walk gave them.
    pub by: SelectedBy,
}

/// How a selection was found: the cheap way, or the fallback a node report counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectedBy {
    /// The shards' walks merged (each on the pool, the merge on the caller).
    Shards,
    /// One walk over the whole pool on the caller: a shard's walk was cut at its share of the block and the merge
    /// needed more of it (its senders held much more than an even share of the block's candidates).
    WholePool,
}

/// The selection from the shards' walks, each accepting at most `limit` transactions, merged; `None` when the
/// merge needed more of a walk than `limit` let it take.
pub(super) fn by_shards(
    mempool: &Mempool,
    accounts: &(impl AccountView + Sync),
    pending_blocks: &[&Block],
    config: &ProvisioningConfig,
    limit: usize,
) -> Option<Vec<PendingTx>> {
    if mempool.shard_count() == 1 && limit >= config.max_block_txs {
        // One shard's walk under both limits is the selection itself (on the pool's thread).
        let walks = mempool.map_shards(|view| walk(&view, accounts, pending_blocks, config, Limits::Block));
        return walks.first().map(|w| w.accepted().cloned().collect());
    }
    let walks = mempool.map_shards(|view| walk(&view, accounts, pending_blocks, config, Limits::Shard(limit)));
    merge(&walks, config)
}

/// The selection from one walk over the whole pool, on the caller.
pub(super) fn whole_pool(
    mempool: &Mempool,
    accounts: &impl AccountView,
    pending_blocks: &[&Block],
    config: &ProvisioningConfig,
) -> Vec<PendingTx> {
    walk(&mempool, accounts, pending_blocks, config, Limits::Block).accepted().cloned().collect()
}

/// Most transactions one shard's walk accepts when the pool has `shards` shards: twice its even share of the block
/// and some (senders spread evenly over shards), the whole block for one shard. A walk cut there that the merge
/// needs more of sends the selection to one walk over the whole pool.
fn shard_limit(max_block_txs: usize, shards: usize) -> usize {
    if shards <= 1 { max_block_txs } else { max_block_txs.min(2 * max_block_txs.div_ceil(shards) + 16) }
}

/// Where a walk reads the ready heads and queues: one shard, or the whole pool.
trait Source<'a> {
    /// The senders' lowest-nonce transactions, best priority first.
    fn heads(&self) -> impl Iterator<Item = &'a PendingTx>;
    /// A sender's pending transaction at `nonce`.
    fn at(&self, sender: &AccountId, nonce: u64) -> Option<&'a PendingTx>;
    /// Whether `sender` is one of this source's senders.
    fn owns(&self, sender: &AccountId) -> bool;
    /// Pending transactions in this source.
    fn pending(&self) -> usize;
}

impl<'a> Source<'a> for ShardView<'a> {
    fn heads(&self) -> impl Iterator<Item = &'a PendingTx> {
        self.ready()
    }
    fn at(&self, sender: &AccountId, nonce: u64) -> Option<&'a PendingTx> {
        self.pending_at(sender, nonce)
    }
    fn owns(&self, sender: &AccountId) -> bool {
        ShardView::owns(self, sender)
    }
    fn pending(&self) -> usize {
        self.len()
    }
}

impl<'a> Source<'a> for &'a Mempool {
    fn heads(&self) -> impl Iterator<Item = &'a PendingTx> {
        self.ready()
    }
    fn at(&self, sender: &AccountId, nonce: u64) -> Option<&'a PendingTx> {
        self.pending_at(sender, nonce)
    }
    fn owns(&self, _: &AccountId) -> bool {
        true
    }
    fn pending(&self) -> usize {
        self.len()
    }
}

/// A sender's next transaction waiting in the selection heap, ordered so the best priority pops first.
struct Candidate<'a>(&'a PendingTx);

impl Ord for Candidate<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.priority().cmp(&self.0.priority())
    }
}
impl PartialOrd for Candidate<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Candidate<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.priority() == other.0.priority()
    }
}
impl Eq for Candidate<'_> {}

/// One candidate a walk took off its heap, in the order it did, and whether the walk accepted it (16 bytes: a
/// walk records thousands).
struct Step<'a> {
    tx: &'a PendingTx,
    accepted: bool,
}

/// Every candidate one source's walk took, in order, and whether it ran out of candidates (`complete`) rather
/// than stopping at a limit.
struct Walk<'a> {
    steps: Vec<Step<'a>>,
    complete: bool,
}

impl<'a> Walk<'a> {
    /// The accepted transactions, in order.
    fn accepted(&self) -> impl Iterator<Item = &'a PendingTx> + '_ {
        self.steps.iter().filter(|s| s.accepted).map(|s| s.tx)
    }
}

/// What stops a walk.
#[derive(Clone, Copy)]
enum Limits {
    /// The block's limits: a walk over all the senders (or the one shard's) is the selection itself.
    Block,
    /// At most this many transactions accepted (and the block's count), no byte limit: a shard's walk, whose
    /// byte decisions depend on the other shards' transactions and are made by [`merge`].
    Shard(usize),
}

/// The selection rule over `source`'s senders under `limits`, recording every candidate taken, in order.
fn walk<'a>(
    source: &impl Source<'a>,
    accounts: &impl AccountView,
    pending_blocks: &[&Block],
    config: &ProvisioningConfig,
    limits: Limits,
) -> Walk<'a> {
    let (limit, mut bytes_left) = match limits {
        Limits::Block => (config.max_block_txs, config.max_block_bytes),
        Limits::Shard(limit) => (limit.min(config.max_block_txs), usize::MAX),
    };
    let senders = |sender: &AccountId| source.owns(sender);
    let mut cursors = Cursors::new(accounts, pending_blocks, &senders, limit.min(source.pending()));
    let mut heads = source.heads().peekable();
    let mut successors: BinaryHeap<Candidate<'a>> = BinaryHeap::new();
    let mut steps = Vec::with_capacity(limit.min(source.pending()));
    let mut accepted = 0;
    let min_bytes = min_tx_bytes();
    let mut complete = false;
    while accepted < limit && bytes_left >= min_bytes {
        let take_head = match (heads.peek(), successors.peek()) {
            (None, None) => {
                complete = true;
                break;
            }
            (Some(head), Some(next)) => head.priority() < next.0.priority(),
            (head, _) => head.is_some(),
        };
        let candidate = if take_head { heads.next() } else { successors.pop().map(|c| c.0) };
        let Some(p) = candidate else { break };
        let step = steps.len();
        steps.push(Step { tx: p, accepted: false });
        let tx = p.tx();
        let included = cursors.is_included(p.hash());
        let cursor = cursors.get(&tx.sender);
        if cursor.blocked {
            continue;
        }
        if tx.nonce != cursor.next_nonce {
            // A head whose predecessors sit in pending blocks: continue from the expected nonce instead,
            // in its own priority turn.
            match source.at(&tx.sender, cursor.next_nonce) {
                Some(next) if next.tx().nonce == cursor.next_nonce => successors.push(Candidate(next)),
                _ => cursor.blocked = true,
            }
            continue;
        }
        let len = tx.encoded_len();
        if included || len > bytes_left || !cursor.try_spend(tx) {
            cursor.blocked = true;
            continue;
        }
        bytes_left -= len;
        if let Some(next) = source.at(&tx.sender, cursor.next_nonce) {
            successors.push(Candidate(next));
        }
        steps[step].accepted = true;
        accepted += 1;
    }
    Walk { steps, complete }
}

/// The shards' walks merged into the selection one walk over the whole pool makes: candidates in the order that
/// walk would take them (each step the best next candidate of any shard), the block's limits applied here. A shard
/// accepted a candidate under byte room the block no longer has: its sender is blocked, as the whole-pool walk
/// blocks it, and whatever the shard took of that sender afterwards is skipped (the whole-pool walk never had it).
/// `None` when a shard's walk stopped at its limit while the merge still needs its next candidate.
fn merge(walks: &[Walk<'_>], config: &ProvisioningConfig) -> Option<Vec<PendingTx>> {
    let mut next = vec![0usize; walks.len()];
    let mut blocked: KeyedSet<&AccountId> = KeyedSet::default();
    let mut selected = Vec::new();
    let mut bytes_left = config.max_block_bytes;
    let min_bytes = min_tx_bytes();
    while selected.len() < config.max_block_txs && bytes_left >= min_bytes {
        let mut best: Option<(usize, FeePriority)> = None;
        for (k, walk) in walks.iter().enumerate() {
            while !blocked.is_empty()
                && walk.steps.get(next[k]).is_some_and(|step| blocked.contains(&step.tx.tx().sender))
            {
                next[k] += 1;
            }
            match walk.steps.get(next[k]).map(|step| step.tx.priority()) {
                Some(p) if best.is_none_or(|(_, b)| p < b) => best = Some((k, p)),
                Some(_) => {}
                None if !walk.complete => return None,
                None => {}
            }
        }
        let Some((k, _)) = best else { break };
        let step = &walks[k].steps[next[k]];
        next[k] += 1;
        if !step.accepted {
            continue;
        }
        let len = step.tx.tx().encoded_len();
        if len > bytes_left {
            blocked.insert(&step.tx.tx().sender);
            continue;
        }
        bytes_left -= len;
        selected.push(step.tx.clone());
    }
    Some(selected)
}
