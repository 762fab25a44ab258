//! The vote signatures a node's verifier found valid lately, so a certificate the node builds from exactly those
//! signatures needs no pairing check of its own: each signature was verified over the certificate's message under
//! its signer's key (a key that passed its proof of possession and subgroup check at registration), so their sum
//! verifies under the sum of the keys by bilinearity. Checking it again spent one pairing check per certificate at
//! the collector, on the round's critical path. A certificate with any signature not found here is verified by a
//! pairing check as before, so a job naming another message or other signers than its signatures were verified for
//! still fails (`safety_rules_certificates`).

use crate::runtime::verdict_cache::{CheckKind, VerdictCache};
use crate::types::{Hash, ValidatorId};
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// Valid vote signatures remembered (oldest forgotten first): a few rounds of votes of a 4,096-member committee.
const KEPT: usize = 16_384;

/// Digests of (signer, message, signature) found valid; shared by a verifier's clones (a vote-crypto stage's
/// threads verify, the node thread aggregates).
#[derive(Debug, Default)]
pub(crate) struct VerifiedVotes {
    inner: Mutex<(HashSet<Hash>, VecDeque<Hash>)>,
}

impl VerifiedVotes {
    /// The digest naming one vote signature: the verdict cache's key for the same check.
    pub(crate) fn key(signer: ValidatorId, message: &[u8], signature: &[u8]) -> Hash {
        VerdictCache::key(CheckKind::Vote, &[&signer.to_le_bytes(), message, signature])
    }

    /// Remembers signatures found valid.
    pub(crate) fn insert(&self, keys: impl IntoIterator<Item = Hash>) {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (set, order) = &mut *guard;
        for key in keys {
            if set.insert(key) {
                order.push_back(key);
            }
            while order.len() > KEPT {
                if let Some(old) = order.pop_front() {
                    set.remove(&old);
                }
            }
        }
    }

    /// Whether every one of `keys` was found valid (false for none).
    pub(crate) fn contains_all(&self, keys: &[Hash]) -> bool {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        !keys.is_empty() && keys.iter().all(|k| guard.0.contains(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_latest_and_forgets_the_oldest() {
        let votes = VerifiedVotes::default();
        let key = |i: u32| VerifiedVotes::key(1, &i.to_le_bytes(), b"sig");
        votes.insert((0..KEPT as u32 + 2).map(key));
        assert!(!votes.contains_all(&[key(0)]) && !votes.contains_all(&[key(1)]), "the two oldest are forgotten");
        assert!(votes.contains_all(&[key(2), key(KEPT as u32 + 1)]));
        assert!(!votes.contains_all(&[key(2), VerifiedVotes::key(2, &2u32.to_le_bytes(), b"sig")]), "other signer");
        assert!(!votes.contains_all(&[]));
    }
}
