//! `[cluster]`: the validators, their vote scheme, storage and clock, and the checks on them. (Transactions are
//! verified by the one `[crypto] backend`.)

use super::{Check, Section, invalid};
use hsbench_engine::crypto::VoteScheme;
use hsbench_engine::runtime::StorageMode;
use hsbench_engine::sim::ClockMode;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where the simulated nodes persist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// In memory.
    Memory,
    /// One redb file per node.
    Redb,
}

/// How time advances in the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockKind {
    /// Real time: crypto and execution costs show in latency and throughput.
    Wall,
    /// Simulated time: reproducible, measures protocol behaviour, not CPU cost.
    Virtual,
}

impl ClockKind {
    /// The engine's name for it.
    pub fn mode(self) -> ClockMode {
        match self {
            ClockKind::Wall => ClockMode::WallClock,
            ClockKind::Virtual => ClockMode::Virtual,
        }
    }
}

/// `[cluster]`: the validators and their crypto.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSettings {
    /// Number of validators (≥ 4, so one may be faulty).
    pub validators: usize,
    /// Chain id of every transaction and signed message (inherited by `[mempool]`).
    pub chain_id: u32,
    /// Vote signatures: `bls` or `ed25519`.
    pub vote_scheme: VoteScheme,
    /// `memory` or `redb`.
    pub storage: StorageKind,
    /// Directory of the redb files; absent = a fresh temporary directory, removed after the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_dir: Option<PathBuf>,
    /// `wall` or `virtual`.
    pub clock: ClockKind,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            validators: 4,
            chain_id: 1,
            vote_scheme: VoteScheme::Bls,
            storage: StorageKind::Memory,
            storage_dir: None,
            clock: ClockKind::Wall,
        }
    }
}

impl ClusterSettings {
    /// The engine's storage mode; a temporary folder for `redb` without `storage_dir` comes back too (keep it
    /// alive until the nodes are gone: dropping it removes the folder).
    pub fn storage_mode(&self) -> std::io::Result<(StorageMode, Option<tempfile::TempDir>)> {
        Ok(match (self.storage, &self.storage_dir) {
            (StorageKind::Memory, _) => (StorageMode::Memory, None),
            (StorageKind::Redb, Some(dir)) => (StorageMode::Redb { dir: dir.clone() }, None),
            (StorageKind::Redb, None) => {
                let dir = tempfile::Builder::new().prefix("hsbench-redb-").tempdir()?;
                (StorageMode::Redb { dir: dir.path().to_path_buf() }, Some(dir))
            }
        })
    }
}

impl Section for ClusterSettings {
    /// Enough validators for one fault, few enough for a `u16` index, `storage_dir` only with redb.
    fn validate(&self) -> Check {
        if self.validators < 4 {
            return invalid(
                "cluster.validators",
                format!("must be at least 4 (n = 3f + 1 with f ≥ 1), got {}", self.validators),
            );
        }
        if self.validators > usize::from(u16::MAX) {
            return invalid("cluster.validators", format!("must be at most {}, got {}", u16::MAX, self.validators));
        }
        if self.storage_dir.is_some() && self.storage == StorageKind::Memory {
            return invalid("cluster.storage_dir", "is only used with storage = \"redb\"".to_string());
        }
        Ok(())
    }
}
