//! The synthetic committee of node mode: validators 1..n−1 as real `NodeStateMachine`s with real keys, on one
//! thread pinned outside the node's cores, so the node under test sees real proposals, votes, timeouts and
//! certificates and does the same crypto and consensus work as in a live network.
//!
//! To keep the committee's cost bounded and off the node's cores: Ed25519 checks by keys that are not
//! validator keys (transaction signatures in gossip and proposals) are answered "valid" without verifying —
//! every transaction reached the committee from the node under test, whose sigverify stage already checked it.
//! Proposal signatures, votes, timeouts and certificates are verified for real. Committed blocks are executed once
//! for the whole committee ([`SharedExecution`]) and persisted to each member's in-memory storage, so their
//! execution roots are real and checked against the node's; likewise each distinct consensus signature is verified
//! once for the whole committee (one [`VerdictCache`] shared by the members).

use super::committee_exec::SharedExecution;
use super::messages::{Envelope, SystemInput};
use super::metrics::{StageClock, thread_cpu_ns};
use super::stage::STOP_POLL;
use super::timers::TimerHeap;
use crate::execution::ExecutionState;
use crate::node::{NodeReport, NodeStateMachine};
use crate::protocol::work::{ExecuteJob, VerifyJob, VerifyVerdicts};
use crate::protocol::{Action, Callback, Event, Timer, TxStatus};
use crate::runtime::perform::{Host, perform};
use crate::runtime::services::persist_executed;
use crate::runtime::{ChainConfig, ChainSetup, NodeServices, SetupError, StorageMode, TimedQueue, VerdictCache};
use crate::storage::MemoryStorage;
use crate::types::{Hash, Height, Message, ValidatorId};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// One committee member.
pub(crate) struct Member {
    /// Its state machine (validator id = index + 1).
    pub sm: NodeStateMachine,
    /// Its crypto, execution and (memory) storage.
    pub services: NodeServices,
}

/// What the committee thread returns when it stops.
#[derive(Default)]
pub(crate) struct CommitteeOutcome {
    /// Thread CPU time (ns), from `CLOCK_THREAD_CPUTIME_ID`.
    pub cpu_ns: u64,
    /// Signatures made: proposals, votes and timeouts sent.
    pub signatures: u64,
    /// Proposals sent.
    pub blocks_proposed: u64,
    /// Messages sent to the node under test.
    pub messages_to_node: u64,
    /// Messages received from the node under test (a broadcast counts once).
    pub messages_from_node: u64,
    /// State roots of validator 1 by executed height.
    pub roots: BTreeMap<Height, Hash>,
    /// Heights at which two committee members executed different roots.
    pub internal_mismatches: u64,
    /// Every member's summary.
    pub members: Vec<NodeReport>,
}

#[allow(clippy::large_enum_variant)] // moved once
enum Payload {
    Deliver { from: ValidatorId, message: Message },
    Local(Event),
}

/// An event for one member.
struct Scheduled {
    member: usize,
    payload: Payload,
}

/// The committee thread's state.
pub(crate) struct Committee {
    pub members: Vec<Member>,
    /// The members' one execution state.
    pub execution: SharedExecution,
    pub validator_keys: HashSet<[u8; 32]>,
    pub start: Instant,
    pub latency: Duration,
    pub clock: StageClock,
    pub from_node: Receiver<Vec<Envelope>>,
    pub to_node: Sender<Vec<SystemInput>>,
    pub stop: Arc<AtomicBool>,
}

struct Loop {
    queue: TimedQueue<Instant, Scheduled>,
    timers: TimerHeap<(usize, Timer)>,
    inbound: VecDeque<Envelope>,
    outbound: Vec<SystemInput>,
    out: CommitteeOutcome,
    roots: Vec<BTreeMap<Height, Hash>>,
}

impl Loop {
    fn push(&mut self, at: Instant, member: usize, payload: Payload) {
        self.queue.push(at, Scheduled { member, payload });
    }
}

