//! The account state of [`super::RedbStorage`] as a checkpoint plus a log of per-block changes.
//!
//! Writing each block's changed accounts into one B-tree keyed by account id rewrote a leaf page per changed
//! account (redb is copy-on-write, and ids are uniformly spread), and the node stage's safety saves waited behind
//! it on the storage lock. `redb_commit_latency` with 600 changed accounts of 16,384 per block, the old layout and
//! this one interleaved (Zen 4, ext4, three pairs): a commit took 2.2–2.7 ms (p50) before, 0.37–0.47 ms with the
//! log; the one fold in 200 blocks took 20–26 ms, and recovery replays up to the whole log (10 ms against 1.6 ms at
//! 16,384 accounts). In node mode at 20,000 tx/s with redb the storage stage's CPU per transaction fell from
//! 3.4–3.7 µs to 1.3–1.6 µs (two interleaved pairs). (An earlier, non-interleaved measurement gave 5.9 ms against
//! 3.0 ms: this VM's disk latency drifts between minutes; only interleaved pairs count.) So a commit appends one
//! record — the block's
//! changed accounts, at its height — to `account_deltas`, and only when the log holds [`FOLD_ENTRIES`] entries
//! does a commit fold it into the `accounts` checkpoint: every logged change applied in height order, each
//! account written once, in id order, and the log emptied, all in that commit's write transaction. Recovery
//! reads the checkpoint and replays the log on top, so it sees exactly what the one-table layout saw.

use super::StorageError;
use crate::types::codec::{DecodeError, Reader, Writer};
use crate::types::{Account, AccountId, Height, KeyedMap};

/// Log entries (changed accounts, summed over the logged blocks) that trigger a fold into the checkpoint: ~3 MiB
/// of log, so a recovery replays at most that much and the fold's one sorted pass over the checkpoint is paid
/// once per ~65k changes instead of once per block.
pub(super) const FOLD_ENTRIES: u64 = 1 << 16;

/// Bytes of one encoded change: account id and the account without version byte.
const ENTRY_BYTES: usize = 32 + 16;

/// One block's changed accounts as a log record: a u32 count, then id and account (balance, nonce) per change.
pub(super) fn encode_changes(changes: &[(AccountId, Account)]) -> Vec<u8> {
    let mut w = Writer::with_capacity(4 + changes.len() * ENTRY_BYTES);
    w.u32(u32::try_from(changes.len()).unwrap_or(u32::MAX));
    for (id, account) in changes {
        w.fixed(id).put(account);
    }
    w.finish()
}

/// Reads a record written by [`encode_changes`], rejecting a count the bytes cannot hold and trailing bytes.
pub(super) fn decode_changes(bytes: &[u8]) -> Result<Vec<(AccountId, Account)>, DecodeError> {
    let mut r = Reader::new(bytes);
    let n = r.len("account changes", bytes.len() / ENTRY_BYTES)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push((r.array()?, r.get()?));
    }
    r.finish()?;
    Ok(out)
}

/// Number of changes a record holds, from its count alone (opening a store sums these to know how full the log
/// is); an undecodable record is a [`StorageError::Corrupt`].
pub(super) fn change_count(height: Height, bytes: &[u8]) -> Result<u64, StorageError> {
    let mut r = Reader::new(bytes);
    r.u32().map(u64::from).map_err(|e| StorageError::decode("account changes", format_args!("height {height}"), e))
}

/// Applies logged records, given as (height, record) in increasing height order, on top of `accounts`. The
/// heights must be exactly `after + 1 ..= until` (every commit logs a record, empty or not): a gap, a record past
/// the committed height or an undecodable record is [`StorageError::Corrupt`].
pub(super) fn replay(
    accounts: &mut KeyedMap<AccountId, Account>,
    records: impl IntoIterator<Item = Result<(Height, Vec<u8>), StorageError>>,
    after: Height,
    until: Height,
) -> Result<(), StorageError> {
    let mut expected = after + 1;
    for record in records {
        let (height, bytes) = record?;
        if height != expected || height > until {
            return Err(StorageError::corrupt(
                "account changes",
                format!("record at height {height}, expected {expected} (checkpoint at {after}, committed {until})"),
            ));
        }
        let changes = decode_changes(&bytes)
            .map_err(|e| StorageError::decode("account changes", format_args!("height {height}"), e))?;
        for (id, account) in changes {
            accounts.insert(id, account);
        }
        expected += 1;
    }
    if expected != until + 1 {
        return Err(StorageError::corrupt(
            "account changes",
            format!("log ends at height {}, committed height is {until} (checkpoint at {after})", expected - 1),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(i: u8, balance: u64) -> (AccountId, Account) {
        ([i; 32], Account { balance, nonce: u64::from(i) })
    }

    fn records(list: &[(Height, &[(AccountId, Account)])]) -> Vec<Result<(Height, Vec<u8>), StorageError>> {
        list.iter().map(|(h, c)| Ok((*h, encode_changes(c)))).collect()
    }

    #[test]
    fn a_record_round_trips_and_bad_bytes_are_refused() {
        let changes = vec![change(1, 10), change(2, 20)];
        let bytes = encode_changes(&changes);
        assert_eq!(bytes.len(), 4 + 2 * ENTRY_BYTES);
        assert_eq!(decode_changes(&bytes).unwrap(), changes);
        assert_eq!(change_count(5, &bytes).unwrap(), 2);
        assert!(decode_changes(&encode_changes(&[])).unwrap().is_empty());
        assert!(decode_changes(&bytes[..bytes.len() - 1]).is_err(), "truncated");
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode_changes(&extra).is_err(), "trailing byte");
        let mut lying = bytes;
        lying[..4].copy_from_slice(&1000u32.to_le_bytes());
        assert!(decode_changes(&lying).is_err(), "count larger than the bytes hold");
        assert!(change_count(5, &[1, 2]).is_err());
    }

    #[test]
    fn replay_applies_in_height_order_and_refuses_gaps() {
        let mut accounts = KeyedMap::from_iter([change(1, 1), change(9, 9)]);
        let log = records(&[(4, &[change(1, 40), change(2, 41)]), (5, &[]), (6, &[change(1, 60)])]);
        replay(&mut accounts, log, 3, 6).unwrap();
        assert_eq!(accounts, KeyedMap::from_iter([change(1, 60), change(2, 41), change(9, 9)]));

        let gap = records(&[(4, &[]), (6, &[])]);
        assert!(matches!(replay(&mut KeyedMap::default(), gap, 3, 6), Err(StorageError::Corrupt { .. })));
        let short = records(&[(4, &[])]);
        assert!(matches!(replay(&mut KeyedMap::default(), short, 3, 6), Err(StorageError::Corrupt { .. })));
        let past = records(&[(4, &[]), (5, &[])]);
        assert!(matches!(replay(&mut KeyedMap::default(), past, 3, 4), Err(StorageError::Corrupt { .. })));
        let garbage = vec![Ok((4, vec![7u8; 3]))];
        assert!(matches!(replay(&mut KeyedMap::default(), garbage, 3, 4), Err(StorageError::Corrupt { .. })));
        replay(&mut KeyedMap::default(), Vec::new(), 6, 6).unwrap();
    }
}
