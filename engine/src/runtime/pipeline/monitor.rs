//! The monitor thread: samples every stage's input queue depth every 100 ms and records per-second deltas of
//! every stage's counters (the time series of the report); the newest point of each stage is also published
//! ([`LatestPoints`]) for whoever watches the run live.

use super::metrics::StageCounters;
use super::report::{StageSample, busy_pct};
use super::stage::StageProbe;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Queue-depth sampling period.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Samples per time-series point (one point per second).
const SAMPLES_PER_POINT: u32 = 10;

/// Depth statistics and time series of one stage.
#[derive(Clone, Debug, Default)]
pub(crate) struct StageSeries {
    pub depth_max: u64,
    pub depth_sum: u64,
    pub depth_samples: u64,
    pub series: Vec<StageSample>,
}

/// The newest one-second point of each stage (probe order), `None` before its first second.
pub(crate) type LatestPoints = Arc<Mutex<Vec<Option<StageSample>>>>;

/// Runs until `stop`; returns one series per probe, in probe order, and keeps `latest` at each newest point.
pub(crate) fn run_monitor(
    probes: Arc<Vec<StageProbe>>,
    start: Instant,
    stop: Arc<AtomicBool>,
    latest: LatestPoints,
) -> Vec<StageSeries> {
    let mut out = vec![StageSeries::default(); probes.len()];
    let mut last: Vec<StageCounters> = probes.iter().map(|p| p.metrics.counters()).collect();
    let mut interval_max = vec![0u64; probes.len()];
    let mut last_t = Instant::now();
    let mut tick = 0u32;
    let mut next = Instant::now() + SAMPLE_EVERY;
    while !stop.load(Relaxed) {
        std::thread::sleep(next.saturating_duration_since(Instant::now()).min(Duration::from_millis(20)));
        if Instant::now() < next {
            continue;
        }
        next += SAMPLE_EVERY;
        for (i, p) in probes.iter().enumerate() {
            let d = p.depth();
            out[i].depth_max = out[i].depth_max.max(d);
            out[i].depth_sum += d;
            out[i].depth_samples += 1;
            interval_max[i] = interval_max[i].max(d);
        }
        tick += 1;
        if tick.is_multiple_of(SAMPLES_PER_POINT) {
            let now = Instant::now();
            let wall = (now - last_t).as_nanos() as u64;
            last_t = now;
            for (i, p) in probes.iter().enumerate() {
                let c = p.metrics.counters();
                let d = c.since(&last[i]);
                last[i] = c;
                if d.stalls > 0 {
                    tracing::debug!(
                        target: "hsbench_engine::backpressure",
                        stage = p.kind.name(),
                        stalls = d.stalls,
                        stalled_ms = d.stall_ns as f64 / 1e6,
                        queue_depth_max = interval_max[i],
                        "back-pressure: the stage's producer found its queue full"
                    );
                }
                let point = StageSample {
                    t_s: (now - start).as_secs_f64(),
                    busy_pct: busy_pct(d.busy_ns, p.threads, wall),
                    items_in: d.items_in,
                    items_out: d.items_out,
                    stalls: d.stalls,
                    queue_depth_max: std::mem::take(&mut interval_max[i]),
                };
                if let Some(slot) = latest.lock().unwrap_or_else(|e| e.into_inner()).get_mut(i) {
                    *slot = Some(point.clone());
                }
                out[i].series.push(point);
            }
        }
    }
    out
}
