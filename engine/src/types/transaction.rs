//! Ed25519-signed transfer transactions.

use super::codec::{self, Decode, DecodeError, Encode, Reader, Writer};
use super::hash::Hash;
use ed25519_dalek::{Signer, SigningKey};

/// An account is named by its owner's Ed25519 public key.
pub type AccountId = [u8; 32];

/// Largest memo a transaction may carry (bytes); lets workloads vary transaction size.
pub const MAX_MEMO_BYTES: usize = 4096;

/// Domain tag in front of every transaction signing message, so a transaction signature can never be
/// replayed as any other signed object.
pub const TX_SIGNING_DOMAIN: &[u8] = b"hsbench/tx/v1";

/// A signed transfer of `amount` from `sender` to `recipient`, paying `fee` (burnt), valid once at `nonce`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// Chain the transaction is valid on (replay protection across networks).
    pub chain_id: u32,
    /// Sender account = the Ed25519 public key that signed.
    pub sender: AccountId,
    /// Recipient account.
    pub recipient: AccountId,
    /// Amount moved.
    pub amount: u64,
    /// Fee burnt on execution; orders the mempool.
    pub fee: u64,
    /// Per-sender sequence number; the account's next nonce must equal it at execution.
    pub nonce: u64,
    /// Opaque payload, only to vary transaction size.
    pub memo: Vec<u8>,
    /// Ed25519 signature over [`Transaction::signing_message`].
    pub signature: [u8; 64],
}

impl Transaction {
    /// Builds and signs a transfer with `key` (the sender).
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        key: &SigningKey,
        chain_id: u32,
        recipient: AccountId,
        amount: u64,
        fee: u64,
        nonce: u64,
        memo: Vec<u8>,
    ) -> Self {
        let mut tx = Transaction {
            chain_id,
            sender: key.verifying_key().to_bytes(),
            recipient,
            amount,
            fee,
            nonce,
            memo,
            signature: [0u8; 64],
        };
        tx.signature = key.sign(&tx.signing_message()).to_bytes();
        tx
    }

    /// The bytes the sender signs: domain tag + every field except the signature.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(TX_SIGNING_DOMAIN.len() + 100 + self.memo.len());
        w.fixed(TX_SIGNING_DOMAIN);
        self.encode_unsigned(&mut w);
        w.finish()
    }

    fn encode_unsigned(&self, w: &mut Writer) {
        w.u32(self.chain_id)
            .fixed(&self.sender)
            .fixed(&self.recipient)
            .u64(self.amount)
            .u64(self.fee)
            .u64(self.nonce)
            .bytes(&self.memo);
    }

    /// Transaction id: Blake3 of the canonical encoding (signature included).
    pub fn hash(&self) -> Hash {
        Hash::of(&codec::encode(self))
    }

    /// The id ([`hash`](Self::hash)) of each of `txs`, in order, hashed side by side
    /// ([`hash_many`](super::hash_many::hash_many): transactions of one encoded length share the SIMD lanes).
    pub fn ids<'a>(txs: impl IntoIterator<Item = &'a Transaction>) -> Vec<Hash> {
        let encoded: Vec<Vec<u8>> = txs.into_iter().map(codec::encode).collect();
        let mut ids = Vec::with_capacity(encoded.len());
        super::hash_many::hash_many(None, &encoded, &mut ids);
        ids
    }

    /// Size of the canonical encoding in bytes (block-size accounting and mempool limits).
    pub fn encoded_len(&self) -> usize {
        Self::encoded_len_with_memo(self.memo.len())
    }

    /// Size of the canonical encoding of any transaction carrying a memo of `memo_bytes` (workload sizing,
    /// the smallest possible transaction).
    pub fn encoded_len_with_memo(memo_bytes: usize) -> usize {
        1 + 4 + 32 + 32 + 8 * 3 + 4 + memo_bytes + 64
    }

    /// amount + fee, or None on overflow (such a transaction can never be afforded).
    pub fn total_cost(&self) -> Option<u64> {
        self.amount.checked_add(self.fee)
    }
}

impl Encode for Transaction {
    fn encode_to(&self, w: &mut Writer) {
        self.encode_unsigned(w);
        w.fixed(&self.signature);
    }
}

impl Decode for Transaction {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Transaction {
            chain_id: r.u32()?,
            sender: r.array()?,
            recipient: r.array()?,
            amount: r.u64()?,
            fee: r.u64()?,
            nonce: r.u64()?,
            memo: r.bytes("memo", MAX_MEMO_BYTES)?,
            signature: r.array()?,
        })
    }
}
