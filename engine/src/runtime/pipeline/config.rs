//! The pipeline's configuration: which cores each stage runs on, batch and queue sizes, the sigverify backend.
//!
//! The core map is data, not code (as Firedancer's topology): `cores = "auto"` lays stages out for the machine,
//! a `[cores]` table names them explicitly.

use crate::crypto::CpuBackendKind;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Cores of every stage. `sigverify` runs one thread per listed core; every other stage runs one thread on its
/// first listed core. `committee` is where the synthetic committee of node mode runs (outside the node's cores
/// whenever the machine has enough of them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoreMap {
    /// Ingress (batching submitted transactions).
    pub ingress: Vec<usize>,
    /// Signature verification, one thread per core.
    pub sigverify: Vec<usize>,
    /// The node stage: mempool, provisioning and consensus (one `NodeStateMachine`).
    pub node: Vec<usize>,
    /// Block execution (sequential in block order: one thread).
    pub execution: Vec<usize>,
    /// Storage commit (one write transaction per block).
    pub storage: Vec<usize>,
    /// The synthetic committee of node mode (one thread).
    pub committee: Vec<usize>,
}

impl CoreMap {
    /// The stage lists by name, in pipeline order (committee last).
    pub fn stages(&self) -> [(&'static str, &Vec<usize>); 6] {
        [
            ("ingress", &self.ingress),
            ("sigverify", &self.sigverify),
            ("node", &self.node),
            ("execution", &self.execution),
            ("storage", &self.storage),
            ("committee", &self.committee),
        ]
    }

    fn stages_mut(&mut self) -> [(&'static str, &mut Vec<usize>); 6] {
        [
            ("ingress", &mut self.ingress),
            ("sigverify", &mut self.sigverify),
            ("node", &mut self.node),
            ("execution", &mut self.execution),
            ("storage", &mut self.storage),
            ("committee", &mut self.committee),
        ]
    }

    /// The automatic layout for a machine with `available` cores (0 is treated as 1).
    ///
    /// | cores | committee | ingress | sigverify | node | execution | storage |
    /// |---|---|---|---|---|---|---|
    /// | 1 | 0 | 0 | 0 | 0 | 0 | 0 |
    /// | 2 | 0 | 0 | 1 | 1 | 1 | 1 |
    /// | 3–5 | 0 | 0 | 1 … c−2 | c−1 | c−1 | c−1 |
    /// | 6–11 | 0 | 1 | 4 … c−1 | 2 | 3 | 3 |
    /// | ≥ 12 | 0 | 1 | 5 … c−1 | 2 | 3 | 4 |
    ///
    /// Signature verification gets every core left over, because it is the stage that scales with load (the
    /// Firedancer lesson in FIELD-NOTES); the committee keeps core 0 to itself from 6 cores up, so its cost never
    /// lands on the node's cores there. On 2 cores the node keeps core 1 whole: measured here, giving sigverify
    /// both cores let the committee (≈ 70 % of a core) compete with it, and the ceiling was lower (10–12k vs
    /// 14k tx/s, bench-configs/node-ceiling.toml).
    pub fn auto(available: usize) -> CoreMap {
        let c = available.max(1);
        let range = |a: usize, b: usize| (a..b).collect::<Vec<_>>();
        match c {
            1 => CoreMap {
                ingress: vec![0],
                sigverify: vec![0],
                node: vec![0],
                execution: vec![0],
                storage: vec![0],
                committee: vec![0],
            },
            2 => CoreMap {
                ingress: vec![0],
                sigverify: vec![1],
                node: vec![1],
                execution: vec![1],
                storage: vec![1],
                committee: vec![0],
            },
            3..=5 => CoreMap {
                ingress: vec![0],
                sigverify: range(1, c - 1),
                node: vec![c - 1],
                execution: vec![c - 1],
                storage: vec![c - 1],
                committee: vec![0],
            },
            6..=11 => CoreMap {
                ingress: vec![1],
                sigverify: range(4, c),
                node: vec![2],
                execution: vec![3],
                storage: vec![3],
                committee: vec![0],
            },
            _ => CoreMap {
                ingress: vec![1],
                sigverify: range(5, c),
                node: vec![2],
                execution: vec![3],
                storage: vec![4],
                committee: vec![0],
            },
        }
    }
}

/// `cores = "auto"` or an explicit `[cores]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CoreLayout {
    /// [`CoreMap::auto`] for the machine the run starts on.
    #[default]
    Auto,
    /// Exactly these cores.
    Explicit(CoreMap),
}

impl CoreLayout {
    /// The core map to run with on a machine of `available` cores, plus warnings: a stage left empty in an
    /// explicit map takes its automatic cores (and says so). Cores that do not exist are kept here and reported
    /// when the thread fails to pin (it then runs unpinned; see [`super::pin_to_core`]).
    pub fn resolve(&self, available: usize) -> (CoreMap, Vec<String>) {
        let auto = CoreMap::auto(available);
        match self {
            CoreLayout::Auto => (auto, Vec::new()),
            CoreLayout::Explicit(map) => {
                let mut map = map.clone();
                let mut warnings = Vec::new();
                for ((name, list), (_, fallback)) in map.stages_mut().into_iter().zip(auto.stages()) {
                    if list.is_empty() {
                        warnings.push(format!("[cores] {name} is empty; using the automatic layout's {fallback:?}"));
                        list.clone_from(fallback);
                    }
                }
                (map, warnings)
            }
        }
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

/// How the pipeline runs: core layout, batch size, queue capacity, sigverify backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Core layout.
    pub cores: CoreLayout,
    /// Transactions per batch between ingress and sigverify (and sigverify and the node stage).
    pub batch_size: usize,
    /// Batches each bounded queue holds before its producer stalls.
    pub queue_capacity: usize,
    /// Backend of the sigverify stage and of the node's consensus crypto.
    pub verify_backend: CpuBackendKind,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            cores: CoreLayout::Auto,
            batch_size: 128,
            queue_capacity: 64,
            verify_backend: CpuBackendKind::CpuBatch,
        }
    }
}
