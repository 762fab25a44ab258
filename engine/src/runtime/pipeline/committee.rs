//! The synthetic committee of node mode: validators 1..n−1 as real `NodeStateMachine`s with real keys, on the
//! `committee` cores, outside the node's cores whenever the machine has enough of them, so the node under test sees
//! real proposals, votes, timeouts and certificates and does the same crypto and consensus work as in a live
//! network.
//!
//! One loop thread (on the first committee core) waits for the node's messages and the members' timers. Each pass
//! takes the events due, groups them by member (each member's in order) and lets every member with work handle its
//! own; given two cores or more, the members run in parallel on a pool of one pinned thread per core
//! ([`super::threads::helper_pool`], its CPU time charged to the committee), on one core they run one after the
//! other on the loop thread — the same code, with no pool. Each member writes what it does (messages, timers,
//! callbacks, counts) to an output of its own, and the outputs are merged into the loop in member order, so what
//! the committee sends does not depend on how the threads were scheduled.
//!
//! To keep the committee's cost bounded and off the node's cores: Ed25519 checks by keys that are not
//! validator keys (transaction signatures in gossip and proposals) are answered "valid" without verifying —
//! every transaction reached the committee from the node under test, whose sigverify stage already checked it.
//! Proposal signatures, votes, timeouts and certificates are verified for real. Committed blocks are executed once
//! for the whole committee ([`SharedExecution`], behind a lock: the first member at a height executes, the others
//! reuse its result) and persisted to each member's in-memory storage, so their execution roots are real and
//! checked against the node's; likewise each distinct consensus signature is verified once for the whole
//! committee (one [`VerdictCache`] shared by the members; on the pool, two members checking one signature at the
//! same moment may both miss it and verify it twice).

use super::committee_exec::SharedExecution;
use super::messages::{Envelope, SystemInput};
use super::metrics::{HelperClock, StageClock, thread_cpu_ns};
use super::stage::STOP_POLL;
use super::timers::TimerHeap;
use crate::execution::ExecutionState;
use crate::node::{NodeReport, NodeStateMachine};
use crate::parallel::map_in_order;
use crate::protocol::work::{ExecuteJob, VerifyJob, VerifyVerdicts};
use crate::protocol::{Action, Callback, Event, Timer, TxStatus};
use crate::runtime::perform::{Host, perform};
use crate::runtime::services::persist_executed;
use crate::runtime::{ChainConfig, ChainSetup, NodeServices, SetupError, StorageMode, TimedQueue, VerdictCache};
use crate::storage::MemoryStorage;
use crate::types::{Hash, Height, KeyedSet, Message, ValidatorId};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rayon::ThreadPool;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
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
    /// CPU time (ns) of the committee's loop thread and of its pool's threads, from their thread CPU clocks.
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

/// The pool the members run on (from two committee cores) and the clock charging its threads' CPU time to the
/// committee's busy time.
pub(crate) type CommitteePool = (Arc<ThreadPool>, HelperClock);

/// The committee thread's state.
pub(crate) struct Committee {
    pub members: Vec<Member>,
    /// The members' one execution state, locked by the member executing.
    pub execution: Mutex<SharedExecution>,
    pub validator_keys: KeyedSet<[u8; 32]>,
    pub start: Instant,
    pub latency: Duration,
    pub clock: StageClock,
    /// Runs the members in parallel; `None` (fewer than two committee cores): they run on the loop thread.
    pub pool: Option<CommitteePool>,
    pub from_node: Receiver<Vec<Envelope>>,
    pub to_node: Sender<Vec<SystemInput>>,
    pub stop: Arc<AtomicBool>,
}

/// The loop thread's state: what is due when, and what the committee has counted and owes the node.
struct Loop {
    queue: TimedQueue<Instant, Scheduled>,
    timers: TimerHeap<(usize, Timer)>,
    inbound: VecDeque<Envelope>,
    outbound: Vec<SystemInput>,
    out: CommitteeOutcome,
}

impl Loop {
    /// An empty loop.
    fn new() -> Self {
        Loop {
            queue: TimedQueue::new(),
            timers: TimerHeap::new(),
            inbound: VecDeque::new(),
            outbound: Vec::new(),
            out: CommitteeOutcome::default(),
        }
    }

    fn push(&mut self, at: Instant, member: usize, payload: Payload) {
        self.queue.push(at, Scheduled { member, payload });
    }

