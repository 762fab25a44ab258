//! Blake3 hashes: block ids, transaction ids, Merkle nodes, state roots.

use super::codec::{Decode, DecodeError, Encode, Reader, Writer};
use std::fmt;

/// A 32-byte Blake3 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash: the root of an empty tree and the parent of genesis.
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// Blake3 of `data`.
    pub fn of(data: &[u8]) -> Self {
        Hash(*blake3::hash(data).as_bytes())
    }

    /// Blake3 of the concatenation of `parts`, without building the concatenation.
    pub fn of_parts(parts: &[&[u8]]) -> Self {
        let mut h = blake3::Hasher::new();
        for p in parts {
            h.update(p);
        }
        Hash(*h.finalize().as_bytes())
    }

    /// Blake3 in keyed mode of `data` under `key` (a domain's key from `blake3::derive_key`): one compression
    /// for up to 64 bytes, no hasher set up — the node hash of the transaction root and the state tree.
    pub fn keyed(key: &[u8; 32], data: &[u8]) -> Self {
        Hash(*blake3::keyed_hash(key, data).as_bytes())
    }

    /// [`keyed`](Self::keyed) of `left ‖ right` (64 bytes, one compression): an inner node of a binary tree.
    pub fn keyed_pair(key: &[u8; 32], left: &Hash, right: &Hash) -> Self {
        let mut input = [0u8; 64];
        input[..32].copy_from_slice(left.as_bytes());
        input[32..].copy_from_slice(right.as_bytes());
        Self::keyed(key, &input)
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, for logs and JSON.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", &self.to_hex()[..12])
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Encode for Hash {
    fn encode_to(&self, w: &mut Writer) {
        w.fixed(&self.0);
    }
}

impl Decode for Hash {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Hash(r.array()?))
    }
}
