//! One measured rate of the node under test: throughput, corrected and uncorrected latency, the books, queue
//! growth, per-stage busy % and the bottleneck, the generator's validity — and whether it meets the SLO.

use crate::config::SloConfig;
use crate::loadgen::generator::{OpenLoopOutcome, PendingSeries};
use crate::measure::{GeneratorCheck, Plan, TxMetrics};
use hsbench_engine::runtime::pipeline::{ProcessMemory, StageKind};
use serde::Serialize;
use std::time::Duration;

/// One pipeline stage's share of the run (also a validator process's report, so it reads back).
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct StageBusy {
    /// Stage name (ingress, sigverify, node, execution, storage).
    pub name: String,
    /// Cores it was pinned to.
    pub cores: Vec<usize>,
    /// Busy time ÷ (threads × run time), percent.
    pub busy_pct: f64,
    /// Busy core-nanoseconds per committed transaction.
    pub cost_ns_per_tx: f64,
    /// Times it stalled on a full output queue.
    pub backpressure_stalls: u64,
    /// Deepest input queue sampled (batches).
    pub queue_depth_max: u64,
    /// Items per input batch handled, on average — the items the stage counts: transactions for ingress,
    /// sigverify and execution (a batch of execution jobs: their blocks' transactions), inputs for the node
    /// stage, jobs for storage, signatures for vote_crypto. A sigverify stage far below its `batch_size` verifies
    /// smaller batches than the raw bound measured, at a higher cost per signature. 0 in results written before
    /// it was reported.
    #[serde(default)]
    pub mean_batch: f64,
}

impl From<&hsbench_engine::runtime::pipeline::StageReport> for StageBusy {
    fn from(s: &hsbench_engine::runtime::pipeline::StageReport) -> Self {
        StageBusy {
            name: s.name.clone(),
            cores: s.cores.clone(),
            busy_pct: s.busy_pct,
            cost_ns_per_tx: s.cost_ns_per_tx,
            backpressure_stalls: s.backpressure_stalls,
            queue_depth_max: s.queue_depth_max,
            mean_batch: if s.batches == 0 { 0.0 } else { s.items_in as f64 / s.batches as f64 },
        }
    }
}

/// In-flight transactions in the middle and at the end of the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct QueueGrowth {
    /// Mean in-flight count over the middle fifth of the window.
    pub mid: f64,
    /// Mean in-flight count over the last fifth of the window.
    pub end: f64,
    /// `end > 1.5 × mid + max(1024, 0.1 s of offered load)`: the system is not keeping up.
    pub growing: bool,
}

impl QueueGrowth {
    /// Growth of `series` (time since the start of the load, in flight) over the window `[from, to)`.
    pub fn of(series: &PendingSeries, from: Duration, to: Duration, offered_tps: f64) -> Self {
        let span = to.saturating_sub(from).as_secs_f64();
        let mean_between = |a: f64, b: f64| {
            let (a, b) = (from + Duration::from_secs_f64(span * a), from + Duration::from_secs_f64(span * b));
            let values: Vec<u64> = series.iter().filter(|(t, _)| *t >= a && *t < b).map(|(_, n)| *n).collect();
            if values.is_empty() { 0.0 } else { values.iter().sum::<u64>() as f64 / values.len() as f64 }
        };
        let (mid, end) = (mean_between(0.4, 0.6), mean_between(0.8, 1.0));
        let floor = (0.1 * offered_tps).max(1024.0);
        QueueGrowth { mid, end, growing: end > 1.5 * mid + floor }
    }
}

