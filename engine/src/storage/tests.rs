//! One contract suite run against every [`Storage`] implementation, plus durability and corruption tests
//! for [`RedbStorage`] and a commit-latency measurement (ignored; run with `--ignored --nocapture`).

use super::durable::{ACCOUNT_DELTAS, ACCOUNTS, BLOCKS, META, QCS, meta_key};
use super::*;
use crate::types::{BlockHeader, Round, SignerBitfield, Transaction, encode, tx_root};
use ed25519_dalek::SigningKey;
use redb::{Database, TableDefinition};
use std::path::Path;
use std::time::{Duration, Instant};

const CHAIN_ID: u32 = 7;

// ---------------------------------------------------------------- fixtures

/// A committed chain: entry `i` is the block at height `i + 1` with its certifying QC.
type Chain = Vec<(Block, QuorumCertificate)>;

fn genesis_hash() -> Hash {
    Hash::of(b"test genesis")
}

fn root(height: Height) -> Hash {
    Hash::of_parts(&[b"state root", &height.to_le_bytes()])
}

fn qc_for(block: &Block) -> QuorumCertificate {
    let mut signers = SignerBitfield::new(4);
    for p in 0..3 {
        signers.set(p);
    }
    QuorumCertificate {
        epoch: block.header.epoch,
        round: block.header.round,
        height: block.header.height,
        block_hash: block.hash(),
        parent_hash: block.header.parent_hash,
        signers,
        aggregate: vec![0xA5; 96],
    }
}

/// The block at `height` on top of `parent` (None = genesis), with `height % 3` transactions (0–2).
fn make_block(height: Height, epoch: Epoch, parent: Option<&(Block, QuorumCertificate)>) -> Block {
    let key = SigningKey::from_bytes(&[1; 32]);
    let txs: Vec<Transaction> = (0..height % 3)
        .map(|i| Transaction::signed(&key, CHAIN_ID, [9; 32], 10 + i, 1, height * 2 + i, vec![]))
        .collect();
    let (parent_hash, parent_qc) = match parent {
        Some((b, qc)) => (b.hash(), qc.clone()),
        None => (genesis_hash(), QuorumCertificate::epoch_start(0, 0, genesis_hash(), Hash::ZERO)),
    };
    Block {
        header: BlockHeader {
            chain_id: CHAIN_ID,
            height,
            epoch,
            round: height,
            parent_hash,
            parent_qc,
            proposer: (height % 4) as u16,
            timestamp_ms: height * 1000,
            tx_root: tx_root(&txs),
            tx_count: txs.len() as u32,
            exec_height: height - 1,
            exec_state_root: root(height - 1),
        },
        txs: txs.into(),
    }
}

/// Blocks at heights 1..=n, epoch 0 up to height 3 and epoch 1 after.
fn chain(n: Height) -> Chain {
    let mut out: Chain = Vec::new();
    for h in 1..=n {
        let block = make_block(h, if h <= 3 { 0 } else { 1 }, out.last());
        let qc = qc_for(&block);
        out.push((block, qc));
    }
    out
}

fn id(b: u8) -> AccountId {
    [b; 32]
}

fn acct(balance: u64, nonce: u64) -> Account {
    Account { balance, nonce }
}

/// Accounts each block of the standard three-block scenario changes (ids chosen so sorting matters).
fn changes(height: Height) -> Vec<(AccountId, Account)> {
    match height {
        1 => vec![(id(3), acct(100, 0)), (id(1), acct(50, 0))],
        2 => vec![(id(3), acct(90, 1)), (id(2), acct(10, 0))],
        3 => vec![(id(1), acct(55, 0))],
        _ => vec![(id(4), acct(height, height))],
    }
}

/// Commits `chain[height - 1]`; height 3 ends epoch 0, so it carries a commit proof (block 4 + its QC).
fn commit(s: &mut dyn Storage, chain: &Chain, height: Height) -> Result<(), StorageError> {
    let (block, qc) = &chain[height as usize - 1];
    let proof = chain.get(height as usize).filter(|_| height == 3).map(|(b, q)| (b, q));
    let changed = changes(height);
    s.commit_block(&CommittedBlock {
        block,
        qc,
        commit_proof: proof,
        state_root: root(height),
        changed_accounts: &changed,
        epoch: if height >= 3 { 1 } else { 0 },
    })
}

