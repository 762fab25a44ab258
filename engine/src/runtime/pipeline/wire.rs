//! The node under test's peers over the real network: the other validators in other processes, reached through a
//! [`Network`] (authenticated, encrypted TCP). Two threads bridge it to the pipeline: `wire-out` queues the node
//! stage's outgoing messages on the network (encoding them once per broadcast), `wire-in` hands received consensus
//! and sync messages to the node stage's system queue, a batch at a time, and peers' transaction gossip to the
//! sigverify stage (like clients' transactions: verified in batches there, not on the node thread) — dropped and
//! counted when sigverify's queue is full, the one input that may be dropped under pressure. Their CPU time is the network stage's cost, charged to
//! [`StageKind::Network`](super::StageKind) with the network's own reader and writer threads.

use super::error::PipelineError;
use super::messages::{Envelope, SystemInput};
use super::metrics::{HelperClock, LaneClocks, StageClock};
use super::queue::{BatchSender, batches_of};
use super::stage::STOP_POLL;
use super::threads::{Warnings, pin_to_core, warn};
use crate::byzantine::{Adversary, Byzantine};
use crate::network::{Inbound, Me, Network, SendError, ThreadHook};
use crate::protocol::{PeerSanction, Sanction, TxSource};
use crate::runtime::{ChainConfig, ChainSetup};
use crate::types::{Message, Transaction, ValidatorId};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Who validator `me` is on the network: its keys and every validator's identity key, from the one chain setup.
pub(crate) fn network_identity(setup: &ChainSetup, chain: &ChainConfig, me: ValidatorId) -> Result<Me, PipelineError> {
    let keys = setup
        .keys
        .get(usize::from(me))
        .cloned()
        .ok_or_else(|| PipelineError::Config(format!("validator {me} has no keys")))?;
    let validators = setup.keys.iter().enumerate().map(|(i, k)| (i as ValidatorId, k.public().ed25519));
    Ok(Me { id: me, keys, chain_id: chain.chain_id, validators: Arc::new(validators.collect()) })
}

/// The hook every network thread runs first: pinned to `cores` round robin (a failed pin is a warning) and its CPU
/// clock registered in `clocks`, so the network's threads are charged to the stage that owns them.
pub(crate) fn network_thread_hook(cores: &[usize], clocks: &Arc<LaneClocks>, warnings: &Warnings) -> ThreadHook {
    let (clocks, cores, warnings) = (clocks.clone(), cores.to_vec(), warnings.clone());
    let next = AtomicU64::new(0);
    ThreadHook(Some(Arc::new(move || {
        if !cores.is_empty() {
            let k = next.fetch_add(1, Relaxed) as usize % cores.len();
            if let Err(w) = pin_to_core(cores[k]) {
                warn(&warnings, format!("network thread: {w}"));
            }
        }
        clocks.register_current();
    })))
}

/// Batches of peers' messages the node stage's system queue may hold before `wire-in` waits for it.
pub(crate) const MAX_SYSTEM_BATCHES: usize = 64;

/// Waits while the node stage's system queue holds [`MAX_SYSTEM_BATCHES`] or more batches (or until `stop`),
/// counting the wait as a stall of the network stage; returns how long it waited.
fn wait_while_behind(to_node: &Sender<Vec<SystemInput>>, clock: &StageClock, stop: &AtomicBool) -> Duration {
    if to_node.len() < MAX_SYSTEM_BATCHES {
        return Duration::ZERO;
    }
    let start = Instant::now();
    while to_node.len() >= MAX_SYSTEM_BATCHES && !stop.load(Relaxed) {
        std::thread::sleep(Duration::from_micros(200));
    }
    let waited = start.elapsed();
    clock.metrics().stalls.fetch_add(1, Relaxed);
    clock.metrics().stall_ns.fetch_add(waited.as_nanos() as u64, Relaxed);
    waited
}

/// Messages the network refused to queue, by why (the node stage's sends are fire-and-forget, as on any network:
/// a refused one is counted, and consensus recovers it by timeout and sync).
#[derive(Debug, Default)]
pub(crate) struct WireCounters {
    /// Sends to a peer whose consensus/sync queue was full (its connection was closed; it catches up by sync).
    pub overloaded: AtomicU64,
    /// Sends to an id that is not a peer.
    pub unknown_peer: AtomicU64,
    /// Gossiped transactions dropped because the sigverify stage's queue was full.
    pub gossip_dropped: AtomicU64,
}

