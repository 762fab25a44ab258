//! Capacity planning: how many cores per pipeline stage (and how many GPUs for signature verification) a
//! validator needs for a target rate, from the per-stage cost per transaction measured by a ceiling or
//! node-mode run.
//!
//! Each stage's busy cores are a line in the committed rate, `fixed + marginal × rate` ([`fit`]: fitted to every
//! rate the results measured that met the SLO — a ceiling search's probes —, or proportional when they cannot
//! carry a line). For each stage, `cores = ceil(busy cores at the target ÷ utilisation)`: the busy core-time the
//! target rate needs, at a chosen utilisation ceiling so that queues stay short. That assumes the line holds
//! beyond the measured rates and when the stage gets more cores; it is a projection, and every figure says
//! whether it was measured (read from a file), fitted (a line through measured figures) or projected (computed
//! for the target).
//!
//! [`command`] reads the result files and writes the plan for `hsbench plan`.

pub mod command;
pub mod fit;

use crate::report::num::thousands;
use crate::result::read::{ResultDoc, ResultError, StageSample};
use crate::result::view::{CryptoCellView, StageCost};
use fit::{CostModel, ModelBasis, Sample};
use hsbench_engine::runtime::pipeline::StageKind;
use serde::Serialize;

/// Below this R² a fitted stage gets a note pointing at its standard errors.
const LOW_R_SQUARED: f64 = 0.5;

/// Where a figure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Read from a result file (or a mean of several).
    Measured,
    /// A line fitted to measured figures ([`fit`]), within the measured rates.
    Fitted,
    /// Extrapolated to the target rate from measured figures.
    Projected,
}

/// A figure with its [`Basis`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figure<T> {
    /// The value.
    pub value: T,
    /// Measured or projected.
    pub basis: Basis,
}

fn measured<T>(value: T) -> Figure<T> {
    Figure { value, basis: Basis::Measured }
}

fn projected<T>(value: T) -> Figure<T> {
    Figure { value, basis: Basis::Projected }
}

/// Fitted when the stage's model is a line, else measured (its cost per transaction as read).
fn line_basis(model: &CostModel) -> Basis {
    if model.is_fitted() { Basis::Fitted } else { Basis::Measured }
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A result file is unusable.
    #[error(transparent)]
    Result(#[from] ResultError),
    /// The file has no per-stage metrics.
    #[error(
        "{file}: no per-stage metrics (`metrics.stages`) in this {kind} result; plan needs a ceiling or node-mode run"
    )]
    NoStages {
        /// The file.
        file: String,
        /// Its kind.
        kind: String,
    },
    /// The crypto result has no GPU Ed25519 figures.
    #[error(
        "{file}: no measured gpu ed25519-verify cells; run `hsbench crypto --backends gpu,cpu-batch --ops ed25519-verify` on the GPU host"
    )]
    NoGpuCells {
        /// The file.
        file: String,
    },
    /// `--gpu-results` is not a crypto result.
    #[error("{file}: a {kind} result, not a crypto result")]
    NotCrypto {
        /// The file.
        file: String,
        /// Its kind.
        kind: String,
    },
}

/// One stage as a plan starts from it: what was measured and the cost line fitted to it.
#[derive(Clone, Debug, PartialEq)]
pub struct StageInput {
    /// The stage's cost and busy % where the results were measured (the mean over the files).
    pub cost: StageCost,
    /// Its busy cores as a line in the committed rate.
    pub model: CostModel,
}

/// The per-stage costs a plan starts from (one file, or the mean of several).
#[derive(Clone, Debug, PartialEq)]
pub struct StageCosts {
    /// Stages, in pipeline order.
    pub stages: Vec<StageInput>,
    /// Committed rate the costs were measured at (mean over the files), when known.
    pub measured_tps: Option<f64>,
    /// The files.
    pub files: Vec<String>,
    /// The largest peak resident memory the files recorded, when any did.
    pub memory: Option<MeasuredMemory>,
    /// The block rate per-block work is paid at in the projection, when the files say.
    pub blocks: Option<BlockRate>,
}

/// The blocks a second a plan pays per-block work at, and the block size that allows the rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockRate {
    /// Blocks a second.
    pub blocks_per_s: f64,
    /// Where the figure comes from.
    pub why: String,
    /// `provisioning.max_block_txs` of the measured configuration, when recorded.
    pub max_block_txs: Option<u64>,
}

impl BlockRate {
    /// The most blocks a second the files' configuration allows (`1000 ÷ min_block_interval_ms`, the shortest
    /// interval when they differ), else the most any sample committed; `None` when neither is known.
    fn of(docs: &[ResultDoc], samples: &[StageSample]) -> Option<Self> {
        let max_block_txs = docs.iter().filter_map(|d| d.blocks.max_block_txs).min();
        let interval = docs
            .iter()
            .filter_map(|d| d.blocks.min_block_interval_ms)
            .filter(|ms| ms.is_finite() && *ms > 0.0)
            .reduce(f64::min);
        if let Some(ms) = interval {
            return Some(BlockRate {
                blocks_per_s: 1e3 / ms,
                why: format!("the most min_block_interval_ms = {ms} allows"),
                max_block_txs,
            });
        }
        let most = samples.iter().filter_map(|s| s.blocks_per_s).reduce(f64::max)?;
        Some(BlockRate {
            blocks_per_s: most,
            why: "the most any measured rate committed (the configuration sets no interval)".to_string(),
            max_block_txs,
        })
    }
}

/// A process's peak resident memory as a result file recorded it (what a plan says about RAM: measured, never
/// projected — resident memory does not grow in proportion to the rate).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasuredMemory {
    /// Peak resident set (MiB).
    pub peak_mib: Figure<f64>,
    /// Which process and measurement (e.g. "the last confirmation run (8000 tx/s)").
    pub what: String,
    /// The file.
    pub file: String,
}

