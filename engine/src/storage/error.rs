//! Storage errors.

use crate::types::{DecodeError, Epoch, Height, Round};
use thiserror::Error;

/// Why a storage operation failed.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The database engine failed; the message names the operation that was running.
    #[error("database error: {0}")]
    Db(String),
    /// A stored record does not decode or contradicts the records around it.
    #[error("corrupt {what}: {detail}")]
    Corrupt {
        /// Which record (table or metadata key).
        what: &'static str,
        /// What is wrong with it, including its key.
        detail: String,
    },
    /// A block was committed at a height other than committed height + 1.
    #[error("out-of-order commit: expected height {expected}, got {got}")]
    OutOfOrder {
        /// The only height that may be committed next.
        expected: Height,
        /// The height that was offered.
        got: Height,
    },
    /// The caller passed data that breaks an invariant of the ledger (a QC that does not certify its block,
    /// a block that does not extend the committed chain, a commit proof that is not a child of the block).
    #[error("invalid {what}: {detail}")]
    Invalid {
        /// Which input.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A safety state older (lower epoch, or same epoch and lower last voted round) than the stored one;
    /// persisting it would let a restarted node vote twice in a round.
    #[error(
        "safety state regression: stored (epoch {stored_epoch}, round {stored_round}), got (epoch {epoch}, round {round})"
    )]
    SafetyRegression {
        /// Epoch of the stored safety state.
        stored_epoch: Epoch,
        /// Last voted round of the stored safety state.
        stored_round: Round,
        /// Epoch offered.
        epoch: Epoch,
        /// Last voted round offered.
        round: Round,
    },
}

impl StorageError {
    /// A [`StorageError::Corrupt`] for a record that failed to decode; `key` names the record ("height 3").
    pub(crate) fn decode(what: &'static str, key: impl std::fmt::Display, err: DecodeError) -> Self {
        StorageError::Corrupt { what, detail: format!("{key}: {err}") }
    }

    /// A [`StorageError::Corrupt`] with a free-form explanation.
    pub(crate) fn corrupt(what: &'static str, detail: impl Into<String>) -> Self {
        StorageError::Corrupt { what, detail: detail.into() }
    }

    /// A [`StorageError::Invalid`] with a free-form explanation.
    pub(crate) fn invalid(what: &'static str, detail: impl Into<String>) -> Self {
        StorageError::Invalid { what, detail: detail.into() }
    }
}
