//! The client port on loopback: statuses go back only to the connection that submitted, and every malformed,
//! oversized or wrong-direction message is refused, counted and closes its connection.

use super::client::*;
use super::peers::ThreadHook;
use crate::protocol::{RejectReason, TxStatus};
use crate::types::codec;
use crate::types::{Hash, Transaction};
use proptest::prelude::*;
use std::io::{ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn txs(from: u8, n: u64) -> Vec<Transaction> {
    let key = crate::crypto::ed25519_signing_key_from_seed([from; 32]);
    (0..n).map(|i| Transaction::signed(&key, 7, [3; 32], 1, 1, i, Vec::new())).collect()
}

/// Short, so the trickling-client test is quick.
const DEADLINE: Duration = Duration::from_millis(400);

/// A port whose submissions land in the returned list (messages due within [`DEADLINE`] of their first byte, a
/// client idle for as long replaceable).
fn port() -> (ClientPort, Arc<Mutex<Vec<Transaction>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let submit: SubmitFn = Arc::new(move |txs| sink.lock().expect("sink").extend(txs));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let limits = ClientLimits { message_deadline: DEADLINE, idle: DEADLINE };
    (ClientPort::start(listener, submit, ThreadHook::default(), limits).expect("port starts"), got)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn status() -> impl Strategy<Value = TxStatus> {
    prop_oneof![
        (any::<u64>(), any::<bool>()).prop_map(|(height, success)| TxStatus::Committed { height, success }),
        (0..RejectReason::ALL.len()).prop_map(|i| TxStatus::Rejected(RejectReason::ALL[i])),
    ]
}

proptest! {
    #[test]
    fn statuses_round_trip(entries in prop::collection::vec((any::<[u8; 32]>().prop_map(Hash), status()), 0..40)) {
        let m = ClientMessage::Statuses(entries);
        prop_assert_eq!(codec::decode::<ClientMessage>(&codec::encode(&m)), Ok(m));
    }

    /// Any byte string decodes to a message or an error, never a panic.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = codec::decode::<ClientMessage>(&bytes);
    }
}

#[test]
fn submissions_arrive_and_statuses_go_back_only_to_their_submitter() {
    let (port, got) = port();
    let (mut a, mut b) =
        (TcpStream::connect(port.local_addr()).expect("a"), TcpStream::connect(port.local_addr()).expect("b"));
    let (from_a, from_b) = (txs(1, 3), txs(2, 2));
    write_client_message(&mut a, &ClientMessage::Submit(from_a.clone())).expect("a sends");
    write_client_message(&mut b, &ClientMessage::Submit(from_b.clone())).expect("b sends");
    wait_until("both batches", || got.lock().expect("sink").len() == 5);
    let committed = TxStatus::Committed { height: 4, success: true };
    let mut statuses: Vec<(Hash, TxStatus)> = from_a.iter().chain(&from_b).map(|t| (t.hash(), committed)).collect();
    statuses.push((Hash([9; 32]), committed)); // nobody's
    port.publish(statuses);
    let read = |s: &mut TcpStream| match read_client_message(s, 1 << 20).expect("statuses") {
        ClientMessage::Statuses(st) => st.into_iter().map(|(h, _)| h).collect::<Vec<_>>(),
        other => panic!("expected statuses, got {other:?}"),
    };
    assert_eq!(read(&mut a), from_a.iter().map(Transaction::hash).collect::<Vec<_>>());
    assert_eq!(read(&mut b), from_b.iter().map(Transaction::hash).collect::<Vec<_>>());
    let stats = port.stats();
    assert_eq!((stats.connections, stats.txs_in, stats.statuses_out, stats.orphan_statuses), (2, 5, 5, 1));
    port.stop();
}

#[test]
fn malformed_oversized_and_wrong_direction_messages_are_refused_and_close_the_connection() {
    let (port, got) = port();
    let statuses = ClientMessage::Statuses(vec![(Hash([1; 32]), TxStatus::Rejected(RejectReason::NonceGap))]);
    let mut wrong_direction = Vec::new();
    write_client_message(&mut wrong_direction, &statuses).expect("encode");
    let bad: Vec<Vec<u8>> = vec![
        [&5u32.to_le_bytes()[..], &[1, 0, 9, 9, 9]].concat(), // version 1, unknown message tag
        (u32::MAX).to_le_bytes().to_vec(),                    // longer than any message may be
        wrong_direction,
    ];
    for (k, bytes) in bad.iter().enumerate() {
        let mut s = TcpStream::connect(port.local_addr()).expect("connect");
        s.write_all(bytes).expect("send");
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        let mut buf = [0u8; 1];
        // The port closes the connection: the read ends (0 bytes or a reset), it does not time out.
        let closed = matches!(std::io::Read::read(&mut s, &mut buf), Ok(0) | Err(_));
        assert!(closed, "case {k}: connection left open");
        wait_until("the refusal count", || port.stats().refused_messages == k as u64 + 1);
    }
    assert!(got.lock().expect("sink").is_empty());
    port.stop();
}

/// A client that begins a message and then trickles it (here: the length and a few bytes, then silence) is cut
/// off once the message is not complete within the deadline: the connection closes, the refusal is counted, and
/// its slot among the [`MAX_CLIENTS`] is free again — a handful of such clients cannot lock every load client out.
/// A client that is merely idle between messages keeps its connection.
#[test]
fn a_client_trickling_a_message_is_cut_off_at_the_deadline_and_an_idle_one_is_kept() {
    let (port, _got) = port();
    let mut idle = TcpStream::connect(port.local_addr()).expect("connect");
    let mut slow = TcpStream::connect(port.local_addr()).expect("connect");
    slow.write_all(&[&1000u32.to_le_bytes()[..], &[1, 0]].concat()).expect("send a beginning");
    slow.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut buf = [0u8; 1];
    let read = std::io::Read::read(&mut slow, &mut buf);
    let timed_out = read.as_ref().is_err_and(|e| matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut));
    assert!(matches!(read, Ok(0) | Err(_)) && !timed_out, "the trickling client's connection was left open: {read:?}");
    wait_until("the refusal count", || port.stats().refused_messages == 1);
    // The idle client is still served.
    let mut one = Vec::new();
    write_client_message(&mut one, &ClientMessage::Submit(txs(1, 1))).expect("encode");
    idle.write_all(&one).expect("the idle connection is open");
    wait_until("the idle client's submission", || port.stats().txs_in == 1);
    port.stop();
}

