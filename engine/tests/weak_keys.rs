//! Under the cofactored Ed25519 rule a small-order public key "signs" every message with `(R = small-order
//! point, S = 0)`. Validator keys of small order are refused at registration; transaction accounts are the
//! other key store, so a transaction from (or creating) a small-order account must be refused too, or anyone
//! could spend such an account's funds.

mod common;

use common::*;
use hsbench_engine::crypto::{CpuBackendKind, Ed25519Item, cpu_backend};
use hsbench_engine::sim::{Cluster, TxStatus};
use hsbench_engine::types::{Account, Transaction};
use std::time::Duration;

/// The identity point (y = 1): order 1, the simplest small-order key.
const IDENTITY: [u8; 32] = {
    let mut y = [0u8; 32];
    y[0] = 1;
    y
};

/// A transfer "signed" by the small-order key: R = identity, S = 0, valid for any message under the rule.
fn forged_transfer(to: [u8; 32]) -> Transaction {
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(&IDENTITY);
    Transaction {
        chain_id: CHAIN,
        sender: IDENTITY,
        recipient: to,
        amount: 500,
        fee: 1,
        nonce: 0,
        memo: Vec::new(),
        signature,
    }
}

#[test]
fn the_forgery_verifies_under_the_cofactored_rule() {
    // The threat is real: every backend accepts the signature, so admission must refuse the key.
    let tx = forged_transfer(account_key(1).verifying_key().to_bytes());
    let message = tx.signing_message();
    let item = Ed25519Item { public_key: &tx.sender, message: &message, signature: &tx.signature };
    assert_eq!(cpu_backend(CpuBackendKind::Cpu).verify_ed25519_batch(&[item]), vec![true]);
}

#[test]
fn a_transaction_from_a_small_order_account_is_refused_and_never_commits() {
    let mut cfg = config(4, 91);
    cfg.chain.genesis_accounts.push((IDENTITY, Account { balance: 1_000, nonce: 0 }));
    let mut c = Cluster::new(cfg).expect("cluster");
    let tx = forged_transfer(account_key(1).verifying_key().to_bytes());
    let hash = tx.hash();
    c.submit(0, tx);
    c.run_for(Duration::from_secs(2));
    let events: Vec<_> = c.drain_tx_events().into_iter().filter(|e| e.tx_hash == hash).collect();
    assert!(
        !events.iter().any(|e| matches!(e.status, TxStatus::Committed { .. })),
        "a forged transfer from a small-order account committed: {events:?}"
    );
    assert!(events.iter().any(|e| matches!(e.status, TxStatus::Rejected(_))), "no rejection reported: {events:?}");
}

#[test]
fn a_transfer_creating_a_small_order_account_is_refused() {
    let mut c = Cluster::new(config(4, 92)).expect("cluster");
    let tx = Transaction::signed(&account_key(0), CHAIN, IDENTITY, 10, 1, 0, Vec::new());
    let hash = tx.hash();
    c.submit(0, tx);
    c.run_for(Duration::from_secs(2));
    let events: Vec<_> = c.drain_tx_events().into_iter().filter(|e| e.tx_hash == hash).collect();
    assert!(!events.iter().any(|e| matches!(e.status, TxStatus::Committed { .. })), "{events:?}");
    assert!(events.iter().any(|e| matches!(e.status, TxStatus::Rejected(_))), "{events:?}");
}
