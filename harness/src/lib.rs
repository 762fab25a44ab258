//! hsbench: the benchmark harness of hyperscale-bench — CLI, configuration, load corpus, open-loop driving,
//! measurement and result files. The binary (`src/main.rs`) only parses arguments and maps errors to exit codes.

pub mod cmd;
pub mod config;
pub mod corpus;
pub mod measure;
pub mod result;

#[cfg(test)]
mod tests;
