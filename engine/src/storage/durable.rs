//! Durable storage on redb: one ACID database file per node.
//!
//! Layout (every value is a canonical encoding from [`crate::types::codec`]):
//!
//! | table | key | value |
//! |---|---|---|
//! | `blocks_by_height` | height (u64) | versioned `Block` |
//! | `qc_by_height` | height (u64) | versioned `QuorumCertificate` certifying that block |
//! | `height_by_hash` | block hash (32 B) | height (u64) |
//! | `commit_proofs` | height (u64) | version byte, child `Block`, its `QuorumCertificate` |
//! | `accounts` | account id (32 B) | `Account` without version byte (16 B; the store's format covers it): the checkpoint, every account as of height `accounts_height` |
//! | `account_deltas` | height (u64) | the accounts that block changed (count, then id and account per change), for every height after `accounts_height` |
//! | `meta` | name | `format`, `committed_height`, `state_root`, `epoch`, `safety`, `accounts_height` (versioned encodings) |
//!
//! Why the accounts are a checkpoint and a log, and when the log is folded in: [`super::account_log`].
//! Format 1 (no log; `accounts` current at the committed height) is migrated on open: its checkpoint height is
//! its committed height.

use super::account_log::{FOLD_ENTRIES, change_count, encode_changes, replay};
use super::{
    CommittedBlock, Recovered, SafetyState, Storage, StorageError, check_safety, sorted_by_id, validate_commit,
};
use crate::types::codec::{Decode, DecodeError, ENCODING_VERSION, Encode, Reader, Writer};
use crate::types::{AccountId, Block, Epoch, Hash, Height, KeyedMap, QuorumCertificate, decode, encode};

use redb::{Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition};
use std::fmt;
use std::path::{Path, PathBuf};

/// redb's page cache per database. redb's default is 1 GiB, and a node filled it with the pages of the blocks it
/// wrote — ~12 MB/s of resident set growth per validator at 30,000 tx/s, each new page faulted in and zeroed (15 %
/// of a validator process's CPU samples in the kernel's page clearing). The node writes blocks once and reads back
/// only what sync and recovery ask for, so a small cache holds its hot pages (the tables' upper B-tree levels,
/// the accounts): at 64 MiB a validator's resident set grew ~12 MB/s for the first ~8 s of load and ~1 MB/s after
/// (395 MB at 24 s against 508 MB and still rising by 12 MB/s with the default), and in two interleaved pairs of the
/// 4-process signature-free cluster at 30,000 tx/s the CPU per transaction per process fell 14.0–14.1 →
/// 13.5–13.6 µs (storage stage 1.3–1.4 → 1.4–1.5 µs, node stage 5.3–5.4 → 4.9 µs: the page faults were charged to
/// whichever thread touched the page), p99 within the runs' spread.
const CACHE_BYTES: usize = 64 << 20;

/// Blocks by height.
pub(super) const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks_by_height");
/// Certifying QCs by height.
pub(super) const QCS: TableDefinition<u64, &[u8]> = TableDefinition::new("qc_by_height");
/// Height of each committed block hash.
pub(super) const HEIGHT_BY_HASH: TableDefinition<&[u8; 32], u64> = TableDefinition::new("height_by_hash");
/// Commit proofs by height.
pub(super) const COMMIT_PROOFS: TableDefinition<u64, &[u8]> = TableDefinition::new("commit_proofs");
/// State of every account written by a commit up to the checkpoint height (`meta` `accounts_height`).
pub(super) const ACCOUNTS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("accounts");
/// The accounts each block after the checkpoint changed, by height.
pub(super) const ACCOUNT_DELTAS: TableDefinition<u64, &[u8]> = TableDefinition::new("account_deltas");
/// Node metadata, by name.
pub(super) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Version of the table layout above; written on creation, checked on open.
const STORAGE_FORMAT: u32 = 2;
/// The layout before the account log: read, and migrated on open.
const FORMAT_WITHOUT_LOG: u32 = 1;

/// Metadata keys.
pub(super) mod meta_key {
    /// Storage format version (u32).
    pub const FORMAT: &str = "format";
    /// Highest committed height (u64).
    pub const COMMITTED_HEIGHT: &str = "committed_height";
    /// State root after the committed height (Hash).
    pub const STATE_ROOT: &str = "state_root";
    /// Epoch after the committed height (u64).
    pub const EPOCH: &str = "epoch";
    /// The node's safety state (SafetyState).
    pub const SAFETY: &str = "safety";
    /// Height the `accounts` checkpoint is current at (u64); the log holds every height after it.
    pub const ACCOUNTS_HEIGHT: &str = "accounts_height";
}

