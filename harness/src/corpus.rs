//! The load corpus: a funded genesis and pre-signed transactions, signed in parallel before the timed window.
//!
//! Everything is a function of the seed and the `[workload]` knobs: account i's key is derived from
//! `blake3(seed, i)`; transaction i's sender, nonce and kind come from [`crate::loadgen::workload`] (uniform
//! skew: account `i mod accounts`, nonces sequential per sender in index order); its recipient is picked by
//! `blake3(seed, i)`. A corpus of n transactions is the first n of any longer one, which is what lets
//! [`crate::loadgen::cache`] serve many rates from one signed file.

use crate::config::{BenchConfig, SubmitTo, WorkloadConfig};
use crate::loadgen::schedule::intended_offsets;
use crate::loadgen::workload::{Slot, TxKind, plan_slots};
use ed25519_dalek::SigningKey;
use hsbench_engine::crypto::ed25519_signing_key_from_seed;
use hsbench_engine::types::{Account, AccountId, Hash, Transaction};
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;
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

/// Genesis plus the schedule (cluster mode).
#[derive(Clone, Debug)]
pub struct Corpus {
    /// Funded accounts.
    pub genesis: Vec<(AccountId, Account)>,
    /// Every transaction of the run, by intended send time.
    pub txs: Vec<ScheduledTx>,
}

/// Everything a corpus's content depends on (and nothing else: not the rate, not the schedule).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CorpusSpec {
    /// Seed of keys, recipients, skew and invalid draws.
    pub seed: u64,
    /// Chain id of every transaction.
    pub chain_id: u32,
    /// Accounts, balances, amounts, fees, memo size, skew and invalid mix (the `[workload]` section as is).
    pub workload: WorkloadConfig,
}

impl CorpusSpec {
    /// The spec of a configuration.
    pub fn of(config: &BenchConfig) -> Self {
        CorpusSpec { seed: config.run.seed, chain_id: config.cluster.chain_id, workload: config.workload.clone() }
    }

    /// Funded genesis of these accounts.
    pub fn genesis(&self, ids: &[AccountId]) -> Vec<(AccountId, Account)> {
        ids.iter().map(|id| (*id, Account { balance: self.workload.initial_balance, nonce: 0 })).collect()
    }
}

/// Pre-signed transactions without a schedule (node mode, ceiling search): index order is send order.
#[derive(Clone, Debug, Default)]
pub struct TxSet {
    /// Account ids (public keys), by account index.
    pub ids: Vec<AccountId>,
    /// The signed transactions.
    pub txs: Vec<Transaction>,
    /// What each transaction is meant to be.
    pub kinds: Vec<TxKind>,
}

/// Size of a transaction's canonical encoding with a memo of `memo_bytes`.
pub fn tx_encoded_len(memo_bytes: usize) -> usize {
    Transaction::encoded_len_with_memo(memo_bytes)
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

/// Transaction `i` of the corpus, signed by `key` (the key of `slot.sender`).
pub fn make_tx(spec: &CorpusSpec, ids: &[AccountId], key: &SigningKey, i: u64, slot: Slot) -> Transaction {
    let recipient = ids[recipient_index(spec.seed, i, slot.sender, spec.workload.accounts)];
    let amount = if slot.kind == TxKind::Overspend { u64::MAX / 2 } else { spec.workload.amount };
    let mut tx = Transaction::signed(
        key,
        spec.chain_id,
        recipient,
        amount,
        spec.workload.fee,
        slot.nonce,
        vec![0; spec.workload.memo_bytes],
    );
    if slot.kind == TxKind::BadSignature {
        tx.signature[0] ^= 1;
    }
    if !spec.workload.signatures {
        tx.signature = [0; 64]; // the signature-free payload mode: nothing checks it
    }
    tx
}

/// Derives every account key (in parallel); `progress` advances by one per key.
pub fn account_keys(spec: &CorpusSpec, progress: &ProgressBar) -> Vec<SigningKey> {
    (0..spec.workload.accounts as u64)
        .into_par_iter()
        .map(|i| {
            let key = account_key(spec.seed, i);
            progress.inc(1);
            key
        })
        .collect()
}

/// Signs transactions `0..count` in parallel; `progress` advances by one per key and per transaction (its
/// length is set here).
pub fn sign(spec: &CorpusSpec, count: u64, progress: &ProgressBar) -> TxSet {
    progress.set_length(spec.workload.accounts as u64 + count);
    let keys = account_keys(spec, progress);
    let ids: Vec<AccountId> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
    let slots = plan_slots(spec.workload.accounts, spec.seed, spec.workload.skew, &spec.workload.invalid, count);
    let txs = slots
        .par_iter()
        .enumerate()
        .map(|(i, slot)| {
            let tx = make_tx(spec, &ids, &keys[slot.sender], i as u64, *slot);
            progress.inc(1);
            tx
        })
        .collect();
    TxSet { ids, txs, kinds: slots.iter().map(|s| s.kind).collect() }
}

/// Builds the cluster-mode corpus of a validated `config`: the transactions of [`sign`] at the intended times
/// of `[run] profile`, addressed round-robin or to validator 0.
pub fn build(config: &BenchConfig, progress: &ProgressBar) -> Corpus {
    let spec = CorpusSpec::of(config);
    let offsets = intended_offsets(&config.run.profile, config.run.rate_tps, config.run.duration_s, u64::MAX);
    let set = sign(&spec, offsets.len() as u64, progress);
    let validators = config.cluster.validators;
    let txs = set
        .txs
        .into_iter()
        .zip(offsets)
        .enumerate()
        .map(|(i, (tx, offset))| {
            let node = match config.run.submit_to {
                SubmitTo::RoundRobin => i % validators,
                SubmitTo::Single => 0,
            };
            ScheduledTx { offset, node, hash: tx.hash(), tx }
        })
        .collect();
    Corpus { genesis: spec.genesis(&set.ids), txs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loadgen::workload::InvalidMix;
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
            assert_eq!(s.tx.sender, a.genesis[i % 8].0, "uniform skew: account i mod accounts");
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

    #[test]
    fn invalid_kinds_are_built_as_declared() {
        let mut c = small_config();
        c.workload.invalid = InvalidMix { bad_signature: 0.2, bad_nonce: 0.2, overspend: 0.2 };
        let spec = CorpusSpec::of(&c);
        let set = sign(&spec, 200, &ProgressBar::hidden());
        let prefix = sign(&spec, 50, &ProgressBar::hidden());
        assert_eq!(prefix.txs[..], set.txs[..50], "a shorter corpus is a prefix of a longer one");
        for (tx, kind) in set.txs.iter().zip(&set.kinds) {
            let key = ed25519_dalek::VerifyingKey::from_bytes(&tx.sender).unwrap();
            let sig = ed25519_dalek::Signature::from_bytes(&tx.signature);
            let sig_ok = key.verify_strict(&tx.signing_message(), &sig).is_ok();
            assert_eq!(sig_ok, *kind != TxKind::BadSignature, "{kind:?}");
            assert_eq!(tx.amount > c.workload.initial_balance, *kind == TxKind::Overspend);
            assert_eq!(tx.nonce >= crate::loadgen::workload::BAD_NONCE_GAP, *kind == TxKind::BadNonce);
        }
    }
}
