//! In-memory storage for the deterministic simulator.

use super::{
    CommittedBlock, Recovered, SafetyState, Storage, StorageError, check_safety, sorted_by_id, validate_commit,
};
use crate::types::{Account, AccountId, Block, Epoch, Hash, Height, KeyedMap, QuorumCertificate};
use std::collections::HashMap;

/// Storage held in plain maps. Nothing survives the process, but a clone is a complete snapshot: the
/// simulator "crashes" a node by dropping it and restarts it from a clone of its storage.
#[derive(Clone, Debug, Default)]
pub struct MemoryStorage {
    /// Block and certifying QC at height `i + 1`.
    blocks: Vec<(Block, QuorumCertificate)>,
    commit_proofs: HashMap<Height, (Block, QuorumCertificate)>,
    height_by_hash: HashMap<Hash, Height>,
    /// Latest state of every account a block changed (a hash map: each commit writes its changed accounts, and only
    /// recovery reads them all, sorted then).
    accounts: KeyedMap<AccountId, Account>,
    state_root: Hash,
    epoch: Epoch,
    safety: Option<SafetyState>,
}

impl MemoryStorage {
    /// An empty store (a fresh node).
    pub fn new() -> Self {
        Self::default()
    }

    fn height(&self) -> Height {
        self.blocks.len() as Height
    }
}

impl Storage for MemoryStorage {
    fn commit_block(&mut self, c: &CommittedBlock<'_>) -> Result<(), StorageError> {
        let hash = validate_commit(c, self.height(), |h| Ok(self.height_by_hash.get(h).copied()))?;
        let height = c.block.header.height;
        self.blocks.push((c.block.clone(), c.qc.clone()));
        self.height_by_hash.insert(hash, height);
        if let Some((child, child_qc)) = c.commit_proof {
            self.commit_proofs.insert(height, (child.clone(), child_qc.clone()));
        }
        self.accounts.extend(c.changed_accounts.iter().copied());
        self.state_root = c.state_root;
        self.epoch = c.epoch;
        Ok(())
    }

    fn save_safety(&mut self, s: &SafetyState) -> Result<(), StorageError> {
        check_safety(self.safety.as_ref(), s)?;
        self.safety = Some(s.clone());
        Ok(())
    }

    fn recover(&self) -> Result<Option<Recovered>, StorageError> {
        if self.blocks.is_empty() && self.safety.is_none() {
            return Ok(None);
        }
        Ok(Some(Recovered {
            committed_height: self.height(),
            state_root: self.state_root,
            epoch: self.epoch,
            last_block: self.blocks.last().cloned(),
            accounts: sorted_by_id(self.accounts.iter().map(|(id, a)| (*id, *a))),
            safety: self.safety.clone(),
        }))
    }

    fn block_at(&self, height: Height) -> Result<Option<(Block, QuorumCertificate)>, StorageError> {
        let idx = height.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        Ok(idx.and_then(|i| self.blocks.get(i)).cloned())
    }

    fn certificate_at(&self, height: Height) -> Result<Option<QuorumCertificate>, StorageError> {
        Ok(self.block_at(height)?.map(|(_, qc)| qc))
    }

    fn commit_proof_at(&self, height: Height) -> Result<Option<(Block, QuorumCertificate)>, StorageError> {
        Ok(self.commit_proofs.get(&height).cloned())
    }

    fn height_of(&self, hash: &Hash) -> Result<Option<Height>, StorageError> {
        Ok(self.height_by_hash.get(hash).copied())
    }

    fn committed_height(&self) -> Height {
        self.height()
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}
