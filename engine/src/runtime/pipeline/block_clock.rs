//! When the node stage first saw each block proposed and when it committed it ([`BlockTimes`]), so every commit
//! event carries the two instants that split a transaction's latency into "before its block was proposed",
//! "proposal → commit" (the consensus rounds) and "commit → reported" (execution and the report).
//!
//! Bounded: proposals are forgotten once their height is committed (blocks of a losing fork included), at most
//! [`KEPT_PROPOSALS`] are held (proposals are recorded as they arrive, before any check, so a peer flooding
//! proposals for far-off heights only evicts its own: the highest heights go first), and commit times are kept for
//! the last [`KEPT_HEIGHTS`] committed heights (commit events follow execution, which may lag the commit by a few
//! blocks).

use crate::protocol::BlockTimes;
use crate::types::{Hash, Height};
use std::collections::BTreeMap;
use std::time::Duration;

/// Committed heights whose times are kept for the commit events that follow their execution.
pub(crate) const KEPT_HEIGHTS: usize = 256;

/// Uncommitted proposals held at most.
pub(crate) const KEPT_PROPOSALS: usize = 1024;

/// Proposal and commit times of recent blocks, on the node stage's clock.
#[derive(Debug, Default)]
pub(crate) struct BlockClock {
    /// First time each uncommitted block's proposal was seen, by height and block hash.
    proposed: BTreeMap<(Height, Hash), Duration>,
    /// Proposal and commit times of recently committed heights.
    committed: BTreeMap<Height, BlockTimes>,
}

impl BlockClock {
    /// A proposal of block `hash` at `height` reached (or left) the node at `now`; a later copy keeps the first time.
    pub(crate) fn proposed(&mut self, hash: Hash, height: Height, now: Duration) {
        self.proposed.entry((height, hash)).or_insert(now);
        if self.proposed.len() > KEPT_PROPOSALS {
            self.proposed.pop_last();
        }
    }

    /// Block `hash` at `height` was committed at `now`. A block the node never saw proposed (synced) gets no times.
    pub(crate) fn committed(&mut self, hash: &Hash, height: Height, now: Duration) {
        if let Some(proposed) = self.proposed.remove(&(height, *hash)) {
            self.committed.insert(height, BlockTimes { proposed, committed: now });
            while self.committed.len() > KEPT_HEIGHTS {
                self.committed.pop_first();
            }
        }
        self.proposed = self.proposed.split_off(&(height.saturating_add(1), Hash([0; 32])));
    }

    /// The times of the committed block at `height`, if the node saw it proposed.
    pub(crate) fn times(&self, height: Height) -> Option<BlockTimes> {
        self.committed.get(&height).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn hash(n: u8) -> Hash {
        Hash([n; 32])
    }

    #[test]
    fn a_commit_gets_the_first_proposal_time_and_forks_are_forgotten() {
        let mut clock = BlockClock::default();
        clock.proposed(hash(1), 1, ms(10));
        clock.proposed(hash(1), 1, ms(15)); // a second copy
        clock.proposed(hash(2), 1, ms(12)); // a fork at the same height
        clock.proposed(hash(3), 2, ms(30));
        clock.committed(&hash(1), 1, ms(70));
        assert_eq!(clock.times(1), Some(BlockTimes { proposed: ms(10), committed: ms(70) }));
        assert_eq!(clock.proposed.len(), 1, "the fork at height 1 is forgotten, height 2 is kept");
        clock.committed(&hash(9), 2, ms(90)); // synced: never seen proposed
        assert_eq!(clock.times(2), None);
        assert!(clock.proposed.is_empty());
    }

    #[test]
    fn a_flood_of_far_off_proposals_stays_bounded_and_evicts_itself() {
        let mut clock = BlockClock::default();
        clock.proposed(hash(1), 1, ms(10));
        for i in 0..(KEPT_PROPOSALS as u64 + 500) {
            clock.proposed(Hash::of(&i.to_le_bytes()), 1_000_000 + i, ms(11));
        }
        assert_eq!(clock.proposed.len(), KEPT_PROPOSALS);
        clock.committed(&hash(1), 1, ms(40));
        assert_eq!(clock.times(1), Some(BlockTimes { proposed: ms(10), committed: ms(40) }));
    }

    #[test]
    fn only_the_last_heights_are_kept() {
        let mut clock = BlockClock::default();
        let last = KEPT_HEIGHTS as Height + 10;
        for h in 1..=last {
            clock.proposed(hash((h % 200) as u8), h, ms(h));
            clock.committed(&hash((h % 200) as u8), h, ms(h + 1));
        }
        assert_eq!(clock.committed.len(), KEPT_HEIGHTS);
        assert_eq!(clock.times(10), None);
        assert_eq!(clock.times(last), Some(BlockTimes { proposed: ms(last), committed: ms(last + 1) }));
    }
}
