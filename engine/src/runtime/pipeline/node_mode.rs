//! Node mode: the node under test runs the pinned pipeline on its cores while a synthetic committee of n − 1
//! real validators (on the `committee` cores) proposes and votes, so consensus really runs.

use super::block_clock::BlockClock;
use super::committee::{Committee, CommitteeOutcome, CommitteeParts, committee_members};
use super::config::{CoreMap, PipelineConfig};
use super::error::PipelineError;
use super::execution::Execution;
use super::ingress::Ingress;
use super::memory::MemoryWatch;
use super::messages::{Envelope, Executed, SystemInput};
use super::metrics::LaneClocks;
use super::metrics::{HelperClock, StageClock, StageMetrics};
use super::monitor::{LatestPoints, StageSeries, run_monitor};
use super::node_stage::{NodeCounters, NodeOutcome, NodeStage};
use super::queue::{BatchSender, batch_queue, batches_of};
use super::report::{CommitteeReport, PipelineReport, PipelineSnapshot, StageLive, StageReport, bottleneck, busy_pct};
use super::sigverify::{Sigverify, Verified};
use super::stage::{QueueLen, StageKind, StageProbe, run_stage};
use super::storage::StorageStage;
use super::threads::{
    Caller, Warnings, available_cores, helper_pool, pin_to_core, pinning_enabled, spawn_pinned, warn,
};
use super::vote_crypto::VoteCryptoStage;
use super::wire::{WireCounters, network_identity, network_thread_hook, run_inbound, run_outbound};
use crate::byzantine::{Adversary, Byzantine};
use crate::crypto::{CpuBackendKind, VerifyBackend, VoteCrypto, cpu_backend};
use crate::crypto::{KeyCacheStats, key_cache_stats};
use crate::execution::ExecutionState;
use crate::network::{INBOX_CAPACITY, Network, NetworkConfig, PeerBounds, PeerStats};
use crate::protocol::work::{ExecuteJob, VerifyJob};
use crate::protocol::{PeerSanction, TxEvent, TxSource};
use crate::runtime::{ChainConfig, ChainSetup, NodeServices};
use crate::storage::{MemoryStorage, Storage};
use crate::types::Transaction;
use crate::types::ValidatorId;
use std::collections::BTreeMap;
use std::collections::HashSet;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long `stop` waits for transactions already submitted to reach the node stage.
const DRAIN_WAIT: Duration = Duration::from_secs(5);
/// How long `stop` waits for all threads to end before reporting the stuck ones.
const JOIN_WAIT: Duration = Duration::from_secs(5);

/// Configuration of a node-mode run.
#[derive(Clone)]
pub struct NodeModeConfig {
    /// Validators, seed, chain id, vote scheme, consensus, mempool, provisioning, genesis and the node under
    /// test's storage. Redb storage must be fresh: the committee always starts at genesis.
    pub chain: ChainConfig,
    /// Core layout, batch and queue sizes.
    pub pipeline: PipelineConfig,
    /// Who the node under test exchanges consensus messages with: the synthetic committee in this process, or the
    /// other validators over the real network.
    pub peers: Peers,
    /// Verifies the node under test's signatures: its sigverify stage and its own vote and certificate checks
    /// (the `[crypto] backend` object; the `gpu` one comes from hsbench-kernels).
    pub backend: Arc<dyn VerifyBackend>,
    /// Verifies the synthetic committee's signatures. The committee is load, not the system under test, so it
    /// stays on a CPU backend even when the node under test verifies on a GPU.
    pub committee_backend: Arc<dyn VerifyBackend>,
}

impl std::fmt::Debug for NodeModeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeModeConfig")
            .field("chain", &self.chain)
            .field("pipeline", &self.pipeline)
            .field("peers", &self.peers)
            .field("backend", &self.backend.name())
            .field("committee_backend", &self.committee_backend.name())
            .finish()
    }
}

impl NodeModeConfig {
    /// A node-mode config over `chain` with the default pipeline, the synthetic committee on a 1 ms link and
    /// `cpu-batch` verification everywhere.
    pub fn new(chain: ChainConfig) -> Self {
        let backend = cpu_backend(CpuBackendKind::CpuBatch);
        NodeModeConfig {
            chain,
            pipeline: PipelineConfig::default(),
            peers: Peers::Committee { latency_ms: 1.0 },
            committee_backend: backend.clone(),
            backend,
        }
    }
}

/// Who the node under test exchanges consensus messages with.
#[derive(Clone, Debug)]
pub enum Peers {
    /// The synthetic committee: validators 1..n−1 in this process on the `committee` cores, over a simulated link
    /// with this one-way delay (ms), also between members. The node under test is validator 0 on fresh storage.
    Committee {
        /// One-way delay (ms).
        latency_ms: f64,
    },
    /// The other validators, in other processes, over the real network (the `network` stage).
    Wire(WireConfig),
}

