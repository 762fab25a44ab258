//! HotStuff-2 consensus: the rules are in `core`, with one file per role around it.

pub mod block_tree;
pub mod collector;
pub mod committee;
pub mod config;
pub mod core;
pub mod refusal;

pub use committee::EpochSchedule;
pub use config::ConsensusConfig;
pub use core::{BftParams, BftResume, BftStats, Committed, HotStuff, Outputs, ProposeRequest, SYNC_BATCH};
pub use refusal::Refusal;
