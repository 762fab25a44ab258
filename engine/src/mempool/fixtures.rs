//! Test fixtures shared by the mempool and provisioning tests: seeded keys, signed transfers, account maps.

use super::{Mempool, MempoolConfig};
use crate::types::{Account, AccountId, Transaction};
use ed25519_dalek::SigningKey;
use rayon::ThreadPool;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Chain id of the default configuration.
pub(crate) const CHAIN: u32 = 1;

/// Deterministic key number `i`.
pub(crate) fn key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[i; 32])
}

/// Account id of key `i`.
pub(crate) fn id(i: u8) -> AccountId {
    key(i).verifying_key().to_bytes()
}

/// A transfer of `amount` from key `from` to account `to` with `fee` at `nonce`.
pub(crate) fn transfer(from: u8, to: u8, amount: u64, fee: u64, nonce: u64) -> Transaction {
    Transaction::signed(&key(from), CHAIN, id(to), amount, fee, nonce, Vec::new())
}

/// A transfer of 10 from key `from` to account 200, paying `fee`.
pub(crate) fn tx(from: u8, nonce: u64, fee: u64) -> Transaction {
    transfer(from, 200, 10, fee, nonce)
}

/// Account state: (key number, balance, nonce) for each listed account.
pub(crate) fn accounts(list: &[(u8, u64, u64)]) -> HashMap<AccountId, Account> {
    list.iter().map(|&(i, balance, nonce)| (id(i), Account { balance, nonce })).collect()
}

/// An empty pool with the default configuration.
pub(crate) fn pool() -> Mempool {
    Mempool::new(MempoolConfig::default())
}

/// A thread pool of 3 for sharded pools to run their shards on (built once; shared by every test).
pub(crate) fn workers() -> Arc<ThreadPool> {
    static WORKERS: OnceLock<Arc<ThreadPool>> = OnceLock::new();
    WORKERS
        .get_or_init(|| Arc::new(rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("test thread pool")))
        .clone()
}
