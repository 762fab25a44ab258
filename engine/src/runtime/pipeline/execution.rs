//! Execution and storage stages: committed blocks execute in block order on one thread (the state tree is
//! sequential), then the storage thread persists each in one write transaction and reports it back to the node.

use super::ingress::STOP_POLL;
use super::messages::{Executed, SystemInput};
use super::queue::BatchSender;
use super::stage::StageClock;
use crate::execution::ExecutionState;
use crate::protocol::Callback;
use crate::protocol::work::ExecuteJob;
use crate::storage::Storage;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs the execution loop until `stop` is set or the node stage is gone. After a failure it executes nothing
/// more (the node halts on the failure callback).
pub(crate) fn run_execution(
    mut clock: StageClock,
    mut exec: ExecutionState,
    input: Receiver<Vec<ExecuteJob>>,
    output: BatchSender<Executed>,
    stop: Arc<AtomicBool>,
) -> ExecutionState {
    let mut failed = false;
    while !stop.load(Ordering::Relaxed) {
        let received = input.recv_timeout(STOP_POLL);
        clock.idle();
        let jobs = match received {
            Ok(jobs) => jobs,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        clock.metrics().took(jobs.iter().map(|j| j.block.txs.len()).sum());
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            if failed {
                break;
            }
            match exec.execute_block(&job.block) {
                Ok(result) => out.push(Executed::Done { job, result }),
                Err(e) => {
                    failed = true;
                    out.push(Executed::Failed { height: job.block.header.height, error: e.to_string() });
                }
            }
        }
        clock.metrics().gave(out.len());
        let stalled = if out.is_empty() { Ok(Duration::ZERO) } else { output.send(out) };
        match stalled {
            Ok(d) => clock.busy(d),
            Err(_) => break,
        }
    }
    exec
}

/// Runs the storage loop: persists each executed block and tells the node, in block order.
pub(crate) fn run_storage(
    mut clock: StageClock,
    storage: Arc<Mutex<Box<dyn Storage>>>,
    input: Receiver<Vec<Executed>>,
    node: Sender<Vec<SystemInput>>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        let received = input.recv_timeout(STOP_POLL);
        clock.idle();
        let batch = match received {
            Ok(b) => b,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        clock.metrics().took(batch.len());
        let mut out = Vec::with_capacity(batch.len());
        for item in batch {
            let cb = match item {
                Executed::Done { job, result } => persist(&storage, job, result),
                Executed::Failed { height, error } => Callback::ExecutionFailed { height, error },
            };
            out.push(SystemInput::Callback(cb));
        }
        clock.metrics().gave(out.len());
        if node.send(out).is_err() {
            break;
        }
        clock.busy(Duration::ZERO);
    }
}

fn persist(storage: &Mutex<Box<dyn Storage>>, job: ExecuteJob, done: crate::execution::BlockExecution) -> Callback {
    let mut storage = storage.lock().unwrap_or_else(|e| e.into_inner());
    match crate::runtime::services::persist_executed(storage.as_mut(), &job, done) {
        Ok(executed) => Callback::Executed(executed),
        Err(e) => Callback::ExecutionFailed { height: job.block.header.height, error: e.to_string() },
    }
}
