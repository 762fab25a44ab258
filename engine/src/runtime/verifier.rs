//! Signature verification and certificate aggregation of one node: its vote crypto, its verification backend and
//! (in the simulator, and in node mode's committee) a verdict cache. Held by [`super::NodeServices`]; cheap to
//! clone, so a vote-crypto stage's threads each get their own.

use crate::crypto::{Ed25519Item, VerifyBackend, VoteCrypto};
use crate::protocol::work::{AggregateJob, AggregateOutput, Ed25519Check, VerifyJob, VerifyVerdicts, VoteCheck};
use crate::runtime::verdict_cache::{CheckKind, VerdictCache};
use crate::types::{Hash, ValidatorId};
use std::collections::HashMap;
use std::sync::Arc;

/// Checks signatures and builds certificates for one node.
#[derive(Clone)]
pub struct Verifier {
    votes: VoteCrypto,
    backend: Arc<dyn VerifyBackend>,
    cache: Option<Arc<VerdictCache>>,
}

impl Verifier {
    /// A verifier over the node's vote crypto and verification backend, without a verdict cache.
    pub fn new(votes: VoteCrypto, backend: Arc<dyn VerifyBackend>) -> Self {
        Verifier { votes, backend, cache: None }
    }

    /// Answers repeated signature checks from `cache`.
    pub fn with_verdict_cache(mut self, cache: Arc<VerdictCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Verdicts for every signature in a job, through the configured backend (and the verdict cache, if any).
    pub fn verify(&self, job: &VerifyJob) -> VerifyVerdicts {
        self.verify_many(std::slice::from_ref(job)).pop().unwrap_or_default()
    }

    /// Verdicts for every signature of several jobs, one per job in order, batched across them: every Ed25519
    /// check in one backend batch, and the vote signatures grouped by the message they sign — one same-message
    /// batch per group (BLS: aggregated public keys and one pairing, bisecting on failure) instead of one check
    /// per vote. Each verdict is the one a check of that signature alone would give.
    pub fn verify_many(&self, jobs: &[VerifyJob]) -> Vec<VerifyVerdicts> {
        let ed25519_checks: Vec<&Ed25519Check> = jobs.iter().flat_map(|j| &j.ed25519).collect();
        let mut ed25519 = self.verify_ed25519(&ed25519_checks).into_iter();
        let vote_checks: Vec<&VoteCheck> = jobs.iter().flat_map(|j| &j.votes).collect();
        let mut votes = self.verify_votes(&vote_checks).into_iter();
        jobs.iter()
            .map(|job| VerifyVerdicts {
                id: job.id,
                ed25519: ed25519.by_ref().take(job.ed25519.len()).collect(),
                votes: votes.by_ref().take(job.votes.len()).collect(),
                aggregates: job
                    .aggregates
                    .iter()
                    .map(|a| self.verify_aggregate(&a.message, &a.signers, &a.aggregate))
                    .collect(),
            })
            .collect()
    }

    /// Vote verdicts in order: those the verdict cache knows from it, the rest grouped by message, one
    /// same-message batch per group.
    fn verify_votes(&self, checks: &[&VoteCheck]) -> Vec<bool> {
        let key = |i: usize| {
            let v = checks[i];
            VerdictCache::key(CheckKind::Vote, &[&v.signer.to_le_bytes(), &v.message, &v.signature])
        };
        self.through_cache(checks.len(), key, |misses| {
            let mut groups: HashMap<&[u8], Vec<usize>> = HashMap::new();
            for (at, &i) in misses.iter().enumerate() {
                groups.entry(checks[i].message.as_slice()).or_default().push(at);
            }
            let mut fresh = vec![false; misses.len()];
            for (message, members) in groups {
                let signed: Vec<(ValidatorId, &[u8])> = members
                    .iter()
                    .map(|&at| (checks[misses[at]].signer, checks[misses[at]].signature.as_slice()))
                    .collect();
                for (&at, ok) in members.iter().zip(self.votes.verify_votes(message, &signed)) {
                    fresh[at] = ok;
                }
            }
            fresh
        })
    }

    /// Ed25519 verdicts of `checks` as one batch through the backend; with a verdict cache, only the checks it has
    /// not seen go to the backend.
    fn verify_ed25519(&self, checks: &[&Ed25519Check]) -> Vec<bool> {
        let key = |i: usize| {
            let c = checks[i];
            VerdictCache::key(CheckKind::Ed25519, &[&c.public_key, &c.message, &c.signature])
        };
        self.through_cache(checks.len(), key, |misses| {
            if misses.is_empty() {
                return Vec::new();
            }
            let items: Vec<Ed25519Item<'_>> = misses
                .iter()
                .map(|&i| Ed25519Item {
                    public_key: &checks[i].public_key,
                    message: &checks[i].message,
                    signature: &checks[i].signature,
                })
                .collect();
            let mut verdicts = self.backend.verify_ed25519_batch(&items);
            verdicts.resize(misses.len(), false); // a backend answering too few fails the rest
            verdicts
        })
    }

    /// Verdicts of `n` checks in order: those the verdict cache knows (the keys, `key(i)`, are only computed when
    /// there is a cache) from it, the rest from `fresh`, which answers the missing indices in the order given;
    /// fresh verdicts are stored in the cache.
    fn through_cache(
        &self,
        n: usize,
        key: impl Fn(usize) -> Hash,
        fresh: impl FnOnce(&[usize]) -> Vec<bool>,
    ) -> Vec<bool> {
        let keys: Option<Vec<Hash>> = self.cache.as_ref().map(|_| (0..n).map(key).collect());
        let mut verdicts: Vec<Option<bool>> = match (&self.cache, &keys) {
            (Some(cache), Some(keys)) => keys.iter().map(|k| cache.get(k)).collect(),
            _ => vec![None; n],
        };
        let misses: Vec<usize> = (0..n).filter(|&i| verdicts[i].is_none()).collect();
        for (&i, ok) in misses.iter().zip(fresh(&misses)) {
            if let (Some(cache), Some(keys)) = (&self.cache, &keys) {
                cache.put(keys[i], ok);
            }
            verdicts[i] = Some(ok);
        }
        verdicts.into_iter().map(|v| v.unwrap_or(false)).collect()
    }

    fn verify_aggregate(&self, message: &[u8], signers: &[ValidatorId], aggregate: &[u8]) -> bool {
        let key = || {
            let ids: Vec<u8> = signers.iter().flat_map(|s| s.to_le_bytes()).collect();
            VerdictCache::key(CheckKind::Aggregate, &[&ids, message, aggregate])
        };
        self.cached(key, || self.votes.verify_aggregate(message, signers, aggregate))
    }

    /// `verify()` through the verdict cache when there is one; the cache key is only computed then, so a runtime
    /// without a cache (every production path) pays nothing for it.
    fn cached(&self, key: impl FnOnce() -> Hash, verify: impl FnOnce() -> bool) -> bool {
        match &self.cache {
            Some(cache) => cache.get_or_verify(key(), verify),
            None => verify(),
        }
    }

    /// Aggregates the job's signatures and verifies the result against its message and signers before handing
    /// it back: a certificate this node built is checked like one it received.
    pub fn aggregate(&self, job: &AggregateJob) -> AggregateOutput {
        let sigs: Vec<&[u8]> = job.signatures.iter().map(Vec::as_slice).collect();
        let aggregate = self.votes.aggregate(&sigs).map_err(|e| e.to_string()).and_then(|agg| {
            if self.verify_aggregate(&job.message, &job.signers, &agg) {
                Ok(agg)
            } else {
                Err(format!("the aggregate of {} signatures does not verify", job.signers.len()))
            }
        });
        AggregateOutput { id: job.id, aggregate }
    }
}
