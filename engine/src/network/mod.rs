//! The network between validators, at the runtime's edge (I/O lives here; the state machines stay sans-IO): frames
//! carrying the canonical encoding ([`frame`]), priority classes ([`Class`]), one bounded send queue per peer
//! ([`SendQueue`]), the authenticated, encrypted connection ([`SecureStream`]: TCP + Noise XX, each side proving a
//! validator key), and a validator's [`Network`]: a connection per peer kept up with back-off, queues that outlive
//! connections, counters per peer, and the transport's own link filter ([`LinkShaper`]) that fault schedules use
//! where the kernel cannot impair packets. The pipeline runs it as its `network` stage (`runtime/pipeline/wire.rs`);
//! docs/NETWORK.md says what is built and what is not.

mod bounds;
mod class;
pub mod client;
#[cfg(test)]
mod client_tests;
pub mod frame;
mod held;
mod link_filter;
mod peers;
mod rate_limit;
mod refusal_log;
mod repeats;
mod secure;
mod send_queue;
mod thread_set;

#[cfg(test)]
mod tests;

pub use bounds::PeerBounds;
pub use class::Class;
pub use frame::{FrameError, decode_frame, encode_frame, frame_payload};
#[cfg(test)]
pub(crate) use held::HeldAccount;
pub use held::{HELD_BYTES_PER_PEER, Held};
pub use link_filter::{LinkRule, LinkRuleError, LinkShaper, Verdict};
pub use peers::{
    Backoff, INBOX_CAPACITY, Inbound, LinkError, MAX_HANDSHAKES, MAX_HANDSHAKES_PER_SOURCE, Me, Network, NetworkConfig,
    PeerStats, SendError, ThreadHook,
};
pub use rate_limit::{PEER_RATE, PeerRate, RateLimiter, THROTTLE_DIVISOR};
pub use refusal_log::{LOG_INTERVAL, RefusalLog};
pub use repeats::{REPEAT_MEMORY, REPEAT_WINDOW, RecentFrames};
pub use secure::{
    HandshakeError, Identity, MAX_PLAINTEXT, NOISE_PARAMS, Received, RecvError, SecureReceiver, SecureSender,
    SecureStream,
};
pub use send_queue::{Overloaded, QueueLimits, SendQueue};
