//! Benchmark configuration: one TOML file, one section per component, the engine's own config structs reused
//! as they are (one name everywhere), every table strict (`deny_unknown_fields`).
//!
//! Loading never panics on user data: an unreadable file, a TOML syntax error, an unknown key, a bad enum value
//! or an invalid combination of values becomes one [`ConfigError`] whose message names the file, the line and
//! the key. The CLI turns it into exit code 2.
//!
//! `chain_id` is set once, in `[cluster]`; `[mempool]` inherits it. Writing `mempool.chain_id` is allowed only
//! when it equals `cluster.chain_id` (so a config copied from elsewhere cannot silently reject every
//! transaction as wrong-chain).

use crate::loadgen::schedule::{Profile, intended_offsets};
use crate::loadgen::workload::{InvalidMix, Skew};
use hsbench_engine::bft::ConsensusConfig;
use hsbench_engine::crypto::{CpuBackendKind, VoteScheme};
use hsbench_engine::mempool::MempoolConfig;
use hsbench_engine::provisioning::ProvisioningConfig;
use hsbench_engine::runtime::pipeline::{PipelineConfig, available_cores};
use hsbench_engine::sim::{ClockMode, ClusterConfig, NetworkConfig, StorageMode};
use hsbench_engine::types::transaction::MAX_MEMO_BYTES;
use hsbench_engine::types::{Account, AccountId};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default configuration, compiled into the binary so `hsbench run` works from any directory.
pub const SMOKE_TOML: &str = include_str!("../../bench-configs/smoke.toml");

/// How the embedded default names itself in messages and results.
pub const SMOKE_ORIGIN: &str = "bench-configs/smoke.toml (embedded)";

/// Largest corpus a run may pre-sign (rate × duration); beyond this the corpus alone needs gigabytes.
pub const MAX_CORPUS_TXS: u64 = 20_000_000;
/// Longest any duration in a config may be (s, about 11.6 days): beyond it a value is a typo, and near
/// `u64::MAX` seconds it would overflow `Duration` (found by the config fuzz targets).
pub const MAX_SECONDS: f64 = 1e6;

/// A configuration that cannot be used, with a one-line message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {}: {error}", path.display())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// TOML syntax error, unknown key, wrong type or unknown enum value.
    #[error("{origin}{location}: {message}")]
    Parse {
        /// File the text came from.
        origin: String,
        /// `:line:column` when known, else empty.
        location: String,
        /// toml's message (names the offending key or value).
        message: String,
    },
    /// Values that parse but cannot be run.
    #[error("{origin}: {key}: {message}")]
    Invalid {
        /// File the text came from (plus the command-line overrides, when any were applied).
        origin: String,
        /// Dotted key, e.g. `run.rate_tps`.
        key: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The engine refused the configuration when building the cluster.
    #[error("{origin}: the engine refused the configuration: {message}")]
    Refused {
        /// File the text came from (plus overrides).
        origin: String,
        /// The engine's message.
        message: String,
    },
}

/// `[run]`: the load schedule and the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Length of the load (s): transactions are scheduled at i / rate_tps for every i with i / rate_tps < duration.
    pub duration_s: f64,
    /// Start of the load excluded from the measurement window (s).
    pub warmup_s: f64,
    /// End of the load excluded from the measurement window (s).
    pub cooldown_s: f64,
    /// Longest wait after the load for in-flight transactions to commit and nodes to agree (s).
    pub drain_s: f64,
    /// Seed of keys, corpus and the cluster's random choices.
    pub seed: u64,
    /// Offered load (transactions per second), open loop.
    pub rate_tps: f64,
    /// Which validator each client transaction is sent to.
    pub submit_to: SubmitTo,
    /// Shape of the offered rate: `"constant"` (= `rate_tps`), `{ ramp = { from, to } }`,
    /// `{ step = { rates, step_s } }`, `{ wave = { low, high, period_s } }`.
    pub profile: Profile,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            duration_s: 10.0,
            warmup_s: 2.0,
            cooldown_s: 1.0,
            drain_s: 5.0,
            seed: 1,
            rate_tps: 400.0,
            submit_to: SubmitTo::RoundRobin,
            profile: Profile::Constant,
        }
    }
}

/// Where client transactions enter the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubmitTo {
    /// Transaction i goes to validator i mod n.
    RoundRobin,
    /// Every transaction goes to validator 0.
    Single,
}

/// Where the simulated nodes persist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// In memory.
    Memory,
    /// One redb file per node.
    Redb,
}

/// How time advances in the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockKind {
    /// Real time: crypto and execution costs show in latency and throughput.
    Wall,
    /// Simulated time: reproducible, measures protocol behaviour, not CPU cost.
    Virtual,
}

impl ClockKind {
    /// The engine's name for it.
    pub fn mode(self) -> ClockMode {
        match self {
            ClockKind::Wall => ClockMode::WallClock,
            ClockKind::Virtual => ClockMode::Virtual,
        }
    }
}

