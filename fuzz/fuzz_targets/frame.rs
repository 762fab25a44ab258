//! `network::decode_frame` on arbitrary bytes (a peer's decrypted stream): never panics; a frame it accepts lies
//! within the input, re-encodes to exactly the bytes it consumed, and every strict prefix of those bytes asks for
//! more rather than decoding or failing differently.
#![no_main]

use hsbench_engine::network::{decode_frame, encode_frame};
use libfuzzer_sys::fuzz_target;

/// The limit a connection would use, small enough that the fuzzer reaches it.
const MAX_PAYLOAD: usize = 1 << 16;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((message, used))) = decode_frame(data, MAX_PAYLOAD) {
        assert!(used <= data.len(), "consumed {used} of {} bytes", data.len());
        assert_eq!(encode_frame(&message), data[..used], "a frame that does not re-encode to its bytes");
        for cut in 0..used {
            assert_eq!(decode_frame(&data[..cut], MAX_PAYLOAD), Ok(None), "a prefix of {cut} bytes");
        }
    }
});
