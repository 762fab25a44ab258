//! Load generation: schedule profiles, workload knobs, the on-disk corpus cache and the open-loop generator
//! thread with its self-check.

pub mod cache;
pub mod generator;
pub mod schedule;
pub mod workload;
