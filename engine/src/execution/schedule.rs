//! The lane schedule of one block: transactions grouped by the accounts they touch, groups packed onto lanes.
//!
//! A transfer reads and writes exactly its sender and its recipient, and its outcome depends on nothing else.
//! Two transactions conflict when they share an account; the connected components of that conflict graph
//! (union-find over accounts) touch pairwise disjoint account sets, so running each component's transactions
//! in block order — and components in any order, on any lane — leaves every account, receipt and fee exactly as
//! sequential execution does. Components are packed onto lanes largest first, each onto the least-loaded lane
//! (ties: lowest lane), so the schedule is a pure function of the block.

use crate::types::{AccountId, Transaction};
use std::collections::HashMap;

/// Transaction indices per lane: every index of `txs` exactly once, each lane's list ascending (block order),
/// and no account touched by two lanes. At most `lanes` lists (fewer when the block has fewer components);
/// empty lists are left out.
pub(super) fn conflict_lanes(txs: &[Transaction], lanes: usize) -> Vec<Vec<usize>> {
    let mut sets = DisjointSets::default();
    let mut index: HashMap<AccountId, usize> = HashMap::with_capacity(txs.len() * 2);
    let mut tx_account = Vec::with_capacity(txs.len());
    for tx in txs {
        let sender = *index.entry(tx.sender).or_insert_with(|| sets.add());
        let recipient = *index.entry(tx.recipient).or_insert_with(|| sets.add());
        sets.union(sender, recipient);
        tx_account.push(sender);
    }
    // Components in order of their first transaction, each listing its transactions in block order.
    let mut component_of_root: HashMap<usize, usize> = HashMap::new();
    let mut components: Vec<Vec<usize>> = Vec::new();
    for (i, &account) in tx_account.iter().enumerate() {
        let root = sets.find(account);
        let c = *component_of_root.entry(root).or_insert_with(|| {
            components.push(Vec::new());
            components.len() - 1
        });
        components[c].push(i);
    }
    pack(components, lanes.max(1))
}

/// Longest-processing-time packing: components by size (largest first, ties by first transaction) onto the
/// least-loaded lane; each lane's indices merged back into block order.
fn pack(mut components: Vec<Vec<usize>>, lanes: usize) -> Vec<Vec<usize>> {
    components.sort_by_key(|c| (std::cmp::Reverse(c.len()), c.first().copied()));
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); lanes.min(components.len())];
    for component in components {
        let Some(lane) = out.iter_mut().min_by_key(|l| l.len()) else { break };
        lane.extend(component);
    }
    for lane in &mut out {
        lane.sort_unstable();
    }
    out.retain(|l| !l.is_empty());
    out
}

/// Union-find with path halving and union by size.
#[derive(Default)]
struct DisjointSets {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl DisjointSets {
    /// A new singleton set; returns its element.
    fn add(&mut self) -> usize {
        self.parent.push(self.parent.len());
        self.size.push(1);
        self.parent.len() - 1
    }

    /// The representative of `x`'s set.
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Merges the sets of `a` and `b`.
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let (big, small) = if self.size[a] >= self.size[b] { (a, b) } else { (b, a) };
        self.parent[small] = big;
        self.size[big] += self.size[small];
    }
}
