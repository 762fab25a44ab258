//! Committees per epoch: membership, quorum size, leader rotation, epoch boundaries.

use crate::types::{Epoch, Height, Round, ValidatorId};

/// The fixed schedule of committees and epoch lengths every node derives the same answers from.
#[derive(Clone, Debug)]
pub struct EpochSchedule {
    committees: Vec<Vec<ValidatorId>>,
    epoch_length: u64,
}

impl EpochSchedule {
    /// A schedule where epoch `e` uses `committees[min(e, len-1)]`; `epoch_length` 0 means a single epoch.
    /// `committees` must be non-empty with no empty committee (config validation guarantees it).
    pub fn new(committees: Vec<Vec<ValidatorId>>, epoch_length: u64) -> Self {
        EpochSchedule { committees, epoch_length }
    }

    /// Committee of epoch `e`, in position order.
    pub fn committee(&self, epoch: Epoch) -> &[ValidatorId] {
        let i = (epoch as usize).min(self.committees.len().saturating_sub(1));
        self.committees.get(i).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Committee position of `validator` in epoch `e`.
    pub fn position(&self, epoch: Epoch, validator: ValidatorId) -> Option<usize> {
        self.committee(epoch).iter().position(|&v| v == validator)
    }

    /// Votes needed for a certificate: ⌊2n/3⌋ + 1.
    pub fn quorum(&self, epoch: Epoch) -> usize {
        self.committee(epoch).len() * 2 / 3 + 1
    }

    /// f + 1: timeouts that make an honest node join a view change.
    pub fn weak_quorum(&self, epoch: Epoch) -> usize {
        self.committee(epoch).len().saturating_sub(1) / 3 + 1
    }

    /// Leader of a round: round-robin over the committee by round number.
    pub fn leader(&self, epoch: Epoch, round: Round) -> ValidatorId {
        let c = self.committee(epoch);
        if c.is_empty() { 0 } else { c[(round % c.len() as u64) as usize] }
    }

    /// Height of the last block of epoch `e`, or None when epochs never end.
    pub fn last_height(&self, epoch: Epoch) -> Option<Height> {
        (self.epoch_length > 0).then(|| (epoch + 1).saturating_mul(self.epoch_length))
    }

    /// Global ids of the signers marked in a bitfield over epoch `e`'s committee.
    pub fn signers(&self, epoch: Epoch, bits: &crate::types::SignerBitfield) -> Option<Vec<ValidatorId>> {
        let c = self.committee(epoch);
        if bits.len() != c.len() {
            return None;
        }
        Some(bits.positions().map(|p| c[p]).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_sizes_match_the_protocol() {
        for (n, q, f1) in [(4usize, 3usize, 2usize), (7, 5, 3), (100, 67, 34)] {
            let s = EpochSchedule::new(vec![(0..n as u16).collect()], 0);
            assert_eq!(s.quorum(0), q);
            assert_eq!(s.weak_quorum(0), f1);
        }
    }

    #[test]
    fn committees_and_boundaries_follow_the_schedule() {
        let s = EpochSchedule::new(vec![vec![0, 1, 2, 3], vec![1, 2, 3, 4]], 10);
        assert_eq!(s.committee(0), &[0, 1, 2, 3]);
        assert_eq!(s.committee(5), &[1, 2, 3, 4]);
        assert_eq!(s.last_height(0), Some(10));
        assert_eq!(s.last_height(1), Some(20));
        assert_eq!(s.leader(1, 5), 2);
        assert_eq!(s.position(1, 0), None);
        assert_eq!(EpochSchedule::new(vec![vec![0]], 0).last_height(3), None);
    }
}
