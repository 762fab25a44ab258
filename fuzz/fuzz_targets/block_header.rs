//! `decode::<BlockHeader>` on arbitrary bytes: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use hsbench_engine::types::BlockHeader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(header) = hsbench_fuzz::round_trip::<BlockHeader>(data) {
        let _ = (header.hash(), header.parent_qc.is_epoch_start());
    }
});
