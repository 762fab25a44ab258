//! `decode::<SyncEntry>` on arbitrary bytes: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use hsbench_engine::types::SyncEntry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(entry) = hsbench_fuzz::round_trip::<SyncEntry>(data) {
        let _ = entry.block.body_matches_header();
    }
});
