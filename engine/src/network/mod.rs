//! The network between validators, at the runtime's edge (I/O lives here; the state machines stay sans-IO): frames
//! carrying the canonical encoding ([`frame`]), priority classes ([`Class`]), one bounded send queue per peer
//! ([`SendQueue`]), the authenticated, encrypted connection ([`SecureStream`]: TCP + Noise XX, each side proving a
//! validator key), and a validator's [`Network`]: a connection per peer kept up with back-off, queues that outlive
//! connections, counters per peer.
//!
//! Not here yet (docs/NETWORK.md): the network as a stage of the pinned pipeline, gossip and sync driven by the node
//! over it, per-peer metrics in results, and the `node` / `cluster` commands.

mod class;
pub mod client;
#[cfg(test)]
mod client_tests;
pub mod frame;
mod peers;
mod refusal_log;
mod secure;
mod send_queue;
mod thread_set;

#[cfg(test)]
mod tests;

pub use class::Class;
pub use frame::{FrameError, decode_frame, encode_frame};
pub use peers::{Backoff, Me, Network, NetworkConfig, PeerStats, SendError, ThreadHook};
pub use refusal_log::{LOG_INTERVAL, RefusalLog};
pub use secure::{
    HandshakeError, Identity, MAX_PLAINTEXT, NOISE_PARAMS, RecvError, SecureReceiver, SecureSender, SecureStream,
};
pub use send_queue::{Overloaded, QueueLimits, SendQueue};