/// Where a node on the wire listens and finds its peers.
#[derive(Clone, Debug)]
pub struct WireConfig {
    /// This node's validator id (its storage, keys and place in the committee; it resumes from its storage).
    pub me: ValidatorId,
    /// Every validator's listen address, by id; ours is where we listen.
    pub addrs: BTreeMap<ValidatorId, SocketAddr>,
    /// A listener already bound to our address (tests bind port 0 first to learn free ports); `None` binds ours.
    pub listener: Option<Arc<TcpListener>>,
    /// Makes this validator byzantine: its network stage rewrites every message it sends this way (the node code
    /// stays honest; see [`Adversary`]). `None`: honest.
    pub byzantine: Option<Byzantine>,
    /// What each peer may make this node hold, how fast it is read, which repeats are dropped.
    pub bounds: PeerBounds,
}

/// The network stage's summary in a result (`wire` runs only).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetworkReport {
    /// This node's validator id.
    pub me: ValidatorId,
    /// Each peer's connection counters: bytes and messages in and out by class, queue depth, drops by class,
    /// connects, handshake failures, refused frames.
    pub peers: Vec<PeerStats>,
    /// Inbound connections refused at the handshake (unknown or wrong-key peers, garbage, silence).
    pub refused_handshakes: u64,
    /// Sends refused because a peer's consensus/sync queue was full (its connection was closed).
    pub send_overloaded: u64,
    /// Gossiped transactions dropped because the sigverify stage's queue was full.
    pub gossip_dropped: u64,
}

/// The threads on the node's peer side.
enum PeerThreads {
    Committee(JoinHandle<CommitteeOutcome>),
    Wire { network: Arc<Network>, bridge: Vec<(String, JoinHandle<()>)>, counters: Arc<WireCounters> },
}

struct Threads {
    workers: Vec<(String, JoinHandle<()>)>,
    node: JoinHandle<NodeOutcome>,
    execution: JoinHandle<ExecutionState>,
    peers: PeerThreads,
    monitor: JoinHandle<Vec<StageSeries>>,
}

/// A running node under test: its pipeline threads, its committee, and the handles to feed and watch it.
pub struct NodeUnderTest {
    start: Instant,
    /// The Ed25519 key cache's counters when the node started (the report gives the difference).
    key_cache_at_start: KeyCacheStats,
    /// The process's memory since the run started.
    memory: MemoryWatch,
    ingress: BatchSender<Transaction>,
    /// Most transactions per batch handed to ingress (the pipeline's batch size).
    ingress_batch: usize,
    load_metrics: Arc<StageMetrics>,
    submitted: AtomicU64,
    counters: Arc<NodeCounters>,
    events: Arc<Mutex<Vec<TxEvent>>>,
    probes: Arc<Vec<StageProbe>>,
    /// The monitor's newest one-second point per stage (for live views).
    latest: LatestPoints,
    committee_metrics: Arc<StageMetrics>,
    committee_validators: usize,
    me: ValidatorId,
    core_map: CoreMap,
    nice: std::collections::BTreeMap<String, i32>,
    warnings: Warnings,
    stop: Arc<AtomicBool>,
    threads: Threads,
}

