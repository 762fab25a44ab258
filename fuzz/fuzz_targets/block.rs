//! `decode::<Block>` on arbitrary bytes: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use hsbench_engine::types::Block;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(block) = hsbench_fuzz::round_trip::<Block>(data) {
        let _ = (block.hash(), block.body_matches_header());
    }
});