/// Share of the measured window (percent) in which a thread had work due, at or above which it counts as
/// saturated: the synthetic committee saturated while no stage of the node did makes the run harness-bound.
///
/// A thread waits for input only when nothing is due; the rest of its wall time it works, or waits for the CPU
/// with work queued. A committee that keeps up drains its backlog and waits for the 1 ms link and the next round's
/// timers every few milliseconds (40 % of the window at 15k tx/s on 2 cores); one that cannot keep up never drains
/// it and so never waits (100 % with 63 BLS members at 2000 tx/s). 90 % leaves room for the sampling grain (a wait
/// is charged when the thread wakes, at most 5 ms late) and for brief drains in a thread that is behind; an idle
/// thread sits near 0 %. Wall time with work due, not CPU time, is what is counted: a thread queued behind others
/// on a shared core shows little CPU but a backlog that never empties — which is why the node's stages are held to
/// the same mark: when one of them is saturated too (on 2 cores an overloaded node starves the committee that
/// shares its cores), the failure is not the harness's alone and no verdict is given.
pub const SATURATED_WORK_PCT: f64 = 90.0;

/// One thread group's clocks at one instant: CPU nanoseconds working and wall nanoseconds waiting for input, summed
/// over its threads (from the engine's live counters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clocks {
    /// CPU nanoseconds spent working so far.
    pub busy_ns: u64,
    /// Wall nanoseconds spent waiting for input so far.
    pub idle_ns: u64,
}

/// The synthetic committee's and the node's stages' clocks at one instant of the load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipelineSample {
    /// Time since the start of the load.
    pub at: Duration,
    /// The committee's thread.
    pub committee: Clocks,
    /// Each stage of the node under test, by name.
    pub stages: Vec<(String, Clocks)>,
}

/// How many of the stage `name`'s `threads` on `cores` wait for input: what its work due is measured over
/// (`StageKind::waiting_threads`: execution's driver alone, none for admission); `threads` for a name the engine
/// does not know.
pub fn waiting_threads(name: &str, cores: &[usize], threads: usize) -> usize {
    StageKind::from_name(name).map_or(threads, |k| k.waiting_threads(cores))
}

/// Share (0–100) of `threads × span` not spent waiting for input between `a` and `b`.
fn working_pct(a: Clocks, b: Clocks, threads: usize, span_ns: f64) -> f64 {
    let idle = b.idle_ns.saturating_sub(a.idle_ns) as f64 / (threads.max(1) as f64 * span_ns);
    (100.0 * (1.0 - idle)).clamp(0.0, 100.0)
}

/// The synthetic committee over the measured window: how much of it the committee had work due, the CPU it used,
/// and the same for the node's busiest stage. Not part of the node's cost; it decides whether the run measured
/// the node or the harness.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CommitteeWindow {
    /// Length of the sampled span inside the window (s).
    pub span_s: f64,
    /// Share of the span the committee thread was not waiting for input (0–100): work was due.
    pub working_pct: f64,
    /// Its CPU time over the span ÷ the span (100 = one whole core; above 100 when its members run on a pool of
    /// several threads).
    pub cpu_pct: f64,
    /// The node's stage with the most work due over the span (empty when none was sampled).
    pub node_busiest_stage: String,
    /// That stage's share of the span with work due, per thread (0–100).
    pub node_working_pct: f64,
}

impl CommitteeWindow {
    /// The window between two samples (`None` when `last` is not after `first`); `threads` gives, by name, how
    /// many of a stage's threads wait for input (`StageKind::waiting_threads`; a stage with none is left out).
    pub fn between(first: &PipelineSample, last: &PipelineSample, threads: &dyn Fn(&str) -> usize) -> Option<Self> {
        let span = last.at.checked_sub(first.at).filter(|d| !d.is_zero())?;
        let span_ns = span.as_nanos() as f64;
        let (c0, c1) = (first.committee, last.committee);
        let mut w = CommitteeWindow {
            span_s: span.as_secs_f64(),
            working_pct: working_pct(c0, c1, 1, span_ns),
            cpu_pct: (c1.busy_ns.saturating_sub(c0.busy_ns) as f64 / span_ns * 100.0).max(0.0),
            ..CommitteeWindow::default()
        };
        for (name, b) in &last.stages {
            let Some((_, a)) = first.stages.iter().find(|(n, _)| n == name) else { continue };
            if threads(name) == 0 {
                continue;
            }
            let pct = working_pct(*a, *b, threads(name), span_ns);
            if w.node_busiest_stage.is_empty() || pct > w.node_working_pct {
                (w.node_busiest_stage, w.node_working_pct) = (name.clone(), pct);
            }
        }
        Some(w)
    }

