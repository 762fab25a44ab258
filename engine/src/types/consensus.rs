//! Consensus objects: block headers, blocks, votes, quorum and timeout certificates.

use super::bitfield::SignerBitfield;
use super::codec::{self, Decode, DecodeError, Encode, Reader, Writer};
use super::hash::Hash;
use super::ids::{Epoch, Height, Round, ValidatorId};
use super::merkle::merkle_root;
use super::transaction::Transaction;
use std::sync::Arc;

/// Largest aggregate signature field (Ed25519 multisig of a 4096-member committee).
pub const MAX_AGGREGATE_BYTES: usize = 64 * 4096;
/// Largest single signature field: a BLS vote or timeout signature, sent uncompressed (192 bytes, so the receiver
/// skips a square root per vote); Ed25519 signatures are 64.
pub const MAX_SIGNATURE_BYTES: usize = 192;
/// Largest number of transactions a block encoding may carry.
pub const MAX_BLOCK_TXS: usize = 1 << 20;

const VOTE_DOMAIN: &[u8] = b"hsbench/vote/v1";
const TIMEOUT_DOMAIN: &[u8] = b"hsbench/timeout/v1";
const PROPOSAL_DOMAIN: &[u8] = b"hsbench/proposal/v1";

/// What a vote (and hence a QC) signs: domain tag ‖ chain id ‖ epoch ‖ round ‖ height ‖ block hash ‖ parent hash.
pub fn vote_message(chain_id: u32, epoch: Epoch, round: Round, height: Height, block: &Hash, parent: &Hash) -> Vec<u8> {
    let mut w = Writer::with_capacity(VOTE_DOMAIN.len() + 92);
    w.fixed(VOTE_DOMAIN).u32(chain_id).u64(epoch).u64(round).u64(height).put(block).put(parent);
    w.finish()
}

/// What a timeout (and hence a TC) signs: domain tag ‖ chain id ‖ epoch ‖ round. The carried high QC is
/// self-authenticating, so it is not part of the signed message and timeouts aggregate like votes.
pub fn timeout_message(chain_id: u32, epoch: Epoch, round: Round) -> Vec<u8> {
    let mut w = Writer::with_capacity(TIMEOUT_DOMAIN.len() + 20);
    w.fixed(TIMEOUT_DOMAIN).u32(chain_id).u64(epoch).u64(round);
    w.finish()
}

/// What a leader signs (with its Ed25519 key) to authenticate a proposal: domain tag ‖ chain id ‖ block hash.
pub fn proposal_message(chain_id: u32, block: &Hash) -> Vec<u8> {
    let mut w = Writer::with_capacity(PROPOSAL_DOMAIN.len() + 36);
    w.fixed(PROPOSAL_DOMAIN).u32(chain_id).put(block);
    w.finish()
}

/// Proof that a quorum of the epoch's committee voted for one block in one round.
/// A QC with no signers is an epoch-start certificate: valid only for the block a node itself
/// committed (or genesis) as the start of that epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumCertificate {
    /// Epoch of the certified block.
    pub epoch: Epoch,
    /// Round of the certified block.
    pub round: Round,
    /// Height of the certified block.
    pub height: Height,
    /// Hash of the certified block.
    pub block_hash: Hash,
    /// Hash of its parent (signed too, so a QC names the chain link it certifies).
    pub parent_hash: Hash,
    /// Committee positions that signed.
    pub signers: SignerBitfield,
    /// BLS aggregate (96 B, compressed) or concatenated Ed25519 signatures, per the vote scheme.
    pub aggregate: Vec<u8>,
}

impl QuorumCertificate {
    /// The certificate an epoch starts from: certifies `block_hash` at `height` without signatures.
    pub fn epoch_start(epoch: Epoch, height: Height, block_hash: Hash, parent_hash: Hash) -> Self {
        QuorumCertificate {
            epoch,
            round: 0,
            height,
            block_hash,
            parent_hash,
            signers: SignerBitfield::new(0),
            aggregate: Vec::new(),
        }
    }
    /// True for an epoch-start certificate.
    pub fn is_epoch_start(&self) -> bool {
        self.signers.is_empty() && self.aggregate.is_empty()
    }
    /// Ordering key: later epochs rank above earlier ones, then rounds.
    pub fn rank(&self) -> (Epoch, Round) {
        (self.epoch, self.round)
    }
}

