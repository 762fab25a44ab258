//! Validators as separate processes: `hsbench cluster` end to end, and a validator killed with SIGKILL and
//! restarted from its storage while the others keep committing. Every test bounds its run time and leaves no
//! process behind (the fleet kills its processes when dropped; the CLI test looks for leftovers).

use hsbench::config::{self, SubmitTo};
use hsbench::corpus::{CorpusSpec, sign};
use hsbench::loadgen::generator::NodeHandle;
use hsbench::wire::client::RemoteValidators;
use hsbench::wire::fleet::{Fleet, Launch};
use hsbench::wire::links::{LinkBook, LinkLayer};
use hsbench::wire::netns;
use hsbench::wire::report::{Agreement, NodeFile, node_file_path};
use hsbench_engine::network::LinkRule;
use hsbench_engine::sim::TxStatus;
use hsbench_engine::types::{Hash, Transaction};
use indicatif::ProgressBar;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_hsbench");

/// Validator and committee processes whose command line mentions `needle` (our run folder): none may outlive a
/// test.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) && (cmdline.contains(" node ") || cmdline.contains(" committee ")) {
            found.push(cmdline);
        }
    }
    found
}

/// The one result file in `out`, and its JSON.
/// Every file under `dir` whose name ends in `suffix`.
fn files_ending_in(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_ending_in(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    found
}

fn result_in(out: &Path) -> (PathBuf, serde_json::Value) {
    let path = std::fs::read_dir(out)
        .expect("results folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a result file");
    let doc = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    (path, doc)
}

/// Runs `hsbench ARGS --quiet --out DIR/results --cache DIR/cache` and expects it to succeed; returns its stdout and
/// the one result file in `DIR/results` with its JSON.
fn hsbench_in(dir: &Path, args: &[&str]) -> (String, PathBuf, serde_json::Value) {
    let out = dir.join("results");
    let run = Command::new(EXE)
        .args(args)
        .arg("--quiet")
        .arg("--out")
        .arg(&out)
        .arg("--cache")
        .arg(dir.join("cache"))
        .output()
        .expect("hsbench runs");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(run.status.success(), "{args:?}: {stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    let (path, doc) = result_in(&out);
    (stdout, path, doc)
}

/// `compare` (the result against itself) and `report` (into `dir/report`) read `result` like any run.
fn read_back_like_any_run(dir: &Path, result: &Path) {
    let compare = Command::new(EXE).arg("compare").arg(result).arg(result).output().expect("compare runs");
    assert!(compare.status.success(), "{}", String::from_utf8_lossy(&compare.stdout));
    let report = Command::new(EXE).arg("report").arg(result).arg("--out").arg(dir.join("report")).output();
    let report = report.expect("report runs");
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    assert!(dir.join("report/report.md").exists());
}

/// Validator 0's cost per transaction in `stage` from a result's `metrics.stages`.
fn stage_cost(m: &serde_json::Value, stage: &str) -> Option<f64> {
    m["stages"].as_array()?.iter().find(|s| s["name"] == stage)?["cost_ns_per_tx"].as_f64()
}

#[test]
fn a_cluster_of_four_processes_commits_every_transaction_and_agrees() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (stdout, result, doc) =
        hsbench_in(dir.path(), &["cluster", "--nodes", "4", "--duration", "3", "--rate", "400"]);
    assert!(stdout.contains("4 validators agree on the state root"), "{stdout}");
    assert!(stdout.contains("0→1") && stdout.contains("msgs out c/s/g"), "the per-peer table: {stdout}");
    assert_eq!((doc["kind"].as_str(), doc["mode"].as_str()), (Some("run"), Some("wire")));
    let m = &doc["metrics"];
    assert_eq!(m["consistent"], true, "{m}");
    assert_eq!(m["books"]["submitted"], 1200, "{}", m["books"]);
    assert_eq!(m["books"]["committed"], 1200, "{}", m["books"]);
    for exit in m["exits"].as_array().expect("exits") {
        assert_eq!((exit["code"].as_i64(), exit["killed"].as_bool()), (Some(0), Some(false)), "{exit}");
    }
    for node in m["nodes"].as_array().expect("nodes") {
        assert_eq!(node["peers"].as_array().map(Vec::len), Some(3), "{node}");
        // What each peer made it hold, received and not yet taken up: something, never past the per-peer bound.
        for peer in node["peers"].as_array().into_iter().flatten() {
            let peak = peer["held_peak"].as_u64().expect("held_peak");
            assert!(peak > 0 && peak <= hsbench_engine::network::HELD_BYTES_PER_PEER as u64, "{peer}");
        }
        assert!(node["process_cpu_s"].as_f64().is_some_and(|s| s > 0.0), "{node}");
        // Each validator process's own resident memory (Linux), its peak at least the set at the stop.
        let mem = &node["memory"];
        let bytes = |k: &str| mem[k].as_u64().unwrap_or(0);
        assert!(bytes("peak_rss_bytes") >= bytes("rss_bytes").max(1 << 20), "{node}");
    }
    assert!(stdout.contains("peak MiB"), "the per-validator table shows memory: {stdout}");
    assert!(stdout.contains("held MB") && stdout.contains("waits i/h/r"), "the per-peer table: {stdout}");
    // Four processes: unpinned where they outnumber the cores, each on its own share otherwise.
    let placement = m["placement"].as_str().expect("the placement");
    let unpinned = hsbench_engine::runtime::pipeline::available_cores().len() < 4;
    assert_eq!(placement.contains("threads unpinned"), unpinned, "{placement}");
    assert!(stdout.contains(&format!("placement: {placement}")), "{stdout}");
    // The validators' storage is deleted at the end (not --keep-storage); their reports stay.
    assert!(stdout.contains("validators' storage deleted"), "{stdout}");
    assert_eq!(files_ending_in(dir.path(), ".redb"), Vec::<PathBuf>::new());
    assert_eq!(files_ending_in(dir.path(), ".json").iter().filter(|f| f.ends_with("node-0.json")).count(), 1);
    read_back_like_any_run(dir.path(), &result);
    assert!(processes_mentioning(&dir.path().display().to_string()).is_empty());
}

/// Node mode over the wire: validator 0 as an `hsbench node` process, its synthetic committee as an `hsbench
/// committee` process behind a network per member, this process the load client. Every transaction commits, the
/// node's stages include the network stage's cost, the committee agrees with validator 0 on every common height,
/// the result (`run/node-wire`) is read by `report` and `compare`, and no process is left behind.
#[test]
fn node_mode_over_the_wire_meets_a_committee_process_through_its_network_stage() {
    let dir = tempfile::tempdir().expect("temp dir");
    let args = ["run", "--mode", "node", "--wire", "--duration", "3", "--rate", "300"];
    let (stdout, result, doc) = hsbench_in(dir.path(), &args);
    assert!(stdout.contains("validator 0 and the committee (validator 1's roots) agree"), "{stdout}");
    assert_eq!((doc["kind"].as_str(), doc["mode"].as_str()), (Some("run"), Some("node-wire")));
    let m = &doc["metrics"];
    assert_eq!(m["consistent"], true, "{m}");
    assert_eq!((m["books"]["submitted"].as_u64(), m["books"]["committed"].as_u64()), (Some(900), Some(900)));
    assert!(stage_cost(m, "network").is_some_and(|c| c > 0.0), "validator 0's network stage: {}", m["stages"]);
    let committee = &m["committee"]["committee"];
    assert_eq!(committee["members"], 3, "{committee}");
    assert_eq!(committee["links"].as_array().map(Vec::len), Some(3), "one link per member: {committee}");
    assert!(committee["messages_from_node"].as_u64().is_some_and(|n| n > 0), "{committee}");
    assert_eq!(m["nodes"].as_array().map(Vec::len), Some(1), "only validator 0 is a node process");
    read_back_like_any_run(dir.path(), &result);
    assert!(processes_mentioning(&dir.path().display().to_string()).is_empty());
}

/// `hsbench ceiling --wire`: every probe a fresh validator 0 process and committee process; the search runs its
/// probes, the result (`ceiling/wire`) holds validator 0's stages with the network stage's cost and the last
/// committee process's report, and no process is left behind.
#[test]
fn a_ceiling_over_the_wire_probes_fresh_processes_and_reports_the_network_stage() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("ceiling.toml");
    let text = "[ceiling]\nstart_tps = 500.0\nmax_tps = 1000.0\nprecision = 0.5\nprobe_s = 2.0\nconfirm_s = 2.0\n\
                repeats = 1\nwarmup_s = 0.5\ncooldown_s = 0.3\ndrain_s = 1.0\nbound_s = 0.0\n";
    std::fs::write(&config, text).expect("write");
    let config = config.to_str().expect("a UTF-8 temp path");
    let (_, _, doc) = hsbench_in(dir.path(), &["ceiling", "--wire", "--config", config]);
    assert_eq!((doc["kind"].as_str(), doc["mode"].as_str()), (Some("ceiling"), Some("wire")));
    let m = &doc["metrics"];
    // What rate the search settles on depends on the machine and what else runs: no figure is asserted, only
    // that the search ran and reports what it found.
    assert!(m["ceiling_tps"].is_null() || m["ceiling_tps"].as_f64().is_some_and(|c| c > 0.0), "{m}");
    assert!(m["curve"].as_array().is_some_and(|c| c.len() >= 2), "{m}");
    assert!(stage_cost(m, "network").is_some_and(|c| c > 0.0), "validator 0's network stage: {}", m["stages"]);
    assert_eq!(m["committee_process"]["committee"]["members"], 3, "{}", m["committee_process"]);
    assert!(processes_mentioning(&dir.path().display().to_string()).is_empty());
}

