//! `H(m)`, a vote message hashed to G2 under [`BLS_SIG_DST`], remembered per thread for the few messages in
//! flight, and the signing and pairing checks that take it instead of the message.
//!
//! Every honest signature of a round is over one message, and a node meets that message several times: it signs
//! its vote (one hash to G2), checks the QC over the same message when the next proposal carries it, and as the
//! collector verifies its peers' votes and the aggregate it built — each of which blst would hash again (~0.4 ms
//! on a slow Zen 3, about a seventh of a pairing check). Remembering the point keeps one hash per message and
//! thread. A hit returns exactly the point hashing would, so no signature or verdict can change.
//!
//! Per thread, not per process: in node mode the node under test and its synthetic committee sign the same
//! messages on different threads, and a shared cache would let the committee pay the node's hashes. A thread keeps
//! its [`KEPT`] latest messages (vote and timeout messages of the current and previous rounds); older ones are
//! hashed again.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::mem::MaybeUninit;

use blst::min_pk::{PublicKey, SecretKey, Signature};
use blst::{
    Pairing, blst_fp12, blst_hash_to_g2, blst_p1_affine, blst_p2, blst_p2_affine, blst_p2_from_affine,
    blst_p2_to_affine, blst_scalar, blst_sign_pk_in_g1,
};

use super::bls::BLS_SIG_DST;

/// Messages a thread remembers the point of.
const KEPT: usize = 8;

/// Longest message kept (vote and timeout messages are ~100 bytes; a longer one is hashed every time).
const LONGEST_KEPT: usize = 256;

thread_local! {
    static RECENT: RefCell<VecDeque<(Vec<u8>, blst_p2_affine)>> = RefCell::new(VecDeque::with_capacity(KEPT));
}

/// `H(message)` in G2 under [`BLS_SIG_DST`], remembered for this thread's [`KEPT`] latest messages.
fn message_point(message: &[u8]) -> blst_p2_affine {
    let found = RECENT.with_borrow(|recent| recent.iter().find(|(m, _)| m == message).map(|(_, p)| *p));
    if let Some(point) = found {
        return point;
    }
    let point = hash_to_g2(message);
    if message.len() <= LONGEST_KEPT {
        RECENT.with_borrow_mut(|recent| {
            if recent.len() == KEPT {
                recent.pop_front();
            }
            recent.push_back((message.to_vec(), point));
        });
    }
    point
}

fn hash_to_g2(message: &[u8]) -> blst_p2_affine {
    let mut point = MaybeUninit::<blst_p2>::uninit();
    let mut affine = MaybeUninit::<blst_p2_affine>::uninit();
    // SAFETY: blst writes the whole output point; every pointer is valid for the length passed with it, and an
    // empty augmentation is a null pointer with length 0, as blst's own binding passes it.
    unsafe {
        blst_hash_to_g2(
            point.as_mut_ptr(),
            message.as_ptr(),
            message.len(),
            BLS_SIG_DST.as_ptr(),
            BLS_SIG_DST.len(),
            std::ptr::null(),
            0,
        );
        blst_p2_to_affine(affine.as_mut_ptr(), point.as_ptr());
        affine.assume_init()
    }
}

/// `secret`'s signature on `message` under [`BLS_SIG_DST`], the point `SecretKey::sign(message, BLS_SIG_DST, &[])`
/// gives, with the message's point from the memo.
pub(crate) fn sign(secret: &SecretKey, message: &[u8]) -> Signature {
    let hash_affine = message_point(message);
    let scalar: &blst_scalar = secret.into();
    let mut hash = MaybeUninit::<blst_p2>::uninit();
    let mut signature = MaybeUninit::<blst_p2>::uninit();
    let mut affine = MaybeUninit::<blst_p2_affine>::uninit();
    // SAFETY: blst fully writes each output before it is read; the inputs are initialised points and a scalar.
    let affine = unsafe {
        blst_p2_from_affine(hash.as_mut_ptr(), &hash_affine);
        blst_sign_pk_in_g1(signature.as_mut_ptr(), hash.as_ptr(), scalar);
        blst_p2_to_affine(affine.as_mut_ptr(), signature.as_ptr());
        affine.assume_init()
    };
    Signature::from(affine)
}

