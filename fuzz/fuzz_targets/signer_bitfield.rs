//! `decode::<SignerBitfield>` on arbitrary bytes: never panics; what decodes re-encodes to the same bytes.
#![no_main]

use hsbench_engine::types::SignerBitfield;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(bits) = hsbench_fuzz::round_trip::<SignerBitfield>(data) {
        let positions: Vec<usize> = bits.positions().collect();
        assert_eq!(positions.len(), bits.count(), "a set bit lies past len");
        assert!(positions.iter().all(|&p| p < bits.len() && bits.get(p)));
        assert!(!bits.get(bits.len()));
    }
});