    /// Whether the committee saturated ([`SATURATED_WORK_PCT`]) while no stage of the node did.
    pub fn harness_bound(&self) -> bool {
        self.working_pct >= SATURATED_WORK_PCT && self.node_working_pct < SATURATED_WORK_PCT
    }

    /// The harness-bound verdict, with its numbers; `None` when the committee kept up or the node saturated too.
    pub fn verdict(&self) -> Option<String> {
        self.harness_bound().then(|| {
            format!(
                "synthetic committee saturated: work due {:.0} % of the window (≥ {SATURATED_WORK_PCT:.0} %), CPU \
                 {:.0} % of a core over {:.1} s, while the node's busiest stage ({}) had work due {:.0} %",
                self.working_pct,
                self.cpu_pct,
                self.span_s,
                if self.node_busiest_stage.is_empty() { "none sampled" } else { &self.node_busiest_stage },
                self.node_working_pct
            )
        })
    }
}

/// Keeps the samples that bound the measured window `[from, to]`: the first at or after `from`, the last at or
/// before `to`.
#[derive(Clone, Debug)]
pub struct CommitteeWatch {
    from: Duration,
    to: Duration,
    first: Option<PipelineSample>,
    last: Option<PipelineSample>,
}

impl CommitteeWatch {
    /// A watch over the window `[from, to]` (times since the start of the load).
    pub fn new(from: Duration, to: Duration) -> Self {
        CommitteeWatch { from, to, first: None, last: None }
    }

    /// Whether a sample at `at` would be kept (so the caller reads the counters only then).
    pub fn wants(&self, at: Duration) -> bool {
        at >= self.from && at <= self.to
    }

    /// Offers a sample; ones outside the window are ignored.
    pub fn see(&mut self, sample: PipelineSample) {
        if self.wants(sample.at) {
            if self.first.is_none() {
                self.first = Some(sample.clone());
            }
            self.last = Some(sample);
        }
    }

    /// The committee over the sampled part of the window (`None` with fewer than two samples); `threads` as in
    /// [`CommitteeWindow::between`].
    pub fn window(&self, threads: &dyn Fn(&str) -> usize) -> Option<CommitteeWindow> {
        CommitteeWindow::between(self.first.as_ref()?, self.last.as_ref()?, threads)
    }
}

/// Everything measured at one offered rate.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RateResult {
    /// Length of the load (s).
    pub duration_s: f64,
    /// Throughput, corrected and uncorrected latency, rejections by reason, the books.
    #[serde(flatten)]
    pub tx: TxMetrics,
    /// `offered_tps` less the deliberately invalid share of the workload.
    pub valid_offered_tps: f64,
    /// `commit_rate_tps ÷ valid_offered_tps`.
    pub committed_fraction: f64,
    /// In-flight transactions, middle vs end of the window.
    pub queue: QueueGrowth,
    /// The stage with the highest busy % per thread.
    pub bottleneck: String,
    /// Per-stage busy %, cost and back-pressure.
    pub stages: Vec<StageBusy>,
    /// The synthetic committee's busy % (not part of the node's cost).
    pub committee_busy_pct: f64,
    /// Resident memory of the node's process over the run (peak and at the stop): in node mode the process holds
    /// the synthetic committee too; over the wire it is validator 0's process alone. `null` off Linux.
    pub memory: Option<ProcessMemory>,
    /// The synthetic committee and the node's busiest stage over the measured window (`null` when the window was
    /// too short to sample).
    pub committee_window: Option<CommitteeWindow>,
    /// Set when the run measured the harness rather than the node: the synthetic committee saturated in the window
    /// while no stage of the node did (the reason and its numbers). Like a late generator's, its SLO verdict is not
    /// the node's.
    pub harness_bound: Option<String>,
    /// The generator's self-check and the back-pressure it met.
    pub generator: GeneratorCheck,
    /// How long the drain took (s).
    pub drain_s: f64,
    /// Engine warnings (failed pins, layout notes).
    pub warnings: Vec<String>,
}

