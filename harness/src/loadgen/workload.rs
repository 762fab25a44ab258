//! Who sends each transaction and whether it is meant to be valid: account skew (`uniform`, Zipf, hotspot) and
//! the invalid-transaction mix (bad signature, bad nonce, overspend).
//!
//! Every choice is a pure function of the seed and the transaction's index, so a corpus can be rebuilt or
//! extended bit for bit. Nonces follow from the sender choices in index order: a valid transaction takes its
//! sender's next nonce; an invalid one never consumes a nonce, so the valid transactions after it still fit.

use serde::{Deserialize, Serialize};

/// Key-derivation context of sender choice.
const SENDER_CONTEXT: &str = "hsbench corpus 2025 sender v1";

/// Key-derivation context of the invalid-transaction draw.
const KIND_CONTEXT: &str = "hsbench corpus 2025 tx kind v1";

/// How far beyond the sender's next nonce a bad-nonce transaction lies (far past any nonce window).
pub const BAD_NONCE_GAP: u64 = 1 << 32;

/// How senders are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Skew {
    /// Every account sends equally often: transaction i is sent by account `i mod accounts`.
    #[default]
    Uniform,
    /// Account of rank k (k = 1 …) sends with probability ∝ 1 / k^s (`{ zipf = s }`, s > 0).
    Zipf(f64),
    /// The first `fraction` of the accounts send `share` of the transactions.
    Hotspot {
        /// Fraction of accounts that are hot, in (0, 1).
        fraction: f64,
        /// Fraction of transactions they send, in [0, 1].
        share: f64,
    },
}

/// Fractions of deliberately invalid transactions (each in [0, 1], together at most 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InvalidMix {
    /// Signature with one bit flipped (rejected by sigverify).
    pub bad_signature: f64,
    /// Nonce [`BAD_NONCE_GAP`] past the sender's next one (rejected by the mempool's nonce window).
    pub bad_nonce: f64,
    /// Amount no account can afford (rejected as insufficient balance).
    pub overspend: f64,
}

impl InvalidMix {
    /// Sum of the fractions.
    pub fn total(&self) -> f64 {
        self.bad_signature + self.bad_nonce + self.overspend
    }
}

/// What a transaction of the corpus is meant to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TxKind {
    /// A transfer the node should commit.
    Valid,
    /// Signature with a flipped bit.
    BadSignature,
    /// Nonce far beyond the sender's next.
    BadNonce,
    /// Amount beyond any balance.
    Overspend,
}

/// A uniform draw in [0, 1) from `blake3(context, seed ‖ i)`.
pub fn unit_draw(context: &str, seed: u64, i: u64) -> f64 {
    let mut material = [0u8; 16];
    material[..8].copy_from_slice(&seed.to_le_bytes());
    material[8..].copy_from_slice(&i.to_le_bytes());
    let digest = blake3::derive_key(context, &material);
    let mut word = [0u8; 8];
    word.copy_from_slice(&digest[..8]);
    (u64::from_le_bytes(word) >> 11) as f64 / (1u64 << 53) as f64
}

/// Picks the sender of each transaction index.
#[derive(Clone, Debug)]
pub struct SenderPicker {
    accounts: usize,
    seed: u64,
    skew: Skew,
    /// Zipf only: cumulative weights by rank, normalised to end at 1.
    cdf: Vec<f64>,
}

impl SenderPicker {
    /// A picker over `accounts` (≥ 1) accounts.
    pub fn new(accounts: usize, seed: u64, skew: Skew) -> Self {
        let cdf = match skew {
            Skew::Zipf(s) => {
                let mut acc = 0.0;
                let mut cdf: Vec<f64> = (1..=accounts)
                    .map(|k| {
                        acc += 1.0 / (k as f64).powf(s);
                        acc
                    })
                    .collect();
                cdf.iter_mut().for_each(|c| *c /= acc);
                cdf
            }
            _ => Vec::new(),
        };
        SenderPicker { accounts, seed, skew, cdf }
    }

    /// Sender of transaction `i`.
    pub fn sender(&self, i: u64) -> usize {
        let n = self.accounts;
        match self.skew {
            Skew::Uniform => (i % n as u64) as usize,
            Skew::Zipf(_) => {
                let u = unit_draw(SENDER_CONTEXT, self.seed, i);
                self.cdf.partition_point(|c| *c <= u).min(n - 1)
            }
            Skew::Hotspot { fraction, share } => {
                let hot = ((fraction * n as f64).ceil() as usize).clamp(1, n);
                let u = unit_draw(SENDER_CONTEXT, self.seed, i);
                if u < share || hot == n {
                    // Reuse the draw: u / share is uniform in [0, 1) given u < share.
                    let v = if share > 0.0 { u / share } else { 0.0 };
                    ((v * hot as f64) as usize).min(hot - 1)
                } else {
                    let v = (u - share) / (1.0 - share);
                    hot + ((v * (n - hot) as f64) as usize).min(n - hot - 1)
                }
            }
        }
    }
}