/// When every slot is taken, a newcomer takes the place of the client idle longest — idle for at least the port's
/// idle time, with no transaction awaiting its fate — so idle connections cannot lock load clients out; a client
/// waiting for statuses keeps its place and hears them.
#[test]
fn a_newcomer_to_a_full_port_replaces_the_longest_idle_client_with_nothing_pending() {
    let (port, got) = port();
    let mut waiting = TcpStream::connect(port.local_addr()).expect("connect");
    let submitted = txs(1, 1);
    write_client_message(&mut waiting, &ClientMessage::Submit(submitted.clone())).expect("send");
    wait_until("the first submission", || got.lock().expect("sink").len() == 1);
    let _idle: Vec<TcpStream> =
        (1..MAX_CLIENTS).map(|_| TcpStream::connect(port.local_addr()).expect("connect")).collect();
    wait_until("every slot taken", || port.stats().connections == MAX_CLIENTS as u64);
    std::thread::sleep(DEADLINE * 2); // every client idle for longer than the port's idle time
    let mut newcomer = TcpStream::connect(port.local_addr()).expect("connect");
    write_client_message(&mut newcomer, &ClientMessage::Submit(txs(2, 1))).expect("send");
    wait_until("the newcomer's submission", || got.lock().expect("sink").len() == 2);
    let stats = port.stats();
    assert_eq!((stats.evicted_idle, stats.refused_connections), (1, 0), "{stats:?}");
    let committed = TxStatus::Committed { height: 1, success: true };
    port.publish(vec![(submitted[0].hash(), committed)]);
    match read_client_message(&mut waiting, 1 << 20).expect("statuses") {
        ClientMessage::Statuses(st) => assert_eq!(st, vec![(submitted[0].hash(), committed)]),
        other => panic!("expected statuses, got {other:?}"),
    }
    port.stop();
}
