//! Typed views of a result's `metrics`, one per kind: the subset of the fields that the writers in `run`,
//! `ceiling`, `crypto`, `tune` and `plan` serialize and that `report`, `plan` and `compare` read back. Field names
//! and types follow the writers' structs (named on each view); fields a reader can do without are `Option` or
//! `#[serde(default)]`, so older files and test fixtures with fewer fields still load, and a field a command
//! needs is asked for with [`super::read::ResultDoc::need`] (an error naming the field when it is absent).

use serde::Deserialize;

/// Latency percentiles (µs), read from a `LatencySummary`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct Percentiles {
    /// Median.
    #[serde(rename = "p50")]
    pub p50_us: f64,
    /// 90th percentile.
    #[serde(rename = "p90")]
    pub p90_us: f64,
    /// 99th percentile.
    #[serde(rename = "p99")]
    pub p99_us: f64,
    /// 99.9th percentile.
    #[serde(rename = "p999")]
    pub p999_us: f64,
    /// Largest.
    #[serde(rename = "max")]
    pub max_us: f64,
}

impl Percentiles {
    /// `(label, µs)` from p50 to max.
    pub fn points(&self) -> [(&'static str, f64); 5] {
        [
            ("p50", self.p50_us),
            ("p90", self.p90_us),
            ("p99", self.p99_us),
            ("p99.9", self.p999_us),
            ("max", self.max_us),
        ]
    }
}

/// One pipeline stage's measured cost, read from a `StageBusy`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StageCost {
    /// Stage name (ingress, sigverify, node, execution, storage).
    pub name: String,
    /// Cores it was pinned to.
    #[serde(default)]
    pub cores: Vec<u64>,
    /// Busy time ÷ (threads × run time), percent.
    pub busy_pct: f64,
    /// Busy core-nanoseconds per committed transaction.
    pub cost_ns_per_tx: f64,
}

/// The `metrics` of a `run` result (cluster: `RunMetrics`; node: `NodeRunMetrics`, flattening a `RateResult`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct RunView {
    /// Committed rate in the window (tx/s).
    pub committed_tps: Option<f64>,
    /// Offered rate in the window (tx/s).
    pub offered_tps: Option<f64>,
    /// Node mode: whether the rate met the SLO.
    pub slo_pass: Option<bool>,
    /// Cluster mode: whether the nodes agree.
    pub consistent: Option<bool>,
    /// Corrected latency.
    pub latency_us: Option<Percentiles>,
    /// Latency from acceptance.
    pub latency_uncorrected_us: Option<Percentiles>,
    /// Node mode: bottleneck stage.
    pub bottleneck: Option<String>,
    /// Node mode: per-stage cost.
    pub stages: Option<Vec<StageCost>>,
    /// Node mode: the committee's busy %.
    pub committee_busy_pct: Option<f64>,
    /// Node mode: why the run measured the harness (the synthetic committee saturated); absent when it did not.
    #[serde(default)]
    pub harness_bound: Option<String>,
    /// Node mode: where each transaction's latency went.
    #[serde(default)]
    pub latency_split: Option<LatencySplitView>,
    /// `hsbench cluster`: each validator process's report (only the parts the readers use).
    #[serde(default)]
    pub nodes: Vec<NodeView>,
    /// The run's process memory (node mode: the node and its committee; over the wire: validator 0; the
    /// in-process cluster: every validator); absent in results from before it was recorded.
    #[serde(default)]
    pub memory: Option<MemoryView>,
    /// Node mode: blocks that committed the run's transactions.
    #[serde(default)]
    pub blocks_with_txs: Option<u64>,
    /// Node mode: how long the load ran (s).
    #[serde(default)]
    pub duration_s: Option<f64>,
}

/// A process's resident memory, read from a `ProcessMemory`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct MemoryView {
    /// Peak resident set (bytes).
    pub peak_rss_bytes: u64,
    /// Whether the peak is the run's own (false: the process's since it started).
    #[serde(default)]
    pub peak_since_run_start: bool,
}

impl MemoryView {
    /// The peak in MiB.
    pub fn peak_mib(&self) -> f64 {
        hsbench_engine::runtime::pipeline::mib(self.peak_rss_bytes)
    }
}

/// A transaction's corrected latency in three parts, read from a `LatencySplit` (µs).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct LatencySplitView {
    /// Intended send → its block's proposal; absent in a validator process's own split.
    #[serde(default)]
    pub before_proposal_us: Option<Percentiles>,
    /// Proposal → commit.
    pub proposal_to_commit_us: Percentiles,
    /// Commit → reported committed.
    pub commit_to_report_us: Percentiles,
    /// Transactions split.
    pub txs: u64,
}

/// One validator process of a cluster run, read from a `NodeFile`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NodeView {
    /// Validator id.
    pub id: u64,
    /// Its own blocks' part of the latency.
    #[serde(default)]
    pub latency_split: Option<LatencySplitView>,
    /// Its process's memory.
    #[serde(default)]
    pub memory: Option<MemoryView>,
}

