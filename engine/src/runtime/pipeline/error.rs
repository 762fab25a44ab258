//! Why the pipeline could not start or stop cleanly.

use crate::runtime::SetupError;

/// Errors of the pinned pipeline and of node mode.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The configuration cannot describe a working pipeline.
    #[error("invalid pipeline config: {0}")]
    Config(String),
    /// Keys, genesis or storage of the node or its committee could not be built.
    #[error("node mode setup: {0}")]
    Setup(#[from] SetupError),
    /// The operating system refused a thread.
    #[error("spawning the {stage} thread: {source}")]
    Spawn {
        /// Stage whose thread failed.
        stage: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The node stage panicked or never stopped, so there is no node report.
    #[error("the node stage ended abnormally: {0}")]
    NodeStage(String),
}