impl NodeUnderTest {
    /// Builds keys, genesis, the node and its committee, and starts every thread.
    pub fn start(cfg: NodeModeConfig) -> Result<Self, PipelineError> {
        let p = &cfg.pipeline;
        let allowed = available_cores();
        p.validate(&allowed).map_err(|e| PipelineError::Config(e.to_string()))?;
        let (me, latency_ms) = match &cfg.peers {
            Peers::Committee { latency_ms } => (0, *latency_ms),
            Peers::Wire(w) => (w.me, 0.0),
        };
        if !(latency_ms.is_finite() && latency_ms >= 0.0) {
            return Err(PipelineError::Config(format!("committee latency_ms = {latency_ms}")));
        }
        if usize::from(me) >= cfg.chain.validators {
            return Err(PipelineError::Config(format!(
                "validator {me} does not exist (the chain has {})",
                cfg.chain.validators
            )));
        }
        let (core_map, layout_warnings) = p.cores.resolve(&allowed).map_err(PipelineError::Config)?;
        let chain = &cfg.chain;
        let setup = ChainSetup::new(chain)?.with_backend(cfg.committee_backend.clone());
        let n = chain.validators;
        let warnings: Warnings = Arc::new(Mutex::new(layout_warnings));
        note_layout(&core_map, matches!(cfg.peers, Peers::Committee { .. }), &warnings);

        // The node under test: state machine + crypto inline, execution state and storage on their own stages.
        let storage = ChainSetup::open_storage(chain, usize::from(me))?;
        if matches!(cfg.peers, Peers::Committee { .. }) && storage.committed_height() > 0 {
            return Err(PipelineError::Config(
                "node mode needs fresh storage (the committee starts at genesis)".into(),
            ));
        }
        let (sm, services) = setup.build_node(chain, usize::from(me), storage)?;
        // Admission shards: a pool on the admission cores the node stage hands each batch to (none: it admits).
        let admission = helper_pool(
            StageKind::Admission,
            &core_map.admission,
            1,
            p.nice_of(StageKind::Admission),
            &warnings,
            Caller::Waits,
        )?;
        let (sm, admission_clocks) = match admission {
            Some((pool, clocks)) => (sm.with_admission_pool(pool), Some(clocks)),
            None => (sm, None),
        };
        let (exec, storage) = services.into_parts();
        let storage: Arc<Mutex<Box<dyn Storage>>> = Arc::new(Mutex::new(storage));
        let backend = cfg.backend.clone();
        let votes = VoteCrypto::new(chain.vote_scheme, setup.registry.clone(), backend.clone());
        let crypto =
            NodeServices::new(votes, backend, ExecutionState::from_genesis(&[]), Box::new(MemoryStorage::new()));

        let committee_parts = match cfg.peers {
            Peers::Committee { .. } => Some(committee_members(&setup, chain)?),
            Peers::Wire(_) => None,
        };

        // The stage graph: ingress → sigverify → node → execution → storage → (callbacks) node, each bounded
        // queue counted on its producer's metrics; the node's return paths are unbounded (see `SystemInput`).
        let metrics: Vec<Arc<StageMetrics>> =
            StageKind::PIPELINE.iter().map(|_| Arc::new(StageMetrics::default())).collect();
        let counted = |k: StageKind| metrics[k.index()].clone();
        let load_metrics = Arc::new(StageMetrics::default());
        let committee_metrics = Arc::new(StageMetrics::default());
        let cap = p.queue_capacity;
        let (submit_tx, submit_rx) = batch_queue::<Transaction>(cap, load_metrics.clone());
        let (verify_tx, verify_rx) = batch_queue::<(Transaction, TxSource)>(cap, counted(StageKind::Ingress));
        let (node_tx, node_rx) = batch_queue::<Verified>(cap, counted(StageKind::Sigverify));
        let (exec_tx, exec_rx) = batch_queue::<ExecuteJob>(cap, counted(StageKind::Node));
        let (store_tx, store_rx) = batch_queue::<Executed>(cap, counted(StageKind::Execution));
        let (system_tx, system_rx) = crossbeam_channel::unbounded::<Vec<SystemInput>>();
        let (link_tx, link_rx) = crossbeam_channel::unbounded::<Vec<Envelope>>();
        // Peers the node convicted, to the network stage: a few per bar and peer (see `node::PEER_BAR`).
        let (sanction_tx, sanction_rx) = crossbeam_channel::unbounded::<Vec<PeerSanction>>();
        // Unbounded like the system queue: node → vote-crypto → node is a cycle. Only with vote-crypto cores.
        let vote_crypto = !core_map.vote_crypto.is_empty();
        let (vote_tx, vote_rx) = crossbeam_channel::unbounded::<Vec<VerifyJob>>();
        // The stages that run: all of the pipeline's, an optional one only when the core map gives it cores.
        let wire = matches!(cfg.peers, Peers::Wire(_));
        let running: Vec<StageKind> = StageKind::PIPELINE
            .into_iter()
            .filter(|&k| !(k.optional() && core_map.cores(k).is_empty()))
            .filter(|&k| k != StageKind::Network || wire)
            .collect();

        let probes: Arc<Vec<StageProbe>> = Arc::new(
            running
                .iter()
                .map(|&kind| {
                    let inputs: Vec<Box<dyn QueueLen>> = match kind {
                        StageKind::Ingress => vec![Box::new(submit_rx.clone())],
                        StageKind::Sigverify => vec![Box::new(verify_rx.clone())],
                        StageKind::Node => vec![Box::new(node_rx.clone()), Box::new(system_rx.clone())],
                        StageKind::Execution => vec![Box::new(exec_rx.clone())],
                        StageKind::Storage => vec![Box::new(store_rx.clone())],
                        StageKind::VoteCrypto => vec![Box::new(vote_rx.clone())],
                        StageKind::Network => vec![Box::new(link_rx.clone())],
                        // Admission has no queue (the node stage hands it each batch); the committee is not a
                        // pipeline stage: their probes are their metrics.
                        StageKind::Admission | StageKind::Committee => Vec::new(),
                    };
                    let cores = core_map.cores(kind).clone();
                    StageProbe { kind, threads: kind.threads(&cores), cores, metrics: counted(kind), inputs }
                })
                .collect(),
        );

        let stop = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let latency = Duration::from_secs_f64(latency_ms / 1000.0);
        let counters = Arc::new(NodeCounters::default());
        let events = Arc::new(Mutex::new(Vec::new()));
        let verifier = crypto.verifier().clone();
        let mut node_stage = Some(NodeStage {
            me,
            sm,
            vote_crypto: vote_crypto.then(|| vote_tx.clone()),
            admission: admission_clocks.map(|clocks| HelperClock::new(clocks, counted(StageKind::Admission))),
            crypto,
            storage: storage.clone(),
            start,
            latency,
            clock: StageClock::new(counted(StageKind::Node)),
            txs: node_rx,
            system: system_rx,
            execute: exec_tx,
            peers: link_tx,
            sanctions: sanction_tx,
            events: events.clone(),
            counters: counters.clone(),
            stop: stop.clone(),
            blocks: BlockClock::default(),
        });
        let mut exec = Some(exec);
        let (mut workers, mut node, mut execution) = (Vec::new(), None, None);
        // Starting the pipeline is a walk over the stages, each on the cores the core map gives it.
        for &kind in &running {
            let cores = core_map.cores(kind);
            // One thread per slot; an empty list (never left by `resolve`) still runs the stage, unpinned. Every
            // sigverify and vote-crypto thread is a worker; execution's other threads are its lanes, started with
            // the stage.
            let drivers = if kind == StageKind::Execution { 1 } else { kind.threads(cores) };
            let slots: Vec<Option<usize>> = match cores.is_empty() {
                true => vec![None],
                false => cores.iter().take(drivers).map(|&c| Some(c)).collect(),
            };
            for (k, core) in slots.into_iter().enumerate() {
                let name = match kind {
                    StageKind::Sigverify | StageKind::VoteCrypto => format!("{}-{k}", kind.name()),
                    _ => kind.name().to_string(),
                };
                let (clock, s, nice) = (StageClock::new(counted(kind)), stop.clone(), p.nice_of(kind));
                match kind {
                    StageKind::Ingress => {
                        let (rx, stage) = (submit_rx.clone(), Ingress::new(verify_tx.clone(), p.batch_size));
                        workers.push((
                            name.clone(),
                            spawn_pinned(name, core, nice, &warnings, move || run_stage(stage, clock, rx, s))?,
                        ));
                    }
                    StageKind::Sigverify => {
                        let stage = Sigverify {
                            backend: cfg.backend.clone(),
                            output: node_tx.clone(),
                            signature_free: chain.signature_free,
                        };
                        let rx = verify_rx.clone();
                        workers.push((
                            name.clone(),
                            spawn_pinned(name, core, nice, &warnings, move || run_stage(stage, clock, rx, s))?,
                        ));
                    }
                    StageKind::Node => {
                        let stage = node_stage.take().ok_or_else(|| PipelineError::Config("one node stage".into()))?;
                        node = Some(spawn_pinned(name, core, nice, &warnings, move || stage.run())?);
                    }
                    StageKind::Execution => {
                        let exec = exec.take().ok_or_else(|| PipelineError::Config("one execution stage".into()))?;
                        let (output, rx, counted) = (store_tx.clone(), exec_rx.clone(), counted(StageKind::Execution));
                        let (lane_cores, lane_warnings) = (cores.clone(), warnings.clone());
                        // The stage thread is lane 0 of its own lane pool, so the pool is built on it, before it
                        // pins itself (threads inherit their creator's affinity: the other lanes must start from
                        // the process's, to pin to their own cores); the start waits until the pool stands.
                        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
                        let pin_name = name.clone();
                        let handle = spawn_pinned(name, None, nice, &warnings, move || {
                            let lanes =
                                helper_pool(StageKind::Execution, &lane_cores, 2, nice, &lane_warnings, Caller::Joins);
                            if let Some(core) = core
                                && let Err(w) = pin_to_core(core)
                            {
                                warn(&lane_warnings, format!("{pin_name}: {w}"));
                            }
                            let (exec, lanes) = match lanes {
                                Ok(Some((pool, clocks))) => {
                                    (exec.with_lanes(pool), Some(HelperClock::new(clocks, counted)))
                                }
                                Ok(None) => (exec, None),
                                Err(e) => {
                                    let _ = ready_tx.send(Err(e));
                                    return exec;
                                }
                            };
                            let _ = ready_tx.send(Ok(()));
                            run_stage(Execution { exec, output, failed: false, lanes }, clock, rx, s)
                        })?;
                        ready_rx.recv().map_err(|_| {
                            PipelineError::Config("the execution stage stopped before its lanes stood".into())
                        })??;
                        execution = Some(handle);
                    }
                    // The committee is not in `PIPELINE` and the network is the peer side: both start below, once
                    // the node's side stands. The admission pool started with the node's state machine.
                    StageKind::Committee | StageKind::Admission | StageKind::Network => {}
                    StageKind::Storage => {
                        let stage = StorageStage { storage: storage.clone(), node: system_tx.clone() };
                        let rx = store_rx.clone();
                        workers.push((
                            name.clone(),
                            spawn_pinned(name, core, nice, &warnings, move || run_stage(stage, clock, rx, s))?,
                        ));
                    }
                    StageKind::VoteCrypto => {
                        let stage = VoteCryptoStage { verifier: verifier.clone(), node: system_tx.clone() };
                        let rx = vote_rx.clone();
                        workers.push((
                            name.clone(),
                            spawn_pinned(name, core, nice, &warnings, move || run_stage(stage, clock, rx, s))?,
                        ));
                    }
                }
            }
        }
        // Every stage holds its own ends now; dropping these lets a stage see its neighbour stop.
        // Peers' gossip enters sigverify's queue beside ingress (wire runs only).
        let gossip_tx = verify_tx.clone();
        drop((submit_rx, verify_tx, verify_rx, node_tx, exec_rx, store_tx, store_rx, vote_tx, vote_rx));
        let missing = || PipelineError::Config("the core map gives the node or execution stage no core".into());
        let (node, execution) = (node.ok_or_else(missing)?, execution.ok_or_else(missing)?);
        let peers = match (&cfg.peers, committee_parts) {
            (Peers::Committee { .. }, Some(parts)) => PeerThreads::Committee(start_committee(
                parts,
                (&core_map.committee, p.nice_of(StageKind::Committee)),
                &committee_metrics,
                &warnings,
                (start, latency),
                link_rx,
                system_tx,
                stop.clone(),
            )?),
            (Peers::Wire(w), _) => {
                let net = NetworkSide {
                    me,
                    gossip_batch: p.batch_size,
                    byzantine: w.byzantine,
                    bounds: w.bounds,
                    addrs: &w.addrs,
                    listener: w.listener.clone(),
                    setup: &setup,
                    chain,
                };
                let links = (link_rx, sanction_rx, system_tx, gossip_tx);
                net.start(&core_map.network, counted(StageKind::Network), &warnings, links, stop.clone())?
            }
            (Peers::Committee { .. }, None) => return Err(PipelineError::Config("committee not built".into())),
        };
        let (pr, s) = (probes.clone(), stop.clone());
        let latest: LatestPoints = Arc::new(Mutex::new(vec![None; probes.len()]));
        let l = latest.clone();
        let monitor = spawn_pinned("monitor".into(), None, None, &warnings, move || run_monitor(pr, start, s, l))?;
        tracing::info!(stages = probes.len(), validators = n, "node under test started");

        Ok(NodeUnderTest {
            start,
            key_cache_at_start: key_cache_stats(),
            memory: MemoryWatch::start(),
            ingress: submit_tx,
            ingress_batch: p.batch_size.max(1),
            load_metrics,
            submitted: AtomicU64::new(0),
            counters,
            events,
            probes,
            latest,
            committee_metrics,
            committee_validators: n - 1,
            me,
            core_map,
            nice: p.nice.clone(),
            warnings,
            stop,
            threads: Threads { workers, node, execution, peers, monitor },
        })
    }

