//! Durable ledger, account state and node metadata.
//!
//! [`Storage`] is what the node's storage stage writes committed blocks to and what a node reads on start.
//! Two implementations share one contract (and one test suite, in `tests.rs`):
//! - [`MemoryStorage`]: plain maps, for the deterministic simulator (cloneable, so a simulated node can
//!   "crash" and restart from a copy of its storage);
//! - [`RedbStorage`]: an embedded ACID database file (redb); every commit is one fsync'd write transaction.
//!
//! Genesis (height 0) is never stored: it is rebuilt from configuration, and the first block committed
//! through [`Storage::commit_block`] has height 1. The stored accounts are those written by commits, so the
//! recovered state is the genesis state overlaid with [`Recovered::accounts`].

mod account_log;
mod durable;
mod error;
mod faulty;
mod memory;

#[cfg(test)]
mod tests;

pub use durable::RedbStorage;
pub use error::StorageError;
pub use faulty::{FaultyStorage, StorageFaults};
pub use memory::MemoryStorage;

use crate::types::{Account, AccountId, Block, Epoch, Hash, Height, QuorumCertificate, Round, SafetyState};

/// Everything written when one block commits, in ONE write transaction (group commit).
#[derive(Clone, Copy, Debug)]
pub struct CommittedBlock<'a> {
    /// The committed block.
    pub block: &'a Block,
    /// The QC certifying this block.
    pub qc: &'a QuorumCertificate,
    /// Child block + its QC proving the commit; the node passes it for the last block of an epoch (sync
    /// needs it to hand a new epoch's committee a verifiable starting point).
    pub commit_proof: Option<(&'a Block, &'a QuorumCertificate)>,
    /// State root after executing this block.
    pub state_root: Hash,
    /// Accounts whose state this block changed, with their new state.
    pub changed_accounts: &'a [(AccountId, Account)],
    /// Epoch the node is in after this commit.
    pub epoch: Epoch,
}

/// What a node finds on start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    /// Highest committed height; 0 when only a safety state was saved.
    pub committed_height: Height,
    /// State root after `committed_height`; [`Hash::ZERO`] when no block was committed (use genesis).
    pub state_root: Hash,
    /// Epoch the node was in after its last commit; 0 when no block was committed.
    pub epoch: Epoch,
    /// The block at `committed_height` and its certifying QC; None when no block was committed.
    pub last_block: Option<(Block, QuorumCertificate)>,
    /// Every account written by a commit, latest value, sorted by id (overlay on the genesis state).
    pub accounts: Vec<(AccountId, Account)>,
    /// The last saved safety state.
    pub safety: Option<SafetyState>,
}

