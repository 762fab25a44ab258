//! Network messages between validators.

use super::codec::{Decode, DecodeError, Encode, Reader, Writer};
use super::consensus::{Block, QuorumCertificate, TimeoutCertificate, TimeoutVote, Vote};
use super::ids::Height;
use super::transaction::Transaction;

/// Largest number of transactions in one gossip batch.
pub const MAX_GOSSIP_TXS: usize = 1 << 16;
/// Largest number of blocks in one sync response.
pub const MAX_SYNC_BLOCKS: usize = 1024;

/// A leader's block for its round, signed with its Ed25519 key; carries the TC that let it enter the round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The proposed block.
    pub block: Block,
    /// Present when the round was entered through a timeout certificate.
    pub tc: Option<TimeoutCertificate>,
    /// Ed25519 signature over [`super::consensus::proposal_message`].
    pub signature: [u8; 64],
}

/// A block with the QC that certifies it, as served to a node catching up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncEntry {
    /// The block.
    pub block: Block,
    /// The QC certifying it, when the responder knows one.
    pub qc: Option<QuorumCertificate>,
}

/// Everything validators say to each other.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // messages are moved once, never stored in bulk
pub enum Message {
    /// A leader's proposal.
    Proposal(Proposal),
    /// A vote, sent to the next leader.
    Vote(Vote),
    /// A timeout, broadcast.
    Timeout(TimeoutVote),
    /// A timeout certificate its sender aggregated and entered the next round through, broadcast once so that a
    /// node that missed some of the round's timeouts enters the next round with the others (self-authenticating).
    TimeoutCertificate(TimeoutCertificate),
    /// Client transactions forwarded between validators.
    TxGossip(Vec<Transaction>),
    /// "Send me blocks from this height on" from a node that fell behind.
    SyncRequest { from_height: Height },
    /// Blocks (in processing order) answering a sync request.
    SyncResponse(Vec<SyncEntry>),
}

impl Message {
    /// Short name for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Proposal(_) => "proposal",
            Message::Vote(_) => "vote",
            Message::Timeout(_) => "timeout",
            Message::TimeoutCertificate(_) => "timeout_certificate",
            Message::TxGossip(_) => "tx_gossip",
            Message::SyncRequest { .. } => "sync_request",
            Message::SyncResponse(_) => "sync_response",
        }
    }
}

impl Encode for SyncEntry {
    fn encode_to(&self, w: &mut Writer) {
        w.put(&self.block).option(&self.qc);
    }
}

impl Decode for SyncEntry {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SyncEntry { block: r.get()?, qc: r.option("sync qc")? })
    }
}

impl Encode for Proposal {
    fn encode_to(&self, w: &mut Writer) {
        w.put(&self.block).option(&self.tc).fixed(&self.signature);
    }
}

impl Decode for Proposal {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Proposal { block: r.get()?, tc: r.option("proposal tc")?, signature: r.array()? })
    }
}

impl Encode for Message {
    fn encode_to(&self, w: &mut Writer) {
        match self {
            Message::Proposal(p) => w.u8(0).put(p),
            Message::Vote(v) => w.u8(1).put(v),
            Message::Timeout(t) => w.u8(2).put(t),
            Message::TxGossip(txs) => w.u8(3).list(txs),
            Message::SyncRequest { from_height } => w.u8(4).u64(*from_height),
            Message::SyncResponse(entries) => w.u8(5).list(entries),
            Message::TimeoutCertificate(tc) => w.u8(6).put(tc),
        };
    }
}

impl Decode for Message {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match r.u8()? {
            0 => Message::Proposal(r.get()?),
            1 => Message::Vote(r.get()?),
            2 => Message::Timeout(r.get()?),
            3 => Message::TxGossip(r.list("gossip txs", MAX_GOSSIP_TXS)?),
            4 => Message::SyncRequest { from_height: r.u64()? },
            5 => Message::SyncResponse(r.list("sync entries", MAX_SYNC_BLOCKS)?),
            6 => Message::TimeoutCertificate(r.get()?),
            tag => return Err(DecodeError::Tag { what: "message", tag }),
        })
    }
}