/// `[cluster]`: the validators and their crypto.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSettings {
    /// Number of validators (≥ 4, so one may be faulty).
    pub validators: usize,
    /// Chain id of every transaction and signed message (inherited by `[mempool]`).
    pub chain_id: u32,
    /// Vote signatures: `bls` or `ed25519`.
    pub vote_scheme: VoteScheme,
    /// Transaction signature verification: `cpu`, `cpu-batch` or `cpu-par`.
    pub verify_backend: CpuBackendKind,
    /// `memory` or `redb`.
    pub storage: StorageKind,
    /// Directory of the redb files; absent = a fresh temporary directory, removed after the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_dir: Option<PathBuf>,
    /// `wall` or `virtual`.
    pub clock: ClockKind,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            validators: 4,
            chain_id: 1,
            vote_scheme: VoteScheme::Bls,
            verify_backend: CpuBackendKind::CpuBatch,
            storage: StorageKind::Memory,
            storage_dir: None,
            clock: ClockKind::Wall,
        }
    }
}

/// `[workload]`: the funded accounts and the transfers they send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadConfig {
    /// Funded accounts at genesis; transaction i is sent by account i mod accounts.
    pub accounts: usize,
    /// Balance of every account at genesis.
    pub initial_balance: u64,
    /// Amount of every transfer.
    pub amount: u64,
    /// Fee of every transfer.
    pub fee: u64,
    /// Memo length (bytes), to vary transaction size.
    pub memo_bytes: usize,
    /// Sender skew: `"uniform"`, `{ zipf = s }`, `{ hotspot = { fraction, share } }`.
    pub skew: Skew,
    /// Fractions of deliberately invalid transactions.
    pub invalid: InvalidMix,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            accounts: 1024,
            initial_balance: 1_000_000_000,
            amount: 1,
            fee: 1,
            memo_bytes: 0,
            skew: Skew::Uniform,
            invalid: InvalidMix::default(),
        }
    }
}

/// `[slo]`: what a rate must meet to count as sustained (node mode and ceiling search).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SloConfig {
    /// Largest p99 commit latency, from the intended send time (ms).
    pub p99_ms: f64,
    /// Smallest committed ÷ offered (valid transactions, commits inside the window).
    pub min_committed_fraction: f64,
}

impl Default for SloConfig {
    fn default() -> Self {
        SloConfig { p99_ms: 500.0, min_committed_fraction: 0.95 }
    }
}

/// `[ceiling]`: the ceiling search of `hsbench ceiling`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CeilingConfig {
    /// First offered rate (tx/s); doubled until the SLO fails.
    pub start_tps: f64,
    /// Highest rate tried (tx/s).
    pub max_tps: f64,
    /// Bisection stops when (fail − pass) ÷ pass ≤ precision.
    pub precision: f64,
    /// Length of each search probe (s).
    pub probe_s: f64,
    /// Length of each confirmation run at the found rate (s).
    pub confirm_s: f64,
    /// Confirmation runs (mean and CV are reported).
    pub repeats: u32,
    /// Start of each probe left out of its window (s).
    pub warmup_s: f64,
    /// End of each probe left out of its window (s).
    pub cooldown_s: f64,
    /// Longest wait after each probe's load for in-flight transactions (s).
    pub drain_s: f64,
    /// Length of the raw sigverify bound measurement (s); 0 skips it.
    pub bound_s: f64,
}

impl Default for CeilingConfig {
    fn default() -> Self {
        CeilingConfig {
            start_tps: 1000.0,
            max_tps: 1_000_000.0,
            precision: 0.05,
            probe_s: 5.0,
            confirm_s: 10.0,
            repeats: 3,
            warmup_s: 1.0,
            cooldown_s: 0.5,
            drain_s: 2.0,
            bound_s: 2.0,
        }
    }
}

/// A whole benchmark configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BenchConfig {
    /// Load schedule and measurement window.
    pub run: RunConfig,
    /// Validators and their crypto.
    pub cluster: ClusterSettings,
    /// Simulated network between validators.
    pub network: NetworkConfig,
    /// HotStuff-2 timing.
    pub consensus: ConsensusConfig,
    /// Mempool limits.
    pub mempool: MempoolConfig,
    /// Block building limits.
    pub provisioning: ProvisioningConfig,
    /// Accounts and transfers.
    pub workload: WorkloadConfig,
    /// Service level a rate must meet (node mode, ceiling).
    pub slo: SloConfig,
    /// Ceiling search.
    pub ceiling: CeilingConfig,
    /// Node mode's pinned pipeline (the engine's own struct): `cores` (`"auto"` or a `[pipeline.cores]`
    /// table), `batch_size`, `queue_capacity`; `verify_backend` is inherited from `[cluster]`.
    pub pipeline: PipelineConfig,
    /// Verification backend by name (`gpu` included) and the GPU dispatch settings; a CPU `backend` here sets
    /// `cluster.verify_backend`, absent it inherits it.
    pub crypto: crate::backends::CryptoConfig,
}

