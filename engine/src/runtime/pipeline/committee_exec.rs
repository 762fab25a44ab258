//! One execution for the whole synthetic committee. Honest members commit the same chain, so the first member to
//! reach a height executes the block and the others reuse that result; each member still persists the block to
//! its own storage and reports the root, and the node under test's roots are checked against them. This cuts the
//! committee's execution cost (n − 1)-fold, which matters because the committee shares the machine with the node
//! under test.

use crate::execution::{BlockExecution, ExecutionState};
use crate::types::{Block, Hash, Height};
use std::collections::BTreeMap;

/// The committee's one execution state and the results members have not all taken yet.
pub(crate) struct SharedExecution {
    state: ExecutionState,
    /// Executed blocks by height (hash, result), kept until every member has taken them.
    done: BTreeMap<Height, (Hash, BlockExecution)>,
    /// Highest height each member has taken.
    taken: Vec<Height>,
}

impl SharedExecution {
    /// Shared execution for `members` members, starting from `state` (genesis).
    pub(crate) fn new(state: ExecutionState, members: usize) -> Self {
        SharedExecution { state, done: BTreeMap::new(), taken: vec![0; members] }
    }

    /// The result of executing `block` for `member`: computed by the first member at that height, reused by the
    /// others. Errors: execution failed, or two members executed different blocks at one height (a safety
    /// violation among honest members, reported rather than hidden).
    pub(crate) fn execute(
        &mut self,
        member: usize,
        block: &Block,
        tx_ids: Option<&[Hash]>,
    ) -> Result<BlockExecution, String> {
        let (height, hash) = (block.header.height, block.hash());
        let result = match self.done.get(&height) {
            Some((known, _)) if *known != hash => {
                return Err(format!(
                    "committee member {} executes block {hash} at height {height}, another member executed {known}",
                    member + 1
                ));
            }
            Some((_, done)) => done.clone(),
            None => {
                let done = self.state.execute_block(block, tx_ids).map_err(|e| e.to_string())?;
                self.done.insert(height, (hash, done.clone()));
                done
            }
        };
        if let Some(t) = self.taken.get_mut(member) {
            *t = height;
        }
        let low = self.taken.iter().copied().min().unwrap_or(0);
        self.done = self.done.split_off(&(low + 1));
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::genesis_block;

    /// An empty block at `height` whose hash depends on `parent`.
    fn block(height: Height, parent: Hash) -> Block {
        let mut b = genesis_block(1, Hash::ZERO);
        (b.header.height, b.header.parent_hash) = (height, parent);
        b
    }

    #[test]
    fn executes_once_per_height_and_refuses_divergent_blocks() {
        let mut shared = SharedExecution::new(ExecutionState::from_genesis(&[]), 3);
        let b1 = block(1, Hash::default());
        let a = shared.execute(0, &b1, None).unwrap();
        let b = shared.execute(1, &b1, None).unwrap();
        assert_eq!((a.height, a.state_root), (b.height, b.state_root));
        // Member 2 has not taken height 1 yet: it is kept.
        assert_eq!(shared.done.len(), 1);
        let other = block(1, Hash([7; 32]));
        assert!(shared.execute(2, &other, None).unwrap_err().contains("another member executed"));
        shared.execute(2, &b1, None).unwrap();
        assert!(shared.done.is_empty(), "every member took height 1");
        // Out of order: the execution state refuses height 3 before 2.
        assert!(shared.execute(0, &block(3, b1.hash()), None).is_err());
    }
}
