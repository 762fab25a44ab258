//! Livelock resolution settings (the `[livelock]` table of a bench config).

use serde::{Deserialize, Serialize};

/// How deferred victims are retried.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LivelockConfig {
    /// How many times a transaction may be deferred and retried; chosen as a victim once more, it is aborted.
    /// 0 aborts every victim at once.
    pub max_retries: u32,
    /// Blocks between a deferral and its retry (0 = eligible again at the same height).
    pub retry_delay_blocks: u64,
}

impl Default for LivelockConfig {
    fn default() -> Self {
        LivelockConfig { max_retries: 3, retry_delay_blocks: 1 }
    }
}
