//! HotStuff-2 consensus: the state machine is `core`, its rules split by role into the files under `core/`;
//! the block tree, signature collection, committees, leader election, knobs and refusals are the files around it.

pub mod block_tree;
pub mod collector;
pub mod committee;
pub mod config;
pub mod core;
pub mod leader;
pub mod refusal;

pub use committee::EpochSchedule;
pub use config::ConsensusConfig;
pub use core::{
    BftParams, BftResume, BftStats, Committed, FUTURE_VOTE_ROUNDS, HotStuff, Outputs, ProposeRequest, SYNC_BATCH,
    SYNC_RETRY, SYNC_SERVE_INTERVAL,
};
pub use leader::{LeaderElection, Reputation, ReputationParams};
pub use refusal::Refusal;
