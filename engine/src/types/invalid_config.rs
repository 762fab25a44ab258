//! A configuration value its owner refuses. Each component's config validates its own fields (the owner knows
//! its rules); a front end such as the harness only adds where the value came from.

/// The key as written in a config file (`section.field`) and what is wrong with its value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct InvalidConfig {
    /// Dotted key, e.g. `consensus.base_timeout_ms`.
    pub key: &'static str,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// The refusal of `key` with `message`.
pub fn invalid(key: &'static str, message: impl Into<String>) -> Result<(), InvalidConfig> {
    Err(InvalidConfig { key, message: message.into() })
}