/// Durable storage in one redb file. Every [`Storage::commit_block`] and [`Storage::save_safety`] is one
/// write transaction committed with [`Durability::Immediate`] (fsync'd before returning), so a crash at
/// any point leaves the file at the last completed commit.
pub struct RedbStorage {
    db: Database,
    path: PathBuf,
    committed: Height,
    /// Height the accounts checkpoint is current at.
    checkpoint: Height,
    /// Changes in the account log (summed over its records).
    logged: u64,
    /// Log size that triggers a fold ([`FOLD_ENTRIES`]; smaller in tests).
    fold_entries: u64,
}

impl fmt::Debug for RedbStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbStorage")
            .field("path", &self.path)
            .field("committed", &self.committed)
            .field("checkpoint", &self.checkpoint)
            .field("logged", &self.logged)
            .finish()
    }
}

/// Maps any redb error to [`StorageError::Db`], naming the operation.
fn db_err<E: fmt::Display>(op: &'static str) -> impl FnOnce(E) -> StorageError {
    move |e| StorageError::Db(format!("{op}: {e}"))
}

/// Encodes without the version byte (fixed-size records whose version is the store's format).
fn encode_raw<T: Encode>(v: &T) -> Vec<u8> {
    let mut w = Writer::with_capacity(16);
    w.put(v);
    w.finish()
}

/// Decodes a record written by [`encode_raw`], rejecting trailing bytes.
fn decode_raw<T: Decode>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut r = Reader::new(bytes);
    let v = r.get()?;
    r.finish()?;
    Ok(v)
}

/// Encodes a commit proof: version byte, child block, its QC.
fn encode_proof(child: &Block, qc: &QuorumCertificate) -> Vec<u8> {
    let mut w = Writer::with_capacity(1024);
    w.u8(ENCODING_VERSION).put(child).put(qc);
    w.finish()
}

/// Decodes a record written by [`encode_proof`].
fn decode_proof(bytes: &[u8]) -> Result<(Block, QuorumCertificate), DecodeError> {
    let mut r = Reader::new(bytes);
    let version = r.u8()?;
    if version != ENCODING_VERSION {
        return Err(DecodeError::Version { found: version, expected: ENCODING_VERSION });
    }
    let proof = (r.get()?, r.get()?);
    r.finish()?;
    Ok(proof)
}

/// Reads and decodes one metadata value.
fn meta_get<T: Decode>(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &'static str,
    op: &'static str,
) -> Result<Option<T>, StorageError> {
    match meta.get(key).map_err(db_err(op))? {
        None => Ok(None),
        Some(v) => decode(v.value()).map(Some).map_err(|e| StorageError::decode("meta", format_args!("key {key}"), e)),
    }
}

/// Reads a metadata value that must be present once a block is committed.
fn meta_require<T: Decode>(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &'static str,
    op: &'static str,
) -> Result<T, StorageError> {
    meta_get(meta, key, op)?
        .ok_or_else(|| StorageError::corrupt("meta", format!("key {key} missing although a block is committed")))
}

/// Reads the block and QC at `height`, checking they are both there, decode, and belong together.
fn read_block(txn: &ReadTransaction, height: Height) -> Result<Option<(Block, QuorumCertificate)>, StorageError> {
    const OP: &str = "block_at";
    let blocks = txn.open_table(BLOCKS).map_err(db_err(OP))?;
    let qcs = txn.open_table(QCS).map_err(db_err(OP))?;
    let block = blocks.get(height).map_err(db_err(OP))?;
    let qc = qcs.get(height).map_err(db_err(OP))?;
    let (block, qc) = match (block, qc) {
        (None, None) => return Ok(None),
        (Some(b), Some(q)) => (b, q),
        (b, _) => {
            let missing = if b.is_some() { "qc" } else { "block" };
            return Err(StorageError::corrupt("ledger", format!("height {height}: {missing} missing")));
        }
    };
    let block: Block =
        decode(block.value()).map_err(|e| StorageError::decode("block", format_args!("height {height}"), e))?;
    let qc = decode_qc(qc.value(), height)?;
    if block.header.height != height {
        return Err(StorageError::corrupt(
            "block",
            format!("stored at height {height} but says {}", block.header.height),
        ));
    }
    let hash = block.hash();
    if qc.block_hash != hash {
        return Err(StorageError::corrupt(
            "qc",
            format!("height {height}: certifies {}, block is {hash}", qc.block_hash),
        ));
    }
    Ok(Some((block, qc)))
}

