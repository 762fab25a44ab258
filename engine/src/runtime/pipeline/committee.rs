//! The synthetic committee of node mode: validators 1..n−1 as real `NodeStateMachine`s with real keys, on one
//! thread pinned outside the node's cores, so the node under test sees real proposals, votes, timeouts and
//! certificates and does the same crypto and consensus work as in a live network.
//!
//! To keep the committee's cost bounded and off the node's cores: Ed25519 checks by keys that are not
//! validator keys (transaction signatures in gossip and proposals) are answered "valid" without verifying —
//! every transaction reached the committee from the node under test, whose sigverify stage already checked it.
//! Proposal signatures, votes, timeouts and certificates are verified for real. Committed blocks are executed once
//! for the whole committee ([`SharedExecution`]) and persisted to each member's in-memory storage, so their
//! execution roots are real and checked against the node's.

use super::committee_exec::SharedExecution;
use super::ingress::STOP_POLL;
use super::messages::{Envelope, SystemInput};
use super::stage::StageClock;
use super::timers::TimerHeap;
use crate::node::{NodeReport, NodeStateMachine};
use crate::protocol::work::{VerifyJob, VerifyVerdicts};
use crate::protocol::{Action, Callback, Event, Timer};
use crate::runtime::NodeServices;
use crate::runtime::services::persist_executed;
use crate::types::{Hash, Height, Message, ValidatorId};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet, VecDeque};
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

struct Scheduled {
    at: Instant,
    seq: u64,
    member: usize,
    payload: Payload,
}

impl PartialEq for Scheduled {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
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
    queue: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    timers: TimerHeap<(usize, Timer)>,
    inbound: VecDeque<Envelope>,
    outbound: Vec<SystemInput>,
    out: CommitteeOutcome,
    roots: Vec<BTreeMap<Height, Hash>>,
}

impl Loop {
    fn push(&mut self, at: Instant, member: usize, payload: Payload) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled { at, seq: self.seq, member, payload }));
    }
}

impl Committee {
    /// Runs until `stop` is set.
    pub(crate) fn run(mut self) -> CommitteeOutcome {
        let n = self.members.len();
        let mut lp = Loop {
            queue: BinaryHeap::new(),
            seq: 0,
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
            while lp.queue.peek().is_some_and(|Reverse(s)| s.at <= Instant::now()) {
                let Some(Reverse(s)) = lp.queue.pop() else { break };
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
            let wake = [
                lp.inbound.front().map(|e| e.at),
                lp.timers.next_due(),
                lp.queue.peek().map(|Reverse(s)| s.at),
                Some(now + STOP_POLL),
            ]
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
        let me = (i + 1) as ValidatorId;
        let now = Instant::now();
        let at = now + self.latency;
        for action in actions {
            if !self.members[i].services.allows(&action) {
                continue;
            }
            match action {
                Action::Send { to, message } => {
                    count_signed(&message, &mut lp.out);
                    if to == 0 {
                        lp.out.messages_to_node += 1;
                        lp.outbound.push(SystemInput::Network(Envelope { at, from: me, to: Some(0), message }));
                    } else if let Some(j) = (to as usize).checked_sub(1).filter(|&j| j < self.members.len()) {
                        lp.push(at, j, Payload::Deliver { from: me, message });
                    }
                }
                Action::Broadcast { message } => {
                    count_signed(&message, &mut lp.out);
                    for j in (0..self.members.len()).filter(|&j| j != i) {
                        lp.push(at, j, Payload::Deliver { from: me, message: message.clone() });
                    }
                    lp.out.messages_to_node += 1;
                    lp.outbound.push(SystemInput::Network(Envelope { at, from: me, to: Some(0), message }));
                }
                Action::SetTimer { timer, after } => lp.timers.set((i, timer), now + after),
                Action::EmitTxStatus { .. } => {}
                Action::Verify(job) => {
                    let v = self.verify_consensus_only(i, &job);
                    lp.push(now, i, Payload::Local(Event::Callback(Callback::Verified(v))));
                }
                Action::Execute(job) => {
                    let height = job.block.header.height;
                    let storage = self.members[i].services.storage_mut();
                    let done = self
                        .execution
                        .execute(i, &job.block)
                        .and_then(|done| persist_executed(storage, &job, done).map_err(|e| format!("persisting: {e}")));
                    let callback = match done {
                        Ok(done) => Callback::Executed(done),
                        Err(error) => Callback::ExecutionFailed { height, error },
                    };
                    lp.push(now, i, Payload::Local(Event::Callback(callback)));
                }
                other => {
                    if let Some(ev) = self.members[i].services.perform(&other) {
                        lp.push(now, i, Payload::Local(ev));
                    }
                }
            }
        }
    }

    /// Verifies the job's consensus signatures; Ed25519 checks by non-validator keys (transactions the node under
    /// test already verified) are answered valid without work.
    fn verify_consensus_only(&self, i: usize, job: &VerifyJob) -> VerifyVerdicts {
        let mut reduced =
            VerifyJob { id: job.id, ed25519: Vec::new(), votes: job.votes.clone(), aggregates: job.aggregates.clone() };
        let mut positions = Vec::new();
        for (k, c) in job.ed25519.iter().enumerate() {
            if self.validator_keys.contains(&c.public_key) {
                reduced.ed25519.push(c.clone());
                positions.push(k);
            }
        }
        let v = self.members[i].services.verify(&reduced);
        let mut ed25519 = vec![true; job.ed25519.len()];
        for (r, k) in positions.into_iter().enumerate() {
            if let Some(slot) = ed25519.get_mut(k) {
                *slot = v.ed25519.get(r).copied().unwrap_or(false);
            }
        }
        VerifyVerdicts { id: job.id, ed25519, votes: v.votes, aggregates: v.aggregates }
    }

    fn flush(&mut self, lp: &mut Loop) {
        if !lp.outbound.is_empty() {
            self.clock.metrics().gave(lp.outbound.len());
            // The node stage stops first at shutdown; a closed queue then only means nobody listens.
            let _ = self.to_node.send(std::mem::take(&mut lp.outbound));
        }
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

/// CPU time the calling thread has used, in nanoseconds (0 where the clock is unavailable).
pub fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, exclusively borrowed timespec for the duration of the call; the clock id is a
    // constant the platform defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}