    /// Takes in the members' outputs of one pass, in the order given (member order): their events, timers and
    /// messages to the node keep the order each member made them in, member after member.
    fn merge(&mut self, outputs: Vec<MemberOut>) {
        for o in outputs {
            for (at, to, payload) in o.pushes {
                self.push(at, to, payload);
            }
            for (timer, at) in o.timers {
                self.timers.set((o.member, timer), at);
            }
            self.outbound.extend(o.outbound);
            self.out.signatures += o.signatures;
            self.out.blocks_proposed += o.blocks_proposed;
            self.out.messages_to_node += o.messages_to_node;
        }
    }
}

/// One member's work in a pass.
enum Work {
    /// Start its state machine.
    Start,
    /// Handle these events, in order.
    Events(Vec<Event>),
}

/// What one member did in one pass, kept apart from the other members' so that members can run on several
/// threads; [`Loop::merge`] takes the outputs in member order.
#[derive(Default)]
struct MemberOut {
    /// The member (index) that made this output.
    member: usize,
    /// Events for members, in the order made: deliveries to the others and callbacks to itself (when, whom, what).
    pushes: Vec<(Instant, usize, Payload)>,
    /// Timers armed, in order (a later arming of a timer replaces an earlier one).
    timers: Vec<(Timer, Instant)>,
    /// Messages to the node under test, in order.
    outbound: Vec<SystemInput>,
    /// Signatures made (proposals, votes, timeouts sent).
    signatures: u64,
    /// Proposals sent.
    blocks_proposed: u64,
    /// Messages sent to the node under test.
    messages_to_node: u64,
    /// Signature checks asked for during this pass, verified together at its end (votes grouped by message, one
    /// same-message batch each), as the node stage does: two votes for one block cost one pairing check.
    held: Vec<VerifyJob>,
}

/// What every member reads while it works, shared by the pool's threads.
struct Shared<'a> {
    /// Committee size.
    members: usize,
    /// The run's start (the state machines' clock).
    start: Instant,
    /// One-way link delay.
    latency: Duration,
    /// The members' one execution state.
    execution: &'a Mutex<SharedExecution>,
    /// The validators' Ed25519 keys (see [`CommitteeParts::validator_keys`]).
    validator_keys: &'a KeyedSet<[u8; 32]>,
}

impl Shared<'_> {
    /// Member `i` does `work`; its roots log gets every height it executed.
    fn work(&self, i: usize, member: &mut Member, roots: &mut BTreeMap<Height, Hash>, work: Work) -> MemberOut {
        let mut out = MemberOut { member: i, ..MemberOut::default() };
        match work {
            Work::Start => {
                let actions = member.sm.start(self.start.elapsed());
                self.apply(i, member, actions, &mut out);
            }
            Work::Events(events) => {
                for event in events {
                    if let Event::Callback(Callback::Executed(e)) = &event {
                        roots.insert(e.height, e.state_root);
                    }
                    let actions = member.sm.handle(self.start.elapsed(), event);
                    self.apply(i, member, actions, &mut out);
                }
            }
        }
        self.verify_held(member, &mut out);
        out
    }

    /// Verifies the pass's held checks together; their verdicts go back to the member as callbacks (handled next
    /// pass, as every callback is). Ed25519 checks by non-validator keys (transactions the node under test already
    /// verified) are answered valid without work.
    fn verify_held(&self, member: &Member, out: &mut MemberOut) {
        let jobs = std::mem::take(&mut out.held);
        if jobs.is_empty() {
            return;
        }
        let mut reduced = Vec::with_capacity(jobs.len());
        let mut positions = Vec::with_capacity(jobs.len());
        for job in &jobs {
            let mut r = VerifyJob {
                id: job.id,
                ed25519: Vec::new(),
                votes: job.votes.clone(),
                aggregates: job.aggregates.clone(),
            };
            let mut kept = Vec::new();
            for (k, c) in job.ed25519.iter().enumerate() {
                if self.validator_keys.contains(&c.public_key) {
                    r.ed25519.push(c.clone());
                    kept.push(k);
                }
            }
            reduced.push(r);
            positions.push(kept);
        }
        let now = Instant::now();
        for ((job, kept), v) in jobs.iter().zip(positions).zip(member.services.verify_many(&reduced)) {
            let mut ed25519 = vec![true; job.ed25519.len()];
            for (r, k) in kept.into_iter().enumerate() {
                if let Some(slot) = ed25519.get_mut(k) {
                    *slot = v.ed25519.get(r).copied().unwrap_or(false);
                }
            }
            let verdicts = VerifyVerdicts { id: job.id, ed25519, votes: v.votes, aggregates: v.aggregates };
            out.pushes.push((now, out.member, Payload::Local(Event::Callback(Callback::Verified(verdicts)))));
        }
    }

    fn apply(&self, i: usize, member: &mut Member, actions: Vec<Action>, out: &mut MemberOut) {
        let mut host = MemberHost { member: i, now: Instant::now(), shared: self, out };
        perform(&mut member.services, &mut host, actions);
    }
}