/// A parsed configuration and where it came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The configuration (not yet validated: apply command-line overrides first, then [`BenchConfig::validate`]).
    pub config: BenchConfig,
    /// `path` or [`SMOKE_ORIGIN`], for messages and results.
    pub origin: String,
}

/// Reads and parses `path`, or the embedded smoke configuration when `None`.
pub fn load(path: Option<&Path>) -> Result<Loaded, ConfigError> {
    match path {
        None => Ok(Loaded { config: parse(SMOKE_TOML, SMOKE_ORIGIN)?, origin: SMOKE_ORIGIN.to_string() }),
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|error| ConfigError::Read { path: path.to_path_buf(), error })?;
            let origin = path.display().to_string();
            Ok(Loaded { config: parse(&text, &origin)?, origin })
        }
    }
}

/// Parses TOML text; `origin` names it in errors. `mempool.chain_id` is taken from `cluster.chain_id`.
pub fn parse(text: &str, origin: &str) -> Result<BenchConfig, ConfigError> {
    let parse_error = |e: toml::de::Error| ConfigError::Parse {
        origin: origin.to_string(),
        location: e.span().map(|s| line_column(text, s.start)).unwrap_or_default(),
        message: e.message().trim().replace('\n', " "),
    };
    let table: toml::Table = toml::from_str(text).map_err(parse_error)?;
    let explicit_mempool_chain = table
        .get("mempool")
        .and_then(|m| m.get("chain_id"))
        .map(|v| v.as_integer())
        .map(|v| v.and_then(|v| u32::try_from(v).ok()));
    let mut config: BenchConfig = toml::from_str(text).map_err(parse_error)?;
    if let Some(mempool_chain) = explicit_mempool_chain
        && mempool_chain != Some(config.cluster.chain_id)
    {
        return Err(ConfigError::Invalid {
            origin: origin.to_string(),
            key: "mempool.chain_id",
            message: format!(
                "differs from cluster.chain_id ({}); set chain_id only in [cluster], [mempool] inherits it",
                config.cluster.chain_id
            ),
        });
    }
    config.mempool.chain_id = config.cluster.chain_id;
    let explicit_backend = table.get("pipeline").and_then(|p| p.get("verify_backend")).is_some();
    if explicit_backend && config.pipeline.verify_backend != config.cluster.verify_backend {
        return Err(ConfigError::Invalid {
            origin: origin.to_string(),
            key: "pipeline.verify_backend",
            message: format!(
                "differs from cluster.verify_backend ({}); set it only in [cluster], [pipeline] inherits it",
                config.cluster.verify_backend
            ),
        });
    }
    config.pipeline.verify_backend = config.cluster.verify_backend;
    inherit_crypto_backend(&table, &mut config, origin)?;
    Ok(config)
}

/// `[crypto] backend`: absent, it is `cluster.verify_backend`; a CPU kind sets `cluster.verify_backend` (and the
/// pipeline's), and may not contradict an explicit one; `gpu` leaves them alone (see [`BenchConfig::validate`]).
fn inherit_crypto_backend(table: &toml::Table, config: &mut BenchConfig, origin: &str) -> Result<(), ConfigError> {
    let explicit_crypto = table.get("crypto").and_then(|c| c.get("backend")).is_some();
    let explicit_cluster = table.get("cluster").and_then(|c| c.get("verify_backend")).is_some();
    if !explicit_crypto {
        config.crypto.backend = config.cluster.verify_backend.into();
        return Ok(());
    }
    let Some(kind) = config.crypto.backend.cpu_kind() else { return Ok(()) };
    if explicit_cluster && kind != config.cluster.verify_backend {
        return Err(ConfigError::Invalid {
            origin: origin.to_string(),
            key: "crypto.backend",
            message: format!(
                "differs from cluster.verify_backend ({}); set the backend in one place",
                config.cluster.verify_backend
            ),
        });
    }
    config.cluster.verify_backend = kind;
    config.pipeline.verify_backend = kind;
    Ok(())
}

/// `:line:column` (1-based) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(":{line}:{column}")
}

impl ClusterSettings {
    /// The engine's storage mode; a temporary folder for `redb` without `storage_dir` comes back too (keep it
    /// alive until the nodes are gone: dropping it removes the folder).
    pub fn storage_mode(&self) -> std::io::Result<(StorageMode, Option<tempfile::TempDir>)> {
        Ok(match (self.storage, &self.storage_dir) {
            (StorageKind::Memory, _) => (StorageMode::Memory, None),
            (StorageKind::Redb, Some(dir)) => (StorageMode::Redb { dir: dir.clone() }, None),
            (StorageKind::Redb, None) => {
                let dir = tempfile::Builder::new().prefix("hsbench-redb-").tempdir()?;
                (StorageMode::Redb { dir: dir.path().to_path_buf() }, Some(dir))
            }
        })
    }
}

