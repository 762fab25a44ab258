//! The fee-priority order in which ready transactions (each sender's lowest pending nonce) are served.

use crate::types::Hash;
use std::cmp::Reverse;

/// Serving order of transactions: higher fee first, ties broken by smaller hash so every node orders
/// identically. A smaller `FeePriority` is served first; the mempool's ready order and block provisioning
/// both order by this one type.
///
/// The derived order compares `fee`, then `prefix` (the id's first 8 bytes, big-endian, so it orders exactly as
/// those bytes do), then the whole id: two different ids almost always differ in the prefix, so a comparison is
/// two integer compares instead of a 32-byte `memcmp` call (the ready order is sorted each time a block is built).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeePriority {
    fee: Reverse<u64>,
    prefix: u64,
    hash: Hash,
}

impl FeePriority {
    /// The priority of a transaction paying `fee` with id `hash`.
    pub fn new(fee: u64, hash: Hash) -> Self {
        let mut head = [0u8; 8];
        head.copy_from_slice(&hash.0[..8]);
        FeePriority { fee: Reverse(fee), prefix: u64::from_be_bytes(head), hash }
    }
    /// The fee this priority was built from.
    pub fn fee(&self) -> u64 {
        self.fee.0
    }
    /// The transaction id this priority was built from.
    pub fn hash(&self) -> &Hash {
        &self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The order with the prefix is the order the type promises: higher fee first, then smaller id — also for
        /// ids that share their first 8 bytes (the second id copies the first's prefix half the time).
        #[test]
        fn order_is_fee_descending_then_id_ascending(
            fees in (0u64..4, 0u64..4),
            a in any::<[u8; 32]>(),
            mut b in any::<[u8; 32]>(),
            share_prefix in any::<bool>(),
        ) {
            if share_prefix {
                b[..8].copy_from_slice(&a[..8]);
            }
            let (x, y) = (FeePriority::new(fees.0, Hash(a)), FeePriority::new(fees.1, Hash(b)));
            let expected = fees.1.cmp(&fees.0).then(a.cmp(&b));
            prop_assert_eq!(x.cmp(&y), expected);
            prop_assert_eq!(x == y, expected.is_eq());
        }
    }
}
