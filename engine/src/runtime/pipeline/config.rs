//! The pipeline's configuration: which cores each stage runs on, batch and queue sizes.
//!
//! The core map is data, not code (as Firedancer's topology): `cores = "auto"` lays stages out for the machine,
//! a `[cores]` table names them explicitly.

use super::stage::StageKind;
use crate::types::invalid_config::{InvalidConfig, invalid};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// Cores of every stage. `sigverify`, `admission`, `execution`, `vote_crypto` and (from two cores) `committee` run
/// one thread per listed core; every other stage runs one thread on its first listed core. `committee` is where
/// the synthetic committee of node mode runs (outside the node's cores whenever the machine has enough of them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoreMap {
    /// Ingress (batching submitted transactions).
    pub ingress: Vec<usize>,
    /// Signature verification, one thread per core.
    pub sigverify: Vec<usize>,
    /// Mempool admission: the pool split by sender into one shard per core, each batch admitted on all of them at
    /// once for the node stage (which waits, burning no CPU); empty keeps admission on the node thread (one shard).
    pub admission: Vec<usize>,
    /// The node stage: mempool, provisioning and consensus (one `NodeStateMachine`).
    pub node: Vec<usize>,
    /// Block execution: one lane per core (a block's independent transfers run in parallel, bit-identical to
    /// executing them in order).
    pub execution: Vec<usize>,
    /// Storage commit (one write transaction per block).
    pub storage: Vec<usize>,
    /// Consensus-signature verification off the node thread, one thread per core; empty (the automatic layout's
    /// choice) keeps it on the node stage, batched there.
    pub vote_crypto: Vec<usize>,
    /// The wire to the other validators (runs only when the node's peers are other processes): the network's
    /// threads spread over these cores. The automatic layout shares ingress's core (both are light per
    /// transaction).
    pub network: Vec<usize>,
    /// The synthetic committee of node mode: its loop thread on the first core; from two cores its members run on a
    /// pool of one pinned thread per core (one core: on the loop thread, one after the other).
    pub committee: Vec<usize>,
}

impl CoreMap {
    /// The cores of `stage`.
    pub fn cores(&self, stage: StageKind) -> &Vec<usize> {
        match stage {
            StageKind::Ingress => &self.ingress,
            StageKind::Sigverify => &self.sigverify,
            StageKind::Admission => &self.admission,
            StageKind::Node => &self.node,
            StageKind::Execution => &self.execution,
            StageKind::Storage => &self.storage,
            StageKind::VoteCrypto => &self.vote_crypto,
            StageKind::Network => &self.network,
            StageKind::Committee => &self.committee,
        }
    }

    /// The cores of `stage`, to change (what `tune` moves).
    pub fn cores_mut(&mut self, stage: StageKind) -> &mut Vec<usize> {
        match stage {
            StageKind::Ingress => &mut self.ingress,
            StageKind::Sigverify => &mut self.sigverify,
            StageKind::Admission => &mut self.admission,
            StageKind::Node => &mut self.node,
            StageKind::Execution => &mut self.execution,
            StageKind::Storage => &mut self.storage,
            StageKind::VoteCrypto => &mut self.vote_crypto,
            StageKind::Network => &mut self.network,
            StageKind::Committee => &mut self.committee,
        }
    }