/// The pairing check `e(public_key, H(message)) == e(g1, signature)` for a decoded signature already
/// subgroup-checked and a validated key — what `Signature::verify(false, message, BLS_SIG_DST, &[], key, false)`
/// computes, with the message's point from the memo.
pub(crate) fn verify(message: &[u8], public_key: &PublicKey, signature: &Signature) -> bool {
    finish(key_side(message, public_key.into()), signature.into())
}

/// The key half of [`verify`]: the Miller loop of `e(public_key, H(message))`, committed. Apart from [`finish`] so
/// that a batch can run it on one thread while another computes the signature it will be checked against.
pub(crate) fn key_side(message: &[u8], public_key: &blst_p1_affine) -> Pairing<'static> {
    let hash = message_point(message);
    let mut pairing = Pairing::new(true, BLS_SIG_DST);
    pairing.raw_aggregate(&hash, public_key);
    pairing.commit();
    pairing
}

/// The signature half of [`verify`]: the Miller loop of `e(g1, signature)` and the final exponentiation of both.
pub(crate) fn finish(key_side: Pairing<'_>, signature: &blst_p2_affine) -> bool {
    let mut signature_side = blst_fp12::default();
    Pairing::aggregated(&mut signature_side, signature);
    key_side.finalverify(Some(&signature_side))
}

#[cfg(test)]
mod tests {
    use super::*;
    use blst::BLST_ERROR;

    fn key(n: u8) -> SecretKey {
        SecretKey::key_gen(&[n; 32], &[]).expect("32 bytes of key material")
    }

    /// Runs `f` on a fresh thread, whose memo starts empty.
    fn on_fresh_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|s| s.spawn(f).join().expect("test thread"))
    }

    #[test]
    fn signing_and_verifying_through_the_memo_match_blst_byte_for_byte() {
        on_fresh_thread(|| {
            for n in 1..=4u8 {
                let sk = key(n);
                let pk = sk.sk_to_pk();
                for message in [&b"vote: round 7"[..], b"", &[n; 300]] {
                    let sig = sign(&sk, message);
                    let theirs = sk.sign(message, BLS_SIG_DST, &[]);
                    assert_eq!(sig.serialize(), theirs.serialize(), "key {n}, message of {} bytes", message.len());
                    assert!(verify(message, &pk, &sig));
                    assert!(!verify(b"another message", &pk, &sig));
                    assert!(!verify(message, &key(n + 10).sk_to_pk(), &sig));
                    let blst_verdict = sig.verify(false, message, BLS_SIG_DST, &[], &pk, false);
                    assert_eq!(blst_verdict, BLST_ERROR::BLST_SUCCESS);
                }
            }
        });
    }

    #[test]
    fn a_message_is_hashed_once_per_thread_while_it_is_among_the_latest() {
        on_fresh_thread(|| {
            let sk = key(9);
            let pk = sk.sk_to_pk();
            let message = b"vote: the one message of a round".to_vec();
            let before = RECENT.with_borrow(|r| r.len());
            assert_eq!(before, 0, "a fresh thread starts with nothing remembered");
            let sig = sign(&sk, &message);
            let point = RECENT.with_borrow(|r| r.back().map(|(m, p)| (m.clone(), *p)));
            assert_eq!(point, Some((message.clone(), hash_to_g2(&message))), "signing remembered the point");
            assert!(verify(&message, &pk, &sig), "the check after signing uses the remembered point");
            assert_eq!(RECENT.with_borrow(|r| r.len()), 1, "no second entry for the same message");
            // More distinct messages than it keeps: the oldest is forgotten, the memo stays bounded.
            for i in 0..KEPT as u64 {
                message_point(&i.to_le_bytes());
            }
            RECENT.with_borrow(|r| {
                assert_eq!(r.len(), KEPT);
                assert!(r.iter().all(|(m, _)| *m != message), "the round's message was the oldest");
            });
            // A message longer than kept is hashed but not remembered.
            message_point(&[7; LONGEST_KEPT + 1]);
            RECENT.with_borrow(|r| assert!(r.iter().all(|(m, _)| m.len() <= LONGEST_KEPT)));
        });
    }
}
