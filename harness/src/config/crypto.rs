//! `[crypto]`: the one verification backend key (`backend`) and the GPU dispatch settings, with their checks; and
//! the clear error for the per-section backend keys it replaced (`[cluster] verify_backend`, `[pipeline]
//! verify_backend`).

use super::{Check, ConfigError, Section, invalid};
use crate::backends::CryptoConfig;

impl Section for CryptoConfig {
    /// At least one item per GPU dispatch and one dispatch in flight; a workgroup of 1 to 1024 threads (the
    /// adapter's own limit is checked when the kernel is built).
    fn validate(&self) -> Check {
        if self.gpu_batch == 0 || self.gpu_in_flight == 0 {
            return invalid("crypto.gpu_batch", "gpu_batch and gpu_in_flight must be at least 1".to_string());
        }
        if let Some(w) = self.gpu_workgroup.filter(|w| !(1..=1024).contains(w)) {
            return invalid("crypto.gpu_workgroup", format!("must be 1 to 1024 threads, got {w}"));
        }
        Ok(())
    }
}

/// Keys an older config may still carry, and what replaced them.
const REMOVED_KEYS: [(&str, &str, &str); 2] = [
    ("cluster", "verify_backend", "cluster.verify_backend"),
    ("pipeline", "verify_backend", "pipeline.verify_backend"),
];

/// Refuses a config that still names a removed backend key, with the key that replaced it (`table` is the
/// config text as a TOML table, read before the typed parse would only say "unknown field").
pub(super) fn refuse_removed_keys(table: &toml::Table, origin: &str) -> Result<(), ConfigError> {
    for (section, field, key) in REMOVED_KEYS {
        if let Some(value) = table.get(section).and_then(|t| t.get(field)) {
            let value = value.as_str().map_or_else(|| value.to_string(), |s| format!("\"{s}\""));
            return Err(ConfigError::Invalid {
                origin: origin.to_string(),
                key,
                message: format!(
                    "was removed: the verification backend is one key for every command now; write \
                     `[crypto] backend = {value}` instead"
                ),
            });
        }
    }
    Ok(())
}