    /// Time since start: the clock of tx events and of the load generator's intended times.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Hands client transactions to ingress, in batches of at most the pipeline's batch size (so ingress's queue,
    /// bounded in batches, is bounded in bytes however much one client message carries); blocks while ingress is
    /// full (back-pressure, counted); returns the time it was blocked.
    pub fn submit(&self, txs: Vec<Transaction>) -> Duration {
        let mut blocked = Duration::ZERO;
        let mut batches = batches_of(txs, self.ingress_batch);
        while let Some(batch) = batches.next() {
            let n = batch.len() as u64;
            match self.ingress.send(batch) {
                Ok(waited) => {
                    self.submitted.fetch_add(n, Relaxed);
                    blocked += waited;
                }
                Err(_) => {
                    let refused = n + batches.map(|b| b.len() as u64).sum::<u64>();
                    warn(&self.warnings, format!("ingress is gone: {refused} submitted transactions were refused"));
                    break;
                }
            }
        }
        blocked
    }

    /// The validator network when the peers are on the wire (`None` with the synthetic committee): what a fault
    /// schedule's link rules are set on.
    pub fn network(&self) -> Option<&Network> {
        match &self.threads.peers {
            PeerThreads::Wire { network, .. } => Some(network),
            PeerThreads::Committee(_) => None,
        }
    }

