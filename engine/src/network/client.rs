//! The client port: how a load client (or a wallet) hands a validator transactions and hears back their fate.
//!
//! Plain TCP (clients are not validators: they hold no validator key, and every transaction carries its own
//! signature); each message is `length u32 LE · canonical encoding` of a [`ClientMessage`]. A client sends
//! `Submit` batches; the validator answers with `Statuses` for the transactions that connection submitted, once each
//! is committed or rejected. A malformed or oversized message closes the connection and is counted.

use super::peers::ThreadHook;
use super::refusal_log::RefusalLog;
use super::thread_set::ThreadSet;
use crate::protocol::{RejectReason, TxStatus};
use crate::types::codec::{self, Decode, DecodeError, Encode, MAX_LEN, Reader, Writer};
use crate::types::{Hash, KeyedMap, Transaction};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most clients one validator serves at once. A newcomer past that takes the place of the client idle longest, if
/// one has been idle for [`ClientLimits::idle`] with no transaction awaiting its fate; otherwise it is refused (both
/// counted).
pub const MAX_CLIENTS: usize = 64;

/// How often the acceptor looks at its stop flag, and how long a blocked read waits before looking too.
const POLL: Duration = Duration::from_millis(20);

/// Longest a client message may take to arrive once its first byte has (a client idle between messages is kept;
/// one that trickles a message is cut off, so it cannot hold a connection slot and a buffer for ever).
pub const CLIENT_MESSAGE_DEADLINE: Duration = Duration::from_secs(10);

/// How long a client must have sent nothing, with no transaction awaiting its fate, before a newcomer to a full port
/// may take its place.
pub const CLIENT_IDLE: Duration = Duration::from_secs(10);

/// The client port's time limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientLimits {
    /// Longest a message may take to arrive once its first byte has ([`CLIENT_MESSAGE_DEADLINE`]).
    pub message_deadline: Duration,
    /// Idle time after which a client may be replaced by a newcomer to a full port ([`CLIENT_IDLE`]).
    pub idle: Duration,
}

impl ClientLimits {
    /// A validator's limits.
    pub const VALIDATOR: ClientLimits = ClientLimits { message_deadline: CLIENT_MESSAGE_DEADLINE, idle: CLIENT_IDLE };
}

/// Longest a write to a client may block before the client is dropped (a client that stops reading must not hold
/// the validator's status fan-out up).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// What travels on a client connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientMessage {
    /// Client → validator: transactions to admit.
    Submit(Vec<Transaction>),
    /// Validator → client: the fate of transactions this connection submitted.
    Statuses(Vec<(Hash, TxStatus)>),
}

impl Encode for TxStatus {
    fn encode_to(&self, w: &mut Writer) {
        match self {
            TxStatus::Committed { height, success } => w.u8(0).u64(*height).u8(u8::from(*success)),
            TxStatus::Rejected(reason) => w.u8(1).u8(reason_tag(*reason)),
        };
    }
}

impl Decode for TxStatus {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => {
                let height = r.u64()?;
                let success = match r.u8()? {
                    0 => false,
                    1 => true,
                    tag => return Err(DecodeError::Tag { what: "commit success", tag }),
                };
                Ok(TxStatus::Committed { height, success })
            }
            1 => {
                let tag = r.u8()?;
                let reason = RejectReason::ALL.get(usize::from(tag)).copied();
                reason.map(TxStatus::Rejected).ok_or(DecodeError::Tag { what: "reject reason", tag })
            }
            tag => Err(DecodeError::Tag { what: "tx status", tag }),
        }
    }
}

fn reason_tag(reason: RejectReason) -> u8 {
    RejectReason::ALL.iter().position(|r| *r == reason).unwrap_or(0) as u8
}

impl Encode for (Hash, TxStatus) {
    fn encode_to(&self, w: &mut Writer) {
        w.put(&self.0).put(&self.1);
    }
}

impl Decode for (Hash, TxStatus) {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok((Hash::decode_from(r)?, TxStatus::decode_from(r)?))
    }
}

impl Encode for ClientMessage {
    fn encode_to(&self, w: &mut Writer) {
        match self {
            ClientMessage::Submit(txs) => w.u8(0).list(txs),
            ClientMessage::Statuses(statuses) => w.u8(1).list(statuses),
        };
    }
}

