//! A point of the tuning space: the core map, the batch size between stages, the verification backend and the block
//! interval — the knobs of `[pipeline]`, `[crypto]` and `[consensus]` that change a node's ceiling without changing
//! what it computes (the interval changes how transactions are grouped into blocks, not what a block does).

use crate::backends::BackendName;
use crate::config::BenchConfig;
use hsbench_engine::runtime::pipeline::{CoreLayout, CoreMap};
use serde::Serialize;

/// One configuration `hsbench tune` measures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// Which cores every stage runs on.
    pub cores: CoreMap,
    /// Transactions per batch between ingress, sigverify and the node stage.
    pub batch_size: usize,
    /// Verification backend of the node under test.
    pub backend: BackendName,
    /// `consensus.min_block_interval_ms` of the node and its committee: fewer, bigger blocks pay less per-block BLS
    /// work per transaction on a CPU-bound core, at the price of latency (docs/PROTOCOL-CHOICES.md "Block interval").
    pub block_interval_ms: u64,
}

impl Candidate {
    /// The candidate `config` describes, its core layout resolved over the cores `allowed` (ids, as
    /// `available_cores` lists them); an explicit layout naming a core outside them is an error.
    pub fn of(config: &BenchConfig, allowed: &[usize]) -> Result<Self, String> {
        Ok(Candidate {
            cores: config.pipeline.cores.resolve(allowed)?.0,
            batch_size: config.pipeline.batch_size,
            backend: config.crypto.backend,
            block_interval_ms: config.consensus.min_block_interval_ms,
        })
    }

    /// A short, unique label: stage → cores, batch size, backend, block interval (`sv 1 · node 1 · exec 1 · store 1 ·
    /// in 0 · com 0 | batch 128 | cpu-batch | 20 ms`).
    pub fn label(&self) -> String {
        let c = &self.cores;
        let list = |v: &Vec<usize>| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        // Admission and vote crypto are named only when they have cores of their own (otherwise the node stage does
        // their work).
        let optional =
            |tag: &str, v: &Vec<usize>| if v.is_empty() { String::new() } else { format!(" · {tag} {}", list(v)) };
        let (admission, vote_crypto) = (optional("adm", &c.admission), optional("vc", &c.vote_crypto));
        format!(
            "sv {} · node {} · exec {} · store {} · in {} · com {}{admission}{vote_crypto} | batch {} | {} | {} ms",
            list(&c.sigverify),
            list(&c.node),
            list(&c.execution),
            list(&c.storage),
            list(&c.ingress),
            list(&c.committee),
            self.batch_size,
            self.backend,
            self.block_interval_ms
        )
    }

    /// `base` with this candidate's knobs: an explicit core map, the batch size, the backend and the block interval.
    pub fn apply(&self, base: &BenchConfig) -> BenchConfig {
        let mut config = base.clone();
        config.pipeline.cores = CoreLayout::Explicit(self.cores.clone());
        config.pipeline.batch_size = self.batch_size;
        config.crypto.backend = self.backend;
        config.consensus.min_block_interval_ms = self.block_interval_ms;
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_round_trips_and_labels_differ() {
        let base = BenchConfig::default();
        let c = Candidate::of(&base, &[0, 1]).expect("auto layout");
        let mut other = c.clone();
        other.batch_size = 256;
        other.backend = BackendName::CPU;
        other.block_interval_ms = 40;
        let applied = other.apply(&base);
        assert_eq!(Candidate::of(&applied, &[0, 1]).as_ref(), Ok(&other));
        assert_eq!(applied.crypto.backend.name(), "cpu");
        assert_eq!(applied.consensus.min_block_interval_ms, 40);
        assert_ne!(c.label(), other.label());
        assert!(c.label().contains("batch 128"), "{}", c.label());
    }
}
