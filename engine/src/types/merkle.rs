//! Binary Blake3 Merkle root over an ordered list of hashes (the transaction root of a block).
//!
//! Rules: a leaf node is `blake3(0x00 ‖ leaf)`, an inner node `blake3(0x01 ‖ left ‖ right)`; the two
//! prefixes keep a leaf from ever being confused with an inner node (second-preimage safety). **Odd-leaf
//! rule**: when a level has an odd number of nodes, the last one is carried up unchanged — never paired with
//! a copy of itself, so `[a, b, c]` and `[a, b, c, c]` have different roots (no Bitcoin-style duplication
//! ambiguity). The root of an empty list is [`Hash::ZERO`].

use super::hash::Hash;

/// Hash of a leaf node.
pub fn leaf_node(leaf: &Hash) -> Hash {
    Hash::of_parts(&[&[0x00], leaf.as_bytes()])
}

/// Hash of an inner node.
pub fn inner_node(left: &Hash, right: &Hash) -> Hash {
    Hash::of_parts(&[&[0x01], left.as_bytes(), right.as_bytes()])
}

/// Merkle root of `leaves` in order.
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Hash::ZERO;
    }
    let mut level: Vec<Hash> = leaves.iter().map(leaf_node).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [l, r] => inner_node(l, r),
                [single] => *single,
                _ => unreachable!("chunks(2) yields one or two items"),
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(i: u8) -> Hash {
        Hash::of(&[i])
    }

    #[test]
    fn empty_and_single() {
        assert_eq!(merkle_root(&[]), Hash::ZERO);
        assert_eq!(merkle_root(&[h(1)]), leaf_node(&h(1)));
    }

    #[test]
    fn odd_leaf_is_carried_not_duplicated() {
        let three = merkle_root(&[h(1), h(2), h(3)]);
        let four = merkle_root(&[h(1), h(2), h(3), h(3)]);
        assert_ne!(three, four);
        let expected = inner_node(&inner_node(&leaf_node(&h(1)), &leaf_node(&h(2))), &leaf_node(&h(3)));
        assert_eq!(three, expected);
    }

    proptest! {
        #[test]
        fn root_changes_with_any_leaf_or_order(n in 1usize..40, pick in 0usize..40, seed in any::<u8>()) {
            let leaves: Vec<Hash> = (0..n).map(|i| Hash::of(&[seed, i as u8])).collect();
            let root = merkle_root(&leaves);
            let mut changed = leaves.clone();
            let i = pick % n;
            changed[i] = Hash::of(b"other");
            prop_assert_ne!(merkle_root(&changed), root);
            if n > 1 {
                let mut swapped = leaves.clone();
                swapped.swap(0, n - 1);
                prop_assert_ne!(merkle_root(&swapped), root);
            }
            // a prefix never has the same root as the whole list
            prop_assert_ne!(merkle_root(&leaves[..n - 1]), root);
        }
    }
}
