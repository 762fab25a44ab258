//! Benchmark configuration: one TOML file, one section per component, the engine's own config structs reused
//! as they are (one name everywhere), every table strict (`deny_unknown_fields`).
//!
//! Loading never panics on user data: an unreadable file, a TOML syntax error, an unknown key, a bad enum value
//! or an invalid combination of values becomes one [`ConfigError`] whose message names the file, the line and
//! the key. The CLI turns it into exit code 2.
//!
//! One file per `[section]` holds its struct (or, for the engine's own structs, only its checks) and its
//! [`Section::validate`]; [`BenchConfig::validate`] runs them in file order plus the checks that span sections.
//! `chain_id` is set once, in `[cluster]`; `[mempool]` inherits it (see `mempool.rs`). The verification backend
//! keys and their inheritance are in `crypto.rs`.

mod ceiling;
mod cluster;
mod crypto;
mod mempool;
mod run;
mod slo;
mod wire;
mod workload;

pub use ceiling::CeilingConfig;
pub use cluster::{ClockKind, ClusterSettings, StorageKind};
pub use run::{RunConfig, SubmitTo};
pub use slo::SloConfig;
pub use wire::{ByzantineSpec, WireAddrs, WireSettings};
pub use workload::WorkloadConfig;

use hsbench_engine::bft::ConsensusConfig;
use hsbench_engine::mempool::MempoolConfig;
use hsbench_engine::provisioning::ProvisioningConfig;
use hsbench_engine::runtime::pipeline::{PipelineConfig, available_cores};
use hsbench_engine::runtime::{ChainConfig, StorageMode};
use hsbench_engine::sim::{ClusterConfig, NetworkConfig};
use hsbench_engine::types::{Account, AccountId};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default configuration, compiled into the binary so `hsbench run` works from any directory.
pub const SMOKE_TOML: &str = include_str!("../../../bench-configs/smoke.toml");

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

/// What a section's own check found wrong: the dotted key and the message (the caller adds the origin).
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    /// Dotted key, e.g. `run.rate_tps`.
    pub key: &'static str,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl From<hsbench_engine::types::InvalidConfig> for Invalid {
    fn from(e: hsbench_engine::types::InvalidConfig) -> Self {
        Invalid { key: e.key, message: e.message }
    }
}

/// The outcome of a section's check: the first problem found, if any.
pub type Check = Result<(), Invalid>;

/// The [`Check`] that fails on `key` with `message`.
fn invalid(key: &'static str, message: String) -> Check {
    Err(Invalid { key, message })
}

/// A configuration section that checks its own values (those that do not depend on other sections).
pub trait Section {
    /// The first problem with this section's values, if any.
    fn validate(&self) -> Check;
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
    /// table), `batch_size`, `queue_capacity`.
    pub pipeline: PipelineConfig,
    /// The one verification backend (`backend`, `gpu` included) and the GPU dispatch settings.
    pub crypto: crate::backends::CryptoConfig,
    /// Validators as separate processes (`hsbench node`, `hsbench cluster`): where they listen, which are
    /// byzantine.
    pub wire: WireSettings,
    /// `[[fault]]` tables: the fault schedule of `hsbench cluster` (`--faults FILE` replaces it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fault: Vec<crate::wire::faults::FaultSpec>,
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
    crypto::refuse_removed_keys(&table, origin)?;
    let mut config: BenchConfig = toml::from_str(text).map_err(parse_error)?;
    mempool::inherit_chain_id(&table, &mut config, origin)?;
    Ok(config)
}

/// `:line:column` (1-based) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(":{line}:{column}")
}

impl BenchConfig {
    /// The chain every runtime runs for this benchmark, with `genesis` and `storage`.
    pub fn chain_config(&self, genesis: Vec<(AccountId, Account)>, storage: StorageMode) -> ChainConfig {
        let c = &self.cluster;
        ChainConfig {
            validators: c.validators,
            seed: self.run.seed,
            chain_id: c.chain_id,
            vote_scheme: c.vote_scheme,
            consensus: self.consensus.clone(),
            mempool: self.mempool.clone(),
            provisioning: self.provisioning.clone(),
            genesis_accounts: genesis,
            storage,
            signature_free: !self.workload.signatures,
        }
    }

    /// How transactions are verified, for run headers: the `[crypto] backend`, or `signature-free` when
    /// `[workload] signatures = false` (then no node checks a signature).
    pub fn verification_label(&self) -> String {
        match self.workload.signatures {
            true => self.crypto.backend.to_string(),
            false => "SIGNATURE-FREE (no signature checked)".to_string(),
        }
    }

    /// The simulator's configuration: the chain, plus `[network]` and the cluster's clock.
    pub fn cluster_config(&self, genesis: Vec<(AccountId, Account)>, storage: StorageMode) -> ClusterConfig {
        ClusterConfig {
            chain: self.chain_config(genesis, storage),
            network: self.network.clone(),
            clock: self.cluster.clock.mode(),
        }
    }

    /// Checks every value the run depends on, section by section (in file order) and then across sections; the
    /// first problem found is returned.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let at = |e: Invalid| ConfigError::Invalid { origin: origin.to_string(), key: e.key, message: e.message };
        self.run.validate().map_err(at)?;
        self.cluster.validate().map_err(at)?;
        // The engine's sections validate themselves (their owners know their rules).
        let engine = |e: hsbench_engine::types::InvalidConfig| at(e.into());
        self.network.validate().map_err(engine)?;
        self.consensus.validate().map_err(engine)?;
        self.mempool.validate().map_err(engine)?;
        self.provisioning.validate().map_err(engine)?;
        self.workload.validate(self.mempool.max_tx_bytes, self.provisioning.max_block_bytes).map_err(at)?;
        self.slo.validate().map_err(at)?;
        self.ceiling.validate().map_err(at)?;
        self.pipeline.validate(&available_cores()).map_err(engine)?;
        self.crypto.validate().map_err(at)?;
        self.wire.validate_for(self.cluster.validators).map_err(at)?;
        if let Err(e) = crate::wire::faults::Schedule::from_specs(&self.fault, self.cluster.validators) {
            return Err(at(Invalid { key: "fault", message: e.to_string() }));
        }
        self.workload.validate_funding(self.corpus_len()).map_err(at)
    }

    /// Number of transactions in the corpus (see [`RunConfig::corpus_len`]).
    pub fn corpus_len(&self) -> u64 {
        self.run.corpus_len()
    }

    /// The measurement window: the load minus warm-up and cool-down.
    pub fn window(&self) -> Duration {
        self.run.window()
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
mod tests;