/// Durable ledger + state + metadata of one node.
pub trait Storage: Send {
    /// Writes block, QC, commit proof, accounts and metadata (committed height, state root, epoch)
    /// atomically: all of it in one write transaction, so a process that dies mid-commit recovers either the
    /// state before this block or the state after it, never a mix.
    ///
    /// Heights must be consecutive (committed height + 1) else [`StorageError::OutOfOrder`]; the QC must
    /// certify the block, the block must extend the committed block, and a commit proof must be a certified
    /// child of the block, else [`StorageError::Invalid`]. A rejected commit writes nothing.
    fn commit_block(&mut self, c: &CommittedBlock<'_>) -> Result<(), StorageError>;

    /// Persists the safety state durably before returning (fsync'd commit for the durable impl).
    /// Refuses ([`StorageError::SafetyRegression`]) a state ranked below the stored one.
    fn save_safety(&mut self, s: &SafetyState) -> Result<(), StorageError>;

    /// Recovers the committed height, state and safety state from one consistent snapshot; None when the
    /// store is empty (fresh node: start from genesis). A record that does not decode or contradicts the
    /// metadata is a [`StorageError::Corrupt`].
    fn recover(&self) -> Result<Option<Recovered>, StorageError>;

    /// Block (with its certifying QC) at a committed height.
    fn block_at(&self, height: Height) -> Result<Option<(Block, QuorumCertificate)>, StorageError>;

    /// The QC certifying the committed block at a height, without reading the block.
    fn certificate_at(&self, height: Height) -> Result<Option<QuorumCertificate>, StorageError>;

    /// Rounds of the committed blocks of `epoch`, ascending: from the committed tip down while the blocks are of
    /// that epoch (one QC read each). Leader reputation replays them on restart.
    fn committed_rounds(&self, epoch: Epoch) -> Result<Vec<Round>, StorageError> {
        let mut rounds = Vec::new();
        let mut height = self.committed_height();
        while height > 0 {
            match self.certificate_at(height)? {
                Some(qc) if qc.epoch == epoch => rounds.push(qc.round),
                _ => break,
            }
            height -= 1;
        }
        rounds.reverse();
        Ok(rounds)
    }

    /// Commit proof (child block + its QC) stored for a height, if any.
    fn commit_proof_at(&self, height: Height) -> Result<Option<(Block, QuorumCertificate)>, StorageError>;

    /// Height lookup by block hash (committed blocks only).
    fn height_of(&self, hash: &Hash) -> Result<Option<Height>, StorageError>;

    /// Highest committed height; 0 for an empty store.
    fn committed_height(&self) -> Height;

    /// Short name for reports: "memory" | "redb".
    fn kind(&self) -> &'static str;
}

/// Checks a commit against the ledger before anything is written; returns the block's hash.
/// `height_of` looks a block hash up in the committed ledger.
fn validate_commit(
    c: &CommittedBlock<'_>,
    committed: Height,
    height_of: impl FnOnce(&Hash) -> Result<Option<Height>, StorageError>,
) -> Result<Hash, StorageError> {
    let height = c.block.header.height;
    let expected = committed + 1;
    if height != expected {
        return Err(StorageError::OutOfOrder { expected, got: height });
    }
    let hash = c.block.hash();
    if c.qc.block_hash != hash || c.qc.height != height {
        return Err(StorageError::invalid(
            "qc",
            format!("certifies {} at height {}, block is {hash} at height {height}", c.qc.block_hash, c.qc.height),
        ));
    }
    if let Some((child, child_qc)) = c.commit_proof {
        if child.header.parent_hash != hash || child.header.height != height + 1 {
            return Err(StorageError::invalid(
                "commit proof",
                format!(
                    "block at height {} with parent {} is not a child of {hash}",
                    child.header.height, child.header.parent_hash
                ),
            ));
        }
        let child_hash = child.hash();
        if child_qc.block_hash != child_hash || child_qc.height != child.header.height {
            return Err(StorageError::invalid(
                "commit proof qc",
                format!("certifies {} at height {}, child is {child_hash}", child_qc.block_hash, child_qc.height),
            ));
        }
    }
    if committed > 0 {
        let parent = c.block.header.parent_hash;
        let found = height_of(&parent)?;
        if found != Some(committed) {
            return Err(StorageError::invalid(
                "block",
                format!(
                    "parent {parent} of height {height} is not the committed block at height {committed} (found at {found:?})"
                ),
            ));
        }
    }
    Ok(hash)
}

/// `accounts` in id order: how a store hands its accounts to recovery (and how the redb checkpoint is written),
/// whatever map gathered them.
fn sorted_by_id(accounts: impl IntoIterator<Item = (AccountId, Account)>) -> Vec<(AccountId, Account)> {
    let mut accounts: Vec<(AccountId, Account)> = accounts.into_iter().collect();
    accounts.sort_unstable_by_key(|(id, _)| *id);
    accounts
}

/// Refuses a safety state ranked below the stored one.
fn check_safety(stored: Option<&SafetyState>, new: &SafetyState) -> Result<(), StorageError> {
    match stored {
        Some(old) if new.rank() < old.rank() => Err(StorageError::SafetyRegression {
            stored_epoch: old.epoch,
            stored_round: old.last_voted_round,
            epoch: new.epoch,
            round: new.last_voted_round,
        }),
        _ => Ok(()),
    }
}