/// What a ceiling probe measured (its `result`, a `RateResult`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ProbeView {
    /// Offered rate measured in the window (tx/s).
    pub offered_tps: Option<f64>,
    /// Committed rate (tx/s).
    pub committed_tps: f64,
    /// Corrected latency.
    pub latency_us: Percentiles,
    /// Latency from acceptance.
    pub latency_uncorrected_us: Option<Percentiles>,
    /// The committee's busy %.
    pub committee_busy_pct: Option<f64>,
    /// Why this probe measured the harness (the synthetic committee saturated); absent when it did not.
    #[serde(default)]
    pub harness_bound: Option<String>,
    /// Per-stage cost at this probe's rate (absent in results written before probes recorded it).
    #[serde(default)]
    pub stages: Option<Vec<StageCost>>,
    /// Where each transaction's latency went at this probe's rate.
    #[serde(default)]
    pub latency_split: Option<LatencySplitView>,
    /// The process's memory during this probe.
    #[serde(default)]
    pub memory: Option<MemoryView>,
    /// Blocks that committed this probe's transactions.
    #[serde(default)]
    pub blocks_with_txs: Option<u64>,
    /// How long the load ran (s).
    #[serde(default)]
    pub duration_s: Option<f64>,
}

/// One probe of a ceiling search, read from a `CurvePoint`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CurvePointRecord {
    /// `double`, `bisect` or `confirm`.
    pub phase: String,
    /// Rate asked for (tx/s).
    pub rate_tps: f64,
    /// Met the SLO.
    #[serde(default)]
    pub pass: bool,
    /// What was measured.
    pub result: ProbeView,
}

/// The raw sigverify bound of a ceiling (a `VerifyThroughput`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BoundView {
    /// Verifies per second.
    pub verifies_per_s: f64,
}

/// The `metrics` of a `ceiling` result (`CeilingMetrics`, flattening a `CeilingOutcome`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct CeilingView {
    /// Highest rate that met the SLO (tx/s offered).
    pub ceiling_tps: Option<f64>,
    /// Mean committed rate of the confirmation runs.
    pub committed_tps_mean: Option<f64>,
    /// CV of the confirmation runs.
    pub cv: Option<f64>,
    /// Confirmation runs.
    pub repeats: Option<u64>,
    /// Whether every confirmation run passed.
    pub confirmed: Option<bool>,
    /// p50 of the merged confirmation runs (µs).
    pub p50_us: Option<f64>,
    /// p99 of the merged confirmation runs (µs).
    pub p99_us: Option<f64>,
    /// The search's notes.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The probes.
    #[serde(default)]
    pub curve: Vec<CurvePointRecord>,
    /// Bottleneck stage of the last confirmation run.
    pub bottleneck: Option<String>,
    /// Per-stage cost of the last confirmation run.
    pub stages: Option<Vec<StageCost>>,
    /// The committee's busy % (older ceilings keep it in each probe only).
    pub committee_busy_pct: Option<f64>,
    /// The raw sigverify bound.
    pub raw_bound: Option<BoundView>,
    /// Ceiling ÷ bound.
    pub ceiling_to_bound: Option<f64>,
    /// Where the search stopped because the synthetic committee saturated first (then `ceiling_tps` is absent).
    #[serde(default)]
    pub harness_bound: Option<HarnessBoundView>,
}

/// A ceiling search stopped by the harness, read from a `HarnessBound`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HarnessBoundView {
    /// The rate whose probe failed with the committee saturated (tx/s offered).
    pub at_tps: f64,
    /// The highest rate that met the SLO before it (tx/s offered).
    #[serde(default)]
    pub passed_tps: Option<f64>,
    /// What saturated, with its numbers.
    #[serde(default)]
    pub reason: String,
}

impl HarnessBoundView {
    /// One line for tables: where and why.
    pub fn headline(&self) -> String {
        format!("harness-bound at {:.0} tx/s ({})", self.at_tps, self.reason)
    }
}

/// One crypto sweep cell, read from a `Cell`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CellRecord {
    /// Operation.
    pub op: String,
    /// Backend.
    pub backend: String,
    /// Items per call.
    pub batch: u64,
    /// `measured`, or why not.
    pub status: Option<String>,
    /// Items/s.
    pub items_per_s: Option<f64>,
    /// CV over the repeats.
    pub cv: Option<f64>,
    /// For gpu: what ran where during the cell (absent in older files and CPU cells).
    #[serde(default)]
    pub gpu: Option<hsbench_kernels::GpuStats>,
}

/// One operation's CPU/GPU crossover, read from a `Crossover`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CrossoverView {
    /// Operation.
    pub op: String,
    /// Batch size from which the gpu wins, when it does.
    pub batch: Option<u64>,
    /// The sweep's note.
    #[serde(default)]
    pub note: String,
}

/// The GPU of a crypto result.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct GpuView {
    /// Adapter label.
    pub label: Option<String>,
}

/// The `metrics` of a `crypto` result (`CryptoMetrics`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct CryptoView {
    /// The cells.
    pub cells: Option<Vec<CellRecord>>,
    /// Crossovers per operation.
    #[serde(default)]
    pub crossovers: Vec<CrossoverView>,
    /// The GPU, when the gpu backend ran.
    pub gpu: Option<GpuView>,
}

