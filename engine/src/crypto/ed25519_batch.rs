//! Randomized Ed25519 batch verification that agrees with [`super::ed25519_verify`] on every
//! input, with bisection to find the failing items.
//!
//! Why not `ed25519_dalek::verify_batch`: it checks the *cofactorless* batch equation with the
//! products `z_i k_i` reduced mod L, which on a mixed-order `A` differs from `z_i [k_i]A` by a
//! torsion point — so it rejects inputs that satisfy both single-item equations (speccheck cases
//! 0–3) — and it decodes `A` and `R` leniently. This module instead:
//!
//! 1. strictly decodes every item (rule step 1); undecodable items are `false` and leave the batch;
//! 2. checks the cofactored batch equation
//!    `[8]( -(Σ z_i S_i) B + Σ z_i R_i + Σ (z_i k_i) A_i ) == 0` with fresh random odd 128-bit
//!    weights `z_i`. If every item satisfies `[8](S_i B - R_i - k_i A_i) = 0`, each residual is a
//!    torsion point, so the weighted sum times 8 is the identity: **a batch of valid items always
//!    passes**. If some item fails the rule, its residual has a prime-order component and the
//!    batch passes with probability at most about 2^-127. (Multiplying by 8 also removes the
//!    torsion differences caused by reducing scalars mod L, so reductions cannot matter);
//! 3. on failure, splits the batch in halves and recurses; sub-batches smaller than
//!    [`SINGLE_BELOW`] are checked item by item with the single-item equation.
//!
//! So a failing batch never marks a valid item false: every `false` comes from decoding or from
//! the single-item check.

use std::iter::once;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand::Rng;

use super::backend::Ed25519Item;
use super::ed25519::{PreparedEd25519, prepare, verify_prepared};

/// Batches (and bisection halves) with fewer items are verified one by one: below this size the
/// multiscalar multiplication saves little over single verification (FIELD-NOTES: batch n = 64
/// costs about as much per signature as single verification), and a failed small batch would
/// be paid twice.
pub(crate) const SINGLE_BELOW: usize = 16;

/// Per-item verdicts under the rule, using batch verification with bisection.
pub(crate) fn verify_batch_bisect(items: &[Ed25519Item<'_>]) -> Vec<bool> {
    let mut verdicts = vec![false; items.len()];
    let mut prepared = Vec::with_capacity(items.len());
    let mut positions = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if let Some(p) = prepare(item) {
            prepared.push(p);
            positions.push(i);
        }
    }
    let mut ok = vec![false; prepared.len()];
    bisect(&prepared, &mut ok);
    for (pos, v) in positions.into_iter().zip(ok) {
        verdicts[pos] = v;
    }
    verdicts
}

/// Fills `out` with the verdict of each item of `items` (same length).
fn bisect(items: &[PreparedEd25519], out: &mut [bool]) {
    if items.len() < SINGLE_BELOW {
        for (o, p) in out.iter_mut().zip(items) {
            *o = verify_prepared(p);
        }
        return;
    }
    if batch_equation_holds(items) {
        out.fill(true);
        return;
    }
    let mid = items.len() / 2;
    let (left, right) = items.split_at(mid);
    let (out_left, out_right) = out.split_at_mut(mid);
    bisect(left, out_left);
    bisect(right, out_right);
}

