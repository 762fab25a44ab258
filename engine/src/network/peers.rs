//! A validator's network: one authenticated connection per peer, kept up — the lower validator id dials the higher,
//! redialling with exponential back-off after a failure or a drop — with a bounded send queue per peer that
//! outlives its connections (frames queued while a peer is away leave once it is back), and counters per peer.
//!
//! Threads: one acceptor, one dialler per higher peer, and per live connection a writer (serving the peer's
//! queue by class) and a reader (handing each received message to the inbox). A closed inbox, [`Network::stop`] or a
//! connection error ends them; [`Network::stop`] joins every one.

use super::bounds::PeerBounds;
use super::class::Class;
use super::frame::encode_frame;
use super::held::{Held, HeldAccount};
use super::link_filter::{LinkRule, LinkRuleError, LinkShaper, Verdict};
use super::rate_limit::RateLimiter;
use super::refusal_log::RefusalLog;
use super::secure::{Identity, Received, RecvError, SecureReceiver, SecureSender, SecureStream};
use super::send_queue::{Overloaded, QueueLimits, SendQueue};
use super::thread_set::ThreadSet;
use crate::crypto::ValidatorKeyPair;
use crate::types::{Message, ValidatorId};
use crossbeam_channel::{SendTimeoutError, Sender};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How often an idle thread looks at the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// Whether a barred peer's `message` is dropped unread, and a throttled peer's past its throttled rate: everything
/// but proposals (one per round it leads, the only way it can still help the committee, never to be held up behind
/// its junk) and sync requests (bounded by the node's serving interval).
fn droppable(message: &Message) -> bool {
    !matches!(message, Message::Proposal(_) | Message::SyncRequest { .. })
}

/// A dialled connection that ends sooner than this counts as a failed dial (see `dial_loop`).
const SHORT_LIVED: Duration = Duration::from_secs(1);

/// Messages a validator's inbox holds before its readers wait (the pipeline's and the committee's inboxes).
pub const INBOX_CAPACITY: usize = 4096;

/// Inbound handshakes in progress at once (each has a thread for at most the handshake timeout), or twice the
/// peers where that is more; a connection arriving past this is refused at once and counted, so silent
/// connections cannot grow the threads without bound.
pub const MAX_HANDSHAKES: usize = 64;

/// Inbound handshakes in progress from one source address at most (or the number of peers, where that is more: on
/// loopback every validator dials from one address). One host holding silent connections open can then take only
/// its share of the [`MAX_HANDSHAKES`] places, not every one an honest peer's redial needs.
pub const MAX_HANDSHAKES_PER_SOURCE: usize = 8;

/// A message from a peer as the inbox holds it: its bytes stay on the peer's account (see [`super::held`]) until
/// `held` is dropped — with the message, or by whatever took it up once it is done with it.
#[derive(Debug)]
pub struct Inbound {
    /// The peer that sent it.
    pub from: ValidatorId,
    /// The message.
    pub message: Message,
    /// Its bytes on the peer's account.
    pub held: Held,
}

/// Who this validator is: what its connections prove.
#[derive(Clone)]
pub struct Me {
    /// Our validator id.
    pub id: ValidatorId,
    /// Our keys.
    pub keys: Arc<ValidatorKeyPair>,
    /// The chain (inside every identity proof).
    pub chain_id: u32,
    /// Every validator's Ed25519 key, by id.
    pub validators: Arc<HashMap<ValidatorId, [u8; 32]>>,
}

/// Redial delays: `first`, doubling after each failure in a row, at most `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub first: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Backoff {
    /// The wait after `failures` failures in a row (≥ 1).
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(20);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

/// How the network runs.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    /// Every other validator's address.
    pub peers: BTreeMap<ValidatorId, SocketAddr>,
    /// Each peer's send queue.
    pub limits: QueueLimits,
    /// Largest frame payload accepted.
    pub max_payload: usize,
    /// Longest a handshake (or a connect) may take.
    pub handshake_timeout: Duration,
    /// Redial delays.
    pub backoff: Backoff,
    /// Longest a frame may take to arrive once it has begun (see [`Identity::frame_deadline`]).
    pub frame_deadline: Duration,
    /// What each peer may make us hold, how fast it is read, which of its repeats are dropped
    /// ([`PeerBounds::default`] unless configured).
    pub bounds: PeerBounds,
    /// Run first on every thread the network starts (the pipeline pins them to the network stage's cores and
    /// counts their CPU time there).
    pub on_thread: ThreadHook,
}

