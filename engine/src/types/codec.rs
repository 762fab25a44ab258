//! Canonical, versioned binary encoding.
//!
//! Every consensus object has exactly one byte encoding: fixed-width little-endian integers, length-prefixed
//! (u32) byte strings and lists, a leading format version on top-level objects. Hashes and signatures are
//! computed over these bytes, so two nodes can never disagree about what was signed. Decoding never panics:
//! every malformed input yields a [`DecodeError`].

use thiserror::Error;

/// Version byte written in front of every top-level encoded object.
pub const ENCODING_VERSION: u8 = 1;

/// Upper bound on any length prefix, so a corrupt prefix cannot make a decoder allocate gigabytes.
pub const MAX_LEN: usize = 16 * 1024 * 1024;

/// Why a byte string is not a valid encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input ended before the object did.
    #[error("truncated input: needed {needed} more bytes at offset {offset}")]
    Truncated { offset: usize, needed: usize },
    /// The leading version byte is not one this build reads.
    #[error("unsupported encoding version {found} (expected {expected})")]
    Version { found: u8, expected: u8 },
    /// An enum tag that names no variant.
    #[error("invalid tag {tag} for {what}")]
    Tag { what: &'static str, tag: u8 },
    /// A length prefix above [`MAX_LEN`] or a fixed-size field of the wrong length.
    #[error("invalid length {len} for {what}")]
    Length { what: &'static str, len: usize },
    /// Bytes left over after a complete object.
    #[error("{extra} trailing bytes after the object")]
    Trailing { extra: usize },
    /// A field whose value breaks an invariant of its type.
    #[error("invalid value for {what}")]
    Invalid { what: &'static str },
}

/// Appends canonical encodings to a byte buffer.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { buf: Vec::with_capacity(capacity) }
    }
    /// Writes one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    /// Writes a little-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Writes a little-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Writes a little-endian u64.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Writes fixed-size bytes with no prefix.
    pub fn fixed(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }
    /// Writes a u32 length prefix and the bytes.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.fixed(v)
    }
    /// Writes any encodable value.
    pub fn put<T: Encode + ?Sized>(&mut self, v: &T) -> &mut Self {
        v.encode_to(self);
        self
    }
    /// Writes a u32 count then each item.
    pub fn list<T: Encode>(&mut self, items: &[T]) -> &mut Self {
        self.u32(items.len() as u32);
        for item in items {
            item.encode_to(self);
        }
        self
    }
    /// Writes a presence byte (0/1) and the value if present.
    pub fn option<T: Encode>(&mut self, v: &Option<T>) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(x) => self.u8(1).put(x),
        }
    }
    /// The bytes written so far.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads canonical encodings from a byte slice, checking every bound.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or(DecodeError::Truncated { offset: self.pos, needed: n.saturating_sub(self.data.len() - self.pos) })?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    /// Reads a little-endian u16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    /// Reads a little-endian u32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// Reads a little-endian u64.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let s = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }
    /// Reads a length prefix, bounded by `max` and [`MAX_LEN`].
    pub fn len(&mut self, what: &'static str, max: usize) -> Result<usize, DecodeError> {
        let len = self.u32()? as usize;
        if len > max.min(MAX_LEN) {
            return Err(DecodeError::Length { what, len });
        }
        Ok(len)
    }
    /// Reads a u32-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, what: &'static str, max: usize) -> Result<Vec<u8>, DecodeError> {
        let len = self.len(what, max)?;
        Ok(self.take(len)?.to_vec())
    }
    /// Reads any decodable value.
    pub fn get<T: Decode>(&mut self) -> Result<T, DecodeError> {
        T::decode_from(self)
    }
    /// Reads a u32 count (at most `max`) then that many items.
    pub fn list<T: Decode>(&mut self, what: &'static str, max: usize) -> Result<Vec<T>, DecodeError> {
        let n = self.len(what, max)?;
        let mut out = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            out.push(T::decode_from(self)?);
        }
        Ok(out)
    }
    /// Reads a presence byte and the value if present; any byte other than 0/1 is rejected.
    pub fn option<T: Decode>(&mut self, what: &'static str) -> Result<Option<T>, DecodeError> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(T::decode_from(self)?)),
            tag => Err(DecodeError::Tag { what, tag }),
        }
    }
    /// Fails unless every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.data.len() - self.pos {
            0 => Ok(()),
            extra => Err(DecodeError::Trailing { extra }),
        }
    }
}

/// A type with one canonical encoding.
pub trait Encode {
    /// Appends the canonical encoding (without version byte).
    fn encode_to(&self, w: &mut Writer);
}

/// A type that can be read back from its canonical encoding.
pub trait Decode: Sized {
    /// Reads one value (without version byte).
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

/// Encodes a top-level object: version byte + canonical encoding.
pub fn encode<T: Encode + ?Sized>(v: &T) -> Vec<u8> {
    let mut w = Writer::with_capacity(256);
    w.u8(ENCODING_VERSION).put(v);
    w.finish()
}

/// Decodes a top-level object, rejecting a wrong version and trailing bytes.
pub fn decode<T: Decode>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut r = Reader::new(bytes);
    let version = r.u8()?;
    if version != ENCODING_VERSION {
        return Err(DecodeError::Version { found: version, expected: ENCODING_VERSION });
    }
    let v = T::decode_from(&mut r)?;
    r.finish()?;
    Ok(v)
}

macro_rules! int_codec {
    ($($t:ident),*) => {$(
        impl Encode for $t {
            fn encode_to(&self, w: &mut Writer) {
                w.$t(*self);
            }
        }
        impl Decode for $t {
            fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                r.$t()
            }
        }
    )*};
}
int_codec!(u8, u16, u32, u64);

impl<const N: usize> Encode for [u8; N] {
    fn encode_to(&self, w: &mut Writer) {
        w.fixed(self);
    }
}
impl<const N: usize> Decode for [u8; N] {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.array()
    }
}