impl RateResult {
    /// The transaction side of a result from an open-loop outcome; `invalid_share` is the fraction of the
    /// workload that is deliberately invalid. Stage figures are filled in by the caller.
    pub fn from_outcome(outcome: &OpenLoopOutcome, plan: &Plan, invalid_share: f64) -> Self {
        let tx = outcome.recorder.metrics(outcome.start, plan);
        let valid_offered_tps = tx.offered_tps * (1.0 - invalid_share).max(0.0);
        let committed_fraction = if valid_offered_tps > 0.0 { tx.commit_rate_tps / valid_offered_tps } else { 0.0 };
        let (from, to) = plan.window();
        RateResult {
            duration_s: plan.duration.as_secs_f64(),
            queue: QueueGrowth::of(&outcome.pending, from, to, tx.offered_tps),
            valid_offered_tps,
            committed_fraction,
            generator: outcome.generator,
            drain_s: outcome.drain_s,
            tx,
            ..RateResult::default()
        }
    }

    /// Why this rate fails the SLO (empty = it passes). A run whose generator fell behind fails too: it
    /// measured the harness, not the node.
    pub fn slo_failures(&self, slo: &SloConfig) -> Vec<String> {
        let mut failures = Vec::new();
        let p99_ms = self.tx.latency_us.p99 as f64 / 1e3;
        if self.tx.latency_us.count == 0 {
            failures.push("nothing committed in the window".to_string());
        } else if p99_ms > slo.p99_ms {
            failures.push(format!("p99 {p99_ms:.1} ms > {} ms", slo.p99_ms));
        }
        if self.committed_fraction < slo.min_committed_fraction {
            failures.push(format!(
                "committed {:.1} % of offered < {:.1} %",
                self.committed_fraction * 100.0,
                slo.min_committed_fraction * 100.0
            ));
        }
        if self.queue.growing {
            failures.push(format!("queue growing ({:.0} → {:.0} in flight)", self.queue.mid, self.queue.end));
        }
        if !self.generator.valid {
            failures
                .push(format!("generator fell behind ({} of {} late)", self.generator.late, self.generator.submitted));
        }
        failures
    }
}

impl RateResult {
    /// Summed busy % per core of `available` (ids; one entry each, in that order): each stage thread's share on
    /// its core (a stage's threads run on its first cores, by the engine's rule: `StageKind::threads`), and the
    /// committee's (busy % per thread) on each of `committee_cores` it runs a thread on.
    pub fn core_busy(&self, committee_cores: &[usize], available: &[usize]) -> Vec<f64> {
        let mut load = vec![0.0; available.len()];
        let mut add = |core: usize, pct: f64| {
            if let Some(l) = available.iter().position(|&id| id == core).and_then(|k| load.get_mut(k)) {
                *l += pct;
            }
        };
        let committee = (StageKind::Committee.name(), committee_cores, self.committee_busy_pct);
        let stages = self.stages.iter().map(|s| (s.name.as_str(), s.cores.as_slice(), s.busy_pct));
        for (name, cores, busy_pct) in stages.chain([committee]) {
            let threads = StageKind::from_name(name).map_or(1, |k| k.threads(cores));
            for &k in &cores[..threads.min(cores.len())] {
                add(k, busy_pct);
            }
        }
        load
    }
}

