//! Data types shared by every component, with their canonical byte encoding.

pub mod account;
pub mod bitfield;
pub mod codec;
pub mod consensus;
pub mod hash;
pub mod hash_many;
pub mod ids;
pub mod invalid_config;
pub mod keyed_map;
pub mod merkle;
pub mod message;
pub mod receipt;
pub mod safety;
pub mod transaction;

pub use account::{Account, AccountView};
pub use bitfield::SignerBitfield;
pub use codec::{DecodeError, decode, encode};
pub use consensus::{
    Block, BlockHeader, QuorumCertificate, TimeoutCertificate, TimeoutVote, Vote, proposal_message, timeout_message,
    tx_root, vote_message,
};
pub use hash::Hash;
pub use ids::{Epoch, Height, Round, ValidatorId};
pub use invalid_config::InvalidConfig;
pub use keyed_map::{KeyedMap, KeyedSet, KeyedState};
pub use merkle::merkle_root;
pub use message::{Message, Proposal, SyncEntry};
pub use receipt::{FailReason, Outcome, Receipt};
pub use safety::SafetyState;
pub use transaction::{AccountId, Transaction};

#[cfg(test)]
mod tests;
