//! The CPU verification backends (`cpu`, `cpu-batch`, `cpu-par`) behind [`VerifyBackend`].
//!
//! All three give identical verdicts; they differ only in how work is done:
//! `cpu` verifies one signature at a time, `cpu-batch` uses randomized batch equations with
//! bisection on the calling thread, `cpu-par` runs `cpu-batch` on rayon chunks.

use rayon::prelude::*;

use super::backend::{BlsItem, CpuBackendKind, Ed25519Item, VerifyBackend};
use super::bls::{BlsPublicKey, bls_verify, g2_subgroup_check};
use super::bls_aggregate::{aggregate_public_keys, aggregate_signatures, verify_same_message_aggregate};
use super::error::CryptoError;
use super::{bls_batch, bls_subgroup_batch, ed25519, ed25519_batch};
use crate::parallel::chunk_len;

/// Smallest Ed25519 chunk `cpu-par` hands to one thread: batch verification gets efficient
/// from about 64–128 signatures (FIELD-NOTES), so smaller chunks would waste the batching.
const PAR_MIN_CHUNK_ED25519: usize = 64;

/// A CPU backend of one kind.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CpuBackend {
    kind: CpuBackendKind,
}

impl CpuBackend {
    /// A backend that works the way `kind` says.
    pub(crate) fn new(kind: CpuBackendKind) -> Self {
        Self { kind }
    }
}

impl VerifyBackend for CpuBackend {
    fn name(&self) -> &'static str {
        self.kind.name()
    }

    fn verify_ed25519_batch(&self, items: &[Ed25519Item<'_>]) -> Vec<bool> {
        match self.kind {
            CpuBackendKind::Cpu => items.iter().map(ed25519::ed25519_verify).collect(),
            CpuBackendKind::CpuBatch => ed25519_batch::verify_batch_bisect(items),
            CpuBackendKind::CpuPar => items
                .par_chunks(chunk_len(items.len(), PAR_MIN_CHUNK_ED25519))
                .flat_map_iter(ed25519_batch::verify_batch_bisect)
                .collect(),
        }
    }

    fn verify_bls_same_message(&self, message: &[u8], items: &[BlsItem<'_>]) -> Vec<bool> {
        match self.kind {
            CpuBackendKind::Cpu => items.iter().map(|it| bls_verify(message, it.public_key, it.signature)).collect(),
            CpuBackendKind::CpuBatch => bls_batch::verify_same_message(message, items, false),
            CpuBackendKind::CpuPar => bls_batch::verify_same_message(message, items, true),
        }
    }

    fn verify_bls_aggregate(&self, message: &[u8], public_keys: &[&BlsPublicKey], aggregate: &[u8]) -> bool {
        verify_same_message_aggregate(message, public_keys, aggregate)
    }

    fn aggregate_g2(&self, signatures: &[&[u8]]) -> Result<[u8; 96], CryptoError> {
        aggregate_signatures(signatures)
    }

    fn aggregate_g1(&self, public_keys: &[&BlsPublicKey]) -> Result<BlsPublicKey, CryptoError> {
        aggregate_public_keys(public_keys)
    }

    fn subgroup_check_g2(&self, signatures: &[&[u8]]) -> Vec<bool> {
        match self.kind {
            CpuBackendKind::Cpu => signatures.iter().map(|s| g2_subgroup_check(s)).collect(),
            CpuBackendKind::CpuBatch | CpuBackendKind::CpuPar => {
                let parallel = matches!(self.kind, CpuBackendKind::CpuPar);
                bls_subgroup_batch::decode_in_g2(signatures, parallel).iter().map(Option::is_some).collect()
            }
        }
    }
}