/// Position of the highest entry of `load`.
pub fn busiest(load: &[f64]) -> Option<usize> {
    (0..load.len()).max_by(|&a, &b| load[a].total_cmp(&load[b]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mean batch is items taken in ÷ batches handled (0 when none was handled), and a stage of a result
    /// written before it was reported reads back with 0.
    #[test]
    fn mean_batch_is_items_per_batch_and_reads_back_from_older_results() {
        use hsbench_engine::runtime::pipeline::StageReport;
        let report =
            |items_in, batches| StageReport { name: "sigverify".into(), items_in, batches, ..Default::default() };
        assert_eq!(StageBusy::from(&report(1_000, 8)).mean_batch, 125.0);
        assert_eq!(StageBusy::from(&report(0, 0)).mean_batch, 0.0);
        let old = r#"{"name":"sigverify","cores":[1],"busy_pct":40.0,"cost_ns_per_tx":7000.0,"backpressure_stalls":0,"queue_depth_max":3}"#;
        let read: StageBusy = serde_json::from_str(old).expect("an older stage reads back");
        assert_eq!((read.queue_depth_max, read.mean_batch), (3, 0.0));
    }

    /// Per-core load: each stage thread's busy % on its core, and a committee on two cores (a pool of two threads;
    /// its busy % is per thread) on both — not all of it on its first core.
    #[test]
    fn core_load_counts_every_thread_on_its_core_the_committee_included() {
        let stage = |name: &str, cores: Vec<usize>, busy_pct: f64| StageBusy {
            name: name.into(),
            cores,
            busy_pct,
            ..StageBusy::default()
        };
        let r = RateResult {
            stages: vec![stage("sigverify", vec![1, 2], 50.0), stage("node", vec![1], 20.0)],
            committee_busy_pct: 40.0,
            ..RateResult::default()
        };
        assert_eq!(r.core_busy(&[0, 3], &[0, 1, 2, 3]), vec![40.0, 70.0, 50.0, 40.0]);
        assert_eq!(r.core_busy(&[0], &[0, 1, 2, 3]), vec![40.0, 70.0, 50.0, 0.0]);
    }

    /// Execution on two lanes waits for input on one thread (its driver; the lanes run inside its batches), so a
    /// driver that waited half the window had work due 50 % of it, not 75 %; admission (driven by the node stage) has no waiting
    /// thread and is left out of the verdict.
    #[test]
    fn work_due_counts_only_the_threads_that_wait_for_input() {
        assert_eq!(waiting_threads("execution", &[2, 3], 2), 1);
        assert_eq!(waiting_threads("admission", &[4, 5], 2), 0);
        assert_eq!(waiting_threads("sigverify", &[1, 2, 3], 3), 3);
        assert_eq!(waiting_threads("unknown", &[1], 5), 5);
        let lanes = |name: &str| waiting_threads(name, &[2, 3], 2);
        let at = |ms: u64, exec_idle: u64| PipelineSample {
            at: Duration::from_millis(ms),
            committee: Clocks { busy_ns: 0, idle_ns: ms * 1_000_000 },
            stages: vec![
                ("execution".into(), Clocks { busy_ns: ms * 1_000_000, idle_ns: exec_idle }),
                ("admission".into(), Clocks { busy_ns: 0, idle_ns: 0 }),
            ],
        };
        let w = CommitteeWindow::between(&at(1000, 0), &at(3000, 1_000_000_000), &lanes).expect("a span");
        assert_eq!(w.node_busiest_stage, "execution");
        assert!((w.node_working_pct - 50.0).abs() < 1e-9, "{w:?}");
    }

    #[test]
    fn queue_growth_compares_end_with_middle() {
        let s = |f: &dyn Fn(f64) -> u64| -> PendingSeries {
            (0..100).map(|k| (Duration::from_millis(k * 100), f(k as f64 / 10.0))).collect()
        };
        let (a, b) = (Duration::from_secs(1), Duration::from_secs(9));
        let flat = QueueGrowth::of(&s(&|_| 2000), a, b, 10_000.0);
        assert!(!flat.growing && flat.mid == 2000.0 && flat.end == 2000.0, "{flat:?}");
        let rising = QueueGrowth::of(&s(&|t| (t * 5000.0) as u64), a, b, 10_000.0);
        assert!(rising.growing, "{rising:?}");
        let noisy_small = QueueGrowth::of(&s(&|t| if t > 7.0 { 900 } else { 100 }), a, b, 1000.0);
        assert!(!noisy_small.growing, "below the floor: {noisy_small:?}");
    }

    #[test]
    fn harness_bound_is_a_saturated_committee_beside_an_unsaturated_node() {
        let ms = |x: u64| x * 1_000_000;
        // (at, committee busy/idle, sigverify busy/idle summed over its 2 threads), in ms.
        let at = |t: u64, c: (u64, u64), sv: (u64, u64)| PipelineSample {
            at: Duration::from_millis(t),
            committee: Clocks { busy_ns: ms(c.0), idle_ns: ms(c.1) },
            stages: vec![("sigverify".into(), Clocks { busy_ns: ms(sv.0), idle_ns: ms(sv.1) })],
        };
        let threads = |name: &str| if name == "sigverify" { 2 } else { 1 };
        let mut watch = CommitteeWatch::new(Duration::from_secs(1), Duration::from_secs(3));
        assert_eq!(watch.window(&threads), None, "nothing sampled yet");
        // Before the window, inside it, after it: only the first and last inside count.
        for s in [
            at(500, (0, 500), (0, 1000)),
            at(1000, (100, 900), (0, 1000)),
            at(2000, (600, 1400), (100, 2800)),
            at(3000, (1000, 1900), (200, 4600)),
            at(3500, (0, 0), (0, 0)),
        ] {
            watch.see(s);
        }
        let w = watch.window(&threads).expect("two samples in the window");
        assert_eq!((w.span_s, w.working_pct, w.cpu_pct), (2.0, 50.0, 45.0));
        assert_eq!(w.node_busiest_stage, "sigverify");
        assert!((w.node_working_pct - 10.0).abs() < 1e-9, "{w:?}");
        assert!(!w.harness_bound() && w.verdict().is_none());

        // Never waiting for input, even on half a core (starved of CPU), beside an idle node: harness-bound.
        let starved =
            CommitteeWindow::between(&at(1000, (0, 300), (0, 0)), &at(3000, (1000, 300), (10, 3800)), &threads)
                .expect("a span");
        assert_eq!((starved.working_pct, starved.cpu_pct), (100.0, 50.0));
        assert!((starved.node_working_pct - 5.0).abs() < 1e-9, "{starved:?}");
        let why = starved.verdict().expect("harness-bound");
        assert!(why.contains("work due 100 %") && why.contains("CPU 50 %") && why.contains("(sigverify)"), "{why}");

        // The same committee beside a saturated sigverify stage (it starves the committee on a shared core): no
        // verdict, the node saturated too.
        let both = CommitteeWindow::between(&at(1000, (0, 0), (0, 0)), &at(3000, (500, 0), (3900, 100)), &threads)
            .expect("a span");
        assert!(both.working_pct == 100.0 && both.node_working_pct > 90.0 && both.verdict().is_none(), "{both:?}");

        // Idle: never.
        let idle = CommitteeWindow::between(&at(1000, (0, 0), (0, 0)), &at(3000, (1, 1999), (0, 4000)), &threads)
            .expect("a span");
        assert!(idle.working_pct < 1.0 && idle.verdict().is_none(), "{idle:?}");
        let same = at(1000, (0, 0), (0, 0));
        assert_eq!(CommitteeWindow::between(&same, &same, &threads), None, "an empty span");
    }

    #[test]
    fn slo_failures_name_each_reason() {
        let slo = SloConfig { p99_ms: 100.0, min_committed_fraction: 0.95 };
        let mut r = RateResult { committed_fraction: 1.0, ..RateResult::default() };
        r.generator.valid = true;
        r.tx.latency_us.count = 10;
        r.tx.latency_us.p99 = 50_000;
        assert!(r.slo_failures(&slo).is_empty());
        r.tx.latency_us.p99 = 150_000;
        r.committed_fraction = 0.5;
        r.queue.growing = true;
        r.generator.valid = false;
        let f = r.slo_failures(&slo);
        assert_eq!(f.len(), 4, "{f:?}");
        assert!(f[0].starts_with("p99 150.0 ms"), "{f:?}");
    }
}
