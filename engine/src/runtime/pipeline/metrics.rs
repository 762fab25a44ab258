//! What every stage counts: live counters summed over its threads, and each thread's busy/idle clock.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
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
        StageClock { metrics, mark: Instant::now(), cpu_mark: thread_cpu_ns() }
    }

    /// Charges the wall time since the last mark as idle (waiting for input).
    pub(crate) fn idle(&mut self) {
        let now = Instant::now();
        self.metrics.idle_ns.fetch_add((now - self.mark).as_nanos() as u64, Relaxed);
        self.mark = now;
        self.cpu_mark = thread_cpu_ns();
    }

    /// Charges the CPU time since the last mark as busy. `stalled` (blocked on a full queue, counted as stall
    /// time) burns no CPU, so it is already excluded; it is kept in the signature for the wall-time fallback.
    pub(crate) fn busy(&mut self, stalled: Duration) {
        let now = Instant::now();
        let cpu = thread_cpu_ns();
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

/// CPU time the calling thread has used, in nanoseconds (0 where the clock is unavailable).
pub fn thread_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID).unwrap_or(0)
}

/// CPU time (user + system) the whole process has used, in nanoseconds (0 where the clock is unavailable).
pub fn process_cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_PROCESS_CPUTIME_ID).unwrap_or(0)
}

/// The time `clock` reads, in nanoseconds; `None` when the platform refuses it.
fn clock_ns(clock: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, exclusively borrowed timespec for the duration of the call; an invalid clock id
    // makes the call fail with an error code, never touch memory.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some((ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64))
}

/// The CPU clocks of a stage's helper threads (the execution lanes): each thread registers itself when it
/// starts, and the stage adds the growth of their summed CPU time to its busy time, since that work is the
/// stage's even though the stage thread does not run it.
#[derive(Debug, Default)]
pub(crate) struct LaneClocks {
    clocks: Mutex<Vec<libc::clockid_t>>,
}

impl LaneClocks {
    /// Registers the calling thread's CPU clock. Returns false where the platform gives no per-thread clock
    /// id (not Linux): that thread's CPU time then goes uncounted.
    pub(crate) fn register_current(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            let mut clock: libc::clockid_t = 0;
            // SAFETY: `pthread_self` is always valid for the calling thread and `clock` is a valid, exclusively
            // borrowed out-parameter for the duration of the call.
            let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
            if rc == 0 {
                self.clocks.lock().unwrap_or_else(|e| e.into_inner()).push(clock);
                return true;
            }
        }
        false
    }

    /// CPU time used so far by every registered thread (a thread that has exited reads as nothing).
    pub(crate) fn cpu_ns(&self) -> u64 {
        let clocks = self.clocks.lock().unwrap_or_else(|e| e.into_inner());
        clocks.iter().filter_map(|c| clock_ns(*c)).fold(0u64, u64::saturating_add)
    }
}

/// The busy clock of a stage whose work runs on helper threads (execution lanes, admission shards, committee
/// members): the growth of their summed CPU time between [`HelperClock::begin`] and [`HelperClock::charge`] is the
/// stage's busy time.
pub(crate) struct HelperClock {
    clocks: Arc<LaneClocks>,
    metrics: Arc<StageMetrics>,
    mark: u64,
}

impl HelperClock {
    /// A clock charging the CPU time of the threads registered in `clocks` to `metrics`.
    pub(crate) fn new(clocks: Arc<LaneClocks>, metrics: Arc<StageMetrics>) -> Self {
        HelperClock { mark: clocks.cpu_ns(), clocks, metrics }
    }

    /// Marks the start of a piece of work handed to the helpers.
    pub(crate) fn begin(&mut self) {
        self.mark = self.clocks.cpu_ns();
    }

    /// Charges the helpers' CPU time since [`HelperClock::begin`] as busy.
    pub(crate) fn charge(&mut self) {
        let now = self.clocks.cpu_ns();
        self.metrics.busy_ns.fetch_add(now.saturating_sub(self.mark), Relaxed);
        self.mark = now;
    }

    /// The metrics this clock charges.
    pub(crate) fn metrics(&self) -> &StageMetrics {
        &self.metrics
    }

    /// CPU time used so far by every helper thread, charged or not (see [`LaneClocks::cpu_ns`]).
    pub(crate) fn cpu_ns(&self) -> u64 {
        self.clocks.cpu_ns()
    }
}
