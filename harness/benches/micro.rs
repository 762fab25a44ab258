//! Criterion micro-benchmarks of the node's hot operations (`cargo bench -p hsbench`).
//!
//! Names read side by side with `hsbench crypto`: the group is the operation (`ed25519-verify`, `g1-aggregate`,
//! …, the names of `hsbench::crypto::Op`), the parameter is `backend/batch` (`gpu-device-challenge`: gpu with the
//! Ed25519 challenge computed in the kernel), and the crypto benchmarks set
//! their throughput in items, so criterion's `thrpt` line is directly comparable with the sweep's items/s. The
//! engine benchmarks follow the same scheme: `blake3/<bytes>`, `merkle-root/<leaves>`, `tx-encode`, `tx-decode`,
//! `mempool-churn/4096`, `state-root-update/<accounts touched>`, `queue-hop/{single,batched-128}`,
//! `execute-block/<lanes>/{uniform,zipf}`, `wire/{frame,loopback}/{small,gossip-256}`,
//! `account-map-get/{siphash,keyed}` (std's hasher against the hot maps' `KeyedState`, same ids, same run),
//! `hash-many-64/{one-by-one,lanes}` (1,024 keyed 64-byte Blake3 hashes: the crate per input against `hash_many`).
//!
//! Inputs come from the same place as the sweep's (`crypto::ops::Fixture` and `Prepared`), so a benchmark
//! and a sweep cell run exactly the same call. Runs are kept short (1 s warm-up, 2 s measurement, 20 samples; 10
//! with flat sampling for the crypto groups, whose calls take up to ~0.2 s) so the whole suite finishes in a few
//! minutes; pass criterion's own flags after `--` for longer runs.

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use hsbench::backends::{BackendName, Built, CryptoConfig, build};
use hsbench::crypto::Op;
use hsbench::crypto::ops::{Fixture, Prepared};
use hsbench::loadgen::workload::{SenderPicker, Skew, unit_draw};
use hsbench_engine::crypto::{ValidatorKeyPair, ed25519_signing_key_from_seed};
use hsbench_engine::execution::{ExecutionState, StateTree};
use hsbench_engine::mempool::{Mempool, MempoolConfig};
use hsbench_engine::network::{Identity, SecureStream, decode_frame, encode_frame};
use hsbench_engine::runtime::pipeline::{StageMetrics, batch_queue};
use hsbench_engine::types::hash_many::hash_many;
use hsbench_engine::types::{
    Account, AccountId, Block, BlockHeader, Hash, KeyedSet, KeyedState, Message, QuorumCertificate, Transaction,
    ValidatorId, decode, encode, merkle_root, tx_root,
};
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::hint::black_box;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Batch sizes of the crypto benchmarks (a subset of the sweep's powers of 4).
const CRYPTO_BATCHES: [usize; 3] = [1, 16, 256];

/// Short runs: the suite is a quick regression check, not a published measurement.
fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2)).sample_size(20)
}

/// The backends to bench, each with its label: the three CPU kinds, and gpu when an adapter exists (the reason
/// printed when not) — twice, the second (`gpu-device-challenge`) with the Ed25519 challenge computed in the kernel
/// (`[crypto] gpu_hash_on_device`).
fn backends() -> Vec<(String, BackendName, Built)> {
    let device_challenge = CryptoConfig { gpu_hash_on_device: true, ..CryptoConfig::default() };
    let mut wanted: Vec<(String, BackendName, CryptoConfig)> =
        BackendName::ALL.into_iter().map(|name| (name.name().to_string(), name, CryptoConfig::default())).collect();
    wanted.push(("gpu-device-challenge".to_string(), BackendName::Gpu, device_challenge));
    let mut out = Vec::new();
    for (label, name, config) in wanted {
        match build(name, &config) {
            Ok(built) => {
                eprintln!("backend {label}: {}", built.description);
                out.push((label, name, built));
            }
            Err(e) => eprintln!("backend {label}: skipped ({})", hsbench::cmd::one_line(&e)),
        }
    }
    out
}

