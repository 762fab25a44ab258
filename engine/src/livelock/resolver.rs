//! Deterministic livelock resolution: break every wait-for cycle by deferring its highest-hash transaction,
//! retry deferred transactions a bounded number of times, abort the ones that keep cycling.

use super::config::LivelockConfig;
use super::cycle::Cycle;
use super::graph::WaitForGraph;
use crate::types::{Hash, Height};
use std::collections::{BTreeMap, BTreeSet};

/// Deterministic victim: the highest hash in the cycle. Identical on every node (shard) and verifiable from
/// the cycle alone. An empty cycle (never produced by the detector) yields [`Hash::ZERO`].
pub fn choose_victim(cycle: &Cycle) -> Hash {
    cycle.txs.iter().max().copied().unwrap_or(Hash::ZERO)
}

/// What the resolver decided for one victim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Release the victim's locks and re-propose it at `retry_at`.
    Defer {
        /// The deferred transaction.
        victim: Hash,
        /// Length of the cycle it broke.
        cycle_len: usize,
        /// Height at which [`LivelockResolver::due_retries`] hands it back.
        retry_at: Height,
    },
    /// The victim used up its retries: abort it (report it as failed, release its locks).
    Abort {
        /// The aborted transaction.
        victim: Hash,
        /// Times it was chosen as a victim, this one included (`max_retries + 1`).
        attempts: u32,
    },
}

impl Decision {
    /// The transaction the decision is about.
    pub fn victim(&self) -> Hash {
        match self {
            Decision::Defer { victim, .. } | Decision::Abort { victim, .. } => *victim,
        }
    }
}

/// Livelock counters, named as in metrics and reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LivelockStats {
    /// Cycles resolved (one per victim), by number of transactions in the cycle.
    pub cycles_by_length: BTreeMap<usize, u64>,
    /// Victims deferred.
    pub deferrals: u64,
    /// Deferred transactions handed back for retry.
    pub retries: u64,
    /// Victims aborted after `max_retries` deferrals.
    pub aborts: u64,
}

impl LivelockStats {
    /// Total cycles resolved.
    pub fn cycles_detected(&self) -> u64 {
        self.cycles_by_length.values().sum()
    }
}

/// Deferral history of one transaction.
#[derive(Clone, Copy, Debug, Default)]
struct Deferred {
    /// Times deferred so far.
    deferrals: u32,
    /// Scheduled retry height, while one is pending.
    retry_at: Option<Height>,
}

/// Deferral book-keeping: victims are deferred to a later block and retried at most `max_retries` times,
/// then aborted (reported). Pure and deterministic: equal graphs and heights give equal decisions.
pub struct LivelockResolver {
    config: LivelockConfig,
    history: BTreeMap<Hash, Deferred>,
    schedule: BTreeMap<Height, BTreeSet<Hash>>,
    stats: LivelockStats,
}

impl LivelockResolver {
    /// A resolver with no history.
    pub fn new(config: LivelockConfig) -> Self {
        LivelockResolver {
            config,
            history: BTreeMap::new(),
            schedule: BTreeMap::new(),
            stats: LivelockStats::default(),
        }
    }

    /// Detects cycles in `graph`, defers each victim (removing it from the graph so the rest can proceed),
    /// returns the decisions.
    ///
    /// The cycles are those of [`WaitForGraph::find_cycles`] (one deterministic depth-first search that
    /// removes the highest hash of every cycle it closes), so afterwards `graph` is acyclic: every remaining
    /// transaction can eventually acquire its locks (progress guarantee). Decisions come in the order the
    /// cycles were found; an aborted victim is removed from the graph too.
    pub fn resolve(&mut self, graph: &mut WaitForGraph, current_height: Height) -> Vec<Decision> {
        let cycles = graph.find_cycles();
        let mut decisions = Vec::with_capacity(cycles.len());
        for cycle in &cycles {
            let victim = choose_victim(cycle);
            decisions.push(self.decide(victim, cycle.len(), current_height));
            graph.remove_tx(&victim);
        }
        decisions
    }

    /// Records a victim: defer it, or abort it once it has been deferred `max_retries` times.
    fn decide(&mut self, victim: Hash, cycle_len: usize, current_height: Height) -> Decision {
        *self.stats.cycles_by_length.entry(cycle_len).or_default() += 1;
        let mut record = self.history.get(&victim).copied().unwrap_or_default();
        self.unschedule(&victim, record.retry_at);
        if record.deferrals >= self.config.max_retries {
            self.history.remove(&victim);
            self.stats.aborts += 1;
            return Decision::Abort { victim, attempts: record.deferrals.saturating_add(1) };
        }
        let retry_at = current_height.saturating_add(self.config.retry_delay_blocks);
        record.deferrals += 1;
        record.retry_at = Some(retry_at);
        self.history.insert(victim, record);
        self.schedule.entry(retry_at).or_default().insert(victim);
        self.stats.deferrals += 1;
        Decision::Defer { victim, cycle_len, retry_at }
    }

    /// Drops a pending retry of `tx`, if any.
    fn unschedule(&mut self, tx: &Hash, retry_at: Option<Height>) {
        if let Some(at) = retry_at
            && let Some(set) = self.schedule.get_mut(&at)
        {
            set.remove(tx);
            if set.is_empty() {
                self.schedule.remove(&at);
            }
        }
    }

    /// Victims whose retry is due at `height` (scheduled at or before it, so a skipped height loses nothing),
    /// ordered by retry height then hash. Each is handed back once; its deferral count is kept, so if it
    /// cycles again it moves closer to an abort.
    pub fn due_retries(&mut self, height: Height) -> Vec<Hash> {
        let mut due = Vec::new();
        while let Some(entry) = self.schedule.first_entry() {
            if *entry.key() > height {
                break;
            }
            due.extend(entry.remove());
        }
        for tx in &due {
            if let Some(record) = self.history.get_mut(tx) {
                record.retry_at = None;
            }
        }
        self.stats.retries += due.len() as u64;
        due
    }

    /// Forgets `tx` (it committed or was dropped): clears its deferral count and any pending retry.
    pub fn forget(&mut self, tx: &Hash) {
        if let Some(record) = self.history.remove(tx) {
            self.unschedule(tx, record.retry_at);
        }
    }

    /// Transactions with a deferral history (deferred and not yet committed, forgotten or aborted).
    pub fn tracked(&self) -> usize {
        self.history.len()
    }

    /// Deferred transactions whose retry has not been handed back yet.
    pub fn pending_retries(&self) -> usize {
        self.schedule.values().map(BTreeSet::len).sum()
    }

    /// Counters since creation.
    pub fn stats(&self) -> LivelockStats {
        self.stats.clone()
    }
}
