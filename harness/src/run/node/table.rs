//! Console tables shared by `run --mode node` and `ceiling`: one row per measured rate, and the stages.

use super::rate::{RateResult, SATURATED_WORK_PCT};
use crate::measure::TxMetrics;
use hsbench_engine::runtime::pipeline::ProcessMemory;

fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1e3)
}

/// Header of [`rate_row`].
pub fn rate_header() -> String {
    format!(
        "  {:<8} {:>10} {:>10} {:>6} {:>8} {:>8} {:>9} {:>10} {:>9} {:<10} {}",
        "phase",
        "offered",
        "committed",
        "frac",
        "p50 ms",
        "p99 ms",
        "p99 unc.",
        "in flight",
        "peak MiB",
        "bottleneck",
        "verdict"
    )
}

/// One measured rate as a table row.
pub fn rate_row(phase: &str, r: &RateResult, verdict: &str) -> String {
    format!(
        "  {:<8} {:>10.0} {:>10.0} {:>5.0}% {:>8} {:>8} {:>9} {:>10.0} {:>9} {:<10} {}",
        phase,
        r.tx.offered_tps,
        r.tx.commit_rate_tps,
        r.committed_fraction * 100.0,
        ms(r.tx.latency_us.p50),
        ms(r.tx.latency_us.p99),
        ms(r.tx.latency_uncorrected_us.p99),
        r.queue.end,
        ProcessMemory::peak_cell(r.memory.as_ref()),
        r.bottleneck,
        verdict
    )
}

/// Per-stage busy %, cost per transaction and back-pressure of `r`.
pub fn print_stages(r: &RateResult) {
    println!(
        "  {:<10} {:<12} {:>7} {:>12} {:>9} {:>10} {:>11}",
        "stage", "cores", "busy %", "ns/tx", "stalls", "max queue", "mean batch"
    );
    for s in &r.stages {
        println!(
            "  {:<10} {:<12} {:>7.1} {:>12.0} {:>9} {:>10} {:>11.1}",
            s.name,
            format!("{:?}", s.cores),
            s.busy_pct,
            s.cost_ns_per_tx,
            s.backpressure_stalls,
            s.queue_depth_max,
            s.mean_batch
        );
    }
    println!(
        "  {:<10} {:<12} {:>7.1}   (synthetic committee, per thread; not the node's cost)",
        "committee", "", r.committee_busy_pct
    );
    println!("  {}", committee_line(r));
    for w in &r.warnings {
        println!("  warning: {w}");
    }
}

/// Whether the synthetic committee kept up over the window, or saturated (the run is then harness-bound unless
/// the node saturated too).
pub fn committee_line(r: &RateResult) -> String {
    match (&r.harness_bound, &r.committee_window) {
        (Some(why), _) => format!("HARNESS-BOUND — {why}: the node's figures here are the harness's limit"),
        (None, Some(w)) => format!(
            "committee {}: work due {:.0} % of the window, CPU {:.0} % of a core; the node's busiest stage ({}) had \
             work due {:.0} %",
            if w.working_pct >= SATURATED_WORK_PCT { "saturated beside a saturated node" } else { "kept up" },
            w.working_pct,
            w.cpu_pct,
            w.node_busiest_stage,
            w.node_working_pct
        ),
        (None, None) => "committee: window too short to sample".to_string(),
    }
}

/// `verdict` (an SLO verdict) marked when the run was harness-bound.
pub fn mark_harness_bound(r: &RateResult, verdict: String) -> String {
    if r.harness_bound.is_some() { format!("{verdict} [HARNESS-BOUND: committee saturated]") } else { verdict }
}

/// The rejections-by-reason and books lines every run prints (cluster and node mode alike).
pub fn print_tx_books(t: &TxMetrics) {
    let rejected: Vec<String> =
        t.rejected.iter().filter(|(_, n)| **n > 0).map(|(reason, n)| format!("{reason} {n}")).collect();
    println!("  rejected          {}", if rejected.is_empty() { "none".to_string() } else { rejected.join(", ") });
    println!("  commit gaps       longest stretch of the window without a commit: {:.0} ms", t.longest_commit_gap_ms);
    if let Some(line) = latency_split_line(t) {
        println!("  {line}");
    }
    let b = &t.books;
    println!(
        "  books             submitted {} = committed {} + rejected {} + pending {}{}",
        b.submitted,
        b.committed,
        b.rejected,
        b.pending,
        if b.balanced() { "" } else { "  (UNBALANCED)" }
    );
}

/// "p50 / p99" of a latency part (ms).
pub fn p50_p99_ms(s: &crate::measure::LatencySummary) -> String {
    format!("{} / {}", ms(s.p50), ms(s.p99))
}

/// Where the latency went (p50 / p99 of each part), when the node reported its blocks' times.
pub fn latency_split_line(t: &TxMetrics) -> Option<String> {
    let split = t.latency_split.as_ref()?;
    let before = split.before_proposal_us.as_ref().map_or("–".to_string(), p50_p99_ms);
    Some(format!(
        "latency split     p50 / p99 ms: before its block {before} · proposal → commit {} · commit → reported {} ({} txs)",
        p50_p99_ms(&split.proposal_to_commit_us),
        p50_p99_ms(&split.commit_to_report_us),
        split.txs
    ))
}

/// The books and generator lines of `r`.
pub fn print_books(r: &RateResult) {
    print_tx_books(&r.tx);
    let g = &r.generator;
    println!(
        "  generator         {} (own lateness > {} ms: {} of {}; p99 {} ms, max {} ms; back-pressure: {} stalls, \
         {:.1} ms blocked, {} late because of it)",
        if g.valid { "kept its schedule" } else { "FELL BEHIND — run invalid" },
        ms(g.late_threshold_us),
        g.late,
        g.submitted,
        ms(g.p99_lag_us),
        ms(g.max_lag_us),
        g.backpressure_stalls,
        g.backpressure_blocked_us as f64 / 1e3,
        g.backpressure_late
    );
}
