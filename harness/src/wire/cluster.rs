//! `hsbench cluster`: N validator processes on loopback, a load client (this process) sending pre-signed
//! transactions to their client ports open-loop, then every process stopped and its report read back: committed
//! tx/s and latency from the client's side, each process's CPU per transaction by stage, the per-peer network
//! table, and whether every validator reached the same state roots. Written as a `kind: "run"`, `mode: "wire"`
//! result that `report` and `compare` read like any run.
//!
//! Node mode over the wire (`hsbench run --mode node --wire`) is the same run with two processes: validator 0, the
//! node under test, and node mode's synthetic committee as one `hsbench committee` process (validators 1..n−1,
//! each behind its own network), so the node's ceiling and per-stage cost include its network stage; the load
//! goes to validator 0 only, and the result's mode is `node-wire`.

use super::client::RemoteValidators;
use super::committee::CommitteeFile;
use super::faults::{FaultEvent, Links, Schedule};
use super::fleet::{Exit, Fleet, Launch, Role};
use super::links::{LinkBook, LinkLayer};
use super::netns::{self, Netns};
use super::placement::Placement;
use super::report::{Agreement, NodeFile, node_file_path};
use crate::config::{BenchConfig, StorageKind, SubmitTo};
use crate::loadgen::schedule::intended_offsets;
use crate::result::{self, Fingerprint, ResultHeader};
use crate::run::node::measure_rate;
use crate::run::node::probe::CorpusStore;
use crate::run::node::rate::RateResult;
use crate::run::node::table::{print_books, rate_header, rate_row};
use crate::run::{name, plan};
use crate::ui::{Ui, progress_bar};
use anyhow::Context;
use hsbench_engine::byzantine::Byzantine;
use hsbench_engine::runtime::pipeline::available_cores;
use hsbench_engine::runtime::setup::redb_file;
use hsbench_engine::types::ValidatorId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;
use std::time::Instant;

/// Ports of every validator in its own network namespace (for validators and for clients).
const NETNS_PEER_PORT: u16 = 7000;
/// See [`NETNS_PEER_PORT`].
const NETNS_CLIENT_PORT: u16 = 7001;

/// How long the validators get to start listening.
const READY_WAIT: Duration = Duration::from_secs(60);
/// How long the validators get to stop after SIGTERM before they are killed.
const STOP_GRACE: Duration = Duration::from_secs(20);

/// The `metrics` object of a cluster run.
#[derive(Debug, Serialize)]
pub struct ClusterMetrics {
    /// Throughput and latency from the client's side, the books; `stages` are validator 0's.
    #[serde(flatten)]
    pub rate: RateResult,
    /// Whether the rate met `[slo]`, and why not.
    pub slo_pass: bool,
    /// SLO failures.
    pub slo_failures: Vec<String>,
    /// Whether every validator reached the same state root at every height they all executed.
    pub consistent: bool,
    /// The state-root comparison.
    pub agreement: Agreement,
    /// Each validator process's report (heights, stages, peers, client port, process CPU).
    pub nodes: Vec<NodeFile>,
    /// How each process ended.
    pub exits: Vec<Exit>,
    /// Submissions no validator took (every connection down).
    pub failed_submits: u64,
    /// Submissions the client wrote to another validator because theirs was down (killed).
    #[serde(default)]
    pub client_failovers: u64,
    /// Times the client dialled a validator again (after it was killed and restarted).
    pub client_redials: u64,
    /// The byzantine validators (left out of the agreement check).
    pub byzantine: Vec<ByzantineRole>,
    /// The fault timeline: what the `--faults` schedule did and when (s after the load started).
    pub faults: Vec<FaultEvent>,
    /// Which layer cut and impaired links (absent when the schedule did neither).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_faults: Option<LinkLayer>,
    /// Node mode over the wire: the committee process's report (absent in a cluster of validators).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committee: Option<CommitteeFile>,
    /// Where the processes ran on the cores (see `wire::placement`).
    pub placement: String,
}

/// How one cluster run is done besides its configuration.
#[derive(Clone, Debug)]
pub struct ClusterRun {
    /// Corpus cache folder.
    pub cache: PathBuf,
    /// Folder of the result (the run folder goes inside).
    pub out: PathBuf,
    /// No progress bars.
    pub quiet: bool,
    /// When the command started (Unix seconds).
    pub started_unix_s: u64,
    /// Byzantine validators and how they misbehave (`[wire] byzantine` and `--byzantine` together).
    pub byzantine: Vec<(ValidatorId, Byzantine)>,
    /// The fault schedule file (`--faults`); `None`: the config's `[[fault]]` tables.
    pub faults: Option<PathBuf>,
    /// Which layer cuts and impairs links (`--link-faults`).
    pub link_layer: LinkLayer,
    /// Node mode over the wire: validator 0 and one committee process instead of n validators.
    pub committee: bool,
    /// Keep the validators' redb files after the run (`--keep-storage`); by default they are deleted.
    pub keep_storage: bool,
}