impl NetworkConfig {
    /// The defaults a validator runs with, over these peers: [`QueueLimits::default`], frames up to the codec's
    /// length limit, 2 s handshakes, redials after 50 ms doubling to 2 s, [`PeerBounds::default`], no thread hook.
    pub fn new(peers: BTreeMap<ValidatorId, SocketAddr>) -> Self {
        NetworkConfig {
            peers,
            limits: QueueLimits::default(),
            max_payload: crate::types::codec::MAX_LEN,
            handshake_timeout: Duration::from_secs(2),
            backoff: Backoff { first: Duration::from_millis(50), max: Duration::from_secs(2) },
            frame_deadline: Duration::from_secs(10),
            bounds: PeerBounds::default(),
            on_thread: ThreadHook::default(),
        }
    }
}

/// Something every network thread runs when it starts (see [`NetworkConfig::on_thread`]).
#[derive(Clone, Default)]
pub struct ThreadHook(pub Option<Arc<dyn Fn() + Send + Sync>>);

impl std::fmt::Debug for ThreadHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "ThreadHook(set)" } else { "ThreadHook(none)" })
    }
}

/// What one peer's connection did so far (a snapshot of its counters; also what a validator process's report
/// holds, so it reads back).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PeerStats {
    /// The peer.
    pub peer: ValidatorId,
    /// Whether a connection is up now.
    pub connected: bool,
    /// Connections established (the first and every reconnection).
    pub connects: u64,
    /// Handshakes with this peer that failed (ours dialling it).
    pub handshake_failures: u64,
    /// Bytes written to and read from its sockets (Noise framing included).
    pub bytes_out: u64,
    /// See `bytes_out`.
    pub bytes_in: u64,
    /// Messages sent, by class name.
    pub messages_out: BTreeMap<String, u64>,
    /// Messages received, by class name.
    pub messages_in: BTreeMap<String, u64>,
    /// Messages dropped from its queue, by class name (only gossip is ever dropped).
    pub dropped: BTreeMap<String, u64>,
    /// Frames waiting in its queue.
    pub queued: usize,
    /// Frames from it refused (bad or oversized header, undecodable payload, wrong class, failed decryption); each
    /// closed the connection.
    pub refused_frames: u64,
    /// Frames to it dropped by the link filter (a cut link or random loss of a fault schedule), by class name.
    #[serde(default)]
    pub filtered: BTreeMap<String, u64>,
    /// Times its reader waited ([`POLL`] each) because the inbox was full: the peer sent faster than we consume.
    #[serde(default)]
    pub inbox_waits: u64,
    /// Frames from it dropped unread because they repeated, byte for byte, one it sent within the repeat window
    /// (`PeerBounds::repeat_window`), by class name.
    #[serde(default)]
    pub repeats_dropped: BTreeMap<String, u64>,
    /// Bytes of its messages received and not yet taken up by the node, now.
    #[serde(default)]
    pub held_bytes: u64,
    /// The most bytes of its messages held at once (bounded by `PeerBounds::held_bytes`, or one message).
    #[serde(default)]
    pub held_peak: u64,
    /// Times its reader waited ([`POLL`] at most each) because its messages held reached the bound.
    #[serde(default)]
    pub held_waits: u64,
    /// Times its reader waited because the peer sent faster than its rate (`PeerBounds::rate`).
    #[serde(default)]
    pub rate_waits: u64,
    /// Times the node barred it (`Network::bar`: it sent what no honest validator sends).
    #[serde(default)]
    pub bars: u64,
    /// Whether it is barred now (its votes, timeouts, gossip and sync responses dropped unread by the node).
    #[serde(default)]
    pub barred: bool,
    /// Its messages dropped because it was barred (see [`Network::bar`]).
    #[serde(default)]
    pub quarantined: u64,
    /// Times the node throttled it (`Network::throttle`: more of its messages refused in a second than an honest
    /// peer sends).
    #[serde(default)]
    pub throttles: u64,
    /// Whether it is throttled now.
    #[serde(default)]
    pub throttled: bool,
    /// Its messages dropped as read because it was throttled and they came past its throttled rate (see
    /// [`Network::throttle`]).
    #[serde(default)]
    pub throttled_drops: u64,
}

/// Why a link rule could not be put in force.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No such peer.
    #[error("validator {0} is not a peer")]
    UnknownPeer(ValidatorId),
    /// The rule's numbers are wrong.
    #[error(transparent)]
    Rule(#[from] LinkRuleError),
}

