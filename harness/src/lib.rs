//! hsbench: the benchmark harness of hyperscale-bench — CLI, configuration, load corpus, open-loop driving,
//! measurement and result files. The binary (`src/main.rs`) only parses arguments and maps errors to exit codes.

pub mod alloc;
pub mod backends;
pub mod ceiling;
pub mod cmd;
pub mod compare;
pub mod config;
pub mod corpus;
pub mod crypto;
pub mod devices;
pub mod history;
pub mod live;
pub mod loadgen;
pub mod logging;
pub mod measure;
pub mod plan;
pub mod report;
pub mod result;
pub mod run;
pub mod tune;
pub mod ui;
pub mod verify;
pub mod wire;

#[cfg(test)]
mod tests;
