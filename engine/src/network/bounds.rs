//! What one peer may make a validator do — hold, read, repeat — in one place, so a validator's configuration
//! (`[wire]` in the harness) sets them together.

use super::held::HELD_BYTES_PER_PEER;
use super::rate_limit::{PEER_RATE, PeerRate};
use super::repeats::REPEAT_WINDOW;
use std::time::Duration;

/// The bounds on each peer of a validator's network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerBounds {
    /// Most bytes of received messages not yet taken up that one peer may make us hold (a message arriving over it
    /// waits, unread; one larger than this still passes alone).
    pub held_bytes: usize,
    /// How fast each peer is read ([`PeerRate::UNLIMITED`]: as fast as it comes).
    pub rate: PeerRate,
    /// A frame repeating, byte for byte, one the same connection brought within this window is dropped unread and
    /// counted (zero hears every copy).
    pub repeat_window: Duration,
}

impl Default for PeerBounds {
    /// [`HELD_BYTES_PER_PEER`], [`PEER_RATE`], [`REPEAT_WINDOW`].
    fn default() -> Self {
        PeerBounds { held_bytes: HELD_BYTES_PER_PEER, rate: PEER_RATE, repeat_window: REPEAT_WINDOW }
    }
}
