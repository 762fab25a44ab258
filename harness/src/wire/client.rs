//! The load client of `hsbench cluster`: one connection to each validator's client port; the open-loop generator
//! submits through it like to an in-process node ([`NodeHandle`]), and each validator's statuses come back on a
//! reader thread per connection, stamped on the client's clock when they arrive (latency = from the intended send
//! time to the client's commit notification). A validator whose connection ended (its reader saw the end, or a
//! write failed: it was killed) gets no writes: its batches **fail over** to the next validator in order that takes
//! them, as a client with several endpoints does (counted), and the client dials it again, at most every
//! [`REDIAL_EVERY`], so a restarted validator gets load again. Only a batch no validator takes is a failed
//! submission; the statuses of what a dead connection already carried are lost with it (those transactions stay
//! pending in the books).

use crate::config::SubmitTo;
use crate::loadgen::generator::NodeHandle;
use hsbench_engine::network::client::{ClientMessage, StoppableReader, read_client_message, write_client_message};
use hsbench_engine::sim::TxEvent;
use hsbench_engine::types::Transaction;
use hsbench_engine::types::codec::MAX_LEN;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A submission write that takes longer than this waited for room in the socket: back-pressure.
pub const BLOCKED_AFTER: Duration = Duration::from_millis(1);

/// Least time between two redials of one validator.
pub const REDIAL_EVERY: Duration = Duration::from_millis(200);

/// How long a redial may take (a live validator answers on its own network at once).
const REDIAL_TIMEOUT: Duration = Duration::from_millis(100);

/// How long connecting to one validator may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections to every validator's client port.
pub struct RemoteValidators {
    start: Instant,
    addrs: Vec<SocketAddr>,
    writers: Vec<Mutex<Connection>>,
    submit_to: SubmitTo,
    next: AtomicUsize,
    events: Arc<Mutex<Vec<TxEvent>>>,
    /// Submissions no validator took (every connection down): counted; they stay pending.
    pub failed_submits: AtomicU64,
    /// Submissions written to another validator than the one they were for, because its connection was down.
    pub failovers: AtomicU64,
    /// Connections dialled again after a failure.
    pub redials: AtomicU64,
    stop: Arc<AtomicBool>,
    readers: Mutex<Vec<JoinHandle<()>>>,
}

/// One validator's connection: its write half (`None` while it is down), whether its reader still reads (it ends
/// when the validator closes the connection, before any write could notice), and when it was last dialled.
struct Connection {
    stream: Option<TcpStream>,
    reading: Arc<AtomicBool>,
    dialled: Instant,
}

impl RemoteValidators {
    /// Connects to every address in `clients` (validator i's client port at index i).
    pub fn connect(clients: &[SocketAddr], submit_to: SubmitTo) -> anyhow::Result<Self> {
        let start = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let events = Arc::new(Mutex::new(Vec::new()));
        let client = RemoteValidators {
            start,
            addrs: clients.to_vec(),
            writers: clients
                .iter()
                .map(|_| Mutex::new(Connection { stream: None, reading: Arc::default(), dialled: start }))
                .collect(),
            submit_to,
            next: AtomicUsize::new(0),
            events,
            failed_submits: AtomicU64::new(0),
            failovers: AtomicU64::new(0),
            redials: AtomicU64::new(0),
            stop,
            readers: Mutex::new(Vec::new()),
        };
        for (i, addr) in clients.iter().enumerate() {
            let (stream, reading) = client
                .dial(i, CONNECT_TIMEOUT)
                .map_err(|e| anyhow::anyhow!("connecting to validator {i}'s client port {addr}: {e}"))?;
            let mut conn = client.writers[i].lock().unwrap_or_else(|e| e.into_inner());
            (conn.stream, conn.reading) = (Some(stream), reading);
        }
        Ok(client)
    }

