//! The deterministic in-process cluster: n nodes, a simulated network, virtual (or wall-clock) time.

use super::api::{ClockMode, ClusterConfig, ClusterReport, TxEvent};
use crate::byzantine::Adversary;
use crate::byzantine::Byzantine;
use crate::node::NodeStateMachine;
use crate::protocol::work::ExecuteJob;
use crate::protocol::{Action, Callback, Event, Timer, TxStatus};
use crate::runtime::perform::{Host, perform};
use crate::runtime::{ChainConfig, ChainSetup, NodeServices, SetupError, StorageMode, TimedQueue};
use crate::storage::{FaultyStorage, Storage, StorageFaults};
use crate::types::{Hash, Height, Message, QuorumCertificate, Transaction, ValidatorId, vote_message};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

enum Payload {
    Deliver { from: usize, message: Message },
    Timer { timer: Timer, generation: u64 },
    Local(Event),
}

/// An event for one incarnation of one node.
struct Scheduled {
    node: usize,
    incarnation: u64,
    payload: Payload,
}

struct SimNode {
    sm: NodeStateMachine,
    services: Option<NodeServices>,
    alive: bool,
    incarnation: u64,
    parked_storage: Option<Box<dyn Storage>>,
    /// Storage faults injected into this node.
    faults: Arc<StorageFaults>,
    /// Messages this node sent (one per `Send`/`Broadcast` action), by kind.
    sent: BTreeMap<&'static str, u64>,
}

/// A cluster of validators running the real node code over a simulated network.
pub struct Cluster {
    cfg: ClusterConfig,
    setup: ChainSetup,
    nodes: Vec<SimNode>,
    queue: TimedQueue<Duration, Scheduled>,
    rng: ChaCha8Rng,
    now: Duration,
    wall_start: Instant,
    timers: HashMap<(usize, Timer), u64>,
    tx_events: Vec<TxEvent>,
    groups: Option<Vec<usize>>,
    byzantine: BTreeMap<usize, Byzantine>,
    adversary: Adversary,
    delivered: u64,
    dropped: u64,
    commits: Vec<BTreeMap<Height, Hash>>,
    roots: Vec<BTreeMap<Height, Hash>>,
    qcs: Vec<QuorumCertificate>,
    /// The vote each node sent in each (epoch, round), and every second, different vote found.
    votes_sent: HashMap<(usize, u64, u64), Hash>,
    double_votes: Vec<String>,
    /// Validator id each node runs as; a Twins copy shares its original's id (and keys).
    validator_of: Vec<usize>,
}

impl Cluster {
    /// Builds and starts every node.
    pub fn new(cfg: ClusterConfig) -> Result<Self, SetupError> {
        Self::with_twins(cfg, &[])
    }

    /// Builds a cluster where each validator in `twins` runs twice: a second node (index n, n+1, … in the order
    /// given) with the same identity and keys and unmodified code (Twins, Bano et al.). Messages for that
    /// validator reach whichever copies the current partition lets through, so equivocation and forgotten locks
    /// arise without byzantine code. Safety is then checked on the other validators.
    pub fn with_twins(cfg: ClusterConfig, twins: &[usize]) -> Result<Self, SetupError> {
        let setup = ChainSetup::new(&cfg.chain)?;
        Self::with_setup(cfg, setup, twins)
    }