impl Decode for ClientMessage {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => r.list("submitted transactions", MAX_LEN).map(ClientMessage::Submit),
            1 => r.list("tx statuses", MAX_LEN).map(ClientMessage::Statuses),
            tag => Err(DecodeError::Tag { what: "client message", tag }),
        }
    }
}

/// Why a client message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The socket failed or closed.
    #[error("client connection: {0}")]
    Io(#[from] io::Error),
    /// The length prefix is over the limit.
    #[error("client message of {len} bytes is over the limit of {limit}")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes are not a client message.
    #[error("malformed client message: {0}")]
    Malformed(#[from] DecodeError),
}

/// Writes one message (length prefix, canonical encoding).
pub fn write_client_message(w: &mut impl Write, message: &ClientMessage) -> io::Result<()> {
    let body = codec::encode(message);
    let mut framed = Vec::with_capacity(4 + body.len());
    framed.extend_from_slice(&(body.len() as u32).to_le_bytes());
    framed.extend_from_slice(&body);
    w.write_all(&framed)
}

/// Reads one message, refusing a length over `max` before reading its body.
pub fn read_client_message(r: &mut impl Read, max: usize) -> Result<ClientMessage, ClientError> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > max {
        return Err(ClientError::TooLarge { len, limit: max });
    }
    // Grown as the bytes arrive: a length announced and never sent costs nothing.
    let mut body = Vec::with_capacity(len.min(64 << 10));
    r.take(len as u64).read_to_end(&mut body)?;
    if body.len() < len {
        return Err(ClientError::Io(io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(codec::decode(&body)?)
}

/// What the client port did so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientPortStats {
    /// Connections accepted.
    pub connections: u64,
    /// Connections refused because [`MAX_CLIENTS`] were open and none of them idle.
    pub refused_connections: u64,
    /// Idle clients closed to make room for a newcomer (see [`MAX_CLIENTS`]).
    #[serde(default)]
    pub evicted_idle: u64,
    /// Transactions received.
    pub txs_in: u64,
    /// Statuses sent back.
    pub statuses_out: u64,
    /// Messages refused (oversized, malformed, or a `Statuses` from a client); each closed its connection.
    pub refused_messages: u64,
    /// Statuses for transactions no open connection submitted (its client left): counted, not sent.
    pub orphan_statuses: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    refused_connections: AtomicU64,
    evicted_idle: AtomicU64,
    txs_in: AtomicU64,
    statuses_out: AtomicU64,
    refused_messages: AtomicU64,
    orphan_statuses: AtomicU64,
}

/// Where submitted transactions go (the validator's ingress).
pub type SubmitFn = Arc<dyn Fn(Vec<Transaction>) + Send + Sync>;

/// An open client connection as the port keeps it.
struct Client {
    /// Its write half.
    writer: TcpStream,
    /// When it connected or last sent a message.
    last_active: Instant,
    /// Transactions it submitted whose fate it has not been sent yet.
    pending: usize,
}

struct PortShared {
    submit: SubmitFn,
    limits: ClientLimits,
    hook: ThreadHook,
    stop: AtomicBool,
    counters: Counters,
    /// Open connections, by connection id.
    clients: Mutex<HashMap<u64, Client>>,
    /// Which connection submitted each transaction still waiting for its fate.
    owners: Mutex<KeyedMap<Hash, u64>>,
    /// What of the refusals reaches the log (once per client address per interval).
    log: RefusalLog,
    threads: ThreadSet,
}

/// A validator's client port: an acceptor thread and a reader per client (see the module doc).
pub struct ClientPort {
    shared: Arc<PortShared>,
    local_addr: SocketAddr,
}

impl ClientPort {
    /// Serves clients on `listener`, handing each submitted batch to `submit`; every thread runs `hook` first;
    /// `limits` bound a message's time and say when an idle client may be replaced ([`ClientLimits::VALIDATOR`]).
    pub fn start(
        listener: TcpListener,
        submit: SubmitFn,
        hook: ThreadHook,
        limits: ClientLimits,
    ) -> io::Result<ClientPort> {
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(PortShared {
            submit,
            limits,
            hook,
            stop: AtomicBool::new(false),
            counters: Counters::default(),
            clients: Mutex::new(HashMap::new()),
            owners: Mutex::new(KeyedMap::default()),
            log: RefusalLog::default(),
            threads: ThreadSet::default(),
        });
        spawn(&shared, "client-accept".into(), move |s| accept_loop(&s, listener))?;
        Ok(ClientPort { shared, local_addr })
    }

    /// The address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Sends each status to the connection that submitted its transaction (statuses of transactions no open
    /// connection submitted are counted as orphans). A client whose socket fails or blocks past the write timeout is
    /// dropped.
    pub fn publish(&self, statuses: Vec<(Hash, TxStatus)>) {
        let mut by_conn: HashMap<u64, Vec<(Hash, TxStatus)>> = HashMap::new();
        {
            let mut owners = self.shared.owners.lock().unwrap_or_else(|e| e.into_inner());
            for (hash, status) in statuses {
                match owners.remove(&hash) {
                    Some(conn) => by_conn.entry(conn).or_default().push((hash, status)),
                    None => {
                        self.shared.counters.orphan_statuses.fetch_add(1, Relaxed);
                    }
                }
            }
        }
        let mut clients = self.shared.clients.lock().unwrap_or_else(|e| e.into_inner());
        for (conn, statuses) in by_conn {
            let n = statuses.len() as u64;
            let Some(client) = clients.get_mut(&conn) else {
                self.shared.counters.orphan_statuses.fetch_add(n, Relaxed);
                continue;
            };
            client.pending = client.pending.saturating_sub(statuses.len());
            match write_client_message(&mut client.writer, &ClientMessage::Statuses(statuses)) {
                Ok(()) => {
                    self.shared.counters.statuses_out.fetch_add(n, Relaxed);
                }
                Err(_) => {
                    let _ = client.writer.shutdown(Shutdown::Both);
                    clients.remove(&conn);
                }
            }
        }
    }

    /// The counters now.
    pub fn stats(&self) -> ClientPortStats {
        let c = &self.shared.counters;
        ClientPortStats {
            connections: c.connections.load(Relaxed),
            refused_connections: c.refused_connections.load(Relaxed),
            evicted_idle: c.evicted_idle.load(Relaxed),
            txs_in: c.txs_in.load(Relaxed),
            statuses_out: c.statuses_out.load(Relaxed),
            refused_messages: c.refused_messages.load(Relaxed),
            orphan_statuses: c.orphan_statuses.load(Relaxed),
        }
    }

    /// Closes every connection and joins every thread.
    pub fn stop(self) {
        self.shared.stop.store(true, Relaxed);
        for (_, client) in self.shared.clients.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            let _ = client.writer.shutdown(Shutdown::Both);
        }
        self.shared.threads.join_all();
    }
}

fn spawn(
    shared: &Arc<PortShared>,
    name: String,
    work: impl FnOnce(Arc<PortShared>) + Send + 'static,
) -> io::Result<()> {
    let s = shared.clone();
    shared.threads.spawn(name, &shared.hook, move || work(s))
}

fn accept_loop(shared: &Arc<PortShared>, listener: TcpListener) {
    let mut next_id = 0u64;
    while !shared.stop.load(Relaxed) {
        let (stream, source) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(POLL);
                continue;
            }
            Err(_) => {
                std::thread::sleep(POLL);
                continue;
            }
        };
        if !make_room(shared) {
            shared.counters.refused_connections.fetch_add(1, Relaxed);
            shared.log.log(&format!("client {}", source.ip()), &format!("{MAX_CLIENTS} clients busy"));
            continue; // dropped: the socket closes
        }
        let Ok(writer) = stream.try_clone() else { continue };
        if writer.set_nonblocking(false).and_then(|_| writer.set_write_timeout(Some(WRITE_TIMEOUT))).is_err() {
            continue;
        }
        next_id += 1;
        let id = next_id;
        let client = Client { writer, last_active: Instant::now(), pending: 0 };
        shared.clients.lock().unwrap_or_else(|e| e.into_inner()).insert(id, client);
        shared.counters.connections.fetch_add(1, Relaxed);
        if spawn(shared, format!("client-{id}"), move |s| read_loop(&s, id, stream)).is_err() {
            shared.clients.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        }
    }
}

