//! The node stage: one thread owning the `NodeStateMachine`. Mempool, provisioning and consensus are one pure
//! dispatcher in this engine, so "mempool+provisioning" and "consensus" are one stage here.
//!
//! Inputs: verified client transactions (bounded queue from sigverify), and consensus messages and callbacks
//! (unbounded, see [`SystemInput`]), handled first. Consensus-message `Verify` jobs are held until the batch's
//! events are handled and then verified together (votes grouped by message), `Aggregate` jobs run inline (through
//! [`NodeServices`]), `PersistSafety` runs inline on the shared storage before any later send leaves,
//! `Execute` goes to the execution stage. Timers live in a heap polled between batches; the stage never waits
//! past a due timer or a due message.

use super::block_clock::BlockClock;
use super::messages::{Envelope, SystemInput, input_count};
use super::metrics::{HelperClock, StageClock};
use super::queue::BatchSender;
use super::sigverify::Verified;
use super::stage::STOP_POLL;
use super::timers::TimerHeap;
use crate::node::{NodeReport, NodeStateMachine};
use crate::protocol::work::{ExecuteJob, VerifyJob};
use crate::protocol::{Action, Callback, Event, PeerSanction, Timer, TxEvent, TxSource, TxStatus};
use crate::runtime::NodeServices;
use crate::runtime::perform::{Host, perform};
use crate::runtime::services::load_sync;
use crate::storage::{Storage, StorageError};
use crate::types::{Hash, Height, Message, SafetyState, SyncEntry, ValidatorId};
use crossbeam_channel::{Receiver, Sender, select};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counters the node stage shares with `NodeUnderTest` (books and progress).
#[derive(Debug, Default)]
pub(crate) struct NodeCounters {
    /// Client transactions that reached the state machine.
    pub client_txs_in: AtomicU64,
    /// Transactions reported committed.
    pub committed: AtomicU64,
    /// Transactions reported rejected.
    pub rejected: AtomicU64,
}

/// What the node stage returns when it stops.
pub(crate) struct NodeOutcome {
    /// The state machine's summary.
    pub report: NodeReport,
    /// State root of every height the node executed.
    pub roots: BTreeMap<Height, Hash>,
}

/// Everything the node stage thread owns.
pub(crate) struct NodeStage {
    /// The node's validator id (sender of its messages, `node` of its tx events).
    pub me: ValidatorId,
    pub sm: NodeStateMachine,
    pub crypto: NodeServices,
    /// The vote-crypto stage's queue, when it has cores; else the node stage verifies itself.
    pub vote_crypto: Option<Sender<Vec<VerifyJob>>>,
    /// The admission stage's clock, when the state machine admits on an admission pool: its threads' CPU time
    /// while this stage handles a batch is charged to it (this thread waits meanwhile, burning none).
    pub admission: Option<HelperClock>,
    pub storage: Arc<Mutex<Box<dyn Storage>>>,
    pub start: Instant,
    pub latency: Duration,
    pub clock: StageClock,
    pub txs: Receiver<Vec<Verified>>,
    pub system: Receiver<Vec<SystemInput>>,
    pub execute: BatchSender<ExecuteJob>,
    /// Outgoing consensus messages: to the synthetic committee's link or the network stage.
    pub peers: Sender<Vec<Envelope>>,
    /// Peers to bar or throttle, to the network stage (on the wire; the in-process committee is honest and has no
    /// connections, so there the receiver is gone and the node's report alone counts the sanctions).
    pub sanctions: Sender<Vec<PeerSanction>>,
    pub events: Arc<Mutex<Vec<TxEvent>>>,
    pub counters: Arc<NodeCounters>,
    pub stop: Arc<AtomicBool>,
    /// When each block was first seen proposed and committed: the times every commit event carries.
    pub blocks: BlockClock,
}

/// Per-batch scratch: what the handled events produced, flushed once per batch.
#[derive(Default)]
struct Outbox {
    envelopes: Vec<Envelope>,
    sanctions: Vec<PeerSanction>,
    jobs: Vec<ExecuteJob>,
    /// Signature checks held back until the batch's events are handled, then verified together.
    verify: Vec<VerifyJob>,
    events: Vec<TxEvent>,
}

