use super::common::{Behaviour, CoarsePacer, FakeSystem, any_reject_reason, schedule};
use crate::measure::{Books, Pacer, Plan, VirtualPacer, drive};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn plan(duration_ms: u64, warmup_ms: u64, cooldown_ms: u64) -> Plan {
    Plan { duration: ms(duration_ms), warmup: ms(warmup_ms), cooldown: ms(cooldown_ms), drain: ms(500) }
}

#[test]
fn on_time_submissions_measure_the_system_delay() {
    let mut sut = FakeSystem::new(ms(30), |_| Behaviour::Commit);
    let start = sut.now;
    let mut pacer = VirtualPacer::start(start);
    let out = drive(&mut sut, &mut pacer, schedule(100, 100.0), &plan(1000, 200, 100), &mut |_| {});
    // Each transaction arrived exactly at its intended time, at the node it was addressed to.
    for (i, (at, node)) in sut.arrivals.iter().enumerate() {
        assert_eq!(*at, start + Duration::from_secs_f64(i as f64 / 100.0));
        assert_eq!(*node, i % 4);
    }
    let m = out.recorder.metrics(out.start, &plan(1000, 200, 100));
    assert_eq!(m.latency_us.count, 70, "window [0.2, 0.9) s holds 70 of the 100 transactions");
    assert!((29_900..=30_100).contains(&m.latency_us.p50), "{:?}", m.latency_us);
    assert!((29_900..=30_100).contains(&m.latency_us.max), "{:?}", m.latency_us);
    assert!((m.window_s - 0.7).abs() < 1e-9);
    assert!((m.offered_tps - 100.0).abs() < 1e-6);
    assert!((m.committed_tps - 100.0).abs() < 1e-6);
    assert_eq!(m.books, Books { submitted: 100, committed: 100, rejected: 0, pending: 0 });
    assert!(m.rejected.values().all(|n| *n == 0), "other nodes' rejections do not count");
    assert!(out.generator.valid && out.generator.late == 0 && out.generator.max_lag_us == 0);
    assert!(out.agreement.same_root_same_height && out.agreement.engine_consistent);
}

#[test]
fn latency_runs_from_the_intended_time_when_the_generator_is_late() {
    // The clock moves in 100 ms steps, so transactions go out up to 100 ms after their intended time; the system
    // itself adds 30 ms. Latency must include the lateness (coordinated omission).
    let mut sut = FakeSystem::new(ms(30), |_| Behaviour::Commit);
    let start = sut.now;
    let mut pacer = CoarsePacer { now: start, step: ms(100) };
    let p = plan(1000, 0, 0);
    let out = drive(&mut sut, &mut pacer, schedule(100, 100.0), &p, &mut |_| {});
    let m = out.recorder.metrics(out.start, &p);
    assert_eq!(m.latency_us.count, 100);
    // Tx at intended k·10 ms (k = 1..9 within each 100 ms step) is sent at the next step: lateness 10..90 ms.
    assert!(m.latency_us.max >= 119_000 && m.latency_us.max <= 121_000, "{:?}", m.latency_us);
    assert!(m.latency_us.p50 >= 70_000 && m.latency_us.p50 <= 81_000, "{:?}", m.latency_us);
    for (i, (at, _)) in sut.arrivals.iter().enumerate() {
        let intended = start + Duration::from_secs_f64(i as f64 / 100.0);
        assert!(*at >= intended, "never submitted before its intended time");
    }
    assert_eq!(out.generator.late, 40, "lateness 60, 70, 80, 90 ms in each of 10 steps exceeds 50 ms");
    assert!(!out.generator.valid);
    assert!(out.generator.max_lag_us >= 89_000);
}

#[test]
fn steady_window_trims_by_intended_time() {
    // Only transactions intended in [300, 700) ms commit; everything else is lost.
    let mut sut = FakeSystem::new(ms(5), |k| if (30..70).contains(&k) { Behaviour::Commit } else { Behaviour::Lose });
    let mut pacer = VirtualPacer::start(sut.now);
    let p = plan(1000, 300, 300);
    let out = drive(&mut sut, &mut pacer, schedule(100, 100.0), &p, &mut |_| {});
    let m = out.recorder.metrics(out.start, &p);
    assert_eq!(m.window_txs, 40);
    assert_eq!(m.window_committed, 40);
    assert!((m.committed_tps - 100.0).abs() < 1e-6, "{}", m.committed_tps);
    assert!((m.offered_tps - 100.0).abs() < 1e-6);
    // A wider window sees the losses.
    let wide = plan(1000, 100, 100);
    let m = out.recorder.metrics(out.start, &wide);
    assert_eq!((m.window_txs, m.window_committed, m.window_pending), (80, 40, 40));
    assert!((m.committed_tps - 50.0).abs() < 1e-6);
    assert_eq!(m.books, Books { submitted: 100, committed: 40, rejected: 0, pending: 60 });
    assert!(m.books.balanced());
}