/// A byzantine validator of the run, in the result.
#[derive(Clone, Debug, Serialize)]
pub struct ByzantineRole {
    /// Validator id.
    pub id: ValidatorId,
    /// Its behaviour's name.
    pub behaviour: &'static str,
}

/// The processes of one run, started, ready and connected to: validators (or validator 0 and the committee),
/// their private network when the run has one, and the load client on their client ports.
pub struct Deployment {
    /// The folder of the validators' configuration, data, logs and reports.
    pub run_dir: PathBuf,
    /// The processes (behind a lock: the fault schedule kills and restarts them while the load runs).
    pub fleet: Mutex<Fleet>,
    /// The run's network namespaces, when partitions and impairments are done in the kernel.
    pub net: Option<Netns>,
    /// The load client.
    pub client: RemoteValidators,
    /// Validators in the chain.
    pub validators: usize,
    /// Validator 0 and a committee process instead of `validators` validator processes.
    pub committee: bool,
    /// Where the processes run.
    pub placement: Placement,
}

/// What a deployment left when it stopped.
pub struct Finished {
    /// The reports of the validator processes still up at the end (validator 0 alone with a committee).
    pub nodes: Vec<NodeFile>,
    /// The committee process's report (node mode over the wire).
    pub committee: Option<CommitteeFile>,
    /// How each process ended.
    pub exits: Vec<Exit>,
    /// Submissions no validator took.
    pub failed_submits: u64,
    /// Submissions written to another validator than theirs.
    pub client_failovers: u64,
    /// Times the client dialled a validator again.
    pub client_redials: u64,
    /// Bytes of validator storage deleted at the end (0 when kept).
    pub storage_removed: u64,
}

/// Deletes validator `id`'s redb file in `run_dir`; returns its size. A file that cannot be deleted stays, with a
/// warning: the run's results do not depend on it.
fn remove_storage(run_dir: &Path, id: ValidatorId) -> u64 {
    let file = redb_file(&run_dir.join(format!("node-{id}")), usize::from(id));
    let size = std::fs::metadata(&file).map_or(0, |m| m.len());
    match std::fs::remove_file(&file) {
        Ok(()) => size,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => {
            eprintln!("warning: could not delete {}: {e}", file.display());
            0
        }
    }
}

impl Finished {
    /// How the honest validators' state roots compare: every validator process not in `byzantine`, and the
    /// committee's (validator 1's) beside validator 0's in node mode over the wire.
    pub fn agreement(&self, byzantine: &[ValidatorId]) -> Agreement {
        let honest = self.nodes.iter().filter(|n| !byzantine.contains(&n.id)).map(|n| &n.roots);
        let roots: Vec<&BTreeMap<u64, String>> =
            honest.chain(self.committee.iter().map(|c| &c.committee.roots)).collect();
        Agreement::of_roots(&roots)
    }
}

