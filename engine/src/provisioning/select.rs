//! Choosing the next block's transactions from the mempool.

use super::ProvisioningConfig;
use super::cursor::Cursors;
use crate::mempool::{Mempool, PendingTx};
use crate::types::{AccountView, Block, Transaction};
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

/// Picks the next block's transactions, deterministically.
///
/// Highest fee first (ties by smaller id) among ready transactions, nonce-contiguous per sender: a sender's
/// transaction at nonce n+1 becomes a candidate only once its nonce-n transaction was taken. Senders continue
/// after the transactions of theirs already in `pending_blocks` (the not-yet-executed blocks the new block
/// extends, oldest first), and those transactions are never selected again. Each sender's running balance
/// must cover amount + fee of everything taken; a sender whose next transaction cannot be taken (balance,
/// size, already included) contributes nothing further. Stops at `max_block_txs` or `max_block_bytes`.
///
/// Cost: one sort of the senders' heads (the mempool's ready order; only heads, not the whole pool), then
/// O((selected + skipped) · log). The selected transactions come with the ids admission computed, so the
/// block's transaction root needs no transaction hashed again.
pub fn select_transactions(
    mempool: &Mempool,
    accounts: &impl AccountView,
    pending_blocks: &[&Block],
    config: &ProvisioningConfig,
) -> Vec<PendingTx> {
    let mut cursors = Cursors::new(accounts, pending_blocks, config.max_block_txs.min(mempool.len()));
    let mut heads = mempool.ready().peekable();
    let mut successors: BinaryHeap<Candidate<'_>> = BinaryHeap::new();
    let mut selected = Vec::new();
    let mut bytes_left = config.max_block_bytes;
    let min_bytes = min_tx_bytes();
    while selected.len() < config.max_block_txs && bytes_left >= min_bytes {
        let take_head = match (heads.peek(), successors.peek()) {
            (None, None) => break,
            (Some(head), Some(next)) => head.priority() < next.0.priority(),
            (head, _) => head.is_some(),
        };
        let candidate = if take_head { heads.next() } else { successors.pop().map(|c| c.0) };
        let Some(p) = candidate else { break };
        let tx = p.tx();
        let included = cursors.is_included(p.hash());
        let cursor = cursors.get(&tx.sender);
        if cursor.blocked {
            continue;
        }
        if tx.nonce != cursor.next_nonce {
            // A head whose predecessors sit in pending blocks: continue from the expected nonce instead,
            // in its own priority turn.
            match mempool.pending_at(&tx.sender, cursor.next_nonce) {
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
        if let Some(next) = mempool.pending_at(&tx.sender, cursor.next_nonce) {
            successors.push(Candidate(next));
        }
        selected.push(p.clone());
    }
    selected
}
