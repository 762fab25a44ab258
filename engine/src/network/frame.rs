//! Frames: how one consensus message travels on a connection between validators.
//!
//! ```text
//! version u8 (FRAME_VERSION) · class u8 (Class) · length u32 LE · payload (the message's canonical encoding)
//! ```
//!
//! The header is checked before the payload is awaited: a wrong version, an unknown class or a length over the
//! limit is refused as soon as its six bytes are in, so a peer cannot make the reader buffer more than the limit.
//! The class must be the message's own ([`Class::of`]): a peer cannot jump the consensus queue with gossip.

use super::class::Class;
use crate::types::{DecodeError, Message, codec};

/// Version of the frame layout (the payload carries its own encoding version).
pub const FRAME_VERSION: u8 = 1;

/// Bytes before the payload: version, class, length.
pub const HEADER_BYTES: usize = 6;

/// Why a frame was refused. Every refusal closes the connection that sent it (the stream cannot be resynchronised
/// after a bad header) and is counted by the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The first byte is not [`FRAME_VERSION`].
    #[error("frame version {found}, expected {FRAME_VERSION}")]
    Version {
        /// The byte found.
        found: u8,
    },
    /// The class byte names no [`Class`].
    #[error("unknown frame class {found}")]
    Class {
        /// The byte found.
        found: u8,
    },
    /// The announced payload is longer than the limit.
    #[error("frame payload of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The payload is not a message's canonical encoding.
    #[error("frame payload: {0}")]
    Payload(#[from] DecodeError),
    /// The header's class is not the message's.
    #[error("frame says {claimed} but carries a {actual} message")]
    ClassMismatch {
        /// Class in the header.
        claimed: &'static str,
        /// Class of the decoded message.
        actual: &'static str,
    },
}

/// The frame carrying `message`.
pub fn encode_frame(message: &Message) -> Vec<u8> {
    let payload = codec::encode(message);
    let mut out = Vec::with_capacity(HEADER_BYTES + payload.len());
    out.push(FRAME_VERSION);
    out.push(Class::of(message).tag());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Reads the frame at the front of `buf` (payloads of at most `max_payload` bytes): `Ok(None)` while more bytes are
/// needed, `Ok(Some((message, bytes consumed)))` once a whole frame is in, an error as soon as the bytes in show the
/// frame is bad.
pub fn decode_frame(buf: &[u8], max_payload: usize) -> Result<Option<(Message, usize)>, FrameError> {
    let Some((class, payload)) = frame_payload(buf, max_payload)? else { return Ok(None) };
    let used = payload.end;
    Ok(Some((decode_payload(class, &buf[payload])?, used)))
}

/// The message in a frame's payload, which must be of the header's `class`.
pub fn decode_payload(class: Class, payload: &[u8]) -> Result<Message, FrameError> {
    let message: Message = codec::decode(payload)?;
    let actual = Class::of(&message);
    if actual != class {
        return Err(FrameError::ClassMismatch { claimed: class.name(), actual: actual.name() });
    }
    Ok(message)
}

/// The header's class and where the payload lies in `buf` (its end is the frame's length) once a whole frame is in,
/// before the payload is decoded; `Ok(None)` while more bytes are needed; the header's errors as [`decode_frame`].
pub fn frame_payload(buf: &[u8], max_payload: usize) -> Result<Option<(Class, std::ops::Range<usize>)>, FrameError> {
    let Some(header) = buf.get(..HEADER_BYTES) else {
        // Refuse a bad version or class from the first bytes on.
        if let Some(&v) = buf.first().filter(|&&v| v != FRAME_VERSION) {
            return Err(FrameError::Version { found: v });
        }
        if let Some(&c) = buf.get(1).filter(|&&c| Class::from_tag(c).is_none()) {
            return Err(FrameError::Class { found: c });
        }
        return Ok(None);
    };
    if header[0] != FRAME_VERSION {
        return Err(FrameError::Version { found: header[0] });
    }
    let class = Class::from_tag(header[1]).ok_or(FrameError::Class { found: header[1] })?;
    let len = u32::from_le_bytes([header[2], header[3], header[4], header[5]]) as usize;
    if len > max_payload {
        return Err(FrameError::TooLarge { len, max: max_payload });
    }
    if buf.len() < HEADER_BYTES + len {
        return Ok(None);
    }
    Ok(Some((class, HEADER_BYTES..HEADER_BYTES + len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Height;
    use proptest::prelude::*;

    const MAX: usize = 1 << 20;

    fn sync_request(from_height: Height) -> Message {
        Message::SyncRequest { from_height }
    }

    #[test]
    fn a_frame_round_trips_and_reports_its_length() {
        let frame = encode_frame(&sync_request(7));
        assert_eq!(frame[..2], [FRAME_VERSION, Class::Sync.tag()]);
        assert_eq!(decode_frame(&frame, MAX), Ok(Some((sync_request(7), frame.len()))));
        // Two frames back to back: the first is read, the rest left for the next call.
        let mut two = frame.clone();
        two.extend(encode_frame(&Message::TxGossip(Vec::new())));
        let (first, used) = decode_frame(&two, MAX).expect("valid").expect("whole");
        assert_eq!((first, used), (sync_request(7), frame.len()));
        assert_eq!(decode_frame(&two[used..], MAX).expect("valid").map(|(m, _)| m), Some(Message::TxGossip(vec![])));
    }

    #[test]
    fn bad_headers_are_refused_before_the_payload_arrives() {
        assert_eq!(decode_frame(&[9], MAX), Err(FrameError::Version { found: 9 }));
        assert_eq!(decode_frame(&[FRAME_VERSION, 77], MAX), Err(FrameError::Class { found: 77 }));
        let mut huge = vec![FRAME_VERSION, Class::Gossip.tag()];
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_frame(&huge, MAX), Err(FrameError::TooLarge { len: u32::MAX as usize, max: MAX }));
        assert_eq!(decode_frame(&[], MAX), Ok(None));
        assert_eq!(decode_frame(&[FRAME_VERSION, Class::Consensus.tag(), 1], MAX), Ok(None));
    }

    #[test]
    fn a_payload_that_is_not_its_class_or_not_a_message_is_refused() {
        let mut frame = encode_frame(&sync_request(1));
        frame[1] = Class::Consensus.tag();
        assert_eq!(decode_frame(&frame, MAX), Err(FrameError::ClassMismatch { claimed: "consensus", actual: "sync" }));
        let mut garbage = encode_frame(&sync_request(1));
        let last = garbage.len() - 1;
        garbage[HEADER_BYTES] ^= 0xff; // the payload's encoding version
        assert!(matches!(decode_frame(&garbage, MAX), Err(FrameError::Payload(_))));
        garbage[last] ^= 0xff;
        assert!(decode_frame(&garbage, MAX).is_err());
    }

    proptest! {
        /// Any bytes: an error, a request for more, or one frame whose length is within the buffer — never a panic;
        /// and every strict prefix of a valid frame asks for more bytes.
        #[test]
        fn any_bytes_decode_or_are_refused_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..64), h in any::<u64>()) {
            if let Ok(Some((_, used))) = decode_frame(&bytes, 64) {
                prop_assert!(used <= bytes.len());
            }
            let frame = encode_frame(&sync_request(h));
            for cut in 0..frame.len() {
                prop_assert_eq!(decode_frame(&frame[..cut], MAX), Ok(None));
            }
        }
    }
}