/// A fault schedule and a byzantine validator from the configuration: validator 3 is killed with SIGKILL a second
/// into the load and restarted a second later while validator 2 replays old messages, and validator 1's links get
/// 30 ± 10 ms of latency from the transport's link filter (`--link-faults transport`: no root needed); the timeline,
/// the layer and the byzantine role are in the result, the client dialled validator 3 again, every validator took
/// its link rules (the restarted one again after its restart), and the honest three agree at the end.
#[test]
fn a_fault_schedule_kills_and_restarts_a_validator_and_the_timeline_is_in_the_result() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("faults.toml");
    let text = "[wire]\nbyzantine = [{ id = 2, behaviour = \"replay\" }]\n\
                [[fault]]\nat_s = 1.0\nkill = 3\nrestart_after_s = 1.0\n\
                [[fault]]\nat_s = 0.5\nimpair = 1\ndelay_ms = 30.0\njitter_ms = 10.0\nfor_s = 3.0\n";
    std::fs::write(&config, text).expect("write");
    let config = config.to_str().expect("a UTF-8 temp path");
    let args = ["cluster", "--nodes", "4", "--duration", "4", "--rate", "300", "--link-faults", "transport"];
    let (stdout, _, doc) = hsbench_in(dir.path(), &[&args[..], &["--config", config]].concat());
    assert!(stdout.contains("kill -9 validator 3") && stdout.contains("restart validator 3"), "{stdout}");
    let m = &doc["metrics"];
    let timeline = m["faults"].as_array().expect("a fault timeline");
    assert_eq!(timeline.len(), 4, "{timeline:?}");
    assert!(timeline.iter().all(|f| f["error"].is_null()), "{timeline:?}");
    assert!(timeline[0]["action"].as_str().is_some_and(|a| a.contains("30 ± 10 ms later")), "{timeline:?}");
    assert_eq!(m["link_faults"], "transport", "{m}");
    for node in m["nodes"].as_array().expect("node reports") {
        // Three peers each time: impair, restart (validator 3 only, after its restart), restore.
        let applied = node["link_control"]["applied"].as_u64().expect("link control counters");
        let want = if node["id"] == 3 { 3 } else { 6 };
        assert!(applied >= want, "validator {}: {applied} link rules applied", node["id"]);
        assert_eq!(node["link_control"]["refused"], 0, "{node}");
    }
    assert_eq!(m["consistent"], true, "{m}");
    assert_eq!(m["byzantine"][0]["behaviour"], "replay", "{}", m["byzantine"]);
    assert!(m["client_redials"].as_u64().is_some_and(|r| r >= 1), "the client never dialled validator 3 again");
    let b = &m["books"];
    assert_eq!(b["submitted"].as_u64(), Some(1200), "{b}");
    assert!(processes_mentioning(&dir.path().display().to_string()).is_empty());
}