impl NodeStage {
    /// Runs until `stop` is set; returns the node's report.
    pub(crate) fn run(mut self) -> NodeOutcome {
        let mut timers: TimerHeap<Timer> = TimerHeap::new();
        let mut delayed: VecDeque<Envelope> = VecDeque::new();
        let mut roots = BTreeMap::new();
        let mut out = Outbox::default();
        let actions = self.sm.start(self.start.elapsed());
        for ev in self.apply_all(actions, &mut timers, &mut out) {
            self.handle(ev, &mut timers, &mut roots, &mut out);
        }
        self.verify_held(&mut timers, &mut roots, &mut out);
        let mut stalled = self.flush(&mut out);
        self.clock.busy(stalled);
        while !self.stop.load(Relaxed) {
            let now = Instant::now();
            let mut events: Vec<Event> = Vec::new();
            while let Some(t) = timers.pop_due(now) {
                events.push(Event::Timer(t));
            }
            while delayed.front().is_some_and(|e| e.at <= now) {
                if let Some(e) = delayed.pop_front() {
                    events.push(Event::Network { from: e.from, message: e.message });
                }
            }
            while let Ok(batch) = self.system.try_recv() {
                self.clock.metrics().took(input_count(&batch));
                self.sort_system(batch, now, &mut delayed, &mut events);
            }
            if events.is_empty()
                && let Ok(batch) = self.txs.try_recv()
            {
                self.clock.metrics().took(batch.len());
                self.verified_txs(batch, &mut events);
            }
            if events.is_empty() {
                let wake = [timers.next_due(), delayed.front().map(|e| e.at), Some(now + STOP_POLL)]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(now + STOP_POLL);
                let timeout = wake.saturating_duration_since(Instant::now());
                select! {
                    recv(self.system) -> m => if let Ok(batch) = m {
                        self.clock.idle();
                        self.clock.metrics().took(input_count(&batch));
                        self.sort_system(batch, Instant::now(), &mut delayed, &mut events);
                    },
                    recv(self.txs) -> m => if let Ok(batch) = m {
                        self.clock.idle();
                        self.clock.metrics().took(batch.len());
                        self.verified_txs(batch, &mut events);
                    },
                    default(timeout) => {},
                }
                self.clock.idle();
                if events.is_empty() {
                    continue;
                }
            }
            if let Some(admission) = &mut self.admission {
                admission.begin();
            }
            for event in events {
                self.handle(event, &mut timers, &mut roots, &mut out);
            }
            self.verify_held(&mut timers, &mut roots, &mut out);
            stalled = self.flush(&mut out);
            self.clock.busy(stalled);
            if let Some(admission) = &mut self.admission {
                admission.charge();
            }
        }
        NodeOutcome { report: self.sm.report(), roots }
    }

    /// One admission event per run of transactions from the same source, in order; only clients' transactions
    /// count as delivered (a peer's gossip is not in the load's books).
    fn verified_txs(&self, batch: Vec<Verified>, events: &mut Vec<Event>) {
        if let Some(admission) = &self.admission {
            admission.metrics().took(batch.len());
        }
        let clients = batch.iter().filter(|(_, _, s)| *s == TxSource::Client).count();
        self.counters.client_txs_in.fetch_add(clients as u64, Relaxed);
        let mut batch = batch.into_iter().peekable();
        while let Some((tx, ok, source)) = batch.next() {
            let (mut txs, mut verdicts) = (vec![tx], vec![ok]);
            while let Some((tx, ok, _)) = batch.next_if(|(_, _, s)| *s == source) {
                txs.push(tx);
                verdicts.push(ok);
            }
            events.push(Event::VerifiedTxs { txs, verdicts, source });
        }
    }

    fn sort_system(
        &self,
        batch: Vec<SystemInput>,
        now: Instant,
        delayed: &mut VecDeque<Envelope>,
        events: &mut Vec<Event>,
    ) {
        for input in batch {
            match input {
                SystemInput::Callback(cb) => events.push(Event::Callback(cb)),
                SystemInput::Network(e) if e.at <= now && delayed.is_empty() => {
                    events.push(Event::Network { from: e.from, message: e.message })
                }
                SystemInput::Network(e) => delayed.push_back(e),
                // Taken up: the peers' bytes go back to their accounts.
                SystemInput::Release(held) => drop(held),
            }
        }
    }

    /// Handles one event and every callback its inline work produces, in order.
    fn handle(
        &mut self,
        event: Event,
        timers: &mut TimerHeap<Timer>,
        roots: &mut BTreeMap<Height, Hash>,
        out: &mut Outbox,
    ) {
        let mut queue = VecDeque::from([event]);
        while let Some(ev) = queue.pop_front() {
            match &ev {
                Event::Callback(Callback::Executed(e)) => {
                    roots.insert(e.height, e.state_root);
                }
                Event::Network { message: Message::Proposal(p), .. } => {
                    self.blocks.proposed(p.block.hash(), p.block.header.height, self.start.elapsed());
                }
                _ => {}
            }
            let actions = self.sm.handle(self.start.elapsed(), ev);
            queue.extend(self.apply_all(actions, timers, out));
        }
    }

