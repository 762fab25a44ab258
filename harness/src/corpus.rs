//! The load corpus: a funded genesis and every transaction of the run, signed before the timed window.
//!
//! Everything is a function of the seed: account i's key is derived from `blake3(seed, i)`, transaction i is
//! sent by account `i mod accounts` with the sender's next nonce (so each sender's nonces are sequential in
//! schedule order), to a recipient picked by `blake3(seed, i)`, scheduled at `i / rate`, and addressed to
//! validator `i mod n` (round-robin) or 0 (single).

use crate::config::{BenchConfig, SubmitTo};
use ed25519_dalek::SigningKey;
use hsbench_engine::crypto::ed25519_signing_key_from_seed;
use hsbench_engine::types::{Account, AccountId, Hash, Transaction};
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::time::Duration;

/// Key-derivation context of corpus accounts (distinct from every engine key context).
const ACCOUNT_KEY_CONTEXT: &str = "hsbench corpus 2025 account key v1";

/// Key-derivation context of recipient choice.
const RECIPIENT_CONTEXT: &str = "hsbench corpus 2025 recipient v1";

/// One pre-signed transaction and when and where to send it.
#[derive(Clone, Debug)]
pub struct ScheduledTx {
    /// Intended send time, from the start of the load.
    pub offset: Duration,
    /// Validator it is sent to.
    pub node: usize,
    /// Its id.
    pub hash: Hash,
    /// The signed transaction.
    pub tx: Transaction,
}

/// Genesis plus the schedule.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// Funded accounts.
    pub genesis: Vec<(AccountId, Account)>,
    /// Every transaction of the run, by intended send time.
    pub txs: Vec<ScheduledTx>,
}

/// Size of a transaction's canonical encoding with a memo of `memo_bytes`.
pub fn tx_encoded_len(memo_bytes: usize) -> usize {
    let tx = Transaction {
        chain_id: 0,
        sender: [0; 32],
        recipient: [0; 32],
        amount: 0,
        fee: 0,
        nonce: 0,
        memo: vec![0; memo_bytes],
        signature: [0; 64],
    };
    tx.encoded_len()
}

/// Account `index`'s signing key under `seed`.
pub fn account_key(seed: u64, index: u64) -> SigningKey {
    let mut material = [0u8; 16];
    material[..8].copy_from_slice(&seed.to_le_bytes());
    material[8..].copy_from_slice(&index.to_le_bytes());
    ed25519_signing_key_from_seed(blake3::derive_key(ACCOUNT_KEY_CONTEXT, &material))
}

/// Recipient of transaction `i`: any account but the sender.
fn recipient_index(seed: u64, i: u64, sender: usize, accounts: usize) -> usize {
    let mut material = [0u8; 16];
    material[..8].copy_from_slice(&seed.to_le_bytes());
    material[8..].copy_from_slice(&i.to_le_bytes());
    let digest = blake3::derive_key(RECIPIENT_CONTEXT, &material);
    let mut word = [0u8; 8];
    word.copy_from_slice(&digest[..8]);
    let pick = (u64::from_le_bytes(word) % (accounts as u64 - 1)) as usize;
    if pick >= sender { pick + 1 } else { pick }
}

/// Builds the corpus of a validated `config`, signing in parallel on the rayon pool; `progress` advances by
/// one per account key and one per transaction (its length is set here).
pub fn build(config: &BenchConfig, progress: &ProgressBar) -> Corpus {
    let work = &config.workload;
    let seed = config.run.seed;
    let accounts = work.accounts;
    let txs = config.corpus_len();
    progress.set_length(accounts as u64 + txs);

    let keys: Vec<SigningKey> = (0..accounts as u64)
        .into_par_iter()
        .map(|i| {
            let key = account_key(seed, i);
            progress.inc(1);
            key
        })
        .collect();
    let ids: Vec<AccountId> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
    let genesis = ids.iter().map(|id| (*id, Account { balance: work.initial_balance, nonce: 0 })).collect();

    let validators = config.cluster.validators;
    let rate = config.run.rate_tps;
    let chain_id = config.cluster.chain_id;
    let txs = (0..txs)
        .into_par_iter()
        .map(|i| {
            let sender = (i % accounts as u64) as usize;
            let nonce = i / accounts as u64;
            let recipient = ids[recipient_index(seed, i, sender, accounts)];
            let tx = Transaction::signed(
                &keys[sender],
                chain_id,
                recipient,
                work.amount,
                work.fee,
                nonce,
                vec![0; work.memo_bytes],
            );
            let node = match config.run.submit_to {
                SubmitTo::RoundRobin => (i % validators as u64) as usize,
                SubmitTo::Single => 0,
            };
            progress.inc(1);
            ScheduledTx { offset: Duration::from_secs_f64(i as f64 / rate), node, hash: tx.hash(), tx }
        })
        .collect();
    Corpus { genesis, txs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn small_config() -> BenchConfig {
        let mut c = BenchConfig::default();
        c.run.rate_tps = 100.0;
        c.run.duration_s = 1.0;
        c.run.warmup_s = 0.1;
        c.run.cooldown_s = 0.1;
        c.workload.accounts = 8;
        c.workload.memo_bytes = 3;
        c.cluster.chain_id = 9;
        c
    }

    #[test]
    fn deterministic_schedule_nonces_and_nodes() {
        let c = small_config();
        let a = build(&c, &ProgressBar::hidden());
        let b = build(&c, &ProgressBar::hidden());
        assert_eq!(a.txs.len(), 100);
        assert_eq!(a.genesis.len(), 8);
        assert!(a.txs.iter().zip(&b.txs).all(|(x, y)| x.hash == y.hash), "same seed, same corpus");

        let mut next_nonce: HashMap<AccountId, u64> = HashMap::new();
        let funded: HashSet<AccountId> = a.genesis.iter().map(|(id, _)| *id).collect();
        for (i, s) in a.txs.iter().enumerate() {
            assert_eq!(s.offset, Duration::from_secs_f64(i as f64 / 100.0));
            assert_eq!(s.node, i % 4);
            assert_eq!(s.hash, s.tx.hash());
            assert_eq!(s.tx.chain_id, 9);
            assert_eq!(s.tx.memo.len(), 3);
            assert_ne!(s.tx.sender, s.tx.recipient);
            assert!(funded.contains(&s.tx.sender) && funded.contains(&s.tx.recipient));
            let n = next_nonce.entry(s.tx.sender).or_default();
            assert_eq!(s.tx.nonce, *n, "per-sender nonces are sequential");
            *n += 1;
        }
        let hashes: HashSet<Hash> = a.txs.iter().map(|s| s.hash).collect();
        assert_eq!(hashes.len(), a.txs.len());

        let mut other = c.clone();
        other.run.seed = 2;
        assert_ne!(build(&other, &ProgressBar::hidden()).txs[0].hash, a.txs[0].hash);
    }

    #[test]
    fn single_target_and_signatures_verify() {
        let mut c = small_config();
        c.run.submit_to = SubmitTo::Single;
        let corpus = build(&c, &ProgressBar::hidden());
        assert!(corpus.txs.iter().all(|s| s.node == 0));
        for s in corpus.txs.iter().take(5) {
            let key = ed25519_dalek::VerifyingKey::from_bytes(&s.tx.sender).unwrap();
            let sig = ed25519_dalek::Signature::from_bytes(&s.tx.signature);
            key.verify_strict(&s.tx.signing_message(), &sig).unwrap();
        }
        assert_eq!(tx_encoded_len(3), corpus.txs[0].tx.encoded_len());
    }
}
