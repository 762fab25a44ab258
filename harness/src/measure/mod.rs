//! Open-loop driving and the transaction books.
//!
//! The driver submits every pre-signed transaction at its intended time, whatever the system does, and advances
//! the system in between; it never waits for a commit before sending. Each transaction's fate is read at the
//! validator it was sent to: its commit latency runs from the *intended* send time (so a generator or system
//! that falls behind shows in latency instead of hiding it — coordinated omission), into an hdrhistogram.
//! Throughput counts the transactions whose intended time lies in the measurement window (warm-up and cool-down
//! trimmed). The books always balance: submitted = committed + rejected + pending.
//!
//! The system is reached through [`SystemUnderTest`], so the bookkeeping is tested against a small fake. Time
//! comes from a [`Pacer`] (`pacer.rs`); the books and the figures they give are in `books.rs`; the last second of
//! commits that the live view shows in `second.rs`.

mod books;
mod pacer;
mod second;

pub use books::{
    Books, GeneratorCheck, HISTOGRAM_MAX_US, LatencySplit, LatencySummary, Phase, Recorder, Snapshot, SplitHistograms,
    TxMetrics, micros, new_histogram,
};
pub use pacer::{Pacer, VirtualPacer, WallPacer};
pub use second::{LastSecond, SecondStats};

use crate::corpus::ScheduledTx;
use hsbench_engine::sim::{Cluster, ClusterReport, TxEvent};
use hsbench_engine::types::Transaction;
use serde::Serialize;
use std::time::Duration;

/// What the harness needs from a cluster.
pub trait SystemUnderTest {
    /// The system's time.
    fn now(&self) -> Duration;
    /// A client transaction arrives at validator `node` now.
    fn submit(&mut self, node: usize, tx: Transaction);
    /// Processes everything due up to `t`.
    fn run_until(&mut self, t: Duration);
    /// Status changes since the last call, from every node.
    fn drain_tx_events(&mut self) -> Vec<TxEvent>;
    /// Per-node summary now.
    fn report(&self) -> ClusterReport;
}

impl SystemUnderTest for Cluster {
    fn now(&self) -> Duration {
        Cluster::now(self)
    }
    fn submit(&mut self, node: usize, tx: Transaction) {
        Cluster::submit(self, node, tx)
    }
    fn run_until(&mut self, t: Duration) {
        Cluster::run_until(self, t)
    }
    fn drain_tx_events(&mut self) -> Vec<TxEvent> {
        Cluster::drain_tx_events(self)
    }
    fn report(&self) -> ClusterReport {
        Cluster::report(self)
    }
}

/// The time shape of a run, relative to the start of the load.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Length of the load.
    pub duration: Duration,
    /// Trimmed from the start of the measurement window.
    pub warmup: Duration,
    /// Trimmed from the end of the measurement window.
    pub cooldown: Duration,
    /// Longest wait after the load for in-flight transactions and node agreement.
    pub drain: Duration,
}

impl Plan {
    /// The measurement window `[warmup, duration − cooldown)` relative to the start of the load.
    pub fn window(&self) -> (Duration, Duration) {
        (self.warmup, self.duration.saturating_sub(self.cooldown))
    }
}

/// Longest the driver sleeps between advancing the system.
pub const TICK: Duration = Duration::from_millis(1);

/// A submission later than this after its intended time counts as a missed slot.
pub const LATE_THRESHOLD: Duration = Duration::from_millis(50);

/// Largest fraction of missed slots for a run to count as valid.
pub const MAX_LATE_FRACTION: f64 = 0.01;

/// How the nodes ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agreement {
    /// Every node at the same executed height with the same state root.
    pub same_root_same_height: bool,
    /// The engine's own cross-node safety check.
    pub engine_consistent: bool,
    /// How long the drain phase took (s).
    pub drain_s: f64,
}

/// Everything [`drive`] measured.
#[derive(Clone, Debug)]
pub struct DriveOutcome {
    /// System time the load started at.
    pub start: Duration,
    /// The transaction books and latencies.
    pub recorder: Recorder,
    /// The generator's self-check.
    pub generator: GeneratorCheck,
    /// The final cluster report.
    pub report: ClusterReport,
    /// Node agreement at the end.
    pub agreement: Agreement,
}

