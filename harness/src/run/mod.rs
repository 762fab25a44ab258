//! `hsbench run`: one benchmark run under open-loop load — an in-process cluster ([`cluster`], `--mode cluster`)
//! or one node's pinned pipeline with a synthetic committee ([`node`], `--mode node`, also the engine of `ceiling`
//! and `tune`).

pub mod cluster;
pub mod node;

use crate::config::BenchConfig;
use crate::measure::Plan;
use serde::Serialize;
use std::time::Duration;

/// The measurement plan (load, warm-up, cool-down, drain) of `config`'s `[run]`.
pub fn plan(config: &BenchConfig) -> Plan {
    Plan {
        duration: Duration::from_secs_f64(config.run.duration_s),
        warmup: Duration::from_secs_f64(config.run.warmup_s),
        cooldown: Duration::from_secs_f64(config.run.cooldown_s),
        drain: Duration::from_secs_f64(config.run.drain_s),
    }
}

/// A config enum's name as written in the TOML.
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".to_string(),
    }
}

/// Microseconds as milliseconds with one decimal.
pub fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1e3)
}