    /// Status changes of the node under test since the last call (node = 0); `at` uses the `elapsed()` clock.
    pub fn drain_tx_events(&self) -> Vec<TxEvent> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Live per-stage counters (for progress bars and queue-growth checks).
    pub fn snapshot(&self) -> PipelineSnapshot {
        let load = self.load_metrics.counters();
        let latest = self.latest.lock().unwrap_or_else(|e| e.into_inner()).clone();
        PipelineSnapshot {
            elapsed_s: self.elapsed().as_secs_f64(),
            txs_submitted: self.submitted.load(Relaxed),
            txs_delivered: self.counters.client_txs_in.load(Relaxed),
            txs_committed: self.counters.committed.load(Relaxed),
            txs_rejected: self.counters.rejected.load(Relaxed),
            submit_stalls: load.stalls,
            stages: self
                .probes
                .iter()
                .zip(latest)
                .map(|(p, last_second)| StageLive {
                    name: p.kind.name().to_string(),
                    counters: p.metrics.counters(),
                    queue_depth: p.depth(),
                    last_second,
                })
                .collect(),
            committee: self.committee_metrics.counters(),
        }
    }

    /// Stops every thread (bounded wait; a stuck stage is reported in the warnings, not waited for) and
    /// returns the report. Transactions already submitted are first given up to 5 s to reach the node stage,
    /// so every submitted transaction ends committed, rejected, pending in the mempool or counted in flight.
    pub fn stop(self) -> Result<PipelineReport, PipelineError> {
        let submitted = self.submitted.load(Relaxed);
        let drain_until = Instant::now() + DRAIN_WAIT;
        while self.counters.client_txs_in.load(Relaxed) < submitted && Instant::now() < drain_until {
            std::thread::sleep(Duration::from_millis(1));
        }
        let wall = self.start.elapsed();
        tracing::info!(wall_s = wall.as_secs_f64(), submitted, "node under test stopping");
        self.stop.store(true, Relaxed);
        let deadline = Instant::now() + JOIN_WAIT;
        let Threads { workers, node, execution, peers, monitor } = self.threads;
        let w = &self.warnings;
        for (name, h) in workers {
            join_bounded(h, &name, deadline, w);
        }
        let exec = join_bounded(execution, "execution", deadline, w);
        let (committee, network) = match peers {
            PeerThreads::Committee(h) => (Some(join_bounded(h, "committee", deadline, w).unwrap_or_default()), None),
            PeerThreads::Wire { network, bridge, counters } => {
                for (name, h) in bridge {
                    join_bounded(h, &name, deadline, w);
                }
                let report = NetworkReport {
                    me: self.me,
                    peers: network.stats(),
                    refused_handshakes: network.refused(),
                    send_overloaded: counters.overloaded.load(Relaxed),
                    gossip_dropped: counters.gossip_dropped.load(Relaxed),
                };
                match Arc::try_unwrap(network) {
                    Ok(network) => network.stop(),
                    Err(_) => warn(w, "the network is still shared at stop; its threads were left running".into()),
                }
                (None, Some(report))
            }
        };
        let series = join_bounded(monitor, "monitor", deadline, w).unwrap_or_default();
        let node = join_bounded(node, "node", deadline, w);
        let Some(node) = node else {
            return Err(PipelineError::NodeStage("the node stage panicked or did not stop".into()));
        };
        if exec.is_none() {
            warn(w, "execution stage did not return its state".into());
        }

        let wall_ns = wall.as_nanos() as u64;
        let committed = self.counters.committed.load(Relaxed);
        let stages: Vec<StageReport> =
            self.probes.iter().enumerate().map(|(i, p)| stage_report(p, series.get(i), wall_ns, committed)).collect();
        let cm = self.committee_metrics.counters();
        let committee = committee.map(|committee| {
            let compared: Vec<_> = node.roots.iter().filter(|(h, _)| committee.roots.contains_key(h)).collect();
            let cross = compared.iter().filter(|(h, r)| committee.roots.get(h) != Some(r)).count() as u64;
            let threads = StageKind::Committee.threads(&self.core_map.committee);
            CommitteeReport {
                validators: self.committee_validators,
                cores: self.core_map.committee.clone(),
                cpu_ns: committee.cpu_ns,
                busy_ns: cm.busy_ns,
                threads,
                busy_pct: busy_pct(cm.busy_ns, threads, wall_ns),
                signatures: committee.signatures,
                blocks_proposed: committee.blocks_proposed,
                messages_to_node: committee.messages_to_node,
                messages_from_node: committee.messages_from_node,
                state_roots_compared: compared.len() as u64,
                state_root_mismatches: cross + committee.internal_mismatches,
                members: committee.members,
            }
        });
        let load = self.load_metrics.counters();
        let delivered = self.counters.client_txs_in.load(Relaxed);
        let warnings = self.warnings.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Ok(PipelineReport {
            bottleneck: bottleneck(&stages),
            stages,
            committee,
            network,
            roots: node.roots,
            node: node.report,
            core_map: self.core_map,
            nice: self.nice,
            warnings,
            allocator: "system".into(),
            ed25519_key_cache: {
                let now = key_cache_stats();
                KeyCacheStats {
                    hits: now.hits.saturating_sub(self.key_cache_at_start.hits),
                    misses: now.misses.saturating_sub(self.key_cache_at_start.misses),
                    held: now.held,
                }
            },
            memory: self.memory.read(),
            wall_s: wall.as_secs_f64(),
            txs_submitted: submitted,
            txs_delivered: delivered,
            txs_committed: committed,
            txs_rejected: self.counters.rejected.load(Relaxed),
            txs_in_flight: submitted.saturating_sub(delivered),
            submit_stalls: load.stalls,
            submit_stall_ns: load.stall_ns,
            tx_events: std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner())),
        })
    }
}