/// The QC stored at `height`, decoded.
fn decode_qc(bytes: &[u8], height: Height) -> Result<QuorumCertificate, StorageError> {
    decode(bytes).map_err(|e| StorageError::decode("qc", format_args!("height {height}"), e))
}

/// The account log's records as (height, bytes), in height order, for [`replay`] (recovery and the fold).
fn log_records<'t>(
    log: &'t impl ReadableTable<u64, &'static [u8]>,
    op: &'static str,
) -> Result<impl Iterator<Item = Result<(Height, Vec<u8>), StorageError>> + 't, StorageError> {
    let entries = log.iter().map_err(db_err(op))?;
    Ok(entries.map(move |entry| entry.map(|(h, v)| (h.value(), v.value().to_vec())).map_err(db_err(op))))
}

/// Folds the account log (every record after `checkpoint`, up to and including `height`, which this
/// transaction just logged) into the `accounts` checkpoint: changes applied in height order, each account written
/// once, in id order; then empties the log.
fn fold_log(
    txn: &redb::WriteTransaction,
    log: &mut redb::Table<u64, &[u8]>,
    checkpoint: Height,
    height: Height,
) -> Result<(), StorageError> {
    const OP: &str = "commit_block (fold account log)";
    let mut latest = KeyedMap::default();
    replay(&mut latest, log_records(log, OP)?, checkpoint, height)?;
    let latest = sorted_by_id(latest);
    let mut accounts = txn.open_table(ACCOUNTS).map_err(db_err(OP))?;
    for (id, account) in &latest {
        accounts.insert(id, encode_raw(account).as_slice()).map_err(db_err(OP))?;
    }
    log.retain(|_, _| false).map_err(db_err(OP))
}

impl RedbStorage {
    /// Opens the database at `path`, creating it (and its tables) if absent. Opening an existing file
    /// recovers it: redb rolls back to the last completed commit after a crash. Reads only the storage format
    /// and committed height here (a corrupt one is [`StorageError::Corrupt`]); [`Storage::recover`] reads and
    /// checks the rest.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        Self::open_folding_at(path, FOLD_ENTRIES)
    }

    /// [`RedbStorage::open`] folding the account log into the checkpoint at `fold_entries` changes (tests fold
    /// often to exercise it).
    pub(super) fn open_folding_at(path: &Path, fold_entries: u64) -> Result<Self, StorageError> {
        const OP: &str = "open";
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| StorageError::Db(format!("open {}: {e}", path.display())))?;
        let txn = db.begin_write().map_err(db_err(OP))?;
        {
            txn.open_table(BLOCKS).map_err(db_err(OP))?;
            txn.open_table(QCS).map_err(db_err(OP))?;
            txn.open_table(HEIGHT_BY_HASH).map_err(db_err(OP))?;
            txn.open_table(COMMIT_PROOFS).map_err(db_err(OP))?;
            txn.open_table(ACCOUNTS).map_err(db_err(OP))?;
            txn.open_table(ACCOUNT_DELTAS).map_err(db_err(OP))?;
            let mut meta = txn.open_table(META).map_err(db_err(OP))?;
            let checkpoint_at = match meta_get::<u32>(&meta, meta_key::FORMAT, OP)? {
                None => Some(0),
                // Its accounts table is current at its committed height: that is its checkpoint.
                Some(FORMAT_WITHOUT_LOG) => Some(meta_get::<u64>(&meta, meta_key::COMMITTED_HEIGHT, OP)?.unwrap_or(0)),
                Some(STORAGE_FORMAT) => None,
                Some(other) => {
                    return Err(StorageError::corrupt(
                        "meta",
                        format!(
                            "storage format {other}, this build reads formats {FORMAT_WITHOUT_LOG} and {STORAGE_FORMAT}"
                        ),
                    ));
                }
            };
            if let Some(height) = checkpoint_at {
                meta.insert(meta_key::FORMAT, encode(&STORAGE_FORMAT).as_slice()).map_err(db_err(OP))?;
                meta.insert(meta_key::ACCOUNTS_HEIGHT, encode(&height).as_slice()).map_err(db_err(OP))?;
            }
        }
        txn.commit().map_err(db_err(OP))?;
        let (committed, checkpoint, logged) = {
            let txn = db.begin_read().map_err(db_err(OP))?;
            let meta = txn.open_table(META).map_err(db_err(OP))?;
            let committed = meta_get::<u64>(&meta, meta_key::COMMITTED_HEIGHT, OP)?.unwrap_or(0);
            let checkpoint = meta_require::<u64>(&meta, meta_key::ACCOUNTS_HEIGHT, OP)?;
            let mut logged = 0;
            for entry in txn.open_table(ACCOUNT_DELTAS).map_err(db_err(OP))?.iter().map_err(db_err(OP))? {
                let (height, record) = entry.map_err(db_err(OP))?;
                logged += change_count(height.value(), record.value())?;
            }
            (committed, checkpoint, logged)
        };
        Ok(RedbStorage { db, path: path.to_path_buf(), committed, checkpoint, logged, fold_entries })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying database, for tests that write records behind the storage's back.
    #[cfg(test)]
    pub(super) fn database(&self) -> &Database {
        &self.db
    }

    fn begin_write(&self, op: &'static str) -> Result<redb::WriteTransaction, StorageError> {
        let mut txn = self.db.begin_write().map_err(db_err(op))?;
        txn.set_durability(Durability::Immediate).map_err(db_err(op))?;
        Ok(txn)
    }
}

