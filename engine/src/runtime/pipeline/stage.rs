//! The one `Stage` abstraction every pipeline stage is built from: uniform counters, a busy/idle clock for
//! each of its threads, core pinning, and the probe the monitor samples.

use super::error::PipelineError;
use crossbeam_channel::Receiver;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Live counters of one stage (summed over its threads). Busy, idle and stalled time partition each thread's
/// wall time; stalls are counted on the producer whose send found the next queue full.
#[derive(Debug, Default)]
pub struct StageMetrics {
    /// Nanoseconds spent working (excluding time blocked on a full output queue).
    pub busy_ns: AtomicU64,
    /// Nanoseconds spent waiting for input.
    pub idle_ns: AtomicU64,
    /// Items taken in (transactions, messages, callbacks, blocks).
    pub items_in: AtomicU64,
    /// Items passed on.
    pub items_out: AtomicU64,
    /// Input batches handled.
    pub batches: AtomicU64,
    /// Back-pressure events: sends that found the output queue full.
    pub stalls: AtomicU64,
    /// Nanoseconds blocked on full output queues.
    pub stall_ns: AtomicU64,
}

/// A copy of [`StageMetrics`] at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StageCounters {
    /// See [`StageMetrics::busy_ns`].
    pub busy_ns: u64,
    /// See [`StageMetrics::idle_ns`].
    pub idle_ns: u64,
    /// See [`StageMetrics::items_in`].
    pub items_in: u64,
    /// See [`StageMetrics::items_out`].
    pub items_out: u64,
    /// See [`StageMetrics::batches`].
    pub batches: u64,
    /// See [`StageMetrics::stalls`].
    pub stalls: u64,
    /// See [`StageMetrics::stall_ns`].
    pub stall_ns: u64,
}

impl StageMetrics {
    /// The counters now.
    pub fn counters(&self) -> StageCounters {
        StageCounters {
            busy_ns: self.busy_ns.load(Relaxed),
            idle_ns: self.idle_ns.load(Relaxed),
            items_in: self.items_in.load(Relaxed),
            items_out: self.items_out.load(Relaxed),
            batches: self.batches.load(Relaxed),
            stalls: self.stalls.load(Relaxed),
            stall_ns: self.stall_ns.load(Relaxed),
        }
    }

    /// Counts one input batch of `items`.
    pub fn took(&self, items: usize) {
        self.batches.fetch_add(1, Relaxed);
        self.items_in.fetch_add(items as u64, Relaxed);
    }

    /// Counts `items` passed on.
    pub fn gave(&self, items: usize) {
        self.items_out.fetch_add(items as u64, Relaxed);
    }
}

impl StageCounters {
    /// Element-wise `self − earlier` (saturating), for per-interval samples.
    pub fn since(&self, earlier: &StageCounters) -> StageCounters {
        StageCounters {
            busy_ns: self.busy_ns.saturating_sub(earlier.busy_ns),
            idle_ns: self.idle_ns.saturating_sub(earlier.idle_ns),
            items_in: self.items_in.saturating_sub(earlier.items_in),
            items_out: self.items_out.saturating_sub(earlier.items_out),
            batches: self.batches.saturating_sub(earlier.batches),
            stalls: self.stalls.saturating_sub(earlier.stalls),
            stall_ns: self.stall_ns.saturating_sub(earlier.stall_ns),
        }
    }
}

/// One thread's busy/idle clock: every stretch of its wall time is charged to exactly one of busy, idle or
/// (through the queue) stalled.
///
/// Busy time is the thread's **CPU time** (CLOCK_THREAD_CPUTIME_ID) spent between marks, not wall time: on shared
/// or oversubscribed cores a descheduled thread would otherwise look busy and be misnamed the bottleneck.
pub(crate) struct StageClock {
    metrics: Arc<StageMetrics>,
    mark: Instant,
    cpu_mark: u64,
}

impl StageClock {
    /// A clock charging `metrics`, starting now.
    pub(crate) fn new(metrics: Arc<StageMetrics>) -> Self {
        StageClock { metrics, mark: Instant::now(), cpu_mark: super::thread_cpu_ns() }
    }

