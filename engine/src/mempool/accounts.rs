//! [`AccountShards`]: the committed account state a node admits and builds blocks against, split by account the
//! way the pool is split by sender, so the state update after each executed block runs on the pool's threads (one
//! hash-map write per changed account — two per transfer — is per-transaction work the node thread need not do).

use super::{Mempool, shard_index};
use crate::types::{Account, AccountId, AccountView, KeyedMap};

/// Committed account state in one part per mempool shard (the part of the shard that owns the account as a
/// sender); read as one map through [`AccountView`]. Built by [`Mempool::account_shards`], updated by
/// [`Mempool::on_executed_state`].
#[derive(Debug, Clone, Default)]
pub struct AccountShards {
    parts: Vec<StatePart>,
}

/// One shard's part of the committed state.
pub(super) type StatePart = KeyedMap<AccountId, Account>;

impl AccountShards {
    /// Every account held, part by part (each part in its map's order).
    pub fn iter(&self) -> impl Iterator<Item = (&AccountId, &Account)> + '_ {
        self.parts.iter().flat_map(|part| part.iter())
    }

    /// The parts, one per shard of a pool of `shards` shards in shard order: state split for another count is split
    /// again first.
    pub(super) fn parts_for(&mut self, shards: usize) -> impl Iterator<Item = &mut StatePart> + '_ {
        if self.parts.len() != shards.max(1) {
            *self = Self::split(std::mem::take(&mut self.parts).into_iter().flatten(), shards);
        }
        self.parts.iter_mut()
    }

    /// `accounts` split into `parts` parts (at least one).
    fn split(accounts: impl IntoIterator<Item = (AccountId, Account)>, parts: usize) -> Self {
        let mut split: Vec<StatePart> = (0..parts.max(1)).map(|_| KeyedMap::default()).collect();
        let count = split.len();
        for (id, account) in accounts {
            split[shard_index(&id, count)].insert(id, account);
        }
        AccountShards { parts: split }
    }
}

impl AccountView for AccountShards {
    fn account(&self, id: &AccountId) -> Account {
        let part = self.parts.get(shard_index(id, self.parts.len()));
        part.and_then(|p| p.get(id)).copied().unwrap_or_default()
    }
}

impl Mempool {
    /// `accounts` split the way this pool splits senders.
    pub fn account_shards(&self, accounts: impl IntoIterator<Item = (AccountId, Account)>) -> AccountShards {
        AccountShards::split(accounts, self.shard_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mempool::MempoolConfig;
    use crate::mempool::fixtures::workers;
    use crate::types::KeyedSet;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// On pools of 1 to 4 shards, with and without threads, split state read through `AccountView` equals one map
    /// given the same updates (a later change of an account wins, as in the map), and every account is held once.
    #[test]
    fn split_state_reads_as_one_map() {
        let seed = 0x5eed_acc7;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let id = |i: u16| {
            let mut a = [0u8; 32];
            a[..2].copy_from_slice(&i.to_le_bytes());
            a[9] = (i % 7) as u8;
            blake3::hash(&a).into()
        };
        let account =
            |rng: &mut ChaCha8Rng| Account { balance: rng.random_range(0..1000), nonce: rng.random_range(0..9) };
        for shards in 1..=4 {
            for mut pool in [
                Mempool::sharded(MempoolConfig::default(), shards),
                Mempool::sharded(MempoolConfig::default(), shards).with_pool(workers()),
            ] {
                let genesis: Vec<(AccountId, Account)> = (0..40).map(|i| (id(i), account(&mut rng))).collect();
                let mut one: KeyedMap<AccountId, Account> = genesis.iter().copied().collect();
                let mut split = pool.account_shards(genesis);
                for _ in 0..20 {
                    let changed: Vec<(AccountId, Account)> =
                        (0..12).map(|_| (id(rng.random_range(0..60)), account(&mut rng))).collect();
                    one.extend(changed.iter().copied());
                    pool.on_executed_state(&mut split, &KeyedSet::default(), &changed);
                }
                for i in 0..70 {
                    assert_eq!(
                        split.account(&id(i)),
                        one.account(&id(i)),
                        "seed {seed:#x}, {shards} shards, account {i}"
                    );
                }
                assert_eq!(split.iter().count(), one.len(), "seed {seed:#x}, {shards} shards");
            }
        }
    }

    /// State split for one shard count, updated through a pool of another, is split again and loses nothing.
    #[test]
    fn state_split_for_another_pool_is_split_again() {
        let a = |b: u8| ([b; 32], Account { balance: u64::from(b), nonce: 1 });
        let mut split = Mempool::sharded(MempoolConfig::default(), 3).account_shards((0..30).map(a));
        let mut pool = Mempool::sharded(MempoolConfig::default(), 2);
        pool.on_executed_state(&mut split, &KeyedSet::default(), &[a(40)]);
        for b in (0..30).chain([40]) {
            assert_eq!(split.account(&[b; 32]), a(b).1);
        }
        assert_eq!(split.iter().count(), 31);
    }
}