fn commit_three(s: &mut dyn Storage) -> Chain {
    let c = chain(5);
    for h in 1..=3 {
        commit(s, &c, h).unwrap();
    }
    c
}

fn safety(epoch: Epoch, round: Round) -> SafetyState {
    let high_qc = QuorumCertificate::epoch_start(epoch, round, Hash::of(&round.to_le_bytes()), Hash::ZERO);
    SafetyState { epoch, last_voted_round: round, high_qc }
}

// ---------------------------------------------------------------- the contract, for every implementation

fn empty_store_recovers_none(s: &mut dyn Storage) {
    assert_eq!(s.recover().unwrap(), None);
    assert_eq!(s.committed_height(), 0);
    assert_eq!(s.block_at(0).unwrap(), None);
    assert_eq!(s.block_at(1).unwrap(), None);
    assert_eq!(s.commit_proof_at(1).unwrap(), None);
    assert_eq!(s.height_of(&genesis_hash()).unwrap(), None);
}

fn commits_recover_latest_state(s: &mut dyn Storage) {
    let c = commit_three(s);
    assert_eq!(s.committed_height(), 3);
    let r = s.recover().unwrap().expect("store is not empty");
    assert_eq!(r.committed_height, 3);
    assert_eq!(r.state_root, root(3));
    assert_eq!(r.epoch, 1);
    assert_eq!(r.last_block.as_ref(), Some(&c[2]));
    // Later values win; sorted by id.
    assert_eq!(r.accounts, vec![(id(1), acct(55, 0)), (id(2), acct(10, 0)), (id(3), acct(90, 1))]);
    assert_eq!(r.safety, None);
}

fn lookups(s: &mut dyn Storage) {
    let c = commit_three(s);
    assert_eq!(s.block_at(0).unwrap(), None);
    for h in 1..=3u64 {
        assert_eq!(s.block_at(h).unwrap().as_ref(), Some(&c[h as usize - 1]), "block_at({h})");
        assert_eq!(s.height_of(&c[h as usize - 1].0.hash()).unwrap(), Some(h), "height_of block {h}");
    }
    assert_eq!(s.block_at(4).unwrap(), None);
    assert_eq!(s.height_of(&c[3].0.hash()).unwrap(), None, "a commit proof's child is not committed");
    assert_eq!(s.commit_proof_at(3).unwrap().as_ref(), Some(&c[3]));
    assert_eq!(s.commit_proof_at(2).unwrap(), None);
}

fn out_of_order_rejected(s: &mut dyn Storage) {
    let c = chain(3);
    assert!(matches!(commit(s, &c, 2), Err(StorageError::OutOfOrder { expected: 1, got: 2 })));
    commit(s, &c, 1).unwrap();
    assert!(matches!(commit(s, &c, 1), Err(StorageError::OutOfOrder { expected: 2, got: 1 })));
    assert!(matches!(commit(s, &c, 3), Err(StorageError::OutOfOrder { expected: 2, got: 3 })));
    assert_eq!(s.committed_height(), 1);
    assert_eq!(s.recover().unwrap().map(|r| r.committed_height), Some(1));
    assert_eq!(s.block_at(2).unwrap(), None);
}

