//! Shared fixtures for the cluster tests: configs, funded accounts, transaction streams.
#![allow(dead_code)]

use ed25519_dalek::SigningKey;
use hsbench_engine::bft::ConsensusConfig;
use hsbench_engine::crypto::VoteScheme;
use hsbench_engine::mempool::MempoolConfig;
use hsbench_engine::node::NodeStateMachine;
use hsbench_engine::protocol::{Action, Event, Timer};
use hsbench_engine::provisioning::ProvisioningConfig;
use hsbench_engine::runtime::{ChainConfig, ChainSetup, StorageMode};
use hsbench_engine::sim::{ClockMode, Cluster, ClusterConfig, NetworkConfig};
use hsbench_engine::types::{Account, AccountId, Message, Proposal, Transaction};
use std::time::Duration;

/// Chain id used by every test cluster.
pub const CHAIN: u32 = 7;

/// Deterministic account key `i`.
pub fn account_key(i: usize) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    SigningKey::from_bytes(&seed)
}

/// `n` funded accounts.
pub fn funded(n: usize, balance: u64) -> Vec<(AccountId, Account)> {
    (0..n).map(|i| (account_key(i).verifying_key().to_bytes(), Account { balance, nonce: 0 })).collect()
}

/// A small, fast cluster config: virtual time, Ed25519 votes, in-memory storage.
pub fn config(validators: usize, seed: u64) -> ClusterConfig {
    ClusterConfig {
        chain: ChainConfig {
            signature_free: false,
            validators,
            seed,
            chain_id: CHAIN,
            vote_scheme: VoteScheme::Ed25519,
            consensus: ConsensusConfig {
                min_block_interval_ms: 20,
                base_timeout_ms: 300,
                timeout_backoff: 1.5,
                max_timeout_ms: 3000,
                ..Default::default()
            },
            mempool: MempoolConfig { chain_id: CHAIN, ..Default::default() },
            provisioning: ProvisioningConfig::default(),
            genesis_accounts: funded(16, 1_000_000),
            storage: StorageMode::Memory,
        },
        network: NetworkConfig { latency_ms: 5.0, jitter_ms: 3.0, loss: 0.0, reorder: 0.0 },
        clock: ClockMode::Virtual,
    }
}

/// Transfer number `k` from account `from` (nonce `nonce`) to the next account.
pub fn transfer(from: usize, nonce: u64, accounts: usize) -> Transaction {
    let to = account_key((from + 1) % accounts).verifying_key().to_bytes();
    Transaction::signed(&account_key(from), CHAIN, to, 10, 1, nonce, Vec::new())
}

/// Submits `per_sender` transfers from each of the first `senders` accounts, spread over the nodes.
pub fn submit_batch(cluster: &mut Cluster, senders: usize, first_nonce: u64, per_sender: u64) {
    for s in 0..senders {
        for k in 0..per_sender {
            cluster.submit(s, transfer(s, first_nonce + k, 16));
        }
    }
}

/// Node 1's genuine round-1 proposal (height 1, justified by the genesis QC).
pub fn round_one_proposal(setup: &ChainSetup) -> Proposal {
    let mut leader = NodeStateMachine::new(1, setup.params[1].clone(), None);
    let _ = leader.start(Duration::ZERO);
    let actions = leader.handle(Duration::from_millis(20), Event::Timer(Timer::Propose { epoch: 0, round: 1 }));
    actions
        .into_iter()
        .find_map(|a| match a {
            Action::Broadcast { message: Message::Proposal(p) } => Some(p),
            _ => None,
        })
        .expect("the leader proposes")
}

/// Delivers `message` from validator `from` at `now` and answers the node's checks 1 ms later as the runtime would,
/// every signature verdict being `good`: verification jobs with all verdicts `good`, aggregation jobs with an
/// aggregate (or a failure). Returns the actions other than checks.
pub fn deliver_answered(
    node: &mut NodeStateMachine,
    now: Duration,
    from: u16,
    message: Message,
    good: bool,
) -> Vec<Action> {
    use hsbench_engine::protocol::Callback;
    use hsbench_engine::protocol::work::{AggregateOutput, VerifyVerdicts};
    let mut pending = std::collections::VecDeque::from(node.handle(now, Event::Network { from, message }));
    let mut out = Vec::new();
    while let Some(a) = pending.pop_front() {
        let answer = match &a {
            Action::Verify(job) => Callback::Verified(VerifyVerdicts {
                id: job.id,
                ed25519: vec![good; job.ed25519.len()],
                votes: vec![good; job.votes.len()],
                aggregates: vec![good; job.aggregates.len()],
            }),
            Action::Aggregate(job) => Callback::Aggregated(AggregateOutput {
                id: job.id,
                aggregate: if good { Ok(vec![7; 96]) } else { Err("a signature does not verify".into()) },
            }),
            _ => {
                out.push(a);
                continue;
            }
        };
        pending.extend(node.handle(now + Duration::from_millis(1), Event::Callback(answer)));
    }
    out
}