/// Why a message could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No such peer.
    #[error("validator {0} is not a peer")]
    UnknownPeer(ValidatorId),
    /// The peer's queue is full of consensus and sync frames: its connection was closed (it catches up by sync).
    #[error("validator {peer}: {source}")]
    Overloaded {
        /// The peer.
        peer: ValidatorId,
        /// The queue's refusal.
        source: Overloaded,
    },
}

#[derive(Default)]
struct Counters {
    connects: AtomicU64,
    handshake_failures: AtomicU64,
    bytes_out: AtomicU64,
    bytes_in: AtomicU64,
    out: [AtomicU64; 3],
    r#in: [AtomicU64; 3],
    refused_frames: AtomicU64,
    filtered: [AtomicU64; 3],
    inbox_waits: AtomicU64,
    repeats: [AtomicU64; 3],
    rate_waits: AtomicU64,
    bars: AtomicU64,
    quarantined: AtomicU64,
    throttles: AtomicU64,
    throttled_drops: AtomicU64,
}

/// One peer: its queue (kept across connections), its live connection's socket, its counters.
struct Peer {
    id: ValidatorId,
    queue: Mutex<SendQueue>,
    wake: Condvar,
    /// The live connection's socket and its liveness flag.
    live: Mutex<Option<(TcpStream, Arc<AtomicBool>)>>,
    /// The link filter of what we send it (clean unless a fault schedule says otherwise).
    shaper: Mutex<LinkShaper>,
    /// The bytes of its messages we hold.
    held: Arc<HeldAccount>,
    /// How fast we read it (kept across connections: redialling does not refill the buckets).
    rate: Mutex<RateLimiter>,
    /// Until when it is barred (`Network::bar`), if it was.
    barred_until: Mutex<Option<Instant>>,
    /// How fast we read it while it is throttled (`Network::throttle`); drawn on only then.
    throttle: Mutex<RateLimiter>,
    /// Until when it is throttled, if it was.
    throttled_until: Mutex<Option<Instant>>,
    counters: Counters,
}

impl Peer {
    fn queue(&self) -> MutexGuard<'_, SendQueue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn live(&self) -> MutexGuard<'_, Option<(TcpStream, Arc<AtomicBool>)>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn shaper(&self) -> MutexGuard<'_, LinkShaper> {
        self.shaper.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn rate(&self) -> MutexGuard<'_, RateLimiter> {
        self.rate.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn throttle(&self) -> MutexGuard<'_, RateLimiter> {
        self.throttle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How much longer it is barred, if it is.
    fn barred_for(&self) -> Option<Duration> {
        time_left(&self.barred_until)
    }

    /// How much longer it is throttled, if it is.
    fn throttled_for(&self) -> Option<Duration> {
        time_left(&self.throttled_until)
    }

    /// For a droppable message of `bytes` just read from it (see [`droppable`]): the counter of the sanction that
    /// drops it — `quarantined` while it is barred, `throttled_drops` while it is throttled and the message comes past
    /// its throttled rate (one within it pays that rate) — or `None`: it passes.
    fn sanction_drop(&self, bytes: usize) -> Option<&AtomicU64> {
        if self.barred_for().is_some() {
            Some(&self.counters.quarantined)
        } else if self.throttled_for().is_some() && !self.throttle().try_take(1, bytes, Instant::now()) {
            Some(&self.counters.throttled_drops)
        } else {
            None
        }
    }

    /// Closes the live connection, if any (its threads see it and end; the dialler redials).
    fn drop_connection(&self) {
        if let Some((socket, alive)) = self.live().take() {
            alive.store(false, Relaxed);
            let _ = socket.shutdown(Shutdown::Both);
        }
        self.wake.notify_all();
    }
}

/// What every thread of the network shares.
struct Shared {
    me: Me,
    cfg: NetworkConfig,
    peers: BTreeMap<ValidatorId, Arc<Peer>>,
    inbox: Sender<Inbound>,
    stop: AtomicBool,
    threads: ThreadSet,
    /// Inbound handshakes refused (unknown or wrong-key peers, garbage, timeouts, a higher id dialling us, past
    /// [`MAX_HANDSHAKES`]).
    refused: AtomicU64,
    /// Inbound handshakes in progress, in all and by source address.
    handshakes: Mutex<Handshakes>,
    /// What of the refusals reaches the log (once per source per interval).
    log: RefusalLog,
}

