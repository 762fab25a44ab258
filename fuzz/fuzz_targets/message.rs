//! `decode::<Message>` on arbitrary bytes — every network message type (proposal, vote, timeout, transaction
//! gossip, sync request, sync response): never panics; what decodes re-encodes to the same bytes.
#![no_main]

use hsbench_engine::types::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(message) = hsbench_fuzz::round_trip::<Message>(data) {
        let _ = message.kind();
        match &message {
            Message::TxGossip(txs) => {
                // Each transaction's size accounting matches its share of the encoding.
                let body: usize = txs.iter().map(|tx| tx.encoded_len() - 1).sum();
                assert_eq!(1 + 1 + 4 + body, data.len(), "encoded_len disagrees with the gossip encoding");
            }
            Message::SyncResponse(entries) => {
                for entry in entries {
                    let _ = entry.block.body_matches_header();
                }
            }
            _ => {}
        }
    }
});