impl Encode for QuorumCertificate {
    fn encode_to(&self, w: &mut Writer) {
        w.u64(self.epoch)
            .u64(self.round)
            .u64(self.height)
            .put(&self.block_hash)
            .put(&self.parent_hash)
            .put(&self.signers)
            .bytes(&self.aggregate);
    }
}

impl Decode for QuorumCertificate {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(QuorumCertificate {
            epoch: r.u64()?,
            round: r.u64()?,
            height: r.u64()?,
            block_hash: r.get()?,
            parent_hash: r.get()?,
            signers: r.get()?,
            aggregate: r.bytes("qc aggregate", MAX_AGGREGATE_BYTES)?,
        })
    }
}

/// Everything about a block except its transactions; its hash is the block id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Chain the block belongs to.
    pub chain_id: u32,
    /// Height (parent height + 1).
    pub height: Height,
    /// Epoch whose committee certifies the block.
    pub epoch: Epoch,
    /// Round the block was proposed in.
    pub round: Round,
    /// Parent block id.
    pub parent_hash: Hash,
    /// QC certifying the parent (the justify of HotStuff).
    pub parent_qc: QuorumCertificate,
    /// Validator that proposed the block.
    pub proposer: ValidatorId,
    /// Proposer's clock (ms since the run's epoch); informational only.
    pub timestamp_ms: u64,
    /// Merkle root of the ordered transaction hashes.
    pub tx_root: Hash,
    /// Number of transactions.
    pub tx_count: u32,
    /// Highest height the proposer had executed when proposing.
    pub exec_height: Height,
    /// State root after executing every block up to `exec_height`.
    pub exec_state_root: Hash,
}

impl BlockHeader {
    /// Block id: Blake3 of the header's canonical encoding.
    pub fn hash(&self) -> Hash {
        Hash::of(&codec::encode(self))
    }
}

impl Encode for BlockHeader {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(self.chain_id)
            .u64(self.height)
            .u64(self.epoch)
            .u64(self.round)
            .put(&self.parent_hash)
            .put(&self.parent_qc)
            .u16(self.proposer)
            .u64(self.timestamp_ms)
            .put(&self.tx_root)
            .u32(self.tx_count)
            .u64(self.exec_height)
            .put(&self.exec_state_root);
    }
}

impl Decode for BlockHeader {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(BlockHeader {
            chain_id: r.u32()?,
            height: r.u64()?,
            epoch: r.u64()?,
            round: r.u64()?,
            parent_hash: r.get()?,
            parent_qc: r.get()?,
            proposer: r.u16()?,
            timestamp_ms: r.u64()?,
            tx_root: r.get()?,
            tx_count: r.u32()?,
            exec_height: r.u64()?,
            exec_state_root: r.get()?,
        })
    }
}

/// A header and its ordered transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The header (hash = block id).
    pub header: BlockHeader,
    /// Ordered transactions; their Merkle root is `header.tx_root`. Shared, never edited in place: a block is
    /// cloned wherever it is held (block tree, commits, proposals, execution jobs, sync), and cloning the list
    /// per holder was ~7 % of the node stage's time in a signature-free cluster.
    pub txs: Arc<[Transaction]>,
}

impl Block {
    /// Block id.
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }
    /// True when `tx_count` and `tx_root` match the transactions carried.
    pub fn body_matches_header(&self) -> bool {
        self.body_matches(&self.tx_hashes())
    }
    /// [`body_matches_header`](Self::body_matches_header) given the transactions' hashes in block order (a caller
    /// that needs them anyway computes them once); hashes of another count never match.
    pub fn body_matches(&self, tx_hashes: &[Hash]) -> bool {
        self.header.tx_count as usize == self.txs.len()
            && tx_hashes.len() == self.txs.len()
            && self.header.tx_root == merkle_root(tx_hashes)
    }
    /// The transactions' hashes, in block order, computed side by side ([`Transaction::ids`]).
    pub fn tx_hashes(&self) -> Vec<Hash> {
        Transaction::ids(self.txs.iter())
    }
}