impl BenchConfig {
    /// The engine's cluster configuration for this benchmark, with `genesis` and `storage`.
    pub fn cluster_config(&self, genesis: Vec<(AccountId, Account)>, storage: StorageMode) -> ClusterConfig {
        let c = &self.cluster;
        ClusterConfig {
            validators: c.validators,
            seed: self.run.seed,
            chain_id: c.chain_id,
            vote_scheme: c.vote_scheme,
            verify_backend: c.verify_backend,
            network: self.network.clone(),
            consensus: self.consensus.clone(),
            mempool: self.mempool.clone(),
            provisioning: self.provisioning.clone(),
            genesis_accounts: genesis,
            storage,
            clock: c.clock.mode(),
        }
    }

    /// Checks every value the run depends on; the first problem found is returned.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let fail =
            |key: &'static str, message: String| Err(ConfigError::Invalid { origin: origin.to_string(), key, message });
        let run = &self.run;
        if !(run.duration_s.is_finite() && run.duration_s > 0.0 && run.duration_s <= MAX_SECONDS) {
            return fail(
                "run.duration_s",
                format!("must be a positive number of seconds up to {MAX_SECONDS} (got {})", run.duration_s),
            );
        }
        for (key, value) in
            [("run.warmup_s", run.warmup_s), ("run.cooldown_s", run.cooldown_s), ("run.drain_s", run.drain_s)]
        {
            if !(value.is_finite() && (0.0..=MAX_SECONDS).contains(&value)) {
                return fail(key, format!("must be between 0 and {MAX_SECONDS} seconds (got {value})"));
            }
        }
        if run.warmup_s + run.cooldown_s >= run.duration_s {
            return fail(
                "run.warmup_s",
                format!(
                    "warmup_s + cooldown_s ({} s) must be less than duration_s ({} s), or nothing is measured",
                    run.warmup_s + run.cooldown_s,
                    run.duration_s
                ),
            );
        }
        if !(run.rate_tps.is_finite() && run.rate_tps > 0.0) {
            return fail("run.rate_tps", format!("must be a positive rate (got {})", run.rate_tps));
        }
        for rate in run.profile.rates(run.rate_tps) {
            if !(rate.is_finite() && rate > 0.0) {
                return fail("run.profile", format!("every rate must be positive (got {rate})"));
            }
        }
        match &run.profile {
            Profile::Step { rates, step_s }
                if rates.is_empty() || !(step_s.is_finite() && *step_s > 0.0 && *step_s <= MAX_SECONDS) =>
            {
                return fail("run.profile", format!("step needs at least one rate and 0 < step_s ≤ {MAX_SECONDS}"));
            }
            Profile::Wave { low, high, period_s }
                if low > high || !(period_s.is_finite() && *period_s > 0.0 && *period_s <= MAX_SECONDS) =>
            {
                return fail("run.profile", format!("wave needs low ≤ high and 0 < period_s ≤ {MAX_SECONDS}"));
            }
            _ => {}
        }
        let txs = self.corpus_len();
        if txs > MAX_CORPUS_TXS {
            return fail(
                "run.rate_tps",
                format!("rate × duration = {txs} transactions, more than the {MAX_CORPUS_TXS} a corpus may hold"),
            );
        }
        if run.rate_tps * self.window().as_secs_f64() < 1.0 {
            return fail(
                "run.rate_tps",
                format!(
                    "fewer than one transaction falls in the {} s measurement window at {} tx/s",
                    self.window().as_secs_f64(),
                    run.rate_tps
                ),
            );
        }

        let cluster = &self.cluster;
        if cluster.validators < 4 {
            return fail(
                "cluster.validators",
                format!("must be at least 4 (n = 3f + 1 with f ≥ 1), got {}", cluster.validators),
            );
        }
        if cluster.validators > usize::from(u16::MAX) {
            return fail("cluster.validators", format!("must be at most {}, got {}", u16::MAX, cluster.validators));
        }
        if cluster.storage_dir.is_some() && cluster.storage == StorageKind::Memory {
            return fail("cluster.storage_dir", "is only used with storage = \"redb\"".to_string());
        }

        let net = &self.network;
        for (key, value) in [("network.latency_ms", net.latency_ms), ("network.jitter_ms", net.jitter_ms)] {
            if !(value.is_finite() && value >= 0.0) {
                return fail(key, format!("must be ≥ 0 ms (got {value})"));
            }
        }
        if !(0.0..1.0).contains(&net.loss) {
            return fail("network.loss", format!("must be a probability in [0, 1) (got {})", net.loss));
        }
        if !(0.0..=1.0).contains(&net.reorder) {
            return fail("network.reorder", format!("must be a probability in [0, 1] (got {})", net.reorder));
        }

