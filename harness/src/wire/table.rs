//! The readable tables of `hsbench cluster`: each validator process's CPU per transaction by stage, and every
//! connection's network counters.

use super::committee::CommitteeFile;
use super::report::NodeFile;
use crate::run::node::table::p50_p99_ms;
use hsbench_engine::runtime::pipeline::ProcessMemory;
use std::collections::BTreeMap;

/// One row per validator: height, transactions committed, rounds it left by timeout, peak resident memory, process
/// CPU per transaction and each stage's share.
pub fn print_nodes(nodes: &[NodeFile]) {
    let stage_names: Vec<String> =
        nodes.first().map(|n| n.stages.iter().map(|s| s.name.clone()).collect()).unwrap_or_default();
    let mut header =
        format!("  {:<5} {:>7} {:>9} {:>8} {:>9} {:>10}", "node", "height", "txs", "timeouts", "peak MiB", "cpu µs/tx");
    for s in &stage_names {
        header.push_str(&format!(" {:>10}", s));
    }
    println!("{header}   (stage columns: µs of CPU per committed tx)");
    for n in nodes {
        let per_tx = |ns: f64| if n.txs_committed == 0 { 0.0 } else { ns / 1e3 };
        let total = if n.txs_committed == 0 { 0.0 } else { n.process_cpu_s * 1e6 / n.txs_committed as f64 };
        let peak = ProcessMemory::peak_cell(n.memory.as_ref());
        let mut row = format!(
            "  {:<5} {:>7} {:>9} {:>8} {:>9} {:>10.1}",
            n.id, n.committed_height, n.txs_committed, n.timeouts, peak, total
        );
        for name in &stage_names {
            let cost = n.stages.iter().find(|s| &s.name == name).map_or(0.0, |s| per_tx(s.cost_ns_per_tx));
            row.push_str(&format!(" {:>10.1}", cost));
        }
        println!("{row}");
        if let Some(split) = &n.latency_split {
            println!(
                "        its blocks, p50 / p99 ms: proposal → commit {} · commit → reported {}",
                p50_p99_ms(&split.proposal_to_commit_us),
                p50_p99_ms(&split.commit_to_report_us)
            );
        }
        if !n.failed_leader_rounds.is_empty() {
            let failed: Vec<String> = n.failed_leader_rounds.iter().map(|(v, k)| format!("{v}: {k}")).collect();
            let out: Vec<String> = n.leaders_left_out.iter().map(ToString::to_string).collect();
            let out = if out.is_empty() { "none".to_string() } else { out.join(", ") };
            println!(
                "        leaders: failed rounds recorded by member {} · left out at the end: {out}",
                failed.join(", ")
            );
        }
        if let Some(why) = &n.halted {
            println!("        halted: {why}");
        }
    }
}

/// One row per connection (from the side of the validator that reports it); `filtered`: frames its link filter
/// dropped (a fault schedule's cut or loss); `repeats`: frames the peer repeated within the repeat window, dropped
/// unread; `held MB`: the most bytes of the peer's messages held at once, received and not yet taken up (bounded
/// per peer); `waits i/h/r`: times the reader waited on a full inbox, on the held-bytes bound, on the peer's rate;
/// `faults/bars/thr`: messages no honest validator sends that the validator convicted the peer of, the times it
/// barred the peer for them, and the times it throttled the peer (more of its messages refused in a second than an
/// honest peer sends, none a fault).
pub fn print_peers(nodes: &[NodeFile]) {
    println!(
        "  {:<7} {:>8} {:>20} {:>20} {:>10} {:>10} {:>6} {:>8} {:>8} {:>7} {:>8} {:>8} {:>12} {:>15}",
        "link",
        "connects",
        "msgs out c/s/g",
        "msgs in c/s/g",
        "MB out",
        "MB in",
        "drops",
        "filtered",
        "hs fail",
        "refused",
        "repeats",
        "held MB",
        "waits i/h/r",
        "faults/bars/thr"
    );
    let csg = |m: &BTreeMap<String, u64>| {
        let get = |k: &str| m.get(k).copied().unwrap_or(0);
        format!("{}/{}/{}", get("consensus"), get("sync"), get("gossip"))
    };
    for n in nodes {
        for p in &n.network.peers {
            let faults: u64 = n.peer_faults.get(&p.peer).map_or(0, |by| by.values().sum());
            println!(
                "  {:<7} {:>8} {:>20} {:>20} {:>10.2} {:>10.2} {:>6} {:>8} {:>8} {:>7} {:>8} {:>8.2} {:>12} {:>15}",
                format!("{}→{}", n.id, p.peer),
                p.connects,
                csg(&p.messages_out),
                csg(&p.messages_in),
                p.bytes_out as f64 / 1e6,
                p.bytes_in as f64 / 1e6,
                p.dropped.values().sum::<u64>(),
                p.filtered.values().sum::<u64>(),
                p.handshake_failures,
                p.refused_frames,
                p.repeats_dropped.values().sum::<u64>(),
                p.held_peak as f64 / 1e6,
                format!("{}/{}/{}", p.inbox_waits, p.held_waits, p.rate_waits),
                format!("{faults}/{}/{}", p.bars, p.throttles)
            );
        }
    }
}

/// The committee process of node mode over the wire: its CPU per committed transaction (the peer side's cost, not
/// the node's), what it signed and sent, its members' links to validator 0.
pub fn print_committee(c: &CommitteeFile, committed: u64) {
    let per_tx = |s: f64| if committed == 0 { 0.0 } else { s * 1e6 / committed as f64 };
    let r = &c.committee;
    println!(
        "  committee   {} members · process CPU {:.1} µs/tx (loop and pool {:.1}, networks {:.1}) · {} signatures, {} \
         proposals · {} messages to validator 0, {} from it · {} sends refused",
        r.members,
        per_tx(c.process_cpu_s),
        per_tx(r.cpu_ns as f64 / 1e9),
        per_tx(r.network_cpu_ns as f64 / 1e9),
        r.signatures,
        r.blocks_proposed,
        r.messages_to_node,
        r.messages_from_node,
        r.send_refused
    );
}