impl Storage for RedbStorage {
    fn commit_block(&mut self, c: &CommittedBlock<'_>) -> Result<(), StorageError> {
        const OP: &str = "commit_block";
        let height = c.block.header.height;
        let (mut checkpoint, mut logged) = (self.checkpoint, self.logged);
        let txn = self.begin_write(OP)?;
        {
            let mut by_hash = txn.open_table(HEIGHT_BY_HASH).map_err(db_err(OP))?;
            let hash =
                validate_commit(c, self.committed, |h| Ok(by_hash.get(&h.0).map_err(db_err(OP))?.map(|v| v.value())))?;
            by_hash.insert(&hash.0, height).map_err(db_err(OP))?;

            let mut blocks = txn.open_table(BLOCKS).map_err(db_err(OP))?;
            blocks.insert(height, encode(c.block).as_slice()).map_err(db_err(OP))?;
            let mut qcs = txn.open_table(QCS).map_err(db_err(OP))?;
            qcs.insert(height, encode(c.qc).as_slice()).map_err(db_err(OP))?;
            if let Some((child, child_qc)) = c.commit_proof {
                let mut proofs = txn.open_table(COMMIT_PROOFS).map_err(db_err(OP))?;
                proofs.insert(height, encode_proof(child, child_qc).as_slice()).map_err(db_err(OP))?;
            }
            let mut log = txn.open_table(ACCOUNT_DELTAS).map_err(db_err(OP))?;
            log.insert(height, encode_changes(c.changed_accounts).as_slice()).map_err(db_err(OP))?;
            logged += c.changed_accounts.len() as u64;
            let mut meta = txn.open_table(META).map_err(db_err(OP))?;
            if logged >= self.fold_entries {
                fold_log(&txn, &mut log, self.checkpoint, height)?;
                meta.insert(meta_key::ACCOUNTS_HEIGHT, encode(&height).as_slice()).map_err(db_err(OP))?;
                checkpoint = height;
                logged = 0;
            }
            meta.insert(meta_key::COMMITTED_HEIGHT, encode(&height).as_slice()).map_err(db_err(OP))?;
            meta.insert(meta_key::STATE_ROOT, encode(&c.state_root).as_slice()).map_err(db_err(OP))?;
            meta.insert(meta_key::EPOCH, encode(&c.epoch).as_slice()).map_err(db_err(OP))?;
        }
        txn.commit().map_err(db_err(OP))?;
        (self.committed, self.checkpoint, self.logged) = (height, checkpoint, logged);
        Ok(())
    }

    fn save_safety(&mut self, s: &SafetyState) -> Result<(), StorageError> {
        const OP: &str = "save_safety";
        let txn = self.begin_write(OP)?;
        {
            let mut meta = txn.open_table(META).map_err(db_err(OP))?;
            let stored: Option<SafetyState> = meta_get(&meta, meta_key::SAFETY, OP)?;
            check_safety(stored.as_ref(), s)?;
            meta.insert(meta_key::SAFETY, encode(s).as_slice()).map_err(db_err(OP))?;
        }
        txn.commit().map_err(db_err(OP))
    }