    /// The stage lists by name, in pipeline order (committee last).
    pub fn stages(&self) -> [(&'static str, &Vec<usize>); 9] {
        StageKind::ALL.map(|k| (k.name(), self.cores(k)))
    }

    /// The automatic layout over `allowed`, the ids of the cores the process may run on (as
    /// [`super::available_cores`] lists them; sorted and deduplicated here, an empty list is taken as `[0]`).
    /// Stages are laid out by position in that list, so under `taskset -c 4-7` "core 0" below is core 4:
    ///
    /// | allowed cores | committee | ingress | sigverify | admission | node | execution | storage |
    /// |---|---|---|---|---|---|---|---|
    /// | 1 | 0 | 0 | 0 | — | 0 | 0 | 0 |
    /// | 2 | 0 | 0 | 1 | — | 1 | 1 | 1 |
    /// | 3–5 | 0 | 0 | 1 … c−2 | — | c−1 | c−1 | c−1 |
    /// | 6–11 | 0 | 1 | 4 … c−1 | — | 2 | 3 | 3 |
    /// | ≥ 12 | 0, 1 | 2 | 8 … c−1 | 6, 7 | 3 | 4 | 5 |
    ///
    /// (`k` is the `k`-th allowed core, `c` how many there are; — is none: the node stage admits on its own
    /// thread.) From 12 cores admission gets two shards of its own, since there the one node thread is the wall
    /// `plan` projects, and the committee two threads, since on one thread it caps what the node can be offered
    /// (a starting layout from the 2-core measurements, for `tune` to improve; not yet measured on such a
    /// machine). Signature verification gets every core left over, because it is the stage that scales with load
    /// (the Firedancer lesson in FIELD-NOTES); the committee keeps the first core (two from 12 up) to itself from 6
    /// cores up, so its cost never lands on the node's cores there. On 2
    /// cores the node keeps the second core whole: measured here, giving sigverify both cores let the committee
    /// (≈ 70 % of a core) compete with it, and the ceiling was lower (10–12k vs 14k tx/s,
    /// bench-configs/node-ceiling.toml).
    pub fn auto(allowed: &[usize]) -> CoreMap {
        let mut ids = allowed.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            ids.push(0);
        }
        let c = ids.len();
        let at = |k: usize| vec![ids[k]];
        let range = |a: usize, b: usize| ids[a..b].to_vec();
        match c {
            1 => CoreMap {
                ingress: at(0),
                sigverify: at(0),
                admission: Vec::new(),
                node: at(0),
                execution: at(0),
                storage: at(0),
                vote_crypto: Vec::new(),
                network: at(0),
                committee: at(0),
            },
            2 => CoreMap {
                ingress: at(0),
                sigverify: at(1),
                admission: Vec::new(),
                node: at(1),
                execution: at(1),
                storage: at(1),
                vote_crypto: Vec::new(),
                network: at(0),
                committee: at(0),
            },
            3..=5 => CoreMap {
                ingress: at(0),
                sigverify: range(1, c - 1),
                admission: Vec::new(),
                node: at(c - 1),
                execution: at(c - 1),
                storage: at(c - 1),
                vote_crypto: Vec::new(),
                network: at(0),
                committee: at(0),
            },
            6..=11 => CoreMap {
                ingress: at(1),
                sigverify: range(4, c),
                admission: Vec::new(),
                node: at(2),
                execution: at(3),
                storage: at(3),
                vote_crypto: Vec::new(),
                network: at(1),
                committee: at(0),
            },
            _ => CoreMap {
                ingress: at(2),
                sigverify: range(8, c),
                admission: range(6, 8),
                node: at(3),
                execution: at(4),
                storage: at(5),
                vote_crypto: Vec::new(),
                network: at(2),
                committee: range(0, 2),
            },
        }
    }

    /// Every `(stage, core)` of this map whose core is not in `allowed`, in pipeline order.
    pub fn outside(&self, allowed: &[usize]) -> Vec<(&'static str, usize)> {
        self.stages()
            .into_iter()
            .flat_map(|(name, cores)| cores.iter().filter(|c| !allowed.contains(c)).map(move |&c| (name, c)))
            .collect()
    }
}

/// `cores = "auto"` or an explicit `[cores]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // a config value, built once per run
pub enum CoreLayout {
    /// [`CoreMap::auto`] over the cores the process may run on when the run starts.
    #[default]
    Auto,
    /// Exactly these cores.
    Explicit(CoreMap),
}

impl CoreLayout {
    /// Checks that an explicit map names only cores in `allowed` (the ids of [`super::available_cores`]); the
    /// error names every offending stage and core, and the allowed ones. [`CoreLayout::Auto`] always passes.
    pub fn check(&self, allowed: &[usize]) -> Result<(), String> {
        let CoreLayout::Explicit(map) = self else { return Ok(()) };
        let outside = map.outside(allowed);
        if outside.is_empty() {
            return Ok(());
        }
        let named: Vec<String> = outside.iter().map(|(stage, core)| format!("{stage} = core {core}")).collect();
        Err(format!(
            "{} not among the cores this process may run on ({allowed:?}; taskset, cpusets and containers restrict \
             them); name only those, or use cores = \"auto\"",
            named.join(", ")
        ))
    }