fn invalid_commits_write_nothing(s: &mut dyn Storage) {
    let c = chain(4);
    commit(s, &c, 1).unwrap();
    let (b2, qc2) = &c[1];
    let base =
        CommittedBlock { block: b2, qc: qc2, commit_proof: None, state_root: root(2), changed_accounts: &[], epoch: 0 };
    let wrong_qc = qc_for(&c[2].0);
    let cases = [
        ("qc of another block", CommittedBlock { qc: &wrong_qc, ..base }),
        ("proof that is not a child", CommittedBlock { commit_proof: Some((&c[3].0, &c[3].1)), ..base }),
        ("proof qc of another block", CommittedBlock { commit_proof: Some((&c[2].0, qc2)), ..base }),
    ];
    for (name, bad) in cases {
        assert!(matches!(s.commit_block(&bad), Err(StorageError::Invalid { .. })), "{name}");
    }
    // A block at the right height that does not extend the committed block.
    let fork = make_block(2, 0, None);
    let fork_qc = qc_for(&fork);
    let err = s.commit_block(&CommittedBlock { block: &fork, qc: &fork_qc, ..base });
    assert!(matches!(err, Err(StorageError::Invalid { what: "block", .. })), "{err:?}");

    assert_eq!(s.committed_height(), 1);
    assert_eq!(s.height_of(&b2.hash()).unwrap(), None);
    assert_eq!(s.height_of(&fork.hash()).unwrap(), None);
    assert_eq!(s.block_at(2).unwrap(), None);
    s.commit_block(&base).unwrap();
    assert_eq!(s.committed_height(), 2);
}

fn safety_state_round_trip(s: &mut dyn Storage) {
    s.save_safety(&safety(0, 5)).unwrap();
    let r = s.recover().unwrap().expect("safety state makes the store non-empty");
    assert_eq!(r.committed_height, 0);
    assert_eq!(r.last_block, None);
    assert_eq!(r.state_root, Hash::ZERO);
    assert!(r.accounts.is_empty());
    assert_eq!(r.safety, Some(safety(0, 5)));

    s.save_safety(&safety(0, 7)).unwrap();
    let regression = s.save_safety(&safety(0, 6));
    assert!(
        matches!(
            regression,
            Err(StorageError::SafetyRegression { stored_epoch: 0, stored_round: 7, epoch: 0, round: 6 })
        ),
        "{regression:?}"
    );
    // Same rank with a newer high QC is allowed; a new epoch restarts rounds.
    let mut same_round = safety(0, 7);
    same_round.high_qc.round = 7;
    same_round.high_qc.height = 9;
    s.save_safety(&same_round).unwrap();
    assert_eq!(s.recover().unwrap().and_then(|r| r.safety), Some(same_round));
    s.save_safety(&safety(1, 0)).unwrap();

    commit_three(s);
    let r = s.recover().unwrap().expect("non-empty");
    assert_eq!(r.committed_height, 3);
    assert_eq!(r.safety, Some(safety(1, 0)));
}

/// A named contract case.
type Case = (&'static str, fn(&mut dyn Storage));

/// Every contract case, each on a fresh store from `make`.
fn contract(mut make: impl FnMut() -> Box<dyn Storage>) {
    let cases: [Case; 6] = [
        ("empty_store_recovers_none", empty_store_recovers_none),
        ("commits_recover_latest_state", commits_recover_latest_state),
        ("lookups", lookups),
        ("out_of_order_rejected", out_of_order_rejected),
        ("invalid_commits_write_nothing", invalid_commits_write_nothing),
        ("safety_state_round_trip", safety_state_round_trip),
    ];
    for (name, case) in cases {
        let mut s = make();
        eprintln!("{} / {name}", s.kind());
        case(s.as_mut());
    }
}

#[test]
fn memory_storage_contract() {
    contract(|| Box::new(MemoryStorage::new()));
}

#[test]
fn redb_storage_contract() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    contract(|| {
        n += 1;
        Box::new(RedbStorage::open(&dir.path().join(format!("store-{n}.redb"))).unwrap())
    });
}

#[test]
fn storage_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<MemoryStorage>();
    assert_send::<RedbStorage>();
    assert_send::<Box<dyn Storage>>();
}

#[test]
fn safety_state_codec_round_trip() {
    let s = safety(3, 11);
    assert_eq!(crate::types::decode::<SafetyState>(&encode(&s)), Ok(s));
}

// ---------------------------------------------------------------- memory: crash = restart from a clone

#[test]
fn memory_clone_is_a_snapshot() {
    let mut s = MemoryStorage::new();
    let c = commit_three(&mut s);
    let snapshot = s.clone();
    commit(&mut s, &c, 4).unwrap();
    assert_eq!(snapshot.committed_height(), 3);
    assert_eq!(snapshot.recover().unwrap().map(|r| r.committed_height), Some(3));
    assert_eq!(s.committed_height(), 4);
}

