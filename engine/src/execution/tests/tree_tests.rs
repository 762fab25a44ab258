//! State tree: the hashing rule by hand, incremental vs reference root, order and history independence, cost.

use super::*;
use crate::execution::StateTree;
use crate::execution::full_root;
use crate::execution::tree_hash::{account_key, inner_hash, leaf_hash};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use std::collections::BTreeMap;

fn accounts(n: u64) -> Vec<(AccountId, Account)> {
    (0..n).map(|i| (raw_id(i), acct(1_000 + i, i % 3))).collect()
}

#[test]
fn empty_and_single_leaf_roots() {
    assert_eq!(StateTree::new().root(), Hash::ZERO);
    assert_eq!(full_root(&[]), Hash::ZERO);
    let a = (raw_id(1), acct(5, 1));
    let key = account_key(&a.0);
    assert_eq!(key, Hash::of(&a.0));
    let mut bytes = a.0.to_vec();
    bytes.extend_from_slice(&5u64.to_le_bytes());
    bytes.extend_from_slice(&1u64.to_le_bytes());
    let leaf_key = blake3::derive_key("hsbench state tree leaf v2", b"");
    assert_eq!(leaf_hash(&a.0, &a.1), Hash(*blake3::keyed_hash(&leaf_key, &bytes).as_bytes()));
    // A single account is the root itself (no inner nodes above a lone leaf).
    assert_eq!(StateTree::from_accounts(&[a]).root(), leaf_hash(&a.0, &a.1));
    assert_eq!(full_root(&[a]), leaf_hash(&a.0, &a.1));
}

#[test]
fn two_leaves_hash_by_hand() {
    // Find two ids whose keys share the first bit but differ in the second: root = inner(inner(.., ..), ZERO)
    // or inner(ZERO, inner(.., ..)), exercising the "one empty child still hashes" rule.
    let ids: Vec<AccountId> = (0..64).map(raw_id).collect();
    let top = |id: &AccountId| account_key(id).0[0] >> 6; // first two bits
    let (a, b) = ids
        .iter()
        .flat_map(|a| ids.iter().map(move |b| (*a, *b)))
        .find(|(a, b)| top(a) == 0b00 && top(b) == 0b01)
        .unwrap();
    let (la, lb) = (leaf_hash(&a, &acct(1, 0)), leaf_hash(&b, &acct(2, 0)));
    let expected = inner_hash(&inner_hash(&la, &lb), &Hash::ZERO);
    // The inner rule by hand: keyed Blake3 of the two children, 64 bytes.
    let inner_key = blake3::derive_key("hsbench state tree inner v2", b"");
    let by_hand = |l: &Hash, r: &Hash| Hash(*blake3::keyed_hash(&inner_key, &[l.0, r.0].concat()).as_bytes());
    assert_eq!(expected, by_hand(&by_hand(&la, &lb), &Hash::ZERO));
    assert_ne!(inner_hash(&la, &lb), leaf_hash(&a, &acct(1, 0)), "leaf and inner keys differ");
    assert_eq!(full_root(&[(a, acct(1, 0)), (b, acct(2, 0))]), expected);
    assert_eq!(StateTree::from_accounts(&[(b, acct(2, 0)), (a, acct(1, 0))]).root(), expected);
    // Removing one collapses back to the lone leaf.
    let mut tree = StateTree::from_accounts(&[(a, acct(1, 0)), (b, acct(2, 0))]);
    tree.update(&[(b, Account::default())]);
    assert_eq!(tree.root(), la);
    assert_eq!(tree.len(), 1);
}

#[test]
fn root_commits_to_values_and_ids() {
    let base = accounts(50);
    let root = full_root(&base);
    let mut changed_balance = base.clone();
    changed_balance[7].1.balance += 1;
    let mut changed_nonce = base.clone();
    changed_nonce[7].1.nonce += 1;
    let mut extra = base.clone();
    extra.push((raw_id(999), acct(1, 0)));
    for other in [changed_balance, changed_nonce, extra] {
        assert_ne!(full_root(&other), root);
        assert_ne!(StateTree::from_accounts(&other).root(), root);
    }
}

#[test]
fn update_cost_grows_with_changed_accounts_not_tree_size() {
    const CHANGED: u64 = 10;
    let mut counts = Vec::new();
    for n in [100u64, 20_000] {
        let all = accounts(n);
        let mut tree = StateTree::from_accounts(&all);
        assert_eq!(tree.len(), n as usize);
        let changes: Vec<(AccountId, Account)> =
            (0..CHANGED).map(|i| (raw_id(i * (n / CHANGED)), acct(7, 100 + i))).collect();
        tree.update(&changes);
        let hashes = tree.last_update_hash_count();
        let log2n = (n as f64).log2();
        eprintln!(
            "state tree: {CHANGED} changed accounts in a {n}-account tree cost {hashes} hashes (log2 n = {log2n:.1})"
        );
        assert!((hashes as f64) <= 10.0 * (log2n + 2.0) * CHANGED as f64, "{hashes} hashes for n = {n}");
        let mut reference: BTreeMap<AccountId, Account> = all.into_iter().collect();
        reference.extend(changes);
        assert_eq!(tree.root(), full_root(&reference.into_iter().collect::<Vec<_>>()));
        counts.push(hashes);
    }
    // 200x the accounts costs well under 3x the hashes (log factor only).
    assert!(counts[1] < 3 * counts[0], "{counts:?}");
}

