//! `[workload]`: the funded accounts and the transfers they send, and the checks on them (some against the
//! mempool's and provisioning's size limits, and the funding against the corpus length).

use super::{Check, invalid};
use crate::loadgen::workload::{InvalidMix, Skew};
use hsbench_engine::types::transaction::MAX_MEMO_BYTES;
use serde::{Deserialize, Serialize};

/// `[workload]`: the funded accounts and the transfers they send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadConfig {
    /// Funded accounts at genesis; transaction i is sent by account i mod accounts.
    pub accounts: usize,
    /// Balance of every account at genesis.
    pub initial_balance: u64,
    /// Amount of every transfer.
    pub amount: u64,
    /// Fee of every transfer.
    pub fee: u64,
    /// Memo length (bytes), to vary transaction size.
    pub memo_bytes: usize,
    /// Sender skew: `"uniform"`, `{ zipf = s }`, `{ hotspot = { fraction, share } }`.
    pub skew: Skew,
    /// Fractions of deliberately invalid transactions.
    pub invalid: InvalidMix,
    /// `false`: the signature-free payload mode — transactions carry no signature (all zeros) and no node checks
    /// one, so consensus, network and execution cost can be compared with harnesses that send unsigned payloads.
    /// Labelled in every output and in the fingerprint (`payload`).
    pub signatures: bool,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            accounts: 1024,
            initial_balance: 1_000_000_000,
            amount: 1,
            fee: 1,
            memo_bytes: 0,
            skew: Skew::Uniform,
            invalid: InvalidMix::default(),
            signatures: true,
        }
    }
}

impl WorkloadConfig {
    /// Accounts, memo size (also against `max_tx_bytes` of `[mempool]` and `max_block_bytes` of `[provisioning]`:
    /// a transaction that cannot enter a block stalls the run), skew and invalid mix.
    pub fn validate(&self, max_tx_bytes: usize, max_block_bytes: usize) -> Check {
        let work = self;
        if work.accounts < 2 {
            return invalid(
                "workload.accounts",
                format!("must be at least 2 (a sender and a recipient), got {}", work.accounts),
            );
        }
        if work.memo_bytes > MAX_MEMO_BYTES {
            return invalid(
                "workload.memo_bytes",
                format!("must be at most {MAX_MEMO_BYTES}, got {}", work.memo_bytes),
            );
        }
        let tx_bytes = crate::corpus::tx_encoded_len(work.memo_bytes);
        if tx_bytes > max_tx_bytes {
            return invalid(
                "workload.memo_bytes",
                format!("transactions of {tx_bytes} bytes exceed mempool.max_tx_bytes ({max_tx_bytes})"),
            );
        }
        if tx_bytes > max_block_bytes {
            return invalid(
                "workload.memo_bytes",
                format!("transactions of {tx_bytes} bytes exceed provisioning.max_block_bytes ({max_block_bytes})"),
            );
        }
        match work.skew {
            Skew::Uniform => {}
            Skew::Zipf(s) if s.is_finite() && s > 0.0 => {}
            Skew::Hotspot { fraction, share } if fraction > 0.0 && fraction < 1.0 && (0.0..=1.0).contains(&share) => {}
            _ => {
                return invalid(
                    "workload.skew",
                    "zipf needs s > 0; hotspot needs 0 < fraction < 1 and 0 ≤ share ≤ 1".to_string(),
                );
            }
        }
        let mix = &work.invalid;
        for (key, value) in [
            ("workload.invalid.bad_signature", mix.bad_signature),
            ("workload.invalid.bad_nonce", mix.bad_nonce),
            ("workload.invalid.overspend", mix.overspend),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return invalid(key, format!("must be a fraction in [0, 1] (got {value})"));
            }
        }
        if !work.signatures && mix.bad_signature > 0.0 {
            return invalid(
                "workload.invalid.bad_signature",
                "must be 0 with signatures = false: no node checks a signature in the signature-free mode".to_string(),
            );
        }
        if mix.total() > 1.0 {
            return invalid("workload.invalid", format!("fractions add up to {} > 1", mix.total()));
        }
        Ok(())
    }

    /// Every account can pay for the transfers it sends out of a corpus of `txs` transactions: a skewed sender
    /// may send every transaction, a uniform one sends its share.
    pub fn validate_funding(&self, txs: u64) -> Check {
        let per_sender = if self.skew == Skew::Uniform { txs.div_ceil(self.accounts as u64) } else { txs };
        let cost = self.amount.checked_add(self.fee).and_then(|c| c.checked_mul(per_sender));
        if cost.is_none_or(|cost| cost > self.initial_balance) {
            return invalid(
                "workload.initial_balance",
                format!(
                    "{} cannot pay for {per_sender} transfers of amount + fee = {} per account; raise it or add accounts",
                    self.initial_balance,
                    self.amount.saturating_add(self.fee)
                ),
            );
        }
        Ok(())
    }
}
