//! `[crypto]` and the transaction verification backend keys: `[cluster] verify_backend`, `[pipeline]
//! verify_backend` and `[crypto] backend`, and how they inherit from each other; plus the checks on `[crypto]`
//! (`crate::backends::CryptoConfig`, the GPU dispatch settings).
//!
//! The rules: `[cluster] verify_backend` is the source; `[pipeline]` inherits it and may repeat it only
//! unchanged; `[crypto] backend`, absent, is the cluster's; a CPU kind there sets the cluster's and the
//! pipeline's (and may not contradict an explicit cluster one); `gpu` leaves them alone.

use super::{BenchConfig, Check, ConfigError, Section, invalid};
use crate::backends::CryptoConfig;

impl Section for CryptoConfig {
    /// At least one item per GPU dispatch and one dispatch in flight.
    fn validate(&self) -> Check {
        if self.gpu_batch == 0 || self.gpu_in_flight == 0 {
            return invalid("crypto.gpu_batch", "gpu_batch and gpu_in_flight must be at least 1".to_string());
        }
        Ok(())
    }
}

/// Applies the backend inheritance to a parsed `config` (`table` is the same text as a TOML table, to tell an
/// explicit key from a default one).
pub(super) fn inherit_backends(table: &toml::Table, config: &mut BenchConfig, origin: &str) -> Result<(), ConfigError> {
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
    inherit_crypto_backend(table, config, origin)
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
