//! Collects signatures for one (round, value) until a quorum is reached.

use crate::types::{QuorumCertificate, ValidatorId};
use std::collections::BTreeMap;

/// Why a signature was not added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The signer already signed this value.
    Duplicate,
}

/// Verified signatures for one value, by committee position.
#[derive(Clone, Debug, Default)]
pub struct SignatureSet {
    sigs: BTreeMap<usize, (ValidatorId, Vec<u8>)>,
    /// Set once an aggregation was requested, so a certificate is built only once.
    pub aggregating: bool,
    /// Highest QC carried by the signatures (timeouts only).
    pub high_qc: Option<QuorumCertificate>,
}

impl SignatureSet {
    /// Whether `position` already signed.
    pub fn has(&self, position: usize) -> bool {
        self.sigs.contains_key(&position)
    }
    /// Adds a verified signature.
    pub fn add(&mut self, position: usize, signer: ValidatorId, signature: Vec<u8>) -> Result<usize, AddError> {
        if self.sigs.contains_key(&position) {
            return Err(AddError::Duplicate);
        }
        self.sigs.insert(position, (signer, signature));
        Ok(self.sigs.len())
    }
    /// Number of distinct signers.
    pub fn len(&self) -> usize {
        self.sigs.len()
    }
    /// True when nobody signed yet.
    pub fn is_empty(&self) -> bool {
        self.sigs.is_empty()
    }
    /// Positions and signatures in position order (the aggregation order of certificates).
    pub fn ordered(&self) -> impl Iterator<Item = (usize, ValidatorId, &Vec<u8>)> {
        self.sigs.iter().map(|(p, (v, s))| (*p, *v, s))
    }
}