impl Deployment {
    /// Writes the validators' configuration (`config` with every address filled in — free loopback ports, or the
    /// namespaces' — and redb storage) into `run_dir`, starts one process per validator (byzantine ones with their
    /// behaviour) or validator 0 and the committee, each on its own share of the cores, waits until all listen, and
    /// connects the load client (to validator 0 alone with a committee).
    pub fn start(
        config: &BenchConfig,
        run_dir: PathBuf,
        committee: bool,
        byzantine: &[(ValidatorId, Byzantine)],
        net: Option<Netns>,
    ) -> anyhow::Result<Deployment> {
        let n = config.cluster.validators;
        let mut nodes_config = config.clone();
        if let Some(net) = &net {
            nodes_config.wire.peers = (0..n).map(|i| net.addr(i, NETNS_PEER_PORT)).collect();
            nodes_config.wire.clients = (0..n).map(|i| net.addr(i, NETNS_CLIENT_PORT)).collect();
        } else if config.wire.addrs(n).is_none() {
            // One call for both lists: ports are held only until the call returns, so two calls could hand out
            // the same port twice (seen in CI: "wire.peers: address … is used twice").
            let mut ports = free_loopback_ports(2 * n)?;
            nodes_config.wire.clients = ports.split_off(n);
            nodes_config.wire.peers = ports;
        }
        nodes_config.cluster.storage = StorageKind::Redb;
        nodes_config.cluster.storage_dir = None;
        let addrs = nodes_config.wire.addrs(n).context("no validator addresses")?;
        std::fs::create_dir_all(&run_dir).with_context(|| format!("creating {}", run_dir.display()))?;
        let config_path = run_dir.join("cluster.toml");
        std::fs::write(&config_path, nodes_config.to_toml().context("rendering the validators' configuration")?)?;
        let exe = std::env::current_exe().context("locating the hsbench binary")?;
        let mut fleet = Fleet::new();
        let processes = if committee { 2 } else { n };
        let placement = Placement::of(processes, &available_cores());
        for id in 0..processes as ValidatorId {
            let mut extra: Vec<String> = byzantine
                .iter()
                .filter(|(b, _)| *b == id)
                .flat_map(|(_, behaviour)| ["--byzantine".to_string(), behaviour.name().to_string()])
                .collect();
            extra.extend(placement.args(usize::from(id)));
            let prefix = net.as_ref().map(|net| net.prefix(usize::from(id))).unwrap_or_default();
            let (role, dir) = match (committee, id) {
                (true, 1..) => (Role::Committee, run_dir.join("committee")),
                _ => (Role::Validator, run_dir.join(format!("node-{id}"))),
            };
            let launch = Launch { role, extra, prefix, ..Launch::new(&exe, &config_path, &dir) };
            fleet.spawn(id, launch)?;
        }
        fleet.wait_ready(READY_WAIT)?;
        let client = match committee {
            true => RemoteValidators::connect(&addrs.clients[..1], SubmitTo::Single)?,
            false => RemoteValidators::connect(&addrs.clients, config.run.submit_to)?,
        };
        Ok(Deployment { run_dir, fleet: Mutex::new(fleet), net, client, validators: n, committee, placement })
    }

    /// Closes the client, stops every process (SIGTERM; killed past the grace) and reads back the reports of
    /// those not in `down` (validators the fault schedule left dead).
    /// Unless `keep_storage`, each validator's redb file is deleted once every process has stopped (~200 MB per
    /// validator for 30 s at 30,000 tx/s: a few runs filled this machine's disk); reports and logs stay.
    pub fn finish(self, down: &BTreeSet<ValidatorId>, keep_storage: bool) -> anyhow::Result<Finished> {
        if let Some(net) = &self.net {
            net.heal()?; // a partition still in force would only slow the shutdown
        }
        let (failed_submits, client_failovers, client_redials) = (
            self.client.failed_submits.load(Relaxed),
            self.client.failovers.load(Relaxed),
            self.client.redials.load(Relaxed),
        );
        self.client.close();
        let exits = self.fleet.into_inner().unwrap_or_else(|e| e.into_inner()).stop(STOP_GRACE);
        let validator_processes = if self.committee { 1 } else { self.validators as ValidatorId };
        let nodes: Vec<NodeFile> = (0..validator_processes)
            .filter(|id| !down.contains(id))
            .map(|id| NodeFile::read(&node_file_path(&self.run_dir.join(format!("node-{id}")), id)))
            .collect::<Result<_, _>>()?;
        let committee =
            self.committee.then(|| CommitteeFile::read(&CommitteeFile::path(&self.run_dir.join("committee"))));
        let storage_removed = match keep_storage {
            true => 0,
            false => (0..validator_processes).map(|id| remove_storage(&self.run_dir, id)).sum(),
        };
        Ok(Finished {
            nodes,
            committee: committee.transpose()?,
            exits,
            failed_submits,
            client_failovers,
            client_redials,
            storage_removed,
        })
    }
}

/// The rate result of a finished run: the client's side, with validator 0's stages, bottleneck and memory.
pub fn with_node_stages(mut rate: RateResult, nodes: &[NodeFile]) -> RateResult {
    rate.stages = nodes.first().map(|n| n.stages.clone()).unwrap_or_default();
    rate.memory = nodes.first().and_then(|n| n.memory);
    rate.bottleneck = rate
        .stages
        .iter()
        .max_by(|a, b| a.busy_pct.total_cmp(&b.busy_pct))
        .map_or_else(String::new, |s| s.name.clone());
    rate
}

