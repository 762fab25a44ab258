//! [`Evaluate`] for the real node: one compact ceiling search per candidate (start near the best so far, one
//! confirmation run), the signed corpus shared by every candidate, the `gpu` backend started at most once.

use super::{Candidate, Evaluate, Evaluation};
use crate::backends::{self, BackendName, Built};
use crate::ceiling::search::{ProbeError, SearchPhase, SearchSettings, search};
use crate::config::BenchConfig;
use crate::run::node::probe::{CorpusStore, NodeProbe};
use crate::run::node::rate::busiest;
use crate::ui::Ui;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How each candidate's ceiling is searched.
#[derive(Clone, Copy, Debug)]
pub struct CompactSearch {
    /// Length of a search probe.
    pub probe: Duration,
    /// Length of the one confirmation run.
    pub confirm: Duration,
    /// Bisection precision (fraction).
    pub precision: f64,
    /// The first candidate's search starts at `[ceiling] start_tps`; later ones at this fraction of the best.
    pub start_fraction: f64,
}

/// Runs candidates of `base` on this machine.
pub struct NodeEvaluator<'a> {
    base: &'a BenchConfig,
    cache: PathBuf,
    search: CompactSearch,
    corpus: Option<CorpusStore>,
    gpu: Option<Built>,
    available: Vec<usize>,
}

impl<'a> NodeEvaluator<'a> {
    /// An evaluator over `base` (validated), caching the corpus under `cache`, on the cores `available` (ids).
    pub fn new(base: &'a BenchConfig, cache: PathBuf, search: CompactSearch, available: Vec<usize>) -> Self {
        NodeEvaluator { base, cache, search, corpus: None, gpu: None, available }
    }

    fn backend(&mut self, name: BackendName) -> Result<Option<Built>, ProbeError> {
        if name != BackendName::Gpu {
            return Ok(None);
        }
        if self.gpu.is_none() {
            let built = backends::build(name, &self.base.crypto).map_err(|e| ProbeError(format!("{e:#}")))?;
            self.gpu = Some(built);
        }
        Ok(self.gpu.clone())
    }
}

impl Evaluate for NodeEvaluator<'_> {
    fn evaluate(&mut self, c: &Candidate, hint: Option<f64>, deadline: Instant) -> Result<Evaluation, ProbeError> {
        let config = c.apply(self.base);
        let backend = self.backend(c.backend)?;
        let quiet = Ui { progress: false, log: false };
        let mut probe = NodeProbe::new(&config, Some(self.cache.clone()), quiet).with_backend(backend);
        if let Some(corpus) = self.corpus.take() {
            probe.corpus = corpus;
        }
        let k = &config.ceiling;
        let settings = SearchSettings {
            start_tps: hint.map_or(k.start_tps, |h| (h * self.search.start_fraction).max(1.0)),
            max_tps: k.max_tps,
            precision: self.search.precision,
            probe: self.search.probe,
            confirm: self.search.confirm,
            repeats: 1,
            deadline: Some(deadline),
        };
        let outcome = search(&mut probe, &settings, &config.slo, &mut |_| {});
        self.corpus = Some(std::mem::replace(&mut probe.corpus, CorpusStore::new(&config, None)));
        let outcome = outcome?;
        let at = outcome
            .curve
            .iter()
            .rev()
            .find(|p| p.phase == SearchPhase::Confirm && Some(p.rate_tps) == outcome.ceiling_tps)
            .map(|p| &p.result);
        let load = at.map(|r| r.core_busy(&c.cores.committee, &self.available)).unwrap_or_default();
        Ok(Evaluation {
            ceiling_tps: outcome.ceiling_tps.filter(|_| outcome.confirmed),
            confirmed: outcome.confirmed,
            p99_ms: outcome.p99_us as f64 / 1e3,
            bottleneck: at.map(|r| r.bottleneck.clone()).unwrap_or_default(),
            busiest_core: busiest(&load).and_then(|k| self.available.get(k).copied()),
            core_busy_pct: load,
            failed_above: outcome
                .curve
                .iter()
                .filter(|p| !p.pass && outcome.ceiling_tps.is_none_or(|c| p.rate_tps > c))
                .min_by(|a, b| a.rate_tps.total_cmp(&b.rate_tps))
                .map(|p| p.failures.clone())
                .unwrap_or_default(),
            seconds: 0.0,
        })
    }
}