// ---------------------------------------------------------------- redb: durability

#[test]
fn redb_reopen_recovers_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    let (c, before) = {
        let mut s = RedbStorage::open(&path).unwrap();
        let c = commit_three(&mut s);
        s.save_safety(&safety(1, 4)).unwrap();
        (c, s.recover().unwrap())
    };
    let mut s = RedbStorage::open(&path).unwrap();
    assert_eq!(s.committed_height(), 3);
    assert_eq!(s.recover().unwrap(), before);
    assert_eq!(s.commit_proof_at(3).unwrap().as_ref(), Some(&c[3]));
    // The reopened store keeps extending the same chain and refuses stale safety state.
    commit(&mut s, &c, 4).unwrap();
    assert!(matches!(s.save_safety(&safety(1, 3)), Err(StorageError::SafetyRegression { .. })));
    drop(s);
    let s = RedbStorage::open(&path).unwrap();
    assert_eq!(s.recover().unwrap().map(|r| (r.committed_height, r.epoch)), Some((4, 1)));
}

#[test]
fn redb_empty_file_reopens_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    drop(RedbStorage::open(&path).unwrap());
    let s = RedbStorage::open(&path).unwrap();
    assert_eq!(s.recover().unwrap(), None);
    assert_eq!(s.kind(), "redb");
}

// ---------------------------------------------------------------- redb: corruption is an error, never a panic

/// Writes `value` under `key` in `table`, behind the storage's back.
fn write_raw<K: redb::Key + 'static>(
    db: &Database,
    table: TableDefinition<K, &[u8]>,
    key: K::SelfType<'_>,
    value: &[u8],
) {
    let txn = db.begin_write().unwrap();
    txn.open_table(table).unwrap().insert(key, value).unwrap();
    txn.commit().unwrap();
}

#[test]
fn redb_corrupt_records_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let garbage: &[u8] = &[0x01, 0xFF, 0x13, 0x37];
    type Corrupter = fn(&Database, &Chain, &[u8]);
    let cases: [(&str, &str, Corrupter); 9] = [
        ("account log bytes", "account changes", |db, _, g| write_raw(db, ACCOUNT_DELTAS, 2, g)),
        ("account log gap", "account changes", |db, _, _| {
            let txn = db.begin_write().unwrap();
            txn.open_table(ACCOUNT_DELTAS).unwrap().remove(2).unwrap();
            txn.commit().unwrap();
        }),
        ("block bytes", "block", |db, _, g| write_raw(db, BLOCKS, 3, g)),
        ("qc bytes", "qc", |db, _, g| write_raw(db, QCS, 3, g)),
        ("qc of another block", "qc", |db, c, _| write_raw(db, QCS, 3, &encode(&c[1].1))),
        ("block at the wrong height", "block", |db, c, _| write_raw(db, BLOCKS, 3, &encode(&c[1].0))),
        ("account bytes", "account", |db, _, g| write_raw(db, ACCOUNTS, &id(2), g)),
        ("safety bytes", "meta", |db, _, g| write_raw(db, META, meta_key::SAFETY, g)),
        ("missing state root", "meta", |db, _, _| {
            let txn = db.begin_write().unwrap();
            txn.open_table(META).unwrap().remove(meta_key::STATE_ROOT).unwrap();
            txn.commit().unwrap();
        }),
    ];
    for (i, (name, what, corrupt)) in cases.into_iter().enumerate() {
        let mut s = RedbStorage::open(&dir.path().join(format!("corrupt-{i}.redb"))).unwrap();
        let c = commit_three(&mut s);
        corrupt(s.database(), &c, garbage);
        match s.recover() {
            Err(StorageError::Corrupt { what: w, detail }) => {
                assert_eq!(w, what, "{name}: {detail}");
                eprintln!("{name}: corrupt {w}: {detail}");
            }
            other => panic!("{name}: expected Corrupt, got {other:?}"),
        }
    }
}

