//! The transaction books of a run ([`Recorder`], [`Books`]) and the figures they give ([`TxMetrics`],
//! [`LatencySummary`], [`GeneratorCheck`]).

use super::second::{LastSecond, SecondStats};
use super::{LATE_THRESHOLD, MAX_LATE_FRACTION, Plan};
use hdrhistogram::Histogram;
use hsbench_engine::mempool::RejectReason;
use hsbench_engine::protocol::BlockTimes;
use hsbench_engine::sim::{TxEvent, TxStatus};
use hsbench_engine::types::{Hash, Height, KeyedMap, KeyedState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Where the run is, for progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Submitting the corpus.
    Load,
    /// Load over, waiting for in-flight transactions and node agreement.
    Drain,
}

/// A progress snapshot.
#[derive(Clone, Copy, Debug)]
pub struct Snapshot {
    /// Load or drain.
    pub phase: Phase,
    /// Time since the start of the load.
    pub elapsed: Duration,
    /// The books so far.
    pub books: Books,
    /// How late the most recent submission was.
    pub lag: Duration,
    /// The last whole second of commits (count, p99) and its length.
    pub last_second: (SecondStats, Duration),
}

/// The transaction books: `submitted = committed + rejected + pending`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Books {
    /// Transactions handed to the system.
    pub submitted: u64,
    /// Committed at the validator they were sent to (whether execution succeeded or not).
    pub committed: u64,
    /// Rejected at the validator they were sent to, and never committed.
    pub rejected: u64,
    /// Neither, when the run ended.
    pub pending: u64,
}

impl Books {
    /// Whether the books balance.
    pub fn balanced(&self) -> bool {
        self.submitted == self.committed + self.rejected + self.pending
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Pending,
    Committed { at: Duration, height: Height, success: bool, block: Option<BlockTimes> },
    Rejected(&'static str),
}

#[derive(Clone, Copy, Debug)]
struct Record {
    intended: Duration,
    /// When the system accepted it (uncorrected latency runs from here); the intended time until told.
    sent: Duration,
    node: usize,
    fate: Fate,
}

/// Every submitted transaction's fate, read from the events of the validator it was sent to.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    records: KeyedMap<Hash, Record>,
    books: Books,
    /// Rejected at the submission node, then committed anyway (e.g. evicted after it had been gossiped).
    rejected_then_committed: u64,
    /// Events about transactions this run never submitted.
    foreign_events: u64,
    /// Commits of the current second (the live view's figures).
    second: LastSecond,
}

impl Recorder {
    /// An empty recorder with room for `transactions` records: a run knows how many it will submit, and a map
    /// grown by doubling to a run's hundreds of thousands of records copied each table into the next and faulted in
    /// about twice the pages (at 50,000 tx/s the thread that reads the node's events used 13–15 % of a core
    /// growing it that way, 3.5–3.8 % sized up front).
    pub fn with_capacity(transactions: usize) -> Self {
        Recorder { records: KeyedMap::with_capacity_and_hasher(transactions, KeyedState), ..Self::default() }
    }

    /// A transaction intended for `intended` (system time) is being submitted to `node`.
    pub fn on_submit(&mut self, hash: Hash, node: usize, intended: Duration) {
        let fresh = self.records.insert(hash, Record { intended, sent: intended, node, fate: Fate::Pending }).is_none();
        debug_assert!(fresh, "transaction submitted twice");
        self.books.submitted += 1;
        self.books.pending += 1;
    }

    /// One status change. Only the submission node's events count; a commit overrides an earlier rejection, and
    /// nothing overrides a commit.
    pub fn on_event(&mut self, event: &TxEvent) {
        let Some(record) = self.records.get_mut(&event.tx_hash) else {
            self.foreign_events += 1;
            return;
        };
        if record.node != event.node {
            return;
        }
        match (record.fate, event.status) {
            (Fate::Committed { .. }, _) => {}
            (Fate::Rejected(_), TxStatus::Rejected(_)) => {}
            (previous, TxStatus::Committed { height, success }) => {
                record.fate = Fate::Committed { at: event.at, height, success, block: event.block };
                self.books.committed += 1;
                self.second.record(micros(event.at.saturating_sub(record.intended)));
                match previous {
                    Fate::Rejected(_) => {
                        self.books.rejected -= 1;
                        self.rejected_then_committed += 1;
                    }
                    _ => self.books.pending -= 1,
                }
            }
            (Fate::Pending, TxStatus::Rejected(reason)) => {
                record.fate = Fate::Rejected(reason.as_str());
                self.books.pending -= 1;
                self.books.rejected += 1;
            }
        }
    }