impl MeasuredMemory {
    /// The largest peak among `docs`' memory figures.
    fn largest(docs: &[ResultDoc]) -> Option<Self> {
        docs.iter()
            .flat_map(|d| d.memory().into_iter().map(move |(what, m)| (d, what, m)))
            .max_by_key(|(_, _, m)| m.peak_rss_bytes)
            .map(|(d, what, m)| MeasuredMemory {
                peak_mib: measured(m.peak_mib()),
                what,
                file: d.path.display().to_string(),
            })
    }
}

impl StageCosts {
    /// The stage costs of `docs`: each stage's cost and busy % is the mean over the files that have it; the
    /// core layout is the first file's. Each stage's line is fitted to the samples of every file
    /// ([`ResultDoc::stage_samples`]; a file with none — a node run that failed its SLO — gives its own figures
    /// as one sample).
    pub fn from_docs(docs: &[ResultDoc]) -> Result<Self, PlanError> {
        let mut per_file = Vec::new();
        let mut rates = Vec::new();
        let mut samples: Vec<StageSample> = Vec::new();
        for d in docs {
            let stages = d
                .stages()
                .ok_or_else(|| PlanError::NoStages { file: d.path.display().to_string(), kind: d.label() })?;
            if let Some(r) = d.stage_rate_tps() {
                rates.push(r);
            }
            let mut own = d.stage_samples();
            if own.is_empty()
                && let Some(r) = d.stage_rate_tps()
            {
                own.push(StageSample { tps: r, blocks_per_s: None, stages: stages.clone() });
            }
            samples.extend(own);
            per_file.push(stages);
        }
        let mut stages: Vec<StageCost> = per_file.first().cloned().unwrap_or_default();
        for s in &mut stages {
            let same: Vec<&StageCost> = per_file.iter().filter_map(|f| f.iter().find(|x| x.name == s.name)).collect();
            let n = same.len().max(1) as f64;
            s.cost_ns_per_tx = same.iter().map(|x| x.cost_ns_per_tx).sum::<f64>() / n;
            s.busy_pct = same.iter().map(|x| x.busy_pct).sum::<f64>() / n;
        }
        let measured_tps = (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64);
        let blocks = BlockRate::of(docs, &samples);
        let stages = stages
            .into_iter()
            .map(|cost| {
                let points: Vec<Sample> = samples
                    .iter()
                    .filter_map(|s| {
                        let at = s.stages.iter().find(|x| x.name == cost.name)?;
                        Some(Sample::from_cost(s.tps, s.blocks_per_s, at.cost_ns_per_tx))
                    })
                    .collect();
                StageInput { model: fit::fit(&points, blocks.as_ref().map(|b| b.blocks_per_s)), cost }
            })
            .collect();
        Ok(StageCosts {
            stages,
            measured_tps,
            files: docs.iter().map(|d| d.path.display().to_string()).collect(),
            memory: MeasuredMemory::largest(docs),
            blocks,
        })
    }
}

/// The GPU figures a plan uses, from a crypto result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GpuCapacity {
    /// The crypto result.
    pub file: String,
    /// The adapter's label, when recorded.
    pub adapter: Option<String>,
    /// Batch size of the fastest gpu ed25519-verify cell.
    pub best_batch: u64,
    /// Its throughput (verifies/s).
    pub items_per_s: f64,
    /// Batch size from which the gpu beats the best CPU backend, when it does.
    pub crossover_batch: Option<u64>,
}

impl GpuCapacity {
    /// The fastest measured gpu ed25519-verify cell of a crypto result (ties: the smaller batch).
    pub fn from_doc(doc: &ResultDoc) -> Result<Self, PlanError> {
        let file = doc.path.display().to_string();
        if doc.kind != "crypto" {
            return Err(PlanError::NotCrypto { file, kind: doc.label() });
        }
        let cells = doc.crypto_cells()?;
        let best = best_gpu_cell(&cells).ok_or_else(|| PlanError::NoGpuCells { file: file.clone() })?;
        let crossover_batch = doc.crossovers().into_iter().find(|x| x.op == "ed25519-verify").and_then(|x| x.batch);
        Ok(GpuCapacity {
            file,
            adapter: doc.gpu_label(),
            best_batch: best.batch,
            items_per_s: best.items_per_s.unwrap_or(0.0),
            crossover_batch,
        })
    }
}

fn best_gpu_cell(cells: &[CryptoCellView]) -> Option<&CryptoCellView> {
    cells
        .iter()
        .filter(|c| c.op == "ed25519-verify" && c.backend == "gpu" && c.items_per_s.is_some_and(|r| r > 0.0))
        .min_by(|a, b| {
            let (ra, rb) = (a.items_per_s.unwrap_or(0.0), b.items_per_s.unwrap_or(0.0));
            rb.total_cmp(&ra).then(a.batch.cmp(&b.batch))
        })
}

/// One stage of the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StagePlan {
    /// Stage name.
    pub name: String,
    /// Busy core-ns per committed transaction where it was measured.
    pub cost_ns_per_tx: Figure<f64>,
    /// Busy % where it was measured.
    pub busy_pct: Figure<f64>,
    /// Busy cores at any rate (the fixed part: per-block work at the planned blocks a second, and per-second
    /// work).
    pub fixed_cores: Figure<f64>,
    /// Busy core-µs each block adds (0 unless the model is per block).
    pub per_block_us: Figure<f64>,
    /// Busy core-ns each further transaction adds (the model's slope in the rate).
    pub marginal_ns_per_tx: Figure<f64>,
    /// How the line was obtained (fitted, or proportional and why).
    pub model: ModelBasis,
    /// Cores it had where it was measured.
    pub measured_cores: Figure<Vec<u64>>,
    /// Cores the target needs, unrounded.
    pub cores_exact: Figure<f64>,
    /// Cores the target needs (rounded up, at least 1).
    pub cores: Figure<u64>,
    /// The rate at which those cores would be 100 % busy.
    pub saturates_at_tps: Figure<f64>,
}