fn stage_report(p: &StageProbe, s: Option<&StageSeries>, wall_ns: u64, committed: u64) -> StageReport {
    let c = p.metrics.counters();
    let s = s.cloned().unwrap_or_default();
    StageReport {
        name: p.kind.name().to_string(),
        cores: p.cores.clone(),
        threads: p.threads,
        busy_pct: busy_pct(c.busy_ns, p.threads, wall_ns),
        cost_ns_per_tx: if committed == 0 { 0.0 } else { c.busy_ns as f64 / committed as f64 },
        items_in: c.items_in,
        items_out: c.items_out,
        batches: c.batches,
        backpressure_stalls: c.stalls,
        stall_ns: c.stall_ns,
        queue_depth_max: s.depth_max,
        queue_depth_mean: if s.depth_samples == 0 { 0.0 } else { s.depth_sum as f64 / s.depth_samples as f64 },
        series: s.series,
    }
}

/// Notes about the layout that do not stop the run: a process whose threads are not pinned, single-thread
/// stages given several cores, and the committee sharing cores with the node under test (when there is an
/// in-process `committee`).
fn note_layout(map: &CoreMap, committee: bool, warnings: &Warnings) {
    if !pinning_enabled() {
        warn(
            warnings,
            "threads unpinned (--no-pin): the OS schedules every stage over the process's cores; the core map \
             sets thread counts only"
                .into(),
        );
    }
    for (name, cores) in map.stages() {
        let threads = StageKind::from_name(name).map_or(1, |k| k.threads(cores));
        if threads < cores.len() {
            warn(warnings, format!("{name} runs one thread on core {}; cores {:?} are unused", cores[0], &cores[1..]));
        }
    }
    let node_cores: HashSet<usize> =
        map.stages().iter().filter(|(n, _)| *n != "committee").flat_map(|(_, c)| c.iter().copied()).collect();
    if committee && map.committee.iter().any(|c| node_cores.contains(c)) {
        warn(
            warnings,
            "the committee shares cores with the node under test; its cost is reported apart but competes for CPU"
                .into(),
        );
    }
}

