//! `decode::<Vote>` on arbitrary bytes: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use hsbench_engine::types::Vote;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hsbench_fuzz::round_trip::<Vote>(data);
});