/// Writes a 4-validator config with these peer and client addresses into `dir`; returns its path.
fn write_config_at(dir: &Path, peers: &[SocketAddr], clients: &[SocketAddr]) -> PathBuf {
    let list = |a: &[SocketAddr]| a.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ");
    let text = format!(
        "[run]\nseed = 5\n[cluster]\nvalidators = 4\n[consensus]\nmin_block_interval_ms = 20\nbase_timeout_ms = 400\n\
         leader_election = \"reputation\"\n\
         [workload]\naccounts = 64\n[wire]\npeers = [{}]\nclients = [{}]\n",
        list(peers),
        list(clients)
    );
    let path = dir.join("wire.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Writes a 4-validator config on free loopback ports into `dir`; returns its path and the client addresses.
fn write_config(dir: &Path) -> (PathBuf, Vec<SocketAddr>) {
    let ports: Vec<TcpListener> = (0..8).map(|_| TcpListener::bind("127.0.0.1:0").expect("bind")).collect();
    let addrs: Vec<SocketAddr> = ports.iter().map(|l| l.local_addr().expect("addr")).collect();
    (write_config_at(dir, &addrs[..4], &addrs[4..]), addrs[4..].to_vec())
}

/// Stops the fleet (every process not left down by a kill must end cleanly) and reads the reports of validators
/// `ids`, each kept in `dir/node-<id>`.
fn stop_and_read(fleet: Fleet, dir: &Path, ids: &[u16]) -> Vec<NodeFile> {
    let exits = fleet.stop(Duration::from_secs(20));
    assert!(exits.iter().filter(|e| !e.down).all(|e| e.code == Some(0) && !e.killed), "{exits:?}");
    ids.iter()
        .map(|&id| NodeFile::read(&node_file_path(&dir.join(format!("node-{id}")), id)).expect("node report"))
        .collect()
}

/// Waits until `client` heard a commit of every hash in `want`, or the deadline passes; returns those not heard.
fn await_commits(client: &RemoteValidators, want: &[Hash], timeout: Duration) -> usize {
    let mut missing: HashSet<Hash> = want.iter().copied().collect();
    let deadline = Instant::now() + timeout;
    while !missing.is_empty() && Instant::now() < deadline {
        for e in client.drain_tx_events() {
            if matches!(e.status, TxStatus::Committed { .. }) {
                missing.remove(&e.tx_hash);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    missing.len()
}

/// Four validator processes on free loopback ports in `dir` (each `hsbench node` in `dir/node-<id>`), all
/// listening, a client on their client ports submitting as `submit_to` says, and `txs` signed transactions cut
/// into batches of 64.
fn loopback_fleet(dir: &Path, txs: u64, submit_to: SubmitTo) -> (Fleet, RemoteValidators, Vec<Vec<Transaction>>) {
    let (config_path, clients) = write_config(dir);
    let loaded = config::load(Some(&config_path)).expect("config parses");
    loaded.config.validate(&loaded.origin).expect("config is valid");
    let set = sign(&CorpusSpec::of(&loaded.config), txs, &ProgressBar::hidden());
    let mut fleet = Fleet::new();
    for id in 0..4 {
        let data = dir.join(format!("node-{id}"));
        fleet.spawn(id, Launch::new(Path::new(EXE), &config_path, &data)).expect("spawn");
    }
    fleet.wait_ready(Duration::from_secs(30)).expect("all four listen");
    let client = RemoteValidators::connect(&clients, submit_to).expect("client connects");
    (fleet, client, set.txs.chunks(64).map(<[_]>::to_vec).collect())
}

#[test]
fn a_validator_killed_with_sigkill_restarts_from_its_storage_and_catches_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut fleet, client, batches) = loopback_fleet(dir.path(), 192, SubmitTo::Single);
    let hashes = |k: usize| batches[k].iter().map(|t| t.hash()).collect::<Vec<Hash>>();

    client.submit(batches[0].clone());
    assert_eq!(await_commits(&client, &hashes(0), Duration::from_secs(20)), 0, "all four commit");
    fleet.kill9(3).expect("kill -9 validator 3");
    client.submit(batches[1].clone());
    assert_eq!(await_commits(&client, &hashes(1), Duration::from_secs(20)), 0, "three of four keep committing");
    fleet.restart(3).expect("restart validator 3");
    fleet.wait_ready_of(&[3], Duration::from_secs(30)).expect("validator 3 listens again");
    client.submit(batches[2].clone());
    assert_eq!(await_commits(&client, &hashes(2), Duration::from_secs(20)), 0, "commits continue after the restart");
    std::thread::sleep(Duration::from_secs(2)); // let validator 3 sync to the tip
    client.close();
    let nodes = stop_and_read(fleet, dir.path(), &[0, 1, 2, 3]);
    let agreement = Agreement::of(&nodes);
    assert!(agreement.holds(), "{agreement:?}");
    let (tip, restarted) = (nodes[0].committed_height, nodes[3].committed_height);
    assert!(restarted + 3 >= tip, "validator 3 at height {restarted}, validator 0 at {tip}: it did not catch up");
    assert!(
        nodes[3].roots.keys().next().is_some_and(|h| *h > 1),
        "validator 3 resumed from its storage rather than from genesis: {:?}",
        nodes[3].roots.keys().take(3).collect::<Vec<_>>()
    );
    assert!(processes_mentioning(&dir.path().display().to_string()).is_empty());
}

/// A validator killed for good does not take its share of the load with it: the client writes a batch whose
/// validator is down to the next live one (counted as failed over), so every transaction submitted after the kill
/// commits. Before, those batches were counted as failed submissions and stayed pending for ever — in a 30 s run
/// with one of four killed, a quarter of the load, and every later transaction of the same senders then waited on
/// a nonce that never came.
#[test]
fn the_client_fails_over_from_a_killed_validator_to_a_live_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut fleet, client, batches) = loopback_fleet(dir.path(), 64 * 12, SubmitTo::RoundRobin);
    // Batch k holds nonce k of every account, so each waits for the one before to commit; round robin sends batch
    // k to validator k mod 4.
    let submit_and_await = |k: usize| {
        client.submit(batches[k].clone());
        let hashes: Vec<Hash> = batches[k].iter().map(|t| t.hash()).collect();
        await_commits(&client, &hashes, Duration::from_secs(20))
    };
    for k in 0..4 {
        assert_eq!(submit_and_await(k), 0, "batch {k}, before the kill");
    }
    fleet.kill9(2).expect("kill -9 validator 2");
    std::thread::sleep(Duration::from_millis(300)); // the client has read the end of validator 2's connection
    for k in 4..12 {
        assert_eq!(submit_and_await(k), 0, "batch {k}, after validator 2 was killed");
    }
    let failed_over = client.failovers.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(failed_over, 2 * 64, "validator 2's batches 6 and 10 went to validator 3");
    client.close();
    let nodes = stop_and_read(fleet, dir.path(), &[0, 1, 3]);
    assert!(Agreement::of(&nodes).holds());
    // Leader reputation recorded the dead validator's failed rounds, and left out no one else (at the very end a
    // validator between commits may already be on the stall fallback's round-robin, leaving out no one).
    for n in &nodes {
        let (failed, out) = (&n.failed_leader_rounds, &n.leaders_left_out);
        assert!(failed.contains_key(&2) && out.iter().all(|&v| v == 2), "validator {}: {failed:?} {out:?}", n.id);
    }
    assert!(processes_mentioning(&dir.path().display().to_string()).is_empty());
}

/// One byzantine process of four, for each of several behaviours: the honest three keep committing every
/// transaction and agree on every state root; nobody crashes. Each peer is read at most at 50 messages a second
/// (`[wire] peer_rate_messages`): an honest peer sends about ten in this short run and never waits, while every
/// message of the flooder comes as 100 copies, more than the bucket holds, so it always does. The stale voter runs
/// at the default rate, so its 1,500 stale votes per message reach the node stages, which throttle it. The junk
/// gossiper's unsigned transactions convict it.
#[test]
fn one_byzantine_process_of_four_neither_breaks_safety_nor_stops_commits() {
    for behaviour in ["equivocating-leader", "bad-vote-signature", "replay", "flood", "stale-votes", "junk-gossip"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (config_path, clients) = write_config(dir.path());
        let mut text = std::fs::read_to_string(&config_path).expect("read config");
        let rate = if behaviour == "stale-votes" { 20_000 } else { 50 };
        text.push_str(&format!("peer_rate_messages = {rate}\n")); // [wire] is the file's last table
        std::fs::write(&config_path, text).expect("write config");
        let loaded = config::load(Some(&config_path)).expect("config parses");
        assert_eq!(loaded.config.wire.peer_rate_messages, rate);
        let set = sign(&CorpusSpec::of(&loaded.config), 128, &ProgressBar::hidden());
        let data = |id: u16| dir.path().join(format!("node-{id}"));
        let mut fleet = Fleet::new();
        for id in 0..4u16 {
            let extra = if id == 2 { vec!["--byzantine".to_string(), behaviour.to_string()] } else { Vec::new() };
            let launch = Launch { extra, ..Launch::new(Path::new(EXE), &config_path, &data(id)) };
            fleet.spawn(id, launch).expect("spawn");
        }
        fleet.wait_ready(Duration::from_secs(30)).expect("all four listen");
        let client = RemoteValidators::connect(&clients, SubmitTo::Single).expect("client connects");
        for chunk in set.txs.chunks(64) {
            client.submit(chunk.to_vec());
            let hashes: Vec<Hash> = chunk.iter().map(|t| t.hash()).collect();
            assert_eq!(await_commits(&client, &hashes, Duration::from_secs(30)), 0, "{behaviour}: commits stopped");
        }
        client.close();
        let honest = stop_and_read(fleet, dir.path(), &[0, 1, 3]);
        let agreement = Agreement::of(&honest);
        assert!(agreement.holds(), "{behaviour}: {agreement:?}");
        assert!(honest.iter().all(|n| n.halted.is_none()), "{behaviour}: an honest validator halted");
        // The flooder's copies are dropped unread at each honest validator's edge and counted on its link; honest
        // peers never repeat a frame within the window, so nothing of theirs is dropped.
        for n in &honest {
            for p in &n.network.peers {
                let repeats: u64 = p.repeats_dropped.values().sum();
                if p.peer != 2 {
                    assert_eq!(repeats, 0, "{behaviour}: validator {} dropped frames of honest {}", n.id, p.peer);
                    assert_eq!(p.rate_waits, 0, "{behaviour}: validator {} held honest {} to its rate", n.id, p.peer);
                    assert_eq!(p.bars, 0, "{behaviour}: validator {} barred honest {}", n.id, p.peer);
                    assert_eq!(p.throttles, 0, "{behaviour}: validator {} throttled honest {}", n.id, p.peer);
                    assert!(!n.peer_faults.contains_key(&p.peer), "{behaviour}: {} convicted honest {}", n.id, p.peer);
                } else if behaviour == "flood" {
                    assert!(repeats > 0, "{behaviour}: validator {} heard every copy", n.id);
                    assert!(p.rate_waits > 0, "{behaviour}: validator {} read the flooder unchecked: {p:?}", n.id);
                }
            }
        }
        // Votes with bad signatures convict their sender at the leaders that get them, which bar it; so does its junk
        // gossip (unsigned transactions) at every validator.
        if behaviour == "bad-vote-signature" || behaviour == "junk-gossip" {
            let barred = |n: &NodeFile| n.network.peers.iter().any(|p| p.peer == 2 && p.bars > 0);
            assert!(honest.iter().any(barred), "{behaviour}: nobody barred validator 2");
            assert!(honest.iter().any(|n| n.peer_faults.get(&2).is_some_and(|f| f.contains_key("bad_signature"))));
        }
        // Stale votes prove nothing one by one; their number throttles the sender at the validators that read them.
        if behaviour == "stale-votes" {
            let throttled = |n: &NodeFile| n.network.peers.iter().any(|p| p.peer == 2 && p.throttles > 0);
            assert!(honest.iter().any(throttled), "{behaviour}: nobody throttled validator 2");
            assert!(honest.iter().any(|n| n.peer_throttles.get(&2).is_some_and(|t| *t > 0)));
        }
        assert!(processes_mentioning(&dir.path().display().to_string()).is_empty());
    }
}

/// The same 2|2 partition without root, by the transport's own link filter (each validator drops what it sends
/// across the cut): commits stop and resume after the heal with every validator agreeing; then validator 3's links
/// lose 20 % of their frames and run 40 ± 20 ms late, and commits go on. The frames the filter dropped are counted
/// per peer in the validators' reports.
#[test]
fn a_partition_by_the_transport_link_filter_stops_commits_until_it_heals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut fleet, client, batches) = loopback_fleet(dir.path(), 256, SubmitTo::Single);
    let hashes = |k: usize| batches[k].iter().map(|t| t.hash()).collect::<Vec<Hash>>();
    let mut book = LinkBook::new(4, LinkLayer::Transport);

    client.submit(batches[0].clone());
    assert_eq!(await_commits(&client, &hashes(0), Duration::from_secs(20)), 0, "commits before the partition");
    book.partition(&[vec![0, 1], vec![2, 3]]);
    fleet.send_links_to_all(&book).expect("link rules sent");
    client.submit(batches[1].clone());
    let during = await_commits(&client, &hashes(1), Duration::from_secs(4));
    assert_eq!(during, 64, "{} of 64 committed while no half had a quorum", 64 - during);
    book.heal();
    fleet.send_links_to_all(&book).expect("link rules sent");
    assert_eq!(await_commits(&client, &hashes(1), Duration::from_secs(40)), 0, "commits resume after healing");
    book.impair(3, LinkRule { loss: 0.2, delay_ms: 40.0, jitter_ms: 20.0, ..LinkRule::default() });
    fleet.send_links_to_all(&book).expect("link rules sent");
    client.submit(batches[2].clone());
    assert_eq!(await_commits(&client, &hashes(2), Duration::from_secs(30)), 0, "commits go on over a lossy, late link");
    client.close();
    let nodes = stop_and_read(fleet, dir.path(), &[0, 1, 2, 3]);
    let agreement = Agreement::of(&nodes);
    assert!(agreement.holds(), "{agreement:?}");
    let filtered = |from: usize, to: u16| -> u64 {
        let peer = nodes[from].network.peers.iter().find(|p| p.peer == to).expect("peer stats");
        peer.filtered.values().sum()
    };
    assert!(filtered(0, 2) > 0 && filtered(2, 1) > 0, "frames across the cut were dropped and counted");
    assert!(nodes.iter().all(|n| n.link_control.applied == 9 && n.link_control.refused == 0));
    assert!(processes_mentioning(&dir.path().display().to_string()).is_empty());
}