    /// The system accepted the transaction at `sent` (system time): the start of its uncorrected latency.
    pub fn on_sent(&mut self, hash: &Hash, sent: Duration) {
        if let Some(record) = self.records.get_mut(hash) {
            record.sent = sent;
        }
    }

    /// Rejections at the submission node so far, by reason.
    pub fn rejected_by_reason(&self) -> BTreeMap<String, u64> {
        let mut rejected: BTreeMap<String, u64> =
            RejectReason::ALL.iter().map(|r| (r.as_str().to_string(), 0)).collect();
        for record in self.records.values() {
            if let Fate::Rejected(reason) = record.fate {
                *rejected.entry(reason.to_string()).or_default() += 1;
            }
        }
        rejected
    }

    /// The books so far.
    pub fn books(&self) -> Books {
        self.books
    }

    /// The last whole second of commits at `now` (time since the load started) and its length; see
    /// [`LastSecond::roll`].
    pub fn last_second(&mut self, now: Duration) -> (SecondStats, Duration) {
        self.second.roll(now)
    }

    /// The run's figures: `start` is the system time the load started at.
    pub fn metrics(&self, start: Duration, plan: &Plan) -> TxMetrics {
        let (from, to) = plan.window();
        let (from, to) = (start + from, start + to);
        let window_s = (to - from).as_secs_f64();
        let in_window = |t: Duration| t >= from && t < to;
        let mut latency = new_histogram();
        let mut uncorrected = new_histogram();
        let mut split = SplitHistograms::default();
        let mut offered = 0u64;
        let mut committed_in_window = 0u64;
        let mut commits_during_window = 0u64;
        let mut failed = 0u64;
        let mut pending_in_window = 0u64;
        // Every reason is listed, zero or not, so results always have the same fields.
        let mut rejected: BTreeMap<String, u64> =
            RejectReason::ALL.iter().map(|r| (r.as_str().to_string(), 0)).collect();
        let mut heights = BTreeSet::new();
        let mut commit_times = Vec::new();
        for record in self.records.values() {
            let windowed = in_window(record.intended);
            offered += u64::from(windowed);
            match record.fate {
                Fate::Pending => pending_in_window += u64::from(windowed),
                Fate::Rejected(reason) => *rejected.entry(reason.to_string()).or_default() += 1,
                Fate::Committed { at, height, success, block } => {
                    heights.insert(height);
                    failed += u64::from(!success);
                    commits_during_window += u64::from(in_window(at));
                    if in_window(at) {
                        commit_times.push(at);
                    }
                    if windowed {
                        committed_in_window += 1;
                        latency.saturating_record(micros(at.saturating_sub(record.intended)));
                        uncorrected.saturating_record(micros(at.saturating_sub(record.sent)));
                        if let Some(block) = block {
                            split.record(Some(record.intended), block, at);
                        }
                    }
                }
            }
        }
        TxMetrics {
            window_s,
            offered_tps: offered as f64 / window_s,
            committed_tps: committed_in_window as f64 / window_s,
            commit_rate_tps: commits_during_window as f64 / window_s,
            latency_us: LatencySummary::of(&latency),
            latency_uncorrected_us: LatencySummary::of(&uncorrected),
            latency_histogram: latency,
            latency_split: split.summary(),
            window_txs: offered,
            window_committed: committed_in_window,
            window_pending: pending_in_window,
            execution_failed: failed,
            blocks_with_txs: heights.len() as u64,
            longest_commit_gap_ms: longest_gap(&mut commit_times, from, to).as_secs_f64() * 1e3,
            rejected,
            rejected_then_committed: self.rejected_then_committed,
            foreign_events: self.foreign_events,
            books: self.books,
        }
    }
}

/// The longest interval of [`from`, `to`) that holds none of `times` (sorted here): from the window's start to
/// the first, between neighbours, from the last to the window's end — the whole window when there are none.
pub fn longest_gap(times: &mut [Duration], from: Duration, to: Duration) -> Duration {
    times.sort_unstable();
    let mut edges = Vec::with_capacity(times.len() + 2);
    edges.push(from);
    edges.extend(times.iter().copied().filter(|t| *t >= from && *t < to));
    edges.push(to.max(from));
    edges.windows(2).map(|w| w[1].saturating_sub(w[0])).max().unwrap_or_default()
}

/// Largest latency or lag a histogram tells apart (1 h, in µs); larger values are recorded as this.
pub const HISTOGRAM_MAX_US: u64 = 3_600_000_000;

/// An empty histogram of µs values, 1 µs .. [`HISTOGRAM_MAX_US`], 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::<u64>::new_with_bounds(1, HISTOGRAM_MAX_US, 3).expect("constant hdrhistogram bounds are valid")
}