/// Whether a newcomer may be served: a place is free, or the client idle longest — for at least the port's idle
/// time, with nothing pending — is closed to free one (counted; its reader then ends).
fn make_room(shared: &PortShared) -> bool {
    let mut clients = shared.clients.lock().unwrap_or_else(|e| e.into_inner());
    if clients.len() < MAX_CLIENTS {
        return true;
    }
    let now = Instant::now();
    let idlest = clients
        .iter()
        .filter(|(_, c)| c.pending == 0 && now.duration_since(c.last_active) >= shared.limits.idle)
        .min_by_key(|(_, c)| c.last_active)
        .map(|(id, _)| *id);
    let Some(client) = idlest.and_then(|id| clients.remove(&id)) else { return false };
    let _ = client.writer.shutdown(Shutdown::Both);
    shared.counters.evicted_idle.fetch_add(1, Relaxed);
    true
}

/// Reads one client's messages until it leaves, errs, or sends something that is not a `Submit`.
fn read_loop(shared: &Arc<PortShared>, id: u64, stream: TcpStream) {
    let source = stream.peer_addr().map_or_else(|_| "a client".to_string(), |a| format!("client {}", a.ip()));
    let Ok(mut reader) = StoppableReader::new(stream, &shared.stop) else { return };
    loop {
        reader.expect_message_within(shared.limits.message_deadline);
        match read_client_message(&mut reader, MAX_LEN) {
            Ok(ClientMessage::Submit(txs)) => {
                shared.counters.txs_in.fetch_add(txs.len() as u64, Relaxed);
                if let Some(client) = shared.clients.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&id) {
                    client.last_active = Instant::now();
                    client.pending += txs.len();
                }
                {
                    let mut owners = shared.owners.lock().unwrap_or_else(|e| e.into_inner());
                    for tx in &txs {
                        owners.insert(tx.hash(), id);
                    }
                }
                (shared.submit)(txs);
            }
            Ok(ClientMessage::Statuses(_)) => {
                shared.counters.refused_messages.fetch_add(1, Relaxed);
                shared.log.log(&source, "sent statuses (only a validator sends those)");
                break;
            }
            Err(e @ (ClientError::TooLarge { .. } | ClientError::Malformed(_))) => {
                shared.counters.refused_messages.fetch_add(1, Relaxed);
                shared.log.log(&source, &e.to_string());
                break;
            }
            Err(ClientError::Io(_)) if reader.overran() => {
                shared.counters.refused_messages.fetch_add(1, Relaxed);
                let why = format!("message not complete within {:?} of its first byte", shared.limits.message_deadline);
                shared.log.log(&source, &why);
                break;
            }
            Err(ClientError::Io(_)) => break,
        }
    }
    if let Some(client) = shared.clients.lock().unwrap_or_else(|e| e.into_inner()).remove(&id) {
        let _ = client.writer.shutdown(Shutdown::Both);
    }
}