    /// Charges the wall time since the last mark as idle (waiting for input).
    pub(crate) fn idle(&mut self) {
        let now = Instant::now();
        self.metrics.idle_ns.fetch_add((now - self.mark).as_nanos() as u64, Relaxed);
        self.mark = now;
        self.cpu_mark = super::thread_cpu_ns();
    }

    /// Charges the CPU time since the last mark as busy. `stalled` (blocked on a full queue, counted as stall
    /// time) burns no CPU, so it is already excluded; it is kept in the signature for the wall-time fallback.
    pub(crate) fn busy(&mut self, stalled: Duration) {
        let now = Instant::now();
        let cpu = super::thread_cpu_ns();
        let d = if cpu == 0 {
            (now - self.mark).saturating_sub(stalled).as_nanos() as u64 // no thread clock on this platform
        } else {
            cpu.saturating_sub(self.cpu_mark)
        };
        self.metrics.busy_ns.fetch_add(d, Relaxed);
        self.mark = now;
        self.cpu_mark = cpu;
    }

    /// The metrics this clock charges.
    pub(crate) fn metrics(&self) -> &StageMetrics {
        &self.metrics
    }
}

/// Pins the calling thread to `core`, a core id as the OS numbers it (one of [`available_cores`]). A core the
/// thread may not run on, or a platform that refuses pinning, yields a warning and leaves the thread running
/// unpinned — never a crash. (Configured core maps are checked against [`available_cores`] before any thread
/// starts, see [`super::CoreLayout::resolve`], so this is the last line of defence, not the usual path.)
pub fn pin_to_core(core: usize) -> Result<(), String> {
    let Some(ids) = core_affinity::get_core_ids() else {
        return Err(format!("cannot list this machine's cores; thread meant for core {core} runs unpinned"));
    };
    let Some(id) = ids.iter().find(|id| id.id == core) else {
        let allowed: Vec<usize> = ids.iter().map(|id| id.id).collect();
        return Err(format!(
            "core {core} is not one this thread may run on (allowed: {allowed:?}); thread runs unpinned"
        ));
    };
    if core_affinity::set_for_current(*id) {
        Ok(())
    } else {
        Err(format!("pinning to core {core} failed; thread runs unpinned"))
    }
}

/// Ids of the cores the calling thread may run on, ascending and never empty: its affinity mask on Linux
/// (`taskset`, cpusets and containers restrict it, so ids need not start at 0 nor be contiguous), `0..n`
/// where the platform numbers cores by index, and `0..available_parallelism` when it cannot list them.
/// These are the ids [`pin_to_core`] accepts and [`super::CoreMap::auto`] lays stages out on.
pub fn available_cores() -> Vec<usize> {
    let mut ids: Vec<usize> = core_affinity::get_core_ids().unwrap_or_default().into_iter().map(|id| id.id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        ids = (0..std::thread::available_parallelism().map_or(1, |n| n.get())).collect();
    }
    ids
}

/// Warnings collected from every thread (failed pins, stuck stages) for the report.
pub(crate) type Warnings = Arc<Mutex<Vec<String>>>;

/// Appends a warning (a poisoned lock still takes it: warnings must not be lost to a panic elsewhere).
pub(crate) fn warn(warnings: &Warnings, w: String) {
    warnings.lock().unwrap_or_else(|e| e.into_inner()).push(w);
}

/// Spawns a named thread that pins itself to `core` (a failed pin becomes a warning) and then runs `f`.
pub(crate) fn spawn_pinned<R: Send + 'static>(
    name: String,
    core: Option<usize>,
    warnings: &Warnings,
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<JoinHandle<R>, PipelineError> {
    let warnings = warnings.clone();
    let stage = name.clone();
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            if let Some(core) = core
                && let Err(w) = pin_to_core(core)
            {
                warn(&warnings, format!("{name}: {w}"));
            }
            f()
        })
        .map_err(|source| PipelineError::Spawn { stage, source })
}

/// What the monitor and the report know about one stage: its name, layout, counters and input queue depth.
pub(crate) struct StageProbe {
    /// Stage name (report key).
    pub name: &'static str,
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
