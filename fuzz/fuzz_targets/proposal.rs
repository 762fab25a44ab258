//! `decode::<Proposal>` on arbitrary bytes: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use hsbench_engine::types::Proposal;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(proposal) = hsbench_fuzz::round_trip::<Proposal>(data) {
        let _ = proposal.block.hash();
    }
});