/// A blocking read that wakes every [`POLL`] to look at a stop flag (and fails once it is set), so a silent peer
/// never keeps a reader thread past stop. Both ends of a client connection read through it.
pub struct StoppableReader<'a> {
    stream: TcpStream,
    stop: &'a AtomicBool,
    /// The message being read must be in within this of its first byte ([`Self::expect_message_within`]).
    deadline: Option<Duration>,
    /// When the message being read began.
    begun: Option<Instant>,
    /// The deadline passed (the read failed because of it).
    overran: bool,
}

impl<'a> StoppableReader<'a> {
    /// Reads `stream` (its read timeout is set to the poll interval) until `stop` is set.
    pub fn new(stream: TcpStream, stop: &'a AtomicBool) -> io::Result<Self> {
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(POLL))?;
        Ok(StoppableReader { stream, stop, deadline: None, begun: None, overran: false })
    }

    /// A new message starts: waiting for its first byte takes as long as it likes, the rest must come within `d`
    /// of it (a read past that fails, and [`Self::overran`] says why).
    pub fn expect_message_within(&mut self, d: Duration) {
        (self.deadline, self.begun, self.overran) = (Some(d), None, false);
    }

    /// Whether the last read failed because the message overran its deadline.
    pub fn overran(&self) -> bool {
        self.overran
    }
}

impl Read for StoppableReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.stop.load(Relaxed) {
                return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "client port stopping"));
            }
            if let (Some(d), Some(begun)) = (self.deadline, self.begun)
                && begun.elapsed() > d
            {
                self.overran = true;
                return Err(io::Error::new(io::ErrorKind::TimedOut, "client message overran its deadline"));
            }
            match self.stream.read(buf) {
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(n) => {
                    if n > 0 && self.begun.is_none() {
                        self.begun = Some(Instant::now());
                    }
                    return Ok(n);
                }
                other => return other,
            }
        }
    }
}
