//! `decode::<Transaction>` on arbitrary bytes: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use hsbench_engine::types::Transaction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(tx) = hsbench_fuzz::round_trip::<Transaction>(data) {
        assert_eq!(tx.encoded_len(), data.len(), "encoded_len disagrees with the encoding");
        let _ = (tx.hash(), tx.total_cost(), tx.signing_message());
    }
});
