//! Delegated work: the expensive jobs a node hands to its runtime, and their results.
//!
//! Jobs carry plain data (no references into the node), so a runtime may batch them, run them on other cores,
//! or hand them to a GPU backend.

use crate::types::{Account, AccountId, Block, Epoch, Hash, Height, QuorumCertificate, Receipt, ValidatorId};
use std::sync::Arc;

/// Signatures to check for one incoming message or transaction batch.
#[derive(Clone, Debug, Default)]
pub struct VerifyJob {
    /// Correlates the verdicts with the node's pending item.
    pub id: u64,
    /// Ed25519 signatures (transactions, proposals).
    pub ed25519: Vec<Ed25519Check>,
    /// Single vote/timeout signatures in the vote scheme.
    pub votes: Vec<VoteCheck>,
    /// Aggregate signatures (QCs, TCs) in the vote scheme.
    pub aggregates: Vec<AggregateCheck>,
}

/// One Ed25519 signature.
#[derive(Clone, Debug)]
pub struct Ed25519Check {
    /// Signer's public key.
    pub public_key: [u8; 32],
    /// Signed bytes.
    pub message: Vec<u8>,
    /// Signature.
    pub signature: [u8; 64],
}

/// One vote-scheme signature by a known validator.
#[derive(Clone, Debug)]
pub struct VoteCheck {
    /// Signed bytes.
    pub message: Vec<u8>,
    /// Signer (global id).
    pub signer: ValidatorId,
    /// Signature bytes.
    pub signature: Vec<u8>,
}

/// One aggregate signature by a set of validators over one message.
#[derive(Clone, Debug)]
pub struct AggregateCheck {
    /// Signed bytes.
    pub message: Vec<u8>,
    /// Signers (global ids) in aggregation order.
    pub signers: Vec<ValidatorId>,
    /// Aggregate bytes.
    pub aggregate: Vec<u8>,
}

/// Verdicts of a [`VerifyJob`], one per item, in job order.
#[derive(Clone, Debug, Default)]
pub struct VerifyVerdicts {
    /// Job id.
    pub id: u64,
    /// Ed25519 verdicts.
    pub ed25519: Vec<bool>,
    /// Vote verdicts.
    pub votes: Vec<bool>,
    /// Aggregate verdicts.
    pub aggregates: Vec<bool>,
}

impl VerifyVerdicts {
    /// True when every item verified.
    pub fn all_ok(&self) -> bool {
        self.ed25519.iter().chain(&self.votes).chain(&self.aggregates).all(|&ok| ok)
    }
}

/// Signatures to aggregate into one certificate: votes checked alone, and at the collector the unchecked votes
/// that complete its quorum (quorum first, docs/PROTOCOL-CHOICES.md). The runtime verifies the aggregate against
/// `message` and `signers` before answering, so a certificate a node built itself is checked like any other and
/// that check covers the unchecked votes in it.
#[derive(Clone, Debug)]
pub struct AggregateJob {
    /// Correlates the output with the node's pending certificate.
    pub id: u64,
    /// Signatures in signer order.
    pub signatures: Vec<Vec<u8>>,
    /// The message every signature signed.
    pub message: Vec<u8>,
    /// Signers (global ids), in the order of `signatures`.
    pub signers: Vec<ValidatorId>,
}

/// Result of an [`AggregateJob`].
#[derive(Clone, Debug)]
pub struct AggregateOutput {
    /// Job id.
    pub id: u64,
    /// The aggregate, or why aggregation failed.
    pub aggregate: Result<Vec<u8>, String>,
}

/// A committed block to execute and persist in one storage transaction.
#[derive(Clone, Debug)]
pub struct ExecuteJob {
    /// The block.
    pub block: Block,
    /// QC certifying it.
    pub qc: QuorumCertificate,
    /// Child block + QC proving the commit (kept for the last block of an epoch, so peers can sync across it).
    pub commit_proof: Option<(Block, QuorumCertificate)>,
    /// Epoch the node is in once this block is committed.
    pub epoch_after: Epoch,
    /// The block's transaction ids in block order, when the node already computed them (checking or building
    /// the proposal): the receipts take them instead of execution hashing every transaction again. `None` (a
    /// block learned by sync) and execution hashes them itself.
    pub tx_ids: Option<Arc<[Hash]>>,
}

/// What executing a committed block produced.
#[derive(Clone, Debug)]
pub struct ExecutedBlock {
    /// Height executed.
    pub height: Height,
    /// Its hash.
    pub block_hash: Hash,
    /// State root after it.
    pub state_root: Hash,
    /// Accounts it changed (final values, sorted by id).
    pub changed: Vec<(AccountId, Account)>,
    /// One receipt per transaction, in block order.
    pub receipts: Vec<Receipt>,
}