pub(super) fn join_bounded<R>(h: JoinHandle<R>, name: &str, deadline: Instant, warnings: &Warnings) -> Option<R> {
    while !h.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    if !h.is_finished() {
        warn(warnings, format!("stage {name} did not stop within {JOIN_WAIT:?}; left running"));
        return None;
    }
    match h.join() {
        Ok(r) => Some(r),
        Err(_) => {
            warn(warnings, format!("stage {name} panicked"));
            None
        }
    }
}

/// Starts the synthetic committee on its cores: from two committee cores its members run on a pool of one thread
/// per core, charged to the committee.
#[allow(clippy::too_many_arguments)] // the committee's share of the pipeline's wiring, passed once
pub(super) fn start_committee(
    parts: CommitteeParts,
    (cores, nice): (&[usize], Option<i32>),
    metrics: &Arc<StageMetrics>,
    warnings: &Warnings,
    (start, latency): (Instant, Duration),
    from_node: crossbeam_channel::Receiver<Vec<Envelope>>,
    to_node: crossbeam_channel::Sender<Vec<SystemInput>>,
    stop: Arc<AtomicBool>,
) -> Result<JoinHandle<CommitteeOutcome>, PipelineError> {
    let CommitteeParts { members, execution, validator_keys } = parts;
    let pool = helper_pool(StageKind::Committee, cores, 2, nice, warnings, Caller::Waits)?
        .map(|(pool, clocks)| (pool, HelperClock::new(clocks, metrics.clone())));
    let committee = Committee {
        members,
        execution: Mutex::new(execution),
        validator_keys,
        start,
        latency,
        clock: StageClock::new(metrics.clone()),
        pool,
        from_node,
        to_node,
        stop,
    };
    spawn_pinned("committee".into(), cores.first().copied(), nice, warnings, move || committee.run())
}