/// Runs the cluster of a validated `config`; writes the result into `run.out`, the validators' data, logs and
/// reports into a folder inside it.
pub fn execute(config: &BenchConfig, origin: String, run: &ClusterRun) -> anyhow::Result<()> {
    let ClusterRun { cache, out, quiet, started_unix_s, byzantine, faults, link_layer, committee, keep_storage } = run;
    let with_committee = *committee;
    let (out, quiet, started_unix_s) = (out.as_path(), *quiet, *started_unix_s);
    let n = config.cluster.validators;
    if let Some((id, _)) = byzantine.iter().find(|(id, _)| usize::from(*id) >= n) {
        anyhow::bail!("--byzantine {id}=...: the cluster has validators 0..{}", n - 1);
    }
    if byzantine.len() * 3 >= n {
        anyhow::bail!("{} byzantine validators of {n}: HotStuff-2 tolerates fewer than n/3", byzantine.len());
    }
    let schedule = match faults {
        Some(path) => Schedule::load(path, n)?,
        None => Schedule::from_specs(&config.fault, n)?,
    };
    if with_committee && !(byzantine.is_empty() && schedule.steps.is_empty()) {
        anyhow::bail!(
            "node mode over the wire measures one honest node: no byzantine validators or fault schedules (the \
             configuration has {} and {} steps; use hsbench cluster for those)",
            byzantine.len(),
            schedule.steps.len()
        );
    }
    // Partitions and impairments: nftables in network namespaces (one per validator, addresses on their bridge)
    // when root, the transport's link filter otherwise; latency and jitter are always the transport's.
    let root = netns::available();
    let layer = link_layer.resolve(root);
    if layer == LinkLayer::Netns && !root {
        anyhow::bail!("--link-faults netns needs root (network namespaces); this process is not: use transport");
    }
    let link_faults = schedule.touches_links().then_some(layer);
    let net = match link_faults {
        Some(LinkLayer::Netns) => Some(Netns::create(n)?),
        _ => None,
    };
    let ui = Ui::detect(quiet);
    let run_dir = out.join(format!("cluster-{started_unix_s}-{}", std::process::id()));
    println!("hsbench {} — {origin}", if with_committee { "run --mode node --wire" } else { "cluster" });
    println!(
        "  {} · {} votes · {} · redb · {} for {} s (window {:.1} s) · data in {}",
        match with_committee {
            true => format!("validator 0 (the node under test) and a committee process (validators 1..{})", n - 1),
            false => format!("{n} validator processes"),
        },
        name(&config.cluster.vote_scheme),
        config.verification_label(),
        config.run.profile.describe(config.run.rate_tps),
        config.run.duration_s,
        config.window().as_secs_f64(),
        run_dir.display()
    );
    // Sign (or load) the corpus first: the validators should not idle through it.
    let offsets = intended_offsets(&config.run.profile, config.run.rate_tps, config.run.duration_s, u64::MAX);
    let mut corpus = CorpusStore::new(config, Some(cache.clone()));
    corpus.ensure(offsets.len() as u64, &ui);
    let load = corpus.load(offsets);
    let deployment = Deployment::start(config, run_dir.clone(), with_committee, byzantine, net)?;
    println!("  placement: {}", deployment.placement.describe());
    if let Some(layer) = link_faults {
        let how = match layer {
            LinkLayer::Netns => "nftables in network namespaces (latency and jitter: the transport's link filter)",
            _ if !root => "the transport's link filter, on whole frames (not root, so no network namespaces)",
            _ => "the transport's link filter, on whole frames",
        };
        println!("  partitions and impairments by {how}");
    }
    let plan = plan(config);
    let bar = progress_bar(ui.progress, "load", "{prefix:>9} [{bar:30}] {pos}/{len} s");
    bar.set_length(plan.duration.as_secs());
    let done = AtomicBool::new(false);
    let load_start = Instant::now();
    let (measured, timeline) = std::thread::scope(|scope| {
        let links = Links { book: LinkBook::new(n, layer), net: deployment.net.as_ref() };
        let faults = scope.spawn(|| schedule.run(&deployment.fleet, links, load_start, &done));
        let measured = measure_rate(&deployment.client, load, &plan, config.workload.invalid.total(), &mut |s| {
            bar.set_position(s.elapsed.as_secs());
        });
        done.store(true, Relaxed);
        (measured, faults.join().unwrap_or_default())
    });
    bar.finish_and_clear();
    let placement = deployment.placement.clone();
    let finished = deployment.finish(&schedule.left_down(), *keep_storage)?;
    let byzantine_ids: Vec<ValidatorId> = byzantine.iter().map(|(id, _)| *id).collect();
    let agreement = finished.agreement(&byzantine_ids);
    let Finished { nodes, committee, exits, failed_submits, client_failovers, client_redials, storage_removed } =
        finished;
    let rate = with_node_stages(measured.map_err(|e| anyhow::anyhow!("{e}"))?, &nodes);
    let failures = rate.slo_failures(&config.slo);
    let m = ClusterMetrics {
        slo_pass: failures.is_empty(),
        slo_failures: failures,
        consistent: agreement.holds(),
        agreement,
        nodes,
        exits,
        failed_submits,
        client_failovers,
        client_redials,
        byzantine: byzantine.iter().map(|(id, b)| ByzantineRole { id: *id, behaviour: b.name() }).collect(),
        faults: timeline,
        link_faults,
        committee,
        placement: placement.describe(),
        rate,
    };
    let config_toml = config.to_toml().context("rendering the effective configuration")?;
    let fingerprint = Fingerprint::collect(&config_toml, config.run.seed, &config.crypto.backend.to_string())
        .with_signature_free(!config.workload.signatures);
    let mode = if with_committee { "node-wire" } else { "wire" };
    let header = ResultHeader { kind: "run", mode: Some(mode), started_unix_s, config_origin: origin };
    let path = result::write_result(out, header, fingerprint, config, &m)?;
    print_summary(&m);
    if storage_removed > 0 {
        println!("  validators' storage deleted ({:.0} MB; --keep-storage keeps it)", storage_removed as f64 / 1e6);
    }
    println!("result: {}", path.display());
    if !m.consistent {
        anyhow::bail!("the validators do not agree: {:?} (see {})", m.agreement, path.display());
    }
    if let Some(f) = m.faults.iter().find(|f| f.error.is_some()) {
        anyhow::bail!("the fault schedule failed at {:.1} s ({}): {:?}", f.at_s, f.action, f.error);
    }
    if let Some(e) = m.exits.iter().find(|e| !e.down && (e.killed || e.code != Some(0))) {
        anyhow::bail!("validator {} did not stop cleanly: {e:?} (logs in {})", e.id, run_dir.display());
    }
    if !m.rate.generator.valid {
        anyhow::bail!("the generator fell behind: the run is invalid (see {})", path.display());
    }
    Ok(())
}