/// `ed25519-verify/<backend>/<batch>` for every backend, the G2 subgroup check and vote ingestion on every CPU
/// kind, and the other BLS operations on cpu-batch (and on gpu once
/// the gpu backend runs them on the device, `Op::on_gpu`).
fn crypto(c: &mut Criterion) {
    let backends = backends();
    let max = CRYPTO_BATCHES.iter().copied().max().unwrap_or(1);
    let fixture = match Fixture::new(max, true, true) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("crypto benchmarks skipped: cannot build the fixture: {e:#}");
            return;
        }
    };
    for op in Op::ALL {
        let mut group = c.benchmark_group(op.name());
        // Milliseconds per call at the larger batches: flat sampling keeps the iteration count (and time) small.
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        for &batch in &CRYPTO_BATCHES {
            let prepared = match Prepared::new(op, batch, &fixture) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("{op}/{batch} skipped: {e:#}");
                    continue;
                }
            };
            group.throughput(Throughput::Elements(batch as u64));
            for (label, name, built) in &backends {
                let runs_here = match *name {
                    BackendName::Gpu if label != name.name() => op == Op::Ed25519Verify,
                    BackendName::Gpu => op.on_gpu(),
                    BackendName::CPU_BATCH => true,
                    // The other CPU kinds where their code differs: Ed25519, the G2 subgroup check and vote ingestion
                    // (one at a time on cpu, batched on cpu-batch, on the pool on cpu-par); aggregation and the QC
                    // check are the same code on every CPU kind.
                    BackendName::CPU | BackendName::CPU_PAR => {
                        matches!(op, Op::Ed25519Verify | Op::G2SubgroupCheck | Op::VoteIngestion)
                    }
                };
                if !runs_here {
                    continue;
                }
                let backend = built.backend.as_ref();
                // One untimed call: wrong verdicts stop this benchmark instead of timing an error path.
                if let Err(e) = prepared.run(backend) {
                    eprintln!("{op}/{label}/{batch} skipped: {e:#}");
                    continue;
                }
                group.bench_with_input(BenchmarkId::new(label.as_str(), batch), &prepared, |b, p| {
                    b.iter(|| {
                        if let Err(e) = p.run(backend) {
                            panic!("{e:#}");
                        }
                    })
                });
            }
        }
        group.finish();
    }
}

/// `blake3/<bytes>`: one hash of a message (the engine's `Hash::of`).
fn blake3(c: &mut Criterion) {
    let mut group = c.benchmark_group("blake3");
    for len in [64usize, 1024, 16384] {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::from_parameter(len), &data, |b, d| b.iter(|| Hash::of(black_box(d))));
    }
    group.finish();
}

/// `merkle-root/<leaves>`: a block's transaction root over that many transaction hashes.
fn merkle(c: &mut Criterion) {
    let mut group = c.benchmark_group("merkle-root");
    for n in [16usize, 256, 4096] {
        let leaves: Vec<Hash> = (0..n as u64).map(|i| Hash::of(&i.to_le_bytes())).collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &leaves, |b, l| b.iter(|| merkle_root(black_box(l))));
    }
    group.finish();
}

/// `tx-encode` / `tx-decode`: the canonical codec on one signed transfer (empty memo, as the smoke workload).
fn tx_codec(c: &mut Criterion) {
    let key = ed25519_signing_key_from_seed([7; 32]);
    let tx = Transaction::signed(&key, 1, [9; 32], 1_000, 10, 42, Vec::new());
    let bytes = encode(&tx);
    c.bench_function("tx-encode", |b| b.iter(|| encode(black_box(&tx))));
    c.bench_function("tx-decode", |b| {
        b.iter(|| match decode::<Transaction>(black_box(&bytes)) {
            Ok(t) => t,
            Err(e) => panic!("a freshly encoded transaction failed to decode: {e}"),
        })
    });
}

/// Accounts in the state tree before the timed updates.
const STATE_ACCOUNTS: u64 = 65_536;

fn account_id(i: u64) -> AccountId {
    *Hash::of(&i.to_le_bytes()).as_bytes()
}

