//! The synthetic committee as a process of its own, for node mode over the wire: validators 1..n−1 — the same
//! committee code as in-process node mode (one loop, shared execution and verdicts, transaction signatures taken as
//! checked by the node under test) — each behind its own [`Network`], so the node under test (validator 0, in
//! another process) talks to them through its real network stage: authenticated connections, frames encoded and
//! decoded, syscalls paid.
//!
//! Each member listens on its own address and knows only validator 0 as a peer (0 dials it: the lower id dials);
//! members still talk to each other inside the process, as in node mode. Two bridge threads connect the networks
//! to the committee loop: `committee-in` turns what validator 0 sent member i into an envelope for member i (a
//! broadcast arrives once per member), `committee-out` queues each member's messages to validator 0 on that
//! member's network.

use super::committee::{CommitteeOutcome, committee_members};
use super::error::PipelineError;
use super::messages::{Envelope, SystemInput};
use super::metrics::{LaneClocks, StageMetrics};
use super::node_mode::{join_bounded, start_committee};
use super::stage::{STOP_POLL, StageKind};
use super::threads::{Warnings, spawn_pinned, warn};
use super::wire::{network_identity, network_thread_hook};
use crate::crypto::VerifyBackend;
use crate::network::{INBOX_CAPACITY, Inbound, Network, NetworkConfig, PeerStats};
use crate::runtime::{ChainConfig, ChainSetup};
use crate::types::{Hash, Height, ValidatorId};
use crossbeam_channel::{Receiver, RecvTimeoutError, Select, Sender};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long `stop` waits for the committee's threads.
const JOIN_WAIT: Duration = Duration::from_secs(10);

/// What a committee on the wire is made of.
pub struct WireCommitteeConfig {
    /// The chain (its validators, keys from its seed, genesis).
    pub chain: ChainConfig,
    /// Every validator's peer address by id: validator 0 (the node under test) and the members, which listen on
    /// theirs.
    pub addrs: BTreeMap<ValidatorId, SocketAddr>,
    /// The cores of the committee (loop thread on the first; from two, a pool of one thread per core) and of its
    /// networks' threads (round robin); empty: unpinned.
    pub cores: Vec<usize>,
    /// The backend that checks the consensus signatures.
    pub backend: Arc<dyn VerifyBackend>,
}

/// What a committee on the wire reports when it stops.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WireCommitteeReport {
    /// Members (n − 1).
    pub members: usize,
    /// CPU time of the committee's loop and pool threads (ns).
    pub cpu_ns: u64,
    /// CPU time of the members' network threads still running at the stop (ns; a connection's threads that ended
    /// earlier are not in it).
    pub network_cpu_ns: u64,
    /// Signatures made: proposals, votes and timeouts sent.
    pub signatures: u64,
    /// Proposals sent.
    pub blocks_proposed: u64,
    /// Messages the members sent to validator 0.
    pub messages_to_node: u64,
    /// Messages validator 0 sent the members (one per member a message reached).
    pub messages_from_node: u64,
    /// Sends to validator 0 its queue refused (the connection was closed; it catches up by sync).
    pub send_refused: u64,
    /// Heights at which two members executed different roots (must be 0).
    pub internal_mismatches: u64,
    /// Validator 1's state root by executed height (hex), to compare with validator 0's.
    pub roots: BTreeMap<Height, String>,
    /// Each member's link to validator 0, by member.
    pub links: Vec<PeerStats>,
    /// Inbound connections the members refused at the handshake.
    pub refused_handshakes: u64,
    /// Warnings (failed pins, threads that did not stop).
    pub warnings: Vec<String>,
}

/// A running committee on the wire.
pub struct WireCommittee {
    stop: Arc<AtomicBool>,
    committee: JoinHandle<CommitteeOutcome>,
    bridges: Vec<(String, JoinHandle<()>)>,
    networks: Vec<Arc<Network>>,
    network_clocks: Arc<LaneClocks>,
    send_refused: Arc<AtomicU64>,
    warnings: Warnings,
}

