//! Fault injection: a storage that fails on demand, so tests and the simulator can check what a node does when
//! a write is refused (persist-before-send must hold on failure too).

use super::{CommittedBlock, Recovered, SafetyState, Storage, StorageError};
use crate::types::{Account, AccountId, Block, Epoch, Hash, Height, QuorumCertificate};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The switches of one [`FaultyStorage`], shared with whoever injects the faults.
#[derive(Debug, Default)]
pub struct StorageFaults {
    /// Every safety-state save fails with a database error and changes nothing.
    pub fail_safety: AtomicBool,
    /// Every block commit fails with a database error and changes nothing.
    pub fail_commits: AtomicBool,
    /// Block commits are acknowledged but held in memory, not written, as when a storage stage lags behind
    /// consensus; they are written once the switch is off again, and lost if the storage is dropped first
    /// (a crash). Safety-state saves stay synchronous.
    pub lag_commits: AtomicBool,
}

/// A commit held back by [`StorageFaults::lag_commits`].
struct HeldCommit {
    block: Block,
    qc: QuorumCertificate,
    commit_proof: Option<(Block, QuorumCertificate)>,
    state_root: Hash,
    changed_accounts: Vec<(AccountId, Account)>,
    epoch: Epoch,
}

/// Wraps another storage and fails or delays its writes as its [`StorageFaults`] say. Reads pass through
/// (held commits are not visible to them, as they would not be on disk).
pub struct FaultyStorage {
    inner: Box<dyn Storage>,
    faults: Arc<StorageFaults>,
    held: Vec<HeldCommit>,
}

impl FaultyStorage {
    /// `inner`, with writes failing or lagging whenever `faults` say so.
    pub fn new(inner: Box<dyn Storage>, faults: Arc<StorageFaults>) -> Self {
        FaultyStorage { inner, faults, held: Vec::new() }
    }

    fn check(&self, switch: &AtomicBool, what: &str) -> Result<(), StorageError> {
        if switch.load(Ordering::Relaxed) {
            return Err(StorageError::Db(format!("injected write failure ({what})")));
        }
        Ok(())
    }

    fn write_held(&mut self) -> Result<(), StorageError> {
        for h in std::mem::take(&mut self.held) {
            self.inner.commit_block(&CommittedBlock {
                block: &h.block,
                qc: &h.qc,
                commit_proof: h.commit_proof.as_ref().map(|(b, q)| (b, q)),
                state_root: h.state_root,
                changed_accounts: &h.changed_accounts,
                epoch: h.epoch,
            })?;
        }
        Ok(())
    }
}

impl Storage for FaultyStorage {
    fn commit_block(&mut self, c: &CommittedBlock<'_>) -> Result<(), StorageError> {
        self.check(&self.faults.fail_commits, "commit_block")?;
        if self.faults.lag_commits.load(Ordering::Relaxed) {
            self.held.push(HeldCommit {
                block: c.block.clone(),
                qc: c.qc.clone(),
                commit_proof: c.commit_proof.map(|(b, q)| (b.clone(), q.clone())),
                state_root: c.state_root,
                changed_accounts: c.changed_accounts.to_vec(),
                epoch: c.epoch,
            });
            return Ok(());
        }
        self.write_held()?;
        self.inner.commit_block(c)
    }

    fn save_safety(&mut self, s: &SafetyState) -> Result<(), StorageError> {
        self.check(&self.faults.fail_safety, "save_safety")?;
        self.inner.save_safety(s)
    }

    fn recover(&self) -> Result<Option<Recovered>, StorageError> {
        self.inner.recover()
    }

    fn block_at(&self, height: Height) -> Result<Option<(Block, QuorumCertificate)>, StorageError> {
        self.inner.block_at(height)
    }

    fn certificate_at(&self, height: Height) -> Result<Option<QuorumCertificate>, StorageError> {
        self.inner.certificate_at(height)
    }

    fn commit_proof_at(&self, height: Height) -> Result<Option<(Block, QuorumCertificate)>, StorageError> {
        self.inner.commit_proof_at(height)
    }

    fn height_of(&self, hash: &Hash) -> Result<Option<Height>, StorageError> {
        self.inner.height_of(hash)
    }

    fn committed_height(&self) -> Height {
        self.inner.committed_height()
    }

    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
}