/// The component that runs out first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Saturation {
    /// Stage name (or `gpu`).
    pub stage: String,
    /// The rate at which it is 100 % busy.
    pub at_tps: Figure<f64>,
}

/// The all-CPU plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CpuPlan {
    /// Cores over all stages.
    pub total_cores: Figure<u64>,
    /// The stage whose planned cores saturate first.
    pub saturates_first: Saturation,
}

/// One core of the measured layout, with every stage that ran on it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoreLoad {
    /// Core id.
    pub core: u64,
    /// Stages pinned to it.
    pub stages: Vec<String>,
    /// Their busy ns per transaction on this core where measured (a stage on k cores counts 1/k here).
    pub ns_per_tx: Figure<f64>,
    /// The fixed parts of their lines on this core (1/k each).
    pub fixed_cores: Figure<f64>,
    /// The marginal costs of their lines on this core (1/k each).
    pub marginal_ns_per_tx: Figure<f64>,
    /// The rate at which this core would be 100 % busy.
    pub saturates_at_tps: Figure<f64>,
}

/// The plan with signature verification on GPUs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GpuPlan {
    /// The GPU's measured figures.
    pub capacity: GpuCapacity,
    /// GPUs of that kind for the target.
    pub gpus: Figure<u64>,
    /// CPU cores of every other stage.
    pub host_cores: Figure<u64>,
    /// Time the target rate takes to fill one best-size batch (added latency), ms.
    pub batch_fill_ms: Figure<f64>,
    /// What runs out first with the GPUs in place.
    pub saturates_first: Saturation,
}

/// The `metrics` of a `kind: "plan"` result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanMetrics {
    /// Target rate (tx/s).
    pub target_tps: f64,
    /// Highest planned busy fraction per core.
    pub utilisation: f64,
    /// The result files the costs come from.
    pub sources: Vec<String>,
    /// How they were chosen (given, or the newest ceiling result).
    pub source_note: String,
    /// Committed rate the costs were measured at.
    pub measured_tps: Option<Figure<f64>>,
    /// Per stage.
    pub stages: Vec<StagePlan>,
    /// All on CPUs.
    pub cpu_only: CpuPlan,
    /// The measured core layout, core by core, and when it saturates.
    pub measured_layout: Vec<CoreLoad>,
    /// With GPU signature verification, when a crypto result was given.
    pub gpu: Option<GpuPlan>,
    /// The highest rate this pipeline design reaches whatever the core count: the stages that do not widen with
    /// cores (`StageKind::widens`: all but sigverify, admission, execution and vote_crypto) run one thread, so the slowest of them caps
    /// the node. The node thread's limit counts its wait for the admission shards (fork–join) when the results have an
    /// admission stage.
    pub one_thread_limit: Saturation,
    /// Caveats.
    pub notes: Vec<String>,
    /// RAM: the largest peak resident memory the source files measured (not projected to the target).
    pub memory: Option<MeasuredMemory>,
    /// The blocks a second per-block work is paid at, when the source files say.
    pub blocks: Option<BlockRate>,
}

