//! The one `Stage` abstraction: a stage is its work on a batch ([`Stage::on_batch`]) and on a quiet moment
//! ([`Stage::on_idle`]); [`run_stage`] is the one loop that owns the clock (busy/idle accounting), the input
//! counters and stop polling for every single-input stage (ingress, sigverify, execution, storage). The node
//! stage and the synthetic committee wait on several inputs and timers at once and run their own event loops
//! over the same clock and counters. Stages are named by [`StageKind`]; which cores each runs on is data
//! ([`super::CoreMap`]), and starting the pipeline walks [`StageKind::PIPELINE`].

use super::metrics::{StageClock, StageMetrics};
use super::queue::QueueClosed;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

/// How often an idle stage looks at its stop flag.
pub(crate) const STOP_POLL: Duration = Duration::from_millis(5);

/// The stages of node mode, by name: the node under test's in pipeline order, then the committee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StageKind {
    /// Re-cuts submitted transactions into batches.
    Ingress,
    /// Verifies transaction signatures, one thread per core.
    Sigverify,
    /// Mempool admission and state updates, split by sender into one shard per core, run for the node stage on a
    /// pool of one pinned thread per core; with no cores the node stage admits on its own thread (one shard).
    Admission,
    /// Mempool, provisioning and consensus: the one `NodeStateMachine`.
    Node,
    /// Executes committed blocks in order, on one lane per core.
    Execution,
    /// Persists executed blocks.
    Storage,
    /// Verifies the node's consensus signatures (votes, timeouts, proposals, certificates) in batches, one thread
    /// per core, off the node thread; with no cores the node stage verifies them itself.
    VoteCrypto,
    /// The wire to the other validators (`wire` runs only): the network's reader, writer, acceptor and dialler
    /// threads and the two threads bridging it to the node stage, all on its cores. Not started when the peers are
    /// the in-process synthetic committee.
    Network,
    /// The synthetic committee (node mode's other validators): one loop thread on its first core; from two cores its
    /// members run on a pool of one pinned thread per core.
    Committee,
}

impl StageKind {
    /// The node under test's stages, in pipeline order (each feeds the next; admission works for the node stage,
    /// storage and vote-crypto answer it).
    pub const PIPELINE: [StageKind; 8] = [
        StageKind::Ingress,
        StageKind::Sigverify,
        StageKind::Admission,
        StageKind::Node,
        StageKind::Execution,
        StageKind::Storage,
        StageKind::VoteCrypto,
        StageKind::Network,
    ];

    /// Every stage with a core list: the pipeline's, then the committee.
    pub const ALL: [StageKind; 9] = {
        let mut all = [StageKind::Committee; 9];
        let mut k = 0;
        while k < StageKind::PIPELINE.len() {
            all[k] = StageKind::PIPELINE[k];
            k += 1;
        }
        all
    };