/// Merkle root of the transactions' hashes, in block order.
pub fn tx_root(txs: &[Transaction]) -> Hash {
    let hashes: Vec<Hash> = txs.iter().map(Transaction::hash).collect();
    merkle_root(&hashes)
}

impl Encode for Block {
    fn encode_to(&self, w: &mut Writer) {
        w.put(&self.header).list(&self.txs);
    }
}

impl Decode for Block {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Block { header: r.get()?, txs: r.list("block txs", MAX_BLOCK_TXS)?.into() })
    }
}

/// One validator's signed vote for a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Epoch of the block.
    pub epoch: Epoch,
    /// Round of the block.
    pub round: Round,
    /// Height of the block.
    pub height: Height,
    /// Block voted for.
    pub block_hash: Hash,
    /// Its parent.
    pub parent_hash: Hash,
    /// Who voted.
    pub voter: ValidatorId,
    /// Signature over [`vote_message`] in the configured scheme.
    pub signature: Vec<u8>,
}

impl Encode for Vote {
    fn encode_to(&self, w: &mut Writer) {
        w.u64(self.epoch)
            .u64(self.round)
            .u64(self.height)
            .put(&self.block_hash)
            .put(&self.parent_hash)
            .u16(self.voter)
            .bytes(&self.signature);
    }
}

impl Decode for Vote {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Vote {
            epoch: r.u64()?,
            round: r.u64()?,
            height: r.u64()?,
            block_hash: r.get()?,
            parent_hash: r.get()?,
            voter: r.u16()?,
            signature: r.bytes("vote signature", MAX_SIGNATURE_BYTES)?,
        })
    }
}

/// A validator's signed statement that its timer for `round` expired, carrying its highest QC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeoutVote {
    /// Epoch.
    pub epoch: Epoch,
    /// Round that timed out.
    pub round: Round,
    /// Sender's highest QC (self-authenticating).
    pub high_qc: QuorumCertificate,
    /// Who timed out.
    pub voter: ValidatorId,
    /// Signature over [`timeout_message`].
    pub signature: Vec<u8>,
    /// The TC of the previous round, when that is how the sender entered `round` (self-authenticating, not
    /// signed): it brings a node that missed that TC into the round, so it can join the view change.
    pub last_tc: Option<TimeoutCertificate>,
}

impl Encode for TimeoutVote {
    fn encode_to(&self, w: &mut Writer) {
        w.u64(self.epoch)
            .u64(self.round)
            .put(&self.high_qc)
            .u16(self.voter)
            .bytes(&self.signature)
            .option(&self.last_tc);
    }
}

impl Decode for TimeoutVote {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TimeoutVote {
            epoch: r.u64()?,
            round: r.u64()?,
            high_qc: r.get()?,
            voter: r.u16()?,
            signature: r.bytes("timeout signature", MAX_SIGNATURE_BYTES)?,
            last_tc: r.option("timeout last tc")?,
        })
    }
}

/// Proof that a quorum timed out in `round`; carries the highest QC among their timeouts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeoutCertificate {
    /// Epoch.
    pub epoch: Epoch,
    /// Round that timed out.
    pub round: Round,
    /// Highest QC reported by the signers.
    pub high_qc: QuorumCertificate,
    /// Committee positions that signed.
    pub signers: SignerBitfield,
    /// Aggregate over [`timeout_message`].
    pub aggregate: Vec<u8>,
}

impl Encode for TimeoutCertificate {
    fn encode_to(&self, w: &mut Writer) {
        w.u64(self.epoch).u64(self.round).put(&self.high_qc).put(&self.signers).bytes(&self.aggregate);
    }
}

impl Decode for TimeoutCertificate {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TimeoutCertificate {
            epoch: r.u64()?,
            round: r.u64()?,
            high_qc: r.get()?,
            signers: r.get()?,
            aggregate: r.bytes("tc aggregate", MAX_AGGREGATE_BYTES)?,
        })
    }
}