/// Whether every node sits at the same executed height with the same state root.
pub fn same_root_same_height(report: &ClusterReport) -> bool {
    let mut nodes = report.nodes.iter();
    match nodes.next() {
        None => false,
        Some(first) => nodes.all(|n| n.executed_height == first.executed_height && n.state_root == first.state_root),
    }
}

/// Runs the open-loop load of `txs` (sorted by offset) against `sut`, then drains. `progress` is called on
/// every step (rate-limit it there).
pub fn drive<S: SystemUnderTest + ?Sized>(
    sut: &mut S,
    pacer: &mut dyn Pacer,
    txs: Vec<ScheduledTx>,
    plan: &Plan,
    progress: &mut dyn FnMut(&Snapshot),
) -> DriveOutcome {
    let start = sut.now();
    let load_end = start + plan.duration;
    let mut recorder = Recorder::with_capacity(txs.len());
    let mut lag_histogram = new_histogram();
    let mut late = 0u64;
    let mut lag = Duration::ZERO;
    let mut advanced_to = start;
    let mut queue = txs.into_iter().peekable();

    // Load: submit each transaction at its intended time, advance the system in between.
    loop {
        let now = pacer.now();
        if !pacer.is_virtual() && now > advanced_to {
            // Real time: first catch the system up to now, so that a transaction the generator is late with
            // arrives late (and its lateness shows in its latency) rather than back-dated to its intended time.
            sut.run_until(now);
            advanced_to = now;
        }
        while let Some(next) = queue.next_if(|s| start + s.offset <= now) {
            let intended = start + next.offset;
            if intended > advanced_to {
                // Virtual time: the system processes what was due before this arrival, then the arrival.
                sut.run_until(intended);
                advanced_to = intended;
            }
            lag = pacer.now().saturating_sub(intended);
            late += u64::from(lag > LATE_THRESHOLD);
            lag_histogram.saturating_record(micros(lag));
            recorder.on_submit(next.hash, next.node, intended);
            recorder.on_sent(&next.hash, pacer.now());
            sut.submit(next.node, next.tx);
        }
        if now > advanced_to {
            sut.run_until(now);
            advanced_to = now;
        }
        for event in sut.drain_tx_events() {
            recorder.on_event(&event);
        }
        let last_second = recorder.last_second(now - start);
        progress(&Snapshot { phase: Phase::Load, elapsed: now - start, books: recorder.books(), lag, last_second });
        let next_due = queue.peek().map(|s| start + s.offset);
        if next_due.is_none() && now >= load_end {
            break;
        }
        // Every due transaction was submitted, so the wake-up time lies in the future.
        pacer.wait_until(next_due.unwrap_or(load_end).min(now + TICK));
    }

    // Drain: until every transaction has a fate and the nodes agree, or the drain time is up.
    let drain_start = pacer.now();
    let drain_end = drain_start + plan.drain;
    let report = loop {
        let now = pacer.now();
        if now > advanced_to {
            sut.run_until(now);
            advanced_to = now;
        }
        for event in sut.drain_tx_events() {
            recorder.on_event(&event);
        }
        let last_second = recorder.last_second(now - start);
        progress(&Snapshot { phase: Phase::Drain, elapsed: now - start, books: recorder.books(), lag, last_second });
        if recorder.books().pending == 0 || now >= drain_end {
            let report = sut.report();
            if same_root_same_height(&report) || now >= drain_end {
                break report;
            }
        }
        pacer.wait_until(now + TICK);
    };
    let drain_s = (pacer.now() - drain_start).as_secs_f64();

    let generator = GeneratorCheck::from_lags(recorder.books().submitted, late, &lag_histogram);
    let agreement = Agreement {
        same_root_same_height: same_root_same_height(&report),
        engine_consistent: report.consistent,
        drain_s,
    };
    DriveOutcome { start, recorder, generator, report, agreement }
}
