//! An authenticated, encrypted connection between two validators: TCP with the Noise XX handshake (snow), each side
//! proving it holds a validator key.
//!
//! Why Noise over TCP (docs/NETWORK.md has the longer argument): one well-kept crate (`snow`), no certificates, a
//! handshake of three messages whose payloads carry exactly what a validator set needs — each side's Noise static key
//! signed by its validator Ed25519 key, as libp2p-noise binds its identity key. A peer that claims a validator id must
//! sign with that validator's registered key; an unknown id, a bad signature, our own id or (when we dialled) another
//! validator than the one we called is refused before any consensus byte flows.
//!
//! On the wire after the handshake: Noise transport messages, each `length u16 BE · ciphertext` (at most 65,535
//! bytes, the Noise limit), carrying the frames of [`super::frame`] cut into pieces of at most
//! [`MAX_PLAINTEXT`] bytes; the receiver reassembles and decodes them.

use super::class::Class;
use super::frame::{FrameError, decode_payload, frame_payload};
use super::repeats::RecentFrames;
use crate::crypto::{Ed25519Item, ValidatorKeyPair, ed25519_verify};
use crate::types::{Message, ValidatorId};
use snow::{HandshakeState, TransportState};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The Noise protocol: XX (both static keys sent, encrypted), X25519, ChaCha20-Poly1305, BLAKE2s.
pub const NOISE_PARAMS: &str = "Noise_XX_25519_ChaChaPoly_BLAKE2s";

/// Largest Noise message (the protocol's limit).
pub const MAX_NOISE_MESSAGE: usize = 65_535;

/// Largest plaintext piece of one Noise transport message (the limit less the 16-byte tag).
pub const MAX_PLAINTEXT: usize = MAX_NOISE_MESSAGE - 16;

/// Domain of the identity proof: what a validator key signs to vouch for a Noise static key.
const IDENTITY_DOMAIN: &[u8] = b"hsbench/noise-identity/v1";

/// Bytes of an identity proof: validator id (u16 LE) and Ed25519 signature.
const PROOF_BYTES: usize = 2 + 64;

/// How often a receiver blocked on a quiet socket wakes to look at its frame deadline.
const FRAME_POLL: Duration = Duration::from_millis(100);

/// Who this node is on the network: its validator id and keys, the chain, and every validator's Ed25519 key.
pub struct Identity<'a> {
    /// Our validator id.
    pub id: ValidatorId,
    /// Our validator keys (the Ed25519 half signs the identity proof).
    pub keys: &'a ValidatorKeyPair,
    /// Chain id, inside the signed proof (a proof for another chain is refused).
    pub chain_id: u32,
    /// Ed25519 public key of every validator, by id.
    pub validators: &'a HashMap<ValidatorId, [u8; 32]>,
    /// Longest a handshake may take (each read and write), so a silent or byte-a-second peer is dropped.
    pub handshake_timeout: Duration,
    /// Largest frame payload accepted on the connection.
    pub max_payload: usize,
    /// Longest a frame may take to arrive once its first byte has: a peer that trickles a frame (a byte a second)
    /// is cut off instead of holding its reader forever. An idle connection between frames waits as long as it likes.
    pub frame_deadline: Duration,
}

