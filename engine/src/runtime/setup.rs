//! One node setup for every runtime: the chain's configuration, and building its keys, genesis, committee
//! schedule, per-node parameters and nodes (state machine + services) from it. The simulator, the pinned pipeline
//! and its synthetic committee all build their nodes here, so a node is the same node whatever runs it.

use crate::bft::{BftParams, ConsensusConfig, EpochSchedule};
use crate::crypto::{
    CpuBackendKind, KeyRegistry, ValidatorKeyPair, VerifyBackend, VoteCrypto, VoteScheme, cpu_backend,
};
use crate::execution::ExecutionState;
use crate::mempool::MempoolConfig;
use crate::node::{NodeParams, NodeResume, NodeStateMachine};
use crate::provisioning::ProvisioningConfig;
use crate::runtime::{NodeServices, VerdictCache};
use crate::storage::{MemoryStorage, RedbStorage, Storage};
use crate::types::bitfield::MAX_COMMITTEE;
use crate::types::{Account, AccountId, Block, BlockHeader, Hash, QuorumCertificate, ValidatorId};
use std::path::PathBuf;
use std::sync::Arc;

/// Where each node keeps its ledger and state.
#[derive(Clone, Debug, PartialEq)]
pub enum StorageMode {
    /// In memory (fast; a simulated crash keeps a copy so restart still recovers).
    Memory,
    /// redb files, one per node, in this directory.
    Redb { dir: PathBuf },
}

/// The chain every runtime runs: validators and their keys' seed, consensus, mempool and block-building limits,
/// genesis and storage. What only one runtime needs (the simulator's network model and clock, the pipeline's
/// cores) lives with that runtime; the verification backend is an object handed to [`ChainSetup`].
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// Number of validators (≥ 4).
    pub validators: usize,
    /// Seed of every random choice (keys; the simulator's network and byzantine behaviour).
    pub seed: u64,
    /// Chain id stamped on transactions and signed messages.
    pub chain_id: u32,
    /// Vote signature scheme.
    pub vote_scheme: VoteScheme,
    /// Consensus timing and epochs.
    pub consensus: ConsensusConfig,
    /// Mempool limits.
    pub mempool: MempoolConfig,
    /// Block building limits.
    pub provisioning: ProvisioningConfig,
    /// Funded accounts at genesis.
    pub genesis_accounts: Vec<(AccountId, Account)>,
    /// Where nodes persist.
    pub storage: StorageMode,
    /// Transactions carry no signature and nodes check none (the signature-free payload mode, for comparing
    /// consensus, network and execution cost with harnesses that send unsigned payloads).
    pub signature_free: bool,
}

/// Why a chain's nodes could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The configuration cannot describe a working chain.
    #[error("invalid cluster config: {0}")]
    Config(String),
    /// A validator key failed registration.
    #[error("validator {index} key rejected: {source}")]
    Key { index: usize, source: crate::crypto::CryptoError },
    /// A node's storage could not be opened or recovered.
    #[error("node {node} storage: {source}")]
    Storage { node: usize, source: crate::storage::StorageError },
}

/// Deterministic key seed of validator `i` under the cluster seed.
pub fn validator_seed(cluster_seed: u64, i: usize) -> [u8; 32] {
    *blake3::Hasher::new_derive_key("hsbench validator key v1")
        .update(&cluster_seed.to_le_bytes())
        .update(&(i as u64).to_le_bytes())
        .finalize()
        .as_bytes()
}

/// The genesis block every node of a chain agrees on.
pub fn genesis_block(chain_id: u32, state_root: Hash) -> Block {
    Block {
        header: BlockHeader {
            chain_id,
            height: 0,
            epoch: 0,
            round: 0,
            parent_hash: Hash::ZERO,
            parent_qc: QuorumCertificate::epoch_start(0, 0, Hash::ZERO, Hash::ZERO),
            proposer: 0,
            timestamp_ms: 0,
            tx_root: Hash::ZERO,
            tx_count: 0,
            exec_height: 0,
            exec_state_root: state_root,
        },
        txs: Arc::new([]),
    }
}

