//! The open-loop generator and the books against a node with a bounded, back-pressuring queue.

use super::common::{BoundedNode, schedule};
use crate::loadgen::generator::Load;
use crate::measure::Plan;
use crate::run::node::measure_rate;
use std::time::Duration;

fn load(n: u64, rate: f64) -> Load {
    let txs = schedule(n, rate);
    Load {
        hashes: txs.iter().map(|s| s.hash).collect(),
        offsets: txs.iter().map(|s| s.offset).collect(),
        txs: txs.into_iter().map(|s| s.tx).collect(),
    }
}

fn plan(duration_ms: u64, drain_ms: u64) -> Plan {
    Plan {
        duration: Duration::from_millis(duration_ms),
        warmup: Duration::from_millis(duration_ms / 5),
        cooldown: Duration::from_millis(duration_ms / 10),
        drain: Duration::from_millis(drain_ms),
    }
}

#[test]
fn books_balance_under_overload_with_backpressure_and_no_drops() {
    // Ceiling 2000 tx/s, offered 6000 tx/s (3×) for 1 s, a 200-transaction queue.
    let node = BoundedNode::new(2000.0, 200);
    let n = 6000;
    let r = measure_rate(&node, load(n, 6000.0), &plan(1000, 200), 0.0, &mut |s| assert!(s.books.balanced()))
        .expect("books balance");
    let b = r.tx.books;
    assert_eq!(b.submitted, n, "every scheduled transaction was submitted: zero drops");
    assert!(b.balanced(), "{b:?}");
    assert!(b.rejected > 0 && b.committed > 0, "{b:?}");
    assert_eq!(r.tx.rejected.values().sum::<u64>(), b.rejected, "rejections by reason add up");
    assert_eq!(b.pending, node.queued() as u64, "pending = what is still queued in the node");
    let g = r.generator;
    assert!(g.backpressure_stalls > 0 && g.backpressure_blocked_us > 0, "{g:?}");
    assert!(g.backpressure_late > 0, "lateness caused by the node is counted as back-pressure: {g:?}");
    assert!(g.valid, "back-pressure is the node's lateness, not the generator's: {g:?}");
    // The node commits ~its capacity, far below the offered rate, and the corrected latency shows the backlog
    // that the uncorrected latency hides.
    assert!(r.tx.commit_rate_tps < 2600.0, "{}", r.tx.commit_rate_tps);
    assert!(r.committed_fraction < 0.5, "{}", r.committed_fraction);
    assert!(r.tx.latency_us.p99 > 2 * r.tx.latency_uncorrected_us.p99, "{:?}", r);
}

#[test]
fn below_capacity_everything_commits_on_time() {
    let node = BoundedNode::new(20_000.0, 10_000);
    let n = 1500;
    let r = measure_rate(&node, load(n, 3000.0), &plan(500, 500), 0.0, &mut |_| {}).expect("books balance");
    let b = r.tx.books;
    assert_eq!(b.submitted, n);
    assert_eq!(b.pending, 0, "{b:?}");
    assert_eq!(b.committed + b.rejected, n);
    assert!(r.generator.valid && r.generator.backpressure_stalls == 0, "{:?}", r.generator);
    assert!(r.tx.latency_us.p99 < 20_000, "{:?}", r.tx.latency_us);
    assert!(!r.queue.growing);
}
