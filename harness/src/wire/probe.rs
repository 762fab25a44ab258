//! Ceiling probes of node mode over the wire: each probe a fresh [`Deployment`] of validator 0 (an `hsbench node`
//! process, the node under test) and its committee (an `hsbench committee` process), the load from this process
//! on validator 0's client port, validator 0's stages — its network stage among them — read back from its report.
//!
//! The committee process's busy share is its CPU time over its wall time and cores (start-up and shutdown
//! included, so it reads low); a probe that fails while the committee used ≥ 90 % of its cores and validator 0
//! did not is harness-bound, like a saturated in-process committee.

use super::cluster::{Deployment, Finished, with_node_stages};
use super::committee::CommitteeFile;
use crate::ceiling::search::{ProbeError, RateProbe};
use crate::config::BenchConfig;
use crate::loadgen::schedule::{Profile, intended_offsets};
use crate::run::node::measure_rate;
use crate::run::node::probe::{CorpusStore, probe_plan};
use crate::run::node::rate::RateResult;
use crate::ui::{Ui, load_bar};
use hsbench_engine::runtime::pipeline::{available_cores, core_shares};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

/// Committee process busy share (% of its cores) from which a failing probe counts as harness-bound.
const SATURATED_PCT: f64 = 90.0;

/// Runs node mode over the wire at one rate after another (see the module doc).
pub struct WireProbe<'a> {
    config: &'a BenchConfig,
    ui: Ui,
    /// Where each probe's processes keep their data, logs and reports (`probe-<k>`).
    dir: PathBuf,
    probes: usize,
    /// The corpus every probe draws from.
    pub corpus: CorpusStore,
    /// The committee process's report of the most recent probe.
    pub last_committee: Option<CommitteeFile>,
}

impl<'a> WireProbe<'a> {
    /// A probe of `config` (validated) caching its corpus under `cache_dir`, its processes' folders in `dir`.
    pub fn new(config: &'a BenchConfig, cache_dir: Option<PathBuf>, dir: PathBuf, ui: Ui) -> Self {
        WireProbe { config, ui, dir, probes: 0, corpus: CorpusStore::new(config, cache_dir), last_committee: None }
    }

    /// The cores of validator 0 and of the committee process (the shares every deployment gives them).
    pub fn shares() -> Vec<Vec<usize>> {
        core_shares(&available_cores(), 2)
    }
}

impl RateProbe for WireProbe<'_> {
    fn probe(&mut self, rate: f64, duration: Duration) -> Result<RateResult, ProbeError> {
        let offsets = intended_offsets(&Profile::Constant, rate, duration.as_secs_f64(), u64::MAX);
        let plan = probe_plan(self.config, duration);
        self.corpus.ensure(offsets.len() as u64, &self.ui);
        let load = self.corpus.load(offsets);
        self.probes += 1;
        let run_dir = self.dir.join(format!("probe-{}", self.probes));
        let failed = |what: &'static str| move |e: anyhow::Error| ProbeError(format!("{what}: {e:#}"));
        let deployment = Deployment::start(self.config, run_dir.clone(), true, &[], None)
            .map_err(failed("starting the processes"))?;
        let (bar, mut draw) = load_bar(self.ui.progress, plan.duration);
        let invalid = self.config.workload.invalid.total();
        let measured = measure_rate(&deployment.client, load, &plan, invalid, &mut draw);
        bar.finish_and_clear();
        let finished = deployment.finish(&BTreeSet::new(), false).map_err(failed("stopping the processes"))?;
        let agreement = finished.agreement(&[]);
        let Finished { nodes, committee, exits, .. } = finished;
        if let Some(e) = exits.iter().find(|e| e.killed || e.code != Some(0)) {
            return Err(ProbeError(format!(
                "process {} did not stop cleanly: {e:?} (logs in {})",
                e.id,
                run_dir.display()
            )));
        }
        let committee = committee.ok_or_else(|| ProbeError("no committee report".into()))?;
        let node = nodes.first().ok_or_else(|| ProbeError("no report of validator 0".into()))?;
        if !agreement.mismatches.is_empty() {
            return Err(ProbeError(format!("validator 0 and its committee disagree on state roots: {agreement:?}")));
        }
        let mut result = with_node_stages(measured?, &nodes);
        let shares = WireProbe::shares();
        let busy = |cpu_s: f64, wall_s: f64, cores: usize| 100.0 * cpu_s / (wall_s * cores.max(1) as f64).max(1e-9);
        let cores = |k: usize| shares.get(k).map_or(1, Vec::len);
        result.committee_busy_pct = busy(committee.process_cpu_s, committee.wall_s, cores(1));
        let node_busy = busy(node.process_cpu_s, node.wall_s, cores(0));
        if result.committee_busy_pct >= SATURATED_PCT && node_busy < result.committee_busy_pct {
            result.harness_bound = Some(format!(
                "the committee process used {:.0} % of its cores, validator 0 {node_busy:.0} % of its own",
                result.committee_busy_pct
            ));
        }
        result.warnings = node.warnings.clone();
        self.last_committee = Some(committee);
        Ok(result)
    }
}
