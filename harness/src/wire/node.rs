//! `hsbench node`: one validator as its own process — the pinned pipeline with its peers over the network, redb
//! storage in a data directory (it resumes from there after a restart), a client port for load clients — until
//! SIGTERM or SIGINT, then a clean stop: storage flushed, the report written to `node-<id>.json` in the data
//! directory. With `--link-control` it takes link rules on stdin ([`super::links::LinkCommand`]).

use super::links::LinkCommand;
use super::report::{LinkControlStats, NodeFile, node_file_path};
use super::stop_signal;
use crate::config::BenchConfig;
use crate::corpus::{CorpusSpec, account_keys};
use crate::measure::SplitHistograms;
use anyhow::Context;
use hsbench_engine::byzantine::Byzantine;
use hsbench_engine::crypto::cpu_backend;
use hsbench_engine::network::ThreadHook;
use hsbench_engine::network::client::{ClientLimits, ClientPort, SubmitFn};
use hsbench_engine::runtime::StorageMode;
use hsbench_engine::runtime::pipeline::{NodeModeConfig, NodeUnderTest, Peers, WireConfig, process_cpu_ns};
use hsbench_engine::types::{AccountId, ValidatorId};
use indicatif::ProgressBar;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The line a node prints on stdout once it listens for validators and clients (what `hsbench cluster` waits for).
pub const READY: &str = "ready";

/// How often the node hands its transaction statuses to the client port.
const PUBLISH_EVERY: Duration = Duration::from_millis(2);

/// The funded genesis of `config`'s workload: the same on every validator and on the load client, derived from
/// the seed (no corpus needs to be signed for it).
pub fn genesis(config: &BenchConfig) -> Vec<(AccountId, hsbench_engine::types::Account)> {
    let spec = CorpusSpec::of(config);
    let ids: Vec<AccountId> =
        account_keys(&spec, &ProgressBar::hidden()).iter().map(|k| k.verifying_key().to_bytes()).collect();
    spec.genesis(&ids)
}

/// Reads link-control lines from stdin on a thread of its own (it ends at end of input; a process that stops first
/// leaves it blocked in its read, which ends with the process): each line parsed, or refused with its number.
fn read_link_control() -> mpsc::Receiver<Result<LinkCommand, String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for (k, line) in std::io::stdin().lines().enumerate() {
            let parsed = match line {
                Ok(line) => serde_json::from_str(&line).map_err(|e| format!("link control line {}: {e}", k + 1)),
                Err(e) => Err(format!("link control: reading stdin: {e}")),
            };
            if tx.send(parsed).is_err() {
                return;
            }
        }
    });
    rx
}

/// Puts the link rules received so far in force on `node`'s network; refusals go to stderr and the counters.
fn apply_link_control(
    node: &NodeUnderTest,
    input: &mpsc::Receiver<Result<LinkCommand, String>>,
    stats: &mut LinkControlStats,
) {
    for received in input.try_iter() {
        let outcome = received.and_then(|c| match node.network() {
            Some(net) => net.set_link(c.peer, c.rule).map_err(|e| format!("link control: {e}")),
            None => Err("link control: this validator has no network".into()),
        });
        match outcome {
            Ok(()) => stats.applied += 1,
            Err(e) => {
                stats.refused += 1;
                eprintln!("{e}");
            }
        }
    }
}

/// Runs validator `id` of a validated `config` (from `origin`) until SIGTERM or SIGINT, keeping its storage and its
/// report in `data_dir`, byzantine when `byzantine` says how, taking link rules on stdin when `link_control`;
/// returns the report's path.
pub fn run(
    config: &BenchConfig,
    origin: &str,
    id: ValidatorId,
    data_dir: &Path,
    byzantine: Option<Byzantine>,
    link_control: bool,
) -> anyhow::Result<PathBuf> {
    let n = config.cluster.validators;
    if usize::from(id) >= n {
        anyhow::bail!("--id {id}: the chain has validators 0..{}", n - 1);
    }
    let addrs = config.wire.addrs(n).with_context(|| {
        format!("{origin}: [wire] names no addresses (set base_port, or peers and clients); hsbench cluster fills them")
    })?;
    stop_signal::catch()?;
    let started = Instant::now();
    let storage = StorageMode::Redb { dir: data_dir.to_path_buf() };
    let chain = config.chain_config(genesis(config), storage);
    let peers: std::collections::BTreeMap<ValidatorId, _> =
        addrs.peers.iter().enumerate().map(|(i, a)| (i as ValidatorId, *a)).collect();
    let backend = cpu_backend(config.crypto.backend.cpu_side());
    let node_config = NodeModeConfig {
        chain,
        pipeline: config.pipeline.clone(),
        peers: Peers::Wire(WireConfig {
            me: id,
            addrs: peers,
            listener: None,
            byzantine,
            bounds: config.wire.peer_bounds(),
        }),
        backend: backend.clone(),
        committee_backend: backend,
    };
    let client_addr = addrs.clients[usize::from(id)];
    let client_listener =
        TcpListener::bind(client_addr).with_context(|| format!("listening for clients on {client_addr}"))?;
    let node = Arc::new(NodeUnderTest::start(node_config).context("starting the validator")?);
    let ingress = node.clone();
    let submit: SubmitFn = Arc::new(move |txs| {
        ingress.submit(txs);
    });
    let port = ClientPort::start(client_listener, submit, ThreadHook::default(), ClientLimits::VALIDATOR)
        .context("starting the client port")?;
    let role = byzantine.map_or_else(String::new, |b| format!(" (byzantine: {})", b.name()));
    println!("{READY} validator {id} peers {} clients {client_addr}{role}", addrs.peers[usize::from(id)]);
    let cpu_start = process_cpu_ns();
    let links = link_control.then(read_link_control);
    let mut link_stats = LinkControlStats::default();
    let mut split = SplitHistograms::default();
    while !stop_signal::received() {
        std::thread::sleep(PUBLISH_EVERY);
        if let Some(links) = &links {
            apply_link_control(&node, links, &mut link_stats);
        }
        let events = node.drain_tx_events();
        for e in &events {
            if let Some(block) = e.block {
                split.record(None, block, e.at);
            }
        }
        if !events.is_empty() {
            port.publish(events.into_iter().map(|e| (e.tx_hash, e.status)).collect());
        }
    }
    let clients = port.stats();
    port.stop();
    let node = Arc::try_unwrap(node).map_err(|_| anyhow::anyhow!("the validator is still shared at stop"))?;
    let report = node.stop().context("stopping the validator")?;
    let mut file = NodeFile::new(id, report, clients, process_cpu_ns().saturating_sub(cpu_start), started.elapsed());
    file.link_control = link_stats;
    file.latency_split = split.summary();
    let path = node_file_path(data_dir, id);
    let json = serde_json::to_vec_pretty(&file).context("rendering the node report")?;
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("validator {id} stopped at height {}: report {}", file.committed_height, path.display());
    Ok(path)
}
