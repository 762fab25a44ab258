//! `network::client::read_client_message` on arbitrary bytes (what a load client, or anyone who reaches a
//! validator's client port, sends): never panics; a message it accepts re-encodes to exactly the bytes it read.
#![no_main]

use hsbench_engine::network::client::{read_client_message, write_client_message};
use libfuzzer_sys::fuzz_target;

/// The limit the fuzzer can reach (the port uses the codec's 16 MiB).
const MAX: usize = 1 << 16;

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    if let Ok(message) = read_client_message(&mut input, MAX) {
        let used = data.len() - input.len();
        let mut again = Vec::new();
        write_client_message(&mut again, &message).expect("writing to a Vec cannot fail");
        assert_eq!(again, data[..used], "a client message that does not re-encode to its bytes");
    }
});