    fn recover(&self) -> Result<Option<Recovered>, StorageError> {
        const OP: &str = "recover";
        let txn = self.db.begin_read().map_err(db_err(OP))?;
        let meta = txn.open_table(META).map_err(db_err(OP))?;
        let height: Option<Height> = meta_get(&meta, meta_key::COMMITTED_HEIGHT, OP)?;
        let safety: Option<SafetyState> = meta_get(&meta, meta_key::SAFETY, OP)?;

        let ledger_end = {
            let blocks = txn.open_table(BLOCKS).map_err(db_err(OP))?;
            let last = blocks.last().map_err(db_err(OP))?;
            last.map(|(k, _)| k.value())
        };
        if ledger_end != height {
            return Err(StorageError::corrupt(
                "meta",
                format!("committed_height is {height:?} but the ledger ends at {ledger_end:?}"),
            ));
        }

        let (committed_height, state_root, epoch, last_block) = match height {
            None if safety.is_none() => return Ok(None),
            None => (0, Hash::ZERO, 0, None),
            Some(h) => {
                let state_root: Hash = meta_require(&meta, meta_key::STATE_ROOT, OP)?;
                let epoch: Epoch = meta_require(&meta, meta_key::EPOCH, OP)?;
                let last = read_block(&txn, h)?
                    .ok_or_else(|| StorageError::corrupt("ledger", format!("block at committed height {h} missing")))?;
                (h, state_root, epoch, Some(last))
            }
        };

        let checkpoint: Height = meta_require(&meta, meta_key::ACCOUNTS_HEIGHT, OP)?;
        if checkpoint > committed_height {
            return Err(StorageError::corrupt(
                "meta",
                format!("accounts_height {checkpoint} is past the committed height {committed_height}"),
            ));
        }
        let mut accounts = KeyedMap::default();
        for entry in txn.open_table(ACCOUNTS).map_err(db_err(OP))?.iter().map_err(db_err(OP))? {
            let (id, value) = entry.map_err(db_err(OP))?;
            let id: AccountId = *id.value();
            let account = decode_raw(value.value())
                .map_err(|e| StorageError::decode("account", format_args!("id {}", Hash(id)), e))?;
            accounts.insert(id, account);
        }
        let log = txn.open_table(ACCOUNT_DELTAS).map_err(db_err(OP))?;
        replay(&mut accounts, log_records(&log, OP)?, checkpoint, committed_height)?;
        let accounts = sorted_by_id(accounts);

        Ok(Some(Recovered { committed_height, state_root, epoch, last_block, accounts, safety }))
    }

    fn block_at(&self, height: Height) -> Result<Option<(Block, QuorumCertificate)>, StorageError> {
        let txn = self.db.begin_read().map_err(db_err("block_at"))?;
        read_block(&txn, height)
    }

    fn certificate_at(&self, height: Height) -> Result<Option<QuorumCertificate>, StorageError> {
        const OP: &str = "certificate_at";
        let txn = self.db.begin_read().map_err(db_err(OP))?;
        let qcs = txn.open_table(QCS).map_err(db_err(OP))?;
        let Some(qc) = qcs.get(height).map_err(db_err(OP))? else { return Ok(None) };
        let qc = decode_qc(qc.value(), height)?;
        if qc.height != height {
            return Err(StorageError::corrupt(
                "qc",
                format!("stored at height {height} certifies height {}", qc.height),
            ));
        }
        Ok(Some(qc))
    }

    fn commit_proof_at(&self, height: Height) -> Result<Option<(Block, QuorumCertificate)>, StorageError> {
        const OP: &str = "commit_proof_at";
        let txn = self.db.begin_read().map_err(db_err(OP))?;
        let proofs = txn.open_table(COMMIT_PROOFS).map_err(db_err(OP))?;
        match proofs.get(height).map_err(db_err(OP))? {
            None => Ok(None),
            Some(v) => decode_proof(v.value())
                .map(Some)
                .map_err(|e| StorageError::decode("commit proof", format_args!("height {height}"), e)),
        }
    }

    fn height_of(&self, hash: &Hash) -> Result<Option<Height>, StorageError> {
        const OP: &str = "height_of";
        let txn = self.db.begin_read().map_err(db_err(OP))?;
        let by_hash = txn.open_table(HEIGHT_BY_HASH).map_err(db_err(OP))?;
        Ok(by_hash.get(&hash.0).map_err(db_err(OP))?.map(|v| v.value()))
    }

    fn committed_height(&self) -> Height {
        self.committed
    }

    fn kind(&self) -> &'static str {
        "redb"
    }
}
