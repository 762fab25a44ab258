//! Deterministic execution of committed blocks, in block order, over account state (balance, nonce).
//!
//! Each transaction is a transfer: if its nonce is the sender's next nonce and the sender can pay amount +
//! fee, the amount moves to the recipient, the fee is burnt and the sender's nonce advances; otherwise the
//! transaction fails with a [`FailReason`], stays in the block, and changes nothing. Every block yields a
//! [`BlockExecution`]: receipts in block order, the changed accounts (sorted) and the new state root, a
//! compact sparse Blake3 Merkle root ([`StateTree`]) whose update costs O(changed accounts × log n).
//! The hashing rule is spelled out in [`tree_hash`]; [`full_root`] recomputes it from scratch.
//!
//! # Execution lanes
//!
//! [`ExecutionState::with_lanes`] runs each block on the m threads of a pool the caller gives (node mode pins
//! them to the execution stage's cores); without a pool, or with one thread, execution is sequential. The
//! result is **bit-identical** to sequential execution — state root, every account, receipts, changed list,
//! fees — because of one rule: *a transfer reads and writes only its sender and its recipient, and its
//! outcome is a function of those two accounts alone.* So transactions that share no account commute, and
//! any order that keeps every account's transactions in block order gives the sequential result.
//!
//! **The schedule** (`schedule.rs`): union-find over the accounts of the block gives the connected
//! components of the conflict graph (an edge = two transactions sharing an account). Components are packed
//! onto the m lanes largest first, each onto the least-loaded lane, and every account gets a slot on the one lane
//! that touches it. A lane reads its accounts once from the pre-block state into an array and runs its
//! transactions in block order on that array (`lanes.rs`); since lanes touch disjoint accounts no lane reads
//! another's write. Receipts are merged back by index, the lanes' writes into the state, fees are summed in block
//! order. Receipt ids are the ones the caller passes (the node has them from the proposal), else computed side by
//! side before the block starts.
//!
//! **One wake-up per block.** The whole block — schedule, lanes, merge, tree — runs inside one `install` of the
//! pool, as nested `rayon::join`s, so the serial steps (the schedule, the merge of the writes into the account
//! map, the sort of the tree's changes) each run beside parallel work that the other threads split between
//! them, and the pool's threads are woken once, not once per phase.
//!
//! **The state root** (`state_tree.rs`, [`StateTree::update_on`]): the changed accounts' key and leaf hashes
//! are computed in parallel (the keys' sort beside the leaf hashes), then the tree's 16 parts (the subtrees of the
//! 16 four-bit key prefixes, each in arenas of its own) are walked and rehashed in one group of neighbouring parts
//! per lane, and the 15 nodes above them once the groups return. Subtrees under distinct key prefixes share no
//! node, so each is rebuilt exactly as the sequential walk rebuilds it: the same tree, so the same root.
//!
//! **Why this design.** Transfer work is dominated by hashing (the receipt hash, two leaf-side hashes and
//! ~log₂ n inner hashes per changed account); applying the transfer rule itself is a few additions. So the
//! parallel win comes from the hashing, which is independent per transaction and per subtree, and the
//! schedule only has to be exact and cheap (two hash-map lookups per transaction). Under a Zipf-skewed
//! workload one hot account joins most transactions into one giant component, which then runs on one lane —
//! but only its transfer-rule work, a small share; the hashing stays evenly split. Rejected:
//! - *Block-STM* (optimistic execution, multi-version memory, validation and re-execution): it exists to
//!   discover read/write sets at run time; a transfer's are known up front (sender, recipient), so speculation
//!   would add version bookkeeping and aborts (many of them on hot accounts) to buy nothing.
//! - *Wavefront / level schedule* (tx level = 1 + the latest level among its accounts' earlier transactions,
//!   a barrier per level): under skew the hot account's transaction count sets the number of levels, so a
//!   1,000-transaction block meets a hundred-plus barriers around ~100 ns of work each.
//! - *Sharding accounts by key across lanes*: a transfer between shards needs cross-lane coordination per
//!   transaction, while components need none.
//! - *rayon's global pool*: node mode pins and accounts for its stage threads, so lanes are the threads the
//!   caller hands over, never implicit ones.

mod error;
mod full_root;
mod lanes;
mod receipt;
mod schedule;
mod state;
mod state_tree;
mod transfer;
pub mod tree_hash;

pub use crate::types::{FailReason, Outcome, Receipt};
pub use error::ExecutionError;
pub use full_root::full_root;
pub use receipt::BlockExecution;
pub use state::ExecutionState;
pub use state_tree::StateTree;

#[cfg(test)]
mod tests;