    /// Connects to validator `i` and starts the reader of its statuses; returns the write half and the flag its
    /// reader clears when the connection ends.
    fn dial(&self, i: usize, timeout: Duration) -> std::io::Result<(TcpStream, Arc<AtomicBool>)> {
        let stream = TcpStream::connect_timeout(&self.addrs[i], timeout)?;
        stream.set_nodelay(true)?;
        let reader = stream.try_clone()?;
        let reading = Arc::new(AtomicBool::new(true));
        let (events, stop, start, flag) = (self.events.clone(), self.stop.clone(), self.start, reading.clone());
        let handle = std::thread::Builder::new().name(format!("client-read-{i}")).spawn(move || {
            read_statuses(reader, start, &events, &stop);
            flag.store(false, Relaxed);
        })?;
        self.readers.lock().unwrap_or_else(|e| e.into_inner()).push(handle);
        Ok((stream, reading))
    }

    /// Writes `message` to validator `k`, dialling it again first when its connection is down (at most every
    /// [`REDIAL_EVERY`]); a connection whose reader ended, or whose write fails, is dropped.
    fn write(&self, k: usize, message: &ClientMessage) -> std::io::Result<()> {
        let mut conn = self.writers[k].lock().unwrap_or_else(|e| e.into_inner());
        if !conn.reading.load(Relaxed)
            && let Some(stream) = conn.stream.take()
        {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        if conn.stream.is_none() && conn.dialled.elapsed() >= REDIAL_EVERY {
            conn.dialled = Instant::now();
            if let Ok((stream, reading)) = self.dial(k, REDIAL_TIMEOUT) {
                self.redials.fetch_add(1, Relaxed);
                (conn.stream, conn.reading) = (Some(stream), reading);
            }
        }
        let Some(stream) = conn.stream.as_mut() else {
            return Err(std::io::Error::new(std::io::ErrorKind::NotConnected, "validator down"));
        };
        let written = write_client_message(stream, message);
        if written.is_err() {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            conn.stream = None;
        }
        written
    }

    /// Closes the connections and joins the readers.
    pub fn close(self) {
        self.stop.store(true, Relaxed);
        for w in &self.writers {
            if let Some(stream) = &w.lock().unwrap_or_else(|e| e.into_inner()).stream {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        }
        for r in self.readers.into_inner().unwrap_or_else(|e| e.into_inner()) {
            let _ = r.join();
        }
    }
}

/// Turns every status a validator sends into a transaction event on the client's clock (node 0: the client is the
/// one place the generator's books read from).
fn read_statuses(stream: TcpStream, start: Instant, events: &Mutex<Vec<TxEvent>>, stop: &AtomicBool) {
    let Ok(mut reader) = StoppableReader::new(stream, stop) else { return };
    while let Ok(message) = read_client_message(&mut reader, MAX_LEN) {
        let ClientMessage::Statuses(statuses) = message else { break };
        let at = start.elapsed();
        let mut events = events.lock().unwrap_or_else(|e| e.into_inner());
        events.extend(statuses.into_iter().map(|(tx_hash, status)| TxEvent {
            node: 0,
            tx_hash,
            status,
            at,
            block: None,
        }));
    }
}

impl NodeHandle for RemoteValidators {
    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Writes the batch to the next validator (round robin by batch) or to validator 0 — or, when that one's
    /// connection is down, to the first after it that takes it (a failover); returns the time the writes blocked
    /// when they took longer than [`BLOCKED_AFTER`] (the socket's buffer was full: TCP back-pressure from a
    /// validator that does not read fast enough), else zero (a write into a buffer with room is the client's own
    /// work, not the validator's push-back).
    fn submit(&self, txs: Vec<Transaction>) -> Duration {
        let validators = self.writers.len();
        let first = match self.submit_to {
            SubmitTo::RoundRobin => self.next.fetch_add(1, Relaxed) % validators,
            SubmitTo::Single => 0,
        };
        let n = txs.len() as u64;
        let message = ClientMessage::Submit(txs);
        let t = Instant::now();
        match (0..validators).find(|i| self.write((first + i) % validators, &message).is_ok()) {
            Some(0) => {}
            Some(_) => _ = self.failovers.fetch_add(n, Relaxed),
            None => _ = self.failed_submits.fetch_add(n, Relaxed),
        }
        let took = t.elapsed();
        if took > BLOCKED_AFTER { took } else { Duration::ZERO }
    }

    fn drain_tx_events(&self) -> Vec<TxEvent> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