    /// The name used in configs (`[pipeline.cores]` keys), reports and thread names.
    pub fn name(self) -> &'static str {
        match self {
            StageKind::Ingress => "ingress",
            StageKind::Sigverify => "sigverify",
            StageKind::Admission => "admission",
            StageKind::Node => "node",
            StageKind::Execution => "execution",
            StageKind::Storage => "storage",
            StageKind::VoteCrypto => "vote_crypto",
            StageKind::Network => "network",
            StageKind::Committee => "committee",
        }
    }

    /// The stage of that name.
    pub fn from_name(name: &str) -> Option<StageKind> {
        StageKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Threads the stage runs on `cores`: sigverify and vote-crypto one per core (they scale with load); execution
    /// one lane per core (a pool pinned to its cores runs each block's lanes, driven by one stage thread on the
    /// first core; a single core executes sequentially); admission one shard per core (a pool the node stage hands
    /// each batch to); the committee one per core (from two cores a pool pinned to them runs its members, driven by
    /// its loop thread on the first core, which waits while they work; a single core runs them on the loop
    /// thread); the network's threads spread over its cores (one per peer connection and more, so its busy % is
    /// over all its cores); every other stage one on its first core.
    pub fn threads(self, cores: &[usize]) -> usize {
        if self.widens() || self == StageKind::Network { cores.len().max(1) } else { 1 }
    }

    /// Whether more cores give the stage more threads (sigverify, admission shards, execution lanes, vote-crypto,
    /// the committee's members); every other stage is one thread, and more cores than one are unused.
    pub fn widens(self) -> bool {
        matches!(
            self,
            StageKind::Sigverify
                | StageKind::Admission
                | StageKind::Execution
                | StageKind::VoteCrypto
                | StageKind::Committee
        )
    }

    /// Threads of the stage on `cores` that wait for input — what "work due" (the share of the time not spent
    /// waiting) is measured over: execution's one driver (its lanes run only inside the driver's batches) and the
    /// committee's one loop thread (its pool runs only inside the loop's passes); none for admission (the node
    /// stage hands it each batch and waits, so its time shows as the node stage's work due);
    /// [`StageKind::threads`] for every other stage.
    pub fn waiting_threads(self, cores: &[usize]) -> usize {
        match self {
            StageKind::Execution | StageKind::Committee => 1,
            StageKind::Admission => 0,
            _ => self.threads(cores),
        }
    }

    /// Whether the stage may have no cores: its work then stays on the node stage's thread (vote-crypto: the
    /// node verifies; admission: the node admits, one shard). Every other stage always runs.
    pub fn optional(self) -> bool {
        matches!(self, StageKind::Admission | StageKind::VoteCrypto)
    }

    /// Position in [`StageKind::ALL`] (and in [`StageKind::PIPELINE`] for the pipeline's stages).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One single-input stage's work. [`run_stage`] waits for input, counts it and keeps the clock; the stage only
/// transforms batches and passes them on.
pub(crate) trait Stage {
    /// What one input batch holds.
    type Input;
    /// What the stage hands back when it stops (its state, or nothing).
    type Output;

    /// Items a batch counts as in `items_in` (one per element unless a stage counts finer).
    fn items(batch: &[Self::Input]) -> usize {
        batch.len()
    }

    /// Handles one input batch; returns the time blocked on a full output queue, or that the next stage is gone
    /// (then this one stops too).
    fn on_batch(&mut self, batch: Vec<Self::Input>, metrics: &StageMetrics) -> Result<Duration, QueueClosed>;

    /// Called after every wait for input, batch or not: a stage holding partial work may pass it on. `None` when
    /// there was nothing to do.
    fn on_idle(&mut self, _metrics: &StageMetrics) -> Result<Option<Duration>, QueueClosed> {
        Ok(None)
    }

    /// Longest wait for input before [`Stage::on_idle`] runs (capped at [`STOP_POLL`]).
    fn wait(&self) -> Duration {
        STOP_POLL
    }

    /// The stage's result once it stops.
    fn finish(self) -> Self::Output;
}

/// The one run loop of a single-input stage: until `stop` is set, the input is gone or the output is closed,
/// wait for a batch (idle), hand it to the stage and let it flush (busy, minus time stalled on a full queue).
pub(crate) fn run_stage<S: Stage>(
    mut stage: S,
    mut clock: StageClock,
    input: Receiver<Vec<S::Input>>,
    stop: Arc<AtomicBool>,
) -> S::Output {
    while !stop.load(Relaxed) {
        let received = input.recv_timeout(stage.wait().min(STOP_POLL));
        clock.idle();
        let mut stalled: Option<Duration> = None;
        match received {
            Ok(batch) => {
                clock.metrics().took(S::items(&batch));
                match stage.on_batch(batch, clock.metrics()) {
                    Ok(d) => stalled = Some(d),
                    Err(QueueClosed) => break,
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        match stage.on_idle(clock.metrics()) {
            Ok(Some(d)) => stalled = Some(stalled.unwrap_or_default() + d),
            Ok(None) => {}
            Err(QueueClosed) => break,
        }
        if let Some(d) = stalled {
            clock.busy(d);
        }
    }
    stage.finish()
}

/// What the monitor and the report know about one stage: its name, layout, counters and input queue depth.
pub(crate) struct StageProbe {
    /// The stage.
    pub kind: StageKind,
    /// Cores its threads were meant to run on.
    pub cores: Vec<usize>,
    /// Number of threads.
    pub threads: usize,
    /// Its counters.
    pub metrics: Arc<StageMetrics>,
    /// Its input queues (depth = batches waiting, summed).
    pub inputs: Vec<Box<dyn QueueLen>>,
}

impl StageProbe {
    /// Batches waiting in the stage's input queues now.
    pub fn depth(&self) -> u64 {
        self.inputs.iter().map(|q| q.queue_len() as u64).sum()
    }
}

/// Anything whose waiting batches can be counted (a receiver of any item type).
pub(crate) trait QueueLen: Send + Sync {
    /// Batches waiting.
    fn queue_len(&self) -> usize;
}

impl<T: Send> QueueLen for Receiver<T> {
    fn queue_len(&self) -> usize {
        self.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ALL` is the pipeline in order, then the committee; names round-trip; only the widening stages (and the
    /// network, whose threads spread over its cores) get a thread per core.
    #[test]
    fn stage_kinds_are_listed_once_in_order() {
        assert_eq!(StageKind::ALL[..StageKind::PIPELINE.len()], StageKind::PIPELINE);
        assert_eq!(StageKind::ALL.last(), Some(&StageKind::Committee));
        for (k, kind) in StageKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), k);
            assert_eq!(StageKind::from_name(kind.name()), Some(kind));
            let threads = kind.threads(&[3, 4, 5]);
            let spread = kind.widens() || kind == StageKind::Network;
            assert_eq!(threads, if spread { 3 } else { 1 }, "{}", kind.name());
        }
    }
}
