//! A tiny deterministic system under test: it exercises the harness's bookkeeping only, never the engine.

use crate::corpus::ScheduledTx;
use crate::measure::{Pacer, SystemUnderTest};
use hsbench_engine::mempool::RejectReason;
use hsbench_engine::sim::{ClusterReport, NodeReport, TxEvent, TxStatus};
use hsbench_engine::types::{Hash, Transaction};
use std::time::Duration;

/// What the fake does with the k-th submitted transaction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Behaviour {
    /// Committed at every node `delay` after it arrives (the submission node first, others 1 ms later).
    Commit,
    /// Rejected at the submission node on arrival.
    Reject,
    /// Never heard of again.
    Lose,
    /// Rejected on arrival, committed `delay` later anyway.
    RejectThenCommit,
}

/// Commits, rejects or loses transactions by a rule; blocks every `block` of time.
pub struct FakeSystem {
    pub validators: usize,
    pub now: Duration,
    pub delay: Duration,
    pub block: Duration,
    pub rule: Box<dyn Fn(u64) -> Behaviour>,
    pub reason: RejectReason,
    /// (submission time, node) of every submission, in order.
    pub arrivals: Vec<(Duration, usize)>,
    pub agree: bool,
    queued: Vec<TxEvent>,
    count: u64,
}

impl FakeSystem {
    pub fn new(delay: Duration, rule: impl Fn(u64) -> Behaviour + 'static) -> Self {
        FakeSystem {
            validators: 4,
            now: Duration::from_secs(100), // the load starts at the system's now, not at zero
            delay,
            block: Duration::from_millis(50),
            rule: Box::new(rule),
            reason: any_reject_reason(),
            arrivals: Vec::new(),
            agree: true,
            queued: Vec::new(),
            count: 0,
        }
    }

    fn height_at(&self, t: Duration) -> u64 {
        (t.as_nanos() / self.block.as_nanos()) as u64
    }

    fn commit(&mut self, node: usize, hash: Hash, at: Duration) {
        let height = self.height_at(at);
        for n in 0..self.validators {
            let at = if n == node { at } else { at + Duration::from_millis(1) };
            self.queued.push(TxEvent {
                node: n,
                tx_hash: hash,
                status: TxStatus::Committed { height, success: true },
                at,
                block: None,
            });
        }
    }
}

impl SystemUnderTest for FakeSystem {
    fn now(&self) -> Duration {
        self.now
    }
    fn submit(&mut self, node: usize, tx: Transaction) {
        let hash = tx.hash();
        let k = self.count;
        self.count += 1;
        self.arrivals.push((self.now, node));
        let now = self.now;
        let reject = TxEvent { node, tx_hash: hash, status: TxStatus::Rejected(self.reason), at: now, block: None };
        match (self.rule)(k) {
            Behaviour::Commit => self.commit(node, hash, now + self.delay),
            Behaviour::Reject => self.queued.push(reject),
            Behaviour::Lose => {}
            Behaviour::RejectThenCommit => {
                self.queued.push(reject);
                self.commit(node, hash, now + self.delay);
            }
        }
        // Another node's rejection never counts against the transaction.
        let other = (node + 1) % self.validators;
        self.queued.push(TxEvent {
            node: other,
            tx_hash: hash,
            status: TxStatus::Rejected(self.reason),
            at: now,
            block: None,
        });
    }
    fn run_until(&mut self, t: Duration) {
        assert!(t >= self.now, "time went backwards: {t:?} < {:?}", self.now);
        self.now = t;
    }
    fn drain_tx_events(&mut self) -> Vec<TxEvent> {
        let now = self.now;
        let (due, later) = std::mem::take(&mut self.queued).into_iter().partition(|e| e.at <= now);
        self.queued = later;
        due
    }
    fn report(&self) -> ClusterReport {
        let height = self.height_at(self.now);
        let nodes = (0..self.validators)
            .map(|node| NodeReport {
                node,
                committed_height: height,
                executed_height: height,
                state_root: if self.agree || node == 0 { "ab".repeat(32) } else { "cd".repeat(32) },
                epoch: 0,
                round: height,
                proposals: 0,
                whole_pool_walks: 0,
                timeouts: 0,
                epoch_changes: 0,
                rejected: Default::default(),
                refused_messages: Default::default(),
                peer_faults: Default::default(),
                peer_throttles: Default::default(),
                leaders_left_out: Default::default(),
                failed_leader_rounds: Default::default(),
                mempool_len: 0,
                mempool_parked: 0,
                halted: None,
            })
            .collect();
        ClusterReport { nodes, consistent: true, messages_delivered: 0, messages_dropped: 0 }
    }
}

/// A real-time-like pacer whose clock moves in coarse steps: transactions are submitted up to `step` late.
pub struct CoarsePacer {
    pub now: Duration,
    pub step: Duration,
}

impl Pacer for CoarsePacer {
    fn now(&self) -> Duration {
        self.now
    }
    fn wait_until(&mut self, t: Duration) {
        while self.now < t {
            self.now += self.step;
        }
    }
    fn is_virtual(&self) -> bool {
        false
    }
}

/// A reject reason the engine has (whichever it lists first).
pub fn any_reject_reason() -> RejectReason {
    RejectReason::BadSignature
}

