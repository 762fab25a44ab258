//! Execution stage: committed blocks execute in block order and go to the storage stage. One stage thread
//! drives the loop; given several cores, each block runs on execution lanes, a pool of one pinned thread per
//! core ([`super::threads::helper_pool`]), whose CPU time is charged to the stage's busy time. After a failure it executes
//! nothing more (the node halts on the failure callback).

use super::messages::Executed;
use super::metrics::{HelperClock, StageMetrics};
use super::queue::{BatchSender, QueueClosed};
use super::stage::Stage;
use crate::execution::ExecutionState;
use crate::protocol::work::ExecuteJob;
use std::time::Duration;

/// The execution stage's state.
pub(crate) struct Execution {
    /// The node's execution state (handed back when the stage stops).
    pub exec: ExecutionState,
    /// Executed blocks, to the storage stage.
    pub output: BatchSender<Executed>,
    /// A block failed: nothing after it executes.
    pub failed: bool,
    /// CPU clock of the lane threads (when `exec` runs on lanes), charged to the stage's busy time.
    pub lanes: Option<HelperClock>,
}

impl Stage for Execution {
    type Input = ExecuteJob;
    type Output = ExecutionState;

    /// Counted in transactions: a block of 1,000 is 1,000 items of work.
    fn items(jobs: &[ExecuteJob]) -> usize {
        jobs.iter().map(|j| j.block.txs.len()).sum()
    }

    fn on_batch(&mut self, jobs: Vec<ExecuteJob>, metrics: &StageMetrics) -> Result<Duration, QueueClosed> {
        if let Some(lanes) = &mut self.lanes {
            lanes.begin();
        }
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            if self.failed {
                break;
            }
            match self.exec.execute_block(&job.block, job.tx_ids.as_deref()) {
                Ok(result) => out.push(Executed::Done { job, result }),
                Err(e) => {
                    self.failed = true;
                    out.push(Executed::Failed { height: job.block.header.height, error: e.to_string() });
                }
            }
        }
        if let Some(lanes) = &mut self.lanes {
            lanes.charge();
        }
        metrics.gave(out.len());
        if out.is_empty() { Ok(Duration::ZERO) } else { self.output.send(out) }
    }

    fn finish(self) -> ExecutionState {
        self.exec
    }
}