/// Everything shared by the nodes of one chain.
#[derive(Clone)]
pub struct ChainSetup {
    /// Signing keys by validator id.
    pub keys: Vec<Arc<ValidatorKeyPair>>,
    /// Validated public keys.
    pub registry: Arc<KeyRegistry>,
    /// Per-node parameters.
    pub params: Vec<NodeParams>,
    /// Signature verdicts shared by every node built from this setup (and its clones), if enabled.
    pub verdicts: Option<Arc<VerdictCache>>,
    /// The verification backend every node built from this setup uses (`cpu-batch` unless replaced).
    pub backend: Arc<dyn VerifyBackend>,
}

impl ChainSetup {
    /// Validates the config and derives keys, committees and genesis.
    pub fn new(cfg: &ChainConfig) -> Result<Self, SetupError> {
        let n = cfg.validators;
        for check in [cfg.consensus.validate(), cfg.mempool.validate(), cfg.provisioning.validate()] {
            check.map_err(|e| SetupError::Config(e.to_string()))?;
        }
        if n < 4 {
            return Err(SetupError::Config(format!("validators = {n}: BFT needs at least 4 (n = 3f + 1, f ≥ 1)")));
        }
        if n > u16::MAX as usize {
            return Err(SetupError::Config(format!("validators = {n} exceeds {}", u16::MAX)));
        }
        let mut committees = cfg.consensus.committees.clone();
        if committees.is_empty() {
            committees.push((0..n as ValidatorId).collect());
        }
        for (e, c) in committees.iter().enumerate() {
            if c.len() > MAX_COMMITTEE {
                return Err(SetupError::Config(format!(
                    "committee {e} has {} members; a certificate's signer bitfield holds at most {MAX_COMMITTEE}",
                    c.len()
                )));
            }
            if c.len() < 4 {
                return Err(SetupError::Config(format!(
                    "committee {e} has {} members; at least 4 are needed",
                    c.len()
                )));
            }
            if let Some(bad) = c.iter().find(|&&v| v as usize >= n) {
                return Err(SetupError::Config(format!("committee {e} names validator {bad}, but only {n} exist")));
            }
            let mut sorted = c.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() != c.len() {
                return Err(SetupError::Config(format!("committee {e} lists a validator twice")));
            }
        }
        let keys: Vec<Arc<ValidatorKeyPair>> =
            (0..n).map(|i| Arc::new(ValidatorKeyPair::from_seed(validator_seed(cfg.seed, i)))).collect();
        let mut registry = KeyRegistry::new();
        for (i, k) in keys.iter().enumerate() {
            registry.register(i as u16, &k.public()).map_err(|source| SetupError::Key { index: i, source })?;
        }
        let registry = Arc::new(registry);
        let proposer_keys = Arc::new(keys.iter().map(|k| k.public().ed25519).collect::<Vec<_>>());
        let genesis_state_root = ExecutionState::from_genesis(&cfg.genesis_accounts).state_root();
        let genesis = genesis_block(cfg.chain_id, genesis_state_root);
        let schedule = EpochSchedule::new(committees, cfg.consensus.epoch_length);
        let mut mempool = cfg.mempool.clone();
        mempool.chain_id = cfg.chain_id;
        let params = (0..n)
            .map(|i| NodeParams {
                bft: BftParams {
                    me: i as ValidatorId,
                    chain_id: cfg.chain_id,
                    scheme: cfg.vote_scheme,
                    config: cfg.consensus.clone(),
                    schedule: schedule.clone(),
                    genesis: genesis.clone(),
                    proposer_keys: proposer_keys.clone(),
                    keys: keys[i].clone(),
                },
                mempool: mempool.clone(),
                provisioning: cfg.provisioning.clone(),
                signature_free: cfg.signature_free,
                genesis_accounts: cfg.genesis_accounts.clone(),
                genesis_state_root,
            })
            .collect();
        Ok(ChainSetup { keys, registry, params, verdicts: None, backend: cpu_backend(CpuBackendKind::CpuBatch) })
    }