/// `state-root-update/<touched>`: one incremental sparse-Merkle update of that many accounts (spread over a
/// tree of [`STATE_ACCOUNTS`]), alternating between two values so every update really changes the leaves.
fn state_root(c: &mut Criterion) {
    let genesis: Vec<(AccountId, Account)> =
        (0..STATE_ACCOUNTS).map(|i| (account_id(i), Account { balance: 1_000_000, nonce: 0 })).collect();
    let mut tree = StateTree::from_accounts(&genesis);
    let mut group = c.benchmark_group("state-root-update");
    for touched in [1u64, 64, 1024] {
        let stride = STATE_ACCOUNTS / touched;
        let change = |balance: u64| -> Vec<(AccountId, Account)> {
            (0..touched).map(|k| (account_id(k * stride), Account { balance, nonce: 1 })).collect()
        };
        let sets = [change(999_000), change(998_000)];
        let mut flip = 0usize;
        group.throughput(Throughput::Elements(touched));
        group.bench_function(BenchmarkId::from_parameter(touched), |b| {
            b.iter(|| {
                flip ^= 1;
                tree.update(black_box(&sets[flip]));
                tree.root()
            })
        });
    }
    group.finish();
}

/// Accounts of the execution benchmark's genesis.
const EXEC_ACCOUNTS: usize = 16_384;
/// Transactions per executed block.
const EXEC_BLOCK_TXS: usize = 1_000;
/// Blocks executed from genesis before the state is restored (untimed) and the same blocks run again.
const EXEC_CHAIN: usize = 16;

/// `EXEC_CHAIN` blocks of `EXEC_BLOCK_TXS` transfers over `EXEC_ACCOUNTS` funded accounts, as the load
/// generator draws them: the sender by `skew` (uniform = account `i mod accounts`), the recipient uniformly
/// among the others; nonces follow each sender, amounts are small, so every transfer succeeds.
fn exec_chain(skew: Skew) -> Vec<Block> {
    let picker = SenderPicker::new(EXEC_ACCOUNTS, 7, skew);
    let mut nonces = vec![0u64; EXEC_ACCOUNTS];
    (0..EXEC_CHAIN)
        .map(|b| {
            let txs: Vec<Transaction> = (0..EXEC_BLOCK_TXS)
                .map(|k| {
                    let i = (b * EXEC_BLOCK_TXS + k) as u64;
                    let sender = picker.sender(i);
                    let pick = (unit_draw("hsbench bench recipient", 7, i) * (EXEC_ACCOUNTS - 1) as f64) as usize;
                    let recipient = if pick >= sender { pick + 1 } else { pick }.min(EXEC_ACCOUNTS - 1);
                    let nonce = nonces.get_mut(sender).map_or(0, |n| std::mem::replace(n, *n + 1));
                    Transaction {
                        chain_id: 1,
                        sender: account_id(sender as u64),
                        recipient: account_id(recipient as u64),
                        amount: 1 + i % 100,
                        fee: 1,
                        nonce,
                        memo: Vec::new(),
                        signature: [0; 64],
                    }
                })
                .collect();
            let height = b as u64 + 1;
            let header = BlockHeader {
                chain_id: 1,
                height,
                epoch: 0,
                round: height,
                parent_hash: Hash::ZERO,
                parent_qc: QuorumCertificate::epoch_start(0, height - 1, Hash::ZERO, Hash::ZERO),
                proposer: 0,
                timestamp_ms: 0,
                tx_root: tx_root(&txs),
                tx_count: txs.len() as u32,
                exec_height: 0,
                exec_state_root: Hash::ZERO,
            };
            Block { header, txs: txs.into() }
        })
        .collect()
}