#[test]
fn redb_corrupt_block_found_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    drop(commit_three_at(&path));
    {
        let db = Database::create(&path).unwrap();
        write_raw(&db, BLOCKS, 2, b"not a block");
    }
    let s = RedbStorage::open(&path).unwrap();
    assert!(matches!(s.block_at(2), Err(StorageError::Corrupt { what: "block", .. })));
    assert!(s.block_at(1).unwrap().is_some());
    assert!(s.recover().is_ok(), "recover reads only the last block");

    {
        drop(s);
        let db = Database::create(&path).unwrap();
        write_raw(&db, META, meta_key::COMMITTED_HEIGHT, b"\x01\x02");
    }
    assert!(matches!(RedbStorage::open(&path), Err(StorageError::Corrupt { what: "meta", .. })));
}

#[test]
fn redb_refuses_unknown_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    drop(RedbStorage::open(&path).unwrap());
    {
        let db = Database::create(&path).unwrap();
        write_raw(&db, META, meta_key::FORMAT, &encode(&99u32));
    }
    let err = RedbStorage::open(&path).unwrap_err();
    assert!(err.to_string().contains("storage format 99, this build reads formats 1 and 2"), "{err}");
}

/// The redb contract again with the account log folded into the checkpoint at every commit that changes an
/// account, and every second change: folds happen mid-scenario.
#[test]
fn redb_storage_contract_with_folds() {
    let dir = tempfile::tempdir().unwrap();
    for fold_entries in [1, 2] {
        let mut n = 0;
        contract(|| {
            n += 1;
            let path = dir.path().join(format!("store-{fold_entries}-{n}.redb"));
            Box::new(RedbStorage::open_folding_at(&path, fold_entries).unwrap())
        });
    }
}

/// Rows in the account log, read behind the storage's back.
fn log_rows(s: &RedbStorage) -> u64 {
    use redb::{ReadableDatabase, ReadableTableMetadata};
    s.database().begin_read().unwrap().open_table(ACCOUNT_DELTAS).unwrap().len().unwrap()
}

/// Seeded random blocks changing random accounts of a small set: after every commit, and after reopening at
/// random points, redb's recovered accounts equal the in-memory store's, whatever the fold threshold; a fold
/// empties the log.
#[test]
fn redb_account_log_recovers_what_memory_holds_across_folds_and_reopens() {
    use rand::{RngExt, SeedableRng};
    let seed = 0x5EED_0A11;
    let dir = tempfile::tempdir().unwrap();
    let c = chain(41);
    for fold_entries in [1, 3, 7, 1_000] {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ fold_entries);
        let path = dir.path().join(format!("log-{fold_entries}.redb"));
        let mut redb = RedbStorage::open_folding_at(&path, fold_entries).unwrap();
        let mut memory = MemoryStorage::new();
        for h in 1..=40u64 {
            let (block, qc) = &c[h as usize - 1];
            let mut changed: Vec<(AccountId, Account)> =
                (0..rng.random_range(0..4)).map(|_| (id(rng.random_range(0..8)), acct(rng.random(), h))).collect();
            changed.sort_by_key(|(id, _)| *id);
            changed.dedup_by_key(|(id, _)| *id);
            let proof = c.get(h as usize).filter(|_| h == 3).map(|(b, q)| (b, q));
            let cb = CommittedBlock {
                block,
                qc,
                commit_proof: proof,
                state_root: root(h),
                changed_accounts: &changed,
                epoch: block.header.epoch,
            };
            memory.commit_block(&cb).unwrap();
            redb.commit_block(&cb).unwrap();
            if rng.random_bool(0.2) {
                drop(redb);
                redb = RedbStorage::open_folding_at(&path, fold_entries).unwrap();
            }
            let (want, got) = (memory.recover().unwrap(), redb.recover().unwrap());
            assert_eq!(got, want, "seed {seed:#x}, fold at {fold_entries}, height {h}");
            if fold_entries == 1 && !changed.is_empty() {
                assert_eq!(log_rows(&redb), 0, "seed {seed:#x}: a fold empties the log");
            }
        }
    }
}