/// `n` distinct free ports on 127.0.0.1 (all bound at once, then released together; a validator binds its own a
/// moment later). Distinct only within one call: ask for every port a deployment needs at once.
fn free_loopback_ports(n: usize) -> anyhow::Result<Vec<SocketAddr>> {
    let listeners: Vec<TcpListener> =
        (0..n).map(|_| TcpListener::bind("127.0.0.1:0")).collect::<Result<_, _>>().context("finding free ports")?;
    Ok(listeners.iter().map(|l| l.local_addr()).collect::<Result<_, _>>()?)
}

fn print_summary(m: &ClusterMetrics) {
    println!();
    println!("{}", rate_header());
    let verdict = if m.slo_pass { "meets SLO".to_string() } else { m.slo_failures.join("; ") };
    println!("{}", rate_row("run", &m.rate, &verdict));
    println!();
    print_books(&m.rate);
    println!();
    super::table::print_nodes(&m.nodes);
    println!();
    super::table::print_peers(&m.nodes);
    println!();
    if let Some(c) = &m.committee {
        super::table::print_committee(c, m.nodes.first().map_or(0, |n| n.txs_committed));
        println!();
    }
    for f in &m.faults {
        let outcome = f.error.as_deref().map_or_else(String::new, |e| format!(" — FAILED: {e}"));
        println!("  fault at {:>6.2} s (planned {:.2} s): {}{outcome}", f.at_s, f.planned_s, f.action);
    }
    if m.client_failovers + m.failed_submits + m.client_redials > 0 {
        println!(
            "  client            {} transactions failed over to another validator (theirs was down), {} taken by \
             none, {} redials",
            m.client_failovers, m.failed_submits, m.client_redials
        );
    }
    let a = &m.agreement;
    match (m.consistent, a.highest_common) {
        (true, Some(h)) => {
            let who = match (&m.committee, m.byzantine.is_empty()) {
                (Some(_), _) => "validator 0 and the committee (validator 1's roots)".to_string(),
                (None, true) => format!("{} validators", m.nodes.len()),
                (None, false) => format!("{} honest validators", m.nodes.len() - m.byzantine.len()),
            };
            println!(
                "  agreement         {who} agree on the state root of all {} heights they all executed (up to {h})",
                a.common_heights
            )
        }
        _ => println!("  agreement         FAILED: {a:?}"),
    }
}