impl Committee {
    /// Runs until `stop` is set.
    pub(crate) fn run(mut self) -> CommitteeOutcome {
        let n = self.members.len();
        let mut lp = Loop {
            queue: TimedQueue::new(),
            timers: TimerHeap::new(),
            inbound: VecDeque::new(),
            outbound: Vec::new(),
            out: CommitteeOutcome::default(),
            roots: vec![BTreeMap::new(); n],
        };
        for i in 0..n {
            let actions = self.members[i].sm.start(self.start.elapsed());
            self.apply(i, actions, &mut lp);
        }
        self.flush(&mut lp);
        self.clock.busy(Duration::ZERO);
        while !self.stop.load(Relaxed) {
            while let Ok(batch) = self.from_node.try_recv() {
                self.clock.metrics().took(batch.len());
                lp.out.messages_from_node += batch.len() as u64;
                lp.inbound.extend(batch);
            }
            let now = Instant::now();
            let mut did = false;
            while lp.inbound.front().is_some_and(|e| e.at <= now) {
                let Some(e) = lp.inbound.pop_front() else { break };
                did = true;
                let targets: Vec<usize> = match e.to {
                    Some(to) => (to as usize).checked_sub(1).filter(|&i| i < n).into_iter().collect(),
                    None => (0..n).collect(),
                };
                for i in targets {
                    lp.push(now, i, Payload::Deliver { from: e.from, message: e.message.clone() });
                }
            }
            while let Some((i, timer)) = lp.timers.pop_due(now) {
                did = true;
                lp.push(now, i, Payload::Local(Event::Timer(timer)));
            }
            // One pass handles what was due when it started; what its own work makes due waits for the next
            // pass, after the flush to the node and the stop check (a saturated committee otherwise never leaves
            // this loop).
            let pass = Instant::now();
            while let Some((_, s)) = lp.queue.pop_due(pass) {
                did = true;
                let event = match s.payload {
                    Payload::Deliver { from, message } => Event::Network { from, message },
                    Payload::Local(e) => e,
                };
                if let Event::Callback(Callback::Executed(e)) = &event {
                    lp.roots[s.member].insert(e.height, e.state_root);
                }
                let actions = self.members[s.member].sm.handle(self.start.elapsed(), event);
                self.apply(s.member, actions, &mut lp);
            }
            self.flush(&mut lp);
            if did {
                self.clock.busy(Duration::ZERO);
                continue;
            }
            let now = Instant::now();
            let wake =
                [lp.inbound.front().map(|e| e.at), lp.timers.next_due(), lp.queue.next_due(), Some(now + STOP_POLL)]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(now + STOP_POLL);
            let received = self.from_node.recv_timeout(wake.saturating_duration_since(now));
            self.clock.idle();
            match received {
                Ok(batch) => {
                    self.clock.metrics().took(batch.len());
                    lp.out.messages_from_node += batch.len() as u64;
                    lp.inbound.extend(batch);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let mut out = std::mem::take(&mut lp.out);
        out.internal_mismatches = count_mismatches(&lp.roots);
        out.roots = lp.roots.into_iter().next().unwrap_or_default();
        out.members = self.members.iter().map(|m| m.sm.report()).collect();
        out.cpu_ns = thread_cpu_ns();
        out
    }

    fn apply(&mut self, i: usize, actions: Vec<Action>, lp: &mut Loop) {
        let members = self.members.len();
        let mut host = MemberHost {
            member: i,
            members,
            now: Instant::now(),
            latency: self.latency,
            execution: &mut self.execution,
            validator_keys: &self.validator_keys,
            lp,
        };
        perform(&mut self.members[i].services, &mut host, actions);
    }

    fn flush(&mut self, lp: &mut Loop) {
        if !lp.outbound.is_empty() {
            self.clock.metrics().gave(lp.outbound.len());
            // The node stage stops first at shutdown; a closed queue then only means nobody listens.
            let _ = self.to_node.send(std::mem::take(&mut lp.outbound));
        }
    }
}

/// What a committee is built from: its members, their one execution state and the validators' keys.
pub(crate) struct CommitteeParts {
    /// Validators 1..n−1, real state machines on in-memory storage.
    pub members: Vec<Member>,
    /// The members' one execution state (it executes once for all).
    pub execution: SharedExecution,
    /// The validators' Ed25519 keys, whose signatures the committee verifies; every other key signed a
    /// transaction the node under test already checked.
    pub validator_keys: HashSet<[u8; 32]>,
}

/// The committee of `chain`'s node mode, built through the one node setup.
pub(crate) fn committee_members(setup: &ChainSetup, chain: &ChainConfig) -> Result<CommitteeParts, SetupError> {
    let n = chain.validators;
    let in_memory = ChainConfig { storage: StorageMode::Memory, ..chain.clone() };
    let mut members = Vec::with_capacity(n.saturating_sub(1));
    let mut shared = None;
    // Members check the same proposals and certificates: each distinct signature is verified once for all of
    // them, as each block is executed once for all of them.
    let verdicts = Arc::new(VerdictCache::new());
    for i in 1..n {
        let (sm, services) = setup.build_node(&in_memory, i, Box::new(MemoryStorage::new()))?;
        let mut services = services.with_verdict_cache(verdicts.clone());
        let own = services.replace_execution(ExecutionState::from_genesis(&[]));
        shared.get_or_insert(own);
        members.push(Member { sm, services });
    }
    let execution = SharedExecution::new(shared.unwrap_or_else(|| ExecutionState::from_genesis(&[])), n - 1);
    let validator_keys = setup.keys.iter().map(|k| k.public().ed25519).collect();
    Ok(CommitteeParts { members, execution, validator_keys })
}

/// How the committee performs member `member`'s actions: messages to the other members and the node under test
/// after the link's delay, timers in the committee's heap, execution once for all members
/// ([`SharedExecution`]) persisted to the member's own storage, and only consensus signatures verified.
struct MemberHost<'a> {
    member: usize,
    members: usize,
    now: Instant,
    latency: Duration,
    execution: &'a mut SharedExecution,
    validator_keys: &'a HashSet<[u8; 32]>,
    lp: &'a mut Loop,
}

impl Host for MemberHost<'_> {
    fn send(&mut self, to: Option<ValidatorId>, message: Message) {
        let (i, at, lp) = (self.member, self.now + self.latency, &mut *self.lp);
        let me = (i + 1) as ValidatorId;
        count_signed(&message, &mut lp.out);
        match to {
            Some(0) => {
                lp.out.messages_to_node += 1;
                lp.outbound.push(SystemInput::Network(Envelope { at, from: me, to: Some(0), message }));
            }
            Some(to) => {
                if let Some(j) = (to as usize).checked_sub(1).filter(|&j| j < self.members) {
                    lp.push(at, j, Payload::Deliver { from: me, message });
                }
            }
            None => {
                for j in (0..self.members).filter(|&j| j != i) {
                    lp.push(at, j, Payload::Deliver { from: me, message: message.clone() });
                }
                lp.out.messages_to_node += 1;
                lp.outbound.push(SystemInput::Network(Envelope { at, from: me, to: Some(0), message }));
            }
        }
    }

    fn set_timer(&mut self, timer: Timer, after: Duration) {
        self.lp.timers.set((self.member, timer), self.now + after);
    }

    fn tx_status(&mut self, _: Hash, _: TxStatus) {}

    fn callback(&mut self, event: Event) {
        self.lp.push(self.now, self.member, Payload::Local(event));
    }

    /// Verifies the job's consensus signatures; Ed25519 checks by non-validator keys (transactions the node under
    /// test already verified) are answered valid without work.
    fn verify(&mut self, services: &NodeServices, job: VerifyJob) {
        let mut reduced =
            VerifyJob { id: job.id, ed25519: Vec::new(), votes: job.votes.clone(), aggregates: job.aggregates.clone() };
        let mut positions = Vec::new();
        for (k, c) in job.ed25519.iter().enumerate() {
            if self.validator_keys.contains(&c.public_key) {
                reduced.ed25519.push(c.clone());
                positions.push(k);
            }
        }
        let v = services.verify(&reduced);
        let mut ed25519 = vec![true; job.ed25519.len()];
        for (r, k) in positions.into_iter().enumerate() {
            if let Some(slot) = ed25519.get_mut(k) {
                *slot = v.ed25519.get(r).copied().unwrap_or(false);
            }
        }
        let verdicts = VerifyVerdicts { id: job.id, ed25519, votes: v.votes, aggregates: v.aggregates };
        self.callback(Event::Callback(Callback::Verified(verdicts)));
    }

    fn execute(&mut self, services: &mut NodeServices, job: ExecuteJob) {
        let height = job.block.header.height;
        let done = self.execution.execute(self.member, &job.block).and_then(|done| {
            persist_executed(services.storage_mut(), &job, done).map_err(|e| format!("persisting: {e}"))
        });
        let callback = match done {
            Ok(done) => Callback::Executed(done),
            Err(error) => Callback::ExecutionFailed { height, error },
        };
        self.callback(Event::Callback(callback));
    }
}

fn count_signed(message: &Message, out: &mut CommitteeOutcome) {
    match message {
        Message::Proposal(_) => {
            out.signatures += 1;
            out.blocks_proposed += 1;
        }
        Message::Vote(_) | Message::Timeout(_) => out.signatures += 1,
        _ => {}
    }
}

fn count_mismatches(roots: &[BTreeMap<Height, Hash>]) -> u64 {
    let mut seen: BTreeMap<Height, Hash> = BTreeMap::new();
    let mut bad = 0;
    for log in roots {
        for (h, r) in log {
            match seen.get(h) {
                Some(x) if x != r => bad += 1,
                Some(_) => {}
                None => {
                    seen.insert(*h, *r);
                }
            }
        }
    }
    bad
}