/// What transaction `i` is meant to be under `mix`.
pub fn kind_of(mix: &InvalidMix, seed: u64, i: u64) -> TxKind {
    if mix.total() <= 0.0 {
        return TxKind::Valid;
    }
    let u = unit_draw(KIND_CONTEXT, seed, i);
    if u < mix.bad_signature {
        TxKind::BadSignature
    } else if u < mix.bad_signature + mix.bad_nonce {
        TxKind::BadNonce
    } else if u < mix.total() {
        TxKind::Overspend
    } else {
        TxKind::Valid
    }
}

/// Sender, nonce and kind of one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Sending account's index.
    pub sender: usize,
    /// Nonce it carries.
    pub nonce: u64,
    /// Valid or which kind of invalid.
    pub kind: TxKind,
}

/// Senders, nonces and kinds of transactions `0..count`, in index order (a prefix of a longer plan is the plan
/// of the shorter corpus).
pub fn plan_slots(accounts: usize, seed: u64, skew: Skew, mix: &InvalidMix, count: u64) -> Vec<Slot> {
    use rayon::prelude::*;
    let picker = SenderPicker::new(accounts, seed, skew);
    let draws: Vec<(usize, TxKind)> =
        (0..count).into_par_iter().map(|i| (picker.sender(i), kind_of(mix, seed, i))).collect();
    let mut next = vec![0u64; accounts];
    draws
        .into_iter()
        .map(|(sender, kind)| {
            let nonce = match kind {
                TxKind::Valid => {
                    let n = next[sender];
                    next[sender] += 1;
                    n
                }
                TxKind::BadNonce => next[sender] + BAD_NONCE_GAP,
                TxKind::BadSignature | TxKind::Overspend => next[sender],
            };
            Slot { sender, nonce, kind }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share_of_top(skew: Skew, accounts: usize, top: usize) -> f64 {
        let p = SenderPicker::new(accounts, 3, skew);
        let n = 20_000u64;
        (0..n).filter(|i| p.sender(*i) < top).count() as f64 / n as f64
    }

    #[test]
    fn uniform_is_round_robin() {
        let p = SenderPicker::new(5, 1, Skew::Uniform);
        assert_eq!((0..7).map(|i| p.sender(i)).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 0, 1]);
    }

    #[test]
    fn zipf_and_hotspot_concentrate_load() {
        // Zipf s = 1 over 100 accounts: rank 1 has 1/H(100) ≈ 19 %.
        let top = share_of_top(Skew::Zipf(1.0), 100, 1);
        assert!((0.16..0.22).contains(&top), "{top}");
        let hot = share_of_top(Skew::Hotspot { fraction: 0.1, share: 0.8 }, 100, 10);
        assert!((0.77..0.83).contains(&hot), "{hot}");
        let all = SenderPicker::new(100, 3, Skew::Hotspot { fraction: 0.1, share: 0.8 });
        assert!((0..5000).all(|i| all.sender(i) < 100));
    }

    #[test]
    fn nonces_are_sequential_for_valid_and_untouched_by_invalid() {
        let mix = InvalidMix { bad_signature: 0.1, bad_nonce: 0.1, overspend: 0.1 };
        let slots = plan_slots(7, 9, Skew::Zipf(1.2), &mix, 3000);
        let mut next = [0u64; 7];
        let mut counts = std::collections::HashMap::new();
        for s in &slots {
            *counts.entry(s.kind).or_insert(0) += 1;
            match s.kind {
                TxKind::Valid => {
                    assert_eq!(s.nonce, next[s.sender]);
                    next[s.sender] += 1;
                }
                TxKind::BadNonce => assert_eq!(s.nonce, next[s.sender] + BAD_NONCE_GAP),
                _ => assert_eq!(s.nonce, next[s.sender]),
            }
        }
        for kind in [TxKind::BadSignature, TxKind::BadNonce, TxKind::Overspend] {
            let share = counts[&kind] as f64 / 3000.0;
            assert!((0.07..0.13).contains(&share), "{kind:?}: {share}");
        }
        assert_eq!(plan_slots(7, 9, Skew::Zipf(1.2), &mix, 100), slots[..100], "prefix-stable");
    }
}
