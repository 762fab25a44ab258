//! The lane schedule of one block: transactions grouped by the accounts they touch, groups packed onto lanes.
//!
//! A transfer reads and writes exactly its sender and its recipient, and its outcome depends on nothing else.
//! Two transactions conflict when they share an account; the connected components of that conflict graph
//! (union-find over accounts) touch pairwise disjoint account sets, so running each component's transactions
//! in block order — and components in any order, on any lane — leaves every account, receipt and fee exactly as
//! sequential execution does. Components are packed onto lanes largest first, each onto the least-loaded lane
//! (ties: lowest lane), so the schedule is a pure function of the block.
//!
//! The schedule also numbers the block's accounts: one hash-map lookup per account id here, and from then on
//! every lane addresses its accounts by a dense slot (an array index), never by id.

use crate::types::{AccountId, Transaction};
use std::collections::HashMap;

/// Marks an unassigned entry in the schedule's index arrays.
const UNSET: u32 = u32::MAX;

/// One block's lane schedule.
pub(super) struct Schedule {
    /// Transaction indices per lane: every index of the block exactly once, each lane's list ascending (block
    /// order), no account touched by two lanes; empty lanes are left out.
    pub lanes: Vec<Vec<usize>>,
    /// Per lane, the ids of the accounts its transactions touch, in order of first touch; a lane's slot `s` is
    /// `lane_accounts[lane][s]`.
    pub lane_accounts: Vec<Vec<AccountId>>,
    /// Per transaction, the lane slots of its sender and its recipient (equal for a self-transfer).
    pub tx_slots: Vec<[u32; 2]>,
}

/// The schedule of `txs` on at most `lanes` lanes (fewer when the block has fewer components).
pub(super) fn conflict_lanes(txs: &[Transaction], lanes: usize) -> Schedule {
    let mut sets = DisjointSets::default();
    let mut ids: Vec<AccountId> = Vec::with_capacity(txs.len() * 2);
    let mut index: HashMap<AccountId, u32> = HashMap::with_capacity(txs.len() * 2);
    let mut tx_accounts: Vec<[u32; 2]> = Vec::with_capacity(txs.len());
    let mut number = |id: AccountId, sets: &mut DisjointSets| {
        *index.entry(id).or_insert_with(|| {
            ids.push(id);
            sets.add()
        })
    };
    for tx in txs {
        let sender = number(tx.sender, &mut sets);
        let recipient = number(tx.recipient, &mut sets);
        sets.union(sender, recipient);
        tx_accounts.push([sender, recipient]);
    }
    // Components in order of their first transaction, each listing its transactions in block order.
    let mut component_of_root = vec![UNSET; ids.len()];
    let mut components: Vec<Vec<usize>> = Vec::new();
    for (i, &[sender, _]) in tx_accounts.iter().enumerate() {
        let root = sets.find(sender) as usize;
        let c = &mut component_of_root[root];
        if *c == UNSET {
            *c = components.len() as u32;
            components.push(Vec::new());
        }
        components[*c as usize].push(i);
    }
    let lanes = pack(components, lanes.max(1));
    let (lane_accounts, tx_slots) = assign_slots(&lanes, &tx_accounts, &ids);
    Schedule { lanes, lane_accounts, tx_slots }
}

/// Gives every account a slot on the one lane that touches it, in order of first touch within the lane.
fn assign_slots(
    lanes: &[Vec<usize>],
    tx_accounts: &[[u32; 2]],
    ids: &[AccountId],
) -> (Vec<Vec<AccountId>>, Vec<[u32; 2]>) {
    let mut slot_of_account = vec![UNSET; ids.len()];
    let mut tx_slots = vec![[UNSET; 2]; tx_accounts.len()];
    let mut lane_accounts = Vec::with_capacity(lanes.len());
    for lane in lanes {
        let mut accounts: Vec<AccountId> = Vec::new();
        for &i in lane {
            for side in 0..2 {
                let account = tx_accounts[i][side] as usize;
                let slot = &mut slot_of_account[account];
                if *slot == UNSET {
                    *slot = accounts.len() as u32;
                    accounts.push(ids[account]);
                }
                tx_slots[i][side] = *slot;
            }
        }
        lane_accounts.push(accounts);
    }
    (lane_accounts, tx_slots)
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

/// Union-find with path halving and union by size, over elements numbered from 0.
#[derive(Default)]
struct DisjointSets {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl DisjointSets {
    /// A new singleton set; returns its element.
    fn add(&mut self) -> u32 {
        let element = self.parent.len() as u32;
        self.parent.push(element);
        self.size.push(1);
        element
    }

    /// The representative of `x`'s set.
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            self.parent[x as usize] = self.parent[self.parent[x as usize] as usize];
            x = self.parent[x as usize];
        }
        x
    }

    /// Merges the sets of `a` and `b`.
    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let (big, small) = if self.size[a as usize] >= self.size[b as usize] { (a, b) } else { (b, a) };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
    }
}
