//! Tests of the execution module: the transfer rule, block execution, the state tree and random workloads.

mod execution_tests;
mod lanes_props;
mod tree_tests;
mod workload_props;

use crate::types::{Account, AccountId, Block, BlockHeader, Hash, Height, QuorumCertificate, Transaction, tx_root};
use ed25519_dalek::SigningKey;

/// Chain id used by every fixture.
const CHAIN: u32 = 7;

/// A deterministic signing key for fixture account `i`.
fn key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[i; 32])
}

/// The account id of fixture key `i`.
fn id(i: u8) -> AccountId {
    key(i).verifying_key().to_bytes()
}

/// A deterministic account id that has no key (only ever a recipient), or a cheap sender in property tests.
fn raw_id(n: u64) -> AccountId {
    Hash::of(&n.to_le_bytes()).0
}

/// An account with `balance` and `nonce`.
fn acct(balance: u64, nonce: u64) -> Account {
    Account { balance, nonce }
}

/// `accounts` raw-id accounts at nonce 0 for random workloads: account 0 nearly full (credits to it overflow),
/// account 1 empty, account i ≥ 2 holding `base + i × step`.
fn edge_genesis(accounts: u64, base: u64, step: u64) -> Vec<(AccountId, Account)> {
    (0..accounts)
        .map(|i| {
            let balance = match i {
                0 => u64::MAX - 1_000,
                1 => 0,
                _ => base + i * step,
            };
            (raw_id(i), acct(balance, 0))
        })
        .collect()
}

/// A signed transfer from fixture key `from`.
fn signed(from: u8, to: AccountId, amount: u64, fee: u64, nonce: u64) -> Transaction {
    Transaction::signed(&key(from), CHAIN, to, amount, fee, nonce, Vec::new())
}

/// An unsigned transfer (execution does not re-verify signatures), for fast property tests.
fn unsigned(sender: AccountId, recipient: AccountId, amount: u64, fee: u64, nonce: u64) -> Transaction {
    Transaction { chain_id: CHAIN, sender, recipient, amount, fee, nonce, memo: Vec::new(), signature: [0; 64] }
}

/// A committed block at `height` carrying `txs` (header fields other than height are placeholders).
fn block(height: Height, txs: Vec<Transaction>) -> Block {
    let header = BlockHeader {
        chain_id: CHAIN,
        height,
        epoch: 0,
        round: height,
        parent_hash: Hash::ZERO,
        parent_qc: QuorumCertificate::epoch_start(0, height.saturating_sub(1), Hash::ZERO, Hash::ZERO),
        proposer: 0,
        timestamp_ms: 0,
        tx_root: tx_root(&txs),
        tx_count: txs.len() as u32,
        exec_height: 0,
        exec_state_root: Hash::ZERO,
    };
    Block { header, txs: txs.into() }
}
