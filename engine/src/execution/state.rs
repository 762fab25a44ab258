//! Account state of one node plus its incremental state tree; executes committed blocks in height order,
//! sequentially or on execution lanes (see the module docs of [`execution`](super)).

use super::error::ExecutionError;
use super::lanes::execute_on_lanes;
use super::receipt::BlockExecution;
use super::state_tree::StateTree;
use super::transfer::transfer;
use super::tree_hash::is_absent;
use crate::types::{Account, AccountId, AccountView, Block, Hash, Height, Transaction};
use crate::types::{KeyedMap, KeyedState};
use crate::types::{Outcome, Receipt};
use rayon::ThreadPool;
use rayon::slice::ParallelSliceMut;
use std::sync::Arc;

/// Account state of one node plus its incremental state tree.
///
/// Holds only accounts that differ from `Account::default()` (a missing account reads as balance 0,
/// nonce 0), so the state, the state root and `accounts_sorted` never depend on whether a zero-value
/// transfer once touched an address. Outputs are always sorted by account id; the hash map is only
/// used for lookups.
///
/// With [`with_lanes`](Self::with_lanes) a block runs on the lanes of the caller's thread pool; every output is
/// bit-identical to sequential execution.
pub struct ExecutionState {
    accounts: KeyedMap<AccountId, Account>,
    tree: StateTree,
    height: Height,
    total_balance: u128,
    lanes: Option<Arc<ThreadPool>>,
}

impl ExecutionState {
    /// The state at genesis (executed height 0). A repeated id keeps its last entry.
    pub fn from_genesis(accounts: &[(AccountId, Account)]) -> Self {
        Self::restore(0, accounts.to_vec())
    }

    /// The state recovered from storage: `accounts` as persisted after executing `height`. The root is
    /// rebuilt from the accounts, so it equals the root the original state had at that height.
    pub fn restore(height: Height, accounts: Vec<(AccountId, Account)>) -> Self {
        let mut map: KeyedMap<AccountId, Account> = KeyedMap::with_capacity_and_hasher(accounts.len(), KeyedState);
        for (id, account) in &accounts {
            if is_absent(account) {
                map.remove(id);
            } else {
                map.insert(*id, *account);
            }
        }
        let total_balance = map.values().map(|a| u128::from(a.balance)).sum();
        ExecutionState { accounts: map, tree: StateTree::from_accounts(&accounts), height, total_balance, lanes: None }
    }

    /// Executes every later block on `pool`'s threads, one lane per thread (a one-thread pool executes
    /// sequentially, as without lanes). The caller owns the pool, so the threads are the ones it pinned and
    /// accounts for; execution never touches rayon's global pool.
    pub fn with_lanes(mut self, pool: Arc<ThreadPool>) -> Self {
        self.lanes = Some(pool);
        self
    }

    /// Number of lanes a block runs on (1 = sequential).
    pub fn lanes(&self) -> usize {
        self.lanes.as_ref().map_or(1, |p| p.current_num_threads().max(1))
    }

    /// Height of the last executed block (0 = genesis).
    pub fn executed_height(&self) -> Height {
        self.height
    }

    /// State root after the last executed block.
    pub fn state_root(&self) -> Hash {
        self.tree.root()
    }

    /// The incremental tree, e.g. for its per-update hash count.
    pub fn state_tree(&self) -> &StateTree {
        &self.tree
    }