impl Shared {
    fn identity(&self) -> Identity<'_> {
        Identity {
            id: self.me.id,
            keys: &self.me.keys,
            chain_id: self.me.chain_id,
            validators: &self.me.validators,
            handshake_timeout: self.cfg.handshake_timeout,
            max_payload: self.cfg.max_payload,
            frame_deadline: self.cfg.frame_deadline,
        }
    }

    /// Starts a thread of the network; the handles of threads that have ended are joined and let go here, so a
    /// storm of connections leaves no trail of them.
    fn spawn(self: &Arc<Self>, name: String, work: impl FnOnce(Arc<Shared>) + Send + 'static) -> io::Result<()> {
        let shared = self.clone();
        self.threads.spawn(name, &self.cfg.on_thread, move || work(shared))
    }

    fn stopped(&self) -> bool {
        self.stop.load(Relaxed)
    }

    /// Makes `stream` the peer's live connection (closing any older one) and starts its writer and reader.
    fn attach(self: &Arc<Self>, peer: &Arc<Peer>, stream: SecureStream) -> io::Result<Arc<AtomicBool>> {
        let (sender, mut receiver, socket) = stream.split()?;
        if !self.cfg.bounds.repeat_window.is_zero() {
            receiver.drop_repeats(self.cfg.bounds.repeat_window);
        }
        let alive = Arc::new(AtomicBool::new(true));
        peer.drop_connection();
        *peer.live() = Some((socket, alive.clone()));
        peer.counters.connects.fetch_add(1, Relaxed);
        let (p, a) = (peer.clone(), alive.clone());
        self.spawn(format!("net-out-{}", peer.id), move |s| s.write_loop(&p, sender, &a))?;
        let (p, a) = (peer.clone(), alive.clone());
        self.spawn(format!("net-in-{}", peer.id), move |s| s.read_loop(&p, receiver, &a))?;
        Ok(alive)
    }

    /// Sends the peer's queued frames, highest class first, while the connection lives.
    fn write_loop(&self, peer: &Peer, mut out: SecureSender, alive: &AtomicBool) {
        loop {
            let next = {
                let mut queue = peer.queue();
                loop {
                    if self.stopped() || !alive.load(Relaxed) {
                        return;
                    }
                    if let Some(item) = queue.pop() {
                        break item;
                    }
                    queue = peer.wake.wait_timeout(queue, POLL).unwrap_or_else(|e| e.into_inner()).0;
                }
            };
            let (class, queued, frame) = next;
            let verdict = peer.shaper().admit(frame.len(), queued, Instant::now());
            match verdict {
                Verdict::Drop => {
                    peer.counters.filtered[class as usize].fetch_add(1, Relaxed);
                    continue;
                }
                Verdict::SendAt(due) => {
                    if !self.wait_until(due, alive) {
                        return;
                    }
                }
            }
            if out.send(&frame).is_err() {
                // The frame is lost with the connection; consensus recovers by timeouts and sync.
                peer.drop_connection();
                return;
            }
            peer.counters.bytes_out.fetch_add(frame.len() as u64, Relaxed);
            peer.counters.out[class as usize].fetch_add(1, Relaxed);
        }
    }

    /// Waits until `due` (a frame the link filter delays); false when the network stops or the connection dies first.
    fn wait_until(&self, due: Instant, alive: &AtomicBool) -> bool {
        loop {
            if self.stopped() || !alive.load(Relaxed) {
                return false;
            }
            let left = due.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(POLL));
        }
    }

    /// Puts a received message whose frame is `bytes` long in the inbox, once the peer's held bytes leave room for it
    /// and while a bounded inbox is full, the reader waits (and this peer's socket is not read, so TCP slows the
    /// peer down: what any peer can make us hold is bounded in bytes and in messages), counting the waits. False
    /// when the inbox is gone, the network stops or the connection dies first.
    fn deliver(&self, peer: &Peer, message: Message, bytes: usize, alive: &AtomicBool) -> bool {
        let give_up = || self.stopped() || !alive.load(Relaxed);
        let Some(held) = peer.held.take(bytes, self.cfg.bounds.held_bytes, POLL, give_up) else { return false };
        let mut item = Inbound { from: peer.id, message, held };
        loop {
            match self.inbox.send_timeout(item, POLL) {
                Ok(()) => return true,
                Err(SendTimeoutError::Timeout(back)) => {
                    peer.counters.inbox_waits.fetch_add(1, Relaxed);
                    if self.stopped() || !alive.load(Relaxed) {
                        return false;
                    }
                    item = back;
                }
                Err(SendTimeoutError::Disconnected(_)) => return false,
            }
        }
    }

    /// Hands every message received to the inbox while the connection lives.
    fn read_loop(&self, peer: &Peer, mut input: SecureReceiver, alive: &AtomicBool) {
        // Counts the repeats dropped on the way to the last message; returns how many.
        let count_repeats = |input: &mut SecureReceiver| {
            let mut all = 0;
            for (counter, n) in peer.counters.repeats.iter().zip(input.take_repeated()) {
                counter.fetch_add(n, Relaxed);
                all += n;
            }
            all
        };
        // A barred or throttled peer's gossip is dropped before it is decoded (the costly part of junk gossip);
        // whether a consensus or sync frame is droppable needs its message (proposals and requests always pass).
        let mut skip_gossip = |class: Class, bytes: usize| {
            let Some(dropped) = (class == Class::Gossip).then(|| peer.sanction_drop(bytes)).flatten() else {
                return false;
            };
            dropped.fetch_add(1, Relaxed);
            peer.counters.r#in[Class::Gossip as usize].fetch_add(1, Relaxed);
            true
        };
        while !self.stopped() && alive.load(Relaxed) {
            let received = input.recv_skipping(&mut skip_gossip);
            let repeats = count_repeats(&mut input) + input.take_skipped();
            match received {
                Ok(Received { message, frame, read }) => {
                    peer.counters.bytes_in.fetch_add(read as u64, Relaxed);
                    peer.counters.r#in[Class::of(&message) as usize].fetch_add(1, Relaxed);
                    // The rate pays for everything read: the repeats dropped on the way count as messages.
                    let next_read = peer.rate().take(1 + repeats, read, Instant::now());
                    // Gossip here passed `skip_gossip` (and paid the throttle there); the rest is judged now.
                    let judged = Class::of(&message) != Class::Gossip && droppable(&message);
                    if let Some(dropped) = judged.then(|| peer.sanction_drop(frame)).flatten() {
                        dropped.fetch_add(1, Relaxed);
                    } else if !self.deliver(peer, message, frame, alive) {
                        return; // nobody listens any more, or we stop
                    }
                    if next_read > Instant::now() {
                        peer.counters.rate_waits.fetch_add(1, Relaxed);
                        if !self.wait_until(next_read, alive) {
                            break;
                        }
                    }
                }
                Err(e @ (RecvError::Frame(_) | RecvError::Noise(_) | RecvError::Stalled(_))) => {
                    peer.counters.refused_frames.fetch_add(1, Relaxed);
                    self.log.log(&format!("validator {}", peer.id), &e.to_string());
                    break;
                }
                Err(RecvError::Closed | RecvError::Io(_)) => break,
            }
        }
        if alive.load(Relaxed) {
            peer.drop_connection();
        }
    }

    /// Keeps a connection to `peer` (a higher id than ours) up: dial, handshake, wait for it to drop, back off, redial.
    fn dial_loop(self: &Arc<Self>, peer: &Arc<Peer>, addr: SocketAddr) {
        let mut failures = 0u32;
        while !self.stopped() {
            let connected = TcpStream::connect_timeout(&addr, self.cfg.handshake_timeout)
                .map_err(|_| ())
                .and_then(|stream| {
                    SecureStream::connect(stream, &self.identity(), peer.id).map_err(|_| {
                        peer.counters.handshake_failures.fetch_add(1, Relaxed);
                    })
                })
                .and_then(|stream| self.attach(peer, stream).map_err(|_| ()));
            match connected {
                Ok(alive) => {
                    let up = Instant::now();
                    while alive.load(Relaxed) && !self.stopped() {
                        std::thread::sleep(POLL);
                    }
                    // A connection the peer closes at once (it refuses us, or it is failing) counts as a failed
                    // dial, so redials back off instead of handshaking in a tight loop.
                    if up.elapsed() < SHORT_LIVED {
                        failures = failures.saturating_add(1);
                        self.sleep(self.cfg.backoff.delay(failures));
                    } else {
                        failures = 0;
                    }
                }
                Err(()) => {
                    failures = failures.saturating_add(1);
                    self.sleep(self.cfg.backoff.delay(failures));
                }
            }
        }
    }

    /// Accepts connections from lower ids; each handshake on a thread of its own, so a slow peer holds up no other —
    /// at most [`MAX_HANDSHAKES`] (or twice the peers) at once: one arriving past that is closed at once, counted
    /// and logged.
    fn accept_loop(self: &Arc<Self>, listener: TcpListener) {
        let caps = (MAX_HANDSHAKES.max(2 * self.peers.len()), MAX_HANDSHAKES_PER_SOURCE.max(self.peers.len()));
        while !self.stopped() {
            match listener.accept() {
                Ok((stream, source)) => {
                    let slot = match HandshakeSlot::take(self, source.ip(), caps) {
                        Ok(slot) => slot,
                        Err(why) => {
                            self.refused.fetch_add(1, Relaxed);
                            self.log.log(&source.ip().to_string(), &why);
                            continue; // dropped: the socket closes
                        }
                    };
                    let accepted = self.spawn("net-handshake".into(), move |s| {
                        let _slot = slot;
                        s.handshake_inbound(stream);
                    });
                    if accepted.is_err() {
                        self.refused.fetch_add(1, Relaxed); // the slot went with the closure
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
                Err(_) => std::thread::sleep(POLL),
            }
        }
    }

    fn handshake_inbound(self: &Arc<Self>, stream: TcpStream) {
        if stream.set_nonblocking(false).is_err() {
            self.refused.fetch_add(1, Relaxed);
            return;
        }
        let source = stream.peer_addr().map_or_else(|_| "an unknown address".to_string(), |a| a.ip().to_string());
        let attached = match SecureStream::accept(stream, &self.identity()) {
            // Only a lower id dials us (one connection per pair); a higher one is refused.
            Ok(s) => match self.peers.get(&s.peer()).filter(|p| p.id < self.me.id).cloned() {
                Some(peer) => self.attach(&peer, s).map_err(|e| e.to_string()),
                None => Err(format!("validator {} may not dial validator {}", s.peer(), self.me.id)),
            },
            Err(e) => Err(e.to_string()),
        };
        if let Err(why) = attached {
            self.refused.fetch_add(1, Relaxed);
            self.log.log(&source, &why);
        }
    }

    /// Sleeps `d`, waking early on stop.
    fn sleep(&self, d: Duration) {
        let mut left = d;
        while !left.is_zero() && !self.stopped() {
            let step = left.min(POLL);
            std::thread::sleep(step);
            left -= step;
        }
    }
}

/// Inbound handshakes in progress: how many, and how many from each source address.
#[derive(Debug, Default)]
struct Handshakes {
    all: usize,
    by_source: HashMap<IpAddr, usize>,
}

/// One of the [`MAX_HANDSHAKES`] places (and of its source's [`MAX_HANDSHAKES_PER_SOURCE`]), given back when the
/// handshake's thread ends (however it ends).
struct HandshakeSlot {
    shared: Arc<Shared>,
    source: IpAddr,
}

impl HandshakeSlot {
    /// A place for a handshake from `source`, or why there is none: `caps` (in all, per source) are reached.
    fn take(shared: &Arc<Shared>, source: IpAddr, (all, per_source): (usize, usize)) -> Result<Self, String> {
        let mut h = shared.handshakes.lock().unwrap_or_else(|e| e.into_inner());
        if h.all >= all {
            return Err(format!("{all} handshakes already in progress"));
        }
        let mine = h.by_source.entry(source).or_default();
        if *mine >= per_source {
            return Err(format!("{per_source} handshakes from this address already in progress"));
        }
        *mine += 1;
        h.all += 1;
        Ok(HandshakeSlot { shared: shared.clone(), source })
    }
}

impl Drop for HandshakeSlot {
    fn drop(&mut self) {
        let mut h = self.shared.handshakes.lock().unwrap_or_else(|e| e.into_inner());
        h.all -= 1;
        if let Some(n) = h.by_source.get_mut(&self.source) {
            *n -= 1;
            if *n == 0 {
                h.by_source.remove(&self.source);
            }
        }
    }
}

/// A running validator network (see the module doc).
pub struct Network {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
}

impl Network {
    /// Starts the network on `listener` (bound by the caller, so tests and clusters can learn its address before
    /// the peers start): accepts lower ids, dials higher ones, hands every received message to `inbox` as
    /// an [`Inbound`]. Give it a bounded inbox ([`INBOX_CAPACITY`]): a full one pauses the readers; with each
    /// peer's held bytes (`cfg.bounds.held_bytes`) that bounds what peers can make us hold — in bytes as long as whoever
    /// takes messages from the inbox keeps their [`Held`] until it has taken them up.
    pub fn start(me: Me, listener: TcpListener, cfg: NetworkConfig, inbox: Sender<Inbound>) -> io::Result<Network> {
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let peers = cfg
            .peers
            .keys()
            .filter(|&&id| id != me.id)
            .map(|&id| {
                let peer = Peer {
                    id,
                    queue: Mutex::new(SendQueue::new(cfg.limits)),
                    wake: Condvar::new(),
                    live: Mutex::new(None),
                    shaper: Mutex::new(LinkShaper::new(u64::from(me.id) << 16 | u64::from(id))),
                    held: Arc::default(),
                    rate: Mutex::new(RateLimiter::new(cfg.bounds.rate, cfg.max_payload, Instant::now())),
                    barred_until: Mutex::new(None),
                    throttle: Mutex::new(RateLimiter::new(
                        cfg.bounds.rate.throttled(),
                        cfg.max_payload,
                        Instant::now(),
                    )),
                    throttled_until: Mutex::new(None),
                    counters: Counters::default(),
                };
                (id, Arc::new(peer))
            })
            .collect();
        let shared = Arc::new(Shared {
            me,
            cfg,
            peers,
            inbox,
            stop: AtomicBool::new(false),
            threads: ThreadSet::default(),
            refused: AtomicU64::new(0),
            handshakes: Mutex::default(),
            log: RefusalLog::default(),
        });
        shared.spawn("net-accept".into(), move |s| s.accept_loop(listener))?;
        for (id, peer) in shared.peers.iter().filter(|(id, _)| **id > shared.me.id) {
            let Some(&addr) = shared.cfg.peers.get(id) else { continue };
            let peer = peer.clone();
            shared.spawn(format!("net-dial-{id}"), move |s| s.dial_loop(&peer, addr))?;
        }
        Ok(Network { shared, local_addr })
    }

    /// The address the network listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Queues `message` for `to` (sent when a connection to it is up).
    pub fn send(&self, to: ValidatorId, message: &Message) -> Result<(), SendError> {
        let peer = self.shared.peers.get(&to).ok_or(SendError::UnknownPeer(to))?;
        queue_frame(peer, Class::of(message), encode_frame(message))
    }

    /// Queues `message` for every peer (encoded once); the peers whose queues refused it are returned.
    pub fn broadcast(&self, message: &Message) -> Vec<SendError> {
        let (class, frame) = (Class::of(message), encode_frame(message));
        self.shared.peers.values().filter_map(|p| queue_frame(p, class, frame.clone()).err()).collect()
    }

    /// Puts `rule` in force on the link to `peer` (what this validator sends it): the transport's own link filter,
    /// for fault schedules that cannot or may not impair packets in the kernel.
    pub fn set_link(&self, peer: ValidatorId, rule: LinkRule) -> Result<(), LinkError> {
        let p = self.shared.peers.get(&peer).ok_or(LinkError::UnknownPeer(peer))?;
        p.shaper().set(rule)?;
        p.wake.notify_all();
        Ok(())
    }

    /// Bars `peer` for `bar` (a later bar that ends sooner does not shorten it): until then the votes, timeouts,
    /// gossip and sync responses it sends are dropped as they are read, counted (`quarantined`), never handed to the
    /// node — so they cost no verification — while its connection stays up: what we send it (our votes, when it
    /// leads the next round) and its proposals still travel, so a barred member of the committee costs it no
    /// rounds it would not have lost anyway. `reason` says what it sent, logged once per interval.
    pub fn bar(&self, peer: ValidatorId, bar: Duration, reason: &str) -> Result<(), LinkError> {
        let p = self.shared.peers.get(&peer).ok_or(LinkError::UnknownPeer(peer))?;
        extend_until(&p.barred_until, bar);
        p.counters.bars.fetch_add(1, Relaxed);
        let why = format!("barred for {:.1} s: it sent what no honest validator sends ({reason})", bar.as_secs_f64());
        self.shared.log.log(&format!("validator {peer}"), &why);
        Ok(())
    }

    /// Throttles `peer` for `span` (a later throttle that ends sooner does not shorten it): until then, of what it
    /// sends that would need checking — votes, timeouts, gossip, sync responses — what comes past its throttled rate
    /// ([`PeerRate::throttled`](super::PeerRate::throttled): a twentieth of its rate) is dropped as it is read,
    /// counted (`throttled_drops`); its proposals and sync requests always pass, and nothing waits. The node asks for
    /// this when more of its messages were refused in a second than an honest peer sends — no proof of a fault, so
    /// what it sends at an honest peer's pace still arrives. Dropping, not waiting: a reader held to the throttled
    /// rate held the peer's proposals up behind its junk too, which cost the committee the rounds it led (measured:
    /// docs/NETWORK.md). `reason` is the refusal that tipped it, logged once per interval.
    pub fn throttle(&self, peer: ValidatorId, span: Duration, reason: &str) -> Result<(), LinkError> {
        let p = self.shared.peers.get(&peer).ok_or(LinkError::UnknownPeer(peer))?;
        extend_until(&p.throttled_until, span);
        p.counters.throttles.fetch_add(1, Relaxed);
        let why = format!(
            "throttled for {:.1} s: too many of its messages refused in a second ({reason})",
            span.as_secs_f64()
        );
        self.shared.log.log(&format!("validator {peer}"), &why);
        Ok(())
    }

    /// Every peer's id, ascending.
    pub fn peers(&self) -> Vec<ValidatorId> {
        let mut ids: Vec<ValidatorId> = self.shared.peers.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Each peer's counters now, by id.
    pub fn stats(&self) -> Vec<PeerStats> {
        let by_class = |counts: &[AtomicU64; 3]| {
            Class::ALL.iter().map(|c| (c.name().to_string(), counts[*c as usize].load(Relaxed))).collect()
        };
        self.shared
            .peers
            .values()
            .map(|p| {
                let queue = p.queue();
                PeerStats {
                    peer: p.id,
                    connected: p.live().is_some(),
                    connects: p.counters.connects.load(Relaxed),
                    handshake_failures: p.counters.handshake_failures.load(Relaxed),
                    bytes_out: p.counters.bytes_out.load(Relaxed),
                    bytes_in: p.counters.bytes_in.load(Relaxed),
                    messages_out: by_class(&p.counters.out),
                    messages_in: by_class(&p.counters.r#in),
                    dropped: Class::ALL.iter().map(|c| (c.name().to_string(), queue.dropped(*c))).collect(),
                    queued: queue.len(),
                    refused_frames: p.counters.refused_frames.load(Relaxed),
                    filtered: by_class(&p.counters.filtered),
                    repeats_dropped: by_class(&p.counters.repeats),
                    inbox_waits: p.counters.inbox_waits.load(Relaxed),
                    held_bytes: p.held.now(),
                    held_peak: p.held.peak(),
                    held_waits: p.held.waits(),
                    rate_waits: p.counters.rate_waits.load(Relaxed),
                    bars: p.counters.bars.load(Relaxed),
                    barred: p.barred_for().is_some(),
                    quarantined: p.counters.quarantined.load(Relaxed),
                    throttles: p.counters.throttles.load(Relaxed),
                    throttled: p.throttled_for().is_some(),
                    throttled_drops: p.counters.throttled_drops.load(Relaxed),
                }
            })
            .collect()
    }

    /// Threads of the network not yet known to have ended (acceptor, diallers, two per live connection, handshakes
    /// in progress; ended ones are let go at the next start of a thread).
    pub fn threads(&self) -> usize {
        self.shared.threads.len()
    }

    /// Inbound connections refused at the handshake so far (unknown or wrong-key peers, garbage, silence, past
    /// [`MAX_HANDSHAKES`] in progress).
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Relaxed)
    }

    /// Closes every connection and joins every thread.
    pub fn stop(self) {
        self.shared.stop.store(true, Relaxed);
        for peer in self.shared.peers.values() {
            peer.drop_connection();
        }
        self.shared.threads.join_all();
    }
}

/// How long until `until`, if it is still ahead.
fn time_left(until: &Mutex<Option<Instant>>) -> Option<Duration> {
    let until = (*until.lock().unwrap_or_else(|e| e.into_inner()))?;
    until.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())
}

/// Moves `until` to `span` from now, unless it already lies further ahead.
fn extend_until(until: &Mutex<Option<Instant>>, span: Duration) {
    let mut until = until.lock().unwrap_or_else(|e| e.into_inner());
    let end = Instant::now() + span;
    *until = Some(until.map_or(end, |u| u.max(end)));
}

fn queue_frame(peer: &Peer, class: Class, frame: Vec<u8>) -> Result<(), SendError> {
    let pushed = peer.queue().push(class, frame);
    peer.wake.notify_all();
    pushed.map_err(|source| {
        peer.drop_connection();
        SendError::Overloaded { peer: peer.id, source }
    })
}
