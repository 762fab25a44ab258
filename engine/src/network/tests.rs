//! Loopback tests of the authenticated connection: validators that prove their keys talk, and every other peer —
//! unknown, wrong key, ourselves, the wrong validator, garbage, silence, tampering — is refused with its reason.

use super::*;
use crate::crypto::ValidatorKeyPair;
use crate::types::{Message, Transaction, ValidatorId};
use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

const CHAIN: u32 = 7;
const MAX_PAYLOAD: usize = 4 << 20;

/// Keys of validators 0..n and the registry of their Ed25519 keys.
fn validators(n: u8) -> (Vec<ValidatorKeyPair>, HashMap<ValidatorId, [u8; 32]>) {
    let keys: Vec<ValidatorKeyPair> = (0..n).map(|i| ValidatorKeyPair::from_seed([i + 1; 32])).collect();
    let registry = keys.iter().enumerate().map(|(i, k)| (i as ValidatorId, k.public().ed25519)).collect();
    (keys, registry)
}

fn identity<'a>(
    id: ValidatorId,
    keys: &'a ValidatorKeyPair,
    validators: &'a HashMap<ValidatorId, [u8; 32]>,
) -> Identity<'a> {
    Identity {
        id,
        keys,
        chain_id: CHAIN,
        validators,
        handshake_timeout: Duration::from_secs(2),
        max_payload: MAX_PAYLOAD,
    }
}

/// A listener on a free loopback port and its address.
fn listener() -> (TcpListener, std::net::SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("local address");
    (l, addr)
}

/// Validator `server` accepts one connection on a thread; validator `client` (signing with `client_keys`) dials it
/// expecting `expect`. Returns both sides' results.
fn handshake(
    server: ValidatorId,
    client: ValidatorId,
    client_keys: &ValidatorKeyPair,
    expect: ValidatorId,
) -> (Result<SecureStream, HandshakeError>, Result<SecureStream, HandshakeError>) {
    let (l, addr) = listener();
    let accepted = thread::spawn(move || {
        let (keys, registry) = validators(4);
        let (stream, _) = l.accept().expect("accept");
        SecureStream::accept(stream, &identity(server, &keys[usize::from(server)], &registry))
    });
    let (_, registry) = validators(4);
    let stream = TcpStream::connect(addr).expect("connect");
    let dialled = SecureStream::connect(stream, &identity(client, client_keys, &registry), expect);
    (dialled, accepted.join().expect("server thread"))
}

fn gossip(n: usize) -> Message {
    let key = crate::crypto::ed25519_signing_key_from_seed([9; 32]);
    Message::TxGossip((0..n as u64).map(|i| Transaction::signed(&key, CHAIN, [3; 32], 1, 1, i, vec![0; 100])).collect())
}

#[test]
fn two_validators_that_prove_their_keys_exchange_frames_of_every_size() {
    let (keys, _) = validators(4);
    let (dialled, accepted) = handshake(1, 2, &keys[2], 1);
    let (mut a, mut b) = (dialled.expect("client handshake"), accepted.expect("server handshake"));
    assert_eq!((a.peer(), b.peer()), (1, 2));
    // A frame bigger than one Noise message (about 1,100 transfers of ~230 bytes) is cut and put back together.
    let big = gossip(1100);
    let small = Message::SyncRequest { from_height: 42 };
    assert!(encode_frame(&big).len() > MAX_PLAINTEXT);
    for m in [&small, &big, &small] {
        a.send(&encode_frame(m)).expect("send");
    }
    for m in [&small, &big, &small] {
        assert_eq!(&b.recv().expect("receive"), m);
    }
    b.send(&encode_frame(&small)).expect("reply");
    assert_eq!(a.recv().expect("reply arrives"), small);
    drop(a);
    assert!(matches!(b.recv(), Err(RecvError::Closed)), "a clean close between frames is Closed");
}

#[test]
fn a_peer_that_cannot_prove_its_claim_is_refused() {
    let (keys, _) = validators(4);
    let stranger = ValidatorKeyPair::from_seed([99; 32]);
    // Claims validator 2 but signs with a key that is not 2's.
    let (_, accepted) = handshake(1, 2, &stranger, 1);
    assert!(matches!(accepted, Err(HandshakeError::BadProof(2))), "{:?}", accepted.err());
    // Claims an id outside the set.
    let (_, accepted) = handshake(1, 9, &keys[2], 1);
    assert!(matches!(accepted, Err(HandshakeError::UnknownValidator(9))), "{:?}", accepted.err());
    // Validator 1 dials itself: it sees its own proof come back and hangs up; the other end sees the hang-up.
    let (dialled, accepted) = handshake(1, 1, &keys[1], 1);
    assert!(matches!(dialled, Err(HandshakeError::SelfConnection(1))), "{:?}", dialled.err());
    assert!(accepted.is_err());
    // We dialled validator 3; validator 1 answered.
    let (dialled, _) = handshake(1, 2, &keys[2], 3);
    assert!(matches!(dialled, Err(HandshakeError::UnexpectedPeer { expected: 3, got: 1 })), "{:?}", dialled.err());
}

#[test]
fn garbage_and_silence_end_the_handshake_with_an_error() {
    let (keys, registry) = validators(2);
    let (l, addr) = listener();
    let server = thread::spawn(move || {
        let mut results = Vec::new();
        for _ in 0..2 {
            let (stream, _) = l.accept().expect("accept");
            results.push(SecureStream::accept(stream, &identity(0, &keys[0], &registry)).err().map(|e| e.to_string()));
        }
        results
    });
    let mut garbage = TcpStream::connect(addr).expect("connect");
    garbage.write_all(&[0, 5, 1, 2, 3, 4, 5, 0, 0]).expect("write garbage");
    let silent = TcpStream::connect(addr).expect("connect"); // says nothing: the 2 s handshake timeout ends it
    let results = server.join().expect("server thread");
    drop((garbage, silent));
    assert!(results.iter().all(Option::is_some), "both refused: {results:?}");
}

#[test]
fn a_tampered_transport_message_is_refused() {
    let (keys, registry) = validators(2);
    let (l, addr) = listener();
    let server = thread::spawn(move || {
        let (stream, _) = l.accept().expect("accept");
        let mut s = SecureStream::accept(stream, &identity(0, &keys[0], &registry)).expect("handshake");
        s.recv().map(|_| ()).map_err(|e| e.to_string())
    });
    let (keys, registry) = validators(2);
    let stream = TcpStream::connect(addr).expect("connect");
    let mut raw = stream.try_clone().expect("second handle");
    let _client = SecureStream::connect(stream, &identity(1, &keys[1], &registry), 0).expect("handshake");
    // A transport message of the right shape whose ciphertext is not the session's.
    raw.write_all(&[0, 32]).and_then(|_| raw.write_all(&[0xab; 32])).expect("write");
    let refused = server.join().expect("server thread");
    assert!(refused.as_ref().is_err_and(|e| e.contains("noise")), "{refused:?}");
}
