//! Account state: what execution changes and the state root commits to.

use super::codec::{Decode, DecodeError, Encode, Reader, Writer};
use super::transaction::AccountId;

/// Balance and next expected nonce of one account. An account never seen has both at zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Spendable balance.
    pub balance: u64,
    /// Nonce the account's next transaction must carry.
    pub nonce: u64,
}

impl Encode for Account {
    fn encode_to(&self, w: &mut Writer) {
        w.u64(self.balance).u64(self.nonce);
    }
}

impl Decode for Account {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Account { balance: r.u64()?, nonce: r.u64()? })
    }
}

/// Read access to committed account state (mempool admission, provisioning, execution).
pub trait AccountView {
    /// The account's state; a never-seen account reads as zero balance, nonce 0.
    fn account(&self, id: &AccountId) -> Account;
}

impl<S: std::hash::BuildHasher> AccountView for std::collections::HashMap<AccountId, Account, S> {
    fn account(&self, id: &AccountId) -> Account {
        self.get(id).copied().unwrap_or_default()
    }
}