        let consensus = &self.consensus;
        if consensus.base_timeout_ms == 0 {
            return fail("consensus.base_timeout_ms", "must be > 0".to_string());
        }
        if !(consensus.timeout_backoff.is_finite() && consensus.timeout_backoff >= 1.0) {
            return fail("consensus.timeout_backoff", format!("must be ≥ 1 (got {})", consensus.timeout_backoff));
        }
        if consensus.max_timeout_ms < consensus.base_timeout_ms {
            return fail(
                "consensus.max_timeout_ms",
                format!("must be ≥ base_timeout_ms ({}), got {}", consensus.base_timeout_ms, consensus.max_timeout_ms),
            );
        }

        if self.mempool.capacity == 0 {
            return fail("mempool.capacity", "must be > 0".to_string());
        }
        if self.provisioning.max_block_txs == 0 {
            return fail("provisioning.max_block_txs", "must be > 0".to_string());
        }

        let work = &self.workload;
        if work.accounts < 2 {
            return fail(
                "workload.accounts",
                format!("must be at least 2 (a sender and a recipient), got {}", work.accounts),
            );
        }
        if work.memo_bytes > MAX_MEMO_BYTES {
            return fail("workload.memo_bytes", format!("must be at most {MAX_MEMO_BYTES}, got {}", work.memo_bytes));
        }
        let tx_bytes = crate::corpus::tx_encoded_len(work.memo_bytes);
        if tx_bytes > self.mempool.max_tx_bytes {
            return fail(
                "workload.memo_bytes",
                format!("transactions of {tx_bytes} bytes exceed mempool.max_tx_bytes ({})", self.mempool.max_tx_bytes),
            );
        }
        if tx_bytes > self.provisioning.max_block_bytes {
            return fail(
                "workload.memo_bytes",
                format!(
                    "transactions of {tx_bytes} bytes exceed provisioning.max_block_bytes ({})",
                    self.provisioning.max_block_bytes
                ),
            );
        }
        match work.skew {
            Skew::Uniform => {}
            Skew::Zipf(s) if s.is_finite() && s > 0.0 => {}
            Skew::Hotspot { fraction, share } if fraction > 0.0 && fraction < 1.0 && (0.0..=1.0).contains(&share) => {}
            _ => {
                return fail(
                    "workload.skew",
                    "zipf needs s > 0; hotspot needs 0 < fraction < 1 and 0 ≤ share ≤ 1".to_string(),
                );
            }
        }
        let mix = &work.invalid;
        for (key, value) in [
            ("workload.invalid.bad_signature", mix.bad_signature),
            ("workload.invalid.bad_nonce", mix.bad_nonce),
            ("workload.invalid.overspend", mix.overspend),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return fail(key, format!("must be a fraction in [0, 1] (got {value})"));
            }
        }
        if mix.total() > 1.0 {
            return fail("workload.invalid", format!("fractions add up to {} > 1", mix.total()));
        }
        self.validate_node_sections(origin)?;
        // A stage on a core this process may not use would run unpinned: refuse it here, before any run.
        if let Err(message) = self.pipeline.cores.check(&available_cores()) {
            return fail("pipeline.cores", message);
        }
        if self.crypto.gpu_batch == 0 || self.crypto.gpu_in_flight == 0 {
            return fail("crypto.gpu_batch", "gpu_batch and gpu_in_flight must be at least 1".to_string());
        }
        // A skewed sender may send every transaction; a uniform one sends its share.
        let per_sender = if work.skew == Skew::Uniform { txs.div_ceil(work.accounts as u64) } else { txs };
        let cost = work.amount.checked_add(work.fee).and_then(|c| c.checked_mul(per_sender));
        if cost.is_none_or(|cost| cost > work.initial_balance) {
            return fail(
                "workload.initial_balance",
                format!(
                    "{} cannot pay for {per_sender} transfers of amount + fee = {} per account; raise it or add accounts",
                    work.initial_balance,
                    work.amount.saturating_add(work.fee)
                ),
            );
        }
        Ok(())
    }

    /// Checks `[slo]` and `[ceiling]`.
    fn validate_node_sections(&self, origin: &str) -> Result<(), ConfigError> {
        let fail =
            |key: &'static str, message: String| Err(ConfigError::Invalid { origin: origin.to_string(), key, message });
        let slo = &self.slo;
        if !(slo.p99_ms.is_finite() && slo.p99_ms > 0.0) {
            return fail("slo.p99_ms", format!("must be a positive number of ms (got {})", slo.p99_ms));
        }
        if !(slo.min_committed_fraction > 0.0 && slo.min_committed_fraction <= 1.0) {
            return fail(
                "slo.min_committed_fraction",
                format!("must be in (0, 1] (got {})", slo.min_committed_fraction),
            );
        }
        let c = &self.ceiling;
        for (key, value) in [
            ("ceiling.start_tps", c.start_tps),
            ("ceiling.max_tps", c.max_tps),
            ("ceiling.precision", c.precision),
            ("ceiling.probe_s", c.probe_s),
            ("ceiling.confirm_s", c.confirm_s),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return fail(key, format!("must be positive (got {value})"));
            }
        }
        for (key, value) in [("ceiling.probe_s", c.probe_s), ("ceiling.confirm_s", c.confirm_s)] {
            if value > MAX_SECONDS {
                return fail(key, format!("must be at most {MAX_SECONDS} seconds (got {value})"));
            }
        }
        for (key, value) in [
            ("ceiling.warmup_s", c.warmup_s),
            ("ceiling.cooldown_s", c.cooldown_s),
            ("ceiling.drain_s", c.drain_s),
            ("ceiling.bound_s", c.bound_s),
        ] {
            if !(value.is_finite() && (0.0..=MAX_SECONDS).contains(&value)) {
                return fail(key, format!("must be between 0 and {MAX_SECONDS} seconds (got {value})"));
            }
        }
        if c.max_tps < c.start_tps {
            return fail("ceiling.max_tps", format!("must be ≥ start_tps ({})", c.start_tps));
        }
        if c.precision >= 1.0 {
            return fail("ceiling.precision", format!("must be a fraction below 1 (got {})", c.precision));
        }
        if c.warmup_s + c.cooldown_s >= c.probe_s.min(c.confirm_s) {
            return fail("ceiling.warmup_s", "warmup_s + cooldown_s must be less than probe_s and confirm_s".into());
        }
        if c.repeats == 0 {
            return fail("ceiling.repeats", "must be ≥ 1".to_string());
        }
        if c.max_tps * c.probe_s.max(c.confirm_s) > MAX_CORPUS_TXS as f64 {
            return fail(
                "ceiling.max_tps",
                format!("max_tps × the longest run exceeds the {MAX_CORPUS_TXS} transactions a corpus may hold"),
            );
        }
        Ok(())
    }

    /// Number of transactions in the corpus: every intended time before the end of the load (constant: every
    /// i ≥ 0 with i / rate < duration).
    pub fn corpus_len(&self) -> u64 {
        if self.run.profile != Profile::Constant {
            let rates_ok = self.run.profile.rates(self.run.rate_tps).iter().all(|r| r.is_finite() && *r > 0.0);
            if !rates_ok {
                return 0;
            }
            return intended_offsets(&self.run.profile, self.run.rate_tps, self.run.duration_s, MAX_CORPUS_TXS + 1).len()
                as u64;
        }
        let exact = self.run.rate_tps * self.run.duration_s;
        if !(exact.is_finite() && exact >= 0.0) {
            return 0;
        }
        // ceil, but an exact product (400 × 10) must not gain a transaction at t = duration.
        let n = exact.ceil() as u64;
        if n > 0 && ((n - 1) as f64) / self.run.rate_tps >= self.run.duration_s { n - 1 } else { n }
    }

    /// The measurement window: the load minus warm-up and cool-down.
    pub fn window(&self) -> Duration {
        Duration::from_secs_f64((self.run.duration_s - self.run.warmup_s - self.run.cooldown_s).max(0.0))
    }

    /// The configuration as TOML (what the config hash is taken over).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// Sets the load duration; when the configured warm-up plus cool-down no longer fit, both are scaled by the
    /// same factor as the duration, and a note saying so is returned.
    pub fn set_duration(&mut self, duration_s: f64) -> Option<String> {
        let old = self.run.duration_s;
        self.run.duration_s = duration_s;
        if self.run.warmup_s + self.run.cooldown_s < duration_s || !(old > 0.0 && duration_s > 0.0) {
            return None;
        }
        let factor = duration_s / old;
        self.run.warmup_s *= factor;
        self.run.cooldown_s *= factor;
        Some(format!(
            "note: --duration {duration_s} leaves no room for the configured warm-up and cool-down; scaled them to \
             {:.2} s and {:.2} s",
            self.run.warmup_s, self.run.cooldown_s
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_key(text: &str) -> &'static str {
        let config = parse(text, "t.toml").expect("parses");
        match config.validate("t.toml") {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("expected an invalid-config error, got {other:?}"),
        }
    }

    /// Found by the `config_fields` fuzz target (its seeds `fuzz/corpus/config/regression-*.toml`): huge durations
    /// made `validate` itself panic in `Duration::from_secs_f64`. Every seconds field is bounded instead.
    #[test]
    fn huge_durations_are_invalid_not_a_panic() {
        assert_eq!(invalid_key("[run]\nduration_s = 1e20\nrate_tps = 1e-15\n"), "run.duration_s");
        assert_eq!(
            invalid_key("[run]\nduration_s = 1e30\nprofile = { ramp = { from = 1e-25, to = 1e-25 } }\n"),
            "run.duration_s"
        );
        assert_eq!(invalid_key("[run]\ndrain_s = 1e30\n"), "run.drain_s");
        assert_eq!(invalid_key("[ceiling]\nbound_s = 1e30\n"), "ceiling.bound_s");
        assert_eq!(invalid_key("[run]\nprofile = { step = { rates = [10.0], step_s = 1e300 } }\n"), "run.profile");
    }

    /// Every shipped configuration (bench-configs/*.toml) loads and validates: a user can run each as it is.
    #[test]
    fn every_shipped_config_validates() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-configs");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("bench-configs/ exists") {
            let path = entry.expect("readable entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let loaded = load(Some(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                loaded.config.validate(&loaded.origin).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                seen += 1;
            }
        }
        assert!(seen >= 4, "only {seen} configurations found in {}", dir.display());
    }

    #[test]
    fn embedded_smoke_config_parses_and_validates() {
        let loaded = load(None).expect("smoke parses");
        assert_eq!(loaded.origin, SMOKE_ORIGIN);
        loaded.config.validate(&loaded.origin).expect("smoke validates");
        let c = &loaded.config;
        assert_eq!(c.cluster.validators, 4);
        assert_eq!(c.cluster.clock, ClockKind::Wall);
        assert_eq!(c.cluster.vote_scheme, VoteScheme::Bls);
        assert_eq!(c.cluster.verify_backend, CpuBackendKind::CpuBatch);
        assert_eq!(c.cluster.storage, StorageKind::Memory);
        assert_eq!(c.mempool.chain_id, c.cluster.chain_id);
        assert!(c.run.duration_s <= 15.0, "the smoke run must stay short");
    }

    #[test]
    fn smoke_config_sets_every_key() {
        // Every key the program knows is written out (and commented) in smoke.toml, so the file documents them.
        let written: toml::Table = toml::from_str(SMOKE_TOML).unwrap();
        let effective: toml::Table = toml::from_str(&load(None).unwrap().config.to_toml().unwrap()).unwrap();
        for (section, table) in &effective {
            let Some(table) = table.as_table() else { continue };
            for key in table.keys() {
                let present = written.get(section).and_then(|s| s.get(key)).is_some();
                let inherited = (section == "mempool" && key == "chain_id")
                    || (section == "pipeline" && key == "verify_backend")
                    || (section == "crypto" && key == "backend");
                assert!(present || inherited, "smoke.toml lacks {section}.{key}");
            }
        }
    }

    #[test]
    fn crypto_backend_sets_or_inherits_the_cluster_backend() {
        use crate::backends::BackendName;
        let c = parse("[cluster]\nverify_backend = \"cpu\"\n", "t.toml").unwrap();
        assert_eq!(c.crypto.backend, BackendName::Cpu);
        let c = parse("[crypto]\nbackend = \"cpu-par\"\n", "t.toml").unwrap();
        assert_eq!(
            (c.cluster.verify_backend, c.pipeline.verify_backend),
            (CpuBackendKind::CpuPar, CpuBackendKind::CpuPar)
        );
        let err =
            parse("[cluster]\nverify_backend = \"cpu\"\n[crypto]\nbackend = \"cpu-par\"\n", "t.toml").unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { key: "crypto.backend", .. }), "{err}");
        assert_eq!(invalid_key("[crypto]\ngpu_in_flight = 0\n"), "crypto.gpu_batch");
        let err = parse("[crypto]\nbackend = \"tpu\"\n", "t.toml").unwrap_err().to_string();
        assert!(err.contains("unknown variant `tpu`"), "{err}");
    }

    #[test]
    fn effective_toml_round_trips() {
        let config = load(None).unwrap().config;
        let again = parse(&config.to_toml().unwrap(), "again").unwrap();
        assert_eq!(config, again);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = parse("[run]\nrate_tps = 10.0\nrate = 5\n", "t.toml").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ConfigError::Parse { .. }), "{msg}");
        assert!(msg.starts_with("t.toml:3:"), "{msg}");
        assert!(msg.contains("unknown field `rate`"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        let err = parse("[clustre]\nvalidators = 4\n", "t.toml").unwrap_err().to_string();
        assert!(err.contains("unknown field `clustre`"), "{err}");
        let err = parse("[network]\nlatency = 4\n", "t.toml").unwrap_err().to_string();
        assert!(err.contains("unknown field `latency`"), "{err}");
    }

    #[test]
    fn bad_enum_value_is_named() {
        let err = parse("[run]\nsubmit_to = \"random\"\n", "t.toml").unwrap_err().to_string();
        assert!(err.contains("unknown variant `random`") && err.contains("round-robin"), "{err}");
        let err = parse("[cluster]\nvote_scheme = \"rsa\"\n", "t.toml").unwrap_err().to_string();
        assert!(err.contains("unknown variant `rsa`"), "{err}");
        let err = parse("[cluster]\nclock = \"sundial\"\n", "t.toml").unwrap_err().to_string();
        assert!(err.contains("unknown variant `sundial`"), "{err}");
    }

    #[test]
    fn wrong_type_and_syntax_errors() {
        let err = parse("[run]\nrate_tps = \"fast\"\n", "t.toml").unwrap_err().to_string();
        assert!(err.starts_with("t.toml:2:"), "{err}");
        let err = parse("[run\n", "t.toml").unwrap_err().to_string();
        assert!(err.starts_with("t.toml:1:") && !err.contains('\n'), "{err}");
    }

    #[test]
    fn unreadable_file_names_path_and_os_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.toml");
        let msg = load(Some(&path)).unwrap_err().to_string();
        assert!(msg.contains("missing.toml") && msg.contains("No such file"), "{msg}");
        assert!(load(Some(dir.path())).is_err(), "a directory is not a config");
    }

    #[test]
    fn invalid_values_name_their_key() {
        assert_eq!(invalid_key("[cluster]\nvalidators = 3\n"), "cluster.validators");
        assert_eq!(invalid_key("[run]\nrate_tps = 0.0\n"), "run.rate_tps");
        assert_eq!(invalid_key("[run]\nrate_tps = -5.0\n"), "run.rate_tps");
        assert_eq!(invalid_key("[run]\nduration_s = 0.0\n"), "run.duration_s");
        assert_eq!(invalid_key("[run]\nduration_s = 3.0\nwarmup_s = 2.0\ncooldown_s = 1.0\n"), "run.warmup_s");
        assert_eq!(invalid_key("[run]\ndrain_s = -1.0\n"), "run.drain_s");
        assert_eq!(invalid_key("[run]\nrate_tps = 1e9\nduration_s = 100.0\n"), "run.rate_tps");
        assert_eq!(invalid_key("[workload]\naccounts = 1\n"), "workload.accounts");
        assert_eq!(invalid_key("[workload]\nmemo_bytes = 100000\n"), "workload.memo_bytes");
        assert_eq!(invalid_key("[workload]\ninitial_balance = 1\n"), "workload.initial_balance");
        assert_eq!(invalid_key("[workload]\namount = 9223372036854775807\n"), "workload.initial_balance");
        assert_eq!(invalid_key("[network]\nloss = 1.0\n"), "network.loss");
        assert_eq!(invalid_key("[cluster]\nstorage_dir = \"/tmp/x\"\n"), "cluster.storage_dir");
        let msg = parse("[cluster]\nvalidators = 3\n", "t.toml").unwrap().validate("t.toml").unwrap_err().to_string();
        assert_eq!(msg, "t.toml: cluster.validators: must be at least 4 (n = 3f + 1 with f ≥ 1), got 3");
    }

    /// A `[pipeline.cores]` table naming a core this process may not run on (10000 exceeds every affinity
    /// mask) is refused at validation, naming the stage and the core, instead of running that stage unpinned.
    #[test]
    fn a_core_map_naming_a_core_the_process_may_not_use_is_invalid() {
        let text = "[pipeline.cores]\nstorage = [10000]\n";
        assert_eq!(invalid_key(text), "pipeline.cores");
        let msg = parse(text, "t.toml").expect("parses").validate("t.toml").unwrap_err().to_string();
        assert!(msg.contains("storage") && msg.contains("10000"), "{msg}");
    }

    #[test]
    fn chain_id_is_inherited_and_mismatch_refused() {
        let c = parse("[cluster]\nchain_id = 7\n", "t.toml").unwrap();
        assert_eq!(c.mempool.chain_id, 7);
        let c = parse("[cluster]\nchain_id = 7\n[mempool]\nchain_id = 7\n", "t.toml").unwrap();
        assert_eq!(c.mempool.chain_id, 7);
        let err = parse("[cluster]\nchain_id = 7\n[mempool]\nchain_id = 8\n", "t.toml").unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { key: "mempool.chain_id", .. }), "{err}");
    }

    #[test]
    fn corpus_len_counts_slots_before_the_end() {
        let mut c = BenchConfig::default();
        c.run.rate_tps = 400.0;
        c.run.duration_s = 10.0;
        assert_eq!(c.corpus_len(), 4000);
        c.run.rate_tps = 3.0;
        c.run.duration_s = 1.5;
        assert_eq!(c.corpus_len(), 5); // 0, 1/3, 2/3, 1, 4/3
        c.run.rate_tps = 0.1;
        assert_eq!(c.corpus_len(), 1);
    }

    #[test]
    fn duration_override_scales_warmup_only_when_needed() {
        let mut c = BenchConfig::default(); // 10 s, 2 s warm-up, 1 s cool-down
        assert!(c.set_duration(20.0).is_none());
        assert_eq!((c.run.warmup_s, c.run.cooldown_s), (2.0, 1.0));
        let note = c.set_duration(3.0).expect("scaled");
        assert!(note.contains("scaled"));
        assert!((c.run.warmup_s - 0.3).abs() < 1e-9 && (c.run.cooldown_s - 0.15).abs() < 1e-9);
        c.validate("t").unwrap();
    }
}
