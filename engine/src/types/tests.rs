//! Property tests for the canonical encoding: round trip, truncation, bit flips.

use super::*;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;

fn arb_hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}

fn arb_tx() -> impl Strategy<Value = Transaction> {
    (
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(seed, to, amount, fee, nonce, memo)| {
            Transaction::signed(&SigningKey::from_bytes(&seed), 7, to, amount, fee, nonce, memo)
        })
}

fn arb_bitfield() -> impl Strategy<Value = SignerBitfield> {
    (0usize..20, prop::collection::vec(any::<usize>(), 0..20)).prop_map(|(len, picks)| {
        let mut b = SignerBitfield::new(len);
        for p in picks {
            if len > 0 {
                b.set(p % len);
            }
        }
        b
    })
}

fn arb_qc() -> impl Strategy<Value = QuorumCertificate> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        arb_hash(),
        arb_hash(),
        arb_bitfield(),
        prop::collection::vec(any::<u8>(), 0..100),
    )
        .prop_map(|(epoch, round, height, block_hash, parent_hash, signers, aggregate)| QuorumCertificate {
            epoch,
            round,
            height,
            block_hash,
            parent_hash,
            signers,
            aggregate,
        })
}

fn arb_block() -> impl Strategy<Value = Block> {
    (arb_qc(), prop::collection::vec(arb_tx(), 0..4), any::<u64>(), any::<u16>(), arb_hash()).prop_map(
        |(qc, txs, round, proposer, root)| Block {
            header: BlockHeader {
                chain_id: 7,
                height: qc.height.wrapping_add(1),
                epoch: qc.epoch,
                round,
                parent_hash: qc.block_hash,
                parent_qc: qc,
                proposer,
                timestamp_ms: 99,
                tx_root: tx_root(&txs),
                tx_count: txs.len() as u32,
                exec_height: 3,
                exec_state_root: root,
            },
            txs: txs.into(),
        },
    )
}

fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (arb_block(), prop::option::of(arb_qc()), any::<[u8; 32]>()).prop_map(|(block, qc, sig)| {
            let tc = qc.map(|high_qc| TimeoutCertificate {
                epoch: 1,
                round: 2,
                high_qc,
                signers: SignerBitfield::new(4),
                aggregate: vec![1, 2, 3],
            });
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&sig);
            Message::Proposal(Proposal { block, tc, signature })
        }),
        (arb_hash(), arb_hash(), any::<u16>(), prop::collection::vec(any::<u8>(), 0..=192)).prop_map(
            |(b, p, voter, signature)| {
                Message::Vote(Vote { epoch: 1, round: 5, height: 9, block_hash: b, parent_hash: p, voter, signature })
            }
        ),
        (arb_qc(), any::<u16>(), any::<bool>()).prop_map(|(high_qc, voter, with_tc)| {
            let last_tc = with_tc.then(|| TimeoutCertificate {
                epoch: 0,
                round: 3,
                high_qc: high_qc.clone(),
                signers: SignerBitfield::new(4),
                aggregate: vec![4, 5, 6],
            });
            Message::Timeout(TimeoutVote { epoch: 0, round: 4, high_qc, voter, signature: vec![9; 64], last_tc })
        }),
        (arb_qc(), any::<u64>()).prop_map(|(high_qc, round)| {
            let mut signers = SignerBitfield::new(4);
            signers.set(1);
            Message::TimeoutCertificate(TimeoutCertificate {
                epoch: 2,
                round,
                high_qc,
                signers,
                aggregate: vec![7; 96],
            })
        }),
        prop::collection::vec(arb_tx(), 0..3).prop_map(Message::TxGossip),
        any::<u64>().prop_map(|from_height| Message::SyncRequest { from_height }),
        (arb_block(), prop::option::of(arb_qc()))
            .prop_map(|(block, qc)| Message::SyncResponse(vec![SyncEntry { block, qc }])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn messages_round_trip(msg in arb_message()) {
        let bytes = encode(&msg);
        prop_assert_eq!(decode::<Message>(&bytes), Ok(msg));
    }

    #[test]
    fn every_truncation_is_rejected(msg in arb_message()) {
        let bytes = encode(&msg);
        for cut in 0..bytes.len() {
            prop_assert!(decode::<Message>(&bytes[..cut]).is_err(), "prefix of {} bytes decoded", cut);
        }
    }

    #[test]
    fn every_bit_flip_is_rejected_or_changes_the_hash(msg in arb_message(), stride in 1usize..7) {
        let bytes = encode(&msg);
        let original = Hash::of(&bytes);
        for i in (0..bytes.len()).step_by(stride) {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[i] ^= 1 << bit;
                if let Ok(decoded) = decode::<Message>(&flipped) {
                    prop_assert_ne!(Hash::of(&encode(&decoded)), original);
                    prop_assert_ne!(decoded, msg.clone());
                }
            }
        }
    }

    #[test]
    fn transactions_round_trip_and_hash_commits_to_every_field(tx in arb_tx(), fee in any::<u64>()) {
        let bytes = encode(&tx);
        prop_assert_eq!(bytes.len(), tx.encoded_len());
        prop_assert_eq!(decode::<Transaction>(&bytes), Ok(tx.clone()));
        let mut other = tx.clone();
        other.fee = fee;
        prop_assert_eq!(other.hash() == tx.hash(), fee == tx.fee);
    }

    /// The batched ids (runs of one encoded length side by side) are each transaction's own id, in order, whatever
    /// the mix of memo lengths.
    #[test]
    fn batched_ids_equal_one_by_one(txs in prop::collection::vec(arb_tx(), 0..40), copies in 1usize..6) {
        // Repeats make runs of one length long enough for the SIMD lanes.
        let txs: Vec<Transaction> = txs.iter().flat_map(|tx| std::iter::repeat_n(tx.clone(), copies)).collect();
        let one_by_one: Vec<Hash> = txs.iter().map(Transaction::hash).collect();
        prop_assert_eq!(Transaction::ids(&txs), one_by_one);
    }
}

#[test]
fn wrong_version_and_trailing_bytes_are_rejected() {
    let msg = Message::SyncRequest { from_height: 5 };
    let mut bytes = encode(&msg);
    bytes.push(0);
    assert_eq!(decode::<Message>(&bytes), Err(DecodeError::Trailing { extra: 1 }));
    bytes.pop();
    bytes[0] = 9;
    assert!(matches!(decode::<Message>(&bytes), Err(DecodeError::Version { found: 9, .. })));
}

#[test]
fn oversized_length_prefix_is_rejected_without_allocating() {
    let mut bytes = vec![codec::ENCODING_VERSION, 3];
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(decode::<Message>(&bytes), Err(DecodeError::Length { .. })));
}

#[test]
fn bitfield_padding_must_be_zero() {
    let mut b = SignerBitfield::new(3);
    b.set(2);
    let mut bytes = encode(&b);
    assert_eq!(decode::<SignerBitfield>(&bytes), Ok(b));
    let last = bytes.len() - 1;
    bytes[last] |= 0x80;
    assert!(decode::<SignerBitfield>(&bytes).is_err());
}
