//! The signed corpus on disk (`results/cache/`, git-ignored), so repeated runs skip signing.
//!
//! A file is named `corpus-<key>-<count>.bin`, where `key` is blake3 of the format version and the
//! [`CorpusSpec`] (seed, chain id, accounts, balances, amount, fee, memo size, skew, invalid mix) and `count` the
//! number of transactions. Because a shorter corpus is a prefix of a longer one, any file of the same key with
//! at least the needed count serves. Counts are rounded up to a power of two, so a ceiling search that keeps
//! doubling its rate signs O(log) files, and a larger file replaces the smaller ones of its key.
//!
//! Layout: magic `HSBCORP1`, key (32 B), accounts (u64 LE), count (u64 LE), blake3 of the body (32 B), then the
//! body: every account id (32 B each), then every transaction as a u32 LE length and the engine's canonical
//! encoding ([`hsbench_engine::types::encode`]). A file is trusted only when magic, key, counts and body hash
//! match, every transaction decodes, and the first and last transaction equal freshly signed ones; anything
//! else is reported in a note and the corpus is signed again.

use crate::corpus::{CorpusSpec, TxSet, account_key, make_tx, sign};
use crate::loadgen::workload::{kind_of, plan_slots};
use hsbench_engine::types::{AccountId, Transaction, decode, encode};
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};

/// Default cache folder (git-ignored).
pub const DEFAULT_CACHE_DIR: &str = "results/cache";

/// First bytes of every cache file.
const MAGIC: &[u8; 8] = b"HSBCORP1";

/// Smallest corpus the cache signs.
pub const MIN_CACHED: u64 = 4096;

/// Why a cache file was not used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The file is not a valid corpus of this spec.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// What [`load_or_sign`] did.
#[derive(Debug, Default)]
pub struct CacheOutcome {
    /// The transactions (at least as many as asked for).
    pub set: TxSet,
    /// Whether they came from disk.
    pub hit: bool,
    /// Notes for the console: a rejected file, a failed write.
    pub notes: Vec<String>,
}

/// The cache key of a spec (hex).
pub fn key(spec: &CorpusSpec) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"hsbench corpus cache v1\0");
    // A spec always serialises (plain numbers and enums).
    hasher.update(serde_json::to_string(spec).unwrap_or_default().as_bytes());
    hasher.finalize().to_hex().to_string()
}

/// Count actually signed for a request of `count`.
pub fn rounded(count: u64) -> u64 {
    count.max(MIN_CACHED).next_power_of_two()
}

fn file_name(key: &str, count: u64) -> String {
    format!("corpus-{}-{count}.bin", &key[..16])
}

/// Files of `key` in `dir` with their counts, smallest first.
fn candidates(dir: &Path, key: &str) -> Vec<(u64, PathBuf)> {
    let prefix = format!("corpus-{}-", &key[..16]);
    let mut out: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let count = name.strip_prefix(&prefix)?.strip_suffix(".bin")?.parse().ok()?;
            Some((count, entry.path()))
        })
        .collect();
    out.sort();
    out
}

/// At least `count` transactions of `spec`: from a file in `dir` when a valid one exists, else signed (with
/// `progress`) and written there. `dir = None` never touches the disk.
pub fn load_or_sign(dir: Option<&Path>, spec: &CorpusSpec, count: u64, progress: &ProgressBar) -> CacheOutcome {
    let Some(dir) = dir else {
        return CacheOutcome { set: sign(spec, count, progress), hit: false, notes: Vec::new() };
    };
    let key = key(spec);
    let mut notes = Vec::new();
    for (have, path) in candidates(dir, &key) {
        if have < count {
            continue;
        }
        match read(&path, spec, &key, count) {
            Ok(set) => return CacheOutcome { set, hit: true, notes },
            Err(e) => notes.push(format!("note: corpus cache file rejected, signing again: {e}")),
        }
    }
    let target = rounded(count);
    let set = sign(spec, target, progress);
    match write(dir, &key, &set) {
        Ok(path) => {
            for (have, old) in candidates(dir, &key) {
                if have < target && old != path {
                    let _ = std::fs::remove_file(old);
                }
            }
        }
        Err(e) => notes.push(format!("note: cannot write the corpus cache: {e}")),
    }
    CacheOutcome { set, hit: false, notes }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CacheError + '_ {
    move |error| CacheError::Io { path: path.to_path_buf(), error }
}

/// Writes `set` under `dir` (atomically: a temporary file renamed into place); returns the path.
pub fn write(dir: &Path, key: &str, set: &TxSet) -> Result<PathBuf, CacheError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    // The cache is scratch: keep it out of git wherever it is put.
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "*\n").map_err(io(&ignore))?;
    }
    let mut body = Vec::with_capacity(set.ids.len() * 32 + set.txs.len() * 180);
    for id in &set.ids {
        body.extend_from_slice(id);
    }
    for tx in &set.txs {
        let bytes = encode(tx);
        body.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        body.extend_from_slice(&bytes);
    }
    let mut file = Vec::with_capacity(body.len() + 88);
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(blake3::Hash::from_hex(key).map(|h| *h.as_bytes()).unwrap_or_default().as_slice());
    file.extend_from_slice(&(set.ids.len() as u64).to_le_bytes());
    file.extend_from_slice(&(set.txs.len() as u64).to_le_bytes());
    file.extend_from_slice(blake3::hash(&body).as_bytes());
    file.extend_from_slice(&body);
    let path = dir.join(file_name(key, set.txs.len() as u64));
    let tmp = dir.join(format!(".{}.tmp-{}", file_name(key, set.txs.len() as u64), std::process::id()));
    std::fs::write(&tmp, &file).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(path)
}