    /// The core map to run with when the process may run on the cores `allowed` (the ids of
    /// [`super::available_cores`]), plus warnings: a stage left empty in an explicit map takes its automatic
    /// cores (and says so). An explicit map naming a core outside `allowed` is an error (see
    /// [`CoreLayout::check`]): its stage could not be pinned.
    pub fn resolve(&self, allowed: &[usize]) -> Result<(CoreMap, Vec<String>), String> {
        self.check(allowed)?;
        let auto = CoreMap::auto(allowed);
        Ok(match self {
            CoreLayout::Auto => (auto, Vec::new()),
            CoreLayout::Explicit(map) => {
                let mut map = map.clone();
                let mut warnings = Vec::new();
                for stage in StageKind::ALL {
                    let fallback = auto.cores(stage);
                    let list = map.cores_mut(stage);
                    if list.is_empty() && !fallback.is_empty() {
                        // The network runs only on the wire; a map written for committee runs need not name it.
                        if stage != StageKind::Network {
                            let name = stage.name();
                            warnings
                                .push(format!("[cores] {name} is empty; using the automatic layout's {fallback:?}"));
                        }
                        list.clone_from(fallback);
                    }
                }
                (map, warnings)
            }
        })
    }
}

impl Serialize for CoreLayout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CoreLayout::Auto => s.serialize_str("auto"),
            CoreLayout::Explicit(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for CoreLayout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LayoutVisitor;
        impl<'de> Visitor<'de> for LayoutVisitor {
            type Value = CoreLayout;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"auto\" or a table of stage = [core, ...]")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CoreLayout, E> {
                match v {
                    "auto" => Ok(CoreLayout::Auto),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CoreLayout, A::Error> {
                CoreMap::deserialize(de::value::MapAccessDeserializer::new(map)).map(CoreLayout::Explicit)
            }
        }
        d.deserialize_any(LayoutVisitor)
    }
}

/// How the pipeline runs: core layout, batch size, queue capacity. (The verification backend is an object the
/// node-mode config carries, built once from `[crypto] backend`.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Core layout.
    pub cores: CoreLayout,
    /// Transactions per batch between ingress and sigverify (and sigverify and the node stage).
    pub batch_size: usize,
    /// Batches each bounded queue holds before its producer stalls.
    pub queue_capacity: usize,
    /// Scheduling niceness by stage name (`[pipeline.nice]`, -20 most favoured … 19 least), for each thread of
    /// the stage (its helper threads too); a stage not named keeps the process's niceness. A table written in the
    /// configuration replaces the default, `sigverify = 10`: where sigverify shares a core with the node, admission,
    /// execution and storage (every layout below 4 cores), a sigverify batch in progress otherwise delays the
    /// consensus work of a round on that core — measured on a 2-core Zen 5 (docs/NODE-MODE.md) at 62,000 tx/s, p99
    /// 792–799 ms with every thread at 0 and 261–460 ms with sigverify at 10, for the same CPU per transaction.
    /// Stages on cores of their own are unaffected: niceness only weighs threads that share a core.
    pub nice: BTreeMap<String, i32>,
}

/// The least and most niceness Linux accepts.
pub const NICE_RANGE: std::ops::RangeInclusive<i32> = -20..=19;

/// The default `[pipeline.nice]`: sigverify at 10 (see [`PipelineConfig::nice`]).
pub fn default_nice() -> BTreeMap<String, i32> {
    BTreeMap::from([(StageKind::Sigverify.name().to_string(), 10)])
}

impl PipelineConfig {
    /// The niceness configured for `stage`'s threads (`None`: they keep the process's).
    pub fn nice_of(&self, stage: StageKind) -> Option<i32> {
        self.nice.get(stage.name()).copied()
    }

