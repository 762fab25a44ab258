//! The network between validators, at the runtime's edge (I/O lives here; the state machines stay sans-IO): frames
//! carrying the canonical encoding ([`frame`]), priority classes ([`Class`]), one bounded send queue per peer
//! ([`SendQueue`]) and the authenticated, encrypted connection ([`SecureStream`]: TCP + Noise XX, each side proving a
//! validator key).
//!
//! Not here yet (docs/NETWORK.md): the network stage that owns the connections in the pinned pipeline, dialling and
//! reconnection with back-off, gossip and sync over these connections, per-peer metrics in results, and the
//! `node` / `cluster` commands.

mod class;
pub mod frame;
mod secure;
mod send_queue;

#[cfg(test)]
mod tests;

pub use class::Class;
pub use frame::{FrameError, decode_frame, encode_frame};
pub use secure::{HandshakeError, Identity, MAX_PLAINTEXT, NOISE_PARAMS, RecvError, SecureStream};
pub use send_queue::{Overloaded, QueueLimits, SendQueue};
