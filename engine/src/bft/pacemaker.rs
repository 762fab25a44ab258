//! View-change timer with exponential back-off.

use super::config::ConsensusConfig;
use std::time::Duration;

/// Timer length after `failed` consecutive rounds without progress: base × backoff^failed, capped.
pub fn view_timeout(config: &ConsensusConfig, failed: u32) -> Duration {
    let base = config.base_timeout_ms as f64;
    let factor = config.timeout_backoff.max(1.0).powi(failed.min(64) as i32);
    let ms = (base * factor).min(config.max_timeout_ms as f64).max(1.0);
    Duration::from_micros((ms * 1000.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_and_caps() {
        let c =
            ConsensusConfig { base_timeout_ms: 1000, timeout_backoff: 2.0, max_timeout_ms: 5000, ..Default::default() };
        assert_eq!(view_timeout(&c, 0), Duration::from_millis(1000));
        assert_eq!(view_timeout(&c, 1), Duration::from_millis(2000));
        assert_eq!(view_timeout(&c, 2), Duration::from_millis(4000));
        assert_eq!(view_timeout(&c, 3), Duration::from_millis(5000));
        assert_eq!(view_timeout(&c, 1000), Duration::from_millis(5000));
    }
}