    /// As [`Cluster::with_twins`], over a setup built beforehand (keys, registry, node parameters), so a sweep
    /// of many scenarios derives keys once and can share a verdict cache
    /// ([`ChainSetup::with_verdict_cache`]). `setup` must come from `ChainSetup::new` on a chain config equal to
    /// `cfg.chain` except for `seed` (which then drives only the network and the adversary), `network` and `clock`.
    pub fn with_setup(cfg: ClusterConfig, setup: ChainSetup, twins: &[usize]) -> Result<Self, SetupError> {
        let n = cfg.chain.validators;
        cfg.network.validate().map_err(|e| SetupError::Config(e.to_string()))?;
        if setup.params.len() != n {
            return Err(SetupError::Config(format!(
                "a setup for {} validators cannot run a config of {n}",
                setup.params.len()
            )));
        }
        if let Some(bad) = twins.iter().find(|&&t| t >= n) {
            return Err(SetupError::Config(format!("twin of validator {bad}, but only {n} validators exist")));
        }
        let validator_of: Vec<usize> = (0..n).chain(twins.iter().copied()).collect();
        let mut nodes = Vec::with_capacity(validator_of.len());
        for (i, &v) in validator_of.iter().enumerate() {
            let faults = Arc::new(StorageFaults::default());
            let storage = open_faulty_storage(&cfg.chain, i, &faults)?;
            let (sm, services) = setup.build_node(&cfg.chain, v, storage)?;
            nodes.push(SimNode {
                sm,
                services: Some(services),
                alive: true,
                incarnation: 0,
                parked_storage: None,
                faults,
                sent: BTreeMap::new(),
            });
        }
        let n = nodes.len();
        let adversary = Adversary::new(cfg.chain.chain_id, cfg.chain.vote_scheme, setup.keys.clone(), cfg.chain.seed);
        let mut cluster = Cluster {
            rng: ChaCha8Rng::seed_from_u64(cfg.chain.seed ^ 0x005e_ed0f_5111),
            cfg,
            setup,
            nodes,
            queue: TimedQueue::new(),
            now: Duration::ZERO,
            wall_start: Instant::now(),
            timers: HashMap::new(),
            tx_events: Vec::new(),
            groups: None,
            byzantine: BTreeMap::new(),
            adversary,
            delivered: 0,
            dropped: 0,
            commits: vec![BTreeMap::new(); n],
            roots: vec![BTreeMap::new(); n],
            qcs: Vec::new(),
            votes_sent: HashMap::new(),
            double_votes: Vec::new(),
            validator_of,
        };
        for i in 0..n {
            let actions = cluster.nodes[i].sm.start(Duration::ZERO);
            cluster.apply(i, actions);
        }
        Ok(cluster)
    }

    /// Cluster time.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Wall-clock time since the cluster started (the origin of wall-clock mode's time).
    pub fn wall_elapsed(&self) -> Duration {
        self.wall_start.elapsed()
    }

