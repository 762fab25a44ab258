//! Execution stage: committed blocks execute in block order and go to the storage stage. One stage thread
//! drives the loop; given several cores, each block runs on execution lanes, a pool of one pinned thread per
//! core ([`lane_pool`]), whose CPU time is charged to the stage's busy time. After a failure it executes
//! nothing more (the node halts on the failure callback).

use super::error::PipelineError;
use super::messages::Executed;
use super::metrics::{LaneClocks, StageMetrics};
use super::queue::{BatchSender, QueueClosed};
use super::stage::Stage;
use super::threads::{Warnings, pin_to_core, warn};
use crate::execution::ExecutionState;
use crate::protocol::work::ExecuteJob;
use rayon::ThreadPool;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// An execution stage's lanes: the pool that runs them and the CPU clocks of its threads.
pub(crate) type Lanes = (Arc<ThreadPool>, Arc<LaneClocks>);

/// The lanes of an execution stage on `cores`: a pool of one thread per core, thread `i` pinned to `cores[i]`
/// (a failed pin is a warning) with its CPU clock registered in the returned [`LaneClocks`]. `None` for fewer
/// than two cores: execution then stays on the stage thread, sequential.
pub(crate) fn lane_pool(cores: &[usize], warnings: &Warnings) -> Result<Option<Lanes>, PipelineError> {
    if cores.len() < 2 {
        return Ok(None);
    }
    let clocks = Arc::new(LaneClocks::default());
    let (registry, cores_of, warnings) = (clocks.clone(), cores.to_vec(), warnings.clone());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cores.len())
        .thread_name(|i| format!("execution-lane-{i}"))
        .start_handler(move |i| {
            if let Some(&core) = cores_of.get(i)
                && let Err(w) = pin_to_core(core)
            {
                warn(&warnings, format!("execution-lane-{i}: {w}"));
            }
            if !registry.register_current() {
                warn(&warnings, format!("execution-lane-{i}: no thread CPU clock; its time is not counted"));
            }
        })
        .build()
        .map_err(|e| PipelineError::Spawn { stage: "execution lanes".into(), source: std::io::Error::other(e) })?;
    Ok(Some((Arc::new(pool), clocks)))
}

/// The execution stage's state.
pub(crate) struct Execution {
    /// The node's execution state (handed back when the stage stops).
    pub exec: ExecutionState,
    /// Executed blocks, to the storage stage.
    pub output: BatchSender<Executed>,
    /// A block failed: nothing after it executes.
    pub failed: bool,
    /// CPU clocks of the lane threads (when `exec` runs on lanes), charged to the stage's busy time.
    pub lanes: Option<Arc<LaneClocks>>,
}

impl Stage for Execution {
    type Input = ExecuteJob;
    type Output = ExecutionState;

    /// Counted in transactions: a block of 1,000 is 1,000 items of work.
    fn items(jobs: &[ExecuteJob]) -> usize {
        jobs.iter().map(|j| j.block.txs.len()).sum()
    }

    fn on_batch(&mut self, jobs: Vec<ExecuteJob>, metrics: &StageMetrics) -> Result<Duration, QueueClosed> {
        let lane_mark = self.lanes.as_ref().map(|l| l.cpu_ns());
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            if self.failed {
                break;
            }
            match self.exec.execute_block(&job.block) {
                Ok(result) => out.push(Executed::Done { job, result }),
                Err(e) => {
                    self.failed = true;
                    out.push(Executed::Failed { height: job.block.header.height, error: e.to_string() });
                }
            }
        }
        if let (Some(lanes), Some(mark)) = (&self.lanes, lane_mark) {
            metrics.busy_ns.fetch_add(lanes.cpu_ns().saturating_sub(mark), Relaxed);
        }
        metrics.gave(out.len());
        if out.is_empty() { Ok(Duration::ZERO) } else { self.output.send(out) }
    }

    fn finish(self) -> ExecutionState {
        self.exec
    }
}