/// The cofactored batch equation over `items` with fresh random odd 128-bit weights.
/// Always true when every item satisfies the single-item equation.
pub(crate) fn batch_equation_holds(items: &[PreparedEd25519]) -> bool {
    if items.is_empty() {
        return true;
    }
    let mut rng = rand::rng();
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(1 + 2 * items.len());
    scalars.push(Scalar::ZERO); // placeholder for -(Σ z_i S_i)
    for p in items {
        // Odd, so never zero: a zero weight would drop the item from the check.
        let z_bits = (u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())) | 1;
        let z = Scalar::from(z_bits);
        b_coefficient += z * p.s;
        scalars.push(z);
        scalars.push(z * p.k);
    }
    scalars[0] = -b_coefficient;
    let points = once(&ED25519_BASEPOINT_POINT).chain(items.iter().flat_map(|p| [&p.r, &p.a]));
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).mul_by_cofactor().is_identity()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::ed25519::{ed25519_public, ed25519_sign, ed25519_signing_key_from_seed};

    struct Owned {
        pk: [u8; 32],
        msg: Vec<u8>,
        sig: [u8; 64],
    }

    fn owned(n: usize) -> Vec<Owned> {
        (0..n)
            .map(|i| {
                let key = ed25519_signing_key_from_seed([(i % 251) as u8; 32]);
                let msg = format!("message {i}").into_bytes();
                Owned { pk: ed25519_public(&key), sig: ed25519_sign(&key, &msg), msg }
            })
            .collect()
    }

    fn items(o: &[Owned]) -> Vec<Ed25519Item<'_>> {
        o.iter().map(|x| Ed25519Item { public_key: &x.pk, message: &x.msg, signature: &x.sig }).collect()
    }

    #[test]
    fn batch_equation_accepts_valid_and_rejects_one_bad() {
        let mut o = owned(40);
        let prepared: Vec<_> = items(&o).iter().filter_map(prepare).collect();
        assert!(batch_equation_holds(&prepared));
        assert!(batch_equation_holds(&prepared[..1]));
        assert!(batch_equation_holds(&prepared[..2]));
        o[17].msg[0] ^= 1;
        let prepared: Vec<_> = items(&o).iter().filter_map(prepare).collect();
        assert_eq!(prepared.len(), 40);
        assert!(!batch_equation_holds(&prepared));
        assert!(!batch_equation_holds(&prepared[17..18]));
    }

    /// An item whose residual is a small-order point passes the cofactored batch (and the single
    /// check) deterministically, whatever the weights.
    #[test]
    fn torsion_residual_passes_batch_and_single() {
        // A of order 8, R of order 4, S = 0: the residual [0]B - R - [k]A is a torsion point
        // (non-zero for most k), so the cofactorless equation fails but [8](residual) = 0.
        let t8 = curve25519_dalek::constants::EIGHT_TORSION[1];
        let t4 = curve25519_dalek::constants::EIGHT_TORSION[2];
        let pk = t8.compress().to_bytes();
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&t4.compress().to_bytes());
        let item = Ed25519Item { public_key: &pk, message: b"any message at all", signature: &sig };
        assert!(crate::crypto::ed25519::ed25519_verify(&item));
        let o = owned(20);
        let mut all = items(&o);
        all.push(item);
        let prepared: Vec<_> = all.iter().filter_map(prepare).collect();
        assert_eq!(prepared.len(), 21);
        for _ in 0..16 {
            assert!(batch_equation_holds(&prepared));
        }
        assert!(verify_batch_bisect(&all).iter().all(|&v| v));
    }

    #[test]
    fn bisection_finds_exactly_the_bad_items() {
        let mut o = owned(100);
        for &i in &[0usize, 31, 99] {
            o[i].sig[40] ^= 0x01;
        }
        // A non-canonical S (>= L): rejected at decoding.
        o[50].sig[63] = 0xff;
        let v = verify_batch_bisect(&items(&o));
        for (i, ok) in v.iter().enumerate() {
            assert_eq!(*ok, ![0, 31, 50, 99].contains(&i), "item {i}");
        }
    }

    #[test]
    fn empty_and_single() {
        assert!(verify_batch_bisect(&[]).is_empty());
        let o = owned(1);
        assert_eq!(verify_batch_bisect(&items(&o)), vec![true]);
    }

    /// The speccheck cases the rule accepts (0–5: small- and mixed-order A/R, one of them valid
    /// only under the cofactored equation) pass the batch equation itself, with any weights.
    #[test]
    fn speccheck_accepted_cases_pass_the_batch_equation() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/speccheck_ed25519_cases.json")).unwrap();
        let cases: Vec<([u8; 32], Vec<u8>, [u8; 64])> = doc
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let h = |k: &str| hex::decode(c[k].as_str().unwrap()).unwrap();
                (h("pub_key").try_into().unwrap(), h("message"), h("signature").try_into().unwrap())
            })
            .collect();
        let items: Vec<Ed25519Item<'_>> =
            cases.iter().map(|(pk, msg, sig)| Ed25519Item { public_key: pk, message: msg, signature: sig }).collect();
        let prepared: Vec<Option<PreparedEd25519>> = items.iter().map(prepare).collect();
        // Cases 6-11 fail strict decoding; 0-5 decode.
        assert!(prepared[..6].iter().all(Option::is_some));
        assert!(prepared[6..].iter().all(Option::is_none));
        let accepted: Vec<PreparedEd25519> = prepared.into_iter().flatten().collect();
        assert!(accepted.iter().all(verify_prepared));
        for _ in 0..32 {
            assert!(batch_equation_holds(&accepted));
            for p in &accepted {
                assert!(batch_equation_holds(std::slice::from_ref(p)));
            }
        }
    }
}