/// Queues every outgoing envelope on the network until the node stage's link closes or `stop` is set; a byzantine
/// validator's `adversary` rewrites each message per peer first. Bars the peers the node convicted as they come.
pub(crate) fn run_outbound(
    me: ValidatorId,
    network: Arc<Network>,
    (from_node, sanctions): (Receiver<Vec<Envelope>>, Receiver<Vec<PeerSanction>>),
    (mut clock, mut threads): (StageClock, HelperClock),
    mut adversary: Option<(Byzantine, Adversary)>,
    counters: Arc<WireCounters>,
    stop: Arc<AtomicBool>,
) {
    let peers = network.peers();
    while !stop.load(Relaxed) {
        // The network's own threads (readers, writers, handshakes) are charged to the stage as they run.
        threads.charge();
        for PeerSanction { peer, reason, kind, span } in sanctions.try_iter().flatten() {
            // The node sanctions only ids it heard from, which are peers; an unknown id has nothing to sanction.
            let _ = match kind {
                Sanction::Bar => network.bar(peer, span, reason),
                Sanction::Throttle => network.throttle(peer, span, reason),
            };
        }
        let batch = match from_node.recv_timeout(STOP_POLL) {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        clock.idle();
        clock.metrics().took(batch.len());
        let sent = batch.len();
        for e in batch {
            let refused = match (&mut adversary, e.to) {
                (None, None) => network.broadcast(&e.message),
                (None, Some(to)) => network.send(to, &e.message).err().into_iter().collect(),
                (Some((behaviour, adversary)), to) => {
                    let targets = to.map_or_else(|| peers.clone(), |t| vec![t]);
                    let mut refused = Vec::new();
                    for t in targets {
                        for m in adversary.outgoing(*behaviour, me, usize::from(t), e.message.clone()) {
                            refused.extend(network.send(t, &m).err());
                        }
                    }
                    refused
                }
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

/// Offers a peer's gossiped transactions to sigverify's queue in batches of at most `batch` (a full queue drops
/// the rest, counted); false when the queue is closed.
fn gossip_to_sigverify(
    txs: Vec<Transaction>,
    from: ValidatorId,
    batch: usize,
    to_sigverify: &BatchSender<(Transaction, TxSource)>,
    clock: &StageClock,
    counters: &WireCounters,
) -> bool {
    let tagged = txs.into_iter().map(|tx| (tx, TxSource::Peer(from))).collect();
    let mut chunks = batches_of(tagged, batch);
    while let Some(chunk) = chunks.next() {
        match to_sigverify.try_send(chunk) {
            Ok(Ok(())) => clock.metrics().gave(1),
            Ok(Err(dropped)) => {
                let left = dropped.len() + chunks.map(|c| c.len()).sum::<usize>();
                counters.gossip_dropped.fetch_add(left as u64, Relaxed);
                return true;
            }
            Err(_) => return false,
        }
    }
    true
}

/// Hands every received message to the node stage (as many as are waiting, in one batch) until the network's inbox
/// closes or `stop` is set.
pub(crate) fn run_inbound(
    me: ValidatorId,
    inbox: Receiver<Inbound>,
    (to_node, to_sigverify): (Sender<Vec<SystemInput>>, BatchSender<(Transaction, TxSource)>),
    gossip_batch: usize,
    mut clock: StageClock,
    counters: Arc<WireCounters>,
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
        let received: Vec<Inbound> = std::iter::once(first).chain(inbox.try_iter().take(1023)).collect();
        clock.metrics().took(received.len());
        let mut batch = Vec::with_capacity(received.len() + 1);
        let mut held = Vec::with_capacity(received.len());
        for Inbound { from, message, held: bytes } in received {
            match message {
                Message::TxGossip(txs) => {
                    // In batches of at most `gossip_batch` transactions, so sigverify's queue (bounded in batches)
                    // is bounded in bytes too, however large the frame; the frame's bytes are let go here.
                    if !gossip_to_sigverify(txs, from, gossip_batch, &to_sigverify, &clock, &counters) {
                        return;
                    }
                }
                message => {
                    batch.push(SystemInput::Network(Envelope { at: now, from, to: Some(me), message }));
                    held.push(bytes);
                }
            }
        }
        clock.metrics().gave(batch.len());
        if !held.is_empty() {
            batch.push(SystemInput::Release(held));
        }
        // The node stage's system queue is unbounded (it closes cycles), so the bound on what peers can make it
        // hold is here: while it is this far behind, wait — the inbox fills, the readers pause, TCP slows the
        // peers (a stall of the network stage, counted).
        let stalled = wait_while_behind(&to_node, &clock, &stop);
        if !batch.is_empty() && to_node.send(batch).is_err() {
            break;
        }
        clock.busy(stalled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::pipeline::metrics::StageMetrics;

    /// The network's repeat window stays below the shortest interval at which an honest node repeats a message
    /// byte for byte — a sync request retried after `SYNC_RETRY` — so the filter never withholds an honest retry.
    /// Checked here, where the runtime puts the two together: the network may not know consensus.
    #[test]
    fn the_repeat_window_is_shorter_than_the_sync_retry() {
        assert!(crate::network::REPEAT_WINDOW < crate::bft::SYNC_RETRY);
    }

    /// `wire-in` stops feeding the node stage while its system queue is [`MAX_SYSTEM_BATCHES`] behind, resumes once
    /// the node stage took one, and counts the wait as a stall.
    #[test]
    fn wire_in_waits_while_the_node_stage_is_far_behind_and_counts_the_stall() {
        let (tx, rx) = crossbeam_channel::unbounded::<Vec<SystemInput>>();
        let clock = StageClock::new(Arc::new(StageMetrics::default()));
        let stop = AtomicBool::new(false);
        assert_eq!(wait_while_behind(&tx, &clock, &stop), Duration::ZERO, "an empty queue: no wait");
        for _ in 0..MAX_SYSTEM_BATCHES {
            tx.send(Vec::new()).expect("open");
        }
        let waited = std::thread::scope(|scope| {
            let waiter = scope.spawn(|| wait_while_behind(&tx, &clock, &stop));
            std::thread::sleep(Duration::from_millis(100));
            assert!(!waiter.is_finished(), "wire-in went on with the node stage {MAX_SYSTEM_BATCHES} batches behind");
            rx.recv().expect("the node stage takes one");
            waiter.join().expect("waiter")
        });
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
        let c = clock.metrics().counters();
        assert_eq!(c.stalls, 1);
        assert!(c.stall_ns >= 50_000_000, "{}", c.stall_ns);
    }

    /// The bytes of the peers' consensus messages stay on their accounts until the node stage takes the batch up
    /// (they travel with it and are given back when it is dropped); a gossip frame's go back once its transactions
    /// are in sigverify's queue, in batches of at most the pipeline's batch size — so that queue, bounded in
    /// batches, is bounded in bytes too.
    #[test]
    fn peers_bytes_are_held_until_the_node_stage_takes_them_up_and_gossip_is_split_into_batches() {
        use crate::network::{HeldAccount, Inbound};
        let key = crate::crypto::ed25519_signing_key_from_seed([4; 32]);
        let txs: Vec<Transaction> = (0..10).map(|i| Transaction::signed(&key, 1, [2; 32], 1, 1, i, vec![])).collect();
        let account = Arc::new(HeldAccount::default());
        let hold = |bytes| account.take(bytes, usize::MAX, Duration::from_millis(1), || false).expect("no bound");
        let (inbox_tx, inbox) = crossbeam_channel::unbounded();
        for (message, bytes) in [
            (Message::SyncRequest { from_height: 1 }, 100),
            (Message::TxGossip(txs.clone()), 5_000),
            (Message::SyncRequest { from_height: 2 }, 200),
        ] {
            inbox_tx.send(Inbound { from: 3, message, held: hold(bytes) }).expect("open");
        }
        drop(inbox_tx);
        let (to_node, system) = crossbeam_channel::unbounded();
        let (to_sigverify, verify) = super::super::queue::batch_queue(64, Arc::new(StageMetrics::default()));
        let clock = StageClock::new(Arc::new(StageMetrics::default()));
        let counters = Arc::new(WireCounters::default());
        run_inbound(0, inbox, (to_node, to_sigverify), 4, clock, counters, Arc::new(AtomicBool::new(false)));
        let sizes: Vec<usize> = verify.try_iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![4, 4, 2], "gossip in batches of at most 4");
        assert_eq!(account.now(), 300, "the gossip frame's bytes are back, the consensus messages' are not");
        let batch = system.recv().expect("one batch for the node stage");
        assert_eq!(batch.len(), 3, "two messages and their release");
        assert_eq!(
            super::super::messages::input_count(&batch),
            2,
            "the node stage counts the two messages as its inputs"
        );
        drop(batch);
        assert_eq!(account.now(), 0, "taken up: every byte back");
    }
}