/// Why a handshake failed; the connection is closed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The socket failed or timed out.
    #[error("handshake i/o: {0}")]
    Io(#[from] io::Error),
    /// Noise refused a handshake message (malformed, or not from the key it claims).
    #[error("noise handshake: {0}")]
    Noise(#[from] snow::Error),
    /// The peer's identity proof is not `PROOF_BYTES` long.
    #[error("identity proof of {0} bytes, expected {PROOF_BYTES}")]
    MalformedProof(usize),
    /// The peer claims a validator id that is not in the set.
    #[error("peer claims validator {0}, which is not in the validator set")]
    UnknownValidator(ValidatorId),
    /// The proof's signature is not the claimed validator's over the peer's Noise key.
    #[error("peer's identity proof for validator {0} does not verify")]
    BadProof(ValidatorId),
    /// The peer claims to be us.
    #[error("peer claims our own validator id {0}")]
    SelfConnection(ValidatorId),
    /// We dialled one validator and another answered.
    #[error("dialled validator {expected}, validator {got} answered")]
    UnexpectedPeer {
        /// Whom we called.
        expected: ValidatorId,
        /// Who answered.
        got: ValidatorId,
    },
}

/// Why a receive failed; the connection is closed after any of these but `Closed`, which is the peer's clean end.
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    /// The peer closed the connection between frames.
    #[error("connection closed")]
    Closed,
    /// The socket failed (or the peer closed mid-frame).
    #[error("receive i/o: {0}")]
    Io(#[from] io::Error),
    /// A transport message did not decrypt (tampered, replayed or out of order).
    #[error("noise transport: {0}")]
    Noise(#[from] snow::Error),
    /// The frame inside was refused.
    #[error("{0}")]
    Frame(#[from] FrameError),
    /// A frame that had begun did not complete within the connection's frame deadline (a trickling peer).
    #[error("a frame took longer than {0:?} to arrive")]
    Stalled(Duration),
}

/// An authenticated connection to one validator.
pub struct SecureStream {
    stream: TcpStream,
    noise: TransportState,
    peer: ValidatorId,
    max_payload: usize,
    frame_deadline: Duration,
    /// Decrypted bytes not yet decoded into a frame.
    plain: Vec<u8>,
    /// Scratch for one Noise message.
    buf: Vec<u8>,
}

impl SecureStream {
    /// Runs the handshake as the dialling side on `stream`, refusing any peer but `expect`.
    pub fn connect(stream: TcpStream, me: &Identity<'_>, expect: ValidatorId) -> Result<Self, HandshakeError> {
        let (mut hs, local_public) = handshake_state(true)?;
        let mut stream = with_timeouts(stream, Some(me.handshake_timeout))?;
        let mut buf = vec![0u8; MAX_NOISE_MESSAGE];
        // → e
        let n = hs.write_message(&[], &mut buf)?;
        write_noise(&mut stream, &buf[..n])?;
        // ← e, ee, s, es, proof
        let peer = read_proof(&mut stream, &mut hs, &mut buf, me)?;
        if peer != expect {
            return Err(HandshakeError::UnexpectedPeer { expected: expect, got: peer });
        }
        // → s, se, proof
        let n = hs.write_message(&proof(me, &local_public), &mut buf)?;
        write_noise(&mut stream, &buf[..n])?;
        Self::established(stream, hs, peer, me)
    }

    /// Runs the handshake as the answering side on `stream`; whoever proves a validator key (not ours) is let in.
    pub fn accept(stream: TcpStream, me: &Identity<'_>) -> Result<Self, HandshakeError> {
        let (mut hs, local_public) = handshake_state(false)?;
        let mut stream = with_timeouts(stream, Some(me.handshake_timeout))?;
        let mut buf = vec![0u8; MAX_NOISE_MESSAGE];
        // ← e
        let len = read_noise(&mut stream, &mut buf)?;
        let mut payload = vec![0u8; MAX_NOISE_MESSAGE];
        hs.read_message(&buf[..len], &mut payload)?;
        // → e, ee, s, es, proof
        let n = hs.write_message(&proof(me, &local_public), &mut buf)?;
        write_noise(&mut stream, &buf[..n])?;
        // ← s, se, proof
        let peer = read_proof(&mut stream, &mut hs, &mut buf, me)?;
        Self::established(stream, hs, peer, me)
    }

    fn established(
        stream: TcpStream,
        hs: HandshakeState,
        peer: ValidatorId,
        me: &Identity<'_>,
    ) -> Result<Self, HandshakeError> {
        // Reads wake every poll interval so the receiver can hold a frame that has begun to its deadline.
        let stream = with_timeouts(stream, None)?;
        stream.set_read_timeout(Some(me.frame_deadline.clamp(Duration::from_millis(1), FRAME_POLL)))?;
        stream.set_nodelay(true)?;
        let noise = hs.into_transport_mode()?;
        Ok(SecureStream {
            stream,
            noise,
            peer,
            max_payload: me.max_payload,
            frame_deadline: me.frame_deadline,
            plain: Vec::new(),
            buf: vec![0u8; MAX_NOISE_MESSAGE],
        })
    }

    /// The validator at the other end (proven by the handshake).
    pub fn peer(&self) -> ValidatorId {
        self.peer
    }

    /// The connection as two halves for two threads — one sends, one receives — sharing the Noise session (locked
    /// only to encrypt or decrypt, never across I/O), plus a handle on the socket to shut both down.
    pub fn split(self) -> io::Result<(SecureSender, SecureReceiver, TcpStream)> {
        let noise = Arc::new(Mutex::new(self.noise));
        let sender = SecureSender { stream: self.stream.try_clone()?, noise: noise.clone(), buf: self.buf };
        let socket = self.stream.try_clone()?;
        let receiver = SecureReceiver {
            stream: self.stream,
            noise,
            peer: self.peer,
            max_payload: self.max_payload,
            frame_deadline: self.frame_deadline,
            frame_started: None,
            plain: self.plain,
            buf: vec![0u8; MAX_NOISE_MESSAGE],
            piece: vec![0u8; MAX_NOISE_MESSAGE],
            repeats: None,
            repeated: [0; 3],
            skipped: 0,
        };
        Ok((sender, receiver, socket))
    }
}

/// The sending half of a split [`SecureStream`].
pub struct SecureSender {
    stream: TcpStream,
    noise: Arc<Mutex<TransportState>>,
    buf: Vec<u8>,
}

impl SecureSender {
    /// Sends one encoded frame ([`super::frame::encode_frame`]), cut into Noise transport messages.
    pub fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        for piece in frame.chunks(MAX_PLAINTEXT) {
            let n = lock(&self.noise).write_message(piece, &mut self.buf).map_err(io::Error::other)?;
            write_noise(&mut self.stream, &self.buf[..n])?;
        }
        self.stream.flush()
    }
}

/// A message [`SecureReceiver::recv`] received.
#[derive(Debug)]
pub struct Received {
    /// The message.
    pub message: Message,
    /// Its frame's length (header and payload, as framed before encryption): what holding it costs.
    pub frame: usize,
    /// Bytes read off the socket while receiving it (Noise framing and the repeats dropped on the way included;
    /// zero when its frame came in with an earlier one): what reading it cost.
    pub read: usize,
}

/// The receiving half of a split [`SecureStream`].
pub struct SecureReceiver {
    stream: TcpStream,
    noise: Arc<Mutex<TransportState>>,
    peer: ValidatorId,
    max_payload: usize,
    frame_deadline: Duration,
    /// When the first byte of the frame now arriving came (`None` between frames).
    frame_started: Option<Instant>,
    plain: Vec<u8>,
    /// One Noise message as read off the socket.
    buf: Vec<u8>,
    /// Its decryption (reused, not allocated per message).
    piece: Vec<u8>,
    /// The frames read in the last repeat window, when repeats are dropped ([`SecureReceiver::drop_repeats`]).
    repeats: Option<RecentFrames>,
    /// Repeats dropped since [`SecureReceiver::take_repeated`] last looked, by class.
    repeated: [u64; 3],
    /// Frames the caller chose to skip undecoded since [`SecureReceiver::take_skipped`] last looked.
    skipped: u64,
}

impl SecureReceiver {
    /// From now on, a frame that repeats one read within `window` (byte for byte) is dropped before it is decoded
    /// and counted by class instead of returned (`network/repeats.rs` says why).
    pub fn drop_repeats(&mut self, window: Duration) {
        self.repeats = Some(RecentFrames::new(window));
    }

    /// Repeats dropped since the last call, by class (`Class as usize`), and the count restarted.
    pub fn take_repeated(&mut self) -> [u64; 3] {
        std::mem::take(&mut self.repeated)
    }

    /// Frames skipped undecoded ([`SecureReceiver::recv_skipping`]) since the last call, and the count restarted.
    pub fn take_skipped(&mut self) -> u64 {
        std::mem::take(&mut self.skipped)
    }

    /// The validator at the other end.
    pub fn peer(&self) -> ValidatorId {
        self.peer
    }

    /// Receives the next message, reading and decrypting transport messages until a whole frame is in.
    pub fn recv(&mut self) -> Result<Received, RecvError> {
        self.recv_skipping(&mut |_, _| false)
    }

    /// [`SecureReceiver::recv`], but a whole, non-repeated frame for which `skip(class, payload bytes)` says so is
    /// dropped before it is decoded and counted ([`SecureReceiver::take_skipped`]): what the caller would drop anyway
    /// (a barred or throttled peer's gossip) costs no decoding.
    pub fn recv_skipping(&mut self, skip: &mut dyn FnMut(Class, usize) -> bool) -> Result<Received, RecvError> {
        let mut read = 0;
        loop {
            if let Some((class, payload)) = frame_payload(&self.plain, self.max_payload)? {
                let used = payload.end;
                let repeat =
                    self.repeats.as_mut().is_some_and(|r| r.is_repeat(&self.plain[payload.clone()], Instant::now()));
                let skipped = !repeat && skip(class, payload.len());
                let message = if repeat || skipped { None } else { Some(decode_payload(class, &self.plain[payload])?) };
                self.plain.drain(..used);
                // The next frame's clock starts with its first byte, which may already be here.
                self.frame_started = (!self.plain.is_empty()).then(Instant::now);
                if let Some(message) = message {
                    return Ok(Received { message, frame: used, read });
                }
                if skipped {
                    self.skipped += 1;
                } else {
                    self.repeated[class as usize] += 1;
                }
                continue;
            }
            self.fill(2)?;
            let len = usize::from(u16::from_be_bytes([self.buf[0], self.buf[1]]));
            self.fill(len)?;
            read += 2 + len;
            let n = lock(&self.noise).read_message(&self.buf[..len], &mut self.piece)?;
            self.plain.extend_from_slice(&self.piece[..n]);
        }
    }

    /// Reads exactly `want` bytes into the start of the message buffer: waiting as long as it likes between frames
    /// (the socket's read timeout only wakes it), at most until the frame deadline once a frame has begun. The
    /// peer's clean close between frames is [`RecvError::Closed`]; one mid-frame is an I/O error.
    fn fill(&mut self, want: usize) -> Result<(), RecvError> {
        let mut at = 0;
        while at < want {
            match self.stream.read(&mut self.buf[at..want]) {
                Ok(0) if at == 0 && self.frame_started.is_none() => return Err(RecvError::Closed),
                Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
                Ok(n) => {
                    self.frame_started.get_or_insert_with(Instant::now);
                    at += n;
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    if self.frame_started.is_some_and(|t| t.elapsed() > self.frame_deadline) {
                        return Err(RecvError::Stalled(self.frame_deadline));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// The Noise session, even if a thread panicked while holding it (the session state is then as it left it).
fn lock(noise: &Mutex<TransportState>) -> std::sync::MutexGuard<'_, TransportState> {
    noise.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fresh Noise handshake state with a new static key (bound to the validator key by the proof), and that key.
fn handshake_state(initiator: bool) -> Result<(HandshakeState, Vec<u8>), HandshakeError> {
    let params: snow::params::NoiseParams = NOISE_PARAMS.parse()?;
    let builder = snow::Builder::new(params);
    let keys = builder.generate_keypair()?;
    let builder = builder.local_private_key(&keys.private);
    let hs = if initiator { builder.build_initiator()? } else { builder.build_responder()? };
    Ok((hs, keys.public))
}

/// What a validator key signs for Noise static key `noise_key` on `chain_id`.
fn proof_message(chain_id: u32, noise_key: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(IDENTITY_DOMAIN.len() + 4 + noise_key.len());
    m.extend_from_slice(IDENTITY_DOMAIN);
    m.extend_from_slice(&chain_id.to_le_bytes());
    m.extend_from_slice(noise_key);
    m
}

/// Our identity proof for our Noise static key.
fn proof(me: &Identity<'_>, noise_key: &[u8]) -> Vec<u8> {
    let mut p = me.id.to_le_bytes().to_vec();
    p.extend_from_slice(&me.keys.sign_ed25519(&proof_message(me.chain_id, noise_key)));
    p
}

/// Reads the handshake message carrying the peer's static key and proof; returns the proven validator id.
fn read_proof(
    stream: &mut TcpStream,
    hs: &mut HandshakeState,
    buf: &mut [u8],
    me: &Identity<'_>,
) -> Result<ValidatorId, HandshakeError> {
    let len = read_noise(stream, buf)?;
    let mut payload = vec![0u8; MAX_NOISE_MESSAGE];
    let n = hs.read_message(&buf[..len], &mut payload)?;
    let p = &payload[..n];
    let (Some(id), Some(signature)) = (p.get(..2), p.get(2..PROOF_BYTES).filter(|_| n == PROOF_BYTES)) else {
        return Err(HandshakeError::MalformedProof(n));
    };
    let id = ValidatorId::from_le_bytes([id[0], id[1]]);
    if id == me.id {
        return Err(HandshakeError::SelfConnection(id));
    }
    let key = me.validators.get(&id).ok_or(HandshakeError::UnknownValidator(id))?;
    let remote = hs.get_remote_static().ok_or(HandshakeError::BadProof(id))?;
    let message = proof_message(me.chain_id, remote);
    let mut sig = [0u8; 64];
    sig.copy_from_slice(signature);
    if !ed25519_verify(&Ed25519Item { public_key: key, message: &message, signature: &sig }) {
        return Err(HandshakeError::BadProof(id));
    }
    Ok(id)
}

fn with_timeouts(stream: TcpStream, timeout: Option<Duration>) -> io::Result<TcpStream> {
    stream.set_read_timeout(timeout)?;
    stream.set_write_timeout(timeout)?;
    Ok(stream)
}

/// Writes one Noise message with its length prefix.
fn write_noise(stream: &mut TcpStream, message: &[u8]) -> io::Result<()> {
    let len = u16::try_from(message.len()).map_err(|_| io::Error::other("noise message over 65,535 bytes"))?;
    stream.write_all(&len.to_be_bytes())?;
    stream.write_all(message)
}

/// Reads one length-prefixed Noise message into `buf`; returns its length.
fn read_noise(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let len = u16::from_be_bytes(len) as usize;
    let into = buf.get_mut(..len).ok_or_else(|| io::Error::other("noise message longer than the buffer"))?;
    stream.read_exact(into)?;
    Ok(len)
}