/// One configuration of a tune result's ranking, read from a `Ranked`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TuneRank {
    /// What was tried.
    pub label: String,
    /// Its ceiling (tx/s), `None` when none was found.
    pub ceiling_tps: Option<f64>,
    /// Its bottleneck stage.
    #[serde(default)]
    pub bottleneck: String,
    /// Whether it is the configuration as given (the search's start).
    #[serde(default)]
    pub is_default: bool,
}

/// The `metrics` of a `tune` result (`TuneMetrics`, flattening a `TuneOutcome`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct TuneView {
    /// The ranking.
    pub ranking: Option<Vec<TuneRank>>,
    /// Where the best configuration was written.
    pub best_config: Option<String>,
}

/// A planned figure's value (`Figure<u64>` of a plan).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FigureView {
    /// The value.
    pub value: u64,
}

/// The CPU-only part of a plan (`CpuPlan`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CpuPlanView {
    /// Cores in all.
    pub total_cores: FigureView,
}

/// The `metrics` of a `plan` result (`PlanMetrics`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct PlanView {
    /// Target rate (tx/s).
    pub target_tps: Option<f64>,
    /// The CPU-only plan.
    pub cpu_only: Option<CpuPlanView>,
}

/// A result's `metrics`, by kind; other kinds are not read.
#[derive(Clone, Debug, PartialEq)]
pub enum Metrics {
    /// `kind: "run"`.
    Run(RunView),
    /// `kind: "ceiling"`.
    Ceiling(CeilingView),
    /// `kind: "crypto"`.
    Crypto(CryptoView),
    /// `kind: "tune"`.
    Tune(TuneView),
    /// `kind: "plan"`.
    Plan(PlanView),
    /// Any other kind.
    Other,
}

/// The SLO of a result's effective configuration (`[slo]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct SloView {
    /// p99 limit (ms).
    pub p99_ms: Option<f64>,
    /// Least committed fraction of the offered load.
    pub min_committed_fraction: Option<f64>,
}

/// What a result's effective configuration says of blocks (`[consensus]` and `[provisioning]`): how often they may
/// come and how large they may be, which `plan` needs to pay per-block work and to say what caps the rate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BlockConfigView {
    /// `consensus.min_block_interval_ms`.
    pub min_block_interval_ms: Option<f64>,
    /// `provisioning.max_block_txs`.
    pub max_block_txs: Option<u64>,
}

/// `[consensus]`, the part the readers use.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ConsensusView {
    /// Least time between a leader's proposals (ms).
    pub min_block_interval_ms: Option<f64>,
}

/// `[provisioning]`, the part the readers use.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ProvisioningView {
    /// Most transactions in a block.
    pub max_block_txs: Option<u64>,
}

/// The part of the effective configuration that the readers use.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ConfigView {
    /// `[slo]`, when the configuration has one.
    pub slo: Option<SloView>,
    /// `[consensus]`, when the configuration has one.
    pub consensus: Option<ConsensusView>,
    /// `[provisioning]`, when the configuration has one.
    pub provisioning: Option<ProvisioningView>,
}

impl ConfigView {
    /// What it says of blocks.
    pub fn blocks(&self) -> BlockConfigView {
        BlockConfigView {
            min_block_interval_ms: self.consensus.as_ref().and_then(|c| c.min_block_interval_ms),
            max_block_txs: self.provisioning.as_ref().and_then(|p| p.max_block_txs),
        }
    }
}

/// Latency spectrum shown for a result: corrected (from intended send time) and uncorrected latency of one
/// measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencySpectrum {
    /// Coordinated-omission corrected.
    pub corrected: Percentiles,
    /// From acceptance (what a closed-loop client would see), when recorded.
    pub uncorrected: Option<Percentiles>,
    /// Which measurement it is.
    pub origin: String,
}

/// One probe of a ceiling search, flattened for the figures.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePointView {
    /// `double`, `bisect` or `confirm`.
    pub phase: String,
    /// Rate asked for (tx/s).
    pub rate_tps: f64,
    /// Met the SLO.
    pub pass: bool,
    /// Offered rate measured in the window (tx/s; the asked rate when not recorded).
    pub offered_tps: f64,
    /// Committed rate (tx/s).
    pub committed_tps: f64,
    /// Corrected latency.
    pub latency: Percentiles,
}

/// One crypto sweep cell as the report and plan use it.
#[derive(Clone, Debug, PartialEq)]
pub struct CryptoCellView {
    /// Operation (`ed25519-verify`, ...).
    pub op: String,
    /// Backend (`cpu`, `cpu-batch`, `cpu-par`, `gpu`).
    pub backend: String,
    /// Items per call.
    pub batch: u64,
    /// Items/s when measured (`None`: not implemented).
    pub items_per_s: Option<f64>,
    /// CV over the repeats.
    pub cv: Option<f64>,
    /// For a gpu Ed25519 cell that ran on the device: host, upload, compute and readback µs per item verified
    /// there.
    pub gpu_phases_us: Option<[f64; 4]>,
}