/// `d` in whole µs, the unit of every latency and lag histogram (saturating at `u64::MAX`).
pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Percentiles of a latency histogram (µs); all zero when empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
    /// Number of samples.
    pub count: u64,
}

impl LatencySummary {
    /// Summary of `h`.
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: h.mean(),
            count: h.len(),
        }
    }
}

/// Transaction figures of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TxMetrics {
    /// Length of the measurement window (s).
    pub window_s: f64,
    /// Transactions intended in the window ÷ window.
    pub offered_tps: f64,
    /// Transactions intended in the window and committed by the end of the run ÷ window.
    pub committed_tps: f64,
    /// Commits that happened inside the window (whenever intended) ÷ window.
    pub commit_rate_tps: f64,
    /// Commit latency from the intended send time, of the window's committed transactions (coordinated
    /// omission corrected).
    pub latency_us: LatencySummary,
    /// The same transactions' latency from when the system accepted them (what a closed-loop client would
    /// report; shown beside the corrected figure, never instead of it).
    pub latency_uncorrected_us: LatencySummary,
    /// The corrected latencies themselves (µs), for merging runs (percentiles are never averaged).
    #[serde(skip)]
    pub latency_histogram: Histogram<u64>,
    /// Where the corrected latency went, for the window's committed transactions whose block the node saw
    /// proposed (node mode; absent where the runtime keeps no block times: the in-process cluster, the wire client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_split: Option<LatencySplit>,
    /// Transactions intended in the window.
    pub window_txs: u64,
    /// Of those, committed.
    pub window_committed: u64,
    /// Of those, still pending at the end.
    pub window_pending: u64,
    /// Committed transactions whose execution failed.
    pub execution_failed: u64,
    /// Distinct heights that committed at least one of the run's transactions.
    pub blocks_with_txs: u64,
    /// The longest stretch of the window in which no transaction of the run committed (ms): a view-change stall
    /// or a partition shows here, where averages hide it.
    pub longest_commit_gap_ms: f64,
    /// Rejections at the submission node, by reason (whole run; every reason listed).
    pub rejected: BTreeMap<String, u64>,
    /// Rejected at the submission node but committed anyway (counted as committed).
    pub rejected_then_committed: u64,
    /// Events about transactions the run never submitted.
    pub foreign_events: u64,
    /// The books at the end (whole run).
    pub books: Books,
}

impl Default for TxMetrics {
    fn default() -> Self {
        TxMetrics {
            window_s: 0.0,
            offered_tps: 0.0,
            committed_tps: 0.0,
            commit_rate_tps: 0.0,
            latency_us: LatencySummary::default(),
            latency_uncorrected_us: LatencySummary::default(),
            latency_histogram: new_histogram(),
            latency_split: None,
            longest_commit_gap_ms: 0.0,
            window_txs: 0,
            window_committed: 0,
            window_pending: 0,
            execution_failed: 0,
            blocks_with_txs: 0,
            rejected: BTreeMap::new(),
            rejected_then_committed: 0,
            foreign_events: 0,
            books: Books::default(),
        }
    }
}

/// The generator's check on itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct GeneratorCheck {
    /// Submissions made.
    pub submitted: u64,
    /// Submissions later than `late_threshold_us` after their intended time.
    pub late: u64,
    /// The lateness that counts as a missed slot (µs).
    pub late_threshold_us: u64,
    /// Largest lateness (µs).
    pub max_lag_us: u64,
    /// 99th percentile lateness (µs).
    pub p99_lag_us: u64,
    /// Whether the generator kept its schedule (late fraction ≤ 1 %): a run with `valid = false` measured the
    /// harness, not the system.
    pub valid: bool,
    /// Submissions later than the threshold only because the system blocked earlier submissions
    /// (back-pressure): the system's lateness, not the generator's; not counted in `late`.
    pub backpressure_late: u64,
    /// Submissions that blocked on a full ingress queue.
    pub backpressure_stalls: u64,
    /// Total time blocked on back-pressure (µs).
    pub backpressure_blocked_us: u64,
}