/// The network stage's ends of the pipeline: the node stage's outgoing messages and the peers it convicted, its
/// system queue, and sigverify's input (peers' gossip).
type WireLinks = (
    crossbeam_channel::Receiver<Vec<Envelope>>,
    crossbeam_channel::Receiver<Vec<PeerSanction>>,
    crossbeam_channel::Sender<Vec<SystemInput>>,
    BatchSender<(Transaction, TxSource)>,
);

/// What a node on the wire needs to start its network.
struct NetworkSide<'a> {
    me: ValidatorId,
    bounds: PeerBounds,
    /// Most transactions per batch handed to sigverify (the pipeline's batch size).
    gossip_batch: usize,
    byzantine: Option<Byzantine>,
    addrs: &'a BTreeMap<ValidatorId, SocketAddr>,
    listener: Option<Arc<TcpListener>>,
    setup: &'a ChainSetup,
    chain: &'a ChainConfig,
}

impl NetworkSide<'_> {
    /// Binds our address, starts the network with every thread pinned to the network cores (round robin) and its
    /// CPU time counted, and the two threads bridging it to the node stage.
    fn start(
        self,
        cores: &[usize],
        metrics: Arc<StageMetrics>,
        warnings: &Warnings,
        (from_node, sanctions, to_node, to_sigverify): WireLinks,
        stop: Arc<AtomicBool>,
    ) -> Result<PeerThreads, PipelineError> {
        let (me, gossip_batch) = (self.me, self.gossip_batch);
        let addr = *self
            .addrs
            .get(&me)
            .ok_or_else(|| PipelineError::Config(format!("no listen address for validator {me}")))?;
        let listener = match &self.listener {
            Some(bound) => bound.try_clone(),
            None => TcpListener::bind(addr),
        }
        .map_err(|e| PipelineError::Config(format!("listening on {addr}: {e}")))?;
        let identity = network_identity(self.setup, self.chain, me)?;
        let clocks = Arc::new(LaneClocks::default());
        let mut net_cfg = NetworkConfig::new(self.addrs.clone());
        net_cfg.on_thread = network_thread_hook(cores, &clocks, warnings);
        net_cfg.bounds = self.bounds;
        let (inbox_tx, inbox_rx) = crossbeam_channel::bounded(INBOX_CAPACITY);
        let network = Network::start(identity, listener, net_cfg, inbox_tx)
            .map_err(|source| PipelineError::Spawn { stage: "network".into(), source })?;
        let network = Arc::new(network);
        let counters = Arc::new(WireCounters::default());
        let core = cores.first().copied();
        let (net, c, s) = (network.clone(), counters.clone(), stop.clone());
        let threads = HelperClock::new(clocks, metrics.clone());
        let clock = StageClock::new(metrics.clone());
        let adversary = self.byzantine.map(|b| {
            let seed = self.chain.seed ^ u64::from(me).rotate_left(32);
            (b, Adversary::new(self.chain.chain_id, self.chain.vote_scheme, self.setup.keys.clone(), seed))
        });
        let out = spawn_pinned("wire-out".into(), core, None, warnings, move || {
            run_outbound(me, net, (from_node, sanctions), (clock, threads), adversary, c, s)
        })?;
        let clock = StageClock::new(metrics);
        let c = counters.clone();
        let inbound =
            spawn_pinned("wire-in".into(), cores.get(1).or(cores.first()).copied(), None, warnings, move || {
                run_inbound(me, inbox_rx, (to_node, to_sigverify), gossip_batch, clock, c, stop)
            })?;
        Ok(PeerThreads::Wire { network, bridge: vec![("wire-out".into(), out), ("wire-in".into(), inbound)], counters })
    }
}