    /// Number of existing (non-default) accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Every existing account, sorted by id (for persistence snapshots and reference roots).
    pub fn accounts_sorted(&self) -> Vec<(AccountId, Account)> {
        let mut out: Vec<(AccountId, Account)> = self.accounts.iter().map(|(id, a)| (*id, *a)).collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// Sum of all balances: the genesis supply minus every fee burnt since, for conservation checks.
    pub fn total_balance(&self) -> u128 {
        self.total_balance
    }

    /// Executes the committed `block`, which must be at `executed_height() + 1`. Each transaction is applied
    /// in block order under the transfer rule; failures are recorded in receipts and change nothing. The
    /// tree is updated once for all accounts the block changed. On lanes, independent transactions run
    /// concurrently and the tree's subtrees update concurrently, with the same result.
    ///
    /// `tx_ids` are the transactions' ids when the caller has them (the node computed them when it checked the
    /// proposal); the receipts take them instead of hashing every transaction again. Without them (or given ids of
    /// another count than the block's transactions) the ids are computed here, side by side
    /// ([`Block::tx_hashes`]).
    pub fn execute_block(&mut self, block: &Block, tx_ids: Option<&[Hash]>) -> Result<BlockExecution, ExecutionError> {
        let expected = self.height.saturating_add(1);
        if block.header.height != expected {
            return Err(ExecutionError::OutOfOrder { expected, got: block.header.height });
        }
        let hashed: Vec<Hash>;
        let tx_ids = match tx_ids.filter(|ids| ids.len() == block.txs.len()) {
            Some(ids) => ids,
            None => {
                hashed = block.tx_hashes();
                &hashed
            }
        };
        let (receipts, changed) = match self.lanes.clone() {
            Some(pool) if pool.current_num_threads() > 1 => self.apply_on_lanes(block, tx_ids, &pool),
            _ => {
                let (receipts, changed) = self.apply_sequentially(block, tx_ids);
                self.tree.update(&changed);
                (receipts, changed)
            }
        };
        let burnt: u128 = receipts
            .iter()
            .zip(block.txs.iter())
            .filter(|(r, _)| r.outcome == Outcome::Success)
            .map(|(_, tx)| u128::from(tx.fee))
            .sum();
        // Conservation: the supply falls by exactly the fees of successful transactions.
        self.total_balance = self.total_balance.saturating_sub(burnt);
        let fees_burnt = u64::try_from(burnt).unwrap_or(u64::MAX);
        self.height = expected;
        Ok(BlockExecution { height: expected, state_root: self.tree.root(), receipts, changed, fees_burnt })
    }

    /// Applies the block's transactions one by one on this thread; returns the receipts and the changed
    /// accounts (sorted by id, final values).
    fn apply_sequentially(&mut self, block: &Block, tx_ids: &[Hash]) -> (Vec<Receipt>, Vec<(AccountId, Account)>) {
        // Pre-block values by account: a hash map, sorted once at the end (a BTreeMap paid a search with 32-byte
        // key comparisons on every write).
        let mut before: KeyedMap<AccountId, Account> =
            KeyedMap::with_capacity_and_hasher(2 * block.txs.len(), KeyedState);
        let mut receipts = Vec::with_capacity(block.txs.len());
        for (tx, &tx_hash) in block.txs.iter().zip(tx_ids) {
            let outcome = self.execute_tx(tx, &mut before);
            receipts.push(Receipt { tx_hash, outcome });
        }
        let mut before: Vec<(AccountId, Account)> = before.into_iter().collect();
        before.sort_unstable_by_key(|(id, _)| *id);
        let mut changed = Vec::with_capacity(before.len());
        for (id, old) in before {
            let new = self.account(&id);
            if is_absent(&new) {
                self.accounts.remove(&id);
            }
            if new != old {
                changed.push((id, new));
            }
        }
        (receipts, changed)
    }

    /// Applies the block on the lanes of `pool`, merges their writes and updates the tree, all inside one
    /// `install` of the pool (one wake-up of its threads per block); same results as
    /// [`apply_sequentially`](Self::apply_sequentially) followed by the tree update. The merge into the account
    /// map is serial, so it runs beside the tree update and the sort of the changed list, which split across the
    /// other threads.
    fn apply_on_lanes(
        &mut self,
        block: &Block,
        tx_ids: &[Hash],
        pool: &ThreadPool,
    ) -> (Vec<Receipt>, Vec<(AccountId, Account)>) {
        let lanes = pool.current_num_threads();
        let (accounts, tree) = (&mut self.accounts, &mut self.tree);
        pool.install(|| {
            let run = execute_on_lanes(accounts, &block.txs, lanes);
            let changes: Vec<(AccountId, Account)> =
                run.writes.iter().filter(|(_, old, new)| new != old).map(|(id, _, new)| (*id, *new)).collect();
            let ((), ((), changed)) = rayon::join(
                || merge_writes(accounts, &run.writes),
                || {
                    rayon::join(
                        || tree.update_on(&changes, pool),
                        || {
                            let mut sorted = changes.clone();
                            sorted.par_sort_unstable_by_key(|(id, _)| *id);
                            sorted
                        },
                    )
                },
            );
            let receipts =
                tx_ids.iter().zip(run.outcomes).map(|(&tx_hash, outcome)| Receipt { tx_hash, outcome }).collect();
            (receipts, changed)
        })
    }

    /// Applies one transaction, remembering the pre-block value of every account it writes.
    fn execute_tx(&mut self, tx: &Transaction, before: &mut KeyedMap<AccountId, Account>) -> Outcome {
        let sender = self.account(&tx.sender);
        let recipient = self.account(&tx.recipient);
        match transfer(tx, sender, recipient) {
            Ok(done) => {
                before.entry(tx.sender).or_insert(sender);
                before.entry(tx.recipient).or_insert(recipient);
                self.accounts.insert(tx.sender, done.sender);
                self.accounts.insert(tx.recipient, done.recipient);
                Outcome::Success
            }
            Err(reason) => Outcome::Failed(reason),
        }
    }
}

/// Writes the lanes' final account values into the account map (a default account leaves it).
fn merge_writes(accounts: &mut KeyedMap<AccountId, Account>, writes: &[(AccountId, Account, Account)]) {
    for (id, _, new) in writes {
        if is_absent(new) {
            accounts.remove(id);
        } else {
            accounts.insert(*id, *new);
        }
    }
}

impl AccountView for ExecutionState {
    fn account(&self, id: &AccountId) -> Account {
        self.accounts.get(id).copied().unwrap_or_default()
    }
}
