//! The node under test's peers over the real network: the other validators in other processes, reached through a
//! [`Network`] (authenticated, encrypted TCP). Two threads bridge it to the pipeline: `wire-out` queues the node
//! stage's outgoing messages on the network (encoding them once per broadcast), `wire-in` hands received messages
//! to the node stage's system queue, a batch at a time. Their CPU time is the network stage's cost, charged to
//! [`StageKind::Network`](super::StageKind) with the network's own reader and writer threads.

use super::messages::{Envelope, SystemInput};
use super::metrics::{HelperClock, StageClock};
use super::stage::STOP_POLL;
use crate::network::{Network, SendError};
use crate::types::{Message, ValidatorId};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// Messages the network refused to queue, by why (the node stage's sends are fire-and-forget, as on any network:
/// a refused one is counted, and consensus recovers it by timeout and sync).
#[derive(Debug, Default)]
pub(crate) struct WireCounters {
    /// Sends to a peer whose consensus/sync queue was full (its connection was closed; it catches up by sync).
    pub overloaded: AtomicU64,
    /// Sends to an id that is not a peer.
    pub unknown_peer: AtomicU64,
}

/// Queues every outgoing envelope on the network until the node stage's link closes or `stop` is set.
pub(crate) fn run_outbound(
    network: Arc<Network>,
    from_node: Receiver<Vec<Envelope>>,
    mut clock: StageClock,
    mut threads: HelperClock,
    counters: Arc<WireCounters>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Relaxed) {
        // The network's own threads (readers, writers, handshakes) are charged to the stage as they run.
        threads.charge();
        let batch = match from_node.recv_timeout(STOP_POLL) {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        clock.idle();
        clock.metrics().took(batch.len());
        let sent = batch.len();
        for e in batch {
            let refused = match e.to {
                None => network.broadcast(&e.message),
                Some(to) => network.send(to, &e.message).err().into_iter().collect(),
            };
            for r in refused {
                match r {
                    SendError::Overloaded { .. } => counters.overloaded.fetch_add(1, Relaxed),
                    SendError::UnknownPeer(_) => counters.unknown_peer.fetch_add(1, Relaxed),
                };
            }
        }
        clock.metrics().gave(sent);
        clock.busy(std::time::Duration::ZERO);
    }
}

/// Hands every received message to the node stage (as many as are waiting, in one batch) until the network's inbox
/// closes or `stop` is set.
pub(crate) fn run_inbound(
    me: ValidatorId,
    inbox: Receiver<(ValidatorId, Message)>,
    to_node: Sender<Vec<SystemInput>>,
    mut clock: StageClock,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Relaxed) {
        let first = match inbox.recv_timeout(STOP_POLL) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        clock.idle();
        let now = Instant::now();
        let envelope = |(from, message)| SystemInput::Network(Envelope { at: now, from, to: Some(me), message });
        let mut batch = vec![envelope(first)];
        batch.extend(inbox.try_iter().take(1023).map(envelope));
        clock.metrics().took(batch.len());
        clock.metrics().gave(batch.len());
        if to_node.send(batch).is_err() {
            break;
        }
        clock.busy(std::time::Duration::ZERO);
    }
}