    /// Batches and queues of at least one, and a core map naming only cores in `allowed` (the ids of
    /// [`super::available_cores`]; a stage on another core would run unpinned). Keys under `[pipeline]`.
    pub fn validate(&self, allowed: &[usize]) -> Result<(), InvalidConfig> {
        if self.batch_size == 0 || self.queue_capacity == 0 {
            return invalid("pipeline.batch_size", "batch_size and queue_capacity must be at least 1");
        }
        if let Err(message) = self.cores.check(allowed) {
            return invalid("pipeline.cores", message);
        }
        for (name, nice) in &self.nice {
            match StageKind::from_name(name) {
                None => {
                    let names: Vec<&str> = StageKind::ALL.iter().map(|k| k.name()).collect();
                    return invalid(
                        "pipeline.nice",
                        format!("no stage is called `{name}` (stages: {})", names.join(", ")),
                    );
                }
                Some(StageKind::Network) => {
                    return invalid(
                        "pipeline.nice",
                        "the network's threads are started by the network layer and keep the process's niceness",
                    );
                }
                Some(_) => {}
            }
            if !NICE_RANGE.contains(nice) {
                return invalid(
                    "pipeline.nice",
                    format!("{name} = {nice} is outside {}..={}", NICE_RANGE.start(), NICE_RANGE.end()),
                );
            }
        }
        Ok(())
    }
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig { cores: CoreLayout::Auto, batch_size: 128, queue_capacity: 64, nice: default_nice() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under `taskset -c 4-7` (or a cpuset) the process may run only on cores 4–7: every core the automatic
    /// layout names must be one of them, or every stage silently runs unpinned.
    #[test]
    fn auto_layout_names_only_cores_the_process_may_use() {
        for allowed in [vec![4, 5, 6, 7], vec![2, 5], vec![3], vec![8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]] {
            let map = CoreMap::auto(&allowed);
            for (name, cores) in map.stages() {
                assert!(
                    !cores.is_empty() || StageKind::from_name(name).is_some_and(StageKind::optional),
                    "allowed {allowed:?}: {name} has no core"
                );
                for core in cores {
                    assert!(allowed.contains(core), "allowed {allowed:?}: {name} names core {core}: {map:?}");
                }
            }
        }
    }

    /// The layout is the documented table over positions in the allowed list: on [2, 5] the committee and
    /// ingress take 2, the rest 5; unsorted or repeated ids change nothing; no ids at all is core 0.
    #[test]
    fn auto_layout_follows_the_table_over_the_allowed_ids() {
        let two = CoreMap::auto(&[5, 2, 5]);
        assert_eq!((two.committee.as_slice(), two.ingress.as_slice()), (&[2][..], &[2][..]));
        assert!([&two.sigverify, &two.node, &two.execution, &two.storage].iter().all(|c| c.as_slice() == [5]));
        let eight = CoreMap::auto(&[10, 11, 12, 13, 14, 15, 16, 17]);
        assert_eq!(eight.committee, vec![10]);
        assert_eq!(eight.ingress, vec![11]);
        assert_eq!(eight.node, vec![12]);
        assert_eq!((eight.execution.as_slice(), eight.storage.as_slice()), (&[13][..], &[13][..]));
        assert_eq!(eight.sigverify, vec![14, 15, 16, 17]);
        assert_eq!(CoreMap::auto(&[]), CoreMap::auto(&[0]));
        assert_eq!(CoreMap::auto(&[0, 1, 2, 3]).sigverify, vec![1, 2]);
        let sixteen = CoreMap::auto(&(0..16).collect::<Vec<_>>());
        assert_eq!((sixteen.committee.as_slice(), sixteen.ingress.as_slice()), (&[0, 1][..], &[2][..]));
        assert_eq!((sixteen.node.as_slice(), sixteen.execution.as_slice()), (&[3][..], &[4][..]));
        assert_eq!((sixteen.storage.clone(), sixteen.admission.clone()), (vec![5], vec![6, 7]));
        assert_eq!(sixteen.sigverify, (8..16).collect::<Vec<_>>());
        let twelve = CoreMap::auto(&(20..32).collect::<Vec<_>>());
        assert_eq!((twelve.committee.clone(), twelve.sigverify.clone()), (vec![20, 21], vec![28, 29, 30, 31]));
        let eleven = CoreMap::auto(&(0..11).collect::<Vec<_>>());
        assert_eq!((eleven.committee.clone(), eleven.ingress.clone()), (vec![0], vec![1]));
        assert!(eight.admission.is_empty() && two.admission.is_empty() && eleven.admission.is_empty());
    }

    /// An explicit map naming a core outside the allowed set is an error naming each such stage and core;
    /// inside it, the map resolves (empty stages from the automatic layout over the same set).
    #[test]
    fn explicit_map_outside_the_allowed_cores_is_an_error() {
        let map = CoreMap { sigverify: vec![4, 9], storage: vec![0], ..CoreMap::default() };
        let layout = CoreLayout::Explicit(map);
        let err = layout.resolve(&[4, 5, 6, 7]).expect_err("cores 9 and 0 are not allowed");
        assert!(err.contains("sigverify = core 9") && err.contains("storage = core 0"), "{err}");
        assert!(err.contains("[4, 5, 6, 7]") && !err.contains("core 4"), "{err}");
        assert_eq!(layout.check(&[0, 4, 9]), Ok(()));
        let (resolved, warnings) = layout.resolve(&[0, 4, 9]).expect("every named core is allowed");
        assert_eq!(resolved.node, CoreMap::auto(&[0, 4, 9]).node);
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert_eq!(CoreLayout::Auto.check(&[3]), Ok(()));
    }
}