/// Reads the first `want` transactions of a cache file of `spec`, checking everything (see the module docs).
pub fn read(path: &Path, spec: &CorpusSpec, key: &str, want: u64) -> Result<TxSet, CacheError> {
    let invalid = |reason: String| CacheError::Invalid { path: path.to_path_buf(), reason };
    let data = std::fs::read(path).map_err(io(path))?;
    let header = 8 + 32 + 8 + 8 + 32;
    if data.len() < header || &data[..8] != MAGIC {
        return Err(invalid("not a corpus cache file (bad magic or too short)".into()));
    }
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&data[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let expected_key = blake3::Hash::from_hex(key).map(|h| *h.as_bytes()).unwrap_or_default();
    if data[8..40] != expected_key {
        return Err(invalid("written for another seed or workload (key mismatch)".into()));
    }
    let (accounts, count) = (word(40), word(48));
    if accounts != spec.workload.accounts as u64 {
        return Err(invalid(format!("holds {accounts} accounts, expected {}", spec.workload.accounts)));
    }
    if count < want {
        return Err(invalid(format!("holds {count} transactions, {want} needed")));
    }
    let body = &data[header..];
    if blake3::hash(body).as_bytes()[..] != data[56..88] {
        return Err(invalid("body checksum mismatch (truncated or corrupt)".into()));
    }
    let ids_len = spec.workload.accounts * 32;
    if body.len() < ids_len {
        return Err(invalid("truncated account list".into()));
    }
    let ids: Vec<AccountId> = body[..ids_len]
        .chunks_exact(32)
        .map(|c| {
            let mut id = [0u8; 32];
            id.copy_from_slice(c);
            id
        })
        .collect();
    let mut txs = Vec::with_capacity(want as usize);
    let mut at = ids_len;
    for i in 0..want {
        let len_bytes = body.get(at..at + 4).ok_or_else(|| invalid(format!("transaction {i} truncated")))?;
        let len = u32::from_le_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
        let bytes = body.get(at + 4..at + 4 + len).ok_or_else(|| invalid(format!("transaction {i} truncated")))?;
        let tx: Transaction = decode(bytes).map_err(|e| invalid(format!("transaction {i}: {e}")))?;
        txs.push(tx);
        at += 4 + len;
    }
    // Spot check: the first and last transaction must be what this build would sign.
    let slots = plan_slots(spec.workload.accounts, spec.seed, spec.workload.skew, &spec.workload.invalid, want);
    for i in [0, want.saturating_sub(1)] {
        let (Some(slot), Some(tx)) = (slots.get(i as usize), txs.get(i as usize)) else { continue };
        if ids.get(slot.sender) != Some(&account_key(spec.seed, slot.sender as u64).verifying_key().to_bytes()) {
            return Err(invalid(format!("account {} differs from this build's", slot.sender)));
        }
        let key = account_key(spec.seed, slot.sender as u64);
        if make_tx(spec, &ids, &key, i, *slot) != *tx {
            return Err(invalid(format!("transaction {i} differs from this build's")));
        }
    }
    let kinds = (0..want).map(|i| kind_of(&spec.workload.invalid, spec.seed, i)).collect();
    Ok(TxSet { ids, txs, kinds })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BenchConfig;

    fn spec() -> CorpusSpec {
        let mut c = BenchConfig::default();
        c.workload.accounts = 16;
        c.workload.invalid.bad_signature = 0.1;
        CorpusSpec::of(&c)
    }

    #[test]
    fn second_load_hits_and_matches() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec();
        let first = load_or_sign(Some(dir.path()), &s, 100, &ProgressBar::hidden());
        assert!(!first.hit && first.notes.is_empty(), "{:?}", first.notes);
        assert_eq!(first.set.txs.len() as u64, MIN_CACHED);
        let second = load_or_sign(Some(dir.path()), &s, 1000, &ProgressBar::hidden());
        assert!(second.hit, "{:?}", second.notes);
        assert_eq!(second.set.txs[..], first.set.txs[..1000]);
        assert_eq!(second.set.kinds[..], first.set.kinds[..1000]);
        assert_eq!(second.set.ids, first.set.ids);
        // Another seed is another key: a miss.
        let mut other = s.clone();
        other.seed += 1;
        assert!(!load_or_sign(Some(dir.path()), &other, 10, &ProgressBar::hidden()).hit);
    }

    #[test]
    fn corrupt_or_mismatched_files_are_rebuilt_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec();
        load_or_sign(Some(dir.path()), &s, 10, &ProgressBar::hidden());
        let path = dir.path().join(file_name(&key(&s), MIN_CACHED));
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let again = load_or_sign(Some(dir.path()), &s, 10, &ProgressBar::hidden());
        assert!(!again.hit);
        assert!(again.notes.iter().any(|n| n.contains("checksum")), "{:?}", again.notes);
        assert!(load_or_sign(Some(dir.path()), &s, 10, &ProgressBar::hidden()).hit, "rewritten");

        // A valid file under another spec's name (renamed by hand) is refused by its key.
        let mut other = s.clone();
        other.workload.memo_bytes = 5;
        let other_path = dir.path().join(file_name(&key(&other), MIN_CACHED));
        std::fs::copy(&path, &other_path).unwrap();
        let out = load_or_sign(Some(dir.path()), &other, 10, &ProgressBar::hidden());
        assert!(out.notes.iter().any(|n| n.contains("key mismatch")), "{:?}", out.notes);
        assert_eq!(out.set.txs[0].memo.len(), 5);
        std::fs::write(&other_path, b"garbage").unwrap();
        let out = load_or_sign(Some(dir.path()), &other, 10, &ProgressBar::hidden());
        assert!(!out.hit && out.notes.iter().any(|n| n.contains("magic")), "{:?}", out.notes);
    }
}