    /// Verifies the signature checks the batch's events held back, all together (votes grouped by message, one
    /// same-message batch each: [`NodeServices::verify_many`]), and handles their verdicts — again until the
    /// verdicts' own checks are done; or, with a vote-crypto stage, hands them all to it.
    fn verify_held(&mut self, timers: &mut TimerHeap<Timer>, roots: &mut BTreeMap<Height, Hash>, out: &mut Outbox) {
        while !out.verify.is_empty() {
            let jobs = std::mem::take(&mut out.verify);
            if let Some(stage) = &self.vote_crypto {
                // Off the node thread: the verdicts come back on the system queue. A closed queue only happens
                // at shutdown.
                self.clock.metrics().gave(jobs.len());
                let _ = stage.send(jobs);
                return;
            }
            for verdicts in self.crypto.verify_many(&jobs) {
                self.handle(Event::Callback(Callback::Verified(verdicts)), timers, roots, out);
            }
        }
    }

    /// Performs actions in order; returns the callbacks of inline work (handled after this list, as every
    /// runtime does).
    fn apply_all(&mut self, actions: Vec<Action>, timers: &mut TimerHeap<Timer>, out: &mut Outbox) -> Vec<Event> {
        let mut callbacks = Vec::new();
        let mut host = StageHost {
            me: self.me,
            storage: &self.storage,
            start: self.start,
            latency: self.latency,
            counters: &self.counters,
            blocks: &mut self.blocks,
            timers,
            out,
            callbacks: &mut callbacks,
        };
        perform(&mut self.crypto, &mut host, actions);
        callbacks
    }

    /// Hands this batch's outputs on; returns the time blocked on a full execution queue.
    fn flush(&mut self, out: &mut Outbox) -> Duration {
        let mut stalled = Duration::ZERO;
        let produced = out.envelopes.len() + out.jobs.len() + out.events.len();
        self.clock.metrics().gave(produced);
        if !out.envelopes.is_empty() {
            // The peer side stops after the node stage; a closed link only happens at shutdown.
            let _ = self.peers.send(std::mem::take(&mut out.envelopes));
        }
        if !out.sanctions.is_empty() {
            let _ = self.sanctions.send(std::mem::take(&mut out.sanctions));
        }
        if !out.events.is_empty() {
            self.events.lock().unwrap_or_else(|e| e.into_inner()).append(&mut out.events);
        }
        if !out.jobs.is_empty()
            && let Ok(d) = self.execute.send(std::mem::take(&mut out.jobs))
        {
            stalled += d;
        }
        stalled
    }
}

/// How the node stage performs its node's actions: messages to the committee link after the link's delay,
/// timers in the stage's heap, executions to the execution stage, the safety state and sync reads on the storage
/// the storage stage shares, signature checks and aggregation inline.
struct StageHost<'a> {
    me: ValidatorId,
    storage: &'a Mutex<Box<dyn Storage>>,
    start: Instant,
    latency: Duration,
    counters: &'a NodeCounters,
    blocks: &'a mut BlockClock,
    timers: &'a mut TimerHeap<Timer>,
    out: &'a mut Outbox,
    callbacks: &'a mut Vec<Event>,
}

impl Host for StageHost<'_> {
    fn send(&mut self, to: Option<ValidatorId>, message: Message) {
        if let Message::Proposal(p) = &message {
            self.blocks.proposed(p.block.hash(), p.block.header.height, self.start.elapsed());
        }
        let at = Instant::now() + self.latency;
        self.out.envelopes.push(Envelope { at, from: self.me, to, message });
    }

    fn set_timer(&mut self, timer: Timer, after: Duration) {
        self.timers.set(timer, Instant::now() + after);
    }

    fn sanction_peer(&mut self, sanction: PeerSanction) {
        self.out.sanctions.push(sanction);
    }

    fn tx_status(&mut self, tx_hash: Hash, status: TxStatus) {
        let block = match status {
            TxStatus::Committed { height, .. } => {
                self.counters.committed.fetch_add(1, Relaxed);
                self.blocks.times(height)
            }
            TxStatus::Rejected(_) => {
                self.counters.rejected.fetch_add(1, Relaxed);
                None
            }
        };
        let (node, at) = (usize::from(self.me), self.start.elapsed());
        self.out.events.push(TxEvent { node, tx_hash, status, at, block });
    }

    fn callback(&mut self, event: Event) {
        self.callbacks.push(event);
    }

    fn execute(&mut self, _: &mut NodeServices, job: ExecuteJob) {
        self.blocks.committed(&job.block.hash(), job.block.header.height, self.start.elapsed());
        self.out.jobs.push(job);
    }

    /// Held until the batch's events are handled, then verified with the batch's other checks.
    fn verify(&mut self, _: &NodeServices, job: VerifyJob) {
        self.out.verify.push(job);
    }

    fn persist_safety(&mut self, _: &mut NodeServices, state: &SafetyState) -> Result<(), StorageError> {
        // Inline, so every send after it in this list (and later) leaves only once it is durable.
        self.storage.lock().unwrap_or_else(|e| e.into_inner()).save_safety(state)
    }

    fn load_sync(&mut self, _: &NodeServices, from: Height, max: usize) -> Result<Vec<SyncEntry>, StorageError> {
        load_sync(self.storage.lock().unwrap_or_else(|e| e.into_inner()).as_ref(), from, max)
    }
}