impl WireCommittee {
    /// Builds the members through the one node setup, starts a network per member on its address, the bridges
    /// and the committee loop.
    pub fn start(cfg: WireCommitteeConfig) -> Result<Self, PipelineError> {
        let chain = &cfg.chain;
        let n = chain.validators;
        if n < 2 {
            return Err(PipelineError::Config("a committee needs at least two validators".into()));
        }
        let node_addr = *cfg.addrs.get(&0).ok_or_else(|| PipelineError::Config("no address for validator 0".into()))?;
        let setup = ChainSetup::new(chain)?.with_backend(cfg.backend.clone());
        let parts = committee_members(&setup, chain)?;
        let warnings: Warnings = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let network_clocks = Arc::new(LaneClocks::default());
        let mut networks = Vec::with_capacity(n - 1);
        let mut inboxes = Vec::with_capacity(n - 1);
        for member in 1..n as ValidatorId {
            let addr = *cfg
                .addrs
                .get(&member)
                .ok_or_else(|| PipelineError::Config(format!("no address for validator {member}")))?;
            let listener =
                TcpListener::bind(addr).map_err(|e| PipelineError::Config(format!("listening on {addr}: {e}")))?;
            let mut net_cfg = NetworkConfig::new([(0, node_addr), (member, addr)].into());
            net_cfg.on_thread = network_thread_hook(&cfg.cores, &network_clocks, &warnings);
            let (inbox_tx, inbox_rx) = crossbeam_channel::bounded(INBOX_CAPACITY);
            let identity = network_identity(&setup, chain, member)?;
            let network = Network::start(identity, listener, net_cfg, inbox_tx)
                .map_err(|source| PipelineError::Spawn { stage: format!("network of validator {member}"), source })?;
            networks.push(Arc::new(network));
            inboxes.push(inbox_rx);
        }
        let (from_node_tx, from_node_rx) = crossbeam_channel::unbounded::<Vec<Envelope>>();
        let (to_node_tx, to_node_rx) = crossbeam_channel::unbounded::<Vec<SystemInput>>();
        let core = cfg.cores.first().copied();
        let s = stop.clone();
        let inbound = spawn_pinned("committee-in".into(), core, None, &warnings, move || {
            bridge_in(&inboxes, &from_node_tx, &s);
        })?;
        let (nets, s, refused) = (networks.clone(), stop.clone(), Arc::new(AtomicU64::new(0)));
        let counted = refused.clone();
        let outbound = spawn_pinned("committee-out".into(), core, None, &warnings, move || {
            bridge_out(&nets, &to_node_rx, &counted, &s);
        })?;
        let metrics = Arc::new(StageMetrics::default());
        let committee = start_committee(
            parts,
            (&cfg.cores, None),
            &metrics,
            &warnings,
            (Instant::now(), Duration::ZERO),
            from_node_rx,
            to_node_tx,
            stop.clone(),
        )?;
        Ok(WireCommittee {
            stop,
            committee,
            bridges: vec![("committee-in".into(), inbound), ("committee-out".into(), outbound)],
            networks,
            network_clocks,
            send_refused: refused,
            warnings,
        })
    }

    /// Stops the loop, the bridges and the networks (bounded waits; what does not stop is a warning) and reports.
    pub fn stop(self) -> WireCommitteeReport {
        self.stop.store(true, Relaxed);
        let deadline = Instant::now() + JOIN_WAIT;
        let w = &self.warnings;
        let outcome = join_bounded(self.committee, StageKind::Committee.name(), deadline, w).unwrap_or_default();
        for (name, h) in self.bridges {
            join_bounded(h, &name, deadline, w);
        }
        let links: Vec<PeerStats> = self.networks.iter().flat_map(|n| n.stats()).collect();
        let refused_handshakes = self.networks.iter().map(|n| n.refused()).sum();
        // Read before the networks stop: an ended thread's clock reads as nothing.
        let network_cpu_ns = self.network_clocks.cpu_ns();
        for network in self.networks {
            match Arc::try_unwrap(network) {
                Ok(network) => network.stop(),
                Err(_) => warn(w, "a member's network is still shared at stop; its threads were left running".into()),
            }
        }
        let warnings = w.lock().unwrap_or_else(|e| e.into_inner()).clone();
        WireCommitteeReport {
            members: outcome.members.len(),
            cpu_ns: outcome.cpu_ns,
            network_cpu_ns,
            signatures: outcome.signatures,
            blocks_proposed: outcome.blocks_proposed,
            messages_to_node: outcome.messages_to_node,
            messages_from_node: outcome.messages_from_node,
            send_refused: self.send_refused.load(Relaxed),
            internal_mismatches: outcome.internal_mismatches,
            roots: outcome.roots.iter().map(|(h, r): (&Height, &Hash)| (*h, r.to_hex())).collect(),
            links,
            refused_handshakes,
            warnings,
        }
    }
}

/// Hands what validator 0 sent each member to the committee loop, a batch of whatever has arrived at a time,
/// until `stop` is set or the loop is gone.
fn bridge_in(inboxes: &[Receiver<Inbound>], to_loop: &Sender<Vec<Envelope>>, stop: &AtomicBool) {
    let mut select = Select::new();
    for inbox in inboxes {
        select.recv(inbox);
    }
    while !stop.load(Relaxed) {
        if select.ready_timeout(STOP_POLL).is_err() {
            continue;
        }
        let now = Instant::now();
        let mut batch = Vec::new();
        for (i, inbox) in inboxes.iter().enumerate() {
            let member = (i + 1) as ValidatorId;
            // The held bytes go back here: the committee's one peer is the node under test, not an adversary.
            batch.extend(inbox.try_iter().map(|m| Envelope {
                at: now,
                from: m.from,
                to: Some(member),
                message: m.message,
            }));
        }
        if !batch.is_empty() && to_loop.send(batch).is_err() {
            return;
        }
    }
}

/// Queues each member's messages to validator 0 on that member's network until `stop` is set or the loop is gone;
/// sends a full queue refused are counted.
fn bridge_out(
    networks: &[Arc<Network>],
    from_loop: &Receiver<Vec<SystemInput>>,
    refused: &AtomicU64,
    stop: &AtomicBool,
) {
    while !stop.load(Relaxed) {
        let batch = match from_loop.recv_timeout(STOP_POLL) {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        for input in batch {
            let SystemInput::Network(e) = input else { continue };
            let network = usize::from(e.from).checked_sub(1).and_then(|i| networks.get(i));
            if network.is_none_or(|net| net.send(0, &e.message).is_err()) {
                refused.fetch_add(1, Relaxed);
            }
        }
    }
}
