//! hsbench-engine: the hyperscale-bench node as pure state machines plus the runtimes that drive them.

pub mod crypto;
pub mod types;