/// A 2|2 partition in real network namespaces (nftables dropping every packet between the halves): commits stop,
/// since neither half is a quorum; after the partition heals they resume, and every validator agrees on every state
/// root — no conflicting commit. Then one validator's links lose 30 % of their packets and are capped at 100 kB/s:
/// commits go on. Needs root (CI runs as root; elsewhere the test says it did not run).
#[test]
fn a_two_two_partition_stops_commits_and_they_resume_after_it_heals() {
    if !netns::available() {
        assert!(std::env::var("CI").is_err(), "CI must run the partition test as root");
        eprintln!("a_two_two_partition_stops_commits...: not root, network namespaces unavailable: NOT RUN");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let net = netns::Netns::create(4).expect("namespaces, veths and a bridge");
    let peers: Vec<SocketAddr> = (0..4).map(|i| net.addr(i, 7000)).collect();
    let clients: Vec<SocketAddr> = (0..4).map(|i| net.addr(i, 7001)).collect();
    let config_path = write_config_at(dir.path(), &peers, &clients);
    let loaded = config::load(Some(&config_path)).expect("config parses");
    let set = sign(&CorpusSpec::of(&loaded.config), 256, &ProgressBar::hidden());
    let data = |id: u16| dir.path().join(format!("node-{id}"));
    let mut fleet = Fleet::new();
    for id in 0..4u16 {
        let launch =
            Launch { prefix: net.prefix(usize::from(id)), ..Launch::new(Path::new(EXE), &config_path, &data(id)) };
        fleet.spawn(id, launch).expect("spawn");
    }
    fleet.wait_ready(Duration::from_secs(30)).expect("all four listen");
    let client = RemoteValidators::connect(&clients, SubmitTo::Single).expect("client connects across the bridge");
    let batches: Vec<Vec<_>> = set.txs.chunks(64).map(<[_]>::to_vec).collect();
    let hashes = |k: usize| batches[k].iter().map(|t| t.hash()).collect::<Vec<Hash>>();

    client.submit(batches[0].clone());
    assert_eq!(await_commits(&client, &hashes(0), Duration::from_secs(20)), 0, "commits before the partition");
    net.partition(&[vec![0, 1], vec![2, 3]]).expect("partition 0,1 | 2,3");
    client.submit(batches[1].clone());
    let during = await_commits(&client, &hashes(1), Duration::from_secs(4));
    assert_eq!(during, 64, "{} of 64 committed while no half had a quorum", 64 - during);
    net.heal().expect("heal");
    assert_eq!(await_commits(&client, &hashes(1), Duration::from_secs(40)), 0, "commits resume after healing");
    client.submit(batches[2].clone());
    assert_eq!(await_commits(&client, &hashes(2), Duration::from_secs(20)), 0, "and go on");
    let lossy = netns::Impairment { loss: 0.3, kbytes_per_s: Some(100) };
    net.impair(3, lossy).expect("impair validator 3's links");
    let rules = Command::new("ip").args(["netns", "exec", &net.namespace(3), "nft", "list", "ruleset"]).output();
    let rules = String::from_utf8_lossy(&rules.expect("nft runs").stdout).into_owned();
    assert!(
        rules.contains("numgen random mod 1000 < 300") && rules.contains("limit rate over 100 kbytes/second"),
        "{rules}"
    );
    client.submit(batches[3].clone());
    assert_eq!(await_commits(&client, &hashes(3), Duration::from_secs(30)), 0, "commits go on over a lossy link");
    net.impair(3, netns::Impairment::default()).expect("restore validator 3's links");
    client.close();
    let nodes = stop_and_read(fleet, dir.path(), &[0, 1, 2, 3]);
    let agreement = Agreement::of(&nodes);
    assert!(agreement.holds(), "{agreement:?}");
    drop(net);
    assert!(processes_mentioning(&dir.path().display().to_string()).is_empty());
}