/// A format-1 store (no account log; `accounts` current at the committed height) opens as format 2 with its
/// committed height as the checkpoint, recovers the same state and keeps committing.
#[test]
fn redb_format_1_store_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    let (c, before) = {
        // Folding at every change (each of the three blocks changes accounts) leaves `accounts` complete at
        // height 3 and the log empty: what format 1 held.
        let mut s = RedbStorage::open_folding_at(&path, 1).unwrap();
        let c = commit_three(&mut s);
        (c, s.recover().unwrap())
    };
    {
        let db = Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        assert!(txn.delete_table(ACCOUNT_DELTAS).unwrap());
        let mut meta = txn.open_table(META).unwrap();
        meta.insert(meta_key::FORMAT, encode(&1u32).as_slice()).unwrap();
        meta.remove(meta_key::ACCOUNTS_HEIGHT).unwrap();
        drop(meta);
        txn.commit().unwrap();
    }
    let mut s = RedbStorage::open(&path).unwrap();
    assert_eq!(s.recover().unwrap(), before);
    commit(&mut s, &c, 4).unwrap();
    let r = s.recover().unwrap().unwrap();
    assert_eq!(r.committed_height, 4);
    assert!(r.accounts.contains(&(id(4), acct(4, 4))));
    drop(s);
    assert_eq!(RedbStorage::open(&path).unwrap().recover().unwrap(), Some(r));
}

fn commit_three_at(path: &Path) -> RedbStorage {
    let mut s = RedbStorage::open(path).unwrap();
    commit_three(&mut s);
    s
}

// ---------------------------------------------------------------- redb: commit latency (measured, not asserted)

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let n = samples.len();
    let avg = samples.iter().sum::<Duration>() / n as u32;
    let pct = |p: usize| samples[(n * p / 100).min(n - 1)];
    format!("n={n} avg={avg:?} p50={:?} p99={:?} max={:?}", pct(50), pct(99), samples[n - 1])
}

/// `cargo test --release -p hsbench-engine --lib storage::tests::redb_commit_latency -- --ignored --nocapture`
/// (HSBENCH_STORAGE_DIR picks the file system; default: the system temp dir).
#[test]
#[ignore = "measurement; run explicitly with --nocapture"]
fn redb_commit_latency() {
    const BLOCKS_N: Height = 200;
    const ACCOUNTS_PER_BLOCK: u64 = 100;
    let dir = match std::env::var_os("HSBENCH_STORAGE_DIR") {
        Some(d) => tempfile::tempdir_in(d).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let mut s = RedbStorage::open(&dir.path().join("bench.redb")).unwrap();
    let c = chain(BLOCKS_N + 1);
    let mut commits = Vec::new();
    for h in 1..=BLOCKS_N {
        let (block, qc) = &c[h as usize - 1];
        // 100 accounts out of a pool of 10 000, spread over the key space.
        let changed: Vec<(AccountId, Account)> = (0..ACCOUNTS_PER_BLOCK)
            .map(|i| ((h * 7919 + i * 104_729) % 10_000, h * 1000 + i))
            .map(|(k, v)| (*Hash::of(&k.to_le_bytes()).as_bytes(), acct(v, h)))
            .collect();
        let cb = CommittedBlock {
            block,
            qc,
            commit_proof: None,
            state_root: root(h),
            changed_accounts: &changed,
            epoch: block.header.epoch,
        };
        let t = Instant::now();
        s.commit_block(&cb).unwrap();
        commits.push(t.elapsed());
    }
    let mut safeties = Vec::new();
    for r in 0..200 {
        let t = Instant::now();
        s.save_safety(&safety(1, r)).unwrap();
        safeties.push(t.elapsed());
    }
    let t = Instant::now();
    let r = s.recover().unwrap().unwrap();
    let recover = t.elapsed();
    println!("redb at {}", dir.path().display());
    println!("commit_block ({ACCOUNTS_PER_BLOCK} accounts): {}", summary(commits));
    println!("save_safety: {}", summary(safeties));
    println!("recover ({} accounts): {recover:?}", r.accounts.len());
}
