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
        let reject = TxEvent { node, tx_hash: hash, status: TxStatus::Rejected(self.reason), at: now };
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
        self.queued.push(TxEvent { node: other, tx_hash: hash, status: TxStatus::Rejected(self.reason), at: now });
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
                timeouts: 0,
                epoch_changes: 0,
                rejected: Default::default(),
                refused_messages: Default::default(),
                mempool_len: 0,
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