#[test]
fn books_balance_with_rejections_and_pending() {
    let rule = |k: u64| match k % 10 {
        0 => Behaviour::Reject,
        1 => Behaviour::Lose,
        2 => Behaviour::RejectThenCommit,
        _ => Behaviour::Commit,
    };
    let mut sut = FakeSystem::new(ms(20), rule);
    let mut pacer = VirtualPacer::start(sut.now);
    let p = plan(2000, 500, 500);
    let mut snapshots = 0;
    let out = drive(&mut sut, &mut pacer, schedule(200, 100.0), &p, &mut |s| {
        assert!(s.books.balanced());
        snapshots += 1;
    });
    assert!(snapshots > 0);
    let m = out.recorder.metrics(out.start, &p);
    assert_eq!(m.books, Books { submitted: 200, committed: 160, rejected: 20, pending: 20 });
    assert!(m.books.balanced());
    assert_eq!(m.rejected.get(any_reject_reason().as_str()), Some(&20));
    assert_eq!(m.rejected.values().sum::<u64>(), 20);
    assert_eq!(m.rejected_then_committed, 20);
    assert_eq!((m.window_txs, m.window_committed, m.window_pending), (100, 80, 10));
    assert!((m.committed_tps - 80.0).abs() < 1e-6);
    assert!(m.blocks_with_txs > 0);
    // Pending transactions keep the drain going to its limit.
    assert!(out.agreement.drain_s >= 0.5 - 1e-9, "{}", out.agreement.drain_s);
}

#[test]
fn drain_ends_early_once_everything_has_a_fate() {
    let mut sut = FakeSystem::new(ms(200), |_| Behaviour::Commit);
    let mut pacer = VirtualPacer::start(sut.now);
    let p = Plan { drain: Duration::from_secs(5), ..plan(1000, 100, 100) };
    let out = drive(&mut sut, &mut pacer, schedule(100, 100.0), &p, &mut |_| {});
    assert_eq!(out.recorder.books().pending, 0);
    assert!(out.agreement.drain_s < 0.3, "drained in {} s", out.agreement.drain_s);
    assert!(pacer.now() >= out.start + ms(1000));
}

#[test]
fn disagreeing_roots_are_reported() {
    let mut sut = FakeSystem::new(ms(10), |_| Behaviour::Commit);
    sut.agree = false;
    let mut pacer = VirtualPacer::start(sut.now);
    let out = drive(&mut sut, &mut pacer, schedule(10, 100.0), &plan(100, 10, 10), &mut |_| {});
    assert!(!out.agreement.same_root_same_height);
    assert!(out.agreement.drain_s >= 0.5 - 1e-9, "waits for agreement up to the drain limit");
}

/// A commit event's block times split each transaction's corrected latency into three parts that add up to it;
/// commits without block times are left out of the split (and the split is absent when none has them).
#[test]
fn block_times_split_the_latency_into_parts_that_add_up() {
    use crate::measure::Recorder;
    use hsbench_engine::protocol::{BlockTimes, TxEvent, TxStatus};
    use hsbench_engine::types::Hash;
    let p = plan(1000, 0, 0);
    let mut recorder = Recorder::default();
    let mut without = Recorder::default();
    let committed = TxStatus::Committed { height: 1, success: true };
    for i in 0..10u8 {
        let (hash, intended) = (Hash([i; 32]), ms(10 * u64::from(i)));
        // Proposed 20 ms after the intended time, committed 50 ms later, reported 5 ms after that.
        let block = BlockTimes { proposed: intended + ms(20), committed: intended + ms(70) };
        let event = TxEvent { node: 0, tx_hash: hash, status: committed, at: intended + ms(75), block: Some(block) };
        for r in [&mut recorder, &mut without] {
            r.on_submit(hash, 0, intended);
        }
        recorder.on_event(&event);
        without.on_event(&TxEvent { block: None, ..event });
    }
    // One transaction whose block was proposed (by gossip) before its intended time: its first part is zero.
    let early = Hash([99; 32]);
    recorder.on_submit(early, 0, ms(500));
    let block = BlockTimes { proposed: ms(499), committed: ms(530) };
    recorder.on_event(&TxEvent { node: 0, tx_hash: early, status: committed, at: ms(540), block: Some(block) });

    let m = recorder.metrics(Duration::ZERO, &p);
    let split = m.latency_split.expect("commits carried block times");
    assert_eq!(split.txs, 11);
    // Histograms keep 3 significant digits: values come back within 0.1 %.
    let near = |got: u64, want: u64| got.abs_diff(want) * 1000 <= want;
    let before = split.before_proposal_us.expect("intended times are known");
    let (consensus, after) = (split.proposal_to_commit_us, split.commit_to_report_us);
    assert!(near(before.p50, 20_000) && near(before.max, 20_000) && before.count == 11, "{split:?}");
    assert!(near(consensus.p50, 50_000) && near(consensus.max, 50_000), "{split:?}");
    assert!(near(after.p50, 5_000) && near(after.max, 10_000), "the early one waited 10 ms: {split:?}");
    let total = |s: &crate::measure::LatencySummary| s.mean * s.count as f64;
    let sum = total(&before) + total(&consensus) + total(&after);
    let latency = total(&m.latency_us);
    assert!((sum - latency).abs() <= latency * 0.002, "parts {sum} µs against the latency's {latency} µs");
    assert_eq!(without.metrics(Duration::ZERO, &p).latency_split, None);
}

/// Without intended send times (a validator process's own figures) only the block's parts are split.
#[test]
fn a_split_without_intended_times_has_only_the_blocks_parts() {
    use crate::measure::SplitHistograms;
    use hsbench_engine::protocol::BlockTimes;
    let mut split = SplitHistograms::default();
    assert_eq!(split.summary(), None);
    split.record(None, BlockTimes { proposed: ms(100), committed: ms(160) }, ms(170));
    let s = split.summary().expect("one transaction");
    assert_eq!((s.txs, s.before_proposal_us), (1, None));
    assert!(s.proposal_to_commit_us.p50.abs_diff(60_000) <= 60 && s.commit_to_report_us.p50.abs_diff(10_000) <= 10);
}
