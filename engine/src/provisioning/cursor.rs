//! Per-sender position during selection: the nonce a sender's next transaction must carry and what it can
//! still spend, after the not-yet-executed blocks the new block extends.

use crate::types::{AccountId, AccountView, Block, Hash, KeyedMap, KeyedSet, KeyedState, Transaction};

/// Where one sender stands: next nonce and spendable balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SenderCursor {
    /// Nonce the sender's next selected transaction must carry.
    pub(super) next_nonce: u64,
    /// Balance left for further transactions (debits only: incoming transfers are not counted, so the
    /// selection stays valid whatever order execution credits arrive in).
    pub(super) balance: u64,
    /// Set once a transaction of this sender could not be taken: nothing later may follow it.
    pub(super) blocked: bool,
}

impl SenderCursor {
    /// Takes `tx` if it carries the expected nonce and `cost` fits the balance; returns whether it did.
    pub(super) fn try_spend(&mut self, tx: &Transaction) -> bool {
        match tx.total_cost() {
            Some(cost) if !self.blocked && tx.nonce == self.next_nonce && cost <= self.balance => {
                self.next_nonce = self.next_nonce.saturating_add(1);
                self.balance -= cost;
                true
            }
            _ => false,
        }
    }
}

/// Cursors of the senders met so far, seeded from committed state plus the pending blocks.
pub(super) struct Cursors<'a, A: AccountView> {
    accounts: &'a A,
    cursors: KeyedMap<AccountId, SenderCursor>,
    /// Ids of the transactions in the pending blocks that did not advance their sender's nonce: never selected
    /// again. (One that did advance it sits below its sender's cursor, so the nonce check already refuses it;
    /// leaving those out spares hashing every pending transaction on every proposal.)
    included: KeyedSet<Hash>,
}

impl<'a, A: AccountView> Cursors<'a, A> {
    /// Cursors after the pending blocks (oldest first): each of their transactions that carries its sender's
    /// expected nonce advances that nonce and spends its cost (saturating: one that cannot be afforded
    /// leaves the sender nothing to spend, so selection stays on the safe side); others change nothing.
    /// Room for `senders` cursors is reserved up front (the pending transactions plus the block to come).
    /// Only the senders `owns` accepts are tracked (a shard's walk: its own senders).
    pub(super) fn new(
        accounts: &'a A,
        pending_blocks: &[&Block],
        owns: &impl Fn(&AccountId) -> bool,
        senders: usize,
    ) -> Self {
        let pending: usize = pending_blocks.iter().map(|b| b.txs.len()).sum();
        let cursors = KeyedMap::with_capacity_and_hasher(pending.saturating_add(senders), KeyedState);
        let mut cursors = Cursors { accounts, cursors, included: KeyedSet::default() };
        for tx in pending_blocks.iter().flat_map(|b| b.txs.iter()).filter(|tx| owns(&tx.sender)) {
            let cursor = cursors.get(&tx.sender);
            if tx.nonce == cursor.next_nonce {
                cursor.next_nonce = cursor.next_nonce.saturating_add(1);
                cursor.balance = cursor.balance.saturating_sub(tx.total_cost().unwrap_or(u64::MAX));
            } else {
                cursors.included.insert(tx.hash());
            }
        }
        cursors
    }

    /// The sender's cursor, created from committed state on first use.
    pub(super) fn get(&mut self, sender: &AccountId) -> &mut SenderCursor {
        let accounts = self.accounts;
        self.cursors.entry(*sender).or_insert_with(|| {
            let account = accounts.account(sender);
            SenderCursor { next_nonce: account.nonce, balance: account.balance, blocked: false }
        })
    }

    /// Whether a pending block already carries this transaction, for a transaction at its sender's cursor (below
    /// the cursor the nonce check answers instead; see `included`).
    pub(super) fn is_included(&self, tx_hash: &Hash) -> bool {
        !self.included.is_empty() && self.included.contains(tx_hash)
    }
}
