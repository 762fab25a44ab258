//! The pinned pipeline: a validator node as stages on their own cores, exchanging batches over bounded queues.
//!
//! ```text
//! submit ─► [ingress] ─► [sigverify ×k] ─► [node: mempool + provisioning + consensus] ─► [execution] ─► [storage]
//!                                                 ▲   │ consensus msgs (fixed-delay link)        │ Executed
//!                                                 │   ▼                                          │
//!                                            [synthetic committee, n−1 validators] ◄─────────────┘ (to node)
//! ```
//! Every stage is built from one abstraction (the [`StageKind`] names it, one run loop keeps its busy/idle clock
//! and [`StageMetrics`], its threads are pinned to the cores the core map gives it), so every stage reports the
//! same counters; the monitor samples them into a per-second series and the report names the
//! bottleneck. Bounded queues stall their producer when full and count it; nothing is dropped. The node's
//! return paths (callbacks, committee messages) are unbounded because they close cycles that would otherwise
//! deadlock.

mod block_clock;
mod committee;
mod committee_exec;
mod committee_wire;
mod config;
mod error;
mod execution;
mod ingress;
mod memory;
mod messages;
mod metrics;
mod monitor;
mod node_mode;
mod node_stage;
mod queue;
mod report;
mod sigverify;
mod sigverify_alone;
mod stage;
mod storage;
mod threads;
mod timers;
mod vote_crypto;
mod wire;

pub use committee_wire::{WireCommittee, WireCommitteeConfig, WireCommitteeReport};
pub use config::{CoreLayout, CoreMap, PipelineConfig};
pub use error::PipelineError;
pub use ingress::INGRESS_FLUSH;
pub use memory::{MemoryWatch, ProcessMemory, mib};
pub use metrics::{StageCounters, StageMetrics, process_cpu_ns, thread_cpu_ns};
pub use monitor::SAMPLE_EVERY;
pub use node_mode::{NetworkReport, NodeModeConfig, NodeUnderTest, Peers, WireConfig};
pub use queue::{BatchSender, QueueClosed, batch_queue};
pub use report::{CommitteeReport, PipelineReport, PipelineSnapshot, StageLive, StageReport, StageSample};
pub use sigverify::transaction_items;
pub use sigverify_alone::{VerifyThroughput, measure_sigverify_alone};
pub use stage::StageKind;
pub use threads::{available_cores, core_shares, disable_pinning, pin_to_core, pinning_enabled, restrict_to_cores};