    /// When the next queued event is due, if any.
    pub fn next_event_time(&self) -> Option<Duration> {
        self.queue.next_due()
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Never true: a cluster has at least four nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// A client transaction arriving at `node` now.
    pub fn submit(&mut self, node: usize, tx: Transaction) {
        let node = node % self.nodes.len();
        self.push(self.now, node, Payload::Local(Event::Client(tx)));
    }

    /// Processes every event due up to `t`.
    pub fn run_until(&mut self, t: Duration) {
        while let Some((at, ev)) = self.queue.pop_due(t) {
            self.now = match self.cfg.clock {
                ClockMode::Virtual => at.max(self.now),
                ClockMode::WallClock => at.max(self.wall_start.elapsed()).max(self.now),
            };
            self.deliver(ev);
        }
        if self.cfg.clock == ClockMode::Virtual {
            self.now = self.now.max(t);
        }
    }

    /// Runs for `d` of cluster time.
    pub fn run_for(&mut self, d: Duration) {
        let t = self.now + d;
        self.run_until(t);
    }

    fn deliver(&mut self, ev: Scheduled) {
        let i = ev.node;
        let node = &self.nodes[i];
        if !node.alive || node.incarnation != ev.incarnation {
            if matches!(ev.payload, Payload::Deliver { .. }) {
                self.dropped += 1;
            }
            return;
        }
        let event = match ev.payload {
            Payload::Deliver { from, message } => {
                self.delivered += 1;
                match self.byzantine.get(&i) {
                    Some(Byzantine::NonMemberVoter) => self.forge_non_member_vote(i, &message),
                    Some(_) => self.adversary.observe(&message),
                    None => {}
                }
                Event::Network { from: self.validator_of[from] as u16, message }
            }
            Payload::Timer { timer, generation } => {
                if self.timers.get(&(i, timer)) != Some(&generation) {
                    return;
                }
                Event::Timer(timer)
            }
            Payload::Local(e) => e,
        };
        let actions = self.nodes[i].sm.handle(self.now, event);
        self.apply(i, actions);
    }

    fn apply(&mut self, i: usize, actions: Vec<Action>) {
        // A crashed node has no services and performs nothing (its events are dropped before they get here).
        let Some(mut services) = self.nodes[i].services.take() else { return };
        perform(&mut services, &mut SimHost { cluster: self, node: i }, actions);
        self.nodes[i].services = Some(services);
    }

    /// Remembers the vote node `i` sent, noting a second, different vote in the same (epoch, round).
    fn record_vote(&mut self, i: usize, message: &Message) {
        let Message::Vote(v) = message else { return };
        let digest = Hash::of(&crate::types::encode(v));
        match self.votes_sent.insert((i, v.epoch, v.round), digest) {
            Some(prev) if prev != digest => self.double_votes.push(format!(
                "node {i} voted twice in epoch {} round {} (second vote for block {} at height {})",
                v.epoch, v.round, v.block_hash, v.height
            )),
            _ => {}
        }
    }

    fn send(&mut self, from: usize, to: usize, message: Message) {
        if to >= self.nodes.len() {
            self.dropped += 1;
            return;
        }
        let Some(behaviour) = self.byzantine.get(&from).copied() else {
            return self.transmit(from, to, message);
        };
        let me = self.validator_of[from] as u16;
        for m in self.adversary.outgoing(behaviour, me, to, message) {
            self.transmit(from, to, m);
        }
    }

    fn transmit(&mut self, from: usize, to: usize, message: Message) {
        if let Some(groups) = &self.groups
            && groups[from] != groups[to]
        {
            self.dropped += 1;
            return;
        }
        let net = &self.cfg.network;
        if net.loss > 0.0 && self.rng.random::<f64>() < net.loss {
            self.dropped += 1;
            return;
        }
        let mut ms = net.latency_ms;
        if net.jitter_ms > 0.0 {
            ms += self.rng.random::<f64>() * net.jitter_ms;
        }
        if net.reorder > 0.0 && self.rng.random::<f64>() < net.reorder {
            ms += self.rng.random::<f64>() * 10.0 * net.latency_ms.max(1.0);
        }
        let at = self.now + Duration::from_micros((ms * 1000.0) as u64);
        self.push(at, to, Payload::Deliver { from, message });
    }

    fn push(&mut self, at: Duration, node: usize, payload: Payload) {
        let incarnation = self.nodes[node].incarnation;
        self.queue.push(at, Scheduled { node, incarnation, payload });
    }

    // ---- byzantine behaviour -----------------------------------------------------------------------------

    fn forge_non_member_vote(&mut self, i: usize, message: &Message) {
        let Some(vote) = self.adversary.vote_for(self.validator_of[i] as u16, message) else { return };
        for j in 0..self.nodes.len() {
            if j != i {
                self.transmit(i, j, Message::Vote(vote.clone()));
            }
        }
    }

    // ---- faults ------------------------------------------------------------------------------------------

    /// Gives validator `node` a byzantine behaviour.
    pub fn set_byzantine(&mut self, node: usize, behaviour: Byzantine) {
        self.byzantine.insert(node, behaviour);
    }

    /// Splits the network: messages between different groups are lost. Nodes not listed form their own group.
    pub fn partition(&mut self, groups: &[Vec<usize>]) {
        let mut of = vec![usize::MAX; self.nodes.len()];
        for (g, members) in groups.iter().enumerate() {
            for &m in members {
                if m < of.len() {
                    of[m] = g;
                }
            }
        }
        for (i, g) in of.iter_mut().enumerate() {
            if *g == usize::MAX {
                *g = groups.len() + i;
            }
        }
        self.groups = Some(of);
    }

    /// Makes every safety-state save of `node` fail (`true`) or succeed again (`false`).
    pub fn fail_safety_saves(&mut self, node: usize, fail: bool) {
        self.nodes[node].faults.fail_safety.store(fail, Ordering::Relaxed);
    }

    /// Makes `node`'s storage hold block commits in memory (`true`), as a lagging storage stage does, or write
    /// them again (`false`). A crash while commits are held loses them (use redb storage, which restarts from
    /// the file).
    pub fn lag_commits(&mut self, node: usize, lag: bool) {
        self.nodes[node].faults.lag_commits.store(lag, Ordering::Relaxed);
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        self.groups = None;
    }

    /// Stops `node`: pending messages, timers and callbacks for it are lost; its storage is kept.
    pub fn crash(&mut self, node: usize) {
        let n = &mut self.nodes[node];
        if !n.alive {
            return;
        }
        n.alive = false;
        n.incarnation += 1;
        n.parked_storage = n.services.take().map(|s| s.into_storage());
    }

    /// Restarts a crashed node from its storage (a redb file is closed and reopened from disk).
    pub fn restart(&mut self, node: usize) -> Result<(), SetupError> {
        if self.nodes[node].alive {
            return Ok(());
        }
        let parked = self.nodes[node].parked_storage.take();
        let storage = match (&self.cfg.chain.storage, parked) {
            (StorageMode::Redb { .. }, parked) => {
                drop(parked);
                open_faulty_storage(&self.cfg.chain, node, &self.nodes[node].faults)?
            }
            (StorageMode::Memory, Some(s)) => s,
            (StorageMode::Memory, None) => open_faulty_storage(&self.cfg.chain, node, &self.nodes[node].faults)?,
        };
        // A Twins copy comes back as the validator it copies (its own index is past the committee).
        let (sm, services) = self.setup.build_node(&self.cfg.chain, self.validator_of[node], storage)?;
        let n = &mut self.nodes[node];
        n.sm = sm;
        n.services = Some(services);
        n.alive = true;
        n.incarnation += 1;
        let actions = self.nodes[node].sm.start(self.now);
        self.apply(node, actions);
        Ok(())
    }

    // ---- observation -------------------------------------------------------------------------------------

    /// Transaction status changes since the last call.
    pub fn drain_tx_events(&mut self) -> Vec<TxEvent> {
        std::mem::take(&mut self.tx_events)
    }

    /// Messages of `kind` (see `Message::kind`) node `i` sent so far (one per send or broadcast).
    pub fn sent(&self, i: usize, kind: &str) -> u64 {
        self.nodes[i].sent.get(kind).copied().unwrap_or(0)
    }

    /// Every time a node sent two different votes in one (epoch, round), as the node code emitted them
    /// (before any byzantine rewriting). Empty for honest nodes under any fault.
    pub fn double_votes(&self) -> &[String] {
        &self.double_votes
    }

    /// Node `i`'s state machine.
    pub fn node(&self, i: usize) -> &NodeStateMachine {
        &self.nodes[i].sm
    }

    /// Blocks node `i` committed, by height (kept across its restarts).
    pub fn committed(&self, i: usize) -> &BTreeMap<Height, Hash> {
        &self.commits[i]
    }

    /// Every QC that certified a committed block, as the committing nodes saw it.
    pub fn commit_qcs(&self) -> &[QuorumCertificate] {
        &self.qcs
    }

    /// Lowest committed height among live nodes.
    pub fn min_committed_height(&self) -> Height {
        self.nodes.iter().filter(|n| n.alive).map(|n| n.sm.bft().committed_height()).min().unwrap_or(0)
    }

    /// Safety and determinism: no two nodes committed different blocks at one height, and no two nodes have
    /// different state roots at one executed height.
    pub fn check_consistency(&self) -> Result<(), String> {
        self.check_consistency_of(&(0..self.nodes.len()).collect::<Vec<_>>())
    }

    /// The same check over the given nodes only (e.g. the honest ones of a Twins run).
    pub fn check_consistency_of(&self, nodes: &[usize]) -> Result<(), String> {
        for (what, logs) in [("block", &self.commits), ("state root", &self.roots)] {
            let mut seen: BTreeMap<Height, (usize, Hash)> = BTreeMap::new();
            for (i, log) in logs.iter().enumerate().filter(|(i, _)| nodes.contains(i)) {
                for (h, v) in log {
                    match seen.get(h) {
                        Some((j, w)) if w != v => {
                            return Err(format!(
                                "{what} mismatch at height {h}: node {j} has {w:?}, node {i} has {v:?}"
                            ));
                        }
                        Some(_) => {}
                        None => {
                            seen.insert(*h, (i, *v));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Verifies every commit QC's aggregate signature (used by tests to show byzantine votes never count).
    pub fn verify_commit_qcs(&self) -> Result<usize, String> {
        let mut checked = 0;
        let votes = crate::crypto::VoteCrypto::new(
            self.cfg.chain.vote_scheme,
            self.setup.registry.clone(),
            self.setup.backend.clone(),
        );
        let schedule = &self.setup.params[0].bft.schedule;
        for qc in &self.qcs {
            if qc.is_epoch_start() {
                continue;
            }
            let signers = schedule.signers(qc.epoch, &qc.signers).ok_or("QC bitfield does not match its committee")?;
            if signers.len() < schedule.quorum(qc.epoch) {
                return Err(format!("QC at height {} has {} signers, below quorum", qc.height, signers.len()));
            }
            let msg =
                vote_message(self.cfg.chain.chain_id, qc.epoch, qc.round, qc.height, &qc.block_hash, &qc.parent_hash);
            if !votes.verify_aggregate(&msg, &signers, &qc.aggregate) {
                return Err(format!("QC at height {} does not verify", qc.height));
            }
            checked += 1;
        }
        Ok(checked)
    }

    /// End-of-run summary.
    pub fn report(&self) -> ClusterReport {
        ClusterReport {
            nodes: self.nodes.iter().map(|n| n.sm.report()).collect(),
            consistent: self.check_consistency().is_ok(),
            messages_delivered: self.delivered,
            messages_dropped: self.dropped,
        }
    }

    /// Node `i`'s execution state total balance (conservation checks), if it is running.
    pub fn total_balance(&self, i: usize) -> Option<u128> {
        self.nodes[i].services.as_ref().map(|s| s.execution().total_balance())
    }
}

/// Node `i`'s storage as configured, behind the fault switches the cluster injects through.
fn open_faulty_storage(
    cfg: &ChainConfig,
    i: usize,
    faults: &Arc<StorageFaults>,
) -> Result<Box<dyn Storage>, SetupError> {
    Ok(Box::new(FaultyStorage::new(ChainSetup::open_storage(cfg, i)?, faults.clone())))
}

/// How the simulator performs node `node`'s actions: messages through the simulated network (and the adversary),
/// timers and callbacks into the one event queue, statuses into the cluster's log.
struct SimHost<'a> {
    cluster: &'a mut Cluster,
    node: usize,
}

impl Host for SimHost<'_> {
    fn send(&mut self, to: Option<ValidatorId>, message: Message) {
        let (c, i) = (&mut *self.cluster, self.node);
        *c.nodes[i].sent.entry(message.kind()).or_default() += 1;
        let Some(to) = to else {
            for j in (0..c.nodes.len()).filter(|&j| j != i) {
                c.send(i, j, message.clone());
            }
            return;
        };
        c.record_vote(i, &message);
        let copies: Vec<usize> = (0..c.nodes.len()).filter(|&j| j != i && c.validator_of[j] == to as usize).collect();
        if copies.is_empty() {
            c.dropped += 1;
        }
        for j in copies {
            c.send(i, j, message.clone());
        }
    }

    fn set_timer(&mut self, timer: Timer, after: Duration) {
        let (c, i) = (&mut *self.cluster, self.node);
        let generation = c.timers.get(&(i, timer)).map_or(1, |g| g + 1);
        c.timers.insert((i, timer), generation);
        c.push(c.now + after, i, Payload::Timer { timer, generation });
    }

    fn tx_status(&mut self, tx_hash: Hash, status: TxStatus) {
        let c = &mut *self.cluster;
        c.tx_events.push(TxEvent { node: self.node, tx_hash, status, at: c.now, block: None });
    }

    fn callback(&mut self, event: Event) {
        let (c, i) = (&mut *self.cluster, self.node);
        if let Event::Callback(Callback::Executed(e)) = &event {
            c.roots[i].insert(e.height, e.state_root);
        }
        c.push(c.now, i, Payload::Local(event));
    }

    fn execute(&mut self, services: &mut NodeServices, job: ExecuteJob) {
        let c = &mut *self.cluster;
        c.commits[self.node].insert(job.block.header.height, job.block.hash());
        c.qcs.push(job.qc.clone());
        let event = services.execute(&job);
        self.callback(event);
    }
}
