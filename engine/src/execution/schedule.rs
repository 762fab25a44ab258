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

use crate::types::{AccountId, KeyedMap, KeyedState, Transaction};

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
    let mut index: KeyedMap<AccountId, u32> = KeyedMap::with_capacity_and_hasher(txs.len() * 2, KeyedState);
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
    // Components numbered in order of their first transaction.
    let mut component_of_root = vec![UNSET; ids.len()];
    let mut sizes: Vec<usize> = Vec::new();
    let tx_component: Vec<u32> = tx_accounts
        .iter()
        .map(|&[sender, _]| {
            let c = &mut component_of_root[sets.find(sender) as usize];
            if *c == UNSET {
                *c = sizes.len() as u32;
                sizes.push(0);
            }
            sizes[*c as usize] += 1;
            *c
        })
        .collect();
    let lane_of_component = pack(&sizes, lanes.max(1));
    let lane_count = lane_of_component.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    // Each lane's transactions in block order, and its accounts' slots in order of first touch.
    let mut schedule = Schedule {
        lanes: vec![Vec::new(); lane_count],
        lane_accounts: vec![Vec::new(); lane_count],
        tx_slots: Vec::with_capacity(txs.len()),
    };
    let mut slot_of_account = vec![UNSET; ids.len()];
    for (i, (&c, accounts)) in tx_component.iter().zip(&tx_accounts).enumerate() {
        let lane = lane_of_component[c as usize] as usize;
        schedule.lanes[lane].push(i);
        let lane_accounts = &mut schedule.lane_accounts[lane];
        schedule.tx_slots.push(accounts.map(|account| {
            let slot = &mut slot_of_account[account as usize];
            if *slot == UNSET {
                *slot = lane_accounts.len() as u32;
                lane_accounts.push(ids[account as usize]);
            }
            *slot
        }));
    }
    schedule
}

/// Longest-processing-time packing: components by size (largest first, ties by first transaction, i.e. by
/// number) each onto the least-loaded lane (ties: lowest lane). Returns every component's lane; with at
/// least as many components as lanes every lane gets one, so no lane number is skipped.
fn pack(sizes: &[usize], lanes: usize) -> Vec<u32> {
    let mut by_size: Vec<usize> = (0..sizes.len()).collect();
    by_size.sort_unstable_by_key(|&c| (std::cmp::Reverse(sizes[c]), c));
    let mut load = vec![0usize; lanes.min(sizes.len())];
    let mut lane_of_component = vec![0u32; sizes.len()];
    for c in by_size {
        let Some((lane, _)) = load.iter().enumerate().min_by_key(|&(_, l)| *l) else { break };
        lane_of_component[c] = lane as u32;
        load[lane] += sizes[c];
    }
    lane_of_component
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
