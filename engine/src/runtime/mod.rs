//! Runtimes execute a node's actions: the services every runtime shares, and the pinned pipeline.

pub mod perform;
pub mod persist_gate;
pub mod pipeline;
pub mod services;
pub mod setup;
pub mod timed_queue;
pub mod verdict_cache;
pub mod verifier;

pub use persist_gate::PersistGate;
pub use pipeline::{
    CoreLayout, CoreMap, NodeModeConfig, NodeUnderTest, PipelineConfig, PipelineError, PipelineReport,
    PipelineSnapshot, StageReport, StageSample, pin_to_core,
};
pub use services::NodeServices;
pub use setup::{ChainConfig, ChainSetup, SetupError, StorageMode, genesis_block, validator_seed};
pub use timed_queue::TimedQueue;
pub use verdict_cache::VerdictCache;
pub use verifier::Verifier;
