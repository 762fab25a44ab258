//! How full the blocks of a node run or a ceiling were: blocks a second and transactions per block against
//! `provisioning.max_block_txs`. Block size × blocks a second caps the rate whatever the CPU (a leader proposes at
//! most once per `min_block_interval_ms`, and rounds lengthen under load), so a ceiling whose blocks were nearly full
//! may say more about the configuration than about the node — which the busiest-core figure alone does not show.

use serde::Serialize;

/// At or above this share of `max_block_txs` blocks count as full (the ceiling may be the configuration's).
pub const FULL_PCT: f64 = 90.0;

/// Blocks of one measurement.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BlockFill {
    /// Blocks that committed the run's transactions, per second of load.
    pub blocks_per_s: f64,
    /// The run's committed transactions ÷ those blocks.
    pub mean_txs_per_block: f64,
    /// `provisioning.max_block_txs`.
    pub max_block_txs: usize,
    /// `mean_txs_per_block ÷ max_block_txs`, percent.
    pub fill_pct: f64,
}

impl BlockFill {
    /// The fill of `committed` transactions in `blocks` blocks over `duration_s` seconds of load; `None` without
    /// blocks, duration or a block limit.
    pub fn of(committed: u64, blocks: u64, duration_s: f64, max_block_txs: usize) -> Option<Self> {
        if blocks == 0 || max_block_txs == 0 || duration_s.is_nan() || duration_s <= 0.0 {
            return None;
        }
        let mean = committed as f64 / blocks as f64;
        Some(BlockFill {
            blocks_per_s: blocks as f64 / duration_s,
            mean_txs_per_block: mean,
            max_block_txs,
            fill_pct: 100.0 * mean / max_block_txs as f64,
        })
    }

    /// Whether the blocks were full enough that the block limit may have set the rate.
    pub fn full(&self) -> bool {
        self.fill_pct >= FULL_PCT
    }

    /// The fill of `r` (a node run or a ceiling probe) against `max_block_txs`.
    pub fn of_rate(r: &super::rate::RateResult, max_block_txs: usize) -> Option<Self> {
        Self::of(r.tx.books.committed, r.tx.blocks_with_txs, r.duration_s, max_block_txs)
    }

    /// One line for the terminal, `label` padded to the summary's column (what `ceiling` and `run --mode node`
    /// print).
    pub fn line(&self, label: &str) -> String {
        format!(
            "  {label:<17} {:.1} a second, {:.0} transactions each on average ({:.0} % of max_block_txs {}){}",
            self.blocks_per_s,
            self.mean_txs_per_block,
            self.fill_pct,
            self.max_block_txs,
            if self.full() {
                " — nearly full: the block limit × blocks a second, not the node, may have set this rate"
            } else {
                ""
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 57,000 tx/s for 10 s in 160 blocks of at most 4,096: 16 a second, 3,562.5 each, 87 % full — not full; at
    /// 150 blocks 3,800 each, 92.8 %: full. No blocks, no duration or no limit: nothing to say.
    #[test]
    fn fill_is_committed_per_block_against_the_limit() {
        let f = BlockFill::of(570_000, 160, 10.0, 4_096).expect("a fill");
        assert_eq!((f.blocks_per_s, f.mean_txs_per_block), (16.0, 3_562.5));
        assert!((f.fill_pct - 100.0 * 3_562.5 / 4_096.0).abs() < 1e-9 && !f.full(), "{f:?}");
        assert!(BlockFill::of(570_000, 150, 10.0, 4_096).is_some_and(|f| f.full()));
        assert_eq!(BlockFill::of(1, 0, 10.0, 4_096), None);
        assert_eq!(BlockFill::of(1, 1, 0.0, 4_096), None);
        assert_eq!(BlockFill::of(1, 1, f64::NAN, 4_096), None);
        assert_eq!(BlockFill::of(1, 1, 1.0, 0), None);
        let full = BlockFill::of(570_000, 150, 10.0, 4_096).expect("a fill");
        assert_eq!(
            full.line("blocks at it"),
            "  blocks at it      15.0 a second, 3800 transactions each on average (93 % of max_block_txs 4096) — \
             nearly full: the block limit × blocks a second, not the node, may have set this rate"
        );
        assert!(!f.line("blocks").contains("nearly full"));
    }
}