#[test]
fn full_rebuild_costs_about_one_inner_hash_per_account() {
    let tree = StateTree::from_accounts(&accounts(1_000));
    // 2 hashes per account (key, leaf) + inner nodes: n - 1 branching nodes plus one-sided ones
    // (≈ n / ln 2 inner nodes in all for random keys).
    let hashes = tree.last_update_hash_count();
    assert!((3_000..4_000).contains(&hashes), "{hashes}");
}

/// Accounts crowded into one part of the tree (keys sharing their first four bits), and one account in each part:
/// added one at a time, then removed one at a time, the root equals the reference root at every step, updated
/// alone or on a pool — the nodes above the parts collapse and rise as the rule says.
#[test]
fn parts_join_the_root_as_the_rule_says() {
    let ids: Vec<AccountId> = (0..4096).map(raw_id).collect();
    let part = |id: &AccountId| account_key(id).0[0] >> 4;
    let crowded: Vec<AccountId> = ids.iter().filter(|id| part(id) == 0).take(6).copied().collect();
    let one_each: Vec<AccountId> = (0..16u8).filter_map(|k| ids.iter().find(|id| part(id) == k).copied()).collect();
    assert_eq!((crowded.len(), one_each.len()), (6, 16));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("a pool");
    for set in [crowded, one_each] {
        let (mut alone, mut pooled) = (StateTree::new(), StateTree::new());
        let mut model: BTreeMap<AccountId, Account> = BTreeMap::new();
        let steps = set.iter().map(|id| (*id, acct(7, 1))).chain(set.iter().map(|id| (*id, Account::default())));
        for (id, account) in steps {
            alone.update(&[(id, account)]);
            pooled.update_on(&[(id, account)], &pool);
            if account == Account::default() {
                model.remove(&id);
            } else {
                model.insert(id, account);
            }
            let reference: Vec<(AccountId, Account)> = model.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(alone.root(), full_root(&reference), "{} accounts", reference.len());
            assert_eq!(pooled.root(), alone.root(), "{} accounts", reference.len());
            assert_eq!(alone.len(), reference.len());
        }
        assert_eq!(alone.root(), Hash::ZERO);
    }
}

fn arb_accounts() -> impl Strategy<Value = Vec<(AccountId, Account)>> {
    prop::collection::vec((0u64..400, 0u64..4, 0u64..3), 0..200)
        .prop_map(|v| v.into_iter().map(|(i, b, n)| (raw_id(i), acct(b, n))).collect())
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 96, rng_seed: RngSeed::Fixed(0x5eed_7ee5), failure_persistence: None, ..Default::default() }
}

proptest! {
    #![proptest_config(config())]

    /// Batches of inserts, value changes and deletions (default accounts): the incremental root always equals
    /// the reference root of the resulting set, and the size matches.
    #[test]
    fn incremental_root_equals_full_root(batches in prop::collection::vec(arb_accounts(), 1..8)) {
        let mut tree = StateTree::new();
        let mut model: BTreeMap<AccountId, Account> = BTreeMap::new();
        for batch in batches {
            tree.update(&batch);
            for (id, a) in batch {
                if a == Account::default() { model.remove(&id); } else { model.insert(id, a); }
            }
            let set: Vec<(AccountId, Account)> = model.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(tree.root(), full_root(&set));
            prop_assert_eq!(tree.len(), set.len());
        }
    }

    /// The root depends only on the set: inserting one by one in any order, in one batch, or after inserting
    /// and deleting unrelated accounts gives the same root.
    #[test]
    fn root_is_independent_of_order_and_history(
        set in arb_accounts(),
        seed in any::<u64>(),
        noise in prop::collection::vec(400u64..600, 0..50),
    ) {
        let mut dedup: BTreeMap<AccountId, Account> = BTreeMap::new();
        dedup.extend(set.iter().copied());
        let unique: Vec<(AccountId, Account)> = dedup.into_iter().collect();
        let batch_root = StateTree::from_accounts(&unique).root();
        // A deterministic shuffle from the seed.
        let mut shuffled = unique.clone();
        shuffled.sort_by_key(|(id, _)| Hash::of_parts(&[id, &seed.to_le_bytes()]));
        let mut one_by_one = StateTree::new();
        for (i, entry) in shuffled.iter().enumerate() {
            one_by_one.update(&[*entry]);
            if let Some(n) = noise.get(i) {
                one_by_one.update(&[(raw_id(*n), acct(1, 1))]);
            }
        }
        let deletions: Vec<(AccountId, Account)> = noise.iter().map(|n| (raw_id(*n), Account::default())).collect();
        one_by_one.update(&deletions);
        prop_assert_eq!(one_by_one.root(), batch_root);
        prop_assert_eq!(one_by_one.len(), unique.iter().filter(|(_, a)| *a != Account::default()).count());
        prop_assert_eq!(batch_root, full_root(&shuffled));
    }
}
