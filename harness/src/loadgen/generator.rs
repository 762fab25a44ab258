//! The open-loop generator: one thread submits pre-signed transactions in batches at their intended times
//! while the calling thread reads transaction events into the books.
//!
//! Batches: when the generator wakes, it submits every transaction due up to [`BATCH_WINDOW`] ahead (at least
//! one), so a batch is never more than 1 ms early and the node always receives batches, never single items at
//! high rates. Latency is measured from each transaction's intended time (coordinated omission corrected) and,
//! beside it, from when the node accepted it (uncorrected).
//!
//! Self-check: a transaction's lateness is split into the part the node caused (time blocked in `submit` on a
//! full ingress queue — back-pressure, counted) and the generator's own part (everything else: sleeping too
//! long, falling behind on CPU). Only the generator's own lateness beyond [`LATE_THRESHOLD`] is a missed slot,
//! and more than [`crate::measure::MAX_LATE_FRACTION`] missed slots mark the run invalid.

use crate::measure::{Books, GeneratorCheck, LATE_THRESHOLD, Phase, Recorder, Snapshot, micros, new_histogram};
use hsbench_engine::sim::TxEvent;
use hsbench_engine::types::{Hash, Transaction};
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::mpsc;
use std::time::Duration;

/// How far ahead of now a batch reaches.
pub const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// How often the reading thread drains events and samples the books.
pub const POLL: Duration = Duration::from_millis(5);

/// What the generator needs from a node: a clock, a blocking submit, and transaction events.
pub trait NodeHandle: Sync {
    /// The node's clock (the time axis of intended times and events).
    fn elapsed(&self) -> Duration;
    /// Hands a batch to the node's ingress; blocks while it is full and returns how long it blocked.
    fn submit(&self, txs: Vec<Transaction>) -> Duration;
    /// Status changes of the node under test since the last call.
    fn drain_tx_events(&self) -> Vec<TxEvent>;
}

/// The transactions of one run in send order, with their ids and intended offsets from the start of the load.
#[derive(Clone, Debug, Default)]
pub struct Load {
    /// The signed transactions.
    pub txs: Vec<Transaction>,
    /// Their ids (same order).
    pub hashes: Vec<Hash>,
    /// Intended send times from the start of the load (non-decreasing).
    pub offsets: Vec<Duration>,
}

/// The shape of one open-loop run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadPlan {
    /// Length of the load.
    pub duration: Duration,
    /// Longest wait after the load for every transaction to get a fate.
    pub drain: Duration,
}

/// The books over time: (time since the start of the load, transactions in flight).
pub type PendingSeries = Vec<(Duration, u64)>;

/// What [`run_open_loop`] measured.
#[derive(Clone, Debug)]
pub struct OpenLoopOutcome {
    /// Node time the load started at.
    pub start: Duration,
    /// Every transaction's fate.
    pub recorder: Recorder,
    /// The generator's self-check, with back-pressure counters.
    pub generator: GeneratorCheck,
    /// In-flight transactions (submitted − committed − rejected) sampled every [`POLL`].
    pub pending: PendingSeries,
    /// How long the drain took (s).
    pub drain_s: f64,
}

/// The generator thread's own account.
struct GeneratorStats {
    /// When the node accepted each transaction.
    sent: Vec<Duration>,
    check: GeneratorCheck,
}

/// Runs `load` open-loop against `node`, then drains; `progress` sees a snapshot every [`POLL`].
pub fn run_open_loop(
    node: &dyn NodeHandle,
    load: Load,
    plan: &LoadPlan,
    progress: &mut dyn FnMut(&Snapshot),
) -> OpenLoopOutcome {
    let Load { txs, hashes, offsets } = load;
    let start = node.elapsed();
    let load_end = start + plan.duration;
    let mut recorder = Recorder::with_capacity(hashes.len());
    let mut pending = PendingSeries::new();
    let (tx, rx) = mpsc::channel::<Range<usize>>();
    let mut drain_s = 0.0;
    let stats = std::thread::scope(|scope| {
        let offsets_ref = &offsets;
        let generator = scope.spawn(move || generate(node, txs, offsets_ref, start, tx));
        let apply = |recorder: &mut Recorder| {
            // Events first, then the announcements: every transaction an event names was announced before it
            // was submitted, so its announcement is already in the channel.
            let events = node.drain_tx_events();
            while let Ok(range) = rx.try_recv() {
                for i in range {
                    recorder.on_submit(hashes[i], 0, start + offsets[i]);
                }
            }
            for event in &events {
                recorder.on_event(event);
            }
        };
        loop {
            apply(&mut recorder);
            let now = node.elapsed();
            let books = recorder.books();
            pending.push((now.saturating_sub(start), books.pending));
            // How far behind its schedule the generator is (the next unsent transaction's lateness).
            let lag = offsets.get(books.submitted as usize).map_or(Duration::ZERO, |o| now.saturating_sub(start + *o));
            let elapsed = now.saturating_sub(start);
            let last_second = recorder.last_second(elapsed);
            progress(&Snapshot { phase: Phase::Load, elapsed, books, lag, last_second });
            if generator.is_finished() && now >= load_end {
                break;
            }
            std::thread::sleep(POLL);
        }
        let drain_start = node.elapsed();
        loop {
            apply(&mut recorder);
            let now = node.elapsed();
            let books: Books = recorder.books();
            let lag = Duration::ZERO;
            let elapsed = now.saturating_sub(start);
            let last_second = recorder.last_second(elapsed);
            progress(&Snapshot { phase: Phase::Drain, elapsed, books, lag, last_second });
            if books.pending == 0 || now >= drain_start + plan.drain {
                drain_s = (now - drain_start).as_secs_f64();
                break;
            }
            std::thread::sleep(POLL);
        }
        generator.join()
    });
    let generator = match stats {
        Ok(stats) => {
            for (hash, sent) in hashes.iter().zip(&stats.sent) {
                recorder.on_sent(hash, *sent);
            }
            stats.check
        }
        // The generator thread panicked: every transaction it did not report stays as announced; the run is
        // marked invalid.
        Err(_) => GeneratorCheck { valid: false, ..GeneratorCheck::from_lags(0, 0, &new_histogram()) },
    };
    OpenLoopOutcome { start, recorder, generator, pending, drain_s }
}

