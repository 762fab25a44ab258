//! The transfer rule: one transaction applied to the sender's and recipient's accounts, nothing else.

use crate::types::FailReason;
use crate::types::{Account, Transaction};

/// Sender and recipient state after a successful transfer (equal when the sender pays itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Transferred {
    /// The sender after paying amount + fee and advancing its nonce.
    pub sender: Account,
    /// The recipient after receiving the amount.
    pub recipient: Account,
}

/// Applies `tx` to the sender's and recipient's states before it, checking in this order: the nonce must equal
/// the sender's nonce (`BadNonce`); amount + fee must fit in a u64 (`Overflow`) and be covered by the balance
/// (`InsufficientBalance`); the sender's next nonce and the recipient's new balance must fit (`Overflow`).
/// For a self-transfer `recipient` is ignored and the amount returns to the debited sender (net: fee paid).
/// The signature is not checked here: it was verified before the transaction could enter a block.
pub(super) fn transfer(tx: &Transaction, sender: Account, recipient: Account) -> Result<Transferred, FailReason> {
    if tx.nonce != sender.nonce {
        return Err(FailReason::BadNonce);
    }
    let cost = tx.total_cost().ok_or(FailReason::Overflow)?;
    let balance = sender.balance.checked_sub(cost).ok_or(FailReason::InsufficientBalance)?;
    let nonce = sender.nonce.checked_add(1).ok_or(FailReason::Overflow)?;
    let debited = Account { balance, nonce };
    let recipient_before = if tx.sender == tx.recipient { debited } else { recipient };
    let credited = Account {
        balance: recipient_before.balance.checked_add(tx.amount).ok_or(FailReason::Overflow)?,
        nonce: recipient_before.nonce,
    };
    if tx.sender == tx.recipient {
        Ok(Transferred { sender: credited, recipient: credited })
    } else {
        Ok(Transferred { sender: debited, recipient: credited })
    }
}
