//! What the live view shows, computed from the two sources a node-mode run already has: the load driver's
//! snapshot (books, generator lag, the last second of commits) and the pipeline's snapshot (each stage's newest
//! one-second point of the monitor's series, and its queue depth now). Pure data, so it is tested without a
//! terminal.

use crate::measure::{Phase, Snapshot};
use hsbench_engine::runtime::pipeline::PipelineSnapshot;

/// One stage's row.
#[derive(Clone, Debug, PartialEq)]
pub struct StageRow {
    /// Stage name.
    pub name: String,
    /// Busy share of its threads over the last second (%); `None` before the first second.
    pub busy_pct: Option<f64>,
    /// Batches waiting in its input queue now.
    pub queue_depth: u64,
    /// Deepest input queue over the last second (batches).
    pub queue_depth_max: Option<u64>,
    /// Back-pressure stalls (its producer found its queue full) over the last second.
    pub stalls: Option<u64>,
    /// Items it took in over the last second.
    pub items_in: Option<u64>,
}

/// Everything one refresh of the view shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Load or drain.
    pub draining: bool,
    /// Seconds since the load started.
    pub elapsed_s: f64,
    /// Committed per second over the last whole second.
    pub committed_tps: f64,
    /// p99 latency (from intended send time) of the last second's commits (ms).
    pub p99_ms: f64,
    /// How late the generator's most recent submission was (ms).
    pub lag_ms: f64,
    /// Transactions submitted so far.
    pub submitted: u64,
    /// Submitted, neither committed nor rejected yet.
    pub pending: u64,
    /// Pipeline stages, in pipeline order.
    pub stages: Vec<StageRow>,
}

impl Figures {
    /// The figures of one moment of a run.
    pub fn of(s: &Snapshot, pipeline: &PipelineSnapshot) -> Figures {
        let (second, length) = s.last_second;
        Figures {
            draining: s.phase == Phase::Drain,
            elapsed_s: s.elapsed.as_secs_f64(),
            committed_tps: second.committed_tps(length),
            p99_ms: second.p99_us as f64 / 1e3,
            lag_ms: s.lag.as_secs_f64() * 1e3,
            submitted: s.books.submitted,
            pending: s.books.pending,
            stages: pipeline
                .stages
                .iter()
                .map(|st| {
                    let last = st.last_second.as_ref();
                    StageRow {
                        name: st.name.clone(),
                        busy_pct: last.map(|l| l.busy_pct),
                        queue_depth: st.queue_depth,
                        queue_depth_max: last.map(|l| l.queue_depth_max),
                        stalls: last.map(|l| l.stalls),
                        items_in: last.map(|l| l.items_in),
                    }
                })
                .collect(),
        }
    }
}
