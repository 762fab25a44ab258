//! Storage stage: persists each executed block in one write transaction and tells the node, in block order.

use super::messages::{Executed, SystemInput};
use super::metrics::StageMetrics;
use super::queue::QueueClosed;
use super::stage::Stage;
use crate::execution::BlockExecution;
use crate::protocol::Callback;
use crate::protocol::work::ExecuteJob;
use crate::runtime::services::persist_executed;
use crate::storage::Storage;
use crossbeam_channel::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The storage stage: the node's storage (shared with the node stage, which saves its safety state and reads
/// sync answers there) and the node's callback queue.
pub(crate) struct StorageStage {
    /// The node's storage.
    pub storage: Arc<Mutex<Box<dyn Storage>>>,
    /// Callbacks to the node stage (unbounded: it closes the node → execution → storage → node cycle).
    pub node: Sender<Vec<SystemInput>>,
}

impl Stage for StorageStage {
    type Input = Executed;
    type Output = ();

    fn on_batch(&mut self, batch: Vec<Executed>, metrics: &StageMetrics) -> Result<Duration, QueueClosed> {
        let mut out = Vec::with_capacity(batch.len());
        for item in batch {
            let cb = match item {
                Executed::Done { job, result } => self.persist(job, result),
                Executed::Failed { height, error } => Callback::ExecutionFailed { height, error },
            };
            out.push(SystemInput::Callback(cb));
        }
        metrics.gave(out.len());
        self.node.send(out).map_err(|_| QueueClosed)?;
        Ok(Duration::ZERO)
    }

    fn finish(self) {}
}

impl StorageStage {
    fn persist(&self, job: ExecuteJob, done: BlockExecution) -> Callback {
        let mut storage = self.storage.lock().unwrap_or_else(|e| e.into_inner());
        match persist_executed(storage.as_mut(), &job, done) {
            Ok(executed) => Callback::Executed(executed),
            Err(e) => Callback::ExecutionFailed { height: job.block.header.height, error: e.to_string() },
        }
    }
}
