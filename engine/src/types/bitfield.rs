//! Signer bitfields: which committee positions signed a certificate.

use super::codec::{Decode, DecodeError, Encode, Reader, Writer};

/// Largest committee a bitfield can describe.
pub const MAX_COMMITTEE: usize = 4096;

/// A fixed-length set of committee positions. Canonical: bits past `len` are zero.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SignerBitfield {
    len: u16,
    bytes: Vec<u8>,
}

impl SignerBitfield {
    /// An empty set over a committee of `len` positions.
    pub fn new(len: usize) -> Self {
        let len = len.min(MAX_COMMITTEE);
        SignerBitfield { len: len as u16, bytes: vec![0; len.div_ceil(8)] }
    }
    /// Committee size this bitfield describes.
    pub fn len(&self) -> usize {
        self.len as usize
    }
    /// True when the committee size is zero.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Marks `pos`; returns false if it is out of range.
    pub fn set(&mut self, pos: usize) -> bool {
        if pos >= self.len() {
            return false;
        }
        self.bytes[pos / 8] |= 1 << (pos % 8);
        true
    }
    /// Whether `pos` is marked.
    pub fn get(&self, pos: usize) -> bool {
        pos < self.len() && self.bytes[pos / 8] & (1 << (pos % 8)) != 0
    }
    /// Marked positions in increasing order.
    pub fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).filter(|&p| self.get(p))
    }
    /// Number of marked positions.
    pub fn count(&self) -> usize {
        self.bytes.iter().map(|b| b.count_ones() as usize).sum()
    }
}

impl Encode for SignerBitfield {
    fn encode_to(&self, w: &mut Writer) {
        w.u16(self.len).fixed(&self.bytes);
    }
}

impl Decode for SignerBitfield {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let len = r.u16()? as usize;
        if len > MAX_COMMITTEE {
            return Err(DecodeError::Length { what: "signer bitfield", len });
        }
        let mut bytes = vec![0u8; len.div_ceil(8)];
        for b in bytes.iter_mut() {
            *b = r.u8()?;
        }
        if let Some(last) = bytes.last()
            && !len.is_multiple_of(8)
            && last >> (len % 8) != 0
        {
            return Err(DecodeError::Invalid { what: "signer bitfield padding" });
        }
        Ok(SignerBitfield { len: len as u16, bytes })
    }
}