/// The node's stages that get a thread per core (the engine's rule), named for the reader: "sigverify, admission,
/// execution and vote_crypto".
fn widening_stages() -> String {
    let names: Vec<&str> = StageKind::PIPELINE.into_iter().filter(|k| k.widens()).map(StageKind::name).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// Whether the stage named `name` gets a thread per core it is given (the engine's rule); an unknown name does not.
fn widens(name: &str) -> bool {
    StageKind::from_name(name).is_some_and(StageKind::widens)
}

/// Cores that keep `cost_ns_per_tx` at `target_tps` below `utilisation`: unrounded and rounded up (≥ 1).
pub fn cores_needed(target_tps: f64, cost_ns_per_tx: f64, utilisation: f64) -> (f64, u64) {
    round_cores(target_tps * cost_ns_per_tx / 1e9 / utilisation)
}

/// `exact` cores and that rounded up (≥ 1).
fn round_cores(exact: f64) -> (f64, u64) {
    // A hair below an integer is that integer, not the next one (floating-point noise).
    let rounded = (exact - 1e-9).ceil().max(1.0);
    (exact, rounded as u64)
}

fn first(items: impl Iterator<Item = (String, f64)>) -> Saturation {
    let (stage, at) = items.min_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or_else(|| ("none".to_string(), f64::INFINITY));
    Saturation { stage, at_tps: projected(at) }
}

/// The plan for `target_tps` at `utilisation` from `costs` and, optionally, a GPU's capacity.
pub fn plan(
    target_tps: f64,
    utilisation: f64,
    costs: &StageCosts,
    gpu: Option<GpuCapacity>,
    source_note: String,
) -> PlanMetrics {
    let node_busy =
        costs.stages.iter().find(|s| s.cost.name == StageKind::Node.name()).map(|s| s.model.busy_cores(target_tps));
    let stages: Vec<StagePlan> = costs
        .stages
        .iter()
        .map(|StageInput { cost: s, model }| {
            let own = model.busy_cores(target_tps) / utilisation;
            // Admission also gets the shards that keep the node thread's wait for them (busy ÷ shards) inside the
            // node thread's room at the target, when it has room at all.
            let for_node_wait = match node_busy {
                Some(node) if s.name == StageKind::Admission.name() && node < utilisation => {
                    model.busy_cores(target_tps) / (utilisation - node)
                }
                _ => 0.0,
            };
            let (exact, cores) = round_cores(own.max(for_node_wait));
            let line = |value| Figure { value, basis: line_basis(model) };
            StagePlan {
                name: s.name.clone(),
                cost_ns_per_tx: measured(s.cost_ns_per_tx),
                busy_pct: measured(s.busy_pct),
                fixed_cores: line(model.fixed_cores),
                per_block_us: line(model.per_block_us),
                marginal_ns_per_tx: line(model.marginal_ns_per_tx),
                model: model.basis.clone(),
                measured_cores: measured(s.cores.clone()),
                cores_exact: projected(exact),
                cores: projected(cores),
                saturates_at_tps: projected(model.saturation_tps(cores as f64)),
            }
        })
        .collect();
    let cpu_only = CpuPlan {
        total_cores: projected(stages.iter().map(|s| s.cores.value).sum()),
        saturates_first: first(stages.iter().map(|s| (s.name.clone(), s.saturates_at_tps.value))),
    };
    let mut measured_layout: Vec<CoreLoad> = Vec::new();
    for StageInput { cost: s, model } in &costs.stages {
        for &core in &s.cores {
            let k = s.cores.len() as f64;
            let (share, fixed, marginal) = (s.cost_ns_per_tx / k, model.fixed_cores / k, model.marginal_ns_per_tx / k);
            match measured_layout.iter_mut().find(|c| c.core == core) {
                Some(c) => {
                    c.stages.push(s.name.clone());
                    c.ns_per_tx.value += share;
                    c.fixed_cores.value += fixed;
                    c.marginal_ns_per_tx.value += marginal;
                    // A sum with one fitted term is fitted.
                    if model.is_fitted() {
                        (c.fixed_cores.basis, c.marginal_ns_per_tx.basis) = (Basis::Fitted, Basis::Fitted);
                    }
                }
                None => measured_layout.push(CoreLoad {
                    core,
                    stages: vec![s.name.clone()],
                    ns_per_tx: measured(share),
                    fixed_cores: Figure { value: fixed, basis: line_basis(model) },
                    marginal_ns_per_tx: Figure { value: marginal, basis: line_basis(model) },
                    saturates_at_tps: projected(0.0),
                }),
            }
        }
    }
    measured_layout.sort_by_key(|c| c.core);
    for c in &mut measured_layout {
        c.saturates_at_tps.value = fit::saturation_tps(c.fixed_cores.value, c.marginal_ns_per_tx.value, 1.0);
    }
    let gpu = gpu.map(|capacity| {
        let (_, gpus) = cores_needed(target_tps, 1e9 / capacity.items_per_s.max(f64::MIN_POSITIVE), utilisation);
        let others = stages.iter().filter(|s| s.name != "sigverify");
        let host_cores = others.clone().map(|s| s.cores.value).sum();
        let gpu_at = gpus as f64 * capacity.items_per_s;
        let saturates_first =
            first(others.map(|s| (s.name.clone(), s.saturates_at_tps.value)).chain([("gpu".to_string(), gpu_at)]));
        GpuPlan {
            gpus: projected(gpus),
            host_cores: projected(host_cores),
            batch_fill_ms: projected(capacity.best_batch as f64 / target_tps * 1e3),
            saturates_first,
            capacity,
        }
    });
    let admission = costs.stages.iter().zip(&stages).find(|(s, _)| s.cost.name == StageKind::Admission.name());
    // The node thread hands admission's work (batches, a proposal's lookups, the executed state, block building's
    // walks) to the shards and waits (fork–join): the shards' busy time ÷ their planned cores is on its thread too.
    let node_wait = admission.map(|(s, planned)| {
        let shards = planned.cores.value.max(1) as f64;
        (s.model.fixed_cores / shards, s.model.marginal_ns_per_tx / shards, planned.cores.value.max(1))
    });
    let one_thread_limit = first(costs.stages.iter().filter(|s| !widens(&s.cost.name)).map(|s| {
        let (fixed, marginal) = (s.model.fixed_cores, s.model.marginal_ns_per_tx);
        let at = match node_wait {
            Some((wait_fixed, wait_marginal, _)) if s.cost.name == StageKind::Node.name() => {
                fit::saturation_tps(fixed + wait_fixed, marginal + wait_marginal, 1.0)
            }
            _ => s.model.saturation_tps(1.0),
        };
        (s.cost.name.clone(), at)
    }));
    let mut notes = vec![
        "each stage's busy cores are fitted to the rates measured (F): per block × blocks a second + marginal × rate \
         where the results record blocks a second, else a line fixed + marginal × rate; the projection extends the \
         fit to the target and assumes it holds when the stage gets more cores"
            .to_string(),
        "the synthetic committee's cost is not part of the node and is not planned".to_string(),
    ];
    if let Some(b) = &costs.blocks {
        notes.push(format!(
            "per-block work is paid at {:.1} blocks a second ({}): an upper bound at any rate — a leader proposes at \
             most once an interval, and under load rounds lengthen and blocks a second fall",
            b.blocks_per_s, b.why
        ));
        let needed = target_tps / b.blocks_per_s;
        if let Some(max) = b.max_block_txs.filter(|&m| (m as f64) < needed) {
            notes.push(format!(
                "at {:.1} blocks a second the target needs blocks of {} transactions, but the measured \
                 configuration's max_block_txs = {} caps the rate at {}: the plan assumes max_block_txs (and \
                 max_block_bytes with it) raised",
                b.blocks_per_s,
                thousands(needed.ceil()),
                thousands(max as f64),
                rate(max as f64 * b.blocks_per_s)
            ));
        }
    }
    if let Some((a, planned)) = admission
        && planned.cores_exact.value > a.model.busy_cores(target_tps) / utilisation + 1e-9
    {
        notes.push(format!(
            "admission gets {} cores, more than its own load needs ({:.2}), so that the node thread's wait for its \
             shards fits the node thread's room at the target",
            planned.cores.value,
            a.model.busy_cores(target_tps) / utilisation
        ));
    }
    if let Some((_, _, shards)) = node_wait {
        notes.push(format!(
            "the node thread waits for the admission shards (it hands them each batch, a proposal's lookups, the \
             executed state and block building's walks, and joins): its one-thread limit counts admission's busy \
             time ÷ its {shards} planned core(s) on top of its own"
        ));
    }
    for s in &costs.stages {
        if let (Some(r2), Some(se)) = (s.model.basis.r_squared(), s.model.basis.marginal_se_ns())
            && r2 < LOW_R_SQUARED
        {
            notes.push(format!(
                "{}: R² {r2:.2} — the fit explains little of the scatter (as where the busy time barely moves over the \
                 measured rates); the standard errors say how well its parts are determined: per transaction {} ± {} \
                 ns",
                s.cost.name,
                thousands(s.model.marginal_ns_per_tx),
                thousands(se)
            ));
        }
        if let ModelBasis::Proportional { reason, .. } = &s.model.basis {
            notes.push(format!(
                "{}: no line (the cost per transaction as measured, no fixed part): {reason}",
                s.cost.name
            ));
        }
    }
    if let Some(g) = &gpu
        && g.capacity.adapter.as_deref().is_some_and(|a| a.contains("emulation"))
    {
        notes.push(format!(
            "the gpu rows of {} ran on CPU emulation of a GPU (lavapipe): the GPU figures describe that emulation, not a \
             GPU",
            g.capacity.file
        ));
    }
    if target_tps > one_thread_limit.at_tps.value * utilisation {
        notes.push(format!(
            "{} runs on one thread in this pipeline and is 100 % busy at {}: the core counts above for it (and any \
             other single-threaded stage over one core) assume it could be split, which this pipeline does not do \
             ({} do widen with cores)",
            one_thread_limit.stage,
            rate(one_thread_limit.at_tps.value),
            widening_stages()
        ));
    }
    if gpu.is_some() {
        notes.push(
            "with GPUs: the host-side cost of feeding the GPU (batching, transfers) is not in the crypto result and is \
             not counted; the batch fill time adds to latency at the target rate"
                .to_string(),
        );
    }
    PlanMetrics {
        target_tps,
        utilisation,
        sources: costs.files.clone(),
        source_note,
        measured_tps: costs.measured_tps.map(measured),
        stages,
        cpu_only,
        measured_layout,
        gpu,
        one_thread_limit,
        memory: costs.memory.clone(),
        blocks: costs.blocks.clone(),
        notes,
    }
}

fn rate(x: f64) -> String {
    if x.is_finite() { format!("{} tx/s", thousands(x)) } else { "never".to_string() }
}

/// `value ± standard error` in a table cell (the value alone without one).
fn with_error(value: f64, se: Option<f64>) -> String {
    match se {
        Some(se) => format!("{} ± {}", thousands(value), thousands(se)),
        None => thousands(value),
    }
}

/// How a stage's line was obtained, in a table cell: `12 rates, R² 0.97`, or `proportional`.
fn line_label(model: &ModelBasis) -> String {
    match model {
        ModelBasis::PerBlock { samples, r_squared, .. } | ModelBasis::Line { samples, r_squared, .. } => {
            format!("{samples} rates, R² {r_squared:.2}")
        }
        ModelBasis::Proportional { .. } => "proportional".to_string(),
    }
}

/// The plan as a table for people; `(M)` marks measured figures, `(P)` projected ones.
pub fn render(p: &PlanMetrics) -> String {
    let mut out = format!(
        "hsbench plan — {} tx/s with every core at most {:.0} % busy\n",
        thousands(p.target_tps),
        p.utilisation * 100.0
    );
    out.push_str(&format!("  costs from {} ({})", p.sources.join(", "), p.source_note));
    if let Some(m) = &p.measured_tps {
        out.push_str(&format!(", measured at {} (M)", rate(m.value)));
    }
    out.push_str(
        "\n  (M) measured in the result files · (F) fitted to the rates they measured: busy cores = per block × \
         blocks a second + marginal × rate (fixed: the per-block part at the planned blocks a second), or fixed + \
         marginal × rate, ± a standard error of the fit · (P) projected to the target from them\n\n",
    );
    out.push_str(&format!(
        "  {:<11} {:>11} {:>10} {:>10} {:>9} {:>16} {:>17} {:>18} {:>15} {:>10} {:>22}\n",
        "stage",
        "ns/tx (M)",
        "busy % (M)",
        "cores (M)",
        "fixed (F)",
        "per block µs (F)",
        "marginal ns (F)",
        "line (F)",
        "cores exact (P)",
        "cores (P)",
        "100 % busy at (P)"
    ));
    for s in &p.stages {
        let cores: Vec<String> = s.measured_cores.value.iter().map(u64::to_string).collect();
        out.push_str(&format!(
            "  {:<11} {:>11} {:>10.1} {:>10} {:>9.3} {:>16} {:>17} {:>18} {:>15.2} {:>10} {:>22}\n",
            s.name,
            thousands(s.cost_ns_per_tx.value),
            s.busy_pct.value,
            format!("[{}]", cores.join(",")),
            s.fixed_cores.value,
            if matches!(s.model, ModelBasis::PerBlock { .. }) {
                with_error(s.per_block_us.value, s.model.per_block_se_us())
            } else {
                "—".to_string()
            },
            with_error(s.marginal_ns_per_tx.value, s.model.marginal_se_ns()),
            line_label(&s.model),
            s.cores_exact.value,
            s.cores.value,
            rate(s.saturates_at_tps.value)
        ));
    }
    out.push('\n');
    out.push_str(&format!(
        "  CPU only (P)          {} cores; first to saturate: {} at {}\n",
        p.cpu_only.total_cores.value,
        p.cpu_only.saturates_first.stage,
        rate(p.cpu_only.saturates_first.at_tps.value)
    ));
    if !p.measured_layout.is_empty() {
        let cores: Vec<String> = p
            .measured_layout
            .iter()
            .map(|c| format!("core {} ({}) {}", c.core, c.stages.join(" + "), rate(c.saturates_at_tps.value)))
            .collect();
        out.push_str(&format!("  measured layout (P)   100 % busy at: {}\n", cores.join("; ")));
    }
    match &p.gpu {
        Some(g) => {
            let c = &g.capacity;
            out.push_str(&format!(
                "  with GPU sigverify    {} × {} (P) + {} host cores (P); first to saturate: {} at {} (P)\n",
                g.gpus.value,
                c.adapter.as_deref().unwrap_or("GPU"),
                g.host_cores.value,
                g.saturates_first.stage,
                rate(g.saturates_first.at_tps.value)
            ));
            out.push_str(&format!(
                "                        gpu ed25519-verify {} verifies/s at batch {} (M), crossover {} (M), batch \
                 fill at the target {:.1} ms (P) — {}\n",
                thousands(c.items_per_s),
                thousands(c.best_batch as f64),
                c.crossover_batch.map_or_else(|| "none".to_string(), |b| format!("from batch {}", thousands(b as f64))),
                g.batch_fill_ms.value,
                c.file
            ));
        }
        None => out.push_str("  with GPU sigverify    not planned (no --gpu-results crypto file)\n"),
    }
    out.push_str(&format!(
        "  one-thread limit (P)  {} at {} (every stage but {} is one thread: the most this design reaches)\n",
        p.one_thread_limit.stage,
        rate(p.one_thread_limit.at_tps.value),
        widening_stages()
    ));
    match &p.memory {
        Some(m) => out.push_str(&format!(
            "  memory (M)            peak {:.0} MiB resident: {} in {} (measured, not projected; a node-mode \
             process holds the synthetic committee too, and in a ceiling search what the allocator kept from \
             earlier, heavier probes: an upper bound)\n",
            m.peak_mib.value, m.what, m.file
        )),
        None => {
            out.push_str("  memory                no figure in the source files (written before memory was recorded)\n")
        }
    }
    for n in &p.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stage measured once, at 14,000 tx/s: no line, its cost per transaction as measured.
    fn stage(name: &str, cores: &[u64], cost: f64) -> StageInput {
        StageInput {
            cost: StageCost { name: name.into(), cores: cores.to_vec(), busy_pct: 10.0, cost_ns_per_tx: cost },
            model: fit::fit(&[Sample::from_cost(14_000.0, None, cost)], None),
        }
    }

    /// A stage whose busy cores are `fixed + marginal_ns × rate` at 1,000, 4,000 and 16,000 tx/s.
    fn lined(name: &str, cores: &[u64], fixed: f64, marginal_ns: f64) -> StageInput {
        let samples: Vec<Sample> = [1_000.0, 4_000.0, 16_000.0]
            .map(|tps| Sample::from_cost(tps, None, fixed * 1e9 / tps + marginal_ns))
            .into();
        let at = samples[2];
        StageInput {
            cost: StageCost {
                name: name.into(),
                cores: cores.to_vec(),
                busy_pct: 100.0 * at.busy_cores / cores.len() as f64,
                cost_ns_per_tx: at.busy_cores * 1e9 / at.tps,
            },
            model: fit::fit(&samples, None),
        }
    }

    /// The plan for 1,000,000 tx/s at 80 % from `stages` measured up to 16,000 tx/s.
    fn plan_million(stages: Vec<StageInput>) -> PlanMetrics {
        let costs = StageCosts {
            stages,
            measured_tps: Some(16_000.0),
            files: vec!["f.json".into()],
            memory: None,
            blocks: None,
        };
        plan(1_000_000.0, 0.8, &costs, None, "given".into())
    }

    /// A node stage of 1.8 ms per block + 400 ns per transaction, measured while blocks a second fell from 45 to
    /// 24 (busy cores fall with the rate), planned at 50 blocks a second with blocks of at most 4,096 transactions:
    /// fixed 0.09 cores; at 1,000,000 tx/s (0.09 + 0.4) ÷ 0.8 = 0.6125 cores; the one thread full at (1 − 0.09) ÷
    /// 400 ns = 2,275,000 tx/s. 50 blocks a second of 4,096 cap the rate at 204,800 tx/s: the plan says so.
    #[test]
    fn per_block_work_is_paid_at_the_planned_block_rate() {
        let node = StageInput {
            cost: StageCost { name: "node".into(), cores: vec![1], busy_pct: 6.7, cost_ns_per_tx: 1_132.2 },
            model: fit::fit(&fit::per_block_samples(1.8e-3, 400.0), Some(50.0)),
        };
        let blocks = BlockRate { blocks_per_s: 50.0, why: "the interval".into(), max_block_txs: Some(4_096) };
        let costs = StageCosts {
            stages: vec![node],
            measured_tps: Some(59_000.0),
            files: vec!["f.json".into()],
            memory: None,
            blocks: Some(blocks),
        };
        let p = plan(1_000_000.0, 0.8, &costs, None, "given".into());
        let node = &p.stages[0];
        assert!((node.fixed_cores.value - 0.09).abs() < 1e-9 && (node.per_block_us.value - 1_800.0).abs() < 1e-6);
        assert!((node.cores_exact.value - 0.6125).abs() < 1e-9 && node.cores.value == 1, "{node:?}");
        assert!((p.one_thread_limit.at_tps.value - 0.91e9 / 400.0).abs() < 1e-3, "{:?}", p.one_thread_limit);
        assert!(
            p.notes.iter().any(|n| n.starts_with("per-block work is paid at 50.0 blocks a second")),
            "{:?}",
            p.notes
        );
        assert!(
            p.notes.iter().any(|n| n.contains("blocks of 20,000 transactions") && n.contains("204,800 tx/s")),
            "{:?}",
            p.notes
        );
        let text = render(&p);
        assert!(text.contains(" 1,800 ") && text.contains("5 rates, R² 1.00"), "{text}");
        assert!(!p.notes.iter().any(|n| n.contains("R²")), "R² 1: no note: {:?}", p.notes);
        // A fit with R² near 0 gets a note with its standard error.
        let flat = StageInput {
            cost: StageCost { name: "node".into(), cores: vec![1], busy_pct: 7.1, cost_ns_per_tx: 1_073.0 },
            model: fit::fit(&fit::published_node_samples(), Some(50.0)),
        };
        let flat_costs = StageCosts { stages: vec![flat], ..costs.clone() };
        let p = plan(1_000_000.0, 0.8, &flat_costs, None, "given".into());
        assert!(p.notes.iter().any(|n| n.starts_with("node: R² 0.0") && n.ends_with("423 ± 19 ns")), "{:?}", p.notes);
        // Below 204,800 tx/s the block size is no limit and the plan says nothing of it.
        let p = plan(100_000.0, 0.8, &costs, None, "given".into());
        assert!(!p.notes.iter().any(|n| n.contains("max_block_txs")), "{:?}", p.notes);
    }

    /// With fixed parts: node 0.09 cores + 1,500 ns/tx, execution 0.01 + 3,500, both on core 1. At 1,000,000 tx/s
    /// and 80 %: node (0.09 + 1.5) ÷ 0.8 = 1.9875 → 2 cores; execution (0.01 + 3.5) ÷ 0.8 = 4.3875 → 5. Node on
    /// one thread is full at (1 − 0.09) ÷ 1,500 ns = 606,667 tx/s (the proportional model, 16,000 tx/s's cost
    /// per tx of 7,125 ns, would say 140,351). Core 1 carries 0.1 cores + 5,000 ns/tx: full at 180,000 tx/s.
    #[test]
    fn fixed_parts_are_paid_once_not_per_transaction() {
        let p = plan_million(vec![lined("node", &[1], 0.09, 1_500.0), lined("execution", &[1], 0.01, 3_500.0)]);
        let (node, exec) = (&p.stages[0], &p.stages[1]);
        assert!((node.cores_exact.value - 1.9875).abs() < 1e-9 && node.cores.value == 2, "{node:?}");
        assert!((exec.cores_exact.value - 4.3875).abs() < 1e-9 && exec.cores.value == 5, "{exec:?}");
        assert_eq!(node.fixed_cores.basis, Basis::Fitted);
        assert!((node.cost_ns_per_tx.value - (0.09e9 / 16_000.0 + 1_500.0)).abs() < 1e-6);
        assert_eq!(p.one_thread_limit.stage, "node");
        assert!((p.one_thread_limit.at_tps.value - 0.91e9 / 1_500.0).abs() < 1e-3, "{:?}", p.one_thread_limit);
        // Two node cores are full at (2 − 0.09) ÷ 1,500 ns = 1,273,333 tx/s.
        assert!((node.saturates_at_tps.value - 1.91e9 / 1_500.0).abs() < 1e-3);
        assert!((p.measured_layout[0].saturates_at_tps.value - 0.9e9 / 5_000.0).abs() < 1e-3);
        assert!(!p.notes.iter().any(|n| n.contains("no line")), "{:?}", p.notes);
        let text = render(&p);
        assert!(text.contains("3 rates, R² 1.00"), "{text}");
    }

    /// The node thread hands admission's work to the shards and waits for them (fork–join), so its one-thread limit
    /// counts the wait: node 0.05 cores + 800 ns/tx, admission 0.01 + 2,000 ns/tx planned on (0.01 + 2.0) ÷ 0.8 =
    /// 2.5125 → 3 cores at 1,000,000 tx/s; the node thread is full at (1 − 0.05 − 0.01 ÷ 3) ÷ (800 + 2,000 ÷ 3) ns
    /// = 645,454.5 tx/s, not at (1 − 0.05) ÷ 800 ns = 1,187,500 tx/s.
    #[test]
    fn the_node_threads_limit_counts_its_wait_for_the_admission_shards() {
        let p = plan_million(vec![lined("admission", &[1], 0.01, 2_000.0), lined("node", &[1], 0.05, 800.0)]);
        assert_eq!(p.stages[0].cores.value, 3);
        assert_eq!(p.one_thread_limit.stage, "node");
        let want = (1.0 - 0.05 - 0.01 / 3.0) * 1e9 / (800.0 + 2_000.0 / 3.0);
        assert!((p.one_thread_limit.at_tps.value - want).abs() < 1e-3, "{:?} vs {want}", p.one_thread_limit);
        assert!(p.notes.iter().any(|n| n.contains("waits for the admission shards")), "{:?}", p.notes);
    }

    /// With room on the node thread, admission is planned with the shards that keep the node's wait inside it: node
    /// 0.05 + 500 ns/tx is 0.55 busy at 1,000,000 tx/s, leaving 0.25 of 80 %; admission's 2.01 busy cores ÷ 0.25 =
    /// 8.04 → 9 shards (its own load needs 2.5125 → 3); the node thread is then full at (1 − 0.05 − 0.01 ÷ 9) ÷
    /// (500 + 2,000 ÷ 9) ns = 1,313,846 tx/s, above the target ÷ 80 %.
    #[test]
    fn admission_gets_the_shards_that_keep_the_node_threads_wait_short() {
        let p = plan_million(vec![lined("admission", &[1], 0.01, 2_000.0), lined("node", &[1], 0.05, 500.0)]);
        assert!((p.stages[0].cores_exact.value - 2.01 / 0.25).abs() < 1e-9, "{:?}", p.stages[0]);
        assert_eq!(p.stages[0].cores.value, 9);
        let want = (1.0 - 0.05 - 0.01 / 9.0) * 1e9 / (500.0 + 2_000.0 / 9.0);
        assert!((p.one_thread_limit.at_tps.value - want).abs() < 1e-3, "{:?} vs {want}", p.one_thread_limit);
        assert!(p.one_thread_limit.at_tps.value * 0.8 >= 1_000_000.0);
        assert!(p.notes.iter().any(|n| n.starts_with("admission gets 9 cores")), "{:?}", p.notes);
        assert!(!p.notes.iter().any(|n| n.starts_with("node runs on one thread")), "{:?}", p.notes);
    }

    /// Hand-computed: 100,000 tx/s at 80 %: sigverify 35,000 ns → 3.5e9 ns/s ÷ 1e9 ÷ 0.8 = 4.375 → 5 cores;
    /// node 10,000 → 1.25 → 2; execution 6,000 → 0.75 → 1; storage 600 → 0.075 → 1. Total 9.
    #[test]
    fn cores_per_stage_are_hand_computed() {
        let costs = StageCosts {
            stages: vec![
                stage("sigverify", &[1], 35_000.0),
                stage("node", &[1], 10_000.0),
                stage("execution", &[1], 6_000.0),
                stage("storage", &[0], 600.0),
            ],
            measured_tps: Some(14_000.0),
            files: vec!["f.json".into()],
            memory: None,
            blocks: None,
        };
        let gpu = GpuCapacity {
            file: "g.json".into(),
            adapter: Some("GPU: X".into()),
            best_batch: 16_384,
            items_per_s: 1_000_000.0,
            crossover_batch: Some(1024),
        };
        let p = plan(100_000.0, 0.8, &costs, Some(gpu), "given".into());
        let cores: Vec<(f64, u64)> = p.stages.iter().map(|s| (s.cores_exact.value, s.cores.value)).collect();
        let exact = [4.375, 1.25, 0.75, 0.075];
        for ((e, c), (want_e, want_c)) in cores.iter().zip(exact.iter().zip([5u64, 2, 1, 1])) {
            assert!((e - want_e).abs() < 1e-9, "{e} vs {want_e}");
            assert_eq!(*c, want_c);
        }
        assert_eq!(p.cpu_only.total_cores, projected(9));
        // node: 2 cores × 1e9 ÷ 10,000 = 200,000 tx/s; sigverify 5 × 1e9 ÷ 35,000 = 142,857: sigverify first.
        assert_eq!(p.cpu_only.saturates_first.stage, "sigverify");
        assert!((p.cpu_only.saturates_first.at_tps.value - 142_857.142_857).abs() < 1e-3);
        // Measured layout: core 1 carries 51,000 ns/tx → 19,607.8 tx/s; core 0 600 ns/tx.
        assert_eq!(p.measured_layout.len(), 2);
        assert_eq!(p.measured_layout[1].stages, ["sigverify", "node", "execution"]);
        assert!((p.measured_layout[1].saturates_at_tps.value - 1e9 / 51_000.0).abs() < 1e-6);
        // GPU: 100,000 ÷ (1,000,000 × 0.8) = 0.125 → 1 GPU; host = 2 + 1 + 1 = 4 cores; fill 163.84 ms.
        let g = p.gpu.as_ref().unwrap();
        assert_eq!((g.gpus.value, g.host_cores.value), (1, 4));
        assert!((g.batch_fill_ms.value - 163.84).abs() < 1e-9);
        assert_eq!(g.saturates_first.stage, "execution"); // 1 core ÷ 6,000 ns = 166,667 tx/s
        assert_eq!(p.one_thread_limit.stage, "node"); // one thread ÷ 10,000 ns = 100,000 tx/s > 80 % of it
        assert!(p.notes.iter().any(|n| n.starts_with("node runs on one thread")), "{:?}", p.notes);
        assert!(p.notes.iter().any(|n| n.starts_with("node: no line")), "{:?}", p.notes);
        assert_eq!(p.stages[1].fixed_cores, measured(0.0));
        assert_eq!(p.stages[0].cost_ns_per_tx.basis, Basis::Measured);
        let text = render(&p);
        assert!(text.contains("CPU only (P)          9 cores"), "{text}");
        assert!(text.contains("1 × GPU: X (P) + 4 host cores"), "{text}");
    }

    #[test]
    fn rounding_ignores_float_noise_and_keeps_one_core() {
        assert_eq!(cores_needed(80_000.0, 10_000.0, 0.8).1, 1); // exactly 1.0
        assert_eq!(cores_needed(160_000.0, 10_000.0, 0.8).1, 2);
        assert_eq!(cores_needed(1.0, 1.0, 0.8).1, 1);
        assert_eq!(cores_needed(100.0, 0.0, 0.8).1, 1);
    }

    #[test]
    fn best_gpu_cell_prefers_speed_then_smaller_batches() {
        let cell = |backend: &str, batch, rate| CryptoCellView {
            op: "ed25519-verify".into(),
            backend: String::from(backend),
            batch,
            items_per_s: Some(rate),
            cv: None,
            gpu_phases_us: None,
        };
        let cells = [cell("gpu", 64, 5.0), cell("gpu", 256, 9.0), cell("gpu", 1024, 9.0), cell("cpu-batch", 64, 99.0)];
        assert_eq!(best_gpu_cell(&cells).map(|c| c.batch), Some(256));
        assert!(best_gpu_cell(&cells[3..]).is_none());
    }
}
