//! The Noise XX handshake with identity proofs (`network::SecureStream`), fed arbitrary bytes by the other side of
//! a loopback connection: the first input byte picks the side under test (even: we answer, as `accept`; odd: we
//! dial, as `connect`), the rest is everything the peer sends before it closes. Never panics, never hangs past
//! the handshake timeout, and never lets a peer in: random bytes cannot prove a validator key.
#![no_main]

use hsbench_engine::crypto::ValidatorKeyPair;
use hsbench_engine::network::{Identity, SecureStream};
use hsbench_engine::types::ValidatorId;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

struct Fixture {
    listener: TcpListener,
    keys: ValidatorKeyPair,
    validators: HashMap<ValidatorId, [u8; 32]>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let all: Vec<ValidatorKeyPair> = (0..4u8).map(|i| ValidatorKeyPair::from_seed([i + 1; 32])).collect();
        let validators = all.iter().enumerate().map(|(i, k)| (i as ValidatorId, k.public().ed25519)).collect();
        Fixture {
            listener: TcpListener::bind("127.0.0.1:0").expect("bind loopback"),
            keys: ValidatorKeyPair::from_seed([2; 32]),
            validators,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&side, peer_bytes)) = data.split_first() else { return };
    let f = fixture();
    let me = Identity {
        id: 1,
        keys: &f.keys,
        chain_id: 7,
        validators: &f.validators,
        handshake_timeout: Duration::from_millis(100),
        max_payload: 1 << 16,
        frame_deadline: Duration::from_millis(100),
    };
    let addr = f.listener.local_addr().expect("address");
    let Ok(peer_end) = TcpStream::connect(addr) else { return };
    let Ok((our_end, _)) = f.listener.accept() else { return };
    // The peer says everything at once and closes its sending side; our side reads what it needs and fails.
    let mut peer = peer_end;
    let _ = peer.write_all(peer_bytes);
    let _ = peer.shutdown(Shutdown::Write);
    let outcome =
        if side % 2 == 0 { SecureStream::accept(our_end, &me) } else { SecureStream::connect(our_end, &me, 2) };
    assert!(outcome.is_err(), "random bytes passed the handshake");
});