impl GeneratorCheck {
    /// The check from the generator's own lateness histogram (µs) and counts; `valid` follows
    /// [`MAX_LATE_FRACTION`].
    pub fn from_lags(submitted: u64, late: u64, own_lag_us: &Histogram<u64>) -> Self {
        GeneratorCheck {
            submitted,
            late,
            late_threshold_us: LATE_THRESHOLD.as_micros() as u64,
            max_lag_us: own_lag_us.max(),
            p99_lag_us: if own_lag_us.is_empty() { 0 } else { own_lag_us.value_at_quantile(0.99) },
            valid: submitted == 0 || (late as f64) <= MAX_LATE_FRACTION * submitted as f64,
            backpressure_late: 0,
            backpressure_stalls: 0,
            backpressure_blocked_us: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn the_longest_gap_counts_the_window_edges_and_ignores_times_outside_it() {
        let (from, to) = (ms(1000), ms(5000));
        // A stall from 2.2 s to 3.9 s; 0.5 s and 6 s lie outside the window.
        let mut times = vec![ms(3900), ms(1200), ms(500), ms(2200), ms(6000), ms(4800), ms(1700)];
        assert_eq!(longest_gap(&mut times, from, to), ms(1700));
        assert_eq!(longest_gap(&mut [], from, to), ms(4000), "no commit at all: the whole window");
        assert_eq!(longest_gap(&mut [ms(1100)], from, to), ms(3900), "to the window's end");
    }
}

/// A committed transaction's corrected latency in three consecutive parts, from the reporting node's block times
/// ([`BlockTimes`]); the three add up to the latency of each transaction (percentiles of the parts do not add up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySplit {
    /// Intended send time → the node first saw the proposal of the block that holds it: the client's send,
    /// ingress, signature verification, the mempool's wait for a block with room, the proposal's trip (µs). Absent
    /// where the intended send times are not known (a validator process's own figures in `hsbench cluster`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_proposal_us: Option<LatencySummary>,
    /// Proposal → the node committed the block: the consensus rounds of the two-chain rule (µs).
    pub proposal_to_commit_us: LatencySummary,
    /// Commit → the node reported the transaction committed: the execution queue and execution (µs).
    pub commit_to_report_us: LatencySummary,
    /// Transactions split (committed ones whose block times were known).
    pub txs: u64,
}

/// The histograms behind a [`LatencySplit`].
pub struct SplitHistograms {
    before: Histogram<u64>,
    consensus: Histogram<u64>,
    after: Histogram<u64>,
}

impl Default for SplitHistograms {
    fn default() -> Self {
        SplitHistograms { before: new_histogram(), consensus: new_histogram(), after: new_histogram() }
    }
}

impl SplitHistograms {
    /// One transaction intended at `intended` (when known), in the block of `block`, reported committed at `at`. A
    /// part that would be negative (a block proposed before the transaction's intended time: it reached the node
    /// through gossip, or the generator sent it up to 1 ms early) is recorded as zero and the next part starts at
    /// the later instant, so the parts still add up to the latency.
    pub fn record(&mut self, intended: Option<Duration>, block: BlockTimes, at: Duration) {
        if let Some(intended) = intended {
            self.before.saturating_record(micros(block.proposed.saturating_sub(intended)));
        }
        let intended = intended.unwrap_or(Duration::ZERO);
        self.consensus.saturating_record(micros(block.committed.saturating_sub(block.proposed.max(intended))));
        self.after.saturating_record(micros(at.saturating_sub(block.committed.max(intended))));
    }

    /// The parts' summaries; `None` when no transaction was split.
    pub fn summary(&self) -> Option<LatencySplit> {
        (!self.consensus.is_empty()).then(|| LatencySplit {
            before_proposal_us: (!self.before.is_empty()).then(|| LatencySummary::of(&self.before)),
            proposal_to_commit_us: LatencySummary::of(&self.consensus),
            commit_to_report_us: LatencySummary::of(&self.after),
            txs: self.consensus.len(),
        })
    }
}