    /// This setup with a signature-verdict cache shared by every node built from it and its clones: a sweep of
    /// many scenarios over one setup verifies each distinct signature once.
    pub fn with_verdict_cache(mut self) -> Self {
        self.verdicts = Some(Arc::new(VerdictCache::new()));
        self
    }

    /// This setup with `backend` verifying every node's signatures (the one `[crypto] backend` object).
    pub fn with_backend(mut self, backend: Arc<dyn VerifyBackend>) -> Self {
        self.backend = backend;
        self
    }

    /// Opens node `i`'s storage as configured.
    pub fn open_storage(cfg: &ChainConfig, i: usize) -> Result<Box<dyn Storage>, SetupError> {
        Ok(match &cfg.storage {
            StorageMode::Memory => Box::new(MemoryStorage::new()),
            StorageMode::Redb { dir } => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| SetupError::Config(format!("storage dir {}: {e}", dir.display())))?;
                let path = redb_file(dir, i);
                Box::new(RedbStorage::open(&path).map_err(|source| SetupError::Storage { node: i, source })?)
            }
        })
    }

    /// Builds node `i` over `storage`, resuming from whatever the storage holds.
    pub fn build_node(
        &self,
        cfg: &ChainConfig,
        i: usize,
        storage: Box<dyn Storage>,
    ) -> Result<(NodeStateMachine, NodeServices), SetupError> {
        let recovered = storage.recover().map_err(|source| SetupError::Storage { node: i, source })?;
        let params = self.params.get(i).cloned().ok_or_else(|| {
            SetupError::Config(format!("validator {i} does not exist (the chain has {})", self.params.len()))
        })?;
        let (resume, exec) = match recovered {
            Some(r) => {
                let (block, qc) = match r.last_block.clone() {
                    Some(tip) => tip,
                    None if r.committed_height == 0 => {
                        let g = params.bft.genesis.clone();
                        let qc = QuorumCertificate::epoch_start(0, 0, g.hash(), g.header.parent_hash);
                        (g, qc)
                    }
                    None => {
                        return Err(SetupError::Config(format!(
                            "node {i}: storage has height {} but no block",
                            r.committed_height
                        )));
                    }
                };
                let state_root = if r.committed_height == 0 { params.genesis_state_root } else { r.state_root };
                // Storage holds the accounts commits changed; the untouched rest are still as at genesis.
                let mut merged: std::collections::BTreeMap<_, _> = cfg.genesis_accounts.iter().copied().collect();
                merged.extend(r.accounts.iter().copied());
                let accounts: Vec<_> = merged.into_iter().collect();
                let exec = ExecutionState::restore(r.committed_height, accounts.clone());
                // Only leader reputation reads them (one QC read per height of the epoch): round-robin skips the walk.
                let committed_rounds = match params.bft.config.leader_election {
                    crate::bft::LeaderElection::Reputation => {
                        storage.committed_rounds(r.epoch).map_err(|source| SetupError::Storage { node: i, source })?
                    }
                    crate::bft::LeaderElection::RoundRobin => Vec::new(),
                };
                let resume = NodeResume {
                    bft: crate::bft::BftResume {
                        committed: (block, qc),
                        epoch: r.epoch,
                        safety: r.safety.clone(),
                        committed_rounds,
                    },
                    accounts,
                    state_root,
                };
                (Some(resume), exec)
            }
            None => (None, ExecutionState::from_genesis(&cfg.genesis_accounts)),
        };
        let votes = VoteCrypto::new(cfg.vote_scheme, self.registry.clone(), self.backend.clone());
        let mut services = NodeServices::new(votes, self.backend.clone(), exec, storage);
        if let Some(cache) = &self.verdicts {
            services = services.with_verdict_cache(cache.clone());
        }
        Ok((NodeStateMachine::new(i, params, resume), services))
    }
}

/// The redb file of node `i` in storage folder `dir` (`node-<i>.redb`).
pub fn redb_file(dir: &std::path::Path, i: usize) -> std::path::PathBuf {
    dir.join(format!("node-{i}.redb"))
}