/// `execute-block/<lanes>/{uniform,zipf}`: one 1,000-transfer block over 16,384 accounts executed from its
/// predecessor's state, sequentially (1 lane: no pool, exactly the single-thread path) and on execution lanes
/// (a rayon pool of that many threads whose thread 0 is the calling thread, as node mode builds it on its
/// execution stage thread: see `Caller::Joins`). A lane pool can be built once per thread, so each measurement
/// runs on a fresh thread (its spawn and the pool's start are not timed). Zipf is s = 1.1 over the senders.
/// Lane counts above this machine's cores are skipped; speedups are read from the output, never asserted.
fn execute_block(c: &mut Criterion) {
    let genesis: Vec<(AccountId, Account)> =
        (0..EXEC_ACCOUNTS as u64).map(|i| (account_id(i), Account { balance: 1 << 40, nonce: 0 })).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("execute-block");
    group.throughput(Throughput::Elements(EXEC_BLOCK_TXS as u64));
    for (name, skew) in [("uniform", Skew::Uniform), ("zipf", Skew::Zipf(1.1))] {
        let chain = exec_chain(skew);
        for lanes in [1usize, 2, 4].into_iter().filter(|&l| l <= cores) {
            // Executes `iters` blocks of the chain on this thread (with a lane pool it has joined, if any).
            let run = |iters: u64, pool: Option<Arc<rayon::ThreadPool>>| {
                let fresh = || {
                    let state = ExecutionState::from_genesis(&genesis);
                    match &pool {
                        Some(pool) => state.with_lanes(pool.clone()),
                        None => state,
                    }
                };
                let mut state = fresh();
                let mut timed = Duration::ZERO;
                for k in 0..iters as usize {
                    if k > 0 && k % EXEC_CHAIN == 0 {
                        state = fresh();
                    }
                    let block = &chain[k % EXEC_CHAIN];
                    let start = Instant::now();
                    let done = state.execute_block(black_box(block), None);
                    timed += start.elapsed();
                    black_box(done.map(|d| d.state_root).ok());
                }
                timed
            };
            group.bench_function(BenchmarkId::new(lanes.to_string(), name), |b| {
                b.iter_custom(|iters| match lanes {
                    1 => run(iters, None),
                    n => std::thread::scope(|scope| {
                        let measured = scope.spawn(|| {
                            let pool = rayon::ThreadPoolBuilder::new().num_threads(n).use_current_thread().build();
                            let pool = pool.unwrap_or_else(|e| panic!("execute-block/{n}: no lane pool: {e}"));
                            run(iters, Some(Arc::new(pool)))
                        });
                        measured.join().unwrap_or_else(|_| panic!("execute-block/{n}: the measuring thread failed"))
                    }),
                })
            });
        }
    }
    group.finish();
}

/// Transactions per `mempool-churn` round: one admitted batch, then the commit of all of them.
const CHURN_TXS: usize = 4096;