/// Blocked intervals of recent submissions, to split lateness into the node's part and the generator's.
#[derive(Default)]
struct BlockedIntervals(VecDeque<(Duration, Duration)>);

impl BlockedIntervals {
    fn push(&mut self, from: Duration, to: Duration) {
        if to > from {
            self.0.push_back((from, to));
        }
    }
    /// Forgets intervals that ended before `t`.
    fn prune(&mut self, t: Duration) {
        while self.0.front().is_some_and(|(_, end)| *end < t) {
            self.0.pop_front();
        }
    }
    /// Blocked time within `[from, to]`.
    fn overlap(&self, from: Duration, to: Duration) -> Duration {
        self.0.iter().map(|(a, b)| (*b).min(to).saturating_sub((*a).max(from))).sum()
    }
}

/// The generator thread: submits `txs` in batches at `start + offsets[i]`, announcing each batch on `announce`
/// before submitting it.
fn generate(
    node: &dyn NodeHandle,
    txs: Vec<Transaction>,
    offsets: &[Duration],
    start: Duration,
    announce: mpsc::Sender<Range<usize>>,
) -> GeneratorStats {
    let n = txs.len().min(offsets.len());
    let mut sent = vec![Duration::ZERO; n];
    let mut own_lag = new_histogram();
    let (mut late, mut backpressure_late, mut stalls, mut blocked_total) = (0u64, 0u64, 0u64, Duration::ZERO);
    let mut blocked = BlockedIntervals::default();
    let mut queue = txs.into_iter();
    let mut i = 0usize;
    while i < n {
        let due = start + offsets[i];
        let now = node.elapsed();
        if due > now {
            std::thread::sleep(due - now);
        }
        let now = node.elapsed().max(due);
        let horizon = now + BATCH_WINDOW;
        let end = i + 1 + offsets[i + 1..n].partition_point(|o| start + *o <= horizon);
        let batch: Vec<Transaction> = queue.by_ref().take(end - i).collect();
        // The reader may have stopped listening only after the load: nothing to do then.
        let _ = announce.send(i..end);
        let t_send = node.elapsed();
        let waited = node.submit(batch);
        let t_done = node.elapsed();
        if !waited.is_zero() {
            stalls += 1;
            blocked_total += waited;
            blocked.push(t_done.saturating_sub(waited), t_done);
        }
        blocked.prune(start + offsets[i]);
        for (k, offset) in offsets[i..end].iter().enumerate() {
            let intended = start + *offset;
            sent[i + k] = t_done.max(intended);
            let total = t_send.saturating_sub(intended);
            let own = total.saturating_sub(blocked.overlap(intended, t_send));
            own_lag.saturating_record(micros(own));
            if own > LATE_THRESHOLD {
                late += 1;
            } else if t_done.saturating_sub(intended) > LATE_THRESHOLD {
                backpressure_late += 1;
            }
        }
        i = end;
    }
    let mut check = GeneratorCheck::from_lags(n as u64, late, &own_lag);
    check.backpressure_late = backpressure_late;
    check.backpressure_stalls = stalls;
    check.backpressure_blocked_us = micros(blocked_total);
    GeneratorStats { sent, check }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_time_is_split_from_the_generators_own_lateness() {
        let ms = Duration::from_millis;
        let mut b = BlockedIntervals::default();
        b.push(ms(10), ms(70));
        b.push(ms(100), ms(100)); // empty: ignored
        assert_eq!(b.overlap(ms(0), ms(80)), ms(60));
        assert_eq!(b.overlap(ms(50), ms(60)), ms(10));
        b.prune(ms(71));
        assert_eq!(b.overlap(ms(0), ms(80)), ms(0));
    }
}