impl Committee {
    /// Runs until `stop` is set.
    pub(crate) fn run(self) -> CommitteeOutcome {
        let Committee {
            mut members,
            execution,
            validator_keys,
            start,
            latency,
            mut clock,
            mut pool,
            from_node,
            to_node,
            stop,
        } = self;
        let n = members.len();
        let shared = Shared { members: n, start, latency, execution: &execution, validator_keys: &validator_keys };
        let mut roots: Vec<BTreeMap<Height, Hash>> = vec![BTreeMap::new(); n];
        let mut lp = Loop::new();
        // One pass: every member with work does it (in parallel on the pool), then their outputs are merged in
        // member order.
        let mut pass = |work: Vec<Option<Work>>, lp: &mut Loop, pool: &mut Option<CommitteePool>| {
            let jobs: Vec<_> = members
                .iter_mut()
                .zip(roots.iter_mut())
                .zip(work)
                .enumerate()
                .filter_map(|(i, ((m, r), w))| w.map(|w| (i, m, r, w)))
                .collect();
            if let Some((_, helpers)) = pool.as_mut() {
                helpers.begin();
            }
            let outputs =
                map_in_order(pool.as_ref().map(|(p, _)| &**p), 2, jobs, |(i, m, r, w)| shared.work(i, m, r, w));
            if let Some((_, helpers)) = pool.as_mut() {
                helpers.charge();
            }
            lp.merge(outputs);
        };
        pass((0..n).map(|_| Some(Work::Start)).collect(), &mut lp, &mut pool);
        flush(&clock, &to_node, &mut lp);
        clock.busy(Duration::ZERO);
        while !stop.load(Relaxed) {
            while let Ok(batch) = from_node.try_recv() {
                clock.metrics().took(batch.len());
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
            let due = Instant::now();
            let mut events: Vec<Vec<Event>> = (0..n).map(|_| Vec::new()).collect();
            let mut any = false;
            while let Some((_, s)) = lp.queue.pop_due(due) {
                let event = match s.payload {
                    Payload::Deliver { from, message } => Event::Network { from, message },
                    Payload::Local(e) => e,
                };
                if let Some(list) = events.get_mut(s.member) {
                    list.push(event);
                    any = true;
                }
            }
            if any {
                did = true;
                let work = events.into_iter().map(|e| (!e.is_empty()).then_some(Work::Events(e))).collect();
                pass(work, &mut lp, &mut pool);
            }
            flush(&clock, &to_node, &mut lp);
            if did {
                clock.busy(Duration::ZERO);
                continue;
            }
            let now = Instant::now();
            let wake =
                [lp.inbound.front().map(|e| e.at), lp.timers.next_due(), lp.queue.next_due(), Some(now + STOP_POLL)]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(now + STOP_POLL);
            let received = from_node.recv_timeout(wake.saturating_duration_since(now));
            clock.idle();
            match received {
                Ok(batch) => {
                    clock.metrics().took(batch.len());
                    lp.out.messages_from_node += batch.len() as u64;
                    lp.inbound.extend(batch);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let mut out = std::mem::take(&mut lp.out);
        out.internal_mismatches = count_mismatches(&roots);
        out.roots = roots.into_iter().next().unwrap_or_default();
        out.members = members.iter().map(|m| m.sm.report()).collect();
        out.cpu_ns = thread_cpu_ns().saturating_add(pool.as_ref().map_or(0, |(_, helpers)| helpers.cpu_ns()));
        out
    }
}

/// Sends what the members owe the node under test.
fn flush(clock: &StageClock, to_node: &Sender<Vec<SystemInput>>, lp: &mut Loop) {
    if !lp.outbound.is_empty() {
        clock.metrics().gave(lp.outbound.len());
        // The node stage stops first at shutdown; a closed queue then only means nobody listens.
        let _ = to_node.send(std::mem::take(&mut lp.outbound));
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
    pub validator_keys: KeyedSet<[u8; 32]>,
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
/// after the link's delay, timers and callbacks, all into the member's own output (merged by the loop); execution
/// once for all members ([`SharedExecution`]) persisted to the member's own storage, and only consensus signatures
/// verified.
struct MemberHost<'a, 'b> {
    member: usize,
    now: Instant,
    shared: &'a Shared<'b>,
    out: &'a mut MemberOut,
}

impl Host for MemberHost<'_, '_> {
    fn send(&mut self, to: Option<ValidatorId>, message: Message) {
        let (i, at, out) = (self.member, self.now + self.shared.latency, &mut *self.out);
        let me = (i + 1) as ValidatorId;
        count_signed(&message, out);
        match to {
            Some(0) => {
                out.messages_to_node += 1;
                out.outbound.push(SystemInput::Network(Envelope { at, from: me, to: Some(0), message }));
            }
            Some(to) => {
                if let Some(j) = (to as usize).checked_sub(1).filter(|&j| j < self.shared.members) {
                    out.pushes.push((at, j, Payload::Deliver { from: me, message }));
                }
            }
            None => {
                for j in (0..self.shared.members).filter(|&j| j != i) {
                    out.pushes.push((at, j, Payload::Deliver { from: me, message: message.clone() }));
                }
                out.messages_to_node += 1;
                out.outbound.push(SystemInput::Network(Envelope { at, from: me, to: Some(0), message }));
            }
        }
    }

    fn set_timer(&mut self, timer: Timer, after: Duration) {
        self.out.timers.push((timer, self.now + after));
    }

    fn tx_status(&mut self, _: Hash, _: TxStatus) {}

    fn callback(&mut self, event: Event) {
        self.out.pushes.push((self.now, self.member, Payload::Local(event)));
    }

    /// Holds the job until the member's pass ends ([`Shared::verify_held`]).
    fn verify(&mut self, _: &NodeServices, job: VerifyJob) {
        self.out.held.push(job);
    }

    /// Takes the block's result from the shared execution (computing it, under the lock, when this member is the
    /// first at that height), then persists it to the member's own storage outside the lock.
    fn execute(&mut self, services: &mut NodeServices, job: ExecuteJob) {
        let height = job.block.header.height;
        let executed = self.shared.execution.lock().unwrap_or_else(PoisonError::into_inner).execute(
            self.member,
            &job.block,
            job.tx_ids.as_deref(),
        );
        let done = executed.and_then(|done| {
            persist_executed(services.storage_mut(), &job, done).map_err(|e| format!("persisting: {e}"))
        });
        let callback = match done {
            Ok(done) => Callback::Executed(done),
            Err(error) => Callback::ExecutionFailed { height, error },
        };
        self.callback(Event::Callback(callback));
    }
}

fn count_signed(message: &Message, out: &mut MemberOut) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A callback event naming `member` and its `k`-th output (a timer event carries both as epoch and round).
    fn mark(member: usize, k: u64) -> Event {
        Event::Timer(Timer::Propose { epoch: member as u64, round: k })
    }

    /// Members that finish out of order on a pool of three threads (the first sleeps longest) still reach the loop
    /// in member order: their events, timers and counts merged member after member, each member's in the order it
    /// made them — and the same as running them one after the other with no pool.
    #[test]
    fn merged_member_outputs_come_out_in_member_order() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("a pool");
        let at = Instant::now();
        let work = |i: usize| {
            std::thread::sleep(Duration::from_millis(5 * (4 - i as u64)));
            let mut out = MemberOut { member: i, signatures: 1, messages_to_node: i as u64, ..MemberOut::default() };
            for k in 0..3 {
                out.pushes.push((at, (i + k as usize) % 4, Payload::Local(mark(i, k))));
            }
            out.timers.push((Timer::Sync, at));
            out
        };
        let drained = |pool: Option<&ThreadPool>| {
            let mut lp = Loop::new();
            lp.merge(map_in_order(pool, 2, (0..4).collect(), work));
            let mut events = Vec::new();
            while let Some((_, s)) = lp.queue.pop_due(at) {
                let Payload::Local(Event::Timer(Timer::Propose { epoch, round })) = s.payload else {
                    panic!("only marks were pushed");
                };
                events.push((s.member, epoch, round));
            }
            let mut timers = Vec::new();
            while let Some((member, _)) = lp.timers.pop_due(at) {
                timers.push(member);
            }
            (events, timers, lp.out.signatures, lp.out.messages_to_node)
        };
        let (events, timers, signatures, to_node) = drained(Some(&pool));
        let expected: Vec<(usize, u64, u64)> =
            (0..4).flat_map(|i| (0..3).map(move |k| ((i + k as usize) % 4, i as u64, k))).collect();
        assert_eq!(events, expected);
        assert_eq!(timers, vec![0, 1, 2, 3]);
        assert_eq!((signatures, to_node), (4, 6));
        assert_eq!(drained(None), (events, timers, signatures, to_node), "no pool: the same result");
    }
}