/// `mempool-churn/4096`: the node thread's mempool work per transaction — admission of a batch of signature-checked
/// transfers from distinct senders (nonce, balance and weak-key checks, sender queues, the fee-ordered ready queue),
/// then the executed state that commits them all (queues emptied, ready queue updated). One shard, as the node
/// stage runs it without admission cores. Throughput is per transaction.
fn mempool_churn(c: &mut Criterion) {
    let txs: Vec<Transaction> = (0..CHURN_TXS as u64)
        .map(|i| {
            let key = ed25519_signing_key_from_seed(*Hash::of(&i.to_le_bytes()).as_bytes());
            Transaction::signed(&key, 1, account_id(i), 1_000, 1 + i % 7, 0, Vec::new())
        })
        .collect();
    let accounts: HashMap<AccountId, Account> =
        txs.iter().map(|tx| (tx.sender, Account { balance: 1 << 40, nonce: 0 })).collect();
    let committed: KeyedSet<Hash> = txs.iter().map(Transaction::hash).collect();
    let after: Vec<(AccountId, Account)> =
        txs.iter().map(|tx| (tx.sender, Account { balance: (1 << 40) - 2_000, nonce: 1 })).collect();
    let verdicts = vec![true; txs.len()];
    let config = MempoolConfig { capacity: 2 * CHURN_TXS, chain_id: 1, ..MempoolConfig::default() };
    let mut group = c.benchmark_group("mempool-churn");
    group.throughput(Throughput::Elements(CHURN_TXS as u64));
    group.bench_function(BenchmarkId::from_parameter(CHURN_TXS), |b| {
        b.iter_batched(
            || (Mempool::new(config.clone()), txs.clone()),
            |(mut pool, batch)| {
                let admitted = pool.admit_batch(batch, &verdicts, &accounts);
                let removed = pool.on_state_update(&committed, &after);
                black_box((admitted.len(), removed.len(), pool.len()))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// Items per timed hop round (per criterion iteration).
const HOP_ITEMS: usize = 4096;
/// The pipeline's default batch size and queue capacity (`PipelineConfig`: 128 items, 64 batches).
const HOP_BATCH: usize = 128;
const HOP_QUEUE_BATCHES: usize = 64;

/// An item of the size of a transaction hash.
type HopItem = [u64; 4];

/// `queue-hop/{single,batched-128}`: the cost per item of moving items from one thread to another through a
/// bounded crossbeam channel, one item per send versus `Vec` batches of 128 through the pipeline's own
/// `batch_queue` (same capacity in items). Throughput is per item.
fn queue_hop(c: &mut Criterion) {
    let mut group = c.benchmark_group("queue-hop");
    group.throughput(Throughput::Elements(HOP_ITEMS as u64));
    group.bench_function("single", |b| {
        b.iter_custom(|iters| {
            let total = iters as usize * HOP_ITEMS;
            let (tx, rx) = crossbeam_channel::bounded::<HopItem>(HOP_BATCH * HOP_QUEUE_BATCHES);
            let start = Instant::now();
            std::thread::scope(|s| {
                s.spawn(move || {
                    let mut sum = 0u64;
                    while let Ok(item) = rx.recv() {
                        sum = sum.wrapping_add(item[0]);
                    }
                    black_box(sum)
                });
                for i in 0..total {
                    if tx.send([i as u64; 4]).is_err() {
                        break;
                    }
                }
                drop(tx);
            });
            start.elapsed()
        })
    });
    group.bench_function(format!("batched-{HOP_BATCH}"), |b| {
        b.iter_custom(|iters| {
            let total = iters as usize * HOP_ITEMS;
            let (tx, rx) = batch_queue::<HopItem>(HOP_QUEUE_BATCHES, Arc::new(StageMetrics::default()));
            let start = Instant::now();
            std::thread::scope(|s| {
                s.spawn(move || {
                    let mut sum = 0u64;
                    while let Ok(batch) = rx.recv() {
                        for item in &batch {
                            sum = sum.wrapping_add(item[0]);
                        }
                    }
                    black_box(sum)
                });
                let mut sent = 0;
                while sent < total {
                    let n = HOP_BATCH.min(total - sent);
                    let batch: Vec<HopItem> = (sent..sent + n).map(|i| [i as u64; 4]).collect();
                    if tx.send(batch).is_err() {
                        break;
                    }
                    sent += n;
                }
                drop(tx);
            });
            start.elapsed()
        })
    });
    group.finish();
}

/// The wire's messages: a small control message (a sync request, 15 bytes framed) and a gossip frame of 256
/// transfers (~55 KB, several Noise messages).
fn wire_messages() -> [(&'static str, Message); 2] {
    let key = ed25519_signing_key_from_seed([5; 32]);
    let txs = (0..256u64).map(|n| Transaction::signed(&key, 1, account_id(n), 1, 1, n, Vec::new())).collect();
    [("small", Message::SyncRequest { from_height: 7 }), ("gossip-256", Message::TxGossip(txs))]
}

/// A connected pair of validator connections (0 dialled 1) on loopback.
fn wire_pair() -> (SecureStream, SecureStream) {
    let keys: Vec<ValidatorKeyPair> = (0..2u8).map(|i| ValidatorKeyPair::from_seed([i + 1; 32])).collect();
    let registry: HashMap<ValidatorId, [u8; 32]> =
        keys.iter().enumerate().map(|(i, k)| (i as ValidatorId, k.public().ed25519)).collect();
    let me = |id: ValidatorId| Identity {
        id,
        keys: &keys[usize::from(id)],
        chain_id: 1,
        validators: &registry,
        handshake_timeout: Duration::from_secs(5),
        max_payload: 16 << 20,
        frame_deadline: Duration::from_secs(10),
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    std::thread::scope(|s| {
        let accepted = s.spawn(|| SecureStream::accept(listener.accept().expect("accept").0, &me(1)));
        let dialled = SecureStream::connect(TcpStream::connect(addr).expect("connect"), &me(0), 1).expect("dial");
        (dialled, accepted.join().expect("accept thread").expect("handshake"))
    })
}

/// The wire: a frame's encode + decode alone (`wire/frame/<message>`), and one message sent over an authenticated
/// loopback connection and received on another thread (`wire/loopback/<message>`: framing, Noise encryption and
/// decryption, syscalls, the receiver's decode) — the per-message cost of the transport (docs/NETWORK.md).
fn wire(c: &mut Criterion) {
    let mut group = c.benchmark_group("wire");
    group.throughput(Throughput::Elements(1));
    for (name, message) in wire_messages() {
        group.bench_function(format!("frame/{name}"), |b| {
            b.iter(|| decode_frame(&encode_frame(black_box(&message)), 16 << 20).expect("valid frame"))
        });
    }
    let (dialled, accepted) = wire_pair();
    let (mut tx, _, _) = dialled.split().expect("split");
    let (_, mut rx, _) = accepted.split().expect("split");
    for (name, message) in wire_messages() {
        group.bench_function(format!("loopback/{name}"), |b| {
            b.iter_custom(|iters| {
                let frame = encode_frame(&message);
                let start = Instant::now();
                std::thread::scope(|s| {
                    let receiver = s.spawn(|| (0..iters).all(|_| rx.recv().is_ok()));
                    for _ in 0..iters {
                        tx.send(&encode_frame(black_box(&message))).expect("send");
                    }
                    assert!(receiver.join().expect("receiver thread"), "a message was lost");
                });
                black_box(frame);
                start.elapsed()
            })
        });
    }
    group.finish();
}

/// `account-map-get/{siphash,keyed}`: 16,384 lookups of present account ids (a ceiling run's account count) in
/// an id → account map hashed by std's SipHash and by the hot maps' keyed NH hash.
fn account_map_get(c: &mut Criterion) {
    fn lookups<S: BuildHasher + Default>(ids: &[AccountId]) -> impl FnMut() -> u64 {
        let mut map: HashMap<AccountId, Account, S> = HashMap::default();
        for (i, id) in ids.iter().enumerate() {
            map.insert(*id, Account { balance: i as u64, nonce: 0 });
        }
        let order: Vec<AccountId> = ids.iter().rev().copied().collect();
        move || order.iter().map(|id| map.get(black_box(id)).map_or(0, |a| a.balance)).sum()
    }
    let ids: Vec<AccountId> = (0..16_384).map(account_id).collect();
    let mut group = c.benchmark_group("account-map-get");
    group.throughput(Throughput::Elements(ids.len() as u64));
    let mut siphash = lookups::<RandomState>(&ids);
    group.bench_function("siphash", |b| b.iter(&mut siphash));
    let mut keyed = lookups::<KeyedState>(&ids);
    group.bench_function("keyed", |b| b.iter(&mut keyed));
    group.finish();
}

/// `hash-many-64/{one-by-one,lanes}`: 1,024 keyed Blake3 hashes of 64-byte inputs (a state tree's inner nodes), by
/// the `blake3` crate one at a time and by `hash_many` side by side in SIMD lanes.
fn hash_many_64(c: &mut Criterion) {
    let key = blake3::derive_key("hsbench bench", b"");
    let inputs: Vec<[u8; 64]> = (0..1024u32).map(|i| [i as u8; 64]).collect();
    let mut group = c.benchmark_group("hash-many-64");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("one-by-one", |b| {
        b.iter(|| inputs.iter().map(|i| Hash::keyed(&key, black_box(i))).collect::<Vec<Hash>>())
    });
    group.bench_function("lanes", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            hash_many(Some(&key), black_box(&inputs), &mut out);
            out
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = crypto, blake3, merkle, tx_codec, account_map_get, hash_many_64, mempool_churn, state_root, execute_block, queue_hop, wire
}
criterion_main!(benches);
