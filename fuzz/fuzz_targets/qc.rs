//! `decode::<QuorumCertificate>` on arbitrary bytes: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use hsbench_engine::types::QuorumCertificate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(qc) = hsbench_fuzz::round_trip::<QuorumCertificate>(data) {
        let _ = (qc.is_epoch_start(), qc.rank(), qc.signers.count());
    }
});