/// `n` dummy transactions (unsigned, distinct) at `rate` per second, round-robin over 4 nodes.
pub fn schedule(n: u64, rate: f64) -> Vec<ScheduledTx> {
    (0..n)
        .map(|i| {
            let tx = Transaction {
                chain_id: 1,
                sender: [1; 32],
                recipient: [2; 32],
                amount: 1,
                fee: 1,
                nonce: i,
                memo: Vec::new(),
                signature: [0; 64],
            };
            ScheduledTx {
                offset: Duration::from_secs_f64(i as f64 / rate),
                node: (i % 4) as usize,
                hash: tx.hash(),
                tx,
            }
        })
        .collect()
}

/// A deterministic service model with a known ceiling: committed = min(rate, capacity), p99 latency =
/// base / (1 − rate / capacity) (unbounded at or past capacity), queue growing past capacity.
pub struct ServiceModel {
    pub capacity: f64,
    pub base_ms: f64,
    /// Capacity multiplier for runs longer than 5 s (< 1: the system tires in long confirmation runs).
    pub long_run_factor: f64,
    /// (rate, duration) of every probe, in order.
    pub probes: Vec<(f64, Duration)>,
}

impl ServiceModel {
    /// The highest rate meeting `slo`: p99 ≤ SLO ⇔ rate ≤ capacity × (1 − base / SLO).
    pub fn known_ceiling(&self, slo: &crate::config::SloConfig) -> f64 {
        self.capacity * (1.0 - self.base_ms / slo.p99_ms)
    }
}

impl crate::ceiling::search::RateProbe for ServiceModel {
    fn probe(
        &mut self,
        rate: f64,
        duration: Duration,
    ) -> Result<crate::run::node::rate::RateResult, crate::ceiling::search::ProbeError> {
        self.probes.push((rate, duration));
        let capacity =
            if duration > Duration::from_secs(5) { self.capacity * self.long_run_factor } else { self.capacity };
        let rho = rate / capacity;
        let p99_ms = if rho < 1.0 { self.base_ms / (1.0 - rho) } else { 3_600_000.0 };
        let committed = rate.min(capacity);
        let mut r = crate::run::node::rate::RateResult {
            duration_s: duration.as_secs_f64(),
            valid_offered_tps: rate,
            committed_fraction: committed / rate,
            ..Default::default()
        };
        r.tx.offered_tps = rate;
        r.tx.commit_rate_tps = committed;
        r.tx.committed_tps = committed;
        let p99_us = (p99_ms * 1e3) as u64;
        r.tx.latency_histogram.saturating_record_n(p99_us / 2, 98);
        r.tx.latency_histogram.saturating_record_n(p99_us, 2);
        r.tx.latency_us = crate::measure::LatencySummary::of(&r.tx.latency_histogram);
        r.queue.growing = rho > 1.0;
        r.generator.valid = true;
        Ok(r)
    }
}

/// A node with a bounded ingress queue served at `capacity_tps` in real time: `submit` blocks while the queue
/// is full (back-pressure, never a drop); every transaction whose hash starts with a byte ≡ 0 mod 10 is
/// rejected on arrival.
pub struct BoundedNode {
    pub capacity_tps: f64,
    pub queue_capacity: usize,
    origin: std::time::Instant,
    inner: std::sync::Mutex<BoundedInner>,
}

#[derive(Default)]
struct BoundedInner {
    queue: std::collections::VecDeque<Hash>,
    served: u64,
    events: Vec<TxEvent>,
}

impl BoundedNode {
    pub fn new(capacity_tps: f64, queue_capacity: usize) -> Self {
        BoundedNode {
            capacity_tps,
            queue_capacity,
            origin: std::time::Instant::now(),
            inner: std::sync::Mutex::new(BoundedInner::default()),
        }
    }

    fn advance(&self, inner: &mut BoundedInner) {
        let now = self.origin.elapsed();
        let target = (now.as_secs_f64() * self.capacity_tps) as u64;
        while inner.served < target {
            let Some(hash) = inner.queue.pop_front() else {
                inner.served = target; // idle capacity is not banked
                break;
            };
            inner.served += 1;
            inner.events.push(TxEvent {
                node: 0,
                tx_hash: hash,
                status: TxStatus::Committed { height: inner.served, success: true },
                at: now,
                block: None,
            });
        }
    }

    pub fn queued(&self) -> usize {
        self.inner.lock().map(|i| i.queue.len()).unwrap_or(0)
    }
}

impl crate::loadgen::generator::NodeHandle for BoundedNode {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
    fn submit(&self, txs: Vec<Transaction>) -> Duration {
        let mut blocked = Duration::ZERO;
        for tx in txs {
            let hash = tx.hash();
            loop {
                let mut inner = self.inner.lock().unwrap();
                self.advance(&mut inner);
                if hash.as_bytes()[0] % 10 == 0 {
                    let at = self.origin.elapsed();
                    inner.events.push(TxEvent {
                        node: 0,
                        tx_hash: hash,
                        status: TxStatus::Rejected(any_reject_reason()),
                        at,
                        block: None,
                    });
                    break;
                }
                if inner.queue.len() < self.queue_capacity {
                    inner.queue.push_back(hash);
                    break;
                }
                drop(inner);
                let t = std::time::Instant::now();
                std::thread::sleep(Duration::from_micros(200));
                blocked += t.elapsed();
            }
        }
        blocked
    }
    fn drain_tx_events(&self) -> Vec<TxEvent> {
        let mut inner = self.inner.lock().unwrap();
        self.advance(&mut inner);
        std::mem::take(&mut inner.events)
    }
}
